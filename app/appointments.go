package app

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/appointments"
	"github.com/sportello/sportello/core/calendar"
)

// appointmentsState is My appointments in the dossier: the citizen's
// bookings at the municipal offices, kept sealed on the device.
type appointmentsState struct {
	sectionCopy[appointments.Snapshot]
	code string // the booking whose details are open
}

// sectionCopy is what a dossier section holds of its own sealed copy on
// the device.
type sectionCopy[T any] struct {
	snap T
	have bool
	err  error // why there is no copy
}

// refreshCopy brings a section's copy c up to date; it runs off the UI
// goroutine. The device's copy (cached) shows at once while the screen has
// none; then the server's (refresh) replaces it, or the error is kept in c
// (an ended session is left to u.sessionEnded). done runs on the UI
// goroutine with the fresh copy, or with a zero T and fresh false after an
// error. openErr is why the section's source could not be opened: then
// neither cached nor refresh is called.
func refreshCopy[T any](u *ui, what string, c *sectionCopy[T], openErr error,
	cached func() (T, bool, error), refresh func() (T, error), done func(snap T, fresh bool)) {
	err := openErr
	if err == nil {
		if snap, ok, _ := cached(); ok {
			fyne.Do(func() {
				if !c.have {
					c.snap, c.have = snap, true
				}
			})
		}
	}
	var snap T
	if err == nil {
		snap, err = refresh()
	}
	fyne.Do(func() {
		if err != nil {
			if u.sessionEnded(err) {
				return
			}
			u.log.Warn(what, "err", err)
			c.err = err
		} else {
			c.snap, c.have, c.err = snap, true, nil
		}
		done(snap, err == nil)
	})
}

// refreshAppointments shows the device's copy, asks the server for the
// bookings (not for a minor: bookings are the signed-in citizen's), then
// gives the reminders due.
func (d *dossierScreen) refreshAppointments(ctx context.Context) {
	if d.actingFor != "" {
		return
	}
	src, err := d.u.appointmentsSource()
	refreshCopy(d.u, "appointments", &d.appts.sectionCopy, err,
		func() (appointments.Snapshot, bool, error) { return src.Cached(ctx) },
		func() (appointments.Snapshot, error) { return src.Refresh(ctx, d.u.now()) },
		func(appointments.Snapshot, bool) {
			switch d.detail {
			case "", "appointments", "appointment":
				d.render()
			}
		})
	if err == nil {
		d.remind(ctx, src)
	}
}

// remind hands the reminders of the bookings to the system's scheduler
// (Fyne's ScheduleNotification: delivered by the OS on Android, iOS, macOS
// and Windows even with the app closed; on Linux by Fyne, which keeps the
// schedule across restarts), at 18:00 the day before; then notifies, while
// the app runs, tomorrow's bookings that no scheduled reminder covers. The
// scheduled text says only the time: it lives outside the sealed store,
// and sign-out takes it back.
func (d *dossierScreen) remind(ctx context.Context, src appointments.Source) {
	if err := src.ScheduleReminders(ctx, d.u.now(), d.u.loc, reminderScheduler{d.u.app}); err != nil {
		d.u.log.Warn("appointments: scheduled reminders", "err", err)
	}
	due, err := src.DueReminders(ctx, d.u.now(), d.u.loc)
	if err != nil {
		d.u.log.Warn("appointments: reminders", "err", err)
		return
	}
	if len(due) == 0 {
		return
	}
	fyne.Do(func() {
		for _, a := range due {
			d.u.app.SendNotification(fyne.NewNotification(lang.X("appt.reminder_title", "Appointment tomorrow"),
				lang.X("appt.reminder", "Tomorrow at {{.Time}}: {{.Service}}, {{.Office}}",
					map[string]any{"Time": clock(a.Start), "Service": a.Service, "Office": a.Office})))
		}
	})
}

// appointmentList is the bookings the dossier screen knows: the sealed copy
// of My appointments, or the dossier's list before it (and for a minor).
func (d *dossierScreen) appointmentList() []core.Appointment {
	if d.appts.have && d.actingFor == "" {
		return d.appts.snap.List
	}
	return d.snap.Dossier.Appointments
}

