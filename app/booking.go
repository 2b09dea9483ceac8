package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/appointments"
	"github.com/sportello/sportello/core/municipality"
)

// The steps of a booking, in the Designers Italia model for municipal
// appointments (docs/appointments.md).
const (
	bookPlace     = iota // the service and the office
	bookWhen             // the day and the time
	bookReason           // the reason, the details, what to bring
	bookApplicant        // who books, and how to reach them
	bookSummary          // everything, and Confirm
	bookDone             // the confirmation
)

const (
	// maxDetails is the longest reason in the citizen's words the server
	// takes, in characters.
	maxDetails = 500
	// bookingHorizon is how far ahead the server books (90 days): the
	// calendar does not page beyond it.
	bookingHorizon = 90 * 24 * time.Hour
	// idCardTopic is the municipality's identity-card service: booked
	// for a reason (first issue, renewal, theft or loss), as Agenda CIE does.
	idCardTopic = "id_card"
	// idCardRenewal is the booking of an identity card's renewal, which
	// the dossier's prompt of an expiring card opens.
	idCardRenewal = "id_card_renewal"
	// allTopics is the municipality's service "Appointments": its button
	// offers every bookable service.
	allTopics = "appointments"
)

// bookingFlow books an appointment at a municipal office, or moves one
// (moving set): service and office → day and time → reason → applicant →
// summary → confirmation. What the citizen typed or chose stays when they
// go back, and when the server refuses.
type bookingFlow struct {
	d    *dossierScreen
	back func() // leaves the flow, to where it started

	topic     string // only the services of this municipality service ("" for all)
	serviceID string // the service chosen beforehand ("" for none)
	loading   bool   // the services are being asked
	loadErr   error

	all      []core.BookableService // every bookable service
	services []core.BookableService // the ones on offer here
	offices  []core.Office          // the municipality's offices
	fixed    bool                   // the service came chosen: no service step
	service  core.BookableService
	office   core.Office
	step     int

	month        time.Time // the first day of the month on screen, at the office
	avail        *core.MonthAvailability
	availErr     error
	monthLoading bool
	day          core.Date // the day chosen
	slots        []core.Slot
	slotsErr     error
	slotsLoading bool
	slot         *core.Slot
	slotService  string // the service slot was chosen for

	details      *widget.Entry
	counter      *widget.Label
	email        *widget.Entry
	phone        *widget.Entry
	emailFilled  bool // the e-mail was prefilled from the dossier once
	detailsError string
	emailError   string
	phoneError   string

	problem  string      // why the step on screen cannot go on
	nextFree []core.Slot // after slot-taken: the next free times instead
	existing string      // after already-booked: the booking the citizen has
	busy     bool

	moving *core.Appointment // the booking being moved; nil for a new one
	done   core.Appointment  // the booking made or moved
}

// appointmentsSource is the core's appointments for the signed-in citizen.
func (u *ui) appointmentsSource() (appointments.Source, error) {
	v, err := u.account.Vault()
	return appointments.Source{Client: u.conn.Client(), Auth: u.account.Authorizer(), Store: u.conn.Store(), Vault: v, Site: u.conn.Current().Site()}, err
}

// startBooking opens the booking flow. topic limits it to the services of
// one of the municipality's services (booking from the home screen);
// serviceID chooses the service beforehand (booking from a prompt); back is
// where leaving the flow leads.
func (d *dossierScreen) startBooking(topic, serviceID string, back func()) {
	if d.actingFor != "" {
		d.switchTo("") // a booking is always the signed-in citizen's own
	}
	f := &bookingFlow{d: d, back: back, topic: topic, serviceID: serviceID, loading: true,
		email: widget.NewEntry(), phone: widget.NewEntry()}
	f.details = widget.NewMultiLineEntry()
	f.details.Wrapping = fyne.TextWrapWord
	f.details.SetMinRowsVisible(4)
	f.details.OnChanged = func(string) { f.showCount() }
	f.email.SetPlaceHolder(lang.X("book.email_hint", "name@example.com"))
	f.phone.SetPlaceHolder("+39 333 123 4567")
	d.booking = f
	d.open("booking")
	f.loadServices()
}

// bookTopic opens the booking flow for the services of topic, from the home
// screen; signed out, it asks to sign in first and opens it afterwards.
func (u *ui) bookTopic(topic string) {
	if u.dossier == nil {
		content := wrapped(lang.X("book.signin_text", "An appointment is booked in your name: sign in with SPID or CIE first, then choose the day and time."))
		dlg := dialog.NewCustomConfirm(lang.X("book.title", "Book an appointment"), lang.X("book.signin", "Sign in"), lang.X("action.cancel", "Cancel"),
			content, func(ok bool) {
				if ok {
					u.bookAfterSignIn = &topic
					u.showSignIn()
				}
			}, u.win)
		dlg.Resize(fyne.NewSize(360, 0))
		dlg.Show()
		return
	}
	u.showDossier()
	d := u.dossier
	d.startBooking(topic, "", func() {
		d.back()
		if u.tabs != nil {
			u.tabs.SelectIndex(0)
		}
	})
}

// loadServices asks which services can be booked, then shows the first
// step that has a choice to make.
func (f *bookingFlow) loadServices() {
	u := f.d.u
	offices := u.offices
	f.loading, f.loadErr = true, nil
	u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		src, err := u.appointmentsSource()
		var all []core.BookableService
		if err == nil {
			all, err = src.Services(ctx)
		}
		if err == nil && len(offices) == 0 {
			// The home screen has not shown the municipality yet: its copy.
			c := u.conn
			if info, ok, _ := municipality.Cached(ctx, c.Store(), c.Current().Site(), currentLanguage()); ok {
				offices = info.Municipality.Offices
			}
		}
		fyne.Do(func() {
			f.loading = false
			if err != nil {
				if u.sessionEnded(err) {
					return
				}
				u.log.Warn("appointments: services", "err", err)
				f.loadErr = err
				f.redraw()
				return
			}
			f.all, f.offices = all, offices
			f.services = appointments.ForTopic(all, f.topic)
			if i := slices.IndexFunc(all, func(s core.BookableService) bool { return s.ID == f.serviceID }); i >= 0 {
				f.services = all[i : i+1]
			}
			if len(f.services) == 1 {
				f.fixed = true
				f.setService(f.services[0])
			}
			f.step = f.first()
			if f.step == bookWhen {
				f.enterWhen()
			}
			f.redraw()
		})
	})
}

