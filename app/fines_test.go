package app

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/fines"
	"github.com/sportello/sportello/core/pagopa"
	"github.com/sportello/sportello/core/payments"
	"github.com/sportello/sportello/core/scan"
	"github.com/sportello/sportello/platform/secrets"
	"github.com/sportello/sportello/server"
	"github.com/sportello/sportello/server/store"
)

// browserSpy plays the system browser: it records the pages the app opens
// and, with async queued, lets the test act between the app's steps.
type browserSpy struct {
	opened []string
	queue  []func()
}

func spyOn(u *ui) *browserSpy {
	b := &browserSpy{}
	u.openURL = func(t *url.URL) error { b.opened = append(b.opened, t.String()); return nil }
	return b
}

// hold queues the app's background work until run.
func (b *browserSpy) hold(u *ui) { u.async = func(f func()) { b.queue = append(b.queue, f) } }

// release runs the queued work synchronously, and what it queues.
func (b *browserSpy) release(u *ui) {
	u.async = func(f func()) { f() }
	q := b.queue
	b.queue = nil
	for _, f := range q {
		f()
	}
}

func payableFine(t *testing.T, d *dossierScreen) core.FineNotice {
	t.Helper()
	for _, f := range d.fines.snap.List.Fines {
		if fines.Payable(f) {
			return f
		}
	}
	t.Fatalf("no payable fine among %d", len(d.fines.snap.List.Fines))
	return core.FineNotice{}
}

// Marco sees his fines with today's amount, pays one in the browser, keeps
// the receipt; paying it again is refused as already paid.
func TestPayAFine(t *testing.T) {
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	u.showDossier()
	d := u.dossier
	d.open("fines")
	golden(t, u, "fines_desktop_it")
	fine := payableFine(t, d)
	if !strings.Contains(labels(d.root), "Da pagare oggi: "+formatMoney(fine.AmountDueCents)) {
		t.Fatalf("today's amount not shown:\n%s", labels(d.root))
	}

	browser := spyOn(u)
	tapButton(t, d.root, "Paga")
	if d.pay == nil || d.pay.step != paySummary || d.pay.checked[0].AmountCents != fine.AmountDueCents {
		t.Fatalf("summary: %+v", d.pay)
	}
	golden(t, u, "pay_summary_desktop_it")
	browser.hold(u)
	tapButton(t, d.root, "Paga "+formatMoney(fine.AmountDueCents)+" con pagoPA")
	browser.queue[0]() // the checkout is created and its page opened
	browser.queue = browser.queue[1:]
	if d.pay.step != payWaiting || len(browser.opened) != 1 {
		t.Fatalf("step %d, opened %v, problem %q", d.pay.step, browser.opened, d.pay.problem)
	}
	golden(t, u, "pay_waiting_desktop_it")
	if err := payments.CompleteInSandbox(context.Background(), browser.opened[0], payments.TestCardOK); err != nil {
		t.Fatal(err)
	}
	browser.release(u) // the app sees the return
	if d.pay.step != payOutcome || !d.pay.result.Paid() {
		t.Fatalf("outcome: step %d %+v %q", d.pay.step, d.pay.result, d.pay.problem)
	}
	if !strings.Contains(labels(d.root), "Pagamento eseguito") || !strings.Contains(labels(d.root), "Ricevuta salvata") {
		t.Fatalf("outcome not shown:\n%s", labels(d.root))
	}
	folder, _ := d.documents()
	for _, name := range d.pay.result.Receipts {
		if pdf, err := folder.Load(name); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("receipt %s: %v", name, err)
		}
	}
	// The dossier shows the payment, the fine paid.
	found := false
	for _, p := range d.snap.Dossier.Payments {
		found = found || p.NoticeNumber == fine.NoticeNumber
	}
	if !found {
		t.Fatal("the payment is not in the dossier")
	}
	for _, f := range d.fines.snap.List.Fines {
		if f.NoticeNumber == fine.NoticeNumber && f.Status != core.FinePaid {
			t.Fatalf("fine still %s", f.Status)
		}
	}

	// Never twice.
	d.startPay([]core.NoticeRef{{NoticeNumber: fine.NoticeNumber, CreditorFiscalCode: fine.CreditorFiscalCode}}, "fines")
	if d.pay.step != payRefused || !strings.Contains(d.pay.problem, "già pagato") {
		t.Fatalf("paid again: step %d %q", d.pay.step, d.pay.problem)
	}
	golden(t, u, "pay_duplicated_desktop_it")
}

