package camera

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// lumaAt is the known luminance of pixel (x, y) in the synthetic frames.
func lumaAt(x, y int) byte { return byte(17 + 31*y + 7*x) }

const (
	chromaByte  = 0x80 // U and V samples
	paddingByte = 0xee // bytes past the end of a row, up to the stride
)

// packedFrame builds a YUYV (off 0) or UYVY (off 1) frame of w×h pixels with
// rows stride bytes apart; an odd width gets its last pixel's Y in the first
// byte of a half-filled pair, as 2*w bytes of the row hold it.
func packedFrame(w, h, stride, off int) []byte {
	f := bytes.Repeat([]byte{paddingByte}, stride*h)
	for y := range h {
		row := f[y*stride : y*stride+2*w]
		for i := range row {
			row[i] = chromaByte
		}
		for x := range w {
			row[2*x+off] = lumaAt(x, y)
		}
	}
	return f
}

// planarFrame builds a frame whose first plane is w×h luminance with rows
// stride bytes apart, followed by chromaBytes of chroma (0 for GREY).
func planarFrame(w, h, stride, chromaBytes int) []byte {
	f := bytes.Repeat([]byte{paddingByte}, stride*h)
	for y := range h {
		for x := range w {
			f[y*stride+x] = lumaAt(x, y)
		}
	}
	return append(f, bytes.Repeat([]byte{chromaByte}, chromaBytes)...)
}

func checkLuma(t *testing.T, img *image.Gray, w, h int) {
	t.Helper()
	if img.Rect != image.Rect(0, 0, w, h) || img.Stride != w || len(img.Pix) != w*h {
		t.Fatalf("image: rect %v stride %d len %d, want %dx%d tight", img.Rect, img.Stride, len(img.Pix), w, h)
	}
	for y := range h {
		for x := range w {
			if got, want := img.GrayAt(x, y).Y, lumaAt(x, y); got != want {
				t.Fatalf("Y(%d,%d) = %#x, want %#x", x, y, got, want)
			}
		}
	}
}

func TestPackedFormats(t *testing.T) {
	for _, f := range []pixelFormat{fmtYUYV, fmtUYVY} {
		off := 0
		if f == fmtUYVY {
			off = 1
		}
		// Widths around the 8-pixel blocks of packedRow, odd ones included;
		// strides tight, padded, and too small (taken as tight).
		for _, w := range []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 640} {
			for _, pad := range []int{0, 2, 6, 64} {
				for _, h := range []int{1, 3, 8} {
					stride := 2*w + pad
					c, err := newLumaConverter(f, image.Pt(w, h), stride)
					if err != nil {
						t.Fatal(err)
					}
					img, err := c.convert(nil, packedFrame(w, h, stride, off))
					if err != nil {
						t.Fatalf("%v %dx%d stride %d: %v", f, w, h, stride, err)
					}
					checkLuma(t, img, w, h)
				}
			}
			// A driver reporting no (or a too small) bytes per line.
			c, _ := newLumaConverter(f, image.Pt(w, 2), w)
			img, err := c.convert(nil, packedFrame(w, 2, 2*w, off))
			if err != nil {
				t.Fatal(err)
			}
			checkLuma(t, img, w, 2)
		}
	}
}

func TestPlanarFormats(t *testing.T) {
	for _, f := range []pixelFormat{fmtGREY, fmtNV12, fmtNV21, fmtYU12, fmtYV12} {
		for _, w := range []int{1, 3, 8, 17, 640} {
			for _, pad := range []int{0, 1, 16} {
				h := 5
				stride := w + pad
				chroma := 0
				if f != fmtGREY {
					chroma = stride * ((h + 1) / 2) // both chroma planes, NV12-style
				}
				c, err := newLumaConverter(f, image.Pt(w, h), stride)
				if err != nil {
					t.Fatal(err)
				}
				img, err := c.convert(nil, planarFrame(w, h, stride, chroma))
				if err != nil {
					t.Fatalf("%v %dx%d stride %d: %v", f, w, h, stride, err)
				}
				checkLuma(t, img, w, h)
			}
		}
	}
}

