package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/platform/secrets"
)

// selectRadio picks option under o in the first radio group offering it.
func selectRadio(t *testing.T, u *ui, option string) {
	t.Helper()
	for _, c := range test.LaidOutObjects(u.dossier.root) {
		if r, ok := c.(*widget.RadioGroup); ok {
			for _, o := range r.Options {
				if o == option {
					r.SetSelected(option)
					return
				}
			}
		}
	}
	t.Fatalf("no radio option %q", option)
}

func TestRequestAStatoDiFamigliaWithAnExemption(t *testing.T) {
	dataDir := t.TempDir()
	u := startTestUI(t, false, "it", dataDir, secrets.Memory())
	signInAs(t, u, marcoColombo)
	u.showDossier()
	d := u.dossier
	d.open("certificates")
	tapButton(t, d.root, "Richiedi un certificato")
	golden(t, u, "cert_whom_desktop_it")
	tapButton(t, d.root, "Avanti")

	typ, _ := certificates.Lookup("stato_di_famiglia")
	selectRadio(t, u, typ.Name("it"))
	golden(t, u, "cert_type_desktop_it")
	tapButton(t, d.root, "Avanti")

	// A malformed marca da bollo is refused in place, and nothing is lost.
	w := d.wizard
	test.Type(w.marcaID[0], "12345")
	test.Type(w.marcaDt[0], "01/01/2030")
	tapButton(t, d.root, "Avanti")
	if w.step != 2 || !strings.Contains(w.problem.Text, "14 cifre") || !strings.Contains(w.problem.Text, "futuro") {
		t.Fatalf("step %d, problem %q", w.step, w.problem.Text)
	}
	golden(t, u, "cert_use_error_desktop_it")
	if w.marcaID[0].Text != "12345" {
		t.Fatal("the typed marca was lost")
	}

	// Choose an exempt use instead.
	for _, c := range test.LaidOutObjects(d.root) {
		if s, ok := c.(*widget.Select); ok && len(s.Options) > 10 {
			s.SetSelectedIndex(6) // amateur sport
		}
	}
	tapButton(t, d.root, "Avanti")
	if w.step != 3 {
		t.Fatalf("still at step %d: %q", w.step, w.problem.Text)
	}
	golden(t, u, "cert_summary_desktop_it")
	tapButton(t, d.root, "Emetti il certificato")
	if len(w.issued) != 1 || w.issued[0].Type != "stato_di_famiglia" {
		t.Fatalf("issued %+v; problem %q", w.issued, w.problem.Text)
	}
	// The serial and the issue day come from the server: no golden image.

	// The PDF is on the device, sealed; the list shows the certificate.
	folder, _ := d.documents()
	pdf, err := folder.Load(w.issued[0].Serial)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("PDF on the device: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dataDir, "documents", "*"))
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		if bytes.Contains(raw, []byte("%PDF")) || bytes.Contains(raw, []byte("Colombo")) {
			t.Fatalf("%s is not sealed", f)
		}
	}
	d.open("certificates")
	if !strings.Contains(labels(d.root), w.issued[0].Serial) && !strings.Contains(test.RenderObjectToMarkup(d.root), w.issued[0].Serial) {
		t.Fatal("the new certificate is not listed")
	}
	d.refreshNow(context.Background())
}

// The plain copy handed to the viewer does not outlive the app.
func TestViewerCopiesAreRemoved(t *testing.T) {
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	if err := os.MkdirAll(u.viewerDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(u.viewerDir(), "x.pdf"), []byte("%PDF-"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.close()
	if _, err := os.Stat(u.viewerDir()); !os.IsNotExist(err) {
		t.Fatalf("viewer copies left after closing: %v", err)
	}
}