// startReschedule opens the calendar of a's service and office: the time
// chosen there replaces a's, at once, or a stays where it is.
func (d *dossierScreen) startReschedule(a core.Appointment) {
	f := &bookingFlow{d: d, moving: &a, fixed: true,
		service: core.BookableService{ID: a.ServiceID, Name: a.Service, Offices: []string{a.OfficeID}},
		office:  core.Office{ID: a.OfficeID, Name: a.Office, Address: a.Address}}
	f.back = func() { d.showAppointment(a.Code) }
	f.month, f.step = firstOfMonth(a.Start.In(officeZone)), bookWhen
	d.booking = f
	d.open("booking")
	f.enterWhen()
	f.redraw()
}

func (f *bookingFlow) redraw() {
	if f.d.booking == f && f.d.detail == "booking" {
		f.d.render()
	}
}

// leave closes the flow.
func (f *bookingFlow) leave() {
	f.d.booking = nil
	f.back()
}

// officesFor lists the municipality's offices that offer s.
func (f *bookingFlow) officesFor(s core.BookableService) []core.Office {
	return appointments.Offices(s, f.offices)
}

// first is the first step with a choice in it: the service and office are
// skipped when both are given.
func (f *bookingFlow) first() int {
	if f.moving != nil || (f.fixed && len(f.officesFor(f.service)) == 1) {
		return bookWhen
	}
	return bookPlace
}

// steps are the steps shown, for "Step 2 of 5".
func (f *bookingFlow) steps() []int {
	out := []int{bookWhen, bookReason, bookApplicant, bookSummary}
	if f.first() == bookPlace {
		out = append([]int{bookPlace}, out...)
	}
	return out
}

// setService chooses s, and its office when only one offers it; a day and
// time chosen for another service go.
func (f *bookingFlow) setService(s core.BookableService) {
	f.service = s
	offices := f.officesFor(s)
	switch {
	case len(offices) == 1:
		f.setOffice(offices[0])
	case !slices.ContainsFunc(offices, func(o core.Office) bool { return o.ID == f.office.ID }):
		f.setOffice(core.Office{})
	}
}

// setOffice chooses o; its calendar is another.
func (f *bookingFlow) setOffice(o core.Office) {
	if o.ID != f.office.ID {
		f.avail, f.day, f.slots, f.slot = nil, core.Date{}, nil, nil
	}
	f.office = o
}

// goTo moves to step, clearing what the previous one left behind.
func (f *bookingFlow) goTo(step int) {
	f.problem, f.nextFree, f.existing = "", nil, ""
	f.step = step
	switch step {
	case bookWhen:
		f.enterWhen()
	case bookApplicant:
		if !f.emailFilled {
			f.emailFilled = true
			if f.email.Text == "" {
				f.email.SetText(f.d.snap.Dossier.Person.Email)
			}
		}
	}
	f.redraw()
}

// forward goes to the step after this one.
func (f *bookingFlow) forward() {
	steps := f.steps()
	if i := slices.Index(steps, f.step); i >= 0 && i+1 < len(steps) {
		f.goTo(steps[i+1])
	}
}

// backward goes to the step before, or leaves from the first.
func (f *bookingFlow) backward() {
	steps := f.steps()
	i := slices.Index(steps, f.step)
	if f.moving != nil || i <= 0 {
		f.leave()
		return
	}
	f.goTo(steps[i-1])
}

func (f *bookingFlow) page() fyne.CanvasObject {
	title := lang.X("book.title", "Book an appointment")
	if f.moving != nil {
		title = lang.X("book.move_title", "Move the appointment")
	}
	var body []fyne.CanvasObject
	switch {
	case f.loading:
		a := widget.NewActivity()
		a.Start()
		body = []fyne.CanvasObject{container.NewHBox(a, widget.NewLabel(lang.X("book.loading", "Loading the services you can book…")))}
	case f.loadErr != nil:
		msg := wrapped(errorText(f.loadErr))
		msg.Importance = widget.DangerImportance
		retry := widget.NewButtonWithIcon(lang.X("action.retry", "Try again"), theme.ViewRefreshIcon(), func() { f.loadServices(); f.redraw() })
		body = []fyne.CanvasObject{widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(theme.ErrorIcon()), nil, msg)),
			container.NewHBox(f.backButton(), retry)}
	default:
		if f.step != bookDone && f.moving == nil {
			body = append(body, f.progress())
		}
		switch f.step {
		case bookPlace:
			body = append(body, f.placeStep()...)
		case bookWhen:
			body = append(body, f.whenStep()...)
		case bookReason:
			body = append(body, f.reasonStep()...)
		case bookApplicant:
			body = append(body, f.applicantStep()...)
		case bookSummary:
			body = append(body, f.summaryStep()...)
		default:
			body = append(body, f.donePage()...)
		}
	}
	return f.d.sectionPageBack(title, f.leave, body...)
}

