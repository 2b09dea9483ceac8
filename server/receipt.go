package server

import (
	"bytes"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/pagopa"
)

var rome = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Rome"); err == nil {
		return l
	}
	return time.UTC
}()

// receiptPDF is the receipt (ricevuta di pagamento) of one pagoPA payment:
// the municipality's header, the payer, the notice, the creditor, the
// description, the amount, when it was paid and the IUR.
func receiptPDF(m core.Municipality, payer core.Citizen, p core.Payment) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(p.PaidAt)
	pdf.SetModificationDate(p.PaidAt)
	pdf.SetTitle("Ricevuta di pagamento "+p.Receipt, true)
	pdf.SetAuthor(m.Name, true)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetMargins(20, 20, 20)
	pdf.AddPage()
	pdf.SetFont("go", "B", 16)
	pdf.CellFormat(0, 8, m.Name, "", 1, "L", false, 0, "")
	pdf.SetFont("go", "", 10)
	pdf.CellFormat(0, 5, m.Contacts.Address, "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 5, "Codice fiscale "+m.FiscalCode, "", 1, "L", false, 0, "")
	pdf.Ln(10)
	pdf.SetFont("go", "B", 14)
	pdf.CellFormat(0, 8, "Ricevuta di pagamento pagoPA", "", 1, "L", false, 0, "")
	pdf.Ln(4)
	rows := [][2]string{
		{"Pagatore", payer.Name + " " + payer.Surname + " (" + payer.FiscalCode + ")"},
		{"Ente creditore", m.Name + " (" + p.CreditorFiscalCode + ")"},
		{"Codice avviso", p.NoticeNumber},
		{"Causale", p.Description},
		{"Importo", pagopa.FormatEuro(p.AmountCents)},
		{"Pagato il", p.PaidAt.In(rome).Format("02/01/2006 15:04:05")},
		{"IUR (identificativo della ricevuta)", p.Receipt},
		{"Identificativo del pagamento", p.ID},
	}
	for _, row := range rows {
		pdf.SetFont("go", "B", 10)
		pdf.CellFormat(60, 6, row[0], "", 0, "L", false, 0, "")
		pdf.SetFont("go", "", 10)
		pdf.MultiCell(0, 6, row[1], "", "L", false)
	}
	pdf.Ln(8)
	pdf.SetFont("go", "", 8)
	pdf.MultiCell(0, 4, "Ricevuta emessa dall'ambiente di prova (sandbox) pagoPA del server di riferimento Sportello: "+
		"nessun addebito reale è stato effettuato.", "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
