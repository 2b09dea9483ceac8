package glyph

import (
	"bytes"
	"compress/zlib"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/codicefiscale"
)

// testKey returns a fixed P-256 key, the same on every run, so seeds and
// failures are reproducible.
func testKey(tb testing.TB, n int) *ecdsa.PrivateKey {
	tb.Helper()
	d := sha256.Sum256([]byte(fmt.Sprintf("sportello glyph test key %d", n)))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// keySet maps a kid to its keys, as a verifier's trust list would.
type keySet map[string][]*ecdsa.PublicKey

func (s keySet) Keys(kid []byte) []*ecdsa.PublicKey { return s[string(kid)] }

func keysOf(keys ...*ecdsa.PrivateKey) keySet {
	s := keySet{}
	for _, k := range keys {
		kid := string(KeyID(&k.PublicKey))
		s[kid] = append(s[kid], &k.PublicKey)
	}
	return s
}

var (
	issued  = time.Date(2026, time.March, 9, 10, 41, 7, 0, time.UTC)
	expires = issued.AddDate(0, 6, 0)
	address = &core.Address{Street: "Via Giuseppe Garibaldi", Number: "14/B", PostalCode: "20099", Town: "Valdoria", Province: "MI"}
)

func holderCF(tb testing.TB) string {
	tb.Helper()
	cf, err := codicefiscale.Compute("Colombo", "Marco", core.Male, core.NewDate(1974, time.March, 15), "F205")
	if err != nil {
		tb.Fatal(err)
	}
	return cf
}

func residenza(tb testing.TB) Claims {
	exp := expires
	return Claims{
		Issuer:   "015999",
		IssuedAt: issued,
		Expires:  &exp,
		Serial:   "VLD-2026-000318",
		Type:     TypeResidenza,
		Holder: Person{
			Surname:    "Colombo",
			Name:       "Marco",
			BirthDate:  core.NewDate(1974, time.March, 15),
			BirthPlace: core.Place{Name: "Milano", Province: "MI"},
			FiscalCode: holderCF(tb),
		},
		Address: address,
		StampDuty: StampDuty{
			MarcaID:   "01234567890123",
			MarcaDate: core.NewDate(2026, time.March, 2),
		},
	}
}

// statoDiFamiglia is a 5-member family; withCF gives the holder's codice
// fiscale too.
func statoDiFamiglia(tb testing.TB, withCF bool) Claims {
	exp := expires
	holder := Person{
		Surname:      "Colombo",
		Name:         "Marco",
		BirthDate:    core.NewDate(1974, time.March, 15),
		BirthPlace:   core.Place{Name: "Milano", Province: "MI"},
		Relationship: core.Head,
	}
	if withCF {
		holder.FiscalCode = holderCF(tb)
	}
	family := []Person{
		{Surname: "Colombo", Name: "Marco", BirthDate: core.NewDate(1974, time.March, 15), BirthPlace: core.Place{Name: "Milano", Province: "MI"}, Relationship: core.Head},
		{Surname: "Esposito", Name: "Giulia", BirthDate: core.NewDate(1977, time.October, 2), BirthPlace: core.Place{Name: "Napoli", Province: "NA"}, Relationship: core.Spouse},
		{Surname: "Colombo", Name: "Lorenzo", BirthDate: core.NewDate(2006, time.June, 21), BirthPlace: core.Place{Name: "Monza", Province: "MB"}, Relationship: core.Child},
		{Surname: "Colombo", Name: "Sofia Maria", BirthDate: core.NewDate(2011, time.January, 8), BirthPlace: core.Place{Name: "Monza", Province: "MB"}, Relationship: core.Child},
		{Surname: "D'Angelo", Name: "Rosa", BirthDate: core.NewDate(1949, time.December, 30), BirthPlace: core.Place{Name: "Sant'Agata de' Goti", Province: "BN"}, Relationship: core.Parent},
	}
	return Claims{
		Issuer:   "015999",
		IssuedAt: issued,
		Expires:  &exp,
		Serial:   "VLD-2026-000319",
		Type:     TypeStatoDiFamiglia,
		Holder:   holder,
		Address:  address,
		Family:   family,
		StampDuty: StampDuty{
			ExemptionCode: "8",
			ExemptionLaw:  "DPR 642/1972 Tab. B art. 8",
		},
	}
}

func decodeVerify(text string, keys KeySet) (*Parsed, error) {
	p, err := Decode(text)
	if err != nil {
		return nil, err
	}
	if _, err := p.Verify(keys); err != nil {
		return nil, err
	}
	return p, nil
}

func encode(tb testing.TB, c Claims, key *ecdsa.PrivateKey) string {
	tb.Helper()
	text, err := Encode(c, key)
	if err != nil {
		tb.Fatal(err)
	}
	return text
}

func TestRoundTrip(t *testing.T) {
	key := testKey(t, 1)
	keys := keysOf(key)
	nascita := residenza(t)
	nascita.Type, nascita.Expires, nascita.Address = TypeNascita, nil, nil
	nascita.StampDuty = StampDuty{ExemptByType: true}
	for name, c := range map[string]Claims{
		"residenza":         residenza(t),
		"stato di famiglia": statoDiFamiglia(t, false),
		"with holder's CF":  statoDiFamiglia(t, true),
		"nascita":           nascita,
	} {
		t.Run(name, func(t *testing.T) {
			text := encode(t, c, key)
			p, err := Decode(text)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.KeyID, KeyID(&key.PublicKey)) {
				t.Errorf("kid %x, want %x", p.KeyID, KeyID(&key.PublicKey))
			}
			pub, err := p.Verify(keys)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.Equal(&key.PublicKey) {
				t.Error("verified with another key")
			}
			if !reflect.DeepEqual(p.Claims, c) {
				t.Errorf("decoded claims differ:\n got %+v\nwant %+v", p.Claims, c)
			}
		})
	}
}