// progress is "Step 2 of 5: Day and time".
func (f *bookingFlow) progress() fyne.CanvasObject {
	names := map[int]string{
		bookPlace:     lang.X("book.step_place", "Office"),
		bookWhen:      lang.X("book.step_when", "Day and time"),
		bookReason:    lang.X("book.step_reason", "Reason"),
		bookApplicant: lang.X("book.step_applicant", "Your details"),
		bookSummary:   lang.X("book.step_summary", "Summary"),
	}
	if !f.fixed {
		names[bookPlace] = lang.X("book.step_service", "Service and office")
	}
	steps := f.steps()
	l := widget.NewLabel(lang.X("book.step", "Step {{.N}} of {{.Of}}: {{.Name}}",
		map[string]any{"N": slices.Index(steps, f.step) + 1, "Of": len(steps), "Name": names[f.step]}))
	l.Importance = widget.LowImportance
	return l
}

func (f *bookingFlow) backButton() *widget.Button {
	return widget.NewButtonWithIcon(lang.X("action.back", "Back"), theme.NavigateBackIcon(), f.backward)
}

// nav is Back and Next; check says whether the step is complete.
func (f *bookingFlow) nav(check func() bool) fyne.CanvasObject {
	next := widget.NewButtonWithIcon(lang.X("cert.next", "Next"), theme.NavigateNextIcon(), func() {
		if check() {
			f.forward()
		}
	})
	next.Importance = widget.HighImportance
	return container.NewHBox(f.backButton(), next)
}

// problemCard says why the step cannot go on, when it cannot.
func (f *bookingFlow) problemCard(extra ...fyne.CanvasObject) fyne.CanvasObject {
	if f.problem == "" {
		return container.NewVBox()
	}
	msg := wrapped(f.problem)
	msg.Importance = widget.DangerImportance
	box := container.NewVBox(container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, msg))
	for _, o := range extra {
		box.Add(o)
	}
	return widget.NewCard("", "", box)
}

// say shows why the step cannot go on.
func (f *bookingFlow) say(text string) {
	f.problem = text
	f.redraw()
}

// Step 1: the service and the office.

func (f *bookingFlow) placeStep() []fyne.CanvasObject {
	var out []fyne.CanvasObject
	if len(f.services) == 0 {
		return []fyne.CanvasObject{empty(lang.X("book.no_services", "Nothing can be booked online at the moment: contact the municipality.")),
			container.NewHBox(f.backButton())}
	}
	if f.fixed {
		box := container.NewVBox(heading(f.service.Name))
		if f.service.Description != "" {
			box.Add(wrapped(f.service.Description))
		}
		out = append(out, widget.NewCard("", "", box))
	} else {
		box := container.NewVBox()
		for _, s := range f.services {
			box.Add(f.serviceChoice(s))
		}
		out = append(out, titledCard(lang.X("book.which_service", "What do you need?"), "", box))
	}
	if f.service.ID != "" {
		offices := f.officesFor(f.service)
		if len(offices) == 0 {
			out = append(out, empty(lang.X("book.no_office", "No office offers this service online at the moment: contact the municipality.")))
		} else {
			head := widget.NewLabel(lang.X("book.which_office", "At which office?"))
			head.TextStyle.Bold = true
			out = append(out, head)
			for _, o := range offices {
				out = append(out, f.officeCard(o))
			}
		}
	}
	return append(out, f.problemCard(), f.nav(f.checkPlace))
}

// serviceChoice is one service, with what it is once chosen.
func (f *bookingFlow) serviceChoice(s core.BookableService) fyne.CanvasObject {
	detail := ""
	if s.ID == f.service.ID {
		detail = s.Description
	}
	return newChoice(s.Name, detail, s.ID == f.service.ID, func() {
		f.setService(s)
		f.problem = ""
		f.redraw()
	})
}

// officeCard is an office offering the service: where it is, when it is
// open, and the button that chooses it.
func (f *bookingFlow) officeCard(o core.Office) fyne.CanvasObject {
	name := wrapped(o.Name)
	name.TextStyle.Bold = true
	box := container.NewVBox(name, wrapped(o.Address))
	// The hours decide which office suits the citizen: readable, as on
	// the home screen, not faded like a hint.
	for _, line := range openingLines(o.Hours) {
		box.Add(widget.NewLabel(line))
	}
	choose := widget.NewButtonWithIcon(lang.X("book.choose_office", "Choose this office"), theme.NavigateNextIcon(), func() {
		f.setOffice(o)
		f.forward()
	})
	if o.ID == f.office.ID {
		choose.Importance = widget.HighImportance
		choose.SetIcon(theme.ConfirmIcon())
	}
	box.Add(container.NewHBox(choose))
	return widget.NewCard("", "", box)
}

func (f *bookingFlow) checkPlace() bool {
	switch {
	case f.service.ID == "":
		f.say(lang.X("book.choose_service", "Choose what you need."))
		return false
	case f.office.ID == "":
		f.say(lang.X("book.choose_office_first", "Choose an office."))
		return false
	}
	return true
}

// Step 2: the day and the time.

// enterWhen shows the month of the day chosen, or of today, and asks the
// server for its free places (they change: every time afresh).
func (f *bookingFlow) enterWhen() {
	now := f.d.u.now().In(officeZone)
	if f.month.IsZero() {
		f.month = firstOfMonth(now)
		if !f.day.IsZero() {
			f.month = firstOfMonth(f.day.Time)
		}
	}
	f.loadMonth()
	if !f.day.IsZero() {
		f.loadSlots()
	}
}

// firstOfMonth is midnight of the first of t's month, at the office.
func firstOfMonth(t time.Time) time.Time {
	y, m, _ := t.Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, officeZone)
}

func (f *bookingFlow) showMonth(m time.Time) {
	f.month = m
	f.loadMonth()
	f.redraw()
}