// upcomingFor finds the citizen's next booking of a service of topic (a
// municipality's service, "id_card").
func (d *dossierScreen) upcomingFor(topic string) (core.Appointment, bool) {
	for _, a := range appointments.Upcoming(d.appointmentList(), d.u.now()) {
		if slices.ContainsFunc(d.u.bookable, func(s core.BookableService) bool { return s.ID == a.ServiceID && s.Topic == topic }) ||
			topic == idCardTopic && a.ServiceID == idCardRenewal {
			return a, true
		}
	}
	return core.Appointment{}, false
}

// toConfirm reports a booking the municipality wants re-confirmed, still
// in time.
func (d *dossierScreen) toConfirm(a core.Appointment) bool {
	return a.Status == core.AppointmentBooked && a.ConfirmBy != nil && a.ConfirmedAt == nil && d.u.now().Before(*a.ConfirmBy)
}

// appointmentsTile summarises the upcoming bookings on the overview; one
// to re-confirm draws attention.
func (d *dossierScreen) appointmentsTile() fyne.CanvasObject {
	up := appointments.Upcoming(d.appointmentList(), d.u.now())
	due := slices.ContainsFunc(up, d.toConfirm)
	summary := d.count(len(up), "dossier.appointments_none", "Nothing booked", "dossier.appointments_n", "{{.N}} coming up")
	if due {
		summary = lang.X("appt.tile_confirm", "{{.Summary}} · one to confirm", map[string]any{"Summary": summary})
	}
	return newTile(theme.CalendarIcon(), lang.X("dossier.appointments", "Appointments"), summary, due, func() { d.open("appointments") })
}

// appointmentsSection is My appointments: book one, the upcoming ones
// first, then the past, cancelled and released ones, dimmed.
func (d *dossierScreen) appointmentsSection() []fyne.CanvasObject {
	st := &d.appts
	now := d.u.now()
	var out []fyne.CanvasObject
	if d.actingFor == "" {
		book := widget.NewButtonWithIcon(lang.X("book.title", "Book an appointment"), theme.CalendarIcon(), func() {
			d.startBooking("", "", func() { d.open("appointments") })
		})
		book.Importance = widget.HighImportance
		out = append(out, container.NewHBox(book))
		switch {
		case !st.have && st.err != nil:
			msg := wrapped(errorText(st.err))
			msg.Importance = widget.DangerImportance
			return append(out, msg)
		case !st.have:
			a := widget.NewActivity()
			a.Start()
			return append(out, container.NewHBox(a, widget.NewLabel(lang.X("profile.loading", "Loading your data…"))))
		case st.snap.Stale != nil:
			msg := wrapped(lang.X("dossier.offline", "Offline: you are seeing your data as of {{.When}}. {{.Reason}}",
				map[string]any{"When": d.u.formatTime(st.snap.FetchedAt), "Reason": errorText(st.snap.Stale)}))
			msg.Importance = widget.WarningImportance
			out = append(out, widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, msg)))
		}
	}
	list := d.appointmentList()
	if len(list) == 0 {
		return append(out, empty(lang.X("dossier.appointments_empty", "You have no appointments at municipal offices.")))
	}
	up, past := appointments.Upcoming(list, now), appointments.Past(list, now)
	head := widget.NewLabel(lang.X("appt.upcoming", "Coming up"))
	head.TextStyle.Bold = true
	out = append(out, head)
	if len(up) == 0 {
		out = append(out, empty(lang.X("appt.none_upcoming", "Nothing booked from today on.")))
	}
	for _, a := range up {
		out = append(out, d.appointmentCard(a, true))
	}
	if len(past) > 0 {
		head := widget.NewLabel(lang.X("appt.past", "Past and cancelled"))
		head.TextStyle.Bold = true
		out = append(out, head)
		for _, a := range past {
			out = append(out, d.appointmentCard(a, false))
		}
	}
	return out
}

