package glyph

import "testing"

// BenchmarkDecodeVerify is a verifier's work per glyph once the QR code's
// text is read: Decode, then Verify with a key set of one key.
func BenchmarkDecodeVerify(b *testing.B) {
	key := testKey(b, 1)
	keys := keysOf(key)
	text := encode(b, statoDiFamiglia(b, false), key)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := Decode(text)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Verify(keys); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode is the strict parsing alone, without the signature check.
func BenchmarkDecode(b *testing.B) {
	text := encode(b, statoDiFamiglia(b, false), testKey(b, 1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode is the issuer's work per certificate.
func BenchmarkEncode(b *testing.B) {
	key := testKey(b, 1)
	c := statoDiFamiglia(b, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(c, key); err != nil {
			b.Fatal(err)
		}
	}
}