func (f *bookingFlow) loadMonth() {
	u := f.d.u
	month, office, service := f.month, f.office.ID, f.service.ID
	f.monthLoading, f.availErr = true, nil
	if f.avail != nil && f.avail.Month != month.Format("2006-01") {
		f.avail = nil
	}
	askAppointments(u, func(ctx context.Context, src appointments.Source) (core.MonthAvailability, error) {
		return src.Month(ctx, office, service, month)
	}, func(m core.MonthAvailability, err error) {
		if !f.month.Equal(month) || f.office.ID != office || f.service.ID != service {
			return // the citizen moved on meanwhile
		}
		f.monthLoading = false
		if err != nil {
			if u.sessionEnded(err) {
				return
			}
			u.log.Warn("appointments: month", "err", err)
			f.availErr = err
		} else {
			f.avail = &m
		}
		f.redraw()
	})
}

// pickDay shows the free times of day.
func (f *bookingFlow) pickDay(day core.Date) {
	if day != f.day {
		f.day, f.slot, f.slots = day, nil, nil
	}
	f.problem, f.nextFree = "", nil
	f.loadSlots()
	f.redraw()
}

func (f *bookingFlow) loadSlots() {
	u := f.d.u
	day, office, service := f.day, f.office.ID, f.service.ID
	f.slotsLoading, f.slotsErr = true, nil
	f.fetchSlots(office, service, day, func(slots []core.Slot, err error) {
		if f.day != day || f.office.ID != office || f.service.ID != service {
			return
		}
		f.slotsLoading = false
		if err != nil {
			if u.sessionEnded(err) {
				return
			}
			u.log.Warn("appointments: slots", "err", err)
			f.slotsErr = err
		} else {
			f.slots = slots
			// A time chosen before stays chosen only while it is free.
			if f.slot != nil && !slices.ContainsFunc(slots, func(s core.Slot) bool { return s.Start.Equal(f.slot.Start) }) {
				f.slot = nil
			}
		}
		f.redraw()
	})
}

// pickSlot chooses s, showing its day and month.
func (f *bookingFlow) pickSlot(s core.Slot) {
	start := s.Start.In(officeZone)
	f.day = core.DateOf(start)
	f.slot, f.slotService = &s, f.service.ID
	if m := firstOfMonth(start); !m.Equal(f.month) {
		f.month = m
		f.loadMonth()
	}
}

func (f *bookingFlow) whenStep() []fyne.CanvasObject {
	u := f.d.u
	where := wrapped(f.service.Name + " · " + f.office.Name)
	where.TextStyle.Bold = true
	out := []fyne.CanvasObject{where}
	if f.moving != nil {
		now := wrapped(lang.X("book.moving_from", "Now: {{.When}}. Choose the new day and time: the booking moves only when you confirm, and keeps its code.",
			map[string]any{"When": appointmentWhen(*f.moving)}))
		out = append(out, now)
	}
	if f.problem != "" {
		var extra []fyne.CanvasObject
		if len(f.nextFree) > 0 {
			intro := wrapped(lang.X("book.next_free", "The next free times:"))
			times := container.NewGridWithColumns(3)
			if u.phone {
				times = container.NewVBox()
			}
			for _, s := range f.nextFree {
				b := widget.NewButtonWithIcon(shortDate(s.Start.In(officeZone))+", "+clock(s.Start), theme.CalendarIcon(), func() { f.pickNextFree(s) })
				b.Alignment = widget.ButtonAlignLeading
				times.Add(b)
			}
			extra = append(extra, intro, times)
		}
		out = append(out, f.problemCard(extra...))
	} else if f.avail != nil && f.avail.FirstFree != nil && f.slot == nil {
		s := *f.avail.FirstFree
		first := widget.NewButtonWithIcon(shortDate(s.Start.In(officeZone))+", "+clock(s.Start), theme.CalendarIcon(), func() {
			f.pickSlot(s)
			f.loadSlots()
			f.redraw()
		})
		label := widget.NewLabel(lang.X("book.first_free", "First free time:"))
		out = append(out, container.NewHBox(label, first))
	}
	month, times := f.monthCard(), f.timesCard()
	if u.phone {
		out = append(out, month, times)
	} else {
		out = append(out, container.NewGridWithColumns(2, month, times))
	}
	if f.slot != nil {
		chosen := wrapped(lang.X("book.chosen", "Chosen: {{.When}}", map[string]any{"When": slotWhen(*f.slot)}))
		chosen.TextStyle.Bold = true
		chosen.Importance = widget.HighImportance
		out = append(out, chosen)
	}
	if f.moving != nil {
		move := widget.NewButtonWithIcon(lang.X("book.move_here", "Move here"), theme.ConfirmIcon(), f.move)
		move.Importance = widget.HighImportance
		if f.busy {
			move.Disable()
		}
		return append(out, container.NewHBox(f.backButton(), move))
	}
	return append(out, f.nav(f.checkWhen))
}

