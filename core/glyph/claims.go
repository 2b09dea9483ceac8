package glyph

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/codicefiscale"
)

// Certificate types, as the Type claim spells them (ANPR catalogue). The
// decoder accepts any type made of lower-case letters and underscores, so a
// new type needs no new format version.
const (
	TypeNascita                  = "nascita"
	TypeMatrimonio               = "matrimonio"
	TypeCittadinanza             = "cittadinanza"
	TypeEsistenzaInVita          = "esistenza_in_vita"
	TypeResidenza                = "residenza"
	TypeResidenzaAIRE            = "residenza_aire"
	TypeStatoCivile              = "stato_civile"
	TypeStatoDiFamiglia          = "stato_di_famiglia"
	TypeStatoDiFamigliaCivile    = "stato_di_famiglia_e_stato_civile"
	TypeResidenzaInConvivenza    = "residenza_in_convivenza"
	TypeStatoDiFamigliaAIRE      = "stato_di_famiglia_aire"
	TypeStatoDiFamigliaParentela = "stato_di_famiglia_parentela"
	TypeStatoLibero              = "stato_libero"
	TypeUnioneCivile             = "unione_civile"
	TypeContrattoDiConvivenza    = "contratto_di_convivenza"
	TypeContestuale              = "contestuale"
)

const (
	maxTextField = 200 // bytes in any one text claim
	maxFamily    = 32  // members in a stato di famiglia
	// Dates are days since 1970-01-01, from 1800-01-01 to 2200-01-01;
	// times are seconds since 1970-01-01T00:00:00Z, up to 2200-01-01.
	firstDay, lastDay = -62091, 84006
	lastSecond        = lastDay * 86400
)

// Claims are what a glyph states. Times are kept to the second, in UTC; an
// empty or nil optional field is left out of the encoding.
type Claims struct {
	Issuer   string     // ISTAT code of the issuing municipality, 6 digits: "015146"
	IssuedAt time.Time  // when the certificate was issued
	Expires  *time.Time // end of validity; nil for unlimited validity (DPR 445/2000 art. 41)
	Serial   string     // the certificate's serial number
	Type     string     // one of the Type constants

	Holder Person // whom the certificate is about; the only one who may carry a codice fiscale

	// The certificate's content, as its type needs it.
	Address       *core.Address      // residence
	Family        []Person           // registry family, holder included; no fiscal codes
	Citizenship   string             // "italiana"
	MaritalStatus core.MaritalStatus // stato civile

	StampDuty StampDuty
}

// Person is the holder or a member of the holder's family.
type Person struct {
	Surname      string
	Name         string
	BirthDate    core.Date
	BirthPlace   core.Place        // optional; any of Name, Province, Belfiore
	FiscalCode   string            // the holder's own, optional; never set for family members
	Relationship core.Relationship // to the head of the registry family, optional
}

// StampDuty says how the imposta di bollo (DPR 642/1972) was settled: exactly
// one of a marca da bollo (MarcaID and MarcaDate), an exemption for a use
// (ExemptionCode and ExemptionLaw), or ExemptByType for certificates that are
// exempt whatever their use (stato civile).
type StampDuty struct {
	MarcaID       string    // the 14-digit identifier printed on the marca da bollo
	MarcaDate     core.Date // its issue date
	ExemptionCode string    // the exempt use, e.g. "8-bis"
	ExemptionLaw  string    // its legal reference, e.g. "DPR 642/1972 Tab. B art. 8-bis"
	ExemptByType  bool
}

// The wire forms, with the integer keys docs/glyph.md lists.

type wireClaims struct {
	Issuer      string   `cbor:"1,keyasint"`
	Expires     *int64   `cbor:"4,keyasint,omitempty"`
	IssuedAt    int64    `cbor:"6,keyasint"`
	Certificate wireCert `cbor:"-65537,keyasint"`
}

type wireCert struct {
	Serial        string        `cbor:"1,keyasint"`
	Type          string        `cbor:"2,keyasint"`
	Holder        wirePerson    `cbor:"3,keyasint"`
	Address       *wireAddress  `cbor:"4,keyasint,omitempty"`
	Family        []wirePerson  `cbor:"5,keyasint,omitempty"`
	Citizenship   string        `cbor:"6,keyasint,omitempty"`
	MaritalStatus string        `cbor:"7,keyasint,omitempty"`
	StampDuty     wireStampDuty `cbor:"8,keyasint"`
}

type wirePerson struct {
	Surname      string     `cbor:"1,keyasint"`
	Name         string     `cbor:"2,keyasint"`
	BirthDate    int64      `cbor:"3,keyasint"`
	BirthPlace   *wirePlace `cbor:"4,keyasint,omitempty"`
	FiscalCode   string     `cbor:"5,keyasint,omitempty"`
	Relationship string     `cbor:"6,keyasint,omitempty"`
}

