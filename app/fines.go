package app

import (
	"context"
	"errors"
	"io"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/fines"
	"github.com/sportello/sportello/core/pagopa"
	"github.com/sportello/sportello/core/payments"
	"github.com/sportello/sportello/core/plate"
	"github.com/sportello/sportello/core/scan"
)

// finesState is the Fines area of the dossier: the registered plates and
// the fines of the citizen's vehicles, to pay with pagoPA.
type finesState struct {
	sectionCopy[fines.Snapshot]

	// The plate being added.
	plateEntry *widget.Entry
	notOwned   bool
	declared   bool
	plateError string

	// The notice typed or scanned.
	noticeEntry   *widget.Entry
	creditorEntry *widget.Entry
	noticeError   string
}

// finesSource is the core's fines for the signed-in citizen.
func (u *ui) finesSource() (fines.Source, error) {
	v, err := u.account.Vault()
	return fines.Source{Client: u.conn.Client(), Auth: u.account.Authorizer(), Store: u.conn.Store(), Vault: v, Site: u.conn.Current().Site()}, err
}

// refreshFines asks the server for plates and fines (not for a minor: plates
// belong to adults) and notifies the new fines.
func (d *dossierScreen) refreshFines(ctx context.Context) {
	if d.actingFor != "" {
		return
	}
	src, err := d.u.finesSource()
	refreshCopy(d.u, "fines", &d.fines.sectionCopy, err,
		func() (fines.Snapshot, bool, error) { return src.Cached(ctx) },
		func() (fines.Snapshot, error) { return src.Refresh(ctx, d.u.now()) },
		func(snap fines.Snapshot, fresh bool) {
			for _, f := range snap.NewFines {
				d.u.app.SendNotification(fyne.NewNotification(lang.X("fines.new", "New fine for {{.Plate}}", map[string]any{"Plate": plate.Format(f.Plate)}),
					lang.X("fines.new_body", "{{.What}}: {{.Amount}} to pay today", map[string]any{"What": f.Description, "Amount": formatMoney(f.AmountDueCents)})))
			}
			if d.detail == "fines" {
				d.render()
			}
		})
}

// finesSection is the Fines area: plates, fines by plate, pay.
func (d *dossierScreen) finesSection() []fyne.CanvasObject {
	st := &d.fines
	if !st.have {
		if st.err != nil {
			msg := wrapped(errorText(st.err))
			msg.Importance = widget.DangerImportance
			return []fyne.CanvasObject{msg, d.finesActions()}
		}
		a := widget.NewActivity()
		a.Start()
		return []fyne.CanvasObject{container.NewHBox(a, widget.NewLabel(lang.X("profile.loading", "Loading your data…")))}
	}
	out := []fyne.CanvasObject{d.finesActions()}
	if st.snap.Stale != nil {
		msg := wrapped(lang.X("dossier.offline", "Offline: you are seeing your data as of {{.When}}. {{.Reason}}",
			map[string]any{"When": d.u.formatTime(st.snap.FetchedAt), "Reason": errorText(st.snap.Stale)}))
		msg.Importance = widget.WarningImportance
		out = append(out, msg)
	}
	out = append(out, d.platesCard())
	list := st.snap.List.Fines
	if len(list) == 0 {
		return append(out, empty(lang.X("fines.none", "No fines for your vehicles or your registered plates.")))
	}
	plates, byPlate := fines.ByPlate(list)
	for _, p := range plates {
		head := widget.NewLabel(lang.X("fines.plate", "Plate {{.Plate}}", map[string]any{"Plate": plate.Format(p)}))
		head.TextStyle.Bold = true
		out = append(out, head)
		for _, f := range byPlate[p] {
			out = append(out, d.fineCard(f))
		}
	}
	return out
}

func (d *dossierScreen) finesActions() fyne.CanvasObject {
	add := widget.NewButtonWithIcon(lang.X("plates.add", "Register a plate"), theme.ContentAddIcon(), d.startAddPlate)
	if len(d.fines.snap.Plates) >= core.MaxPlates {
		add.Disable()
	}
	notice := widget.NewButtonWithIcon(lang.X("notice.title", "Pay a notice"), theme.DocumentIcon(), d.startNotice)
	return container.NewHBox(add, notice)
}