// monthCard is the month: days with free places are buttons, the others
// plain and dim; closed days are told below with their reason.
func (f *bookingFlow) monthCard() fyne.CanvasObject {
	now := f.d.u.now().In(officeZone)
	prev := widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { f.showMonth(f.month.AddDate(0, -1, 0)) })
	if !f.month.After(firstOfMonth(now)) {
		prev.Disable()
	}
	next := widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { f.showMonth(f.month.AddDate(0, 1, 0)) })
	if f.month.AddDate(0, 1, 0).After(now.Add(bookingHorizon)) {
		next.Disable()
	}
	title := widget.NewLabelWithStyle(monthTitle(f.month), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	head := container.NewBorder(nil, nil, prev, next, title)

	box := container.NewVBox(head)
	switch {
	case f.avail == nil && f.availErr != nil:
		msg := wrapped(errorText(f.availErr))
		msg.Importance = widget.DangerImportance
		retry := widget.NewButtonWithIcon(lang.X("action.retry", "Try again"), theme.ViewRefreshIcon(), func() { f.loadMonth(); f.redraw() })
		box.Add(msg)
		box.Add(container.NewHBox(retry))
		return widget.NewCard("", "", box)
	case f.avail == nil:
		a := widget.NewActivity()
		a.Start()
		box.Add(container.NewCenter(container.NewHBox(a, widget.NewLabel(lang.X("book.loading_days", "Looking for free places…")))))
		return widget.NewCard("", "", box)
	}

	grid := container.NewGridWithColumns(7)
	for wd := 1; wd <= 7; wd++ {
		l := widget.NewLabelWithStyle(weekdayName(wd), fyne.TextAlignCenter, fyne.TextStyle{})
		l.SizeName = theme.SizeNameCaptionText
		l.Importance = widget.LowImportance
		grid.Add(l)
	}
	for range isoWeekday(f.month) - 1 {
		grid.Add(widget.NewLabel(""))
	}
	var closed []string
	free := 0
	for _, day := range f.avail.Days {
		text := fmt.Sprint(day.Date.Day())
		switch {
		case day.Free > 0:
			free++
			b := widget.NewButton(text, func() { f.pickDay(day.Date) })
			if day.Date == f.day {
				b.Importance = widget.HighImportance
			}
			grid.Add(b)
		default:
			l := widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{})
			l.Importance = widget.LowImportance
			if day.Closed != "" {
				l.Importance = widget.DangerImportance
				closed = append(closed, lang.X("book.closed_day", "{{.Day}}: {{.Reason}}",
					map[string]any{"Day": fmt.Sprintf("%d %s", day.Date.Day(), monthName(day.Date.Month())), "Reason": day.Closed}))
			}
			grid.Add(l)
		}
	}
	box.Add(grid)
	hint := lang.X("book.tap_day", "Tap a day with free places to see its times. Days in grey are full, or the office does not open.")
	if free == 0 {
		hint = lang.X("book.month_full", "No free places this month: try the next one.")
	}
	h := wrapped(hint)
	h.Importance = widget.LowImportance
	h.SizeName = theme.SizeNameCaptionText
	box.Add(h)
	if len(closed) > 0 {
		// One label, one line a day: captions one under the other.
		c := wrapped(lang.X("book.closed", "Closed (in red):") + "\n" + strings.Join(closed, "\n"))
		c.Importance = widget.DangerImportance
		c.SizeName = theme.SizeNameCaptionText
		box.Add(c)
	}
	return widget.NewCard("", "", box)
}

// timesCard lists the free times of the day chosen.
func (f *bookingFlow) timesCard() fyne.CanvasObject {
	if f.day.IsZero() {
		l := wrapped(lang.X("book.pick_day", "Choose a day in the calendar: its free times show here."))
		l.Importance = widget.LowImportance
		return widget.NewCard("", "", l)
	}
	title := lang.X("book.times_of", "Free times on {{.Day}}", map[string]any{"Day": longDate(f.day.Time)})
	box := container.NewVBox()
	switch {
	case f.slotsErr != nil:
		msg := wrapped(errorText(f.slotsErr))
		msg.Importance = widget.DangerImportance
		box.Add(msg)
		box.Add(container.NewHBox(widget.NewButtonWithIcon(lang.X("action.retry", "Try again"), theme.ViewRefreshIcon(), func() { f.loadSlots(); f.redraw() })))
	case f.slotsLoading && len(f.slots) == 0:
		a := widget.NewActivity()
		a.Start()
		box.Add(container.NewHBox(a))
	case len(f.slots) == 0:
		box.Add(wrapped(lang.X("book.day_full", "No free time left on this day: choose another.")))
	default:
		cols := 4
		if f.d.u.phone {
			cols = 3
		}
		grid := container.NewGridWithColumns(cols)
		for _, s := range f.slots {
			b := widget.NewButton(clock(s.Start), func() {
				f.slot, f.slotService = &s, f.service.ID
				f.problem, f.nextFree = "", nil
				f.redraw()
			})
			if f.slot != nil && f.slot.Start.Equal(s.Start) {
				b.Importance = widget.HighImportance
			}
			grid.Add(b)
		}
		box.Add(grid)
	}
	head := wrapped(title)
	head.TextStyle.Bold = true
	return widget.NewCard("", "", container.NewVBox(head, box))
}

// pickNextFree takes one of the next free times the server offered after
// the chosen one was taken: a new booking goes back to the summary, with
// everything else as it was; a move stays here, to confirm.
func (f *bookingFlow) pickNextFree(s core.Slot) {
	f.pickSlot(s)
	f.problem, f.nextFree = "", nil
	if f.moving == nil {
		f.step = bookSummary
		f.redraw()
		return
	}
	f.loadSlots()
	f.redraw()
}

func (f *bookingFlow) checkWhen() bool {
	if f.slot == nil {
		f.say(lang.X("book.choose_time", "Choose a day and a time."))
		return false
	}
	return true
}

// Step 3: the reason, the details, what to bring.

// reasons are the services the citizen may switch between here: the
// identity card's (first issue, renewal, theft or loss) when the flow
// chose one for them. Elsewhere the service step was the choice.
func (f *bookingFlow) reasons() []core.BookableService {
	if !f.fixed || f.service.Topic != idCardTopic {
		return nil
	}
	if r := appointments.ForTopic(f.all, idCardTopic); len(r) > 1 {
		return r
	}
	return nil
}

