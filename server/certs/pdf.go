package certs

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
)

// MandatorySentence must be on every registry certificate (L. 183/2011
// art. 15): certificates are for private parties only.
const MandatorySentence = "Il presente certificato non può essere prodotto agli organi della pubblica " +
	"amministrazione o ai privati gestori di pubblici servizi"

// The QR code of the glyph: ECC level M, modules of QRModuleMM (never less
// than MinModuleMM) and a quiet zone of QuietModules modules.
const (
	QRModuleMM   = 0.5
	MinModuleMM  = 0.4
	QuietModules = 4
	maxQRSideMM  = 56 // the glyph's box, quiet zone included
)

// Page geometry, in millimetres (A4).
const (
	pageW, pageH = 210.0, 297.0
	marginX      = 20.0
	textW        = pageW - 2*marginX
	bottom       = 16.0
)

// RenderOptions tune RenderPDF.
type RenderOptions struct {
	// Uncompressed leaves the content streams uncompressed (for tests and
	// inspection); certificates are issued compressed.
	Uncompressed bool
}

// RenderPDF draws the certificate c, whose glyph must be signed: one A4
// page with the municipality's header, the title, the text with the
// subject's and the type's data, the mandatory sentence, the stamp duty,
// serial, issue date and validity, and the glyph as a QR code drawn as
// vector rectangles, with a line on how to verify it. The file follows
// PDF/A-2b (see pdfa.go).
func RenderPDF(c *Content, opt RenderOptions) ([]byte, error) {
	if c.Glyph == "" {
		return nil, errors.New("certificate: the glyph is not signed")
	}
	qr, err := encoder.Encoder_encode(c.Glyph, decoder.ErrorCorrectionLevel_M, nil)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: QR code: %w", c.Serial, err)
	}

	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(!opt.Uncompressed)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetMargins(marginX, 16, marginX)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetLang("it-IT")
	m := c.Municipality
	pdf.SetTitle(c.Type.NameIT+" n. "+c.Serial, true)
	pdf.SetAuthor(m.Name, true)
	pdf.SetCreator("Sportello", true)
	pdf.SetProducer("Sportello (fpdf)", true)
	pdf.SetCreationDate(c.IssuedAt)
	pdf.SetModificationDate(c.IssuedAt)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetFillColor(0, 0, 0)
	pdf.AddPage()

	w := writer{pdf: pdf}
	// The municipality's header.
	pdf.SetFont("go", "B", 15)
	pdf.CellFormat(textW, 7, strings.ToUpper(m.Name), "", 1, "L", false, 0, "")
	pdf.SetFont("go", "", 9)
	pdf.CellFormat(textW, 5, fmt.Sprintf("Provincia di %s · Codice ISTAT %s · Servizi demografici, Ufficio anagrafe",
		m.Province, m.ISTAT), "", 1, "L", false, 0, "")
	pdf.SetLineWidth(0.3)
	pdf.Line(marginX, pdf.GetY()+2, pageW-marginX, pdf.GetY()+2)
	pdf.Ln(8)

	// Title and serial.
	pdf.SetFont("go", "B", 13)
	pdf.MultiCell(textW, 6.5, c.Type.TitleIT, "", "C", false)
	pdf.Ln(1)
	pdf.SetFont("go", "", 9)
	serial := "N. " + c.Serial
	if c.Copies > 1 {
		serial += fmt.Sprintf(" · copia %d di %d", c.Copy, c.Copies)
	}
	pdf.CellFormat(textW, 5, serial, "", 1, "C", false, 0, "")
	pdf.Ln(5)

	// The text.
	s := c.Subject
	w.para("L'Ufficiale d'anagrafe, visti gli atti d'ufficio,", 11)
	pdf.Ln(1)
	w.center("CERTIFICA", 11, true)
	pdf.Ln(1)
	w.para("che "+strings.ToUpper(s.Surname+" "+s.Name)+",", 11)
	w.para(fmt.Sprintf("%s a %s il %s, codice fiscale %s,", born(s.Sex), place(s.BirthPlace), day(s.BirthDate), s.FiscalCode), 11)
	for _, line := range c.statements() {
		w.para(line, 11)
	}
	if c.Type.Has(certificates.ContentFamily) {
		w.familyTable(c.Family)
	}
	pdf.Ln(3)

	// Stamp duty, the mandatory sentence, issue and validity.
	w.para(c.stampDuty(), 9.5)
	pdf.Ln(2)
	pdf.SetFont("go", "B", 10)
	pdf.SetLineWidth(0.2)
	pdf.MultiCell(textW, 5, MandatorySentence+" (L. 183/2011 art. 15).", "1", "C", false)
	pdf.Ln(3)
	pdf.SetFont("go", "", 10)
	validity := "Validità illimitata (DPR 445/2000 art. 41)."
	if c.ValidUntil != nil {
		validity = "Valido fino al " + day(*c.ValidUntil) + " (DPR 445/2000 art. 41)."
	}
	w.para(fmt.Sprintf("%s, %s. %s", townOf(m), day(c.IssuedOn()), validity), 10)
	pdf.Ln(1)
	w.para("L'Ufficiale d'anagrafe. Firma autografa sostituita a mezzo stampa (D.Lgs. 39/1993 art. 3 c. 2): "+
		"il documento è firmato dal timbro digitale qui sotto (CAD art. 23-ter c. 5).", 8.5)

	// The glyph.
	n := qr.GetMatrix().GetWidth()
	module := QRModuleMM
	if side := float64(n+2*QuietModules) * module; side > maxQRSideMM {
		module = max(MinModuleMM, maxQRSideMM/float64(n+2*QuietModules))
	}
	side := float64(n+2*QuietModules) * module
	top := pageH - bottom - side
	if pdf.GetY() > top {
		return nil, fmt.Errorf("certificate %s: the text does not leave room for the glyph", c.Serial)
	}
	drawQR(pdf, qr.GetMatrix(), marginX, top, module)
	pdf.SetXY(marginX+side+4, top+QuietModules*module)
	pdf.SetFont("go", "B", 9.5)
	pdf.MultiCell(textW-side-4, 4.6, "Timbro digitale", "", "L", false)
	pdf.SetX(marginX + side + 4)
	pdf.SetFont("go", "", 8.5)
	pdf.MultiCell(textW-side-4, 4.2, "Verifica questo certificato inquadrando il timbro digitale con l'app Sportello "+
		"o con il programma libero sportello-verify, anche senza connessione: mostrano i dati firmati dal Comune, "+
		"che devono coincidere con quelli stampati su questo foglio, e dicono se il certificato è scaduto o revocato. "+
		"Certificato n. "+c.Serial+".", "", "L", false)

	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("certificate %s: %w", c.Serial, err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("certificate %s: %w", c.Serial, err)
	}
	return toPDFA(buf.Bytes(), pdfaInfo{Title: c.Type.NameIT + " n. " + c.Serial, Author: m.Name,
		Creator: "Sportello", Producer: "Sportello (fpdf)", Date: c.IssuedAt})
}

