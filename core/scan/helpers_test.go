package scan

// Test inputs, exported for the external tests (pdf_test.go) too: glyph-like
// QR codes from gozxing's encoder drawn on realistic scenes.

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

const base45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// GlyphText is glyph-like content: "TD1:" and n Base45 characters.
func GlyphText(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 45))
	b := []byte("TD1:")
	for range n {
		b = append(b, base45[r.IntN(len(base45))])
	}
	return string(b)
}

// Encode is the QR code of text at ECC level M, as Sportello prints it.
func Encode(tb testing.TB, text string) *encoder.QRCode {
	tb.Helper()
	qr, err := encoder.Encoder_encode(text, decoder.ErrorCorrectionLevel_M, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return qr
}

// DrawCode draws the code's modules (dark) and its 4-module quiet zone
// (light) with its top-left module corner at (x0, y0), px pixels a module
// (not necessarily whole), each pixel the mean of 4x4 samples as a camera
// or scanner averages. It returns the code's rectangle, quiet zone
// excluded.
func DrawCode(g *image.Gray, qr *encoder.QRCode, x0, y0, px float64, dark, light uint8) image.Rectangle {
	m := qr.GetMatrix()
	n := m.GetWidth()
	r := image.Rect(int(math.Floor(x0-4*px)), int(math.Floor(y0-4*px)),
		int(math.Ceil(x0+float64(n+4)*px)), int(math.Ceil(y0+float64(n+4)*px))).Intersect(g.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			darkSamples := 0
			for sy := range 4 {
				for sx := range 4 {
					cx := int(math.Floor((float64(x) + (float64(sx)+0.5)/4 - x0) / px))
					cy := int(math.Floor((float64(y) + (float64(sy)+0.5)/4 - y0) / px))
					if cx >= 0 && cy >= 0 && cx < n && cy < n && m.Get(cx, cy) == 1 {
						darkSamples++
					}
				}
			}
			g.SetGray(x, y, grayOf(int(light)+(int(dark)-int(light))*darkSamples/16))
		}
	}
	return image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x0+float64(n)*px)), int(math.Round(y0+float64(n)*px)))
}

func grayOf(v int) color.Gray { return color.Gray{Y: uint8(min(255, max(0, v)))} }

// Desk is a w x h camera frame: a grey desk with some texture and a sheet
// of white paper (the rectangle paper), slightly uneven.
func Desk(w, h int, paper image.Rectangle, seed uint64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 7))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 105 + int(12*math.Sin(float64(x)/37)*math.Cos(float64(y)/23)) + r.IntN(9) - 4
			if (image.Point{x, y}).In(paper) {
				v = 228 + r.IntN(7) - 3 - x*8/w
			}
			g.Pix[y*g.Stride+x] = uint8(v)
		}
	}
	return g
}

// CameraFrame is a 1280x720 desk frame with the code of text on white paper at
// 5 px a module, and where the code is.
func CameraFrame(tb testing.TB, text string, seed uint64) (*image.Gray, image.Rectangle) {
	tb.Helper()
	qr := Encode(tb, text)
	n := float64(qr.GetMatrix().GetWidth())
	side := (n + 8) * 5
	x0, y0 := 420.0, (720-side)/2+20
	g := Desk(1280, 720, image.Rect(int(x0)-60, int(y0)-40, int(x0+side)+90, 720), seed)
	code := DrawCode(g, qr, x0+20, y0+20, 5, 38, 226)
	return blur(g), code
}

// blur is a 3x3 box blur, the softness of a real lens.
func blur(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(g.Rect)
	for y := range h {
		for x := range w {
			s, k := 0, 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if xx, yy := x+dx, y+dy; xx >= 0 && yy >= 0 && xx < w && yy < h {
						s += int(g.Pix[yy*g.Stride+xx])
						k++
					}
				}
			}
			out.Pix[y*out.Stride+x] = uint8(s / k)
		}
	}
	return out
}