func (f *bookingFlow) reasonStep() []fyne.CanvasObject {
	var out []fyne.CanvasObject
	if reasons := f.reasons(); len(reasons) > 0 {
		box := container.NewVBox()
		names := reasonNames(reasons)
		for i, s := range reasons {
			box.Add(newChoice(names[i], "", s.ID == f.service.ID, func() {
				if s.ID != f.service.ID {
					f.service = s
					f.problem = ""
					f.redraw()
				}
			}))
		}
		out = append(out, titledCard(lang.X("book.reason_q", "Why do you need the identity card?"), "", box))
	}
	f.counter = widget.NewLabel("")
	f.counter.SizeName = theme.SizeNameCaptionText
	f.showCount()
	problem := wrapped(f.detailsError)
	problem.Importance = widget.DangerImportance
	if f.detailsError == "" {
		problem.Hide()
	}
	out = append(out, titledCard(lang.X("book.details", "Details (optional)"),
		lang.X("book.details_sub", "Anything the office should know beforehand."),
		container.NewVBox(f.details, container.NewBorder(nil, nil, nil, f.counter, problem))))
	if len(f.service.Bring) > 0 {
		// One label, one line an item: close together, as a list.
		list := wrapped("• " + strings.Join(f.service.Bring, "\n• "))
		out = append(out, titledCard(lang.X("book.bring", "What to bring"), "", list))
	}
	return append(out, f.problemCard(), f.nav(f.checkReason))
}

// reasonNames names the reasons without what their services' names share:
// "Carta d'identità: rinnovo" is "Rinnovo" under "Why do you need the
// identity card?".
func reasonNames(list []core.BookableService) []string {
	names := make([]string, len(list))
	prefix := ""
	if i := strings.Index(list[0].Name, ": "); i > 0 {
		prefix = list[0].Name[:i+2]
	}
	for i, s := range list {
		names[i] = s.Name
		if prefix == "" || !strings.HasPrefix(s.Name, prefix) {
			return names[:0:0]
		}
	}
	for i, s := range list {
		r := []rune(strings.TrimPrefix(s.Name, prefix))
		r[0] = unicode.ToUpper(r[0])
		names[i] = string(r)
	}
	return names
}

// showCount shows how many characters the details have of the 500.
func (f *bookingFlow) showCount() {
	if f.counter == nil {
		return
	}
	n := utf8.RuneCountInString(strings.TrimSpace(f.details.Text))
	f.counter.SetText(fmt.Sprintf("%d/%d", n, maxDetails))
	f.counter.Importance = widget.LowImportance
	if n > maxDetails {
		f.counter.Importance = widget.DangerImportance
	}
	f.counter.Refresh()
}

func (f *bookingFlow) checkReason() bool {
	f.detailsError = ""
	if utf8.RuneCountInString(strings.TrimSpace(f.details.Text)) > maxDetails {
		f.detailsError = bookingReasonText("too_long")
		f.redraw()
		return false
	}
	if f.slot != nil && f.slotService != f.service.ID {
		f.recheckSlot()
		return false
	}
	return true
}

// recheckSlot keeps the time chosen for the service the reason changed from
// when it is free for the new one too, and asks for another otherwise.
func (f *bookingFlow) recheckSlot() {
	u := f.d.u
	if !slices.ContainsFunc(f.officesFor(f.service), func(o core.Office) bool { return o.ID == f.office.ID }) {
		f.setOffice(core.Office{})
		f.goTo(bookPlace)
		f.say(lang.X("book.reason_office", "The office chosen does not handle {{.Service}}: choose another.", map[string]any{"Service": f.service.Name}))
		return
	}
	day, office, service, start := f.day, f.office.ID, f.service.ID, f.slot.Start
	f.busy = true
	f.fetchSlots(office, service, day, func(slots []core.Slot, err error) {
		f.busy = false
		if err != nil {
			if !u.sessionEnded(err) {
				f.say(errorText(err))
			}
			return
		}
		if i := slices.IndexFunc(slots, func(s core.Slot) bool { return s.Start.Equal(start) }); i >= 0 {
			f.slot, f.slotService = &slots[i], service
			f.forward()
			return
		}
		f.slot, f.avail = nil, nil
		f.goTo(bookWhen)
		f.say(lang.X("book.reason_time", "The time chosen is not free for {{.Service}}: choose the day and time again.", map[string]any{"Service": f.service.Name}))
	})
}

// fetchSlots asks for the free times of day at office for service.
func (f *bookingFlow) fetchSlots(office, service string, day core.Date, done func([]core.Slot, error)) {
	askAppointments(f.d.u, func(ctx context.Context, src appointments.Source) ([]core.Slot, error) {
		return src.Slots(ctx, office, service, day)
	}, done)
}

// askAppointments runs ask off the UI goroutine with the appointments'
// source, and hands its answer to done on the UI goroutine.
func askAppointments[T any](u *ui, ask func(context.Context, appointments.Source) (T, error), done func(T, error)) {
	u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		src, err := u.appointmentsSource()
		var answer T
		if err == nil {
			answer, err = ask(ctx, src)
		}
		fyne.Do(func() { done(answer, err) })
	})
}

// Step 4: the applicant.

func (f *bookingFlow) applicantStep() []fyne.CanvasObject {
	u := f.d.u
	p := f.d.snap.Dossier.Person
	who := titledCard(lang.X("book.who", "Who is booking"), lang.X("book.who_sub", "From your dossier."), u.fieldList([]field{
		textField(lang.X("book.name", "Name"), p.Name),
		textField(lang.X("book.surname", "Surname"), p.Surname),
		textField(lang.X("profile.fiscal_code", "Fiscal code"), p.FiscalCode),
	}))
	emailBox := container.NewVBox(f.email)
	if f.emailError != "" {
		e := wrapped(f.emailError)
		e.Importance = widget.DangerImportance
		emailBox.Add(e)
	}
	phoneBox := container.NewVBox(f.phone)
	if f.phoneError != "" {
		e := wrapped(f.phoneError)
		e.Importance = widget.DangerImportance
		phoneBox.Add(e)
	}
	contacts := titledCard(lang.X("book.contacts", "How to reach you"),
		lang.X("book.contacts_sub", "The confirmation and any change come by e-mail."), u.fieldList([]field{
			{label: lang.X("book.email", "E-mail (required)"), value: emailBox},
			{label: lang.X("book.phone", "Phone (optional)"), value: phoneBox},
		}))
	return []fyne.CanvasObject{who, contacts, f.problemCard(), f.nav(f.checkApplicant)}
}

