package scan

import (
	"errors"
	"image"

	"github.com/makiuchi-d/gozxing"
)

// graySource is a gozxing.LuminanceSource over an 8-bit luminance plane,
// as gozxing's own RGBLuminanceSource is over its byte slice: rows are
// handed out as they are, with no conversion per pixel. The plane's Pix
// starts at Rect.Min (as image.Gray.SubImage makes it), so row y of the
// source is Pix[y*Stride:].
type graySource struct {
	gozxing.LuminanceSourceBase
	g *image.Gray
}

func newGraySource(g *image.Gray) *graySource {
	return &graySource{LuminanceSourceBase: gozxing.LuminanceSourceBase{Width: g.Rect.Dx(), Height: g.Rect.Dy()}, g: g}
}

// GetRow returns row y of the plane.
func (s *graySource) GetRow(y int, row []byte) ([]byte, error) {
	if y < 0 || y >= s.Height {
		return row, errors.New("IllegalArgumentException: requested row is outside the image")
	}
	if len(row) < s.Width {
		row = make([]byte, s.Width)
	}
	off := y * s.g.Stride
	copy(row, s.g.Pix[off:off+s.Width])
	return row, nil
}

// GetMatrix returns the plane row after row, width bytes each: the plane's
// own bytes when its rows are contiguous, a copy otherwise.
func (s *graySource) GetMatrix() []byte {
	w, h := s.Width, s.Height
	if s.g.Stride == w {
		return s.g.Pix[:w*h]
	}
	m := make([]byte, w*h)
	for y := range h {
		copy(m[y*w:(y+1)*w], s.g.Pix[y*s.g.Stride:])
	}
	return m
}

// IsCropSupported says that Crop works.
func (s *graySource) IsCropSupported() bool { return true }

// Crop returns the source of a part of the plane, sharing its bytes.
func (s *graySource) Crop(left, top, width, height int) (gozxing.LuminanceSource, error) {
	if left < 0 || top < 0 || width <= 0 || height <= 0 || left+width > s.Width || top+height > s.Height {
		return nil, errors.New("IllegalArgumentException: crop rectangle does not fit within image data")
	}
	o := s.g.Rect.Min
	return newGraySource(s.g.SubImage(image.Rect(o.X+left, o.Y+top, o.X+left+width, o.Y+top+height)).(*image.Gray)), nil
}

// Invert returns the source with luminances inverted.
func (s *graySource) Invert() gozxing.LuminanceSource { return gozxing.LuminanceSourceInvert(s) }

// String draws the plane in characters, for debugging.
func (s *graySource) String() string { return gozxing.LuminanceSourceString(s) }

// fixedBinarizer hands out a bit matrix made beforehand (the flipped
// matrix of an inverted reading).
type fixedBinarizer struct {
	src gozxing.LuminanceSource
	m   *gozxing.BitMatrix
}

func (b *fixedBinarizer) GetLuminanceSource() gozxing.LuminanceSource { return b.src }
func (b *fixedBinarizer) GetWidth() int                               { return b.m.GetWidth() }
func (b *fixedBinarizer) GetHeight() int                              { return b.m.GetHeight() }
func (b *fixedBinarizer) GetBlackMatrix() (*gozxing.BitMatrix, error) { return b.m, nil }

func (b *fixedBinarizer) GetBlackRow(y int, row *gozxing.BitArray) (*gozxing.BitArray, error) {
	return b.m.GetRow(y, row), nil
}

func (b *fixedBinarizer) CreateBinarizer(source gozxing.LuminanceSource) gozxing.Binarizer {
	return gozxing.NewHybridBinarizer(source)
}
