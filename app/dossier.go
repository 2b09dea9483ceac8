package app

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/dossier"
	"github.com/sportello/sportello/core/payments"
)

// dossierScreen is the Fascicolo del Cittadino: cards of everything the
// municipality knows about the citizen, each opening its details. It shows
// the device's encrypted copy at once and then the server's answer; with the
// server down the copy stays, with a banner.
type dossierScreen struct {
	u         *ui
	actingFor string // "" for the signed-in citizen, else the minor's fiscal code
	snap      dossier.Snapshot
	have      bool
	syncing   bool
	detail    string      // the open section, "" for the overview
	wizard    *certWizard // the certificate request under way
	fines     finesState  // plates and fines (fines.go)
	pay       *payFlow    // the payment under way (pay.go)
	resumed   []payments.Result
	appts     appointmentsState // My appointments (appointments.go)
	booking   *bookingFlow      // the booking under way (booking.go)

	root *fyne.Container // the overview or a section, replaced whole
}

func newDossierScreen(u *ui) *dossierScreen {
	d := &dossierScreen{u: u, root: container.NewStack()}
	d.render()
	return d
}

func (d *dossierScreen) object() fyne.CanvasObject { return d.root }

// source is where the dossier comes from; it fails only when the vault key
// cannot be read from the secret store.
func (d *dossierScreen) source() (dossier.Source, error) {
	v, err := d.u.account.Vault()
	return dossier.Source{Client: d.u.conn.Client(), Auth: d.u.account.Authorizer(), Store: d.u.conn.Store(),
		Vault: v, Site: d.u.conn.Current().Site()}, err
}

// load shows the cached copy, then refreshes, in the background.
func (d *dossierScreen) load() {
	d.syncing = true
	d.render()
	d.u.async(func() { d.loadNow(context.Background()) })
}

// loadNow is load, blocking until the server's answer is shown.
func (d *dossierScreen) loadNow(ctx context.Context) {
	if d.showCached(ctx) {
		d.refreshNow(ctx)
	}
}

// showCached shows the device's copy, if there is one. It reports false when
// the vault cannot be opened (and says so on screen).
func (d *dossierScreen) showCached(ctx context.Context) bool {
	actingFor := d.actingFor
	src, err := d.source()
	if err != nil {
		fyne.Do(func() { d.failed(err) })
		return false
	}
	if cached, ok, _ := src.Cached(ctx, actingFor); ok {
		fyne.Do(func() {
			if d.actingFor == actingFor {
				d.snap, d.have = cached, true
				d.render()
			}
		})
	}
	return true
}

// refreshNow asks the server and shows its answer, or why there is none.
func (d *dossierScreen) refreshNow(ctx context.Context) {
	actingFor := d.actingFor
	src, err := d.source()
	if err != nil {
		fyne.Do(func() { d.failed(err) })
		return
	}
	snap, err := src.Refresh(ctx, actingFor, d.u.now())
	fyne.Do(func() {
		if d.actingFor != actingFor {
			return // the citizen switched meanwhile
		}
		d.syncing = false
		if err != nil {
			d.failed(err)
			return
		}
		d.snap, d.have = snap, true
		d.notify(snap.NewMessages)
		d.render()
		d.u.updateDossierTab()
	})
	d.refreshFines(ctx)
	d.refreshAppointments(ctx)
}

func (d *dossierScreen) failed(err error) {
	d.syncing = false
	if d.u.sessionEnded(err) {
		return
	}
	d.u.log.Warn("dossier", "err", err)
	if d.have {
		d.snap.Stale = err
		d.render()
		return
	}
	msg := wrapped(errorText(err))
	msg.Importance = widget.DangerImportance
	retry := widget.NewButtonWithIcon(lang.X("action.retry", "Try again"), theme.ViewRefreshIcon(), d.load)
	d.root.Objects = []fyne.CanvasObject{container.NewVScroll(container.NewPadded(container.NewVBox(
		widget.NewCard(lang.X("dossier.title", "Your dossier"), "", container.NewVBox(msg, container.NewHBox(retry))))))}
	d.root.Refresh()
}

// notify raises a local notification for each message the sync brought.
func (d *dossierScreen) notify(messages []core.Message) {
	for _, m := range messages {
		d.u.app.SendNotification(fyne.NewNotification(lang.X("dossier.new_message", "New message from your municipality"), m.Subject))
	}
}

