package scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Glyph-like contents of QR versions 12 to 17 at ECC M (676 Base45
// characters: a family of five with codici fiscali, reference.md §5).
var glyphSizes = []struct {
	n       int
	version int
}{{400, 12}, {520, 14}, {676, 17}}

func TestGlyphVersions(t *testing.T) {
	for _, s := range glyphSizes {
		if v := Encode(t, GlyphText(1, s.n)).GetVersion().GetVersionNumber(); v != s.version {
			t.Errorf("%d characters: version %d, want %d", s.n, v, s.version)
		}
	}
}

func TestFrameClean(t *testing.T) {
	for i, s := range glyphSizes {
		text := GlyphText(uint64(i), s.n)
		frame, code := CameraFrame(t, text, uint64(i))
		res, err := Frame(frame)
		if err != nil {
			t.Fatalf("version %d: %v", s.version, err)
		}
		if res.Text != text {
			t.Errorf("version %d: read %q", s.version, res.Text)
		}
		if !Near(res.Bounds, code, 6) {
			t.Errorf("version %d: bounds %v, the code is at %v", s.version, res.Bounds, code)
		}
	}
}

// A frame given as a sub-image of a larger plane: its Rect does not start
// at (0, 0) and its Stride is wider than it.
func TestFrameSubImage(t *testing.T) {
	text := GlyphText(7, 600)
	frame, code := CameraFrame(t, text, 7)
	big := image.NewGray(image.Rect(-100, 50, 1600, 1000))
	for i := range big.Pix {
		big.Pix[i] = 0 // black outside the frame: a read of the whole plane would see it
	}
	at := image.Pt(130, 170)
	for y := range 720 {
		copy(big.Pix[big.PixOffset(at.X, at.Y+y):], frame.Pix[y*frame.Stride:y*frame.Stride+1280])
	}
	sub := big.SubImage(image.Rect(at.X, at.Y, at.X+1280, at.Y+720)).(*image.Gray)
	res, err := Frame(sub)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != text {
		t.Errorf("read %q", res.Text)
	}
	if want := code.Add(at); !Near(res.Bounds, want, 6) {
		t.Errorf("bounds %v, the code is at %v", res.Bounds, want)
	}
	// A crop that cuts the code in half reads nothing.
	half := big.SubImage(image.Rect(at.X, at.Y, at.X+code.Min.X+code.Dx()/2, at.Y+720)).(*image.Gray)
	if _, err := Frame(half); !errors.Is(err, ErrNotFound) {
		t.Errorf("half a code: %v", err)
	}
}

func TestFrameEmpty(t *testing.T) {
	frame := blur(Desk(1280, 720, image.Rect(400, 100, 900, 720), 3))
	if res, err := Frame(frame); !errors.Is(err, ErrNotFound) {
		t.Errorf("no code: %+v, %v", res, err)
	}
	if _, err := Frame(image.NewGray(image.Rect(0, 0, 0, 0))); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty plane: %v", err)
	}
	bad := &image.Gray{Pix: make([]byte, 100), Stride: 10, Rect: image.Rect(0, 0, 100, 100)}
	if _, err := Frame(bad); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("malformed plane: %v", err)
	}
	if _, err := Frame(nil); err == nil {
		t.Error("nil plane: no error")
	}
}

// A light code on a dark ground (a screen in dark mode, a negative print).
func TestFrameInverted(t *testing.T) {
	text := GlyphText(9, 500)
	frame, code := CameraFrame(t, text, 9)
	for i := range frame.Pix {
		frame.Pix[i] = 255 - frame.Pix[i]
	}
	res, err := Frame(frame)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != text || !Near(res.Bounds, code, 6) {
		t.Errorf("read %q at %v, the code is at %v", res.Text, res.Bounds, code)
	}
}