func (d *dossierScreen) platesCard() fyne.CanvasObject {
	plates := d.fines.snap.Plates
	box := container.NewVBox()
	if len(plates) == 0 {
		box.Add(wrapped(lang.X("plates.none", "Register the plates of the vehicles you drive to see their fines here as soon as they are notified.")))
	}
	for _, p := range plates {
		var state *widget.Label
		var actions []fyne.CanvasObject
		switch {
		case p.Relation == core.PlateOwner:
			state = widget.NewLabel(lang.X("plates.owner", "My vehicle"))
		case p.Expired:
			state = wrapped(lang.X("plates.lapsed", "Vehicle I use · the declaration lapsed: its new fines do not show until you confirm it"))
			state.Importance = widget.DangerImportance
		default:
			until := ""
			if p.ExpiresAt != nil {
				until = d.u.formatDate(core.DateOf(p.ExpiresAt.In(d.u.loc)))
			}
			state = wrapped(lang.X("plates.user", "Vehicle I use · declaration valid until {{.Day}}", map[string]any{"Day": until}))
		}
		if p.Relation == core.PlateUser {
			actions = append(actions, widget.NewButtonWithIcon(lang.X("plates.confirm", "Confirm the declaration"), theme.ConfirmIcon(), func() { d.confirmPlate(p.Plate) }))
		}
		actions = append(actions, widget.NewButtonWithIcon(lang.X("plates.remove", "Remove"), theme.DeleteIcon(), func() { d.removePlate(p.Plate) }))
		name := widget.NewLabel(plate.Format(p.Plate) + " · " + vehicleName(p.VehicleType))
		name.TextStyle.Bold = true
		box.Add(container.NewBorder(nil, nil, nil, container.NewHBox(actions...), container.NewVBox(name, state)))
	}
	sub := lang.X("plates.count", "{{.N}} of {{.Max}}", map[string]any{"N": len(plates), "Max": core.MaxPlates})
	return widget.NewCard(lang.X("plates.title", "Registered plates"), sub, box)
}

func vehicleName(t core.VehicleType) string {
	if t == core.Motorcycle {
		return lang.X("dossier.motorcycle", "Motorcycle")
	}
	return lang.X("dossier.car", "Car")
}

// fineCard shows a fine: the amount due today, its three tiers with their
// deadlines, the details, and Pay.
func (d *dossierScreen) fineCard(f core.FineNotice) fyne.CanvasObject {
	box := container.NewVBox()
	var state *widget.Label
	switch f.Status {
	case core.FinePaid:
		day := ""
		if f.PaidOn != nil {
			day = d.u.formatDate(*f.PaidOn)
		}
		state = widget.NewLabel(lang.X("dossier.paid_on", "Paid on {{.Day}}", map[string]any{"Day": day}))
		state.Importance = widget.SuccessImportance
	case core.FineCancelled:
		state = widget.NewLabel(lang.X("fines.cancelled", "Cancelled by the municipality: nothing to pay"))
	case core.FineExpired:
		state = widget.NewLabel(lang.X("fines.expired", "Past the time limit: it can no longer be paid"))
	default:
		state = widget.NewLabel(lang.X("fines.due_today", "To pay today: {{.Amount}}", map[string]any{"Amount": formatMoney(f.AmountDueCents)}))
		state.TextStyle.Bold = true
		state.Importance = widget.WarningImportance
		if f.Status == core.FineOverdue {
			state.Importance = widget.DangerImportance
		}
	}
	box.Add(state)
	if fines.Payable(f) {
		for _, t := range fines.Tiers(f.Fine, d.u.today()) {
			var text string
			switch t.Tier {
			case core.FineReduced:
				text = lang.X("fines.tier_reduced", "{{.Amount}} by {{.Day}}: 30% off", map[string]any{"Amount": formatMoney(t.AmountCents), "Day": d.u.formatDate(t.Until)})
			case core.FineMinimum:
				text = lang.X("fines.tier_minimum", "{{.Amount}} by {{.Day}}: the minimum", map[string]any{"Amount": formatMoney(t.AmountCents), "Day": d.u.formatDate(t.Until)})
			default:
				text = lang.X("fines.tier_late", "{{.Amount}} afterwards: half the maximum", map[string]any{"Amount": formatMoney(t.AmountCents)})
			}
			// The other tiers stay in the normal text colour: they are
			// amounts a citizen compares, not hints to fade out.
			l := widget.NewLabel(text)
			if t.Current {
				l.TextStyle.Bold = true
				l.Importance = widget.HighImportance
			}
			box.Add(l)
		}
	}
	box.Add(d.u.fieldList([]field{
		textField(lang.X("dossier.notice_number", "pagoPA notice"), pagopa.SpacedNoticeNumber(f.NoticeNumber)),
		textField(lang.X("dossier.when", "When"), d.u.formatTime(f.CommittedAt)),
		{label: lang.X("dossier.where", "Where"), value: wrapped(f.Place)},
		textField(lang.X("dossier.article", "Article"), f.Article),
		textField(lang.X("dossier.plate", "Plate"), plate.Format(f.Plate)+" · "+vehicleName(f.VehicleType)),
		textField(lang.X("dossier.notified", "Notified on"), d.u.formatDate(f.NotifiedOn)),
	}))
	if fines.Payable(f) {
		ref := core.NoticeRef{NoticeNumber: f.NoticeNumber, CreditorFiscalCode: f.CreditorFiscalCode}
		pay := widget.NewButtonWithIcon(lang.X("pay.pay", "Pay"), theme.ConfirmIcon(), func() { d.startPay([]core.NoticeRef{ref}, "fines") })
		pay.Importance = widget.HighImportance
		box.Add(container.NewHBox(pay))
	}
	return widget.NewCard("", "", container.NewVBox(heading(f.Description), box))
}

