package camera

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
)

// pixelFormat is a V4L2 FourCC pixel format code; other backends map their
// formats to these.
type pixelFormat uint32

// fourcc packs a four-letter code the way V4L2's v4l2_fourcc does.
func fourcc(s string) pixelFormat {
	return pixelFormat(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
}

func (f pixelFormat) String() string {
	b := []byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)}
	for _, c := range b {
		if c < ' ' || c > '~' {
			return fmt.Sprintf("%#08x", uint32(f))
		}
	}
	return string(b)
}

// The pixel formats luminance can be read from.
var (
	fmtGREY = fourcc("GREY") // 8-bit luminance
	fmtYUYV = fourcc("YUYV") // packed 4:2:2, Y0 U Y1 V
	fmtUYVY = fourcc("UYVY") // packed 4:2:2, U Y0 V Y1
	fmtNV12 = fourcc("NV12") // Y plane, then interleaved Cb/Cr
	fmtNV21 = fourcc("NV21") // Y plane, then interleaved Cr/Cb
	fmtYU12 = fourcc("YU12") // I420: Y plane, then Cb, then Cr
	fmtYV12 = fourcc("YV12") // Y plane, then Cr, then Cb
	fmtMJPG = fourcc("MJPG") // a JPEG image per frame
	fmtJPEG = fourcc("JPEG") // the same, as some drivers name it
)

// formatPreference is the order in which Open picks among the formats a camera
// offers: luminance as it is first, then cheap extraction, JPEG last since it
// costs a decode per frame.
var formatPreference = []pixelFormat{
	fmtGREY, fmtYUYV, fmtUYVY, fmtNV12, fmtNV21, fmtYU12, fmtYV12, fmtMJPG, fmtJPEG,
}

// chooseFormat returns the most preferred of the offered formats.
func chooseFormat(offered func(pixelFormat) bool) (pixelFormat, bool) {
	for _, f := range formatPreference {
		if offered(f) {
			return f, true
		}
	}
	return 0, false
}

// readable says whether luminance can be read from frames in f.
func readable(f pixelFormat) bool {
	_, ok := chooseFormat(func(g pixelFormat) bool { return g == f })
	return ok
}

// errBadFrame marks a frame that cannot be read (short, or not a JPEG image):
// the stream skips it and waits for the next one.
var errBadFrame = errors.New("camera: unreadable frame")

// lumaConverter reads the luminance out of frames of one format and size.
type lumaConverter struct {
	format pixelFormat
	size   image.Point
	// stride is the distance in bytes between the starts of two rows of the
	// Y data in a frame (bytesperline).
	stride int
	// jpegBuf is scratch space for JPEG frames that lack Huffman tables.
	jpegBuf []byte
}

// newLumaConverter returns a converter for frames of format f and size; stride
// is the driver's bytes per line of the Y data, 0 (or a value too small to
// hold a row) for tightly packed rows.
func newLumaConverter(f pixelFormat, size image.Point, stride int) (*lumaConverter, error) {
	if !readable(f) {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedFormat, f)
	}
	if size.X <= 0 || size.Y <= 0 {
		return nil, fmt.Errorf("camera: bad frame size %v", size)
	}
	row := size.X // bytes of one row
	if f == fmtYUYV || f == fmtUYVY {
		row = 2 * size.X
	}
	if stride < row {
		stride = row
	}
	return &lumaConverter{format: f, size: size, stride: stride}, nil
}

// convert reads the luminance of frame into dst, which it returns; dst is
// reallocated when nil or of another size (a JPEG frame may be of another
// size than agreed). Errors wrap errBadFrame for frames to skip.
func (c *lumaConverter) convert(dst *image.Gray, frame []byte) (*image.Gray, error) {
	if c.format == fmtMJPG || c.format == fmtJPEG {
		return c.jpegLuma(dst, frame)
	}
	w, h := c.size.X, c.size.Y
	dst = grayOf(dst, c.size)
	switch c.format {
	case fmtYUYV, fmtUYVY:
		if len(frame) < c.stride*(h-1)+2*w {
			return dst, shortFrame(len(frame), c)
		}
		off := 0
		if c.format == fmtUYVY {
			off = 1
		}
		packedLuma(dst.Pix, w, h, frame, c.stride, off)
	default: // GREY and the planar formats: the Y plane comes first
		if len(frame) < c.stride*(h-1)+w {
			return dst, shortFrame(len(frame), c)
		}
		planeLuma(dst.Pix, w, h, frame, c.stride)
	}
	return dst, nil
}

func shortFrame(n int, c *lumaConverter) error {
	return fmt.Errorf("%w: %d bytes for a %dx%d %v frame with %d bytes per line",
		errBadFrame, n, c.size.X, c.size.Y, c.format, c.stride)
}

// grayOf returns dst if it is a w×h image at the origin with tight rows,
// otherwise a new one.
func grayOf(dst *image.Gray, size image.Point) *image.Gray {
	if dst != nil && dst.Rect.Min == (image.Point{}) && dst.Rect.Max == size &&
		dst.Stride == size.X && len(dst.Pix) == size.X*size.Y {
		return dst
	}
	return image.NewGray(image.Rectangle{Max: size})
}

// planeLuma copies a w×h plane of bytes, whose rows start stride bytes apart
// in src, into the tight rows of dst. src holds at least stride*(h-1)+w bytes.
func planeLuma(dst []byte, w, h int, src []byte, stride int) {
	if stride == w {
		copy(dst[:w*h], src[:w*h])
		return
	}
	for y := range h {
		copy(dst[y*w:y*w+w], src[y*stride:y*stride+w])
	}
}

// packedLuma copies the Y samples of a w×h packed 4:2:2 frame (YUYV with off
// 0, UYVY with off 1) into the tight rows of dst: every other byte from off.
// Rows start stride bytes apart in src, which holds at least
// stride*(h-1)+2*w bytes.
func packedLuma(dst []byte, w, h int, src []byte, stride, off int) {
	for y := range h {
		packedRow(dst[y*w:y*w+w], src[y*stride:y*stride+2*w], off)
	}
}

// packedRow takes every other byte of s from off into d (len(s) == 2*len(d)).
// Eight samples at a time it loads 16 bytes as two words and gathers their
// even (or odd) bytes with shifts and masks.
func packedRow(d, s []byte, off int) {
	s = s[:2*len(d)]
	shift := uint(8 * off)
	for len(d) >= 8 && len(s) >= 16 {
		lo := binary.LittleEndian.Uint64(s[0:8]) >> shift
		hi := binary.LittleEndian.Uint64(s[8:16]) >> shift
		binary.LittleEndian.PutUint64(d[0:8], evenBytes(lo)|evenBytes(hi)<<32)
		d, s = d[8:], s[16:]
	}
	for i := range d {
		d[i] = s[2*i+off]
	}
}

// evenBytes packs bytes 0, 2, 4 and 6 of x (little-endian) into its low four
// bytes.
func evenBytes(x uint64) uint64 {
	x &= 0x00ff00ff00ff00ff
	x = (x | x>>8) & 0x0000ffff0000ffff
	return (x | x>>16) & 0x00000000ffffffff
}