// The app dies while the pagoPA page is open; the citizen pays; the next
// start finds the payment and shows it.
func TestPaymentResumedAfterRestart(t *testing.T) {
	dataDir, keyring := t.TempDir(), secrets.Memory()
	u := startTestUI(t, true, "it", dataDir, keyring)
	signInAs(t, u, marcoColombo)
	d := u.dossier
	d.open("fines")
	fine := payableFine(t, d)
	browser := spyOn(u)
	tapButton(t, d.root, "Paga")
	browser.hold(u)
	tapButton(t, d.root, "Paga "+formatMoney(fine.AmountDueCents)+" con pagoPA")
	browser.queue[0]()
	d.pay.attempt.Close() // the app is gone
	if err := payments.CompleteInSandbox(context.Background(), browser.opened[0], payments.TestCardOK); err == nil {
		t.Fatal("the return reached a closed app")
	}
	u.close()

	again := startTestUI(t, true, "it", dataDir, keyring)
	if again.dossier == nil || len(again.dossier.resumed) != 1 || !again.dossier.resumed[0].Paid() {
		t.Fatalf("resumed: %+v", again.dossier)
	}
	again.showDossier()
	if text := labels(again.dossier.root); !strings.Contains(text, "Pagamento eseguito") {
		t.Fatalf("the outcome is not shown:\n%s", text)
	}
	tapButton(t, again.dossier.root, "OK")
	if len(again.dossier.resumed) != 0 {
		t.Fatal("not dismissed")
	}
}