// A Scanner follows the code from frame to frame (the code small enough
// for the region around it to be read first), loses it when it goes,
// finds it again when it comes back.
func TestScanner(t *testing.T) {
	text := GlyphText(11, 400)
	frame, code := CameraFrame(t, text, 11)
	empty := blur(Desk(1280, 720, image.Rect(380, 60, 900, 720), 11))
	moved := image.NewGray(frame.Rect) // the code 40 px to the left, 12 px up
	for i := range moved.Pix {
		moved.Pix[i] = 110
	}
	for y := 12; y < 720; y++ {
		copy(moved.Pix[(y-12)*moved.Stride:], frame.Pix[y*frame.Stride+40:(y+1)*frame.Stride])
	}
	s := NewScanner()
	for i, f := range []struct {
		g    *image.Gray
		code image.Rectangle
	}{{frame, code}, {moved, code.Sub(image.Pt(40, 12))}, {moved, code.Sub(image.Pt(40, 12))}, {empty, image.Rectangle{}}, {frame, code}} {
		res, err := s.Frame(f.g)
		if f.code.Empty() {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("frame %d: %+v, %v", i, res, err)
			}
			continue
		}
		if err != nil || res.Text != text || !Near(res.Bounds, f.code, 6) {
			t.Errorf("frame %d: %v, bounds %v, the code is at %v", i, err, res.Bounds, f.code)
		}
	}
}

// finderTiles is a w x h plane tiled with finder patterns of px pixels a
// module, every pitch pixels: a poster, or a file made to stall a decoder.
func finderTiles(w, h, px, pitch int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	for oy := 0; oy+7*px <= h; oy += pitch {
		for ox := 0; ox+7*px <= w; ox += pitch {
			for y := range 7 * px {
				for x := range 7 * px {
					if ring := max(abs(x/px-3), abs(y/px-3)); ring == 3 || ring <= 1 {
						g.Pix[(oy+y)*g.Stride+ox+x] = 0
					}
				}
			}
		}
	}
	return g
}

func abs(v int) int { return max(v, -v) }