// appointmentCard is a booking in the list: what, when, where, its code and
// state; a past or cancelled one is dimmed.
func (d *dossierScreen) appointmentCard(a core.Appointment, upcoming bool) fyne.CanvasObject {
	title := heading(a.Service)
	when := wrapped(appointmentWhen(a))
	when.TextStyle.Bold = upcoming
	where := wrapped(a.Office + ", " + a.Address)
	code := widget.NewLabel(lang.X("appt.code_line", "Code {{.Code}}", map[string]any{"Code": a.Code}))
	state := d.appointmentState(a)
	box := container.NewVBox(title, state, when, where, code)
	if !upcoming {
		for _, l := range []*widget.Label{title, when, where, code} {
			l.Importance = widget.LowImportance
		}
	}
	if d.actingFor != "" {
		return widget.NewCard("", "", box)
	}
	var actions []fyne.CanvasObject
	if d.toConfirm(a) {
		confirm := widget.NewButtonWithIcon(lang.X("appt.confirm", "Confirm"), theme.ConfirmIcon(), func() { d.confirmAppointment(a) })
		confirm.Importance = widget.HighImportance
		actions = append(actions, confirm)
	}
	actions = append(actions, widget.NewButtonWithIcon(lang.X("appt.details", "Details"), theme.NavigateNextIcon(), func() { d.showAppointment(a.Code) }))
	box.Add(container.NewHBox(actions...))
	return widget.NewCard("", "", box)
}

// appointmentState says where a booking stands.
func (d *dossierScreen) appointmentState(a core.Appointment) *widget.Label {
	var l *widget.Label
	switch {
	case a.Status == core.AppointmentCancelled:
		l = widget.NewLabel(lang.X("appt.cancelled", "Cancelled"))
	case a.Status == core.AppointmentReleased:
		l = wrapped(lang.X("appt.released", "Released: it was not confirmed in time"))
	case a.Status == core.AppointmentDone, !a.End.After(d.u.now()):
		l = widget.NewLabel(lang.X("appt.done", "Past"))
	case d.toConfirm(a):
		l = wrapped(lang.X("appt.to_confirm", "To confirm by {{.When}}", map[string]any{"When": longDate(a.ConfirmBy.In(officeZone)) + ", " + clock(*a.ConfirmBy)}))
		l.Importance = widget.WarningImportance
		l.TextStyle.Bold = true
		return l
	default:
		l = widget.NewLabel(lang.X("appt.booked", "Booked"))
		l.Importance = widget.SuccessImportance
		return l
	}
	l.Importance = widget.LowImportance
	return l
}

// showAppointment opens the details of the booking code, asking the server
// when the device's copy lacks it (booked on another device).
func (d *dossierScreen) showAppointment(code string) {
	d.appts.code = code
	d.open("appointment")
	if slices.ContainsFunc(d.appointmentList(), func(a core.Appointment) bool { return a.Code == code }) {
		return
	}
	d.u.async(func() { d.refreshAppointments(context.Background()) })
}