func TestDeterministicPayload(t *testing.T) {
	key := testKey(t, 1)
	c := statoDiFamiglia(t, false)
	a, b := encode(t, c, key), encode(t, c, key)
	pa, err := Decode(a)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pa.payload, pb.payload) {
		t.Error("same claims gave different CBOR payloads")
	}
	direct, err := marshalClaims(&c)
	if err != nil || !bytes.Equal(direct, pa.payload) {
		t.Error("payload is not marshalClaims' encoding", err)
	}
	// The protected header, byte for byte, as docs/glyph.md gives it.
	want := append([]byte{0x4d, 0xa2, 0x01, 0x26, 0x04, 0x48}, KeyID(&key.PublicKey)...)
	if !bytes.Equal(pa.msg.Headers.RawProtected, want) {
		t.Errorf("protected header %x, want %x", pa.msg.Headers.RawProtected, want)
	}
}

func TestKeyID(t *testing.T) {
	k1, k2 := testKey(t, 1), testKey(t, 2)
	if id := KeyID(&k1.PublicKey); len(id) != 8 || bytes.Equal(id, KeyID(&k2.PublicKey)) {
		t.Errorf("kid %x", id)
	}
	// SubjectPublicKeyInfo of a P-256 key: a fixed 26-byte header, then the
	// uncompressed point.
	der := append([]byte{0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00}, mustBytes(k1.PublicKey.Bytes())...)
	sum := sha256.Sum256(der)
	if !bytes.Equal(KeyID(&k1.PublicKey), sum[:8]) {
		t.Error("kid is not SHA-256(SPKI)[:8]")
	}
}

