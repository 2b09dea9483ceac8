package scan

import (
	"bytes"
	"encoding/binary"
	"image"
)

// The EXIF orientation (tag 0x0112) of a JPEG (in its APP1 "Exif"
// segment) or PNG image (in its eXIf chunk): how the stored pixels are to
// be turned to be seen upright. 1 is as stored; 2 mirrored left to right;
// 3 turned 180°; 4 mirrored top to bottom; 5 transposed (mirrored about
// the top-left to bottom-right diagonal); 6 turned 90° clockwise; 7
// transversed (mirrored about the other diagonal); 8 turned 90°
// counter-clockwise. Phones store portrait photos as landscape pixels with
// orientation 6.

// jpegOrientation reads the orientation from the JPEG's markers before
// its first scan; 1 when there is none or it cannot be read.
func jpegOrientation(data []byte) int {
	i := 2 // after SOI
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0x01 || marker >= 0xd0 && marker <= 0xd8: // no length
			i += 2
			continue
		case marker == 0xd9 || marker == 0xda: // end of image, start of scan
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// pngOrientation reads the orientation from the PNG's eXIf chunk; 1 when
// there is none or it cannot be read.
func pngOrientation(data []byte) int {
	i := 8 // after the signature
	for i+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if n < 0 || n > len(data)-i-12 {
			return 1
		}
		switch typ {
		case "eXIf":
			return tiffOrientation(data[i+8 : i+8+n])
		case "IEND":
			return 1
		}
		i += 12 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of the first IFD of a TIFF structure,
// as EXIF lays it out.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return 1
	}
	n := int64(bo.Uint16(t[ifd:]))
	for k := range n {
		e := ifd + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 1
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		// One SHORT, held in the first two bytes of the value field.
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 {
			return 1
		}
		if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}

// orient returns g turned upright according to the EXIF orientation o.
func orient(g *image.Gray, o int) *image.Gray {
	if o <= 1 || o > 8 {
		return g
	}
	sw, sh := g.Rect.Dx(), g.Rect.Dy()
	w, h := sw, sh
	if o >= 5 {
		w, h = sh, sw
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	// src returns the stored pixel (sx, sy) seen at (x, y) upright.
	var src func(x, y int) (int, int)
	switch o {
	case 2:
		src = func(x, y int) (int, int) { return sw - 1 - x, y }
	case 3:
		src = func(x, y int) (int, int) { return sw - 1 - x, sh - 1 - y }
	case 4:
		src = func(x, y int) (int, int) { return x, sh - 1 - y }
	case 5:
		src = func(x, y int) (int, int) { return y, x }
	case 6:
		src = func(x, y int) (int, int) { return y, sh - 1 - x }
	case 7:
		src = func(x, y int) (int, int) { return sw - 1 - y, sh - 1 - x }
	case 8:
		src = func(x, y int) (int, int) { return sw - 1 - y, x }
	}
	for y := range h {
		row := out.Pix[y*out.Stride : y*out.Stride+w]
		for x := range row {
			sx, sy := src(x, y)
			row[x] = g.Pix[sy*g.Stride+sx]
		}
	}
	return out
}