func (f *bookingFlow) checkApplicant() bool {
	email := strings.TrimSpace(f.email.Text)
	f.emailError, f.phoneError = "", ""
	switch {
	case email == "":
		f.emailError = lang.X("book.email_missing", "Write your e-mail address: the confirmation goes there.")
	case !appointments.ValidEmail(email):
		f.emailError = bookingReasonText("invalid_email")
	}
	if f.emailError != "" {
		f.redraw()
		return false
	}
	return true
}

// Step 5: the summary.

func (f *bookingFlow) summaryStep() []fyne.CanvasObject {
	u := f.d.u
	p := f.d.snap.Dossier.Person
	when := ""
	if f.slot != nil {
		when = slotWhen(*f.slot)
	}
	fields := []field{
		textField(lang.X("book.service", "Service"), f.service.Name),
		{label: lang.X("book.office", "Office"), value: wrapped(f.office.Name + ", " + f.office.Address)},
		{label: lang.X("book.when", "When"), value: wrapped(when)},
	}
	if d := strings.TrimSpace(f.details.Text); d != "" {
		fields = append(fields, field{label: lang.X("book.details_short", "Details"), value: wrapped(d)})
	}
	fields = append(fields,
		textField(lang.X("book.applicant", "Applicant"), p.Name+" "+p.Surname+" · "+p.FiscalCode),
		textField(lang.X("profile.email", "E-mail"), strings.TrimSpace(f.email.Text)),
		textField(lang.X("profile.phone", "Phone"), strings.TrimSpace(f.phone.Text)))
	confirm := widget.NewButtonWithIcon(lang.X("book.confirm", "Confirm the booking"), theme.ConfirmIcon(), f.book)
	confirm.Importance = widget.HighImportance
	if f.busy {
		confirm.Disable()
	}
	var extra []fyne.CanvasObject
	if f.existing != "" {
		code := f.existing
		extra = append(extra, container.NewHBox(widget.NewButtonWithIcon(lang.X("book.open_existing", "Open booking {{.Code}}", map[string]any{"Code": code}),
			theme.NavigateNextIcon(), func() { f.d.booking = nil; f.d.showAppointment(code) })))
	}
	note := wrapped(lang.X("book.summary_note", "When you confirm, the office keeps the time for you and sends the summary to your e-mail."))
	note.Importance = widget.LowImportance
	return []fyne.CanvasObject{titledCard(lang.X("book.summary", "Check and confirm"), "", u.fieldList(fields)), note,
		f.problemCard(extra...), container.NewHBox(f.backButton(), confirm)}
}

// book sends the booking; refused, the flow goes back to what must change.
func (f *bookingFlow) book() {
	if f.busy || f.slot == nil {
		return
	}
	u := f.d.u
	req := core.BookingRequest{Service: f.service.ID, Office: f.office.ID, Start: f.slot.Start,
		Details: strings.TrimSpace(f.details.Text), Email: strings.TrimSpace(f.email.Text), Phone: strings.TrimSpace(f.phone.Text)}
	f.busy, f.problem, f.existing = true, "", ""
	f.redraw()
	u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		src, err := u.appointmentsSource()
		var a core.Appointment
		if err == nil {
			a, err = src.Book(ctx, req, u.now())
			f.finished(ctx, &src, a, err)
			return
		}
		f.finished(ctx, nil, a, err)
	})
}

// move moves the booking to the time chosen, at once, or leaves it.
func (f *bookingFlow) move() {
	if f.busy {
		return
	}
	if !f.checkWhen() {
		return
	}
	u := f.d.u
	code, req := f.moving.Code, core.RescheduleRequest{Office: f.office.ID, Start: f.slot.Start}
	f.busy, f.problem = true, ""
	f.redraw()
	u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		src, err := u.appointmentsSource()
		var a core.Appointment
		if err == nil {
			a, err = src.Reschedule(ctx, code, req, u.now())
			f.finished(ctx, &src, a, err)
			return
		}
		f.finished(ctx, nil, a, err)
	})
}

// finished shows the booking made or moved, or why not, with the device's
// copy as it is after it (src is nil when it could not be opened). It runs
// off the UI goroutine.
func (f *bookingFlow) finished(ctx context.Context, src *appointments.Source, a core.Appointment, err error) {
	var snap appointments.Snapshot
	var have bool
	if src != nil {
		snap, have, _ = src.Cached(ctx)
	}
	fyne.Do(func() {
		f.busy = false
		if have {
			f.d.appts.snap, f.d.appts.have = snap, true
		}
		if err != nil {
			f.refused(err)
			return
		}
		f.done, f.step = a, bookDone
		f.redraw()
	})
}

// refused explains a refusal on the step it concerns; nothing typed is lost.
func (f *bookingFlow) refused(err error) {
	u := f.d.u
	if u.sessionEnded(err) {
		return
	}
	u.log.Warn("appointments: book", "err", err)
	if next, ok := appointments.SlotTaken(err); ok {
		f.slot = nil
		f.goTo(bookWhen) // the month and the day again: their places changed
		f.problem = lang.X("book.slot_taken", "This time was just taken by someone else.")
		f.nextFree = next
		f.redraw()
		return
	}
	var p *core.Problem
	if errors.As(err, &p) {
		switch p.Type {
		case core.ProblemSlotUnavailable:
			f.slot = nil
			f.goTo(bookWhen)
			f.say(errorText(err))
			return
		case core.ProblemAlreadyBooked:
			f.existing = p.Code
			f.say(errorText(err))
			return
		case core.ProblemInvalid:
			if f.invalid(p.InvalidParams) {
				return
			}
		}
	}
	f.say(errorText(err))
}

