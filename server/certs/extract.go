package certs

import (
	"bytes"
	"compress/zlib"
	"errors"
	"image"
	"image/color"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Reading back what RenderPDF wrote: the text of a certificate's content
// streams and the glyph of its QR code. They read the PDFs this package
// writes, not PDFs in general: for tests and for an operator who checks a
// file.

var (
	streamRE = regexp.MustCompile(`<<([^>]*?)>>\s*stream\r?\n`)
	lengthRE = regexp.MustCompile(`/Length (\d+)`)
)

// Streams are the PDF's streams, inflated when FlateDecode. Every stream
// dictionary RenderPDF writes has a direct /Length.
func Streams(pdf []byte) [][]byte {
	var out [][]byte
	for _, m := range streamRE.FindAllSubmatchIndex(pdf, -1) {
		dict := pdf[m[2]:m[3]]
		l := lengthRE.FindSubmatch(dict)
		if l == nil {
			continue
		}
		n, _ := strconv.Atoi(string(l[1]))
		if m[1]+n > len(pdf) {
			continue
		}
		data := pdf[m[1] : m[1]+n]
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			r, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				continue
			}
			if data, err = io.ReadAll(r); err != nil {
				continue
			}
		}
		out = append(out, data)
	}
	return out
}

var showRE = regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)\s*Tj`)

// Text is the text the PDF shows, in drawing order, with runs of spaces
// and line breaks made one space: RenderPDF writes text in a TrueType font
// as UTF-16BE strings.
func Text(pdf []byte) string {
	var b strings.Builder
	for _, s := range Streams(pdf) {
		for _, m := range showRE.FindAllSubmatch(s, -1) {
			raw := unescape(m[1])
			for i := 0; i+1 < len(raw); i += 2 {
				b.WriteRune(rune(raw[i])<<8 | rune(raw[i+1]))
			}
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// unescape undoes the escapes of a PDF literal string.
func unescape(s []byte) []byte {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'r':
				out = append(out, '\r')
				continue
			case 'n':
				out = append(out, '\n')
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}

// rectRE is a filled rectangle as fpdf draws one: x y w h re f.
var rectRE = regexp.MustCompile(`(-?[0-9.]+) (-?[0-9.]+) (-?[0-9.]+) (-?[0-9.]+) re f\b`)

// GlyphFromPDF finds the QR code RenderPDF drew (the only filled
// rectangles of the page), rasterises it and decodes it.
func GlyphFromPDF(pdf []byte) (string, error) {
	type rect struct{ x, y, w, h float64 }
	var rects []rect
	for _, s := range Streams(pdf) {
		for _, m := range rectRE.FindAllSubmatch(s, -1) {
			var v [4]float64
			for i := range v {
				v[i], _ = strconv.ParseFloat(string(m[i+1]), 64)
			}
			r := rect{v[0], v[1], v[2], v[3]}
			if r.h < 0 { // fpdf draws downwards from the top edge
				r.y, r.h = r.y+r.h, -r.h
			}
			rects = append(rects, r)
		}
	}
	if len(rects) == 0 {
		return "", errors.New("no QR code in the PDF")
	}
	minX, minY, maxX, maxY, module := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1), math.Inf(1)
	for _, r := range rects {
		minX, minY = min(minX, r.x), min(minY, r.y)
		maxX, maxY = max(maxX, r.x+r.w), max(maxY, r.y+r.h)
		module = min(module, r.h)
	}
	n := int(math.Round((maxX - minX) / module))
	if n < 21 || n > 177 || int(math.Round((maxY-minY)/module)) != n {
		return "", errors.New("the filled rectangles are no QR code")
	}
	const px, quiet = 4, 4
	side := (n + 2*quiet) * px
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, r := range rects {
		col := int(math.Round((r.x - minX) / module))
		row := n - int(math.Round((r.y-minY)/module)) - 1 // PDF y grows upwards
		run := int(math.Round(r.w / module))
		for c := col; c < col+run; c++ {
			for y := 0; y < px; y++ {
				for x := 0; x < px; x++ {
					img.SetGray((quiet+c)*px+x, (quiet+row)*px+y, color.Gray{})
				}
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
