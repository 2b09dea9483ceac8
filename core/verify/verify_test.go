package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/glyph"
	"github.com/sportello/sportello/core/verify"
)

var (
	issued = time.Date(2026, time.March, 9, 10, 41, 7, 0, time.UTC)
	now    = time.Date(2026, time.May, 2, 9, 0, 0, 0, time.UTC)
)

// fixture is one municipality's keys and trust data, made with the real
// signing code.
type fixture struct {
	signer *ecdsa.PrivateKey
	td     *verify.TrustData
	issuer *verify.Issuer
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newFixture(t testing.TB, revoked ...string) *fixture {
	f := &fixture{signer: newKey(t)}
	tl := &certificates.TrustList{Issuer: "015999", IssuedAt: now.Add(-2 * time.Hour), Signers: []certificates.SignerKey{{
		KeyID: glyph.KeyID(&f.signer.PublicKey), Public: &f.signer.PublicKey, NotBefore: issued.AddDate(-1, 0, 0)}}}
	rl := &certificates.RevocationList{Issuer: "015999", IssuedAt: now.Add(-3 * time.Hour), Sequence: uint64(len(revoked))}
	for _, s := range revoked {
		rl.Hashes = append(rl.Hashes, certificates.RevocationHash(s))
	}
	// Through the signed wire form, as a verifier gets them.
	anchor := newKey(t)
	tlBytes, err := tl.Sign(anchor)
	if err != nil {
		t.Fatal(err)
	}
	rlBytes, err := rl.Sign(anchor)
	if err != nil {
		t.Fatal(err)
	}
	if tl, err = certificates.ParseTrustList(tlBytes, &anchor.PublicKey); err != nil {
		t.Fatal(err)
	}
	if rl, err = certificates.ParseRevocationList(rlBytes, &anchor.PublicKey); err != nil {
		t.Fatal(err)
	}
	f.issuer = &verify.Issuer{ISTAT: "015999", Name: "Comune di Valdoria", Signers: tl, Revocations: rl}
	f.td = &verify.TrustData{}
	f.td.Add(f.issuer)
	return f
}

func claims(serial string, expires *time.Time) glyph.Claims {
	return glyph.Claims{Issuer: "015999", IssuedAt: issued, Expires: expires, Serial: serial, Type: glyph.TypeResidenza,
		Holder: glyph.Person{Surname: "Colombo", Name: "Marco", BirthDate: core.NewDate(1974, time.March, 15),
			FiscalCode: "CLMMRC74C15F205P"},
		Address:   &core.Address{Street: "Via Roma", Number: "12", PostalCode: "20099", Town: "Valdoria", Province: "MI"},
		StampDuty: glyph.StampDuty{ExemptionCode: "8-bis", ExemptionLaw: "DPR 642/1972 Tab. B art. 8-bis"}}
}

func encode(t testing.TB, c glyph.Claims, key *ecdsa.PrivateKey) string {
	text, err := glyph.Encode(c, key)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestOutcomes(t *testing.T) {
	f := newFixture(t, "VLD-2026-000999")
	later := issued.AddDate(0, 6, 0)
	past := issued.AddDate(0, 1, 0)
	valid := encode(t, claims("VLD-2026-000318", &later), f.signer)
	stranger := newKey(t)

	stale := newFixture(t)
	stale.issuer.Signers.IssuedAt = now.Add(-8 * 24 * time.Hour)
	aging := newFixture(t)
	aging.issuer.Revocations.IssuedAt = now.Add(-30 * time.Hour)
	other := newFixture(t)
	other.issuer.ISTAT, other.issuer.Signers.Issuer = "015146", "015146"
	otherTD := &verify.TrustData{}
	otherTD.Add(other.issuer)
	late := newFixture(t)
	late.issuer.Signers.Signers[0].NotBefore = issued.Add(time.Hour)
	retired := newFixture(t)
	end := issued.Add(-time.Hour)
	retired.issuer.Signers.Signers[0].NotAfter = &end
	future := claims("VLD-2026-000318", &later)
	future.IssuedAt = now.Add(time.Hour)
	// A key of one municipality signing a glyph that claims another.
	lying := claims("VLD-2026-000318", &later)
	lying.Issuer = "015146"
	liarTD := &verify.TrustData{}
	liar := *f.issuer
	liar.ISTAT = "015146"
	liarTD.Add(&liar)

	cases := []struct {
		name    string
		text    string
		td      *verify.TrustData
		status  verify.Status
		reason  verify.Reason
		genuine bool
		warning bool
	}{
		{"valid", valid, f.td, verify.Valid, verify.ReasonNone, true, false},
		{"trust data a day old", encode(t, claims("VLD-2026-000318", &later), aging.signer), aging.td, verify.Valid, verify.ReasonNone, true, true},
		{"no expiry", encode(t, claims("VLD-2026-000318", nil), f.signer), f.td, verify.Valid, verify.ReasonNone, true, false},
		{"expired", encode(t, claims("VLD-2026-000318", &past), f.signer), f.td, verify.Expired, verify.ReasonValidityEnded, true, false},
		{"revoked", encode(t, claims("VLD-2026-000999", &later), f.signer), f.td, verify.Revoked, verify.ReasonRevokedByIssuer, true, false},
		{"re-signed with an unknown key", encode(t, claims("VLD-2026-000318", &later), stranger), f.td, verify.UnknownIssuer, verify.ReasonUnknownKey, false, false},
		{"municipality not trusted", valid, otherTD, verify.UnknownIssuer, verify.ReasonIssuerNotTrusted, false, false},
		{"key not yet in force", encode(t, claims("VLD-2026-000318", &later), late.signer), late.td, verify.InvalidSignature, verify.ReasonKeyNotInForce, false, false},
		{"key retired", encode(t, claims("VLD-2026-000318", &later), retired.signer), retired.td, verify.InvalidSignature, verify.ReasonKeyNotInForce, false, false},
		{"claims another municipality", encode(t, lying, f.signer), liarTD, verify.InvalidSignature, verify.ReasonIssuerMismatch, false, false},
		{"issued in the future", encode(t, future, f.signer), f.td, verify.Malformed, verify.ReasonIssuedInFuture, false, false},
		{"stale trust data", encode(t, claims("VLD-2026-000318", &later), stale.signer), stale.td, verify.TrustDataStale, verify.ReasonTrustDataTooOld, false, true},
		{"no trust data", valid, nil, verify.TrustDataMissing, verify.ReasonNoTrustData, false, false},
		{"empty trust data", valid, &verify.TrustData{}, verify.TrustDataMissing, verify.ReasonNoTrustData, false, false},
		{"a link", "https://example.org/certificato", f.td, verify.NotSportello, verify.ReasonNotAGlyph, false, false},
		{"a COVID pass", "HC1:6BFOXN%TS3DH0YOJ58S", f.td, verify.NotSportello, verify.ReasonNotAGlyph, false, false},
		{"newer format", "TD2:" + valid[4:], f.td, verify.Malformed, verify.ReasonNewerFormat, false, false},
		{"damaged", valid[:len(valid)-3], f.td, verify.Malformed, verify.ReasonDamaged, false, false},
		{"empty", "", f.td, verify.NotSportello, verify.ReasonNotAGlyph, false, false},
	}
	seen := map[verify.Status]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := verify.Verify(c.text, c.td, now, verify.DefaultPolicy())
			if v.Status != c.status || v.Reason != c.reason {
				t.Fatalf("got %s/%s (%s), want %s/%s", v.Status, v.Reason, v.Detail, c.status, c.reason)
			}
			if v.Genuine() != c.genuine {
				t.Errorf("claims given: %v, want %v", v.Genuine(), c.genuine)
			}
			if v.TrustWarning != c.warning {
				t.Errorf("trust warning %v, want %v (age %s)", v.TrustWarning, c.warning, v.TrustAge)
			}
			if v.Detail == "" && v.Status != verify.Valid {
				t.Error("no detail")
			}
			if c.genuine && (v.Claims.Holder.Surname != "Colombo" || v.Issuer.Name != "Comune di Valdoria") {
				t.Errorf("claims %+v, issuer %+v", v.Claims, v.Issuer)
			}
			seen[v.Status] = true
		})
	}
	for _, s := range verify.Statuses {
		if !seen[s] {
			t.Errorf("no case gives %s", s)
		}
	}
}