// statements are the sentences of the certificate after the subject's
// identity: what its type certifies.
func (c *Content) statements() []string {
	s, t := c.Subject, c.Type
	female := s.Sex == core.Female
	var out []string
	addr := ""
	if c.Residence != nil {
		addr = address(c.Residence.Address)
	}
	switch {
	case t.Has(certificates.ContentFamily):
		out = append(out, fmt.Sprintf("risulta %s nell'anagrafe della popolazione residente di questo Comune, in %s, dal %s,",
			gender(female, "iscritta", "iscritto"), addr, day(c.Residence.Since)))
	case t.Has(certificates.ContentAddress):
		out = append(out, fmt.Sprintf("risulta residente in questo Comune in %s dal %s.", addr, day(c.Residence.Since)))
	}
	if t.Has(certificates.ContentCitizenship) {
		end := "."
		if t.Has(certificates.ContentFamily) {
			end = ","
		}
		out = append(out, fmt.Sprintf("è in possesso della cittadinanza %s%s", s.Citizenship, end))
	}
	if t.Has(certificates.ContentFamily) {
		out = append(out, "e che la sua famiglia anagrafica è così composta:")
	}
	if t.Has(certificates.ContentAlive) {
		out = append(out, "risulta in vita alla data odierna.")
	}
	if t.Has(certificates.ContentMaritalStatus) {
		out = append(out, fmt.Sprintf("è di stato civile: %s.", certificates.MaritalStatusIT(s.MaritalStatus, s.Sex)))
	}
	if t.Has(certificates.ContentFreeStatus) {
		out = append(out, fmt.Sprintf("è di stato libero (%s): non risulta %s né %s civilmente.",
			certificates.MaritalStatusIT(s.MaritalStatus, s.Sex), gender(female, "coniugata", "coniugato"),
			gender(female, "unita", "unito")))
	}
	if t.Has(certificates.ContentMarriage) && s.Marriage != nil {
		line := fmt.Sprintf("ha contratto matrimonio a %s il %s", place(s.Marriage.Place), day(s.Marriage.Date))
		if sp := c.Spouse; sp != nil {
			line += fmt.Sprintf(" con %s, %s a %s il %s", strings.ToUpper(sp.Surname+" "+sp.Name), born(sp.Sex),
				place(sp.BirthPlace), day(sp.BirthDate))
		}
		out = append(out, line+".")
	}
	if len(out) == 0 { // nascita: the birth is the whole statement
		out = append(out, fmt.Sprintf("risulta %s a %s il %s, come da atto di nascita.", born(s.Sex), place(s.BirthPlace), day(s.BirthDate)))
	}
	return out
}

