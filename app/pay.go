package app

import (
	"context"
	"errors"
	"net/url"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/documents"
	"github.com/sportello/sportello/core/pagopa"
	"github.com/sportello/sportello/core/payments"
)

// The steps of a payment.
const (
	payVerifying = iota // asking what the notices cost now
	paySummary          // what will be paid; the button to pay
	payWaiting          // the pagoPA page is open in the browser
	payOutcome          // how it ended
	payRefused          // the notice cannot be paid (or the server failed)
)

// payFlow pays pagoPA notices (fines, TARI instalments, a paper notice):
// verify → summary → the pagoPA page in the browser → the outcome and the
// receipts, kept sealed on the device.
type payFlow struct {
	d       *dossierScreen
	back    string // the section to go back to
	refs    []core.NoticeRef
	step    int
	checked []core.NoticeVerification
	problem string
	attempt *payments.Attempt
	opened  bool // the browser opened the page
	result  payments.Result
	busy    bool
}

// paymentsService is the core's payments for the signed-in citizen.
func (u *ui) paymentsService() (*payments.Service, error) {
	v, err := u.account.Vault()
	return &payments.Service{Client: u.conn.Client(), Auth: u.account.Authorizer(), Store: u.conn.Store(), Vault: v,
		Site: u.conn.Current().Site(), Documents: documents.Folder{Dir: u.account.DocumentsDir(), Vault: v}, Now: u.now}, err
}

// browse opens target in the system browser.
func (u *ui) browse(target string) error {
	t, err := url.Parse(target)
	if err != nil {
		return err
	}
	if u.openURL != nil {
		return u.openURL(t)
	}
	return u.app.OpenURL(t)
}

// startPay verifies refs and shows what paying them costs; back is the
// section the flow returns to.
func (d *dossierScreen) startPay(refs []core.NoticeRef, back string) {
	f := &payFlow{d: d, back: back, refs: refs}
	d.pay = f
	d.open("pay")
	f.verify()
}

func (f *payFlow) verify() {
	u := f.d.u
	f.step, f.busy = payVerifying, true
	u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		svc, err := u.paymentsService()
		var checked []core.NoticeVerification
		for _, r := range f.refs {
			if err != nil {
				break
			}
			var v core.NoticeVerification
			v, err = svc.Verify(ctx, r)
			checked = append(checked, v)
		}
		fyne.Do(func() {
			f.busy = false
			if err != nil {
				f.refuse(err)
				return
			}
			f.checked, f.step = checked, paySummary
			f.redraw()
		})
	})
}

func (f *payFlow) refuse(err error) {
	if f.d.u.sessionEnded(err) {
		return
	}
	f.d.u.log.Warn("payment", "err", err)
	f.problem, f.step = payErrorText(err), payRefused
	f.redraw()
}

func (f *payFlow) redraw() {
	if f.d.pay == f && f.d.detail == "pay" {
		f.d.render()
	}
}

func (f *payFlow) page() fyne.CanvasObject {
	var body []fyne.CanvasObject
	switch f.step {
	case payVerifying:
		a := widget.NewActivity()
		a.Start()
		body = []fyne.CanvasObject{container.NewHBox(a, widget.NewLabel(lang.X("pay.verifying", "Asking pagoPA what the notice costs today…")))}
	case paySummary:
		body = f.summary()
	case payWaiting:
		body = f.waiting()
	case payOutcome:
		body = f.outcome()
	default:
		msg := wrapped(f.problem)
		msg.Importance = widget.DangerImportance
		body = []fyne.CanvasObject{widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(theme.ErrorIcon()), nil, msg)),
			container.NewHBox(f.backButton())}
	}
	return f.d.sectionPage(lang.X("pay.title", "Pay with pagoPA"), body...)
}

func (f *payFlow) backButton() *widget.Button {
	return widget.NewButtonWithIcon(lang.X("action.back", "Back"), theme.NavigateBackIcon(), f.leave)
}

// leave closes the flow and goes back; a payment under way stays recorded
// and is settled at the next start.
func (f *payFlow) leave() {
	if f.attempt != nil {
		f.attempt.Close()
		f.attempt = nil
	}
	f.d.pay = nil
	f.d.open(f.back)
}

