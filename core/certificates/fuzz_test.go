package certificates

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"
)

// FuzzLists: arbitrary bytes given as a trust list or a revocation list
// are refused or parsed, never a panic, and a parsed list is signed by the
// anchor.
func FuzzLists(f *testing.F) {
	anchor, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tl := TrustList{Issuer: "015999", IssuedAt: at, Signers: []SignerKey{{Public: &anchor.PublicKey, NotBefore: at}}}
	if b, err := tl.Sign(anchor); err == nil {
		f.Add(b)
	}
	rl := RevocationList{Issuer: "015999", IssuedAt: at, Sequence: 3, Since: 1, Latest: 9,
		Hashes: [][RevocationHashSize]byte{RevocationHash("a"), RevocationHash("b")}}
	if b, err := rl.Sign(anchor); err == nil {
		f.Add(b)
	}
	f.Add([]byte{0xd2, 0x84})
	f.Fuzz(func(t *testing.T, data []byte) {
		if l, err := ParseTrustList(data, &anchor.PublicKey); err == nil && l.Issuer != "015999" {
			t.Fatalf("a list the fuzzer could not sign parsed: %+v", l)
		}
		if l, err := ParseRevocationList(data, &anchor.PublicKey); err == nil {
			if l.Since > l.Sequence || l.Latest < l.Sequence {
				t.Fatalf("inconsistent chunk parsed: %+v", l)
			}
		}
	})
}
