package scenes

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/codicefiscale"
	"github.com/sportello/sportello/core/glyph"
)

var update = flag.Bool("update", false, "sign the benchmark's glyphs anew and rewrite glyphs.txt")

// benchKey is the fixed P-256 key that signed glyphs.txt: its scalar is the
// SHA-256 of a fixed string, so it is the same on every machine.
func benchKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	d := sha256.Sum256([]byte("sportello scan benchmark glyph key"))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

type keys struct{ pub *ecdsa.PublicKey }

func (k keys) Keys(kid []byte) []*ecdsa.PublicKey {
	if string(kid) == string(glyph.KeyID(k.pub)) {
		return []*ecdsa.PublicKey{k.pub}
	}
	return nil
}

// benchClaims are the certificates whose glyphs the scenes print, as the
// demo municipality would issue them: from the smallest (nascita, QR
// version 10 at ECC M) to a cumulative certificate of a family of six
// (version 18 at M, 22 at Q).
func benchClaims(tb testing.TB) []glyph.Claims {
	tb.Helper()
	issued := time.Date(2026, time.March, 9, 10, 41, 7, 0, time.UTC)
	exp := issued.AddDate(0, 6, 0)
	address := &core.Address{Street: "Via Giuseppe Garibaldi", Number: "14/B", PostalCode: "20099", Town: "Valdoria", Province: "MI"}
	cf, err := codicefiscale.Compute("Colombo", "Marco", core.Male, core.NewDate(1974, time.March, 15), "F205")
	if err != nil {
		tb.Fatal(err)
	}
	head := glyph.Person{Surname: "Colombo", Name: "Marco", BirthDate: core.NewDate(1974, time.March, 15), BirthPlace: core.Place{Name: "Milano", Province: "MI"}, Relationship: core.Head}
	members := []glyph.Person{
		head,
		{Surname: "Esposito", Name: "Giulia", BirthDate: core.NewDate(1977, time.October, 2), BirthPlace: core.Place{Name: "Napoli", Province: "NA"}, Relationship: core.Spouse},
		{Surname: "Colombo", Name: "Lorenzo", BirthDate: core.NewDate(2006, time.June, 21), BirthPlace: core.Place{Name: "Monza", Province: "MB"}, Relationship: core.Child},
		{Surname: "Colombo", Name: "Sofia Maria", BirthDate: core.NewDate(2011, time.January, 8), BirthPlace: core.Place{Name: "Monza", Province: "MB"}, Relationship: core.Child},
		{Surname: "D'Angelo", Name: "Rosa", BirthDate: core.NewDate(1949, time.December, 30), BirthPlace: core.Place{Name: "Sant'Agata de' Goti", Province: "BN"}, Relationship: core.Parent},
		{Surname: "Colombo", Name: "Pietro Giovanni", BirthDate: core.NewDate(1980, time.July, 4), BirthPlace: core.Place{Name: "Vimercate", Province: "MB"}, Relationship: core.Sibling},
	}
	marca := glyph.StampDuty{MarcaID: "01234567890123", MarcaDate: core.NewDate(2026, time.March, 2)}
	exempt := glyph.StampDuty{ExemptionCode: "8", ExemptionLaw: "DPR 642/1972 Tab. B art. 8"}

	holder := head
	holder.Relationship = ""
	base := func(serial, typ string) glyph.Claims {
		return glyph.Claims{Issuer: "015999", IssuedAt: issued, Expires: &exp, Serial: serial, Type: typ, Holder: holder, StampDuty: marca}
	}

	nascita := base("VLD-2026-000401", glyph.TypeNascita)
	nascita.Expires = nil
	nascita.StampDuty = glyph.StampDuty{ExemptByType: true}

	residenza := base("VLD-2026-000402", glyph.TypeResidenza)
	residenza.Address = address

	famiglia3 := base("VLD-2026-000403", glyph.TypeStatoDiFamiglia)
	famiglia3.Holder = head
	famiglia3.Address = address
	famiglia3.Family = members[:3]

	famiglia5 := base("VLD-2026-000404", glyph.TypeStatoDiFamiglia)
	famiglia5.Holder = head
	famiglia5.Holder.FiscalCode = cf
	famiglia5.Address = address
	famiglia5.Family = members[:5]
	famiglia5.StampDuty = exempt

	famiglia6 := base("VLD-2026-000405", glyph.TypeStatoDiFamiglia)
	famiglia6.Holder = head
	famiglia6.Address = address
	famiglia6.Family = members
	famiglia6.StampDuty = exempt

	cumulative := base("VLD-2026-000406", "residenza_cittadinanza_stato_di_famiglia")
	cumulative.Holder = head
	cumulative.Address = address
	cumulative.Citizenship = "italiana"
	cumulative.Family = members
	cumulative.StampDuty = exempt

	return []glyph.Claims{nascita, residenza, famiglia3, famiglia5, famiglia6, cumulative}
}

func TestGlyphs(t *testing.T) {
	key := benchKey(t)
	want := benchClaims(t)
	if *update {
		var b strings.Builder
		for _, c := range want {
			text, err := glyph.Encode(c, key)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(text + "\n")
		}
		if err := os.WriteFile("glyphs.txt", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("glyphs.txt rewritten: rebuild to embed it")
		return
	}
	got := Glyphs()
	if len(got) != len(want) {
		t.Fatalf("glyphs.txt has %d glyphs, want %d: run go test -run TestGlyphs -update", len(got), len(want))
	}
	for i, text := range got {
		p, err := glyph.Decode(text)
		if err != nil {
			t.Fatalf("glyph %d: %v (run go test -run TestGlyphs -update)", i, err)
		}
		if _, err := p.Verify(keys{&key.PublicKey}); err != nil {
			t.Fatalf("glyph %d: %v", i, err)
		}
		if c, w := p.Claims, want[i]; c.Type != w.Type || c.Serial != w.Serial || len(c.Family) != len(w.Family) {
			t.Fatalf("glyph %d is a %s %s of %d, want a %s %s of %d: run go test -run TestGlyphs -update",
				i, c.Type, c.Serial, len(c.Family), w.Type, w.Serial, len(w.Family))
		}
		m, _ := glyph.QRVersion(text, glyph.ECLevelM)
		q, _ := glyph.QRVersion(text, glyph.ECLevelQ)
		t.Logf("glyph %d: %s, %d chars, QR version %d at M, %d at Q", i, p.Claims.Type, len(text), m, q)
	}
}