// Thousands of finder patterns: gozxing alone weighed every triple of them
// for seconds, its multi-code reader for minutes. Now a bounded no.
func TestFinderTiles(t *testing.T) {
	for _, c := range []struct{ px, pitch int }{{4, 40}, {3, 30}, {2, 20}, {1, 10}} {
		g := finderTiles(1280, 720, c.px, c.pitch)
		done := make(chan error, 2)
		start := time.Now()
		go func() {
			_, err := Frame(g)
			done <- err
			_, err = Image(PNG(t, g))
			done <- err
		}()
		for range 2 {
			select {
			case err := <-done:
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("%d px a module: %v", c.px, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%d px a module: still reading after 10 s", c.px)
			}
		}
		t.Logf("%d px a module: %v", c.px, time.Since(start))
	}
}

// An A4 page at 150 dpi, the code at 0.5 mm a module (about 3 px), as PNG
// and as JPEG.
func TestImagePage(t *testing.T) {
	text := GlyphText(21, 650)
	page, code := Page(t, text, 150)
	for name, data := range map[string][]byte{"PNG": PNG(t, page), "JPEG": JPEG(t, page, 85)} {
		res, err := Image(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if res.Text != text || !Near(res.Bounds, code, 8) {
			t.Errorf("%s: read %q at %v, the code is at %v", name, res.Text, res.Bounds, code)
		}
		if res2, err := Bytes(data); err != nil || res2 != res {
			t.Errorf("%s: Bytes: %+v, %v", name, res2, err)
		}
	}
}

// A phone photo of the page: 3000x4000 upright, stored as 4000x3000 with
// EXIF orientation 6, as JPEG (APP1) and as PNG (eXIf).
func TestImagePhotoEXIF(t *testing.T) {
	text := GlyphText(22, 600)
	upright, code := photo(t, text)
	stored := Stored(upright, 6)
	if stored.Rect.Dx() != 4000 || stored.Rect.Dy() != 3000 {
		t.Fatalf("stored %v", stored.Rect)
	}
	for name, data := range map[string][]byte{
		"JPEG": WithEXIF(JPEG(t, stored, 85), 6),
		"PNG":  WithPNGEXIF(PNG(t, stored), 6),
	} {
		res, err := Image(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// The bounds are where the code is upright, not where it is stored.
		if res.Text != text || !Near(res.Bounds, code, 16) {
			t.Errorf("%s: read %q at %v, the code is at %v", name, res.Text, res.Bounds, code)
		}
	}
}

// photo is an A4 page photographed to fill a 3000x4000 portrait frame, on
// a desk; the modules are about 6.5 px.
func photo(tb testing.TB, text string) (*image.Gray, image.Rectangle) {
	tb.Helper()
	mm := 4000 / 310.0 // the frame is 232.5 x 310 mm
	page := image.Rect(int(11*mm), int(6.5*mm), int(221*mm), int(303.5*mm))
	g := Desk(3000, 4000, page, 5)
	qr := Encode(tb, text)
	n := float64(qr.GetMatrix().GetWidth())
	module := 0.5 * mm
	code := DrawCode(g, qr, float64(page.Min.X)+20*mm, float64(page.Max.Y)-16*mm-n*module, module, 30, 225)
	return g, code
}

// Each of the eight EXIF orientations, on a small page: the bounds must
// come out where the code is upright.
func TestOrientations(t *testing.T) {
	text := GlyphText(23, 420)
	qr := Encode(t, text)
	upright := Desk(640, 900, image.Rect(20, 20, 620, 880), 23)
	code := DrawCode(upright, qr, 60, 420, 5, 30, 228)
	for o := 1; o <= 8; o++ {
		stored := Stored(upright, o)
		for name, data := range map[string][]byte{
			"JPEG": WithEXIF(JPEG(t, stored, 90), o),
			"PNG":  WithPNGEXIF(PNG(t, stored), o),
		} {
			if got := map[string]func([]byte) int{"JPEG": jpegOrientation, "PNG": pngOrientation}[name](data); got != o {
				t.Errorf("%s %d: orientation read %d", name, o, got)
			}
			res, err := Image(data)
			if err != nil || res.Text != text || !Near(res.Bounds, code, 8) {
				t.Errorf("%s orientation %d: %v, bounds %v, the code is at %v", name, o, err, res.Bounds, code)
			}
		}
	}
}

func TestImageInverted(t *testing.T) {
	text := GlyphText(24, 500)
	page, code := Page(t, text, 300)
	for i := range page.Pix {
		page.Pix[i] = 255 - page.Pix[i]
	}
	res, err := Image(PNG(t, page))
	if err != nil || res.Text != text || !Near(res.Bounds, code, 8) {
		t.Errorf("%v: %q at %v, the code is at %v", err, res.Text, res.Bounds, code)
	}
}

// Pixel layouts other than Gray and YCbCr, transparency on white.
func TestToGray(t *testing.T) {
	n := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	copy(n.Pix, []byte{0, 0, 0, 0, 255, 0, 0, 255}) // transparent black, opaque red
	g := toGray(n)
	if g.Pix[0] != 255 || g.Pix[1] != 76 {
		t.Errorf("NRGBA: %v", g.Pix)
	}
	r := image.NewRGBA(image.Rect(0, 0, 2, 1))
	copy(r.Pix, []byte{0, 0, 0, 0, 0, 0, 128, 128}) // transparent, half-transparent blue
	if g := toGray(r); g.Pix[0] != 255 || g.Pix[1] != 142 {
		t.Errorf("RGBA: %v", g.Pix)
	}
	c := image.NewCMYK(image.Rect(0, 0, 1, 1))
	copy(c.Pix, []byte{0, 0, 0, 255})
	if g := toGray(c); g.Pix[0] != 0 {
		t.Errorf("CMYK black: %v", g.Pix)
	}
}

func TestUnsupported(t *testing.T) {
	text := []byte("Comune di Valdoria\nCertificato di residenza\n")
	if _, err := Bytes(text); !errors.Is(err, ErrUnsupportedFile) {
		t.Errorf("text: %v", err)
	}
	if _, err := Bytes(nil); !errors.Is(err, ErrUnsupportedFile) {
		t.Errorf("nothing: %v", err)
	}
	f := filepath.Join(t.TempDir(), "certificato.pdf") // the name says PDF, the content does not
	os.WriteFile(f, text, 0o600)
	if _, err := File(f); !errors.Is(err, ErrUnsupportedFile) {
		t.Errorf("text file: %v", err)
	}
	page, _ := Page(t, GlyphText(1, 400), 100)
	p := PNG(t, page)
	if _, err := PDF(p); !errors.Is(err, ErrUnsupportedFile) {
		t.Errorf("PDF(PNG): %v", err)
	}
	if _, err := Image([]byte("%PDF-1.7\n")); !errors.Is(err, ErrUnsupportedFile) {
		t.Errorf("Image(PDF): %v", err)
	}
	if _, err := File(filepath.Join(t.TempDir(), "none.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no file: %v", err)
	}
}

func TestUnreadable(t *testing.T) {
	page, _ := Page(t, GlyphText(2, 400), 100)
	p, j := PNG(t, page), JPEG(t, page, 85)
	flipped := append([]byte{}, p...)
	flipped[len(flipped)/2] ^= 0xff // in IDAT: its CRC no longer matches
	cases := map[string][]byte{
		"truncated PNG":  p[:len(p)/2],
		"corrupt PNG":    flipped,
		"PNG header":     p[:40],
		"truncated JPEG": j[:len(j)/2],
		"JPEG header":    j[:20],
		"PDF header":     []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
		"junk PDF":       append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"), 10)...),
	}
	for name, data := range cases {
		if res, err := Bytes(data); !errors.Is(err, ErrUnreadableFile) {
			t.Errorf("%s: %+v, %v", name, res, err)
		}
	}
}

func TestTooLarge(t *testing.T) {
	// A PNG declaring 10000x10000 pixels: refused by its header.
	ihdr := binary.BigEndian.AppendUint32(nil, 10000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 10000)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit grey
	p := []byte("\x89PNG\r\n\x1a\n")
	p = append(p, chunk("IHDR", ihdr)...)
	p = append(p, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	p = append(p, chunk("IEND", nil)...)
	if _, err := Image(p); !errors.Is(err, ErrTooLarge) {
		t.Errorf("PNG 10000x10000: %v", err)
	}
	// A JPEG declaring 8000x8000 (its SOF0 rewritten).
	page, _ := Page(t, GlyphText(3, 400), 50)
	j := JPEG(t, page, 85)
	at := bytes.Index(j, []byte{0xff, 0xc0})
	if at < 0 {
		t.Fatal("no SOF0")
	}
	binary.BigEndian.PutUint16(j[at+5:], 8000)
	binary.BigEndian.PutUint16(j[at+7:], 8000)
	if _, err := Image(j); !errors.Is(err, ErrTooLarge) {
		t.Errorf("JPEG 8000x8000: %v", err)
	}
	// A file beyond MaxFileBytes is not read.
	f := filepath.Join(t.TempDir(), "big.png")
	os.WriteFile(f, p, 0o600)
	if err := os.Truncate(f, MaxFileBytes+1); err != nil {
		t.Fatal(err)
	}
	if _, err := File(f); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big file: %v", err)
	}
	if _, err := Bytes(make([]byte, MaxFileBytes+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big bytes: %v", err)
	}
	// A plane above MaxPixels.
	if _, err := Frame(&image.Gray{Stride: 10000, Rect: image.Rect(0, 0, 10000, 5001)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big plane: %v", err)
	}
}

func chunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// FuzzBytes: no input makes Bytes panic, and every error is one of the
// four (or a malformed-plane error, which Bytes cannot give).
func FuzzBytes(f *testing.F) {
	small := Desk(200, 200, image.Rect(0, 0, 200, 200), 1)
	DrawCode(small, Encode(f, "TD1:FUZZ"), 40, 40, 4, 0, 255)
	f.Add(PNG(f, small))
	f.Add(JPEG(f, small, 70))
	f.Add(WithEXIF(JPEG(f, small, 50), 6))
	f.Add(simplePDF(f, "0 g 100 100 20 20 re f q 2 0 0 2 0 0 cm 10 10 m 20 10 l 20 20 l h f* Q /Im1 Do"))
	f.Add([]byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"))
	f.Add([]byte("hello"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return // keep each input's work bounded
		}
		_, err := Bytes(data)
		if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrUnsupportedFile) &&
			!errors.Is(err, ErrUnreadableFile) && !errors.Is(err, ErrTooLarge) {
			t.Errorf("error %v is none of the four", err)
		}
	})
}

// simplePDF is a one-page A4 PDF with the content stream given.
func simplePDF(tb testing.TB, content string) []byte {
	tb.Helper()
	return buildPDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
		stream("", content),
	})
}

// stream is a stream object with the dictionary entries and content given.
func stream(dict, content string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(content), content)
}

// buildPDF writes objects 1, 2, ... with a cross-reference table; object
// 1 is the catalog.
func buildPDF(objects []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// Codes drawn as vectors in other ways than Sportello's: one path of
// squares, polygons, a form XObject, a white background first. Each code
// is drawn in two halves under different transformations that put them
// together only if cm, q/Q and the form's matrix are composed right.
func TestPDFVectors(t *testing.T) {
	text := GlyphText(31, 520)
	m := Encode(t, text).GetMatrix()
	n := m.GetWidth()
	// The rows of the code from..to as squares or polygons (runs), in
	// module units divided by div, y up.
	draw := func(from, to int, polygons bool, div float64) string {
		var b bytes.Buffer
		f := func(v int) float64 { return float64(v) / div }
		for y := from; y < to; y++ {
			for x := 0; x < n; {
				if m.Get(x, y) != 1 {
					x++
					continue
				}
				start := x
				for x < n && m.Get(x, y) == 1 {
					if !polygons {
						fmt.Fprintf(&b, "%g %g %g %g re\n", f(x), f(n-1-y), f(1), f(1))
					}
					x++
				}
				if polygons {
					fmt.Fprintf(&b, "%g %g m %g %g l %g %g l %g %g l h\n", f(start), f(n-1-y), f(x), f(n-1-y), f(x), f(n-y), f(start), f(n-y))
				}
			}
		}
		return b.String()
	}
	top, bottom := draw(0, n/2, false, 1), draw(n/2, n, false, 2)
	cases := map[string][]byte{
		"squares in one path": simplePDF(t, "1 g 0 0 595 842 re f 0 g\n"+
			"q 1.5 0 0 1.5 200 300 cm\n"+top+"f Q\n"+
			"q 1 0 0 1 200 300 cm q 3 0 0 3 0 0 cm\n"+bottom+"f Q Q"),
		"polygons turned 90°": simplePDF(t, "0 0 0 rg\n"+
			"q 0 1.5 -1.5 0 400 200 cm\n"+draw(0, n/2, true, 1)+"f* Q\n"+
			"q 1 0 0 1 400 200 cm 0 1 -1 0 0 0 cm 3 0 0 3 0 0 cm\n"+draw(n/2, n, true, 2)+"f* Q"),
		"form": buildPDF([]string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /Fm1 5 0 R >> >> >>",
			stream("", "q 1.5 0 0 1.5 200 300 cm\n"+top+"f Q\nq 1 0 0 1 200 300 cm /Fm1 Do Q"),
			stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 %d %d] /Matrix [3 0 0 3 0 0]", n, n), "0 g\n"+bottom+"f"),
		}),
	}
	for name, data := range cases {
		res, err := PDF(data)
		if err != nil || res.Text != text {
			t.Errorf("%s: %q, %v", name, res.Text, err)
		}
	}
	// The halves put together wrongly (the translation scaled too): no code.
	if _, err := PDF(simplePDF(t, "q 1.5 0 0 1.5 200 300 cm\n"+top+"f Q q 3 0 0 3 0 0 cm 1 0 0 1 200 300 cm\n"+bottom+"f Q")); !errors.Is(err, ErrNotFound) {
		t.Errorf("halves apart: %v", err)
	}
	// Light modules on white: nothing to read.
	if _, err := PDF(simplePDF(t, "1 g\n"+top+bottom+"f")); !errors.Is(err, ErrNotFound) {
		t.Errorf("white on white: %v", err)
	}
	if _, err := PDF(simplePDF(t, "BT /F1 12 Tf 100 700 Td (no code here) Tj ET")); !errors.Is(err, ErrNotFound) {
		t.Errorf("text only: %v", err)
	}
}

func BenchmarkFrameClean(b *testing.B) {
	text := GlyphText(41, 600)
	frame, _ := CameraFrame(b, text, 41)
	for b.Loop() {
		res, err := Frame(frame)
		if err != nil || res.Text != text {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/frame")
}

func BenchmarkFrameEmpty(b *testing.B) {
	frame := blur(Desk(1280, 720, image.Rect(400, 100, 900, 720), 3))
	for b.Loop() {
		if _, err := Frame(frame); !errors.Is(err, ErrNotFound) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/frame")
}

// A Scanner on a stream where the code stays in view: the region it was
// last read in is tried first.
func BenchmarkScannerTracking(b *testing.B) {
	text := GlyphText(41, 600)
	frame, _ := CameraFrame(b, text, 41)
	s := NewScanner()
	for b.Loop() {
		if res, err := s.Frame(frame); err != nil || res.Text != text {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/frame")
}

func BenchmarkImagePhoto(b *testing.B) {
	text := GlyphText(42, 600)
	upright, _ := photo(b, text)
	data := WithEXIF(JPEG(b, Stored(upright, 6), 85), 6)
	for b.Loop() {
		if res, err := Image(data); err != nil || res.Text != text {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/image")
}