// appointmentPage is one booking in full, with what can be done with it.
func (d *dossierScreen) appointmentPage() fyne.CanvasObject {
	title := lang.X("appt.title", "Appointment")
	back := func() { d.open("appointments") }
	i := slices.IndexFunc(d.appointmentList(), func(a core.Appointment) bool { return a.Code == d.appts.code })
	if i < 0 {
		return d.sectionPageBack(title, back, empty(lang.X("appt.missing", "This booking is not on this device yet: refresh My appointments.")))
	}
	a := d.appointmentList()[i]
	box := container.NewVBox(heading(a.Service), d.appointmentState(a))
	sentence := wrapped(appointmentSentence(a))
	sentence.TextStyle.Bold = true
	box.Add(sentence)
	fields := []field{
		{label: lang.X("book.office", "Office"), value: wrapped(a.Office + ", " + a.Address)},
	}
	if a.Details != "" {
		fields = append(fields, field{label: lang.X("book.details_short", "Details"), value: wrapped(a.Details)})
	}
	p := a.Applicant
	fields = append(fields,
		textField(lang.X("book.applicant", "Applicant"), p.Name+" "+p.Surname),
		textField(lang.X("profile.email", "E-mail"), p.Email),
		textField(lang.X("profile.phone", "Phone"), p.Phone),
		textField(lang.X("appt.booked_at", "Booked on"), d.u.formatTime(a.BookedAt)))
	if a.ConfirmedAt != nil {
		fields = append(fields, textField(lang.X("appt.confirmed_at", "Confirmed on"), d.u.formatTime(*a.ConfirmedAt)))
	}
	box.Add(d.u.fieldList(fields))
	box.Add(widget.NewSeparator())
	box.Add(d.codeBlock(a.Code))
	out := []fyne.CanvasObject{widget.NewCard("", "", box)}
	if d.actingFor == "" && a.Status == core.AppointmentBooked && a.End.After(d.u.now()) {
		var actions []fyne.CanvasObject
		if d.toConfirm(a) {
			confirm := widget.NewButtonWithIcon(lang.X("appt.confirm", "Confirm"), theme.ConfirmIcon(), func() { d.confirmAppointment(a) })
			confirm.Importance = widget.HighImportance
			actions = append(actions, confirm)
		}
		move := widget.NewButtonWithIcon(lang.X("appt.reschedule", "Move to another time"), theme.HistoryIcon(), func() { d.startReschedule(a) })
		cancel := widget.NewButtonWithIcon(lang.X("appt.cancel", "Cancel the booking"), theme.DeleteIcon(), func() { d.cancelAppointment(a) })
		cancel.Importance = widget.DangerImportance
		actions = append(actions, move, cancel)
		out = append(out, d.u.buttons(actions...), d.u.buttons(d.calendarButtons(a)...))
	}
	if d.actingFor == "" && (a.Status == core.AppointmentCancelled || a.Status == core.AppointmentReleased) && a.End.After(d.u.now()) {
		// A booking added to a calendar stays there until the calendar
		// is told: the same event, cancelled (METHOD:CANCEL, same UID).
		out = append(out, wrapped(lang.X("appt.remove_calendar_hint", "If you had added it to your calendar, this file marks it cancelled there.")),
			d.u.buttons(d.calendarButtons(a)...))
	}
	mine := widget.NewButtonWithIcon(lang.X("appt.mine", "My appointments"), theme.NavigateBackIcon(), back)
	return d.sectionPageBack(title, back, append(out, container.NewHBox(mine))...)
}

// codeBlock shows a booking's code large, selectable, with a button that
// copies it: the office asks for it at the counter.
func (d *dossierScreen) codeBlock(code string) fyne.CanvasObject {
	label := widget.NewLabel(lang.X("appt.code", "Booking code: show it at the counter"))
	label.Importance = widget.LowImportance
	big := widget.NewLabel(code)
	big.SizeName = theme.SizeNameHeadingText
	big.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
	big.Selectable = true
	copyButton := widget.NewButtonWithIcon(lang.X("appt.copy_code", "Copy the code"), theme.ContentCopyIcon(), func() {
		d.u.app.Clipboard().SetContent(code)
	})
	return container.NewVBox(label, big, container.NewHBox(copyButton))
}

// calendarButtons add a booking to the citizen's calendar: the .ics saved
// where they choose, or opened in the calendar app.
// A cancelled or released one gives the same event, cancelled, so that
// the calendar drops it.
func (d *dossierScreen) calendarButtons(a core.Appointment) []fyne.CanvasObject {
	saveLabel, openLabel := lang.X("appt.add_calendar", "Add to calendar"), lang.X("appt.open_calendar", "Open in the calendar")
	if a.Status == core.AppointmentCancelled || a.Status == core.AppointmentReleased {
		saveLabel, openLabel = lang.X("appt.save_cancellation", "Save the cancellation"), lang.X("appt.remove_calendar", "Remove it from your calendar")
	}
	add := widget.NewButtonWithIcon(saveLabel, theme.CalendarIcon(), func() {
		d.u.saveFile(a.Code+".ics", func() ([]byte, error) { return calendar.ICS(a, d.u.organizer, d.u.now()) })
	})
	open := widget.NewButtonWithIcon(openLabel, theme.FileIcon(), func() { d.openICS(a) })
	return []fyne.CanvasObject{add, open}
}

// openICS hands the booking's .ics to the system's calendar, through a plain
// copy in the private folder the app empties when it closes.
func (d *dossierScreen) openICS(a core.Appointment) {
	data, err := calendar.ICS(a, d.u.organizer, d.u.now())
	path := filepath.Join(d.u.viewerDir(), a.Code+".ics")
	if err == nil {
		err = os.MkdirAll(d.u.viewerDir(), 0o700)
	}
	if err == nil {
		err = os.WriteFile(path, data, 0o600)
	}
	if err == nil {
		err = d.u.app.OpenURL(&url.URL{Scheme: "file", Path: path})
	}
	if err != nil {
		d.u.log.Warn("appointments: open calendar", "err", err)
		dialog.ShowInformation(lang.X("appt.open_calendar", "Open in the calendar"),
			lang.X("appt.no_calendar", "No calendar app opened. Use “Add to calendar” to save the file, then open it in your calendar."), d.u.win)
	}
}

