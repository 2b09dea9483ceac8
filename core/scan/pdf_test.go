package scan_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/scan"
	"github.com/sportello/sportello/server/certs"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/store"
)

var seedTime = time.Date(2026, time.November, 22, 10, 30, 0, 0, time.UTC)

// certificatePDF is a real Sportello certificate, issued as the server
// issues it (the registry of the demo municipality, a signed glyph,
// RenderPDF), compressed and uncompressed, and its glyph.
func certificatePDF(t *testing.T) (compressed, uncompressed []byte, glyph string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "sportello.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds := demo.Generate(seedTime)
	if err := st.Seed(ctx, ds); err != nil {
		t.Fatal(err)
	}
	svc, err := certs.New(st, db, func() time.Time { return seedTime })
	if err != nil {
		t.Fatal(err)
	}
	var holder string
	for _, c := range ds.Citizens {
		if c.Name+" "+c.Surname == "Stefano Cattaneo" {
			holder = c.FiscalCode
		}
	}
	// The stato di famiglia has the longest glyph.
	contents, err := svc.DryRun(ctx, holder, certificates.Request{Type: certificates.StatoDiFamiglia,
		StampDuty: certificates.StampDutyReq{Marcas: []certificates.MarcaReq{{ID: "01000000000042", Date: "2026-11-20"}}}})
	if err != nil {
		t.Fatal(err)
	}
	c := contents[0]
	if compressed, err = certs.RenderPDF(c, certs.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if uncompressed, err = certs.RenderPDF(c, certs.RenderOptions{Uncompressed: true}); err != nil {
		t.Fatal(err)
	}
	return compressed, uncompressed, c.Glyph
}

func TestSportelloPDF(t *testing.T) {
	compressed, uncompressed, glyph := certificatePDF(t)
	if len(glyph) < 400 {
		t.Fatalf("a glyph of %d characters", len(glyph))
	}
	for name, pdf := range map[string][]byte{"compressed": compressed, "uncompressed": uncompressed} {
		res, err := scan.PDF(pdf)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Text != glyph {
			t.Errorf("%s: read %q, the glyph is %q", name, res.Text, glyph)
		}
		if res.Bounds.Empty() {
			t.Errorf("%s: no bounds", name)
		}
		if r, err := scan.Bytes(pdf); err != nil || r != res {
			t.Errorf("%s: Bytes: %+v, %v", name, r, err)
		}
		// What the certificates' own reader now does.
		if g, err := certs.GlyphFromPDF(pdf); err != nil || g != glyph {
			t.Errorf("%s: GlyphFromPDF: %q, %v", name, g, err)
		}
	}
}

func TestSportelloPDFDamaged(t *testing.T) {
	pdf, _, glyph := certificatePDF(t)
	for _, n := range []int{len(pdf) / 4, len(pdf) / 2, len(pdf) * 3 / 4} {
		if res, err := scan.PDF(pdf[:n]); !errors.Is(err, scan.ErrUnreadableFile) {
			t.Errorf("the first %d of %d bytes: %+v, %v", n, len(pdf), res, err)
		}
	}
	// Without its cross-reference table and trailer, the file is read as
	// viewers read it, by finding its objects: the glyph or nothing.
	if res, err := scan.PDF(pdf[:len(pdf)-200]); err == nil && res.Text != glyph || err != nil && !errors.Is(err, scan.ErrUnreadableFile) {
		t.Errorf("without its trailer: %+v, %v", res, err)
	}
	// The content stream garbled in the middle: its deflate data breaks.
	at := bytes.Index(pdf, []byte("/FlateDecode"))
	s := bytes.Index(pdf[at:], []byte("stream\n"))
	if at < 0 || s < 0 {
		t.Fatal("no compressed stream")
	}
	garbled := bytes.Clone(pdf)
	for i := at + s + 40; i < at+s+240; i++ {
		garbled[i] ^= 0x5a
	}
	if res, err := scan.PDF(garbled); !errors.Is(err, scan.ErrUnreadableFile) {
		t.Errorf("garbled content stream: %+v, %v", res, err)
	}
}

// A paper certificate scanned to a PDF: the page is a JPEG (DCTDecode) or
// a PNG (FlateDecode with a PNG predictor) image, on the second page.
func TestScannedPDF(t *testing.T) {
	text := scan.GlyphText(51, 600)
	page, _ := scan.Page(t, text, 200)
	for name, img := range map[string]struct {
		data []byte
		typ  string
	}{"JPEG": {scan.JPEG(t, page, 85), "JPG"}, "PNG": {scan.PNG(t, page), "PNG"}} {
		pdf := fpdf.New("P", "mm", "A4", "")
		pdf.SetCompression(true)
		pdf.AddPage()
		pdf.SetFont("Helvetica", "", 12)
		pdf.Cell(100, 10, "Scansione del certificato")
		pdf.Rect(20, 40, 170, 0.3, "F") // a rule: a fill without a code
		pdf.AddPage()
		opt := fpdf.ImageOptions{ImageType: img.typ}
		pdf.RegisterImageOptionsReader("scan", opt, bytes.NewReader(img.data))
		pdf.ImageOptions("scan", 0, 0, 210, 297, false, opt, 0, "")
		var b bytes.Buffer
		if err := pdf.Output(&b); err != nil {
			t.Fatal(err)
		}
		filter := map[string]string{"JPEG": "/DCTDecode", "PNG": "/FlateDecode"}[name]
		if !bytes.Contains(b.Bytes(), []byte(filter)) {
			t.Fatalf("%s: no %s image", name, filter)
		}
		res, err := scan.PDF(b.Bytes())
		if err != nil || res.Text != text {
			t.Errorf("%s: read %q, %v", name, res.Text, err)
		}
	}
}

func TestPDFNoCode(t *testing.T) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 12)
	pdf.Cell(100, 10, "Nessun codice qui")
	pdf.Rect(20, 40, 60, 30, "F")
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		t.Fatal(err)
	}
	if res, err := scan.PDF(b.Bytes()); !errors.Is(err, scan.ErrNotFound) {
		t.Errorf("%+v, %v", res, err)
	}
}

// More pages than are examined: a code on page MaxPDFPages+1 is not read.
func TestPDFPageLimit(t *testing.T) {
	text := scan.GlyphText(52, 420)
	page, _ := scan.Page(t, text, 150)
	jpg := scan.JPEG(t, page, 85)
	for _, at := range []int{scan.MaxPDFPages, scan.MaxPDFPages + 1} {
		pdf := fpdf.New("P", "mm", "A4", "")
		opt := fpdf.ImageOptions{ImageType: "JPG"}
		pdf.RegisterImageOptionsReader("scan", opt, bytes.NewReader(jpg))
		for p := 1; p <= at; p++ {
			pdf.AddPage()
			if p == at {
				pdf.ImageOptions("scan", 0, 0, 210, 297, false, opt, 0, "")
			}
		}
		var b bytes.Buffer
		if err := pdf.Output(&b); err != nil {
			t.Fatal(err)
		}
		res, err := scan.PDF(b.Bytes())
		switch {
		case at <= scan.MaxPDFPages && (err != nil || res.Text != text):
			t.Errorf("code on page %d: %q, %v", at, res.Text, err)
		case at > scan.MaxPDFPages && !errors.Is(err, scan.ErrNotFound):
			t.Errorf("code on page %d: %q, %v", at, res.Text, fmt.Sprint(err))
		}
	}
}
