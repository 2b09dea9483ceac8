package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
	ics "github.com/sportello/sportello/core/calendar"
)

// The outbox: the e-mails the server sends about bookings, a summary in
// Italian then English with the appointment's .ics attached, written in
// the transaction that changes the booking. Sending them is the
// operator's mailer's job; sportello-server outbox prints them.

// mailKind is what happened to a booking.
type mailKind int

const (
	mailBooked mailKind = iota
	mailMoved
	mailCancelled
	mailReleased
)

// Mail is one e-mail of the outbox.
type Mail struct {
	ID             int64
	To             string
	Subject        string
	Body           string
	AttachmentName string // "" when none
	Attachment     []byte
	Appointment    string // the booking's code
	CreatedAt      time.Time
}

// mail writes to the outbox, inside the transaction tx, the e-mail about
// booking code.
func (s *Store) mail(ctx context.Context, tx *sql.Tx, code string, kind mailKind, now time.Time) error {
	return mailTo(ctx, tx, s.read.in(tx), code, kind, now)
}

func mailTo(ctx context.Context, tx *sql.Tx, q queryer, code string, kind mailKind, now time.Time) error {
	a, err := scanAppointment(q.QueryRowContext(ctx, appointmentSelect+`WHERE a.code = ?`, code))
	if err != nil {
		return fmt.Errorf("mail about %s: %w", code, err)
	}
	if a.Applicant.Email == "" {
		return nil // nowhere to send it
	}
	var municipality, officeEmail, bringIT, bringEN string
	err = q.QueryRowContext(ctx, `SELECT m.name, o.email, coalesce(s.bring_it, ''), coalesce(s.bring_en, '')
		FROM municipality m, offices o LEFT JOIN appointment_services s ON s.id = ?
		WHERE m.id = 1 AND o.id = ?`, a.ServiceID, a.OfficeID).Scan(&municipality, &officeEmail, &bringIT, &bringEN)
	if err != nil {
		return fmt.Errorf("mail about %s: %w", code, err)
	}
	switch kind {
	case mailCancelled:
		a.Status = core.AppointmentCancelled
	case mailReleased:
		a.Status = core.AppointmentReleased
	}
	m := compose(a, kind, municipality, lines(bringIT), lines(bringEN))
	organizer := ""
	if officeEmail != "" {
		organizer = municipality + " <" + officeEmail + ">"
	}
	file, err := ics.ICS(a.Appointment, organizer, now)
	if err != nil {
		return fmt.Errorf("mail about %s: %w", code, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (recipient, subject, body, attachment_name, attachment,
		appointment_code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, a.Applicant.Email, m.Subject, m.Body,
		"appuntamento-"+a.Code+".ics", file, a.Code, now.Unix())
	return err
}

var (
	weekdaysIT = [...]string{"domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"}
	monthsIT   = [...]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
		"settembre", "ottobre", "novembre", "dicembre"}
)

// whenIT is "lunedì 7 dicembre 2026, dalle 10:00 alle 10:20".
func whenIT(start, end time.Time) string {
	s, e := start.In(Rome), end.In(Rome)
	return fmt.Sprintf("%s %d %s %d, dalle %s alle %s", weekdaysIT[s.Weekday()], s.Day(), monthsIT[s.Month()-1], s.Year(),
		s.Format("15:04"), e.Format("15:04"))
}

// whenEN is "Monday 7 December 2026, 10:00 to 10:20".
func whenEN(start, end time.Time) string {
	s, e := start.In(Rome), end.In(Rome)
	return s.Format("Monday 2 January 2006") + ", " + s.Format("15:04") + " to " + e.Format("15:04")
}

// compose writes the e-mail about a, Italian first, then English.
func compose(a appointmentRow, kind mailKind, municipality string, bringIT, bringEN []string) Mail {
	var subjIT, subjEN, leadIT, leadEN string
	switch kind {
	case mailBooked:
		subjIT, subjEN = "Appuntamento prenotato", "Appointment booked"
		leadIT, leadEN = "il tuo appuntamento è prenotato.", "your appointment is booked."
	case mailMoved:
		subjIT, subjEN = "Appuntamento spostato", "Appointment moved"
		leadIT, leadEN = "il tuo appuntamento è stato spostato. Ora è:", "your appointment has been moved. It is now:"
	case mailCancelled:
		subjIT, subjEN = "Appuntamento disdetto", "Appointment cancelled"
		leadIT, leadEN = "il tuo appuntamento è stato disdetto.", "your appointment has been cancelled."
	case mailReleased:
		subjIT, subjEN = "Appuntamento annullato: non confermato", "Appointment released: not confirmed"
		leadIT = "il tuo appuntamento è stato annullato perché non è stato confermato entro il termine: il posto è tornato disponibile per altri."
		leadEN = "your appointment has been released because it was not confirmed in time: the place went back to others."
	}
	var b strings.Builder
	mailBody(&b, a, kind, mailWords{dear: "Gentile", lead: leadIT, service: "Servizio", office: "Ufficio", when: "Quando",
		code: "Codice di prenotazione", details: "Dettagli", bring: "Da portare",
		confirm: "Conferma l'appuntamento nell'app entro %s, altrimenti sarà annullato.",
		change:  "Puoi disdirlo o spostarlo dall'app Sportello. In allegato l'appuntamento da aggiungere al calendario.",
		lang:    "it"}, a.nameIT, whenIT(a.Start, a.End), bringIT, municipality)
	b.WriteString("\n----\n\n")
	mailBody(&b, a, kind, mailWords{dear: "Dear", lead: leadEN, service: "Service", office: "Office", when: "When",
		code: "Booking code", details: "Details", bring: "What to bring",
		confirm: "Confirm the appointment in the app by %s, or it will be released.",
		change:  "You can cancel or move it in the Sportello app. The attached file adds it to your calendar.",
		lang:    "en"}, a.nameEN, whenEN(a.Start, a.End), bringEN, municipality)
	return Mail{To: a.Applicant.Email, Subject: fmt.Sprintf("%s / %s – %s", subjIT, subjEN, a.Code), Body: b.String()}
}

// mailWords are the words of one language's half of an e-mail.
type mailWords struct {
	dear, lead, service, office, when, code, details, bring string
	confirm, change                                         string // confirm has a %s for the deadline
	lang                                                    string
}

// mailBody writes one language's half of the e-mail about a: the details
// of the booking, and while it stands what to bring, the re-confirmation
// deadline and what the citizen can still do.
func mailBody(b *strings.Builder, a appointmentRow, kind mailKind, w mailWords, service, when string, bring []string, municipality string) {
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	active := kind == mailBooked || kind == mailMoved
	line("%s %s,", w.dear, strings.TrimSpace(a.Applicant.Name+" "+a.Applicant.Surname))
	line("")
	line("%s", w.lead)
	line("")
	line("%s: %s", w.service, service)
	line("%s: %s, %s", w.office, a.Office, a.Address)
	line("%s: %s", w.when, when)
	line("%s: %s", w.code, a.Code)
	if active && a.Details != "" {
		line("%s: %s", w.details, a.Details)
	}
	if active && len(bring) > 0 {
		line("%s:", w.bring)
		for _, x := range bring {
			line("- %s", x)
		}
	}
	if active && a.ConfirmBy != nil {
		line("")
		line(w.confirm, whenAt(*a.ConfirmBy, w.lang))
	}
	if active {
		line("")
		line("%s", w.change)
	}
	line("")
	line("%s", municipality)
}

// whenAt is an instant as a day and time in Rome: "4 dicembre 2026, 10:00"
// or "4 December 2026, 10:00".
func whenAt(t time.Time, lang string) string {
	r := t.In(Rome)
	if lang == "en" {
		return r.Format("2 January 2006, 15:04")
	}
	return fmt.Sprintf("%d %s %d, %s", r.Day(), monthsIT[r.Month()-1], r.Year(), r.Format("15:04"))
}

// Outbox lists the e-mails of the outbox, the oldest first; to, when not
// empty, keeps those to that address.
func (s *Store) Outbox(ctx context.Context, to string) ([]Mail, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, recipient, subject, body, attachment_name, attachment,
		coalesce(appointment_code, ''), created_at FROM outbox WHERE ? = '' OR recipient = ? ORDER BY id`, to, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Mail
	for rows.Next() {
		var m Mail
		var created int64
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Body, &m.AttachmentName, &m.Attachment, &m.Appointment, &created); err != nil {
			return nil, err
		}
		m.CreatedAt = fromSeconds(created)
		out = append(out, m)
	}
	return out, rows.Err()
}