// TestAges: the age counts from the older list, and the limits are the
// policy's.
func TestAges(t *testing.T) {
	f := newFixture(t)
	later := issued.AddDate(0, 6, 0)
	text := encode(t, claims("VLD-2026-000318", &later), f.signer)
	if age := f.issuer.Age(now); age != 3*time.Hour {
		t.Errorf("age %s, want 3h (the revocation list's)", age)
	}
	strict := verify.Policy{WarnAfter: time.Hour, RefuseAfter: 2 * time.Hour, ClockSkew: time.Minute}
	if v := verify.Verify(text, f.td, now, strict); v.Status != verify.TrustDataStale {
		t.Errorf("with a 2 h limit: %s", v.Status)
	}
	if v := verify.Verify(text, f.td, now.Add(-3*time.Hour-time.Minute), strict); v.Status != verify.Valid || v.TrustWarning {
		t.Errorf("a device clock behind the server: %s warning %v, age %s", v.Status, v.TrustWarning, v.TrustAge)
	}
}

// TestEveryBitFlipRejected flips each bit of every character of a valid
// glyph's text: no flip may still verify as this certificate.
func TestEveryBitFlipRejected(t *testing.T) {
	f := newFixture(t)
	later := issued.AddDate(0, 6, 0)
	text := encode(t, claims("VLD-2026-000318", &later), f.signer)
	flips := 0
	for i := 0; i < len(text); i++ {
		for bit := 0; bit < 8; bit++ {
			b := []byte(text)
			b[i] ^= 1 << bit
			v := verify.Verify(string(b), f.td, now, verify.DefaultPolicy())
			flips++
			if v.Status == verify.Valid || v.Genuine() {
				t.Fatalf("flip of bit %d of character %d still verifies: %s", bit, i, v.Status)
			}
		}
	}
	t.Logf("%d flips rejected", flips)
}

// TestEveryCharacterChangeRejected replaces each character of the Base45
// part with every other character of the alphabet.
func TestEveryCharacterChangeRejected(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	f := newFixture(t)
	text := encode(t, claims("VLD-2026-000318", nil), f.signer)
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	for i := len(glyph.Prefix); i < len(text); i += 7 {
		for _, r := range alphabet {
			if byte(r) == text[i] {
				continue
			}
			changed := text[:i] + string(r) + text[i+1:]
			if v := verify.Verify(changed, f.td, now, verify.DefaultPolicy()); v.Status == verify.Valid {
				t.Fatalf("changing character %d to %q still verifies", i, r)
			}
		}
	}
}

func TestDetailNamesNoPersonalData(t *testing.T) {
	f := newFixture(t, "VLD-2026-000318")
	later := issued.AddDate(0, 6, 0)
	for _, text := range []string{encode(t, claims("VLD-2026-000318", &later), f.signer),
		encode(t, claims("VLD-2026-000318", &later), newKey(t))} {
		v := verify.Verify(text, f.td, now, verify.DefaultPolicy())
		if strings.Contains(v.Detail, "Colombo") || strings.Contains(v.Detail, "CLMMRC") {
			t.Errorf("detail %q carries personal data", v.Detail)
		}
	}
}
