// Package calendar writes an appointment as an iCalendar file (RFC 5545),
// the .ics that Outlook, Google Calendar and iCloud import: the app offers
// it as "add to calendar" and the server attaches it to its emails.
package calendar

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/sportello/sportello/core"
)

// ProdID names the program that wrote the file (PRODID).
const ProdID = "-//Sportello//Appuntamenti//IT"

// UID is the event's identifier: the same for every version of one booking,
// so that a calendar replaces a moved appointment and removes a cancelled
// one instead of adding another event.
func UID(code string) string { return code + "@sportello" }

// ICS returns a VCALENDAR with the one event of a: METHOD PUBLISH and
// STATUS CONFIRMED with a reminder the day before while it stands, METHOD
// CANCEL and STATUS CANCELLED once cancelled or released. organizer is the
// municipality's email address, optionally with a name ("Comune di
// Valdoria <appuntamenti@comune.example>"); empty leaves ORGANIZER out. now
// is DTSTAMP, when this version was written.
func ICS(a core.Appointment, organizer string, now time.Time) ([]byte, error) {
	if a.Code == "" || a.Start.IsZero() || !a.End.After(a.Start) {
		return nil, errors.New("calendar: an appointment needs a code, a start and an end after it")
	}
	cal := ics.NewCalendarFor("Sportello")
	cal.SetProductId(ProdID)
	cal.SetCalscale("GREGORIAN")
	cancelled := a.Status == core.AppointmentCancelled || a.Status == core.AppointmentReleased
	if cancelled {
		cal.SetMethod(ics.MethodCancel)
	} else {
		cal.SetMethod(ics.MethodPublish)
	}

	ev := cal.AddEvent(UID(a.Code))
	ev.SetDtStampTime(now)
	ev.SetStartAt(a.Start)
	ev.SetEndAt(a.End)
	ev.SetSequence(sequence(a, now))
	ev.SetSummary(text(a.Service))
	ev.SetLocation(text(location(a)))
	ev.SetDescription(text(description(a)))
	if organizer != "" {
		name, addr, err := parseOrganizer(organizer)
		if err != nil {
			return nil, err
		}
		var params []ics.PropertyParameter
		if name != "" {
			params = append(params, ics.WithCN(paramText(name)))
		}
		ev.SetOrganizer("mailto:"+addr, params...)
	}
	if cancelled {
		ev.SetStatus(ics.ObjectStatusCancelled)
	} else {
		ev.SetStatus(ics.ObjectStatusConfirmed)
		alarm := ev.AddAlarm()
		alarm.SetAction(ics.ActionDisplay)
		alarm.SetTrigger("-P1D")
		// DISPLAY alarms require a DESCRIPTION: what the reminder shows.
		alarm.SetProperty(ics.ComponentPropertyDescription, text(a.Service))
	}

	var b strings.Builder
	// CRLF whatever the platform: the library's default is the host's
	// newline, and RFC 5545 requires CRLF.
	if err := cal.SerializeTo(&b, ics.WithNewLineWindows); err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	return []byte(b.String()), nil
}

// sequence grows with every version of a booking without the server
// keeping a counter: the seconds between the booking and this version. A
// move or a cancellation is written later than the booking, so calendars
// take it as the newer version.
func sequence(a core.Appointment, now time.Time) int {
	if a.BookedAt.IsZero() || !now.After(a.BookedAt) {
		return 0
	}
	return int(now.Sub(a.BookedAt) / time.Second)
}

// parseOrganizer reads "Name <address>" or a bare address. A name that
// net/mail would want quoted ("Comune di Bolzano, Bozen") is taken as it
// is: it is a municipality's name, not something to refuse an email for.
func parseOrganizer(s string) (name, addr string, err error) {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Name, a.Address, nil
	}
	if i := strings.LastIndex(s, "<"); i > 0 && strings.HasSuffix(s, ">") {
		if a, err := mail.ParseAddress(s[i:]); err == nil {
			return strings.TrimSpace(s[:i]), a.Address, nil
		}
	}
	return "", "", fmt.Errorf("calendar: organizer %q is not an email address", s)
}

func location(a core.Appointment) string {
	switch {
	case a.Office == "":
		return a.Address
	case a.Address == "":
		return a.Office
	}
	return a.Office + ", " + a.Address
}

// description is bilingual: the file goes to the citizen by email in
// Italian and English, and its text cannot follow their language.
func description(a core.Appointment) string {
	d := "Codice di prenotazione / Booking code: " + a.Code
	if a.Details != "" {
		d += "\n\n" + a.Details
	}
	return d
}

// text keeps what a TEXT value may hold (RFC 5545 3.3.11): newlines as
// LF, which the library escapes, and no other control character, which
// would make the file invalid.
func text(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// paramText makes a name fit a parameter value unquoted (RFC 5545 3.1,
// paramtext): the library would put a backslash before DQUOTE, ";", ":",
// ",", a backslash or an apostrophe, which is no escape in a parameter and
// breaks strict readers. An apostrophe becomes the typographic one; the rest, spaces.
func paramText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\'':
			return '’'
		case strings.ContainsRune("\";:,\\", r), r < 0x20, r == 0x7f:
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