// Page is an A4 page at dpi dots per inch, portrait, white, with lines of
// "text" and the code of text at 0.5 mm a module near the bottom left, as
// Sportello prints it, and where the code is.
func Page(tb testing.TB, text string, dpi float64) (*image.Gray, image.Rectangle) {
	tb.Helper()
	mm := dpi / 25.4
	w, h := int(210*mm), int(297*mm)
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 250
	}
	r := rand.New(rand.NewPCG(uint64(dpi), 3))
	for line := 0; line < 40; line++ {
		y := int((30 + 5.5*float64(line)) * mm)
		for x := int(20 * mm); x < int(190*mm); {
			word := int((3 + r.Float64()*12) * mm)
			for yy := y; yy < y+int(2.2*mm); yy++ {
				for xx := x; xx < min(x+word, int(190*mm)); xx++ {
					if r.IntN(3) > 0 {
						g.Pix[yy*g.Stride+xx] = 60
					}
				}
			}
			x += word + int(2*mm)
		}
	}
	qr := Encode(tb, text)
	n := float64(qr.GetMatrix().GetWidth())
	module := 0.5 * mm
	x0, y0 := 20*mm+4*module, 297*mm-16*mm-(n+4)*module
	code := DrawCode(g, qr, x0, y0, module, 20, 250)
	return g, code
}

// PNG encodes a plane.
func PNG(tb testing.TB, g *image.Gray) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// JPEG encodes a plane as a camera does, in YCbCr.
func JPEG(tb testing.TB, g *image.Gray, quality int) []byte {
	tb.Helper()
	y := image.NewYCbCr(g.Rect, image.YCbCrSubsampleRatio420)
	for row := 0; row < g.Rect.Dy(); row++ {
		copy(y.Y[row*y.YStride:], g.Pix[row*g.Stride:row*g.Stride+g.Rect.Dx()])
	}
	for i := range y.Cb {
		y.Cb[i], y.Cr[i] = 128, 128
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, y, &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// exifTIFF is a big-endian TIFF structure with one IFD holding the
// orientation.
func exifTIFF(orientation int) []byte {
	t := []byte("MM\x00\x2a\x00\x00\x00\x08") // byte order, 42, IFD at 8
	t = binary.BigEndian.AppendUint16(t, 1)   // one entry
	t = binary.BigEndian.AppendUint16(t, 0x0112)
	t = binary.BigEndian.AppendUint16(t, 3) // SHORT
	t = binary.BigEndian.AppendUint32(t, 1) // one value
	t = binary.BigEndian.AppendUint16(t, uint16(orientation))
	t = append(t, 0, 0)
	return binary.BigEndian.AppendUint32(t, 0) // no next IFD
}

// WithEXIF returns the JPEG with an APP1 Exif segment, written here by
// hand, holding the orientation, right after its SOI marker.
func WithEXIF(jpg []byte, orientation int) []byte {
	payload := append([]byte("Exif\x00\x00"), exifTIFF(orientation)...)
	seg := []byte{0xff, 0xe1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(2+len(payload)))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// WithPNGEXIF returns the PNG with an eXIf chunk holding the orientation
// after its IHDR chunk.
func WithPNGEXIF(p []byte, orientation int) []byte {
	data := exifTIFF(orientation)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, "eXIf"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	at := 8 + 12 + int(binary.BigEndian.Uint32(p[8:])) // after IHDR
	out := append([]byte{}, p[:at]...)
	out = append(out, chunk...)
	return append(out, p[at:]...)
}

// Stored returns what a camera stores for the upright image g with the
// EXIF orientation o: the inverse of what a viewer does to show it.
func Stored(g *image.Gray, o int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	sw, sh := w, h
	if o >= 5 {
		sw, sh = h, w
	}
	out := image.NewGray(image.Rect(0, 0, sw, sh))
	for y := range h {
		for x := range w {
			// Where the upright pixel (x, y) is kept.
			var sx, sy int
			switch o {
			case 1:
				sx, sy = x, y
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6: // shown turned 90° clockwise: kept turned 90° counter-clockwise
				sx, sy = y, w-1-x
			case 7:
				sx, sy = h-1-y, w-1-x
			case 8:
				sx, sy = h-1-y, x
			}
			out.Pix[sy*out.Stride+sx] = g.Pix[y*g.Stride+x]
		}
	}
	return out
}

// Near says whether the bounds found cover the code and not much more:
// each edge within slack pixels of the code's, outside or inside.
func Near(found, code image.Rectangle, slack int) bool {
	d := func(a, b int) bool { return a-b <= slack && b-a <= slack }
	return d(found.Min.X, code.Min.X) && d(found.Min.Y, code.Min.Y) && d(found.Max.X, code.Max.X) && d(found.Max.Y, code.Max.Y)
}
