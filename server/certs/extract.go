package certs

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/sportello/sportello/core/scan"
)

// Reading back what RenderPDF wrote: the text of a certificate's content
// streams and the glyph of its QR code. Streams and Text read the PDFs
// this package writes, not PDFs in general: for tests and for an operator
// who checks a file. GlyphFromPDF reads any PDF core/scan reads.

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

// GlyphFromPDF reads the glyph from the QR code RenderPDF drew (as
// vectors), or from a scan of the printed certificate saved as PDF: see
// scan.PDF.
func GlyphFromPDF(pdf []byte) (string, error) {
	r, err := scan.PDF(pdf)
	if err != nil {
		return "", err
	}
	return r.Text, nil
}