// stampDuty is the sentence on the imposta di bollo.
func (c *Content) stampDuty() string {
	switch {
	case c.Marca != nil:
		return fmt.Sprintf("Imposta di bollo di 16,00 euro assolta con contrassegno telematico (marca da bollo) "+
			"n. %s del %s (DPR 642/1972).", c.Marca.ID, day(c.Marca.Date))
	case c.Exemption != nil:
		return fmt.Sprintf("Rilasciato in esenzione dall'imposta di bollo per l'uso dichiarato: %s (%s).",
			lowerFirst(c.Exemption.DescriptionIT), c.Exemption.Law)
	}
	return "Esente dall'imposta di bollo: " + c.Type.ExemptionLaw + "."
}

type writer struct{ pdf *fpdf.Fpdf }

func (w writer) para(text string, size float64) {
	w.pdf.SetFont("go", "", size)
	w.pdf.MultiCell(textW, size*0.5, text, "", "L", false)
}

func (w writer) center(text string, size float64, bold bool) {
	style := ""
	if bold {
		style = "B"
	}
	w.pdf.SetFont("go", style, size)
	w.pdf.CellFormat(textW, size*0.5, text, "", 1, "C", false, 0, "")
}

// familyTable lists the registry family: names, birth, relationship to
// the head. No codici fiscali: only the subject's is printed.
func (w writer) familyTable(family []core.Citizen) {
	pdf := w.pdf
	cols := []float64{62, 60, 48}
	pdf.Ln(1)
	pdf.SetFont("go", "B", 9)
	for i, h := range []string{"Cognome e nome", "Luogo e data di nascita", "Rapporto con l'intestatario"} {
		pdf.CellFormat(cols[i], 6, h, "B", 0, "L", false, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("go", "", 9)
	for _, m := range family {
		cells := []string{strings.ToUpper(m.Surname) + " " + m.Name, place(m.BirthPlace) + ", " + day(m.BirthDate),
			certificates.RelationshipIT(m.Relationship, m.Sex)}
		for i, v := range cells {
			pdf.CellFormat(cols[i], 5.5, v, "", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
	}
}

// drawQR draws the QR code's dark modules as filled rectangles, one per
// horizontal run, inside a quiet zone of QuietModules modules whose
// top-left corner is (x, y).
func drawQR(pdf *fpdf.Fpdf, m *encoder.ByteMatrix, x, y, module float64) {
	n := m.GetWidth()
	x0, y0 := x+QuietModules*module, y+QuietModules*module
	for row := 0; row < n; row++ {
		for col := 0; col < n; {
			if m.Get(col, row) != 1 {
				col++
				continue
			}
			start := col
			for col < n && m.Get(col, row) == 1 {
				col++
			}
			pdf.Rect(x0+float64(start)*module, y0+float64(row)*module, float64(col-start)*module, module, "F")
		}
	}
}

func born(s core.Sex) string { return gender(s == core.Female, "nata", "nato") }

func gender(female bool, f, m string) string {
	if female {
		return f
	}
	return m
}

func day(d core.Date) string { return d.Format("02/01/2006") }

func place(p core.Place) string {
	if p.Province == "" || p.Province == "EE" {
		return p.Name
	}
	return fmt.Sprintf("%s (%s)", p.Name, p.Province)
}

func address(a core.Address) string {
	return fmt.Sprintf("%s %s, %s %s (%s)", a.Street, a.Number, a.PostalCode, a.Town, a.Province)
}

func townOf(m core.Municipality) string {
	if name, ok := strings.CutPrefix(m.Name, "Comune di "); ok {
		return name
	}
	return m.Name
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
