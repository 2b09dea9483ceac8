package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/appointments"
	"github.com/sportello/sportello/platform/secrets"
	"github.com/sportello/sportello/server"
)

// smallPhoneSize is the narrowest phone the booking's calendar must fit.
var smallPhoneSize = fyne.NewSize(360, 780)

// goldenCodes stand for the booking codes, which the server draws at
// random, in golden images.
var goldenCodes = []string{"VLD-7KQ2-M4PX", "VLD-3HRT-9WZA", "VLD-K8PN-2QXE"}

// fixCodes shows the booking just made (done) or the bookings in My
// appointments with goldenCodes instead of their own, so that the golden
// images are stable.
func fixCodes(d *dossierScreen, done bool) {
	if done {
		d.booking.done.Code = goldenCodes[0]
	} else {
		for i := range d.appts.snap.List {
			d.appts.snap.List[i].Code = goldenCodes[i%len(goldenCodes)]
		}
	}
	d.render()
}

// tapChoice taps the option labelled text under o.
func tapChoice(t *testing.T, o fyne.CanvasObject, text string) {
	t.Helper()
	for _, c := range test.LaidOutObjects(o) {
		if c, ok := c.(*choice); ok && c.label == text {
			test.Tap(c)
			return
		}
	}
	t.Fatalf("no option %q", text)
}