// cancelAppointment asks first, then cancels: the place goes back to others.
func (d *dossierScreen) cancelAppointment(a core.Appointment) {
	body := wrapped(lang.X("appt.cancel_body", "Your appointment of {{.When}} at {{.Office}} is cancelled and its place goes to others. This cannot be undone.",
		map[string]any{"When": appointmentWhen(a), "Office": a.Office}))
	dlg := dialog.NewCustomConfirm(lang.X("appt.cancel_title", "Cancel the booking?"), lang.X("appt.cancel_yes", "Cancel it"),
		lang.X("appt.cancel_no", "Keep it"), body, func(ok bool) {
			if ok {
				d.appointmentCall(a.Code, func(ctx context.Context, src appointments.Source) error {
					_, err := src.Cancel(ctx, a.Code, d.u.now())
					return err
				})
			}
		}, d.u.win)
	dlg.Resize(fyne.NewSize(360, 0))
	dlg.Show()
}

// confirmAppointment re-confirms a booking, which then stays.
func (d *dossierScreen) confirmAppointment(a core.Appointment) {
	d.appointmentCall(a.Code, func(ctx context.Context, src appointments.Source) error {
		_, err := src.Confirm(ctx, a.Code, d.u.now())
		return err
	})
}

// appointmentCall runs a change of a booking and shows the copy after it,
// or says why it was refused.
func (d *dossierScreen) appointmentCall(code string, call func(context.Context, appointments.Source) error) {
	d.u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		src, err := d.u.appointmentsSource()
		opened := err == nil
		if err == nil {
			err = call(ctx, src)
		}
		// Refused or not, the copy says where the booking stands now.
		var snap appointments.Snapshot
		var have bool
		if opened {
			snap, have, _ = src.Cached(ctx)
		}
		fyne.Do(func() {
			if have {
				d.appts.snap, d.appts.have = snap, true
			}
			if err != nil {
				if d.u.sessionEnded(err) {
					return
				}
				d.u.log.Warn("appointments: change", "err", err)
				dialog.ShowInformation(lang.X("appt.title", "Appointment"), errorText(err), d.u.win)
			}
			d.render()
		})
	})
}

// appointmentWhen is when a booking is: "martedì 1 dicembre 2026,
// 10:00–10:20", at the office's clock.
func appointmentWhen(a core.Appointment) string {
	return slotWhen(core.Slot{Start: a.Start, End: a.End})
}

// appointmentSentence is the confirmation's sentence: "Appointment on
// Tuesday 1 December 2026 from 10:00 to 10:20".
func appointmentSentence(a core.Appointment) string {
	return lang.X("appt.sentence", "Appointment on {{.Day}} from {{.From}} to {{.To}}",
		map[string]any{"Day": longDate(a.Start.In(officeZone)), "From": clock(a.Start), "To": clock(a.End)})
}

// reminderScheduler is the system's notification scheduler, through Fyne.
type reminderScheduler struct{ app fyne.App }

func (r reminderScheduler) Schedule(a core.Appointment, at time.Time) (string, error) {
	n := fyne.NewNotification(lang.X("appt.reminder_title", "Appointment tomorrow"),
		lang.X("appt.reminder_scheduled", "Tomorrow at {{.Time}} you have an appointment at the municipality: open Sportello for the details.",
			map[string]any{"Time": clock(a.Start)}))
	var id string
	var err error
	fyne.DoAndWait(func() {
		var sn *fyne.ScheduledNotification
		if sn, err = r.app.ScheduleNotification(n, at); err == nil {
			id = sn.ID()
		}
	})
	return id, err
}

func (r reminderScheduler) Cancel(id string) error {
	var err error
	fyne.DoAndWait(func() { err = r.app.CancelScheduledNotification(id) })
	return err
}