// Malformed notice numbers, fiscal codes and plates are explained in place,
// and what was typed stays.
func TestMalformedInputsAreExplained(t *testing.T) {
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	signInAs(t, u, fatimaBenali)
	u.showDossier()
	d := u.dossier
	d.open("fines")
	golden(t, u, "fines_empty_desktop_it")

	tapButton(t, d.root, "Paga un avviso")
	st := &d.fines
	test.Type(st.noticeEntry, "3 47 2026 0200 0000 1")
	test.Type(st.creditorEntry, "80099990154")
	tapButton(t, d.root, "Avanti")
	if d.detail != "notice" || !strings.Contains(st.noticeError, "18 cifre") || st.noticeEntry.Text != "3 47 2026 0200 0000 1" {
		t.Fatalf("%s: %q %q", d.detail, st.noticeError, st.noticeEntry.Text)
	}
	golden(t, u, "notice_error_desktop_it")
	n, _ := pagopa.NewNoticeNumber("47", "2026020000001")
	st.noticeEntry.SetText(n)
	st.creditorEntry.SetText("80099990155")
	tapButton(t, d.root, "Avanti")
	if !strings.Contains(st.noticeError, "ultima cifra") {
		t.Fatalf("creditor: %q", st.noticeError)
	}

	// A QR code read from a photo fills the fields.
	payload := "PAGOPA|002|" + n + "|80099990154|4200"
	img, err := qrcode.NewQRCodeWriter().Encode(payload, gozxing.BarcodeFormat_QR_CODE, 400, 400, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	d.readNoticeFile(io.NopCloser(&buf))
	if st.noticeEntry.Text != n || st.creditorEntry.Text != "80099990154" || st.noticeError != "" {
		t.Fatalf("QR read: %q %q %q", st.noticeEntry.Text, st.creditorEntry.Text, st.noticeError)
	}
	tapButton(t, d.root, "Avanti")
	if d.pay == nil || d.pay.step != payRefused || !strings.Contains(d.pay.problem, "non conosce") {
		t.Fatalf("unknown notice: %+v", d.pay)
	}

	// Plates.
	d.open("fines")
	tapButton(t, d.root, "Registra una targa")
	test.Type(st.plateEntry, "AO 123 CD")
	tapButton(t, d.root, "Registra")
	if !strings.Contains(st.plateError, "I, O, Q e U") || st.plateEntry.Text != "AO 123 CD" {
		t.Fatalf("plate letters: %q", st.plateError)
	}
	golden(t, u, "plate_error_desktop_it")
	st.plateEntry.SetText("AB 12 CD")
	tapButton(t, d.root, "Registra")
	if !strings.Contains(st.plateError, "non è una targa italiana") && !strings.Contains(st.plateError, "Non è una targa italiana") {
		t.Fatalf("plate format: %q", st.plateError)
	}
	st.plateEntry.SetText("AB 123 CD")
	selectRadio(t, u, "Uso un veicolo non mio")
	tapButton(t, d.root, "Registra")
	if !strings.Contains(st.plateError, "autodichiarazione") {
		t.Fatalf("declaration: %q", st.plateError)
	}
	selectRadio(t, u, "Un mio veicolo")
	tapButton(t, d.root, "Registra")
	if d.detail != "fines" || len(st.snap.Plates) != 1 || st.snap.Plates[0].Plate != "AB123CD" {
		t.Fatalf("registered: %s %+v %q", d.detail, st.snap.Plates, st.plateError)
	}
	golden(t, u, "fines_plate_desktop_it")

	// Removing asks first.
	tapButton(t, d.root, "Rimuovi")
	confirmed := false
	for _, o := range test.LaidOutObjects(u.win.Canvas().Overlays().Top()) {
		if b, ok := o.(*widget.Button); ok && b.Importance == widget.HighImportance {
			test.Tap(b)
			confirmed = true
			break
		}
	}
	if !confirmed || len(st.snap.Plates) != 0 {
		t.Fatalf("removed: %v %+v", confirmed, st.snap.Plates)
	}
}

func TestFinesOnAPhoneInEnglish(t *testing.T) {
	u := startTestUI(t, true, "en", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	u.showDossier()
	u.dossier.open("fines")
	golden(t, u, "fines_phone_en")
	spyOn(u)
	tapButton(t, u.dossier.root, "Pay")
	golden(t, u, "pay_summary_phone_en")
}

// A TARI instalment is paid with the same flow, from the TARI section.
func TestPayATARIInstalment(t *testing.T) {
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	u.showDossier()
	d := u.dossier
	d.open("tari")
	tapButton(t, d.root, "Paga")
	if d.pay == nil || d.pay.step != paySummary || d.pay.checked[0].Kind != core.NoticeTARI {
		t.Fatalf("TARI summary: %+v", d.pay)
	}
	golden(t, u, "pay_tari_summary_desktop_it")
	browser := spyOn(u)
	browser.hold(u)
	tapButton(t, d.root, "Paga "+formatMoney(d.pay.checked[0].AmountCents)+" con pagoPA")
	browser.queue[0]()
	browser.queue = browser.queue[1:]
	if err := payments.CompleteInSandbox(context.Background(), browser.opened[0], ""); err != nil {
		t.Fatal(err)
	}
	browser.release(u)
	if d.pay.step != payOutcome || d.pay.result.Checkout.Status != core.CheckoutCancelled {
		t.Fatalf("cancelled: %+v %q", d.pay.result, d.pay.problem)
	}
	golden(t, u, "pay_cancelled_desktop_it")
}

// A payment made on another device: its receipt is downloaded on request,
// kept sealed, then opened through a plain copy in the private temp folder.
func TestPaymentReceiptsInTheDossier(t *testing.T) {
	for _, tc := range []struct {
		phone                           bool
		language, golden                string
		download, open, save, elsewhere string
	}{
		{false, "it", "dossier_payments_receipt_desktop_it", "Scarica la ricevuta", "Apri la ricevuta", "Salva una copia", "non è ancora su questo dispositivo"},
		{true, "en", "dossier_payments_receipt_phone_en", "Download the receipt", "Open the receipt", "Save a copy", "not on this device yet"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			u := startTestUI(t, tc.phone, tc.language, t.TempDir(), secrets.Memory())
			signInAs(t, u, marcoColombo)
			u.showDossier()
			d := u.dossier
			list := d.snap.Dossier.Payments
			if len(list) == 0 {
				t.Fatal("no payments in the demo dossier")
			}
			d.open("payments")
			if !strings.Contains(labels(d.root), tc.elsewhere) {
				t.Fatalf("the missing receipt is not told:\n%s", labels(d.root))
			}
			tapButton(t, d.root, tc.download)
			folder, _ := d.documents()
			name := payments.ReceiptName(list[0].ID)
			if pdf, err := folder.Load(name); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("receipt kept: %v", err)
			}
			golden(t, u, tc.golden)
			tapButton(t, d.root, tc.open)
			copyPath := filepath.Join(u.viewerDir(), name+".pdf")
			if pdf, err := os.ReadFile(copyPath); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("plain copy for the viewer: %v", err)
			}
			for _, c := range test.LaidOutObjects(d.root) {
				if b, ok := c.(*widget.Button); ok && b.Text == tc.save {
					return
				}
			}
			t.Fatalf("no %q", tc.save)
		})
	}
}