type wirePlace struct {
	Name     string `cbor:"1,keyasint,omitempty"`
	Province string `cbor:"2,keyasint,omitempty"`
	Belfiore string `cbor:"3,keyasint,omitempty"`
}

type wireAddress struct {
	Street     string `cbor:"1,keyasint"`
	Number     string `cbor:"2,keyasint,omitempty"`
	PostalCode string `cbor:"3,keyasint,omitempty"`
	Town       string `cbor:"4,keyasint,omitempty"`
	Province   string `cbor:"5,keyasint,omitempty"`
}

type wireStampDuty struct {
	MarcaID       string `cbor:"1,keyasint,omitempty"`
	MarcaDate     *int64 `cbor:"2,keyasint,omitempty"`
	ExemptionCode string `cbor:"3,keyasint,omitempty"`
	ExemptionLaw  string `cbor:"4,keyasint,omitempty"`
	ExemptByType  bool   `cbor:"5,keyasint,omitempty"`
}

var (
	claimsEnc cbor.EncMode
	claimsDec cbor.DecMode
)

func init() {
	var err error
	claimsEnc, err = cbor.EncOptions{
		Sort:        cbor.SortCoreDeterministic,
		IndefLength: cbor.IndefLengthForbidden,
		TagsMd:      cbor.TagsForbidden,
	}.EncMode()
	if err != nil {
		panic(err)
	}
	claimsDec, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   8,
		MaxArrayElements:  maxFamily,
		MaxMapPairs:       16,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// marshalClaims checks c and returns its deterministic CBOR encoding.
func marshalClaims(c *Claims) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	w := wireClaims{
		Issuer:   c.Issuer,
		IssuedAt: c.IssuedAt.Unix(),
		Certificate: wireCert{
			Serial:        c.Serial,
			Type:          c.Type,
			Holder:        toWirePerson(c.Holder),
			Citizenship:   c.Citizenship,
			MaritalStatus: string(c.MaritalStatus),
			StampDuty: wireStampDuty{
				MarcaID:       c.StampDuty.MarcaID,
				ExemptionCode: c.StampDuty.ExemptionCode,
				ExemptionLaw:  c.StampDuty.ExemptionLaw,
				ExemptByType:  c.StampDuty.ExemptByType,
			},
		},
	}
	if c.Expires != nil {
		exp := c.Expires.Unix()
		w.Expires = &exp
	}
	if !c.StampDuty.MarcaDate.IsZero() {
		d := days(c.StampDuty.MarcaDate)
		w.Certificate.StampDuty.MarcaDate = &d
	}
	if a := c.Address; a != nil {
		w.Certificate.Address = &wireAddress{a.Street, a.Number, a.PostalCode, a.Town, a.Province}
	}
	for _, m := range c.Family {
		w.Certificate.Family = append(w.Certificate.Family, toWirePerson(m))
	}
	return claimsEnc.Marshal(&w)
}

// unmarshalClaims decodes and checks payload, and insists that it is the one
// encoding marshalClaims would give.
func unmarshalClaims(payload []byte) (Claims, error) {
	var w wireClaims
	if err := claimsDec.Unmarshal(payload, &w); err != nil {
		return Claims{}, err
	}
	wc := &w.Certificate
	c := Claims{
		Issuer:        w.Issuer,
		IssuedAt:      time.Unix(w.IssuedAt, 0).UTC(),
		Serial:        wc.Serial,
		Type:          wc.Type,
		Holder:        fromWirePerson(wc.Holder),
		Citizenship:   wc.Citizenship,
		MaritalStatus: core.MaritalStatus(wc.MaritalStatus),
		StampDuty: StampDuty{
			MarcaID:       wc.StampDuty.MarcaID,
			ExemptionCode: wc.StampDuty.ExemptionCode,
			ExemptionLaw:  wc.StampDuty.ExemptionLaw,
			ExemptByType:  wc.StampDuty.ExemptByType,
		},
	}
	if w.Expires != nil {
		exp := time.Unix(*w.Expires, 0).UTC()
		c.Expires = &exp
	}
	if d := wc.StampDuty.MarcaDate; d != nil {
		if *d < firstDay || *d > lastDay {
			return Claims{}, errors.New("marca date out of range")
		}
		c.StampDuty.MarcaDate = date(*d)
	}
	if a := wc.Address; a != nil {
		c.Address = &core.Address{Street: a.Street, Number: a.Number, PostalCode: a.PostalCode, Town: a.Town, Province: a.Province}
	}
	for _, m := range wc.Family {
		c.Family = append(c.Family, fromWirePerson(m))
	}
	for _, p := range append([]wirePerson{wc.Holder}, wc.Family...) {
		if p.BirthDate < firstDay || p.BirthDate > lastDay {
			return Claims{}, errors.New("birth date out of range")
		}
	}
	again, err := marshalClaims(&c) // checks c too
	if err != nil {
		return Claims{}, err
	}
	if string(again) != string(payload) {
		return Claims{}, errors.New("claims are not in deterministic encoding")
	}
	return c, nil
}

