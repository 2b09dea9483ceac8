package server

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/datamatrix"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/sportello/sportello/core/pagopa"
	"github.com/sportello/sportello/server/store"
)

// PaperNotice is a paper pagoPA notice (avviso di pagamento) as the
// municipality mails it, with the codes an app reads: the pagoPA QR code
// and the Poste Italiane Data Matrix.
type PaperNotice struct {
	Notice  store.PaperNotice
	QR      string // pagopa.FormatQR
	DM      string // pagopa.FormatDataMatrix
	Printed time.Time
}

// NoticeModuleMM is the side of a QR module on paper: at least 0.4 mm.
const NoticeModuleMM = 0.6

// NewPaperNotice builds the codes of n.
func NewPaperNotice(n store.PaperNotice, printed time.Time) (PaperNotice, error) {
	pn := pagopa.Notice{Number: n.NoticeNumber, Creditor: n.CreditorFiscalCode, AmountCents: n.AmountCents}
	qr, err := pagopa.FormatQR(pn)
	if err != nil {
		return PaperNotice{}, err
	}
	dm, err := pagopa.FormatDataMatrix(pn, pagopa.DataMatrixFields{DebtorCode: n.DebtorFiscalCode, DebtorName: n.DebtorName, Reason: truncate(n.Description, 110)})
	if err != nil {
		return PaperNotice{}, err
	}
	return PaperNotice{Notice: n, QR: qr, DM: dm, Printed: printed}, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// codeMatrix is a 2D code with one cell per module and no quiet zone.
func codeMatrix(payload string, format gozxing.BarcodeFormat) (*gozxing.BitMatrix, error) {
	if format == gozxing.BarcodeFormat_QR_CODE {
		return qrcode.NewQRCodeWriter().Encode(payload, format, 0, 0, map[gozxing.EncodeHintType]any{
			gozxing.EncodeHintType_ERROR_CORRECTION: "M", gozxing.EncodeHintType_MARGIN: 0})
	}
	return datamatrix.NewDataMatrixWriter().Encode(payload, format, 0, 0, nil)
}

// rows are the notice's printed lines: label and value.
func (p PaperNotice) rows() [][2]string {
	n := p.Notice
	debtor := n.DebtorName
	if n.DebtorFiscalCode != "" {
		debtor += " (" + n.DebtorFiscalCode + ")"
	}
	return [][2]string{
		{"Ente creditore", n.CreditorName},
		{"Codice fiscale ente", n.CreditorFiscalCode},
		{"Destinatario", debtor},
		{"Oggetto", n.Description},
		{"Importo", pagopa.FormatEuro(n.AmountCents)},
		{"Codice avviso", pagopa.SpacedNoticeNumber(n.NoticeNumber)},
	}
}

const noticeNote = "Paga con l'app Sportello, l'app IO, il sito pagoPA o presso banche, uffici postali, " +
	"punti vendita SISAL, Lottomatica e Banca 5 inquadrando il codice QR. Ambiente di prova: nessun addebito reale."

// PDF renders the notice on an A4 page, the codes as vector modules.
func (p PaperNotice) PDF() ([]byte, error) {
	qr, err := codeMatrix(p.QR, gozxing.BarcodeFormat_QR_CODE)
	if err != nil {
		return nil, err
	}
	dm, err := codeMatrix(p.DM, gozxing.BarcodeFormat_DATA_MATRIX)
	if err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(p.Printed)
	pdf.SetModificationDate(p.Printed)
	pdf.SetTitle("Avviso di pagamento "+p.Notice.NoticeNumber, true)
	pdf.SetAuthor(p.Notice.CreditorName, true)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetMargins(20, 20, 20)
	pdf.AddPage()
	pdf.SetFont("go", "B", 18)
	pdf.CellFormat(0, 9, "Avviso di pagamento pagoPA", "", 1, "L", false, 0, "")
	pdf.Ln(4)
	for _, row := range p.rows() {
		pdf.SetFont("go", "B", 10)
		pdf.CellFormat(45, 6, row[0], "", 0, "L", false, 0, "")
		pdf.SetFont("go", "", 10)
		pdf.MultiCell(0, 6, row[1], "", "L", false)
	}
	pdf.Ln(6)
	y := pdf.GetY()
	pdf.SetFont("go", "B", 10)
	pdf.Text(20, y, "Inquadra il codice QR")
	pdf.Text(110, y, "Bollettino postale (Data Matrix)")
	pdf.SetFillColor(0, 0, 0)
	drawModules(pdf, qr, 20+4*NoticeModuleMM, y+4+4*NoticeModuleMM, NoticeModuleMM)
	drawModules(pdf, dm, 110+2*0.5, y+4+2*0.5, 0.5)
	pdf.SetY(y + 4 + float64(qr.GetHeight()+8)*NoticeModuleMM + 6)
	pdf.SetFont("go", "", 8)
	pdf.MultiCell(0, 4, noticeNote, "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// drawModules draws the dark modules of m, one rectangle per horizontal
// run, from (x, y).
func drawModules(pdf *fpdf.Fpdf, m *gozxing.BitMatrix, x, y, module float64) {
	for row := 0; row < m.GetHeight(); row++ {
		for col := 0; col < m.GetWidth(); {
			if !m.Get(col, row) {
				col++
				continue
			}
			start := col
			for col < m.GetWidth() && m.Get(col, row) {
				col++
			}
			pdf.Rect(x+float64(start)*module, y+float64(row)*module, float64(col-start)*module, module, "F")
		}
	}
}

// NoticeDPI is the PNG's resolution.
const NoticeDPI = 150

// PNG renders the notice as an A4 page at NoticeDPI.
func (p PaperNotice) PNG() ([]byte, error) {
	qr, err := codeMatrix(p.QR, gozxing.BarcodeFormat_QR_CODE)
	if err != nil {
		return nil, err
	}
	dm, err := codeMatrix(p.DM, gozxing.BarcodeFormat_DATA_MATRIX)
	if err != nil {
		return nil, err
	}
	mm := func(v float64) int { return int(v*NoticeDPI/25.4 + 0.5) }
	page := image.NewGray(image.Rect(0, 0, mm(210), mm(297)))
	draw.Draw(page, page.Bounds(), image.White, image.Point{}, draw.Src)
	regular, err := noticeFace(goregular.TTF, 10)
	if err != nil {
		return nil, err
	}
	bold, err := noticeFace(gobold.TTF, 10)
	if err != nil {
		return nil, err
	}
	title, err := noticeFace(gobold.TTF, 18)
	if err != nil {
		return nil, err
	}
	text := func(face font.Face, x, y int, s string) {
		d := font.Drawer{Dst: page, Src: image.Black, Face: face, Dot: fixed.P(x, y)}
		d.DrawString(s)
	}
	y := mm(28)
	text(title, mm(20), y, "Avviso di pagamento pagoPA")
	y += mm(12)
	for _, row := range p.rows() {
		text(bold, mm(20), y, row[0])
		lines := wrapText(regular, row[1], mm(125))
		for _, l := range lines {
			text(regular, mm(65), y, l)
			y += mm(6)
		}
	}
	y += mm(6)
	text(bold, mm(20), y, "Inquadra il codice QR")
	text(bold, mm(110), y, "Bollettino postale (Data Matrix)")
	y += mm(4)
	// Whole pixels per module: the QR at 4 px (0.68 mm), the Data Matrix at 3.
	drawBits(page, qr, mm(20)+4*4, y+4*4, 4)
	drawBits(page, dm, mm(110)+2*3, y+2*3, 3)
	y += (qr.GetHeight()+8)*4 + mm(8)
	small, err := noticeFace(goregular.TTF, 8)
	if err != nil {
		return nil, err
	}
	for _, l := range wrapText(small, noticeNote, mm(170)) {
		text(small, mm(20), y, l)
		y += mm(4)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, page); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func noticeFace(ttf []byte, points float64) (font.Face, error) {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: points, DPI: NoticeDPI, Hinting: font.HintingFull})
}

// wrapText breaks s into lines no wider than width pixels.
func wrapText(face font.Face, s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range bytes.Fields([]byte(s)) {
		try := string(w)
		if line != "" {
			try = line + " " + string(w)
		}
		if line != "" && font.MeasureString(face, try).Ceil() > width {
			lines = append(lines, line)
			line = string(w)
			continue
		}
		line = try
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

func drawBits(dst *image.Gray, m *gozxing.BitMatrix, x, y, px int) {
	for row := 0; row < m.GetHeight(); row++ {
		for col := 0; col < m.GetWidth(); col++ {
			if m.Get(col, row) {
				r := image.Rect(x+col*px, y+row*px, x+(col+1)*px, y+(row+1)*px)
				draw.Draw(dst, r, &image.Uniform{C: color.Black}, image.Point{}, draw.Src)
			}
		}
	}
}

// String describes the notice for the operator.
func (p PaperNotice) String() string {
	return fmt.Sprintf("%s · %s · %s", pagopa.SpacedNoticeNumber(p.Notice.NoticeNumber), pagopa.FormatEuro(p.Notice.AmountCents), p.Notice.Description)
}