func (f *payFlow) summary() []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var total int64
	for _, v := range f.checked {
		fields := []field{
			textField(lang.X("pay.creditor", "Creditor"), v.CreditorName+" · "+v.CreditorFiscalCode),
			textField(lang.X("dossier.notice_number", "pagoPA notice"), pagopa.SpacedNoticeNumber(v.NoticeNumber)),
		}
		if v.DueDate != nil {
			fields = append(fields, textField(lang.X("pay.due", "Due on"), f.d.u.formatDate(*v.DueDate)))
		}
		amount := widget.NewLabel(lang.X("pay.amount_now", "Amount due today: {{.Amount}}", map[string]any{"Amount": formatMoney(v.AmountCents)}))
		amount.TextStyle.Bold = true
		amount.Importance = widget.HighImportance
		kind := widget.NewLabel(kindName(v.Kind))
		kind.Importance = widget.LowImportance
		out = append(out, widget.NewCard("", "", container.NewVBox(heading(v.Description), kind, amount, f.d.u.fieldList(fields))))
		total += v.AmountCents
	}
	if len(f.checked) > 1 {
		t := widget.NewLabel(lang.X("pay.total", "Total: {{.Amount}}", map[string]any{"Amount": formatMoney(total)}))
		t.TextStyle.Bold = true
		out = append(out, t)
	}
	pay := widget.NewButtonWithIcon(lang.X("pay.go", "Pay {{.Amount}} with pagoPA", map[string]any{"Amount": formatMoney(total)}), theme.ConfirmIcon(), f.begin)
	pay.Importance = widget.HighImportance
	if f.busy {
		pay.Disable()
	}
	out = append(out, wrapped(lang.X("pay.explain", "The pagoPA payment page opens in your browser. When you have paid, come back here: Sportello shows the outcome and keeps the receipt.")),
		container.NewHBox(f.backButton(), pay))
	return out
}

// begin records the payment, creates it at pagoPA and opens its page.
func (f *payFlow) begin() {
	u := f.d.u
	f.busy = true
	f.redraw()
	u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		svc, err := u.paymentsService()
		var a *payments.Attempt
		if err == nil {
			a, err = svc.Begin(ctx, f.refs)
		}
		fyne.Do(func() {
			f.busy = false
			if err != nil {
				f.refuse(err)
				return
			}
			f.attempt, f.step = a, payWaiting
			f.opened = u.browse(a.URL) == nil
			f.redraw()
			u.async(func() { f.await(a) })
		})
	})
}

// await waits for the browser to come back (at most the checkout's life)
// and shows the outcome.
func (f *payFlow) await(a *payments.Attempt) {
	ctx, cancel := context.WithTimeout(context.Background(), core.CheckoutTTL+time.Minute)
	defer cancel()
	r, err := a.Wait(ctx)
	a.Close()
	fyne.Do(func() {
		if f.attempt != a {
			return // left, or checked by hand meanwhile
		}
		f.attempt = nil
		f.settled(r, err)
	})
}

// stopPayment ends the wait for the browser and closes the loopback
// listener (at sign-out, and when the app closes); the pending record stays
// for the next start, or goes with the personal cache at sign-out.
func (u *ui) stopPayment() {
	d := u.dossier
	if d == nil || d.pay == nil {
		return
	}
	if a := d.pay.attempt; a != nil {
		d.pay.attempt = nil
		a.Close()
	}
	d.pay = nil
}

// check asks the outcome without waiting for the browser.
func (f *payFlow) check() {
	a := f.attempt
	if a == nil {
		return
	}
	f.d.u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := a.Check(ctx)
		fyne.Do(func() {
			if f.attempt != a {
				return
			}
			if err == nil && r.Checkout.Status == core.CheckoutPending {
				dialog.ShowInformation(lang.X("pay.title", "Pay with pagoPA"), lang.X("pay.still_pending", "The payment is not complete yet: finish it on the pagoPA page, or cancel it there."), f.d.u.win)
				return
			}
			a.Close()
			f.attempt = nil
			f.settled(r, err)
		})
	})
}

func (f *payFlow) settled(r payments.Result, err error) {
	if err != nil {
		f.refuse(err)
		return
	}
	f.result, f.step = r, payOutcome
	f.redraw()
	if r.Paid() {
		// The payment shows in the dossier, the fine as paid.
		f.d.u.async(func() { f.d.refreshNow(context.Background()) })
	}
}