// Signing out while the pagoPA page is open stops the wait and closes the
// loopback listener: the browser's return no longer reaches the app.
func TestSignOutStopsAPaymentWait(t *testing.T) {
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	u.showDossier()
	d := u.dossier
	d.open("fines")
	fine := payableFine(t, d)
	browser := spyOn(u)
	tapButton(t, d.root, "Paga")
	browser.hold(u)
	tapButton(t, d.root, "Paga "+formatMoney(fine.AmountDueCents)+" con pagoPA")
	browser.queue[0]() // the checkout is created and its page opened
	if d.pay == nil || d.pay.step != payWaiting || len(browser.queue) != 2 {
		t.Fatalf("not waiting: %+v, %d queued", d.pay, len(browser.queue))
	}
	wait := browser.queue[1] // the wait for the browser
	waited := make(chan struct{})
	go func() { wait(); close(waited) }()

	u.async = func(f func()) { f() }
	u.signOut("")
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("the wait for the browser did not stop at sign-out")
	}
	if u.dossier != nil || d.pay != nil {
		t.Fatal("the payment outlived the sign-out")
	}
	if err := payments.CompleteInSandbox(context.Background(), browser.opened[0], payments.TestCardOK); err == nil {
		t.Fatal("the return reached a signed-out app")
	}
}