// invalid puts each field the server refused back on its step, and shows the
// first of those steps. It reports false when none is the flow's.
func (f *bookingFlow) invalid(params []core.InvalidParam) bool {
	step, text := -1, ""
	at := func(s int, t string) {
		if step < 0 || s < step {
			step, text = s, t
		}
	}
	for _, ip := range params {
		reason := bookingReasonText(ip.Reason)
		switch ip.Name {
		case "email":
			f.emailError = reason
			at(bookApplicant, "")
		case "phone":
			f.phoneError = reason
			at(bookApplicant, "")
		case "details":
			f.detailsError = reason
			at(bookReason, "")
		case "service", "office":
			at(f.first(), reason)
		case "start":
			at(bookWhen, reason)
		}
	}
	if step < 0 {
		return false
	}
	if f.moving != nil {
		step = bookWhen
	}
	f.goTo(step)
	f.say(text)
	return true
}

// bookingReasonText translates a rule a booking broke (invalid_params).
func bookingReasonText(reason string) string {
	switch reason {
	case "invalid_email":
		return lang.X("book.reason_invalid_email", "This e-mail address is not valid: write it as name@example.com.")
	case "invalid_phone":
		return lang.X("book.reason_invalid_phone", "This phone number is not valid: write its digits, with the country code if you like (+39…).")
	case "too_long":
		return lang.X("book.reason_too_long", "At most 500 characters: shorten the details.")
	case "unknown":
		return lang.X("book.reason_unknown", "This service or office can no longer be booked: choose again.")
	}
	return lang.X("reason.other", "the request was refused ({{.Reason}}).", map[string]any{"Reason": reason})
}

// The confirmation.

func (f *bookingFlow) donePage() []fyne.CanvasObject {
	u := f.d.u
	a := f.done
	title := lang.X("book.done", "Booked: the office expects you")
	if f.moving != nil {
		title = lang.X("book.moved", "Moved: the office expects you at the new time")
	}
	ok := wrapped(title)
	ok.Importance = widget.SuccessImportance
	ok.TextStyle.Bold = true
	sentence := wrapped(appointmentSentence(a))
	sentence.SizeName = theme.SizeNameSubHeadingText
	sentence.TextStyle.Bold = true
	box := container.NewVBox(container.NewBorder(nil, nil, widget.NewIcon(theme.ConfirmIcon()), nil, ok),
		sentence, wrapped(a.Service), wrapped(a.Office+", "+a.Address), widget.NewSeparator())
	box.Add(f.d.codeBlock(a.Code))
	if a.ConfirmBy != nil && a.ConfirmedAt == nil {
		c := wrapped(lang.X("book.confirm_by", "Confirm it by {{.When}} in My appointments: unconfirmed, the place goes back to others.",
			map[string]any{"When": longDate(a.ConfirmBy.In(officeZone)) + ", " + clock(*a.ConfirmBy)}))
		c.Importance = widget.WarningImportance
		box.Add(c)
	}
	if a.Applicant.Email != "" {
		mail := wrapped(lang.X("book.emailed", "The summary is on its way to {{.Email}}.", map[string]any{"Email": a.Applicant.Email}))
		mail.Importance = widget.LowImportance
		box.Add(mail)
	}
	mine := widget.NewButtonWithIcon(lang.X("appt.mine", "My appointments"), theme.ListIcon(), func() {
		f.d.booking = nil
		f.d.open("appointments")
	})
	return []fyne.CanvasObject{widget.NewCard("", "", box), u.buttons(append(f.d.calendarButtons(a), mine)...)}
}

// buttons lays out a row of actions: side by side on a desktop, one under
// the other on a phone, where they would not fit in a row.
func (u *ui) buttons(objs ...fyne.CanvasObject) fyne.CanvasObject {
	if u.phone {
		return container.NewVBox(objs...)
	}
	return container.NewHBox(objs...)
}

// slotWhen is a slot in a sentence: "martedì 1 dicembre 2026, 10:00–10:20".
func slotWhen(s core.Slot) string {
	return lang.X("appt.when", "{{.Day}}, {{.From}}–{{.To}}",
		map[string]any{"Day": longDate(s.Start.In(officeZone)), "From": clock(s.Start), "To": clock(s.End)})
}

// titledCard is a card whose title and subtitle wrap (a card's own do not,
// and on a phone they pushed the page wider than the screen).
func titledCard(title, subtitle string, content fyne.CanvasObject) fyne.CanvasObject {
	box := container.NewVBox(heading(title))
	if subtitle != "" {
		box.Add(wrapped(subtitle))
	}
	box.Add(content)
	return widget.NewCard("", "", box)
}

// choice is one option of a list, tapped to choose it: a radio mark and a
// label that wraps (a radio group's labels do not, and services' names are
// long on a phone), with a line about it.
type choice struct {
	widget.BaseWidget
	label   string
	content fyne.CanvasObject
	onTap   func()
}

func newChoice(label, detail string, chosen bool, onTap func()) *choice {
	icon := theme.RadioButtonIcon()
	if chosen {
		icon = theme.RadioButtonCheckedIcon()
	}
	name := wrapped(label)
	if chosen {
		name.TextStyle.Bold = true
		name.Importance = widget.HighImportance
	}
	text := container.NewVBox(name)
	if detail != "" {
		d := wrapped(detail)
		d.Importance = widget.LowImportance
		text.Add(d)
	}
	c := &choice{label: label, onTap: onTap,
		content: container.NewBorder(nil, nil, container.NewCenter(widget.NewIcon(icon)), nil, text)}
	c.ExtendBaseWidget(c)
	return c
}

func (c *choice) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(c.content) }

// Tapped chooses the option.
func (c *choice) Tapped(*fyne.PointEvent) { c.onTap() }

// Cursor shows a hand over the option on desktops.
func (c *choice) Cursor() desktop.Cursor { return desktop.PointerCursor }