func toWirePerson(p Person) wirePerson {
	w := wirePerson{
		Surname:      p.Surname,
		Name:         p.Name,
		BirthDate:    days(p.BirthDate),
		FiscalCode:   p.FiscalCode,
		Relationship: string(p.Relationship),
	}
	if b := p.BirthPlace; b != (core.Place{}) {
		w.BirthPlace = &wirePlace{b.Name, b.Province, b.Belfiore}
	}
	return w
}

func fromWirePerson(w wirePerson) Person {
	p := Person{
		Surname:      w.Surname,
		Name:         w.Name,
		BirthDate:    date(w.BirthDate),
		FiscalCode:   w.FiscalCode,
		Relationship: core.Relationship(w.Relationship),
	}
	if b := w.BirthPlace; b != nil {
		p.BirthPlace = core.Place{Name: b.Name, Province: b.Province, Belfiore: b.Belfiore}
	}
	return p
}

// days counts the days from 1970-01-01 to d's calendar day.
func days(d core.Date) int64 {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func date(n int64) core.Date { return core.DateOf(time.Unix(n*86400, 0).UTC()) }

// check applies the format's rules to c: the same rules for Encode and for
// Decode.
func (c *Claims) check() error {
	if !digits(c.Issuer, 6) {
		return errors.New("issuer is not a 6-digit ISTAT code")
	}
	iat := c.IssuedAt.Unix()
	if iat <= 0 || iat > lastSecond {
		return errors.New("issue time out of range")
	}
	if c.Expires != nil {
		if exp := c.Expires.Unix(); exp <= iat || exp > lastSecond {
			return errors.New("expiry not after issue time")
		}
	}
	if c.Serial == "" || !text(c.Serial) {
		return errors.New("bad serial")
	}
	if c.Type == "" || len(c.Type) > 64 {
		return errors.New("bad type")
	}
	for _, r := range c.Type {
		if r != '_' && (r < 'a' || r > 'z') {
			return errors.New("bad type")
		}
	}
	if err := c.Holder.check(); err != nil {
		return fmt.Errorf("holder: %w", err)
	}
	if f := c.Holder.FiscalCode; f != "" && (codicefiscale.Normalize(f) != f || codicefiscale.Validate(f) != nil) {
		return errors.New("holder: bad fiscal code")
	}
	if len(c.Family) > maxFamily {
		return errors.New("family too large")
	}
	for i, m := range c.Family {
		if err := m.check(); err != nil {
			return fmt.Errorf("family member %d: %w", i+1, err)
		}
		if m.FiscalCode != "" {
			return fmt.Errorf("family member %d: a glyph carries no fiscal code but the holder's", i+1)
		}
	}
	if a := c.Address; a != nil && (a.Street == "" || !text(a.Street, a.Number, a.PostalCode, a.Town, a.Province)) {
		return errors.New("bad address")
	}
	if !text(c.Citizenship, string(c.MaritalStatus)) {
		return errors.New("bad citizenship or marital status")
	}
	return c.StampDuty.check()
}

func (p *Person) check() error {
	if p.Surname == "" || p.Name == "" {
		return errors.New("surname and name are required")
	}
	if p.BirthDate.IsZero() {
		return errors.New("birth date is required")
	}
	if d := days(p.BirthDate); d < firstDay || d > lastDay {
		return errors.New("birth date out of range")
	}
	b := p.BirthPlace
	if !text(p.Surname, p.Name, b.Name, b.Province, b.Belfiore, p.FiscalCode, string(p.Relationship)) {
		return errors.New("bad text")
	}
	return nil
}

func (s *StampDuty) check() error {
	if !text(s.ExemptionCode, s.ExemptionLaw) {
		return errors.New("stamp duty: bad text")
	}
	const none, marca, exemption = 0, 1, 2
	kind := none
	if s.MarcaID != "" || !s.MarcaDate.IsZero() {
		if !digits(s.MarcaID, 14) || s.MarcaDate.IsZero() {
			return errors.New("stamp duty: a marca da bollo needs its 14-digit identifier and its date")
		}
		if d := days(s.MarcaDate); d < firstDay || d > lastDay {
			return errors.New("stamp duty: marca date out of range")
		}
		kind = marca
	}
	if s.ExemptionCode != "" || s.ExemptionLaw != "" {
		if s.ExemptionCode == "" || s.ExemptionLaw == "" || kind != none {
			return errors.New("stamp duty: an exemption needs its code and law, and nothing else")
		}
		kind = exemption
	}
	if s.ExemptByType == (kind != none) {
		return errors.New("stamp duty: exactly one of marca, exemption or exempt by type")
	}
	return nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// text reports whether every s is short, valid UTF-8 with no control or
// format characters (no line breaks, no bidirectional overrides).
func text(ss ...string) bool {
	for _, s := range ss {
		if len(s) > maxTextField || !utf8.ValidString(s) {
			return false
		}
		for _, r := range s {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				return false
			}
		}
	}
	return true
}