// The screens of plates and notices fit a phone: the self-declaration
// wraps, the notice form and the wait for the browser too.
func TestPlatesAndNoticesOnAPhone(t *testing.T) {
	u := startTestUI(t, true, "en", t.TempDir(), secrets.Memory())
	signInAs(t, u, fatimaBenali)
	u.showDossier()
	d := u.dossier
	d.open("fines")
	st := &d.fines

	tapButton(t, d.root, "Register a plate")
	test.Type(st.plateEntry, "AB 123 CD")
	selectRadio(t, u, "I use a vehicle I do not own")
	golden(t, u, "plate_add_phone_en")
	ticked := false
	for _, c := range test.LaidOutObjects(d.root) {
		if c, ok := c.(*widget.Check); ok && c.Visible() {
			test.Tap(c)
			ticked = true
		}
	}
	tapButton(t, d.root, "Register")
	if !ticked || d.detail != "fines" || len(st.snap.Plates) != 1 || st.snap.Plates[0].Relation != core.PlateUser {
		t.Fatalf("declared plate: %v %s %+v %q", ticked, d.detail, st.snap.Plates, st.plateError)
	}

	tapButton(t, d.root, "Pay a notice")
	n, _ := pagopa.NewNoticeNumber("47", "2026020000001")
	test.Type(st.noticeEntry, n)
	test.Type(st.creditorEntry, "80099990154")
	golden(t, u, "notice_typed_phone_en")
	d.readNoticeFile(io.NopCloser(bytes.NewReader([]byte("not an image"))))
	if st.noticeError == "" || st.noticeEntry.Text != n {
		t.Fatalf("an unreadable file: %q %q", st.noticeError, st.noticeEntry.Text)
	}
	st.noticeEntry.SetText("")
	st.creditorEntry.SetText("")
	payload, err := pagopa.FormatQR(pagopa.Notice{Number: n, Creditor: "80099990154", AmountCents: 4200})
	if err != nil {
		t.Fatal(err)
	}
	img, err := qrcode.NewQRCodeWriter().Encode(payload, gozxing.BarcodeFormat_QR_CODE, 400, 400, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	d.readNoticeFile(io.NopCloser(&buf))
	if st.noticeEntry.Text != n || st.creditorEntry.Text != "80099990154" || st.noticeError != "" {
		t.Fatalf("QR read: %q %q %q", st.noticeEntry.Text, st.creditorEntry.Text, st.noticeError)
	}
	golden(t, u, "notice_file_phone_en")
}

// Waiting for the browser on a phone, with and without a browser.
func TestPaymentWaitOnAPhone(t *testing.T) {
	u := startTestUI(t, true, "en", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	u.showDossier()
	d := u.dossier
	d.open("fines")
	fine := payableFine(t, d)
	browser := spyOn(u)
	tapButton(t, d.root, "Pay")
	browser.hold(u)
	tapButton(t, d.root, "Pay "+formatMoney(fine.AmountDueCents)+" with pagoPA")
	browser.queue[0]()
	if d.pay.step != payWaiting {
		t.Fatalf("step %d %q", d.pay.step, d.pay.problem)
	}
	golden(t, u, "pay_waiting_phone_en")
	d.pay.opened = false
	d.render() // the address changes at each run: no golden image
	if !strings.Contains(labels(d.root), "No browser opened") {
		t.Fatalf("no browser:\n%s", labels(d.root))
	}
	u.async = func(f func()) { f() }
	tapButton(t, d.root, "Back")
}

// A paper notice, as the operator's "notice" command renders it, is read
// from its PDF in "Pay a notice" and paid.
func TestPayAPaperNoticeFromAFile(t *testing.T) {
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	u.showDossier()
	d := u.dossier
	d.open("fines")
	fine := payableFine(t, d)
	svc, err := u.paymentsService()
	if err != nil {
		t.Fatal(err)
	}
	v, err := svc.Verify(context.Background(), core.NoticeRef{NoticeNumber: fine.NoticeNumber, CreditorFiscalCode: fine.CreditorFiscalCode})
	if err != nil {
		t.Fatal(err)
	}
	paper, err := server.NewPaperNotice(store.PaperNotice{NoticeVerification: v, DebtorFiscalCode: marcoColombo, DebtorName: "Marco Colombo"}, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := paper.PDF()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "avviso.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}

	tapButton(t, d.root, "Paga un avviso")
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	d.readNoticeFile(f) // what the file dialog hands over
	st := &d.fines
	if st.noticeEntry.Text != fine.NoticeNumber || st.creditorEntry.Text != fine.CreditorFiscalCode || st.noticeError != "" {
		t.Fatalf("read: %q %q %q", st.noticeEntry.Text, st.creditorEntry.Text, st.noticeError)
	}
	tapButton(t, d.root, "Avanti")
	if d.pay == nil || d.pay.step != paySummary || d.pay.checked[0].AmountCents != v.AmountCents {
		t.Fatalf("summary: %+v", d.pay)
	}
	browser := spyOn(u)
	browser.hold(u)
	tapButton(t, d.root, "Paga "+formatMoney(v.AmountCents)+" con pagoPA")
	browser.queue[0]()
	browser.queue = browser.queue[1:]
	if err := payments.CompleteInSandbox(context.Background(), browser.opened[0], payments.TestCardOK); err != nil {
		t.Fatal(err)
	}
	browser.release(u)
	if d.pay.step != payOutcome || !d.pay.result.Paid() {
		t.Fatalf("outcome: step %d %+v %q", d.pay.step, d.pay.result, d.pay.problem)
	}
}

// TestNoticeFileErrors: a notice's photo that cannot be read is explained
// in a notice's words, not a certificate's.
func TestNoticeFileErrors(t *testing.T) {
	for _, err := range []error{scan.ErrNotFound, scan.ErrUnsupportedFile, scan.ErrTooLarge} {
		if text := noticeFileErrorText(err); strings.Contains(text, "certificat") || text == "" {
			t.Errorf("%v: %q", err, text)
		}
	}
	if text := noticeFileErrorText(pagopa.ErrNotANotice); !strings.Contains(text, "pagoPA") {
		t.Errorf("not a notice: %q", text)
	}
}