func (f *payFlow) waiting() []fyne.CanvasObject {
	msg := lang.X("pay.waiting", "Complete the payment on the pagoPA page in your browser, then come back here.")
	if !f.opened {
		msg = lang.X("pay.no_browser", "No browser opened. Copy this address into a browser to pay, then come back here.")
	}
	activity := widget.NewActivity()
	activity.Start()
	box := container.NewVBox(container.NewBorder(nil, nil, activity, nil, wrapped(msg)))
	if f.attempt != nil {
		target := f.attempt.URL
		address := widget.NewEntry()
		address.SetText(target)
		address.MultiLine = true
		address.Wrapping = fyne.TextWrapBreak
		copyButton := widget.NewButtonWithIcon(lang.X("signin.copy", "Copy the address"), theme.ContentCopyIcon(), func() {
			f.d.u.app.Clipboard().SetContent(target)
		})
		if !f.opened {
			box.Add(address)
			box.Add(container.NewHBox(copyButton))
		}
	}
	done := widget.NewButtonWithIcon(lang.X("pay.check", "I have finished: check the outcome"), theme.ViewRefreshIcon(), f.check)
	return []fyne.CanvasObject{widget.NewCard("", "", box),
		wrapped(lang.X("pay.held", "pagoPA holds the notice for this payment for up to 30 minutes: meanwhile it cannot be paid elsewhere.")),
		container.NewHBox(f.backButton(), done)}
}

func (f *payFlow) outcome() []fyne.CanvasObject {
	return f.d.outcomeCards(f.result, f.backButton())
}

// outcomeCards tells how a payment ended, with its receipts.
func (d *dossierScreen) outcomeCards(r payments.Result, actions ...fyne.CanvasObject) []fyne.CanvasObject {
	var text string
	imp, icon := widget.WarningImportance, theme.WarningIcon()
	switch r.Checkout.Status {
	case core.CheckoutPaid:
		text, imp, icon = lang.X("pay.paid", "Payment done: {{.Amount}} paid. The receipts are saved, encrypted, on this device.",
			map[string]any{"Amount": formatMoney(r.Checkout.TotalCents)}), widget.SuccessImportance, theme.ConfirmIcon()
	case core.CheckoutCancelled:
		text = lang.X("pay.cancelled", "Payment cancelled on the pagoPA page: nothing was charged. You can pay again whenever you want.")
	case core.CheckoutDeclined:
		text, imp, icon = lang.X("pay.declined", "The card was declined: nothing was charged. Try again with another card."), widget.DangerImportance, theme.ErrorIcon()
	case core.CheckoutExpired:
		text = lang.X("pay.expired", "The time to pay ran out (30 minutes): nothing was charged. Start the payment again.")
	default:
		text = lang.X("pay.pending", "The payment started on {{.When}} is not complete yet. Sportello checks again at the next start.",
			map[string]any{"When": d.u.formatTime(r.Pending.Created)})
	}
	msg := wrapped(text)
	msg.Importance = imp
	out := []fyne.CanvasObject{widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(icon), nil, msg))}
	for _, p := range r.Checkout.Payments {
		out = append(out, d.receiptCard(p))
	}
	if len(actions) > 0 {
		out = append(out, container.NewHBox(actions...))
	}
	return out
}

