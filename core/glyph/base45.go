package glyph

import "errors"

// Base45 (RFC 9285). Two bytes n = a*256 + b become three characters c, d, e
// with n = c + 45*d + 2025*e; a trailing byte becomes two characters. The
// decoder rejects characters outside the alphabet, a length of 3k+1 and
// groups whose value does not fit (RFC 9285 §6), which leaves exactly one
// encoding for each byte string.

const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var base45Values = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

var errBase45 = errors.New("invalid Base45")

func base45Encode(src []byte) string {
	out := make([]byte, 0, len(src)/2*3+2)
	for ; len(src) >= 2; src = src[2:] {
		n := int(src[0])<<8 | int(src[1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45%45], base45Alphabet[n/2025])
	}
	if len(src) == 1 {
		n := int(src[0])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45])
	}
	return string(out)
}

func base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, errBase45
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for len(s) > 0 {
		group := s[:min(3, len(s))]
		s = s[len(group):]
		n := 0
		for i := len(group) - 1; i >= 0; i-- {
			v := base45Values[group[i]]
			if v < 0 {
				return nil, errBase45
			}
			n = n*45 + int(v)
		}
		if len(group) == 3 {
			if n > 0xFFFF {
				return nil, errBase45
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xFF {
				return nil, errBase45
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