// heading is a card's title that wraps (a card's own title does not).
func heading(text string) *widget.Label {
	l := wrapped(text)
	l.TextStyle.Bold = true
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// Plates.

func (d *dossierScreen) startAddPlate() {
	st := &d.fines
	st.plateEntry = widget.NewEntry()
	st.plateEntry.SetPlaceHolder("AB 123 CD")
	st.notOwned, st.declared, st.plateError = false, false, ""
	d.open("plate_add")
}

func (d *dossierScreen) addPlatePage() fyne.CanvasObject {
	st := &d.fines
	if st.plateEntry == nil {
		d.startAddPlate()
	}
	until := d.u.formatDate(core.DateOf(d.u.now().In(d.u.loc).AddDate(0, core.DeclarationMonths, 0)))
	// A bare check next to a wrapped label: a check's own label does not
	// wrap, and this one is too long for a phone.
	check := widget.NewCheck("", func(b bool) { st.declared = b })
	check.SetChecked(st.declared)
	decl := container.NewBorder(nil, nil, container.NewVBox(check), nil,
		wrapped(lang.X("plates.declare", "I declare that I use this vehicle (self-declaration, DPR 445/2000), valid until {{.Day}}", map[string]any{"Day": until})))
	own, notOwn := lang.X("plates.own", "My own vehicle"), lang.X("plates.not_own", "I use a vehicle I do not own")
	radio := widget.NewRadioGroup([]string{own, notOwn}, nil)
	radio.Required = true
	if st.notOwned {
		radio.SetSelected(notOwn)
	} else {
		radio.SetSelected(own)
		decl.Hide()
	}
	radio.OnChanged = func(s string) {
		if st.notOwned != (s == notOwn) {
			st.notOwned = s == notOwn
			d.render() // the declaration shows, laid out afresh
		}
	}
	problem := wrapped(st.plateError)
	problem.Importance = widget.DangerImportance
	if st.plateError == "" {
		problem.Hide()
	}
	back := widget.NewButtonWithIcon(lang.X("action.back", "Back"), theme.NavigateBackIcon(), func() { d.open("fines") })
	register := widget.NewButtonWithIcon(lang.X("plates.register", "Register"), theme.ConfirmIcon(), d.registerPlate)
	register.Importance = widget.HighImportance
	form := widget.NewForm(widget.NewFormItem(lang.X("dossier.plate", "Plate"), st.plateEntry))
	return d.sectionPage(lang.X("plates.add", "Register a plate"),
		widget.NewCard("", "", container.NewVBox(
			wrapped(lang.X("plates.add_sub", "Cars AB 123 CD, motorcycles AB 12345. You see the fines notified from today on; at most 5 plates.")),
			form, radio, decl)),
		problem, container.NewHBox(back, register))
}

func (d *dossierScreen) registerPlate() {
	st := &d.fines
	typed, notOwned, declared := st.plateEntry.Text, st.notOwned, st.declared
	relation := core.PlateOwner
	if notOwned {
		relation = core.PlateUser
	}
	d.u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		src, err := d.u.finesSource()
		if err == nil {
			_, err = src.Register(ctx, typed, relation, declared, d.u.now())
		}
		var snap fines.Snapshot
		if err == nil {
			snap, _, err = src.Cached(ctx)
		}
		fyne.Do(func() {
			if err != nil {
				if d.u.sessionEnded(err) {
					return
				}
				st.plateError = plateErrorText(err)
				d.render()
				return
			}
			st.snap, st.have, st.plateEntry = snap, true, nil
			d.open("fines")
		})
	})
}