// tapButtonAfter taps the first button labelled text after the label after.
func tapButtonAfter(t *testing.T, o fyne.CanvasObject, after, text string) {
	t.Helper()
	seen := false
	for _, c := range test.LaidOutObjects(o) {
		if l, ok := c.(*widget.Label); ok && l.Text == after {
			seen = true
		}
		if b, ok := c.(*widget.Button); ok && seen && b.Text == text {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("no button %q after %q", text, after)
}

// tapFirstTime taps the first free time of the day on screen.
func tapFirstTime(t *testing.T, f *bookingFlow) core.Slot {
	t.Helper()
	if len(f.slots) == 0 {
		t.Fatalf("no free times on %v: %v", f.day, f.slotsErr)
	}
	s := f.slots[0]
	tapButton(t, f.d.root, clock(s.Start))
	return s
}

// confirmDialog taps the confirming button of the dialog on top.
func confirmDialog(t *testing.T, u *ui) {
	t.Helper()
	for _, o := range test.LaidOutObjects(u.win.Canvas().Overlays().Top()) {
		if b, ok := o.(*widget.Button); ok && b.Importance == widget.HighImportance {
			test.Tap(b)
			return
		}
	}
	t.Fatal("no dialog to confirm")
}

// Marco's identity card expires in 9 days: the dossier's prompt books its
// renewal, skipping the office (one offers it); the booking is confirmed
// with its code and .ics, a second one is refused as already booked, then
// it is moved to another day and cancelled.
func TestBookTheIDCardRenewalFromTheDossier(t *testing.T) {
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	signInAs(t, u, marcoColombo)
	u.showDossier()
	d := u.dossier
	tapButton(t, d.root, "Prenota il rinnovo")
	f := d.booking
	if f == nil || f.step != bookWhen || f.service.ID != idCardRenewal || f.office.ID != "anagrafe" {
		t.Fatalf("the booking did not open on the calendar of the renewal: %+v", f)
	}
	if text := labels(d.root); !strings.Contains(text, "Passo 1 di 4: Giorno e orario") || !strings.Contains(text, "Novembre 2026") {
		t.Fatalf("step or month not shown:\n%s", text)
	}
	// December: the patron saint's day and the Immaculate Conception are closed, and say so.
	f.showMonth(f.month.AddDate(0, 1, 0))
	if text := labels(d.root); !strings.Contains(text, "7 dicembre: Festa del patrono") || !strings.Contains(text, "8 dicembre: Immacolata Concezione") {
		t.Fatalf("closed days not told:\n%s", text)
	}
	tapButton(t, d.root, "1")
	tapButton(t, d.root, "10:05")
	golden(t, u, "book_month_desktop_it")
	tapButton(t, d.root, "Avanti")

	// The reason: the renewal, chosen; the details stay through Back.
	if f.step != bookReason || !strings.Contains(labels(d.root), "Furto o smarrimento") {
		t.Fatalf("reason step %d:\n%s", f.step, labels(d.root))
	}
	test.Type(f.details, "Mi serve per un viaggio all'estero")
	tapButton(t, d.root, "Avanti")
	if f.step != bookApplicant || f.email.Text != "marco.colombo@mail.example" {
		t.Fatalf("applicant step %d, e-mail %q", f.step, f.email.Text)
	}
	f.backward()
	if f.step != bookReason || f.details.Text != "Mi serve per un viaggio all'estero" {
		t.Fatalf("the details were lost going back: %q", f.details.Text)
	}
	tapButton(t, d.root, "Avanti")
	tapButton(t, d.root, "Avanti")
	if text := labels(d.root); f.step != bookSummary || !strings.Contains(text, "martedì 1 dicembre 2026, 10:05–10:25") || !strings.Contains(text, "CLMMRC74C15F205P") {
		t.Fatalf("summary %d:\n%s", f.step, text)
	}
	tapButton(t, d.root, "Conferma la prenotazione")
	a := f.done
	if f.step != bookDone || a.Code == "" || a.Status != core.AppointmentBooked || a.Details != "Mi serve per un viaggio all'estero" {
		t.Fatalf("not booked: step %d %+v %q", f.step, a, f.problem)
	}
	text := labels(d.root)
	if !strings.Contains(text, "Appuntamento martedì 1 dicembre 2026 dalle 10:05 alle 10:25") || !strings.Contains(text, a.Code) || !strings.Contains(text, "Confermalo entro") {
		t.Fatalf("confirmation:\n%s", text)
	}
	tapButton(t, d.root, "Apri nel calendario")
	ics, err := os.ReadFile(filepath.Join(u.viewerDir(), a.Code+".ics"))
	if err != nil || !strings.Contains(string(ics), "BEGIN:VCALENDAR") || !strings.Contains(string(ics), "UID:"+a.Code+"@sportello") {
		t.Fatalf("the .ics: %v\n%s", err, ics)
	}
	fixCodes(d, true)
	golden(t, u, "book_done_desktop_it")
	f.done.Code = a.Code

	// The prompt now says when; a second renewal, from the services, is
	// refused: the first is offered instead.
	d.booking = nil
	d.back()
	if !strings.Contains(labels(d.root), "hai già un appuntamento martedì 1 dicembre 2026") {
		t.Fatalf("the prompt does not tell the booking:\n%s", labels(d.root))
	}
	u.tabs.SelectIndex(0)
	tapButtonAfter(t, u.home.root, "Carta d'identità elettronica", "Prenota un appuntamento")
	f2 := d.booking
	if text := labels(d.root); f2.step != bookPlace || !strings.Contains(text, "Passo 1 di 5: Servizio e ufficio") {
		t.Fatalf("services of the identity card (step %d):\n%s", f2.step, text)
	}
	tapChoice(t, d.root, "Carta d'identità: rinnovo")
	tapButton(t, d.root, "Avanti")
	f2.showMonth(f2.month.AddDate(0, 1, 0))
	tapButton(t, d.root, "2")
	tapFirstTime(t, f2)
	for range 3 {
		tapButton(t, d.root, "Avanti")
	}
	tapButton(t, d.root, "Conferma la prenotazione")
	if f2.step != bookSummary || f2.existing != a.Code || !strings.Contains(labels(d.root), "Hai già una prenotazione") {
		t.Fatalf("already booked: step %d %q %q", f2.step, f2.existing, f2.problem)
	}
	tapButton(t, d.root, "Apri la prenotazione "+a.Code)
	if d.detail != "appointment" || d.appts.code != a.Code {
		t.Fatalf("the existing booking is not open: %s %s", d.detail, d.appts.code)
	}

	// Moved to Thursday 3 December: the same code.
	tapButton(t, d.root, "Sposta a un altro orario")
	m := d.booking
	if m == nil || m.moving == nil || m.step != bookWhen || m.month.Month() != time.December {
		t.Fatalf("reschedule: %+v", m)
	}
	tapButton(t, d.root, "3")
	to := tapFirstTime(t, m)
	tapButton(t, d.root, "Sposta qui")
	if m.step != bookDone || m.done.Code != a.Code || !m.done.Start.Equal(to.Start) {
		t.Fatalf("moved: step %d %+v %q", m.step, m.done, m.problem)
	}
	if !strings.Contains(labels(d.root), "Spostato") {
		t.Fatalf("move not told:\n%s", labels(d.root))
	}

	// Cancelled, after a question.
	tapButton(t, d.root, "I miei appuntamenti")
	tapButton(t, d.root, "Dettagli")
	tapButton(t, d.root, "Annulla la prenotazione")
	confirmDialog(t, u)
	list := d.appts.snap.List
	if len(list) != 1 || list[0].Code != a.Code || list[0].Status != core.AppointmentCancelled {
		t.Fatalf("cancelled: %+v", list)
	}
	if !strings.Contains(labels(d.root), "Annullato") {
		t.Fatalf("cancel not shown:\n%s", labels(d.root))
	}
	// The calendar is told too: the same event, cancelled.
	tapButton(t, d.root, "Toglilo dal calendario")
	ics, err = os.ReadFile(filepath.Join(u.viewerDir(), a.Code+".ics"))
	if err != nil || !strings.Contains(string(ics), "METHOD:CANCEL") || !strings.Contains(string(ics), "UID:"+a.Code+"@sportello") {
		t.Fatalf("cancellation for the calendar: %v\n%s", err, ics)
	}
}

// On a 360-pixel phone the month fits, in Italian and English; the
// confirmation and My appointments too; the day before, a reminder.
func TestBookingOnAPhone(t *testing.T) {
	for _, tc := range []struct {
		language, renew, next, confirm, mine string
	}{
		{"it", "Prenota il rinnovo", "Avanti", "Conferma la prenotazione", "I miei appuntamenti"},
		{"en", "Book the renewal", "Next", "Confirm the booking", "My appointments"},
	} {
		t.Run(tc.language, func(t *testing.T) {
			ctx := context.Background()
			u := startTestUI(t, true, tc.language, t.TempDir(), secrets.Memory())
			u.win.Resize(smallPhoneSize)
			signInAs(t, u, marcoColombo)
			u.showDossier()
			d := u.dossier
			tapButton(t, d.root, tc.renew)
			f := d.booking
			f.showMonth(f.month.AddDate(0, 1, 0))
			tapButton(t, d.root, "1")
			tapButton(t, d.root, "10:05")
			golden(t, u, "book_month_phone_"+tc.language)
			for range 3 {
				tapButton(t, d.root, tc.next)
			}
			tapButton(t, d.root, tc.confirm)
			if f.step != bookDone {
				t.Fatalf("not booked: %q", f.problem)
			}
			renewal := f.done.Code
			fixCodes(d, true)
			golden(t, u, "book_done_phone_"+tc.language)
			f.done.Code = renewal

			// Tomorrow at the Polizia Locale, booked elsewhere: the next
			// refresh schedules its reminder, once. And a cancelled one, dimmed.
			src, err := u.appointmentsSource()
			if err != nil {
				t.Fatal(err)
			}
			tomorrow := core.DateOf(fixedNow.In(officeZone).AddDate(0, 0, 1))
			slots, err := src.Slots(ctx, "polizia_locale", "fines_desk", tomorrow)
			if err != nil || len(slots) == 0 {
				t.Fatalf("no time tomorrow at the Polizia Locale: %v", err)
			}
			fine, err := src.Book(ctx, core.BookingRequest{Service: "fines_desk", Office: "polizia_locale", Start: slots[0].Start, Email: "marco.colombo@mail.example"}, fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			month, err := src.Month(ctx, "anagrafe", "change_of_residence", fixedNow.In(officeZone).AddDate(0, 1, 0))
			if err != nil || month.FirstFree == nil {
				t.Fatalf("no time for a change of residence: %v", err)
			}
			move, err := src.Book(ctx, core.BookingRequest{Service: "change_of_residence", Office: "anagrafe", Start: month.FirstFree.Start, Email: "marco.colombo@mail.example"}, fixedNow)
			if err == nil {
				_, err = src.Cancel(ctx, move.Code, fixedNow)
			}
			if err != nil {
				t.Fatal(err)
			}
			// The reminders go to the system's scheduler, for 18:00 the day
			// before, in order of start (the renewal's last), and once;
			// nothing is notified at once for what is scheduled.
			if err := src.CancelReminders(ctx, reminderScheduler{u.app}); err != nil {
				t.Fatal(err)
			}
			body := map[string]string{"it": "Domani alle " + clock(f.done.Start) + " hai un appuntamento in Comune: apri Sportello per i dettagli.",
				"en": "Tomorrow at " + clock(f.done.Start) + " you have an appointment at the municipality: open Sportello for the details."}[tc.language]
			title := map[string]string{"it": "Appuntamento domani", "en": "Appointment tomorrow"}[tc.language]
			test.AssertNotificationSent(t, nil, func() {
				test.AssertNotificationScheduled(t, fyne.NewNotification(title, body), func() { d.refreshAppointments(ctx) })
			})
			test.AssertNotificationScheduled(t, nil, func() { d.refreshAppointments(ctx) })

			tapButton(t, d.root, tc.mine)
			if up := appointments.Upcoming(d.appts.snap.List, fixedNow); len(up) != 2 || up[0].Code != fine.Code {
				t.Fatalf("upcoming: %+v", up)
			}
			fixCodes(d, false)
			golden(t, u, "appointments_phone_"+tc.language)
		})
	}
}

// Signed out, "Book an appointment" under a service asks to sign in and
// then opens. The time chosen is taken meanwhile from another session: the
// flow goes back to the calendar with the next free times, and keeps what
// was typed; a malformed e-mail is explained in place. From the
// certificates' service, only the offices that issue them are offered.
func TestBookingFromTheServicesWhenATimeIsTaken(t *testing.T) {
	ctx := context.Background()
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	tapButtonAfter(t, u.home.root, "Cambio di residenza", "Prenota un appuntamento")
	confirmDialog(t, u)
	if u.signingIn == nil {
		t.Fatal("the sign-in did not open")
	}
	signInAs(t, u, marcoColombo)
	d := u.dossier
	f := d.booking
	if f == nil || f.step != bookWhen || f.service.ID != "change_of_residence" {
		t.Fatalf("the booking did not open after the sign-in: %+v", f)
	}
	f.showMonth(f.month.AddDate(0, 1, 0))
	tapButton(t, d.root, "2")
	taken := tapFirstTime(t, f)
	tapButton(t, d.root, "Avanti")
	if strings.Contains(labels(d.root), "Perché ti serve") {
		t.Fatal("a reason asked for a change of residence")
	}
	test.Type(f.details, "Trasferimento da Milano")
	tapButton(t, d.root, "Avanti")
	f.email.SetText("marco.colombo@")
	tapButton(t, d.root, "Avanti")
	if f.step != bookApplicant || !strings.Contains(f.emailError, "non è valido") || f.email.Text != "marco.colombo@" {
		t.Fatalf("malformed e-mail: step %d %q %q", f.step, f.emailError, f.email.Text)
	}
	golden(t, u, "book_email_error_desktop_it")
	f.email.SetText("marco.colombo@mail.example")
	tapButton(t, d.root, "Avanti")
	if f.step != bookSummary || f.emailError != "" {
		t.Fatalf("summary: step %d %q", f.step, f.emailError)
	}

	// Teresa Gatti takes the only place of that time, on her phone.
	other := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	if err := other.conn.UseURL(ctx, u.conn.Current().URL); err != nil {
		t.Fatal(err)
	}
	other.showMain()
	other.showSignIn()
	teresa := ""
	for _, id := range other.signingIn.ids {
		if id.Name == "Teresa" && id.Surname == "Gatti" {
			teresa = id.FiscalCode
		}
	}
	signInAs(t, other, teresa)
	src, err := other.appointmentsSource()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Book(ctx, core.BookingRequest{Service: "change_of_residence", Office: "anagrafe", Start: taken.Start, Email: "teresa.gatti@mail.example"}, fixedNow); err != nil {
		t.Fatal(err)
	}

	tapButton(t, d.root, "Conferma la prenotazione")
	if f.step != bookWhen || len(f.nextFree) == 0 || f.slot != nil || !strings.Contains(labels(d.root), "appena stato preso da qualcun altro") {
		t.Fatalf("slot taken: step %d, next %v, problem %q", f.step, f.nextFree, f.problem)
	}
	golden(t, u, "book_slot_taken_desktop_it")
	next := f.nextFree[0]
	tapButton(t, d.root, shortDate(next.Start.In(officeZone))+", "+clock(next.Start))
	if f.step != bookSummary || f.details.Text != "Trasferimento da Milano" || f.email.Text != "marco.colombo@mail.example" {
		t.Fatalf("after taking the next time: step %d %q %q", f.step, f.details.Text, f.email.Text)
	}
	tapButton(t, d.root, "Conferma la prenotazione")
	if f.step != bookDone || !f.done.Start.Equal(next.Start) {
		t.Fatalf("not booked at the next time: step %d %+v %q", f.step, f.done, f.problem)
	}

	// The certificates' service: the two offices that issue them, no other.
	u.tabs.SelectIndex(0)
	tapButtonAfter(t, u.home.root, "Certificati anagrafici", "Prenota un appuntamento")
	c := d.booking
	text := labels(d.root)
	if c.step != bookPlace || !strings.Contains(text, "Passo 1 di 5: Ufficio") || !strings.Contains(text, "Anagrafe e Stato Civile") ||
		!strings.Contains(text, "Ufficio Relazioni con il Pubblico") || strings.Contains(text, "Polizia Locale") || strings.Contains(text, "Ufficio Tributi") {
		t.Fatalf("offices for the certificates (step %d):\n%s", c.step, text)
	}
	golden(t, u, "book_office_desktop_it")
	tapButtonAfter(t, d.root, "Ufficio Relazioni con il Pubblico", "Scegli questo ufficio")
	if c.step != bookWhen || c.office.ID != "urp" {
		t.Fatalf("office chosen: step %d %q", c.step, c.office.ID)
	}
}

// The server goes down between the summary and "Confirm the booking": the
// citizen is told in plain words, stays on the summary with everything
// typed, and confirms once it is back.
func TestBookingWhileTheServerIsDown(t *testing.T) {
	ctx := context.Background()
	dbFile := filepath.Join(t.TempDir(), "municipality.db")
	clock := server.WithClock(func() time.Time { return fixedNow })
	srv, err := server.StartSeededAt(ctx, dbFile, "127.0.0.1:0", true, fixedNow, discardLog, clock)
	if err != nil {
		t.Fatal(err)
	}
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	if err := u.conn.UseURL(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	u.showMain()
	signInAs(t, u, marcoColombo)
	u.showDossier()
	d := u.dossier
	tapButton(t, d.root, "Prenota il rinnovo")
	f := d.booking
	f.showMonth(f.month.AddDate(0, 1, 0))
	tapButton(t, d.root, "1")
	chosen := tapFirstTime(t, f)
	tapButton(t, d.root, "Avanti")
	test.Type(f.details, "Rinnovo prima della scadenza")
	tapButton(t, d.root, "Avanti")
	tapButton(t, d.root, "Avanti")
	if f.step != bookSummary {
		t.Fatalf("summary: step %d", f.step)
	}

	srv.Close(ctx)
	tapButton(t, d.root, "Conferma la prenotazione")
	if f.step != bookSummary || f.done.Code != "" || !strings.Contains(labels(d.root), "non è raggiungibile") {
		t.Fatalf("server down: step %d, booked %q, problem %q", f.step, f.done.Code, f.problem)
	}
	if f.details.Text != "Rinnovo prima della scadenza" || f.email.Text != "marco.colombo@mail.example" || f.slot == nil || !f.slot.Start.Equal(chosen.Start) {
		t.Fatalf("lost with the server down: %q %q %+v", f.details.Text, f.email.Text, f.slot)
	}

	srv2, err := server.StartSeededAt(ctx, dbFile, strings.TrimPrefix(srv.URL, "http://"), true, fixedNow, discardLog, clock)
	if err != nil {
		t.Skipf("could not listen on %s again: %v", srv.URL, err)
	}
	defer srv2.Close(ctx)
	tapButton(t, d.root, "Conferma la prenotazione")
	if f.step != bookDone || !f.done.Start.Equal(chosen.Start) || f.done.Details != "Rinnovo prima della scadenza" {
		t.Fatalf("not booked once the server was back: step %d %+v %q", f.step, f.done, f.problem)
	}
}