// render draws the overview or the open section from d.snap.
func (d *dossierScreen) render() {
	var content fyne.CanvasObject
	switch {
	case !d.have:
		a := widget.NewActivity()
		a.Start()
		content = container.NewCenter(container.NewVBox(a, widget.NewLabel(lang.X("profile.loading", "Loading your data…"))))
	case d.detail != "":
		content = d.section(d.detail)
	default:
		content = d.overview()
	}
	d.root.Objects = []fyne.CanvasObject{content}
	d.root.Refresh()
	content.Refresh() // second pass: wrapped labels know their height once they have a width
}

// open shows one section; back returns to the overview.
func (d *dossierScreen) open(section string) {
	d.detail = section
	d.render()
}

func (d *dossierScreen) back() {
	d.detail = ""
	d.render()
}

// switchTo shows the dossier of the minor with fiscal code cf ("" for the
// signed-in citizen's own).
func (d *dossierScreen) switchTo(cf string) {
	if cf == d.actingFor {
		return
	}
	d.actingFor, d.have, d.detail, d.snap = cf, false, "", dossier.Snapshot{}
	d.pay, d.booking = nil, nil
	d.load()
}

func (d *dossierScreen) overview() fyne.CanvasObject {
	dos := d.snap.Dossier
	p := dos.Person
	objs := []fyne.CanvasObject{d.whoseHeader()}
	if d.snap.Stale != nil {
		msg := wrapped(lang.X("dossier.offline", "Offline: you are seeing your data as of {{.When}}. {{.Reason}}",
			map[string]any{"When": d.u.formatTime(d.snap.FetchedAt), "Reason": errorText(d.snap.Stale)}))
		msg.Importance = widget.WarningImportance
		objs = append(objs, widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, msg)))
	}
	objs = append(objs, d.resumedCards()...)
	for _, pr := range dossier.Prompts(dos, d.u.today()) {
		objs = append(objs, d.promptCard(pr))
	}

	today := d.u.today()
	unread := dossier.Unread(dos)
	finesToPay := 0
	for _, f := range dos.Fines {
		if f.Status == core.FineToPay {
			finesToPay++
		}
	}
	tariToPay := 0
	for _, pos := range dos.TARI {
		for _, in := range pos.Instalments {
			if in.PaidOn == nil {
				tariToPay++
			}
		}
	}
	idSummary, idWarn := lang.X("dossier.no_id_card", "No electronic identity card on record"), false
	if c := p.IDCard; c != nil {
		idSummary = lang.X("dossier.id_card_summary", "{{.Number}} · expires {{.Expiry}}", map[string]any{"Number": c.Number, "Expiry": d.u.formatDate(c.Expiry)})
		idWarn = c.Expiry.Sub(today.Time) <= dossier.IDCardNotice
	}
	res := dos.Residence.Address
	tiles := []fyne.CanvasObject{
		newTile(theme.AccountIcon(), lang.X("dossier.personal", "Personal data"), p.Name+" "+p.Surname+" · "+p.FiscalCode, false, func() { d.open("personal") }),
		newTile(theme.HomeIcon(), lang.X("dossier.residence", "Residence"), res.Street+" "+res.Number+", "+res.Town, false, func() { d.open("residence") }),
		newTile(theme.GridIcon(), lang.X("dossier.family", "Family"), d.count(len(dos.Family), "dossier.family_none", "No one else in your registry family", "dossier.family_n", "{{.N}} other members"), false, func() { d.open("family") }),
		newTile(theme.DocumentIcon(), lang.X("dossier.id_card", "Identity card"), idSummary, idWarn, func() { d.open("id_card") }),
		newTile(theme.StorageIcon(), lang.X("dossier.tari", "Waste tax (TARI)"), d.count(tariToPay, "dossier.tari_none", "Nothing to pay", "dossier.tari_n", "{{.N}} instalments to pay"), tariToPay > 0, func() { d.open("tari") }),
		newTile(theme.ListIcon(), lang.X("dossier.vehicles", "Vehicles"), d.count(len(dos.Vehicles), "dossier.vehicles_none", "No vehicles registered", "dossier.vehicles_n", "{{.N}} vehicles"), false, func() { d.open("vehicles") }),
		newTile(theme.WarningIcon(), lang.X("dossier.fines", "Fines"), d.count(finesToPay, "dossier.fines_none", "No fines to pay", "dossier.fines_n", "{{.N}} fines to pay"), finesToPay > 0, func() { d.open("fines") }),
		newTile(theme.ConfirmIcon(), lang.X("dossier.payments", "Payments"), d.count(len(dos.Payments), "dossier.payments_none", "No payments yet", "dossier.payments_n", "{{.N}} payments"), false, func() { d.open("payments") }),
		newTile(theme.FileTextIcon(), lang.X("dossier.certificates", "Certificates"), d.count(len(dos.Certificates), "dossier.certificates_none", "No certificates issued", "dossier.certificates_n", "{{.N}} certificates"), false, func() { d.open("certificates") }),
		d.appointmentsTile(),
		newTile(theme.MailComposeIcon(), lang.X("dossier.messages", "Messages"), d.count(unread, "dossier.messages_none", "No unread messages", "dossier.messages_n", "{{.N}} unread"), unread > 0, func() { d.open("messages") }),
	}
	cols := 2
	if d.u.phone {
		cols = 1
	}
	objs = append(objs, container.NewGridWithColumns(cols, tiles...))
	return container.NewVScroll(container.NewPadded(container.NewVBox(objs...)))
}