func TestLastRowWithoutPadding(t *testing.T) {
	// Only the bytes of the last row's pixels need be there, not its padding.
	w, h, stride := 5, 3, 8
	frame := planarFrame(w, h, stride, 0)[:stride*(h-1)+w]
	c, _ := newLumaConverter(fmtGREY, image.Pt(w, h), stride)
	img, err := c.convert(nil, frame)
	if err != nil {
		t.Fatal(err)
	}
	checkLuma(t, img, w, h)
}

func TestShortFrames(t *testing.T) {
	for _, f := range []pixelFormat{fmtGREY, fmtYUYV, fmtUYVY, fmtNV12, fmtYU12} {
		row := 16
		if f == fmtYUYV || f == fmtUYVY {
			row = 32
		}
		c, _ := newLumaConverter(f, image.Pt(16, 4), row+4)
		for _, n := range []int{0, 1, (row+4)*3 + row - 1} {
			if _, err := c.convert(nil, make([]byte, n)); !errors.Is(err, errBadFrame) {
				t.Errorf("%v, %d bytes: err = %v, want errBadFrame", f, n, err)
			}
		}
		if _, err := c.convert(nil, make([]byte, (row+4)*3+row)); err != nil {
			t.Errorf("%v, just enough bytes: %v", f, err)
		}
	}
}

func TestConverterReusesImage(t *testing.T) {
	c, _ := newLumaConverter(fmtYUYV, image.Pt(8, 2), 0)
	frame := packedFrame(8, 2, 16, 0)
	a, err := c.convert(nil, frame)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.convert(a, frame)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("an image of the right size was not reused")
	}
	if c := grayOf(image.NewGray(image.Rect(0, 0, 4, 2)), image.Pt(8, 2)); c.Rect.Size() != image.Pt(8, 2) {
		t.Errorf("an image of another size was reused: %v", c.Rect)
	}
}

func TestNewLumaConverterRejects(t *testing.T) {
	if _, err := newLumaConverter(fourcc("H264"), image.Pt(8, 8), 0); !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("H264: err = %v, want ErrUnsupportedFormat", err)
	}
	if _, err := newLumaConverter(fmtGREY, image.Pt(0, 8), 0); err == nil {
		t.Error("a zero width was accepted")
	}
}