// receiptCard is a payment with its receipt. On the device (sealed): open
// it, save a copy. Not yet on the device (paid on another device): download
// it, and keep it sealed.
func (d *dossierScreen) receiptCard(p core.Payment) fyne.CanvasObject {
	box := container.NewVBox(wrapped(p.Description), d.u.fieldList([]field{
		textField(lang.X("dossier.paid", "Paid"), d.u.formatTime(p.PaidAt)),
		textField(lang.X("dossier.notice_number", "pagoPA notice"), pagopa.SpacedNoticeNumber(p.NoticeNumber)),
		textField(lang.X("dossier.receipt", "Receipt"), p.Receipt),
	}))
	if d.actingFor != "" || p.ID == "" {
		return widget.NewCard(formatMoney(p.AmountCents), "", box) // a minor's: the receipt is the parent's to fetch
	}
	name := payments.ReceiptName(p.ID)
	if d.hasDocument(name) {
		state := widget.NewLabel(lang.X("pay.receipt_here", "Receipt saved, encrypted, on this device"))
		state.Importance = widget.SuccessImportance
		open := widget.NewButtonWithIcon(lang.X("pay.receipt_open", "Open the receipt"), theme.DocumentIcon(), func() { d.openDocument(name, func() error { return d.fetchReceipt(p.ID) }) })
		open.Importance = widget.HighImportance
		save := widget.NewButtonWithIcon(lang.X("cert.save", "Save a copy"), theme.DocumentSaveIcon(), func() { d.saveDocument(name, func() error { return d.fetchReceipt(p.ID) }) })
		box.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.ConfirmIcon()), nil, state))
		box.Add(container.NewHBox(open, save))
	} else {
		state := wrapped(lang.X("pay.receipt_elsewhere", "The receipt is not on this device yet (the payment was made elsewhere)."))
		state.Importance = widget.LowImportance
		download := widget.NewButtonWithIcon(lang.X("pay.receipt_download", "Download the receipt"), theme.DownloadIcon(), func() { d.downloadReceipt(p.ID) })
		box.Add(state)
		box.Add(container.NewHBox(download))
	}
	return widget.NewCard(formatMoney(p.AmountCents), "", box)
}

// hasDocument reports whether the device keeps the document name.
func (d *dossierScreen) hasDocument(name string) bool {
	folder, err := d.documents()
	return err == nil && folder.Has(name)
}

// downloadReceipt fetches a receipt the device lacks, keeps it sealed and
// shows it among the payments.
func (d *dossierScreen) downloadReceipt(paymentID string) {
	d.u.async(func() {
		err := d.fetchReceipt(paymentID)
		fyne.Do(func() {
			if err != nil {
				if !d.u.sessionEnded(err) {
					dialog.ShowInformation(lang.X("pay.receipt", "Receipt"), errorText(err), d.u.win)
				}
				return
			}
			d.render()
		})
	})
}

func (d *dossierScreen) fetchReceipt(paymentID string) error {
	svc, err := d.u.paymentsService()
	if err == nil {
		_, err = svc.Receipt(context.Background(), paymentID)
	}
	return err
}

// openDocument hands a plain copy of a kept document to the system viewer,
// fetching it first when the device lacks it.
func (d *dossierScreen) openDocument(name string, fetch func() error) {
	d.withDocument(name, fetch, func(folder documents.Folder) {
		path, err := folder.Export(name, d.u.viewerDir(), name+".pdf")
		if err == nil {
			err = d.u.app.OpenURL(&url.URL{Scheme: "file", Path: path})
		}
		if err != nil {
			dialog.ShowInformation(lang.X("cert.open", "Open PDF"), lang.X("cert.no_viewer", "No PDF viewer opened. Use “Save a copy” and open the file yourself."), d.u.win)
		}
	})
}

// saveDocument writes a plain copy where the citizen chooses.
func (d *dossierScreen) saveDocument(name string, fetch func() error) {
	d.withDocument(name, fetch, func(folder documents.Folder) {
		d.u.saveFile(name+".pdf", func() ([]byte, error) { return folder.Load(name) })
	})
}

func (d *dossierScreen) withDocument(name string, fetch func() error, then func(documents.Folder)) {
	d.u.async(func() {
		folder, err := d.documents()
		if err == nil && !folder.Has(name) {
			err = fetch()
		}
		fyne.Do(func() {
			if err != nil {
				if !d.u.sessionEnded(err) {
					dialog.ShowInformation(lang.X("pay.receipt", "Receipt"), errorText(err), d.u.win)
				}
				return
			}
			then(folder)
		})
	})
}

// resumePayments settles, at start, the payments the app did not see end.
func (d *dossierScreen) resumePayments() {
	u := d.u
	u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		svc, err := u.paymentsService()
		var results []payments.Result
		if err == nil {
			results, err = svc.Resume(ctx)
		}
		if err != nil {
			u.log.Warn("payments: resume", "err", err)
		}
		if len(results) == 0 {
			return
		}
		fyne.Do(func() {
			if u.dossier != d {
				return
			}
			d.resumed = results
			for _, r := range results {
				if r.Paid() {
					d.u.app.SendNotification(fyne.NewNotification(lang.X("pay.paid_title", "Payment done"),
						lang.X("pay.paid_short", "{{.Amount}} paid with pagoPA", map[string]any{"Amount": formatMoney(r.Checkout.TotalCents)})))
				}
			}
			d.render()
			if results[0].Paid() {
				u.async(func() { d.refreshNow(context.Background()) })
			}
		})
	})
}