func mustBytes(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestSizes(t *testing.T) {
	key := testKey(t, 1)
	for _, ex := range []struct {
		name string
		c    Claims
	}{
		{"residenza", residenza(t)},
		{"stato di famiglia, 5 members", statoDiFamiglia(t, false)},
		{"stato di famiglia, 5 members, holder's CF", statoDiFamiglia(t, true)},
	} {
		text := encode(t, ex.c, key)
		m, err := QRVersion(text, ECLevelM)
		if err != nil {
			t.Fatal(err)
		}
		q, err := QRVersion(text, ECLevelQ)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d characters, QR version %d at ECC M, %d at ECC Q", ex.name, len(text), m, q)
		if strings.HasPrefix(ex.name, "stato") && m > 17 {
			t.Errorf("%s needs QR version %d at ECC M, more than 17", ex.name, m)
		}
	}
}

func TestQRVersion(t *testing.T) {
	// Alphanumeric capacities (ISO/IEC 18004 table 7): version 1-M holds
	// 20 characters, version 2-M 38.
	for _, tc := range []struct {
		n, want int
	}{{20, 1}, {21, 2}, {38, 2}, {39, 3}} {
		v, err := QRVersion(Prefix+strings.Repeat("A", tc.n-len(Prefix)), ECLevelM)
		if err != nil || v != tc.want {
			t.Errorf("%d characters: version %d, %v; want %d", tc.n, v, err, tc.want)
		}
	}
	if _, err := QRVersion("x", ECLevel(9)); err == nil {
		t.Error("unknown level accepted")
	}
	if _, err := QRVersion(strings.Repeat("A", 5000), ECLevelH); err == nil {
		t.Error("text beyond version 40 accepted")
	}
}

// coseOf returns the decompressed COSE bytes of a glyph.
func coseOf(tb testing.TB, text string) []byte {
	tb.Helper()
	z, err := base45Decode(strings.TrimPrefix(text, Prefix))
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := inflate(z)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func compressedOf(tb testing.TB, text string) []byte {
	tb.Helper()
	z, err := base45Decode(strings.TrimPrefix(text, Prefix))
	if err != nil {
		tb.Fatal(err)
	}
	return z
}

func TestEveryBitFlipRejected(t *testing.T) {
	key := testKey(t, 1)
	keys := keysOf(key)
	text := encode(t, statoDiFamiglia(t, false), key)
	z := compressedOf(t, text)
	outcomes := map[string]int{}
	for i := range z {
		for bit := range 8 {
			flipped := bytes.Clone(z)
			flipped[i] ^= 1 << bit
			_, err := decodeVerify(Prefix+base45Encode(flipped), keys)
			switch {
			case err == nil:
				t.Fatalf("bit %d of byte %d/%d flipped: accepted", bit, i, len(z))
			case errors.Is(err, ErrMalformed):
				outcomes["malformed"]++
			case errors.Is(err, ErrBadSignature):
				outcomes["bad signature"]++
			case errors.Is(err, ErrUnknownKey):
				outcomes["unknown key"]++ // a flip in the kid
			default:
				t.Fatalf("bit %d of byte %d flipped: %v", bit, i, err)
			}
		}
	}
	t.Logf("%d bit flips of %d compressed bytes: %v", len(z)*8, len(z), outcomes)

	// The same over the COSE bytes before compression, so flips reach the
	// signature, the headers and the claims rather than the zlib checksum.
	raw := coseOf(t, text)
	clear(outcomes)
	for i := range raw {
		for bit := range 8 {
			flipped := bytes.Clone(raw)
			flipped[i] ^= 1 << bit
			_, err := decodeVerify(packed(t, flipped), keys)
			switch {
			case err == nil:
				t.Fatalf("bit %d of COSE byte %d/%d flipped: accepted", bit, i, len(raw))
			case errors.Is(err, ErrMalformed):
				outcomes["malformed"]++
			case errors.Is(err, ErrBadSignature):
				outcomes["bad signature"]++
			case errors.Is(err, ErrUnknownKey):
				outcomes["unknown key"]++
			default:
				t.Fatalf("bit %d of COSE byte %d flipped: %v", bit, i, err)
			}
		}
	}
	t.Logf("%d bit flips of %d COSE bytes: %v", len(raw)*8, len(raw), outcomes)
}

func packed(tb testing.TB, msg []byte) string {
	tb.Helper()
	text, err := pack(msg)
	if err != nil {
		tb.Fatal(err)
	}
	return text
}

func TestEveryCharacterChangeRejected(t *testing.T) {
	key := testKey(t, 1)
	keys := keysOf(key)
	text := encode(t, residenza(t), key)
	replacements := base45Alphabet + "a\x00é"
	n := 0
	for i := range len(text) {
		for _, r := range replacements {
			changed := text[:i] + string(r) + text[i+1:]
			if changed == text {
				continue
			}
			n++
			if _, err := decodeVerify(changed, keys); err == nil {
				t.Fatalf("character %d changed to %q: accepted", i, r)
			}
		}
	}
	for _, changed := range []string{text[:len(text)-1], text[:len(text)-2], text + "0", text + "00", text + "000", text + "\n", " " + text} {
		if _, err := decodeVerify(changed, keys); err == nil {
			t.Fatalf("%q…: accepted", changed[:10])
		}
	}
	t.Logf("%d single-character changes of a %d-character glyph rejected", n, len(text))
}

func TestOutcomes(t *testing.T) {
	k1, k2, k3 := testKey(t, 1), testKey(t, 2), testKey(t, 3)
	c := residenza(t)
	text := encode(t, c, k1)

	t.Run("unknown kid", func(t *testing.T) {
		if _, err := decodeVerify(text, keysOf(k2, k3)); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("got %v, want ErrUnknownKey", err)
		}
		p, err := Decode(text)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Verify(nil); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("nil key set: %v", err)
		}
	})
	t.Run("re-signed by another key with the same kid", func(t *testing.T) {
		payload, err := marshalClaims(&c)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := sign1(payload, k2, KeyID(&k1.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeVerify(packed(t, msg), keysOf(k1)); !errors.Is(err, ErrBadSignature) {
			t.Errorf("got %v, want ErrBadSignature", err)
		}
	})
	t.Run("kid collision, right key second", func(t *testing.T) {
		kid := string(KeyID(&k1.PublicKey))
		keys := keySet{kid: {&k2.PublicKey, &k3.PublicKey, &k1.PublicKey}}
		p, err := Decode(text)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := p.Verify(keys)
		if err != nil || !pub.Equal(&k1.PublicKey) {
			t.Errorf("got %v, %v; want k1", pub, err)
		}
		keys[kid] = keys[kid][:2]
		if _, err := p.Verify(keys); !errors.Is(err, ErrBadSignature) {
			t.Errorf("without the right key: %v", err)
		}
	})
	t.Run("not Sportello", func(t *testing.T) {
		body := strings.TrimPrefix(text, Prefix)
		for _, s := range []string{"", body, "HC1:" + body, "td1:" + body, "TD1" + body, "https://example.org/", " TD1:" + body, "TD:" + body, "TDX:" + body} {
			if _, err := Decode(s); !errors.Is(err, ErrNotSportello) {
				t.Errorf("%.8q…: got %v, want ErrNotSportello", s, err)
			}
		}
	})
	t.Run("newer format", func(t *testing.T) {
		body := strings.TrimPrefix(text, Prefix)
		for _, s := range []string{"TD2:" + body, "TD10:x", "TD0:"} {
			if _, err := Decode(s); !errors.Is(err, ErrUnsupportedVersion) {
				t.Errorf("%.8q…: got %v, want ErrUnsupportedVersion", s, err)
			}
		}
	})
	t.Run("each failure wraps one sentinel", func(t *testing.T) {
		sentinels := []error{ErrNotSportello, ErrUnsupportedVersion, ErrMalformed, ErrUnknownKey, ErrBadSignature}
		for _, s := range []string{"x", "TD2:", "TD1:!!!", text} {
			_, err := decodeVerify(s, keysOf(k2))
			n := 0
			for _, e := range sentinels {
				if errors.Is(err, e) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%.8q…: %v wraps %d sentinels", s, err, n)
			}
		}
	})
}

func TestMalformed(t *testing.T) {
	key := testKey(t, 1)
	c := residenza(t)
	payload, err := marshalClaims(&c)
	if err != nil {
		t.Fatal(err)
	}
	signed := func(payload []byte) string {
		msg, err := sign1(payload, key, KeyID(&key.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		return packed(t, msg)
	}
	zlibText := func(data []byte) string {
		var b bytes.Buffer
		w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
		w.Write(data)
		w.Close()
		return Prefix + base45Encode(b.Bytes())
	}
	z := compressedOf(t, signed(payload))
	raw := coseOf(t, signed(payload))

	// withKey decodes the payload generically, sets key to value in the map
	// at path, and encodes it again deterministically.
	withKey := func(path []any, key, value any) []byte {
		var m map[any]any
		if err := cbor.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		inner := m
		for _, k := range path {
			inner = inner[k].(map[any]any)
		}
		inner[key] = value
		enc, _ := cbor.EncOptions{Sort: cbor.SortCoreDeterministic}.EncMode()
		b, err := enc.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// The control: re-encoding the generic map gives the same payload.
	if again := withKey(nil, uint64(1), "015999"); !bytes.Equal(again, payload) {
		t.Fatalf("generic re-encoding differs: %x", again)
	}

	nest := func(n int) []byte { return append(bytes.Repeat([]byte{0x81}, n), 0x00) }
	bomb := zlibText(make([]byte, 1<<20))

	var noncanonical []byte // iat as a 64-bit integer instead of 32
	noncanonical = append(noncanonical, payload...)
	if i := bytes.Index(noncanonical, []byte{0x06, 0x1a}); i < 0 {
		t.Fatal("no iat in payload")
	} else {
		noncanonical = append(noncanonical[:i+1], append([]byte{0x1b, 0, 0, 0, 0}, noncanonical[i+2:]...)...)
	}

	cases := map[string]string{
		"zlib bomb":                        bomb,
		"just over the limit":              zlibText(make([]byte, MaxDecompressed+1)),
		"bad Base45 character":             Prefix + "AB",
		"Base45 length 3k+1":               Prefix + base45Encode(z)[:len(base45Encode(z))-2],
		"Base45 overflow":                  Prefix + "GGW",
		"empty":                            Prefix,
		"too long":                         Prefix + strings.Repeat("0", MaxText),
		"trailing zlib data":               Prefix + base45Encode(append(bytes.Clone(z), 0)),
		"trailing COSE data":               packed(t, append(bytes.Clone(raw), 0)),
		"untagged COSE":                    packed(t, raw[1:]),
		"not COSE":                         zlibText([]byte("hello")),
		"deeply nested COSE":               packed(t, concat(raw[:16], nest(200), raw[17:])),
		"deeply nested claims":             signed(nest(200)),
		"claims nested one level too deep": signed(withKey([]any{int64(-65537), uint64(3), uint64(4)}, uint64(1), []any{[]any{[]any{[]any{[]any{"x"}}}}})),
		"unknown top-level claim":          signed(withKey(nil, uint64(2), "subject")),
		"unknown certificate claim":        signed(withKey([]any{int64(-65537)}, uint64(99), "x")),
		"unknown person claim":             signed(withKey([]any{int64(-65537), uint64(3)}, uint64(7), "M")),
		"unknown stamp duty claim":         signed(withKey([]any{int64(-65537), uint64(8)}, uint64(6), true)),
		"text key":                         signed(withKey(nil, "iss", "015999")),
		"wrong type":                       signed(withKey(nil, uint64(6), "2026-03-09")),
		"family member with a CF":          signed(withKey([]any{int64(-65537)}, uint64(5), []any{map[any]any{uint64(1): "Rossi", uint64(2): "Anna", uint64(3): int64(1000), uint64(5): holderCF(t)}})),
		"bad holder CF":                    signed(withKey([]any{int64(-65537), uint64(3)}, uint64(5), "CLMMRC74C15F205X")),
		"two stamp duties":                 signed(withKey([]any{int64(-65537), uint64(8)}, uint64(5), true)),
		"non-canonical integer":            signed(noncanonical),
		"empty optional claim present":     signed(withKey([]any{int64(-65537)}, uint64(6), "")),
		"control character":                signed(withKey([]any{int64(-65537)}, uint64(6), "ital\niana")),
		"bidi override":                    signed(withKey([]any{int64(-65537)}, uint64(6), "\u202eanailati")),
		"expiry before issue":              signed(withKey(nil, uint64(4), uint64(1000))),
		"empty payload":                    signed([]byte{}),
		"unprotected header":               packed(t, concat(raw[:16], []byte{0xa1, 0x04, 0x41, 0x00}, raw[17:])),
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(text); !errors.Is(err, ErrMalformed) {
				t.Errorf("got %v, want ErrMalformed", err)
			} else {
				t.Log(err)
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	key := testKey(t, 1)
	for name, change := range map[string]func(*Claims){
		"issuer":                func(c *Claims) { c.Issuer = "15999" },
		"no issue time":         func(c *Claims) { c.IssuedAt = time.Time{} },
		"expiry before issue":   func(c *Claims) { e := issued.Add(-time.Hour); c.Expires = &e },
		"no serial":             func(c *Claims) { c.Serial = "" },
		"type":                  func(c *Claims) { c.Type = "Residenza" },
		"no holder surname":     func(c *Claims) { c.Holder.Surname = "" },
		"no birth date":         func(c *Claims) { c.Holder.BirthDate = core.Date{} },
		"birth before 1800":     func(c *Claims) { c.Holder.BirthDate = core.NewDate(1799, 12, 31) },
		"lower-case CF":         func(c *Claims) { c.Holder.FiscalCode = strings.ToLower(c.Holder.FiscalCode) },
		"family CF":             func(c *Claims) { c.Family = []Person{c.Holder} },
		"no stamp duty":         func(c *Claims) { c.StampDuty = StampDuty{} },
		"marca and exemption":   func(c *Claims) { c.StampDuty.ExemptByType = true },
		"short marca":           func(c *Claims) { c.StampDuty.MarcaID = "0123456789012" },
		"marca without date":    func(c *Claims) { c.StampDuty.MarcaDate = core.Date{} },
		"exemption without law": func(c *Claims) { c.StampDuty = StampDuty{ExemptionCode: "8"} },
		"address without street": func(c *Claims) {
			c.Address = &core.Address{Town: "Valdoria"}
		},
		"line break": func(c *Claims) { c.Holder.Name = "Marco\nLuigi" },
	} {
		c := residenza(t)
		change(&c)
		if _, err := Encode(c, key); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Encode(residenza(t), p384); err == nil {
		t.Error("P-384 key accepted")
	}
	if _, err := Encode(residenza(t), nil); err == nil {
		t.Error("nil key accepted")
	}
}

// TestInflateCanonical flips every bit of zlib streams made at every
// compression level, stored blocks included, and checks that no flip gives
// the same output: skipped padding bits must be zero.
func TestInflateCanonical(t *testing.T) {
	raw := coseOf(t, encode(t, statoDiFamiglia(t, false), testKey(t, 1)))
	for _, level := range []int{zlib.NoCompression, zlib.BestSpeed, zlib.DefaultCompression, zlib.BestCompression, zlib.HuffmanOnly} {
		var b bytes.Buffer
		w, err := zlib.NewWriterLevel(&b, level)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(raw[:len(raw)/2])
		w.Flush() // a sync flush: an empty stored block in the middle
		w.Write(raw[len(raw)/2:])
		w.Close()
		z := b.Bytes()
		out, padded, err := inflateOnce(z)
		if err != nil || !bytes.Equal(out, raw) {
			t.Fatalf("level %d: %v", level, err)
		}
		if len(padded) == 0 {
			t.Fatalf("level %d: no padded byte found", level)
		}
		if _, err := inflate(z); err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		for i := range z {
			for bit := range 8 {
				flipped := bytes.Clone(z)
				flipped[i] ^= 1 << bit
				if out, err := inflate(flipped); err == nil && bytes.Equal(out, raw) {
					t.Fatalf("level %d: bit %d of byte %d/%d flipped, same output", level, bit, i, len(z))
				}
			}
		}
		t.Logf("level %d: %d bytes, bytes with padding %v", level, len(z), padded)
	}
	// Go always ends with an empty stored block; C zlib (here Python's
	// zlib.compress at level 9) ends with a Huffman block and its padding.
	for _, h := range []string{
		"78da4b040000620062",
		"78da73cecf2dcd4b5548c954084bcc49c92fca4cb452484e2d2ac94ccb4c4e2cc9074914a51667a6a4e65525ea288465262ab8679616a71614a42ab8271665260135652a189ae83be928181918585ac28d51d0f0f5d404002a5d1f6c",
	} {
		z, _ := hex.DecodeString(h)
		out, err := inflate(z)
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		for i := range z {
			for bit := range 8 {
				flipped := bytes.Clone(z)
				flipped[i] ^= 1 << bit
				if again, err := inflate(flipped); err == nil && bytes.Equal(again, out) {
					t.Fatalf("%q: bit %d of byte %d flipped, same output", out, bit, i)
				}
			}
		}
	}
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
