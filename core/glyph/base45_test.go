package glyph

import (
	"bytes"
	"testing"
)

func TestBase45(t *testing.T) {
	// RFC 9285 §4.3 and §4.4.
	for _, v := range []struct{ plain, encoded string }{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
		{"\x00", "00"},
		{"\xff", "U5"},
		{"\xff\xff", "FGW"},
	} {
		if got := base45Encode([]byte(v.plain)); got != v.encoded {
			t.Errorf("encode %q: %q, want %q", v.plain, got, v.encoded)
		}
		if got, err := base45Decode(v.encoded); err != nil || string(got) != v.plain {
			t.Errorf("decode %q: %q, %v; want %q", v.encoded, got, err, v.plain)
		}
	}
	for _, bad := range []string{
		"GGW",          // 65536: overflow (RFC 9285 §6)
		"V5",           // 256 in a trailing pair
		"0",            // length 3k+1
		"BB8B",         // length 3k+1
		"bb8",          // lower case is not in the alphabet
		"BB#",          // nor '#'
		"BB8\n",        // nor a line break
		"B\x00",        // nor NUL
		"BB8\xc3\xa9",  // nor any non-ASCII byte
		"%69 VD92EX0 ", // trailing space makes 3k+1
	} {
		if got, err := base45Decode(bad); err == nil {
			t.Errorf("decode %q: %x, want an error", bad, got)
		}
	}
}

func TestBase45AllValues(t *testing.T) {
	// Every 2-byte value and every 1-byte value round-trips, and every
	// 3-character and 2-character group either decodes to a value that
	// encodes back to it or is rejected: one encoding per byte string.
	for n := range 1 << 16 {
		b := []byte{byte(n >> 8), byte(n)}
		if got, err := base45Decode(base45Encode(b)); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%x: %x, %v", b, got, err)
		}
	}
	for _, size := range []int{2, 3} {
		group := make([]byte, size)
		var walk func(int)
		walk = func(i int) {
			if i == size {
				got, err := base45Decode(string(group))
				if err == nil && base45Encode(got) != string(group) {
					t.Fatalf("%q decodes to %x, which encodes to %q", group, got, base45Encode(got))
				}
				return
			}
			for j := 0; j < len(base45Alphabet); j++ {
				group[i] = base45Alphabet[j]
				walk(i + 1)
			}
		}
		walk(0)
	}
}