// count is the summary "none" or "{{.N}} things".
func (d *dossierScreen) count(n int, noneKey, none, someKey, some string) string {
	if n == 0 {
		return lang.X(noneKey, none)
	}
	return lang.XN(someKey, some, n, map[string]any{"N": n})
}

// whoseHeader says whose dossier is on screen, the state of the copy, and
// lets a parent switch to a minor child's dossier and back.
func (d *dossierScreen) whoseHeader() fyne.CanvasObject {
	p := d.snap.Dossier.Person
	kicker := widget.NewLabel(lang.X("dossier.kicker", "Citizen's dossier"))
	kicker.Importance = widget.LowImportance
	name := widget.NewLabel(p.Name + " " + p.Surname)
	name.SizeName = theme.SizeNameSubHeadingText
	name.TextStyle.Bold = true
	status := widget.NewLabel(lang.X("dossier.updated", "Updated {{.Ago}}", map[string]any{"Ago": d.u.ago(d.snap.FetchedAt)}))
	status.Importance = widget.LowImportance
	refresh := widget.NewButtonWithIcon(lang.X("action.refresh", "Refresh"), theme.ViewRefreshIcon(), d.load)
	right := container.NewHBox(refresh)
	if d.syncing {
		a := widget.NewActivity()
		a.Start()
		right = container.NewHBox(a, refresh)
		refresh.Disable()
	}
	box := container.NewVBox(container.NewBorder(nil, nil, nil, container.NewCenter(right), container.NewVBox(kicker, name, status)))
	if d.actingFor != "" {
		acting := wrapped(lang.X("dossier.acting_for", "You are acting for {{.Name}}: this is their dossier, not yours.", map[string]any{"Name": p.Name + " " + p.Surname}))
		acting.Importance = widget.WarningImportance
		back := widget.NewButtonWithIcon(lang.X("dossier.back_to_mine", "Back to my dossier"), theme.NavigateBackIcon(), func() { d.switchTo("") })
		return container.NewVBox(widget.NewCard("", "", box),
			widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(theme.AccountIcon()), nil, acting)),
			container.NewHBox(back))
	}
	for _, m := range d.snap.Dossier.Delegations {
		box.Add(container.NewHBox(widget.NewButtonWithIcon(lang.X("dossier.act_for", "Act for {{.Name}}", map[string]any{"Name": m.Name + " " + m.Surname}),
			theme.AccountIcon(), func() { d.switchTo(m.FiscalCode) })))
	}
	return widget.NewCard("", "", box)
}

