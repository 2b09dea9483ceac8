package certs

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/glyph"
)

// SizeRow is the glyph of one certificate and the QR codes that hold it.
type SizeRow struct {
	Type         string
	Subject      string  // "Surname Name"
	Family       int     // members in the glyph
	StampDuty    string  // "marca", an exemption's code, "exempt by type"
	Chars        int     // the glyph's text
	VersionM     int     // QR version at ECC level M
	VersionQ     int     // at ECC level Q
	SideM, SideQ float64 // mm, quiet zone included, at QRModuleMM a module
}

// sizeCase is one certificate to measure.
type sizeCase struct {
	holder string
	req    certificates.Request
}

// GlyphSizes measures the glyph of every type for the head of the first
// registry family of five of the database (the others about the head;
// stato libero about its first adult who is free to marry; matrimonio if
// the head is married), then a stato di famiglia for the head of every
// other family of five or more. Nothing is recorded.
func (s *Service) GlyphSizes(ctx context.Context) ([]SizeRow, error) {
	citizens, err := s.st.Citizens(ctx)
	if err != nil {
		return nil, err
	}
	families := map[string][]core.Citizen{}
	var order []string
	for _, c := range citizens {
		if _, ok := families[c.FamilyID]; !ok {
			order = append(order, c.FamilyID)
		}
		families[c.FamilyID] = append(families[c.FamilyID], c)
	}
	var five string
	for _, id := range order {
		if len(families[id]) == 5 {
			five = id
			break
		}
	}
	if five == "" {
		return nil, fmt.Errorf("the registry has no family of five")
	}
	head := families[five][0]
	today := core.DateOf(s.now())
	marca := []certificates.MarcaReq{{ID: "01234567890123", Date: today.String()}}
	var cases []sizeCase
	for _, t := range certificates.Types() {
		c := sizeCase{holder: head.FiscalCode, req: certificates.Request{Type: t.ID}}
		if !t.AlwaysExempt {
			c.req.StampDuty.Marcas = marca
		}
		switch t.Eligibility {
		case certificates.NotMarried:
			c.holder = ""
			for _, m := range families[five] {
				if m.MaritalStatus != core.Married && m.MaritalStatus != core.CivilUnion && m.BirthDate.AddDate(18, 0, 0).Before(today.Time) {
					c.holder = m.FiscalCode
					break
				}
			}
		case certificates.Married:
			if head.MaritalStatus != core.Married {
				c.holder = ""
			}
		}
		if c.holder != "" {
			cases = append(cases, c)
		}
	}
	// The longest exemption's law, on the family of five.
	cases = append(cases, sizeCase{holder: head.FiscalCode, req: certificates.Request{Type: certificates.StatoDiFamiglia,
		StampDuty: certificates.StampDutyReq{Exemption: "onlus_volontariato"}}})
	for _, id := range order {
		if f := families[id]; len(f) >= 5 && id != five {
			cases = append(cases, sizeCase{holder: f[0].FiscalCode, req: certificates.Request{Type: certificates.StatoDiFamiglia,
				StampDuty: certificates.StampDutyReq{Marcas: marca}}})
		}
	}

	var rows []SizeRow
	for _, c := range cases {
		contents, err := s.DryRun(ctx, c.holder, c.req)
		if err != nil {
			return nil, fmt.Errorf("%s for %s: %w", c.req.Type, c.holder, err)
		}
		ct := contents[0]
		p, err := glyph.Decode(ct.Glyph)
		if err != nil {
			return nil, err
		}
		r := SizeRow{Type: ct.Type.ID, Subject: ct.Subject.Surname + " " + ct.Subject.Name, Family: len(p.Claims.Family),
			Chars: len(ct.Glyph)}
		switch {
		case ct.Marca != nil:
			r.StampDuty = "marca"
		case ct.Exemption != nil:
			r.StampDuty = ct.Exemption.Code
		default:
			r.StampDuty = "exempt by type"
		}
		if r.VersionM, err = glyph.QRVersion(ct.Glyph, glyph.ECLevelM); err != nil {
			return nil, err
		}
		if r.VersionQ, err = glyph.QRVersion(ct.Glyph, glyph.ECLevelQ); err != nil {
			return nil, err
		}
		r.SideM, r.SideQ = qrSide(r.VersionM), qrSide(r.VersionQ)
		rows = append(rows, r)
	}
	return rows, nil
}

// qrSide is the printed side of a QR code of the version, quiet zone
// included, at QRModuleMM a module.
func qrSide(version int) float64 { return float64(17+4*version+2*QuietModules) * QRModuleMM }

// WriteGlyphSizes writes rows as the Markdown of docs/glyph-sizes.md.
func WriteGlyphSizes(w io.Writer, rows []SizeRow) error {
	var b strings.Builder
	b.WriteString("# Glyph sizes\n\n")
	b.WriteString("The timbro digitale of each certificate type for a citizen of the demo municipality, as\n" +
		"`sportello-server glyph-sizes --db PATH` measures it (server/certs.GlyphSizes): the length of\n" +
		"the glyph's text (`TD1:` + Base45), the QR version that holds it at ECC levels M (what the\n" +
		"certificates print) and Q, and the printed side at 0.5 mm a module with the 4-module quiet\n" +
		"zone. Family members carry no codice fiscale; the subject's is not in the glyph either.\n" +
		"Lengths vary by a few characters from run to run (random serial and signature).\n\n")
	b.WriteString("| Type | Subject | Family | Stamp duty | Chars | QR M | QR Q | Side M (mm) | Side Q (mm) |\n")
	b.WriteString("|---|---|---:|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %d | %d | %d | %.1f | %.1f |\n", r.Type, r.Subject, r.Family,
			r.StampDuty, r.Chars, r.VersionM, r.VersionQ, r.SideM, r.SideQ)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