func (d *dossierScreen) confirmPlate(p string) {
	d.plateCall(func(ctx context.Context, src fines.Source) error {
		_, err := src.Confirm(ctx, p, d.u.now())
		return err
	})
}

func (d *dossierScreen) removePlate(p string) {
	dialog.ShowConfirm(lang.X("plates.remove_title", "Remove {{.Plate}}?", map[string]any{"Plate": plate.Format(p)}),
		lang.X("plates.remove_body", "Its fines will no longer show here. You can register it again later."), func(ok bool) {
			if ok {
				d.plateCall(func(ctx context.Context, src fines.Source) error { return src.Remove(ctx, p, d.u.now()) })
			}
		}, d.u.win)
}

func (d *dossierScreen) plateCall(call func(context.Context, fines.Source) error) {
	d.u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		src, err := d.u.finesSource()
		if err == nil {
			err = call(ctx, src)
		}
		var snap fines.Snapshot
		if err == nil {
			snap, _, err = src.Cached(ctx)
		}
		fyne.Do(func() {
			if err != nil {
				if !d.u.sessionEnded(err) {
					dialog.ShowInformation(lang.X("plates.title", "Registered plates"), plateErrorText(err), d.u.win)
				}
				return
			}
			d.fines.snap, d.fines.have = snap, true
			d.render()
		})
	})
}

func plateErrorText(err error) string {
	switch {
	case errors.Is(err, plate.ErrEmpty):
		return lang.X("plates.empty", "Write the plate.")
	case errors.Is(err, plate.ErrLetters):
		return lang.X("plates.letters", "The letters I, O, Q and U are never on a plate: did you mean 1 or 0?")
	case errors.Is(err, plate.ErrFormat):
		return lang.X("plates.format", "This is not an Italian plate: AB 123 CD for a car, AB 12345 for a motorcycle.")
	case errors.Is(err, fines.ErrDeclarationRequired):
		return lang.X("plates.declaration", "For a vehicle you do not own, tick the self-declaration that you use it.")
	case errors.Is(err, fines.ErrPlateLimit):
		return lang.X("plates.limit", "You can register at most 5 plates: remove one first.")
	}
	return errorText(err)
}

// Paying a paper notice.

func (d *dossierScreen) startNotice() {
	st := &d.fines
	st.noticeEntry, st.creditorEntry, st.noticeError = widget.NewEntry(), widget.NewEntry(), ""
	st.noticeEntry.SetPlaceHolder("3 47 2026 0200 0000 12")
	st.creditorEntry.SetPlaceHolder("80099990154")
	d.open("notice")
}