func TestChooseFormat(t *testing.T) {
	for _, tc := range []struct {
		offered []pixelFormat
		want    pixelFormat
		ok      bool
	}{
		{[]pixelFormat{fmtMJPG, fmtYUYV}, fmtYUYV, true},
		{[]pixelFormat{fmtMJPG, fmtNV12, fmtUYVY}, fmtUYVY, true},
		{[]pixelFormat{fmtYU12, fmtNV12}, fmtNV12, true},
		{[]pixelFormat{fmtMJPG, fmtYU12}, fmtYU12, true},
		{[]pixelFormat{fourcc("H264"), fmtMJPG}, fmtMJPG, true},
		{[]pixelFormat{fmtYUYV, fmtGREY}, fmtGREY, true},
		{[]pixelFormat{fourcc("H264"), fourcc("RGB3")}, 0, false},
		{nil, 0, false},
	} {
		got, ok := chooseFormat(func(f pixelFormat) bool {
			for _, o := range tc.offered {
				if o == f {
					return true
				}
			}
			return false
		})
		if got != tc.want || ok != tc.ok {
			t.Errorf("chooseFormat(%v) = %v, %v; want %v, %v", tc.offered, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFourCC(t *testing.T) {
	if fmtYUYV != 0x56595559 { // v4l2_fourcc('Y','U','Y','V')
		t.Errorf("YUYV = %#x", uint32(fmtYUYV))
	}
	if fmtMJPG != 0x47504a4d {
		t.Errorf("MJPG = %#x", uint32(fmtMJPG))
	}
	if s := fmtNV12.String(); s != "NV12" {
		t.Errorf("String = %q", s)
	}
	if s := pixelFormat(1).String(); s != "0x00000001" {
		t.Errorf("String of a non-text code = %q", s)
	}
}

// testPicture is a w×h picture with detail (a checkerboard of 8-pixel
// squares, as a QR code's modules, over gradients) and colour.
func testPicture(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(40 + 3*x%150 + y%50)
			if (x/8+y/8)%2 == 0 {
				v = 255 - v/4
			}
			m.SetRGBA(x, y, color.RGBA{v, uint8(x), uint8(y), 255})
		}
	}
	return m
}

func encodeJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// referenceLuma decodes a JPEG image with image/jpeg and returns its
// luminance the generic way.
func referenceLuma(t *testing.T, data []byte) *image.Gray {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	g := image.NewGray(m.Bounds())
	for y := range m.Bounds().Dy() {
		for x := range m.Bounds().Dx() {
			switch c := m.At(x, y).(type) {
			case color.YCbCr:
				g.Pix[y*g.Stride+x] = c.Y
			case color.Gray:
				g.Pix[y*g.Stride+x] = c.Y
			default:
				t.Fatalf("decoded colour %T", c)
			}
		}
	}
	return g
}

// dropDHT returns the JPEG image without its DHT segments, as many UVC
// cameras send MJPEG frames.
func dropDHT(t *testing.T, data []byte) []byte {
	t.Helper()
	out := append([]byte(nil), data[:2]...)
	i := 2
	for {
		if data[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		if data[i+1] == markerSOS {
			return append(out, data[i:]...)
		}
		n := 2 + (int(data[i+2])<<8 | int(data[i+3]))
		if data[i+1] != markerDHT {
			out = append(out, data[i:i+n]...)
		}
		i += n
	}
}

// dhtOf returns the first DHT segment of a JPEG image.
func dhtOf(t *testing.T, data []byte) []byte {
	t.Helper()
	for i := 2; i+4 < len(data); {
		n := 2 + (int(data[i+2])<<8 | int(data[i+3]))
		if data[i+1] == markerDHT {
			return data[i : i+n]
		}
		i += n
	}
	t.Fatal("no DHT segment")
	return nil
}

func TestMJPEG(t *testing.T) {
	colour := testPicture(64, 48)
	gray := image.NewGray(colour.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = colour.Pix[4*i]
	}
	for _, tc := range []struct {
		name string
		m    image.Image
	}{
		{"colour 4:2:0", colour},
		{"colour odd size", colour.SubImage(image.Rect(0, 0, 37, 23))},
		{"grayscale", gray},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := encodeJPEG(t, tc.m)
			size := tc.m.Bounds().Size()
			want := referenceLuma(t, data)
			for _, variant := range []struct {
				name string
				data []byte
			}{{"with tables", data}, {"without tables", dropDHT(t, data)}} {
				c, err := newLumaConverter(fmtMJPG, size, 0)
				if err != nil {
					t.Fatal(err)
				}
				img, err := c.convert(nil, variant.data)
				if err != nil {
					t.Fatalf("%s: %v", variant.name, err)
				}
				if img.Rect != (image.Rectangle{Max: size}) || img.Stride != size.X {
					t.Fatalf("%s: rect %v stride %d", variant.name, img.Rect, img.Stride)
				}
				if !bytes.Equal(img.Pix, want.Pix) {
					t.Errorf("%s: luminance differs from the decoder's", variant.name)
				}
				// And it is the picture's: JPEG is lossy, so close to it.
				src := image.NewGray(tc.m.Bounds())
				for y := range size.Y {
					for x := range size.X {
						src.Set(x, y, tc.m.At(x, y))
					}
				}
				var diff int
				for i := range src.Pix {
					d := int(src.Pix[i]) - int(img.Pix[i])
					diff += d * d
				}
				if mse := diff / len(src.Pix); mse > 40 {
					t.Errorf("%s: mean squared error %d from the picture", variant.name, mse)
				}
			}
		})
	}
}

func TestMJPEGSizeChange(t *testing.T) {
	// A camera whose JPEG frames are not of the agreed size: the image is.
	c, _ := newLumaConverter(fmtMJPG, image.Pt(64, 48), 0)
	dst := image.NewGray(image.Rect(0, 0, 64, 48))
	img, err := c.convert(dst, encodeJPEG(t, testPicture(32, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Size() != image.Pt(32, 16) || img.Stride != 32 {
		t.Errorf("rect %v stride %d, want 32x16", img.Rect, img.Stride)
	}
}

func TestMJPEGBadFrames(t *testing.T) {
	c, _ := newLumaConverter(fmtMJPG, image.Pt(64, 48), 0)
	good := encodeJPEG(t, testPicture(64, 48))
	for name, frame := range map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("not a jpeg at all"),
		"truncated": good[:len(good)/3],
		"SOI only":  {0xff, 0xd8},
	} {
		if _, err := c.convert(nil, frame); !errors.Is(err, errBadFrame) {
			t.Errorf("%s: err = %v, want errBadFrame", name, err)
		}
	}
	// Trailing bytes after EOI, as some drivers leave, are ignored.
	if _, err := c.convert(nil, append(append([]byte(nil), good...), make([]byte, 100)...)); err != nil {
		t.Errorf("padded frame: %v", err)
	}
}

func TestStandardDHT(t *testing.T) {
	// Go's encoder writes the Annex K.3 tables, in one DHT segment.
	got, want := standardDHT, dhtOf(t, encodeJPEG(t, testPicture(16, 16)))
	if !bytes.Equal(got, want) {
		t.Errorf("standardDHT differs from the tables of image/jpeg's encoder:\n got %x\nwant %x", got, want)
	}
	noDHT := dropDHT(t, encodeJPEG(t, testPicture(16, 16)))
	if _, err := jpeg.Decode(bytes.NewReader(noDHT)); err == nil {
		t.Error("image/jpeg now decodes frames without Huffman tables: the insertion may go")
	}
	if !needsHuffmanTables(noDHT) {
		t.Error("needsHuffmanTables missed a frame without tables")
	}
	if needsHuffmanTables(encodeJPEG(t, testPicture(16, 16))) {
		t.Error("needsHuffmanTables wants tables for a frame that has them")
	}
	for _, b := range [][]byte{nil, {0xff}, {0xff, 0xd8, 0xff}, {0xff, 0xd8, 0x00, 0x00}, {0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff}} {
		if needsHuffmanTables(b) {
			t.Errorf("needsHuffmanTables(%x) = true", b)
		}
	}
}

// Benchmarks: one 1280×720 frame to luminance.

func benchConvert(b *testing.B, f pixelFormat, frame []byte) {
	c, err := newLumaConverter(f, image.Pt(1280, 720), 0)
	if err != nil {
		b.Fatal(err)
	}
	img, err := c.convert(nil, frame)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if img, err = c.convert(img, frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkYUYV720p(b *testing.B) { benchConvert(b, fmtYUYV, packedFrame(1280, 720, 2560, 0)) }
func BenchmarkUYVY720p(b *testing.B) { benchConvert(b, fmtUYVY, packedFrame(1280, 720, 2560, 1)) }
func BenchmarkNV12720p(b *testing.B) {
	benchConvert(b, fmtNV12, planarFrame(1280, 720, 1280, 1280*360))
}

func BenchmarkMJPEG720p(b *testing.B) {
	benchConvert(b, fmtMJPG, encodeJPEG(b, testPicture(1280, 720)))
}

// BenchmarkYUYV720pGeneric is the per-pixel conversion through the image
// interfaces that the tight loops replace, for comparison.
func BenchmarkYUYV720pGeneric(b *testing.B) {
	frame := packedFrame(1280, 720, 2560, 0)
	src := &image.YCbCr{
		Y: make([]byte, 1280*720), Cb: make([]byte, 640*720), Cr: make([]byte, 640*720),
		YStride: 1280, CStride: 640, SubsampleRatio: image.YCbCrSubsampleRatio422,
		Rect: image.Rect(0, 0, 1280, 720),
	}
	dst := image.NewGray(src.Rect)
	b.ReportAllocs()
	for b.Loop() {
		for i := range src.Y {
			src.Y[i] = frame[2*i]
			src.Cb[i/2] = frame[4*(i/2)+1]
			src.Cr[i/2] = frame[4*(i/2)+3]
		}
		for y := range 720 {
			for x := range 1280 {
				dst.Set(x, y, src.At(x, y))
			}
		}
	}
}
