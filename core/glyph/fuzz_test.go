package glyph

import (
	"bytes"
	"compress/zlib"
	"crypto/ecdsa"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode feeds Decode and Verify arbitrary text. Neither may panic,
// every failure wraps exactly one sentinel error, and a glyph that is
// accepted and verifies must be canonical: its claims encode to the very
// payload that was signed, and encoding them again gives a glyph that
// decodes to the same claims.
func FuzzDecode(f *testing.F) {
	key := testKey(f, 1)
	keys := keysOf(key)
	for _, c := range []Claims{residenza(f), statoDiFamiglia(f, false), statoDiFamiglia(f, true)} {
		text := encode(f, c, key)
		f.Add(text)
		f.Add(text[:len(text)/2])
		f.Add(strings.Replace(text, "TD1:", "TD2:", 1))
		z := compressedOf(f, text)
		z[len(z)/2] ^= 0x10
		f.Add(Prefix + base45Encode(z))
	}
	var bomb bytes.Buffer
	w := zlib.NewWriter(&bomb)
	w.Write(make([]byte, 64<<10))
	w.Close()
	for _, s := range []string{"", "TD1:", "TD1:00", "TD1:GGW", "HC1:NCFOXN%TS3DH", Prefix + base45Encode(bomb.Bytes())} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) { checkDecode(t, text, key, keys) })
}

// FuzzDecodeCOSE mutates the COSE bytes before compression, which text
// mutations seldom reach past the zlib checksum: COSE and claims parsing.
func FuzzDecodeCOSE(f *testing.F) {
	key := testKey(f, 1)
	keys := keysOf(key)
	for _, c := range []Claims{residenza(f), statoDiFamiglia(f, false)} {
		raw := coseOf(f, encode(f, c, key))
		f.Add(raw)
		f.Add(raw[:len(raw)-1])
		f.Add(append(raw[:16:16], 0x81, 0x81, 0x81, 0x00))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		text, err := pack(raw)
		if err != nil {
			t.Fatal(err)
		}
		checkDecode(t, text, key, keys)
	})
}

var sentinels = []error{ErrNotSportello, ErrUnsupportedVersion, ErrMalformed, ErrUnknownKey, ErrBadSignature}

func oneSentinel(t *testing.T, err error) {
	t.Helper()
	n := 0
	for _, e := range sentinels {
		if errors.Is(err, e) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%v wraps %d sentinel errors", err, n)
	}
}

func checkDecode(t *testing.T, text string, key *ecdsa.PrivateKey, keys KeySet) {
	t.Helper()
	p, err := Decode(text)
	if err != nil {
		oneSentinel(t, err)
		return
	}
	payload, err := marshalClaims(&p.Claims)
	if err != nil || !bytes.Equal(payload, p.payload) {
		t.Fatalf("accepted claims do not re-encode to their payload: %v", err)
	}
	if _, err := p.Verify(keys); err != nil {
		oneSentinel(t, err)
		return
	}
	again, err := Encode(p.Claims, key)
	if err != nil {
		t.Fatalf("verified claims do not encode: %v", err)
	}
	q, err := Decode(again)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Verify(keys); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.Claims, p.Claims) || !bytes.Equal(q.payload, p.payload) {
		t.Fatal("re-encoded glyph differs")
	}
}

// FuzzClaims feeds the claims decoder arbitrary CBOR, which signed glyphs
// never reach: accepted claims must encode back to the same bytes.
func FuzzClaims(f *testing.F) {
	for _, c := range []Claims{residenza(f), statoDiFamiglia(f, false), statoDiFamiglia(f, true)} {
		payload, err := marshalClaims(&c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(payload)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, err := unmarshalClaims(payload)
		if err != nil {
			return
		}
		again, err := marshalClaims(&c)
		if err != nil || !bytes.Equal(again, payload) {
			t.Fatalf("accepted claims re-encode differently: %v", err)
		}
	})
}