// promptCard brings a deadline forward, with the button that acts on it
// where the app can: an identity card to renew opens the booking of its
// renewal at the registry office.
func (d *dossierScreen) promptCard(p dossier.Prompt) fyne.CanvasObject {
	var text string
	var action fyne.CanvasObject
	switch p.Kind {
	case dossier.RenewIDCard:
		key, fallback := "prompt.id_card", "Your identity card {{.Ref}} expires on {{.Due}}: book its renewal at the registry office (Anagrafe)."
		if p.Overdue {
			key, fallback = "prompt.id_card_expired", "Your identity card {{.Ref}} expired on {{.Due}}: book its renewal at the registry office (Anagrafe)."
		}
		text = lang.X(key, fallback, map[string]any{"Ref": p.Reference, "Due": d.u.formatDate(p.Due)})
		if a, ok := d.upcomingFor(idCardTopic); ok && d.actingFor == "" {
			key, fallback = "prompt.id_card_booked", "Your identity card {{.Ref}} expires on {{.Due}}: you have an appointment on {{.When}} at {{.Office}}."
			if p.Overdue {
				key, fallback = "prompt.id_card_expired_booked", "Your identity card {{.Ref}} expired on {{.Due}}: you have an appointment on {{.When}} at {{.Office}}."
			}
			text = lang.X(key, fallback, map[string]any{"Ref": p.Reference, "Due": d.u.formatDate(p.Due), "When": appointmentWhen(a), "Office": a.Office})
			open := widget.NewButtonWithIcon(lang.X("prompt.see_booking", "See the booking"), theme.CalendarIcon(), func() { d.showAppointment(a.Code) })
			action = container.NewHBox(open)
		} else if d.actingFor == "" {
			// Expired or expiring, the card is renewed: the citizen can pick
			// another reason (theft, loss) in the booking.
			book := widget.NewButtonWithIcon(lang.X("prompt.book_renewal", "Book the renewal"), theme.CalendarIcon(), func() {
				d.startBooking("", idCardRenewal, d.back)
			})
			book.Importance = widget.HighImportance
			action = container.NewHBox(book)
		}
	case dossier.PayTARI:
		key, fallback := "prompt.tari", "TARI {{.Year}}: an instalment of {{.Amount}} is due on {{.Due}} (pagoPA notice {{.Ref}})."
		if p.Overdue {
			key, fallback = "prompt.tari_overdue", "TARI {{.Year}}: an instalment of {{.Amount}} was due on {{.Due}} (pagoPA notice {{.Ref}})."
		}
		text = lang.X(key, fallback, map[string]any{"Year": p.Year, "Amount": formatMoney(p.AmountCents), "Due": d.u.formatDate(p.Due), "Ref": p.Reference})
	default:
		text = fmt.Sprint(p.Kind)
	}
	msg := wrapped(text)
	msg.Importance = widget.WarningImportance
	content := fyne.CanvasObject(msg)
	if action != nil {
		content = container.NewVBox(msg, action)
	}
	return widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), nil, content))
}

// sectionPage frames a section with a back button and its title.
func (d *dossierScreen) sectionPage(title string, content ...fyne.CanvasObject) fyne.CanvasObject {
	return d.sectionPageBack(title, d.back, content...)
}

// sectionPageBack is sectionPage whose back button calls onBack instead of
// going to the overview.
func (d *dossierScreen) sectionPageBack(title string, onBack func(), content ...fyne.CanvasObject) fyne.CanvasObject {
	back := widget.NewButtonWithIcon(lang.X("action.back", "Back"), theme.NavigateBackIcon(), onBack)
	head := widget.NewLabel(title)
	head.SizeName = theme.SizeNameSubHeadingText
	head.TextStyle.Bold = true
	p := d.snap.Dossier.Person
	whose := widget.NewLabel(p.Name + " " + p.Surname)
	whose.Importance = widget.LowImportance
	if d.actingFor != "" {
		whose.Importance = widget.WarningImportance
	}
	var top fyne.CanvasObject = container.NewBorder(nil, nil, back, nil, container.NewHBox(head, layout.NewSpacer(), whose))
	if d.u.phone {
		// No room on a phone for both in a row (they pushed the page wider
		// than the screen): the title wraps next to Back, whose data these
		// are goes under it.
		head.Wrapping = fyne.TextWrapWord
		top = container.NewVBox(container.NewBorder(nil, nil, container.NewVBox(back), nil, head), whose)
	}
	return container.NewBorder(container.NewPadded(top), nil, nil, nil,
		container.NewVScroll(container.NewPadded(container.NewVBox(content...))))
}