// resumedCards show on the overview the payments settled at start.
func (d *dossierScreen) resumedCards() []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for i, r := range d.resumed {
		dismiss := widget.NewButtonWithIcon(lang.X("pay.dismiss", "OK"), theme.ConfirmIcon(), func() {
			d.resumed = append(d.resumed[:i:i], d.resumed[i+1:]...)
			d.render()
		})
		title := lang.X("pay.resumed", "A payment started on {{.When}}", map[string]any{"When": d.u.formatTime(r.Pending.Created)})
		out = append(out, widget.NewCard(title, "", container.NewVBox(d.outcomeCards(r, dismiss)...)))
	}
	return out
}

func kindName(k core.NoticeKind) string {
	switch k {
	case core.NoticeFine:
		return lang.X("pay.kind_fine", "Traffic fine")
	case core.NoticeTARI:
		return lang.X("pay.kind_tari", "Waste tax (TARI)")
	}
	return string(k)
}

// payErrorText explains why a notice cannot be paid.
func payErrorText(err error) string {
	switch {
	case errors.Is(err, payments.ErrDuplicated):
		return lang.X("pay.duplicated", "This notice is already paid: there is nothing more to pay. The receipt is among your payments.")
	case errors.Is(err, payments.ErrOngoing):
		return lang.X("pay.ongoing", "A payment of this notice is already under way (here or on another device). pagoPA holds it for up to 30 minutes: finish that payment or try again later.")
	case errors.Is(err, payments.ErrExpired):
		return lang.X("pay.not_payable_expired", "This notice can no longer be paid through pagoPA (it is past its time limit). Contact the municipality.")
	case errors.Is(err, payments.ErrCancelled):
		return lang.X("pay.not_payable_cancelled", "The municipality cancelled this notice: there is nothing to pay.")
	case errors.Is(err, payments.ErrUnknown):
		return lang.X("pay.unknown", "pagoPA does not know this notice: check the notice number and the creditor's fiscal code.")
	case errors.Is(err, payments.ErrCartSize):
		return lang.X("pay.cart_size", "A payment holds 1 to 5 notices.")
	}
	if t := noticeErrorText(err); t != "" {
		return t
	}
	return errorText(err)
}

// noticeErrorText translates what is wrong in a typed or scanned notice
// (core/pagopa), or "" when err is something else.
func noticeErrorText(err error) string {
	switch {
	case errors.Is(err, pagopa.ErrNoticeLength):
		return lang.X("notice.length", "The notice number has 18 digits.")
	case errors.Is(err, pagopa.ErrNoticeDigits):
		return lang.X("notice.digits", "The notice number has only digits.")
	case errors.Is(err, pagopa.ErrNoticeAux):
		return lang.X("notice.aux", "This is not a pagoPA notice number: it starts with 0, 1, 2 or 3.")
	case errors.Is(err, pagopa.ErrNoticeCheck):
		return lang.X("notice.check", "The notice number is mistyped: its last two digits do not match. Check it against the notice.")
	case errors.Is(err, pagopa.ErrFiscalCodeLength):
		return lang.X("notice.cf_length", "The creditor's fiscal code has 11 digits.")
	case errors.Is(err, pagopa.ErrFiscalCodeDigits):
		return lang.X("notice.cf_digits", "The creditor's fiscal code has only digits.")
	case errors.Is(err, pagopa.ErrFiscalCodeCheck):
		return lang.X("notice.cf_check", "The creditor's fiscal code is mistyped: its last digit does not match.")
	case errors.Is(err, pagopa.ErrNotANotice):
		return lang.X("notice.not_a_notice", "This code is not a pagoPA payment notice.")
	case errors.Is(err, pagopa.ErrAmount):
		return lang.X("notice.amount", "The amount in the code is not valid.")
	}
	var pe *pagopa.PayloadError
	if errors.As(err, &pe) {
		return lang.X("notice.malformed", "The code of the notice cannot be read: type the notice number and the creditor's fiscal code.")
	}
	return ""
}