func (d *dossierScreen) noticePage() fyne.CanvasObject {
	st := &d.fines
	if st.noticeEntry == nil {
		d.startNotice()
	}
	problem := wrapped(st.noticeError)
	problem.Importance = widget.DangerImportance
	if st.noticeError == "" {
		problem.Hide()
	}
	scanFile := widget.NewButtonWithIcon(lang.X("notice.file", "Read the QR code from a photo or PDF"), theme.FileImageIcon(), d.chooseNoticeFile)
	back := widget.NewButtonWithIcon(lang.X("action.back", "Back"), theme.NavigateBackIcon(), func() { d.open("fines") })
	next := widget.NewButtonWithIcon(lang.X("cert.next", "Next"), theme.NavigateNextIcon(), d.checkNotice)
	next.Importance = widget.HighImportance
	form := widget.NewForm(widget.NewFormItem(lang.X("notice.number", "Notice number (18 digits)"), st.noticeEntry),
		widget.NewFormItem(lang.X("notice.creditor", "Creditor's fiscal code"), st.creditorEntry))
	return d.sectionPage(lang.X("notice.title", "Pay a notice"),
		widget.NewCard("", "", container.NewVBox(
			wrapped(lang.X("notice.sub", "Any pagoPA notice: a fine, the waste tax, a school canteen bill… Read its QR code, or type the notice number and the creditor's fiscal code printed on it.")),
			container.NewHBox(scanFile), form)),
		problem, container.NewHBox(back, next))
}

// checkNotice checks the typed notice in place, then verifies it.
func (d *dossierScreen) checkNotice() {
	st := &d.fines
	ref, err := payments.Normalize(core.NoticeRef{NoticeNumber: st.noticeEntry.Text, CreditorFiscalCode: st.creditorEntry.Text})
	if err != nil {
		st.noticeError = noticeErrorText(err)
		d.render()
		return
	}
	st.noticeError = ""
	d.startPay([]core.NoticeRef{ref}, "notice")
}

func (d *dossierScreen) chooseNoticeFile() {
	d.u.openFile([]string{".png", ".jpg", ".jpeg", ".pdf"}, func(r fyne.URIReadCloser, err error) {
		if err == nil {
			d.readNoticeFile(r)
		}
	})
}

// readNoticeFile reads a notice's QR code (or Poste Data Matrix text) from
// a photo or PDF and fills in the fields.
func (d *dossierScreen) readNoticeFile(r io.ReadCloser) {
	d.u.async(func() {
		defer r.Close()
		data, err := io.ReadAll(io.LimitReader(r, scan.MaxFileBytes+1))
		var n pagopa.Notice
		if err == nil && len(data) > scan.MaxFileBytes {
			err = scan.ErrTooLarge
		}
		if err == nil {
			n, err = noticeFromFile(data)
		}
		fyne.Do(func() { d.noticeRead(n, err) })
	})
}

// noticeFileErrorText explains why a notice's photo or PDF gave no notice:
// the verifier's file messages speak of certificates, so the scan's own
// failures get a notice's words here.
func noticeFileErrorText(err error) string {
	switch {
	case errors.Is(err, scan.ErrNotFound):
		return lang.X("notice.file_no_code", "No readable QR code in this file. Choose a sharper photo of the notice, taken straight on, with the whole code in it, or type the notice number and the creditor's fiscal code.")
	case errors.Is(err, scan.ErrUnsupportedFile):
		return lang.X("notice.file_unsupported", "This kind of file cannot be read: choose a photo (PNG or JPEG) or the PDF of the notice.")
	case errors.Is(err, scan.ErrTooLarge):
		return lang.X("notice.file_too_large", "The file is too large. Choose a smaller photo or the PDF of the notice.")
	}
	if t := noticeErrorText(err); t != "" {
		return t
	}
	return fileErrorText(err)
}

func noticeFromFile(data []byte) (pagopa.Notice, error) {
	res, err := scan.Bytes(data)
	if err != nil {
		return pagopa.Notice{}, err
	}
	n, err := pagopa.ParseQR(res.Text)
	if errors.Is(err, pagopa.ErrNotANotice) {
		n, err = pagopa.ParseDataMatrix(res.Text)
	}
	return n, err
}

func (d *dossierScreen) noticeRead(n pagopa.Notice, err error) {
	st := &d.fines
	if st.noticeEntry == nil {
		return
	}
	if err != nil {
		st.noticeError = noticeFileErrorText(err)
		d.render()
		return
	}
	st.noticeEntry.SetText(n.Number)
	st.creditorEntry.SetText(n.Creditor)
	st.noticeError = ""
	d.render()
}
