package certs

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/glyph"
)

// Content is everything one certificate states, as of its issue: what its
// PDF prints and its glyph signs.
type Content struct {
	Municipality core.Municipality
	Type         certificates.Type
	Serial       string
	Copy, Copies int
	IssuedAt     time.Time // to the second, UTC
	ValidUntil   *core.Date
	Subject      core.Citizen // with Marriage
	Residence    *core.Residence
	Family       []core.Citizen // the whole registry family, subject included, the head first
	Spouse       *core.Citizen  // for a marriage certificate, if in the registry
	Marca        *certificates.Marca
	Exemption    *certificates.Exemption
	Glyph        string // the signed glyph, once signed
}

// IssuedOn is the day of issue.
func (c *Content) IssuedOn() core.Date { return core.DateOf(c.IssuedAt) }

// Certificate is the certificate as the API lists it.
func (c *Content) Certificate() core.Certificate {
	s := c.Subject
	return core.Certificate{Serial: c.Serial, Type: c.Type.ID, IssuedOn: c.IssuedOn(), ValidUntil: c.ValidUntil,
		Copy: c.Copy, Glyph: c.Glyph,
		Subject: core.Person{FiscalCode: s.FiscalCode, Surname: s.Surname, Name: s.Name, BirthDate: s.BirthDate}}
}

// crockford is Crockford's base 32: no I, L, O, U, easy to read aloud.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewSerial returns a fresh serial for a certificate issued at t: the year
// and ten random Crockford base-32 characters (50 bits), "2026-7K3F9Q2M4X".
func NewSerial(t time.Time) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%04d-", t.Year())
	for _, v := range b {
		sb.WriteByte(crockford[v&31])
	}
	return sb.String()
}

// Claims are what the certificate's glyph signs: the issuer's ISTAT code,
// serial, type, issue and end of validity, the subject (names, birth date
// and place; no codice fiscale), what the type states (address, family
// members without their codici fiscali, citizenship, marital status) and
// the stamp duty or exemption.
func (c *Content) Claims() glyph.Claims {
	s := c.Subject
	cl := glyph.Claims{
		Issuer:   c.Municipality.ISTAT,
		IssuedAt: c.IssuedAt,
		Serial:   c.Serial,
		Type:     c.Type.ID,
		Holder: glyph.Person{Surname: s.Surname, Name: s.Name, BirthDate: s.BirthDate,
			BirthPlace: core.Place{Name: s.BirthPlace.Name, Province: s.BirthPlace.Province}},
	}
	if c.ValidUntil != nil {
		y, m, d := c.ValidUntil.Date()
		end := time.Date(y, m, d, 23, 59, 59, 0, time.UTC)
		cl.Expires = &end
	}
	t := c.Type
	if t.Has(certificates.ContentAddress) && c.Residence != nil {
		a := c.Residence.Address
		cl.Address = &a
	}
	if t.Has(certificates.ContentFamily) {
		for _, m := range c.Family {
			cl.Family = append(cl.Family, glyph.Person{Surname: m.Surname, Name: m.Name, BirthDate: m.BirthDate,
				Relationship: m.Relationship})
		}
	}
	if t.Has(certificates.ContentCitizenship) {
		cl.Citizenship = s.Citizenship
	}
	if t.Has(certificates.ContentMaritalStatus) || t.Has(certificates.ContentFreeStatus) {
		cl.MaritalStatus = s.MaritalStatus
	}
	if t.Has(certificates.ContentMarriage) {
		// The glyph's claims have no marriage of their own: the marital
		// status, and the spouse as the one member of Family.
		cl.MaritalStatus = s.MaritalStatus
		if sp := c.Spouse; sp != nil {
			cl.Family = []glyph.Person{{Surname: sp.Surname, Name: sp.Name, BirthDate: sp.BirthDate, Relationship: core.Spouse}}
		}
	}
	switch {
	case c.Marca != nil:
		cl.StampDuty = glyph.StampDuty{MarcaID: c.Marca.ID, MarcaDate: c.Marca.Date}
	case c.Exemption != nil:
		cl.StampDuty = glyph.StampDuty{ExemptionCode: c.Exemption.Code, ExemptionLaw: c.Exemption.Law}
	default:
		cl.StampDuty = glyph.StampDuty{ExemptByType: true}
	}
	return cl
}

// Sign signs the glyph of c with the signer's key.
func (c *Content) Sign(s *Signer) error {
	g, err := glyph.Encode(c.Claims(), s.Key)
	if err != nil {
		return fmt.Errorf("certificate %s: %w", c.Serial, err)
	}
	c.Glyph = g
	return nil
}
