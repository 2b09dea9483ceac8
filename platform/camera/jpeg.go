package camera

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// jpegLuma decodes one JPEG (MJPEG) frame and copies the decoder's luminance
// plane row by row into dst, reallocated to the image's size if need be.
func (c *lumaConverter) jpegLuma(dst *image.Gray, frame []byte) (*image.Gray, error) {
	if needsHuffmanTables(frame) {
		c.jpegBuf = withStandardHuffmanTables(c.jpegBuf[:0], frame)
		frame = c.jpegBuf
	}
	img, err := jpeg.Decode(bytes.NewReader(frame))
	if err != nil {
		return dst, fmt.Errorf("%w: %v", errBadFrame, err)
	}
	var (
		plane  []byte
		stride int
		r      = img.Bounds()
	)
	switch m := img.(type) {
	case *image.YCbCr:
		plane, stride = m.Y[m.YOffset(r.Min.X, r.Min.Y):], m.YStride
	case *image.Gray:
		plane, stride = m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride
	default: // CMYK and the like: not what a camera sends
		return dst, fmt.Errorf("%w: JPEG frame decodes to %T", errBadFrame, img)
	}
	dst = grayOf(dst, r.Size())
	planeLuma(dst.Pix, r.Dx(), r.Dy(), plane, stride)
	return dst, nil
}

// JPEG markers used here.
const (
	markerSOI = 0xd8
	markerDHT = 0xc4
	markerSOS = 0xda
)

// needsHuffmanTables says whether frame is a JPEG image that reaches its
// first scan without defining Huffman tables: UVC cameras may leave them out
// of MJPEG frames (and the AVI1 format does), relying on the standard ones,
// which Go's decoder does not assume. A frame that cannot be walked is left
// for the decoder to reject.
func needsHuffmanTables(frame []byte) bool {
	if len(frame) < 4 || frame[0] != 0xff || frame[1] != markerSOI {
		return false
	}
	i := 2
	for i+1 < len(frame) {
		if frame[i] != 0xff {
			return false
		}
		m := frame[i+1]
		switch {
		case m == 0xff: // fill byte
			i++
			continue
		case m == markerDHT:
			return false
		case m == markerSOS:
			return true
		case m == 0x01 || (m >= 0xd0 && m <= 0xd7): // no length
			i += 2
			continue
		}
		if i+3 >= len(frame) {
			return false
		}
		i += 2 + (int(frame[i+2])<<8 | int(frame[i+3])) // marker, then the segment with its length
	}
	return false
}

// withStandardHuffmanTables appends to buf the frame with a DHT segment of
// the standard tables inserted after its SOI marker.
func withStandardHuffmanTables(buf, frame []byte) []byte {
	buf = append(buf, frame[:2]...)
	buf = append(buf, standardDHT...)
	return append(buf, frame[2:]...)
}

// standardDHT is a DHT segment with the four Huffman tables of JPEG Annex K.3
// (luminance DC and AC as tables 0, chrominance DC and AC as tables 1), the
// ones MJPEG frames without tables are coded with.
var standardDHT = func() []byte {
	type table struct {
		class   byte // 0x00 DC0, 0x10 AC0, 0x01 DC1, 0x11 AC1
		count   [16]byte
		symbols string
	}
	tables := []table{
		{0x00, [16]byte{0, 1, 5, 1, 1, 1, 1, 1, 1}, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"},
		{0x10, [16]byte{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 125}, "" +
			"\x01\x02\x03\x00\x04\x11\x05\x12\x21\x31\x41\x06\x13\x51\x61\x07" +
			"\x22\x71\x14\x32\x81\x91\xa1\x08\x23\x42\xb1\xc1\x15\x52\xd1\xf0" +
			"\x24\x33\x62\x72\x82\x09\x0a\x16\x17\x18\x19\x1a\x25\x26\x27\x28" +
			"\x29\x2a\x34\x35\x36\x37\x38\x39\x3a\x43\x44\x45\x46\x47\x48\x49" +
			"\x4a\x53\x54\x55\x56\x57\x58\x59\x5a\x63\x64\x65\x66\x67\x68\x69" +
			"\x6a\x73\x74\x75\x76\x77\x78\x79\x7a\x83\x84\x85\x86\x87\x88\x89" +
			"\x8a\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3\xa4\xa5\xa6\xa7" +
			"\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xc2\xc3\xc4\xc5" +
			"\xc6\xc7\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xe1\xe2" +
			"\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8" +
			"\xf9\xfa"},
		{0x01, [16]byte{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"},
		{0x11, [16]byte{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 119}, "" +
			"\x00\x01\x02\x03\x11\x04\x05\x21\x31\x06\x12\x41\x51\x07\x61\x71" +
			"\x13\x22\x32\x81\x08\x14\x42\x91\xa1\xb1\xc1\x09\x23\x33\x52\xf0" +
			"\x15\x62\x72\xd1\x0a\x16\x24\x34\xe1\x25\xf1\x17\x18\x19\x1a\x26" +
			"\x27\x28\x29\x2a\x35\x36\x37\x38\x39\x3a\x43\x44\x45\x46\x47\x48" +
			"\x49\x4a\x53\x54\x55\x56\x57\x58\x59\x5a\x63\x64\x65\x66\x67\x68" +
			"\x69\x6a\x73\x74\x75\x76\x77\x78\x79\x7a\x82\x83\x84\x85\x86\x87" +
			"\x88\x89\x8a\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3\xa4\xa5" +
			"\xa6\xa7\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xc2\xc3" +
			"\xc4\xc5\xc6\xc7\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda" +
			"\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xf2\xf3\xf4\xf5\xf6\xf7\xf8" +
			"\xf9\xfa"},
	}
	n := 2
	for _, t := range tables {
		n += 1 + 16 + len(t.symbols)
	}
	seg := []byte{0xff, markerDHT, byte(n >> 8), byte(n)}
	for _, t := range tables {
		seg = append(seg, t.class)
		seg = append(seg, t.count[:]...)
		seg = append(seg, t.symbols...)
	}
	return seg
}()
