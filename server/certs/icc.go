package certs

import (
	"bytes"
	"encoding/binary"
	"math"
)

// iccSRGB builds a small ICC v2.1 display profile of sRGB (IEC 61966-2.1):
// D50 white point, the sRGB primaries adapted to D50 (Bradford), and the
// sRGB tone curve sampled at 256 points. It is the output intent of the
// certificates' PDF/A. It is built here rather than shipped as a file so
// that its origin and licence are plain; the bytes are always the same.
func iccSRGB() []byte {
	type tag struct {
		sig  string
		data []byte
	}
	xyz := func(x, y, z float64) []byte {
		b := []byte("XYZ \x00\x00\x00\x00")
		for _, v := range []float64{x, y, z} {
			b = binary.BigEndian.AppendUint32(b, uint32(int32(math.Round(v*65536))))
		}
		return b
	}
	curve := []byte("curv\x00\x00\x00\x00")
	curve = binary.BigEndian.AppendUint32(curve, 256)
	for i := 0; i < 256; i++ {
		v := float64(i) / 255
		if v <= 0.04045 {
			v /= 12.92
		} else {
			v = math.Pow((v+0.055)/1.055, 2.4)
		}
		curve = binary.BigEndian.AppendUint16(curve, uint16(math.Round(v*65535)))
	}
	desc := func(s string) []byte {
		b := []byte("desc\x00\x00\x00\x00")
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)+1))
		b = append(b, s...)
		b = append(b, 0)
		b = append(b, make([]byte, 4+4+2+1+67)...) // no Unicode nor ScriptCode description
		return b
	}
	text := func(s string) []byte { return append(append([]byte("text\x00\x00\x00\x00"), s...), 0) }
	tags := []tag{
		{"desc", desc("sRGB IEC61966-2.1")},
		{"cprt", text("No copyright, use freely")},
		{"wtpt", xyz(0.9642, 1.0, 0.8249)},
		{"rXYZ", xyz(0.4360, 0.2225, 0.0139)},
		{"gXYZ", xyz(0.3851, 0.7169, 0.0971)},
		{"bXYZ", xyz(0.1431, 0.0606, 0.7141)},
		{"rTRC", curve},
		{"gTRC", curve},
		{"bTRC", curve},
	}
	const headerSize = 128
	tableSize := 4 + 12*len(tags)
	var data bytes.Buffer
	offsets := make([]int, len(tags))
	for i, t := range tags {
		if i >= 7 { // the three curves share one copy
			offsets[i] = offsets[6]
			continue
		}
		offsets[i] = headerSize + tableSize + data.Len()
		data.Write(t.data)
		for data.Len()%4 != 0 {
			data.WriteByte(0)
		}
	}
	total := headerSize + tableSize + data.Len()

	h := make([]byte, 0, total)
	h = binary.BigEndian.AppendUint32(h, uint32(total))
	h = append(h, "\x00\x00\x00\x00"...)              // preferred CMM: none
	h = append(h, 0x02, 0x10, 0x00, 0x00)             // version 2.1
	h = append(h, "mntrRGB XYZ "...)                  // display class, RGB data, XYZ connection space
	for _, v := range []uint16{2026, 1, 1, 0, 0, 0} { // creation date
		h = binary.BigEndian.AppendUint16(h, v)
	}
	h = append(h, "acsp"...)
	h = append(h, make([]byte, 4+4+4+4+8)...) // platform, flags, manufacturer, model, attributes
	h = binary.BigEndian.AppendUint32(h, 0)   // rendering intent: perceptual
	h = append(h, xyz(0.9642, 1.0, 0.8249)[8:]...)
	h = append(h, make([]byte, headerSize-len(h))...) // creator, reserved
	h = binary.BigEndian.AppendUint32(h, uint32(len(tags)))
	for i, t := range tags {
		h = append(h, t.sig...)
		h = binary.BigEndian.AppendUint32(h, uint32(offsets[i]))
		h = binary.BigEndian.AppendUint32(h, uint32(len(t.data)))
	}
	return append(h, data.Bytes()...)
}
