package calendar_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/calendar"
)

var rome, _ = time.LoadLocation("Europe/Rome")

func booking() core.Appointment {
	start := time.Date(2026, 12, 14, 10, 0, 0, 0, rome)
	return core.Appointment{
		Code:      "VLD-7KQ2-M4PX",
		ServiceID: "id_card_renewal",
		Service:   "Rinnovo della carta d'identità elettronica",
		OfficeID:  "anagrafe",
		Office:    "Ufficio Anagrafe; sportello 3",
		Address:   "Piazza del Municipio 1, 00100 Valdoria",
		Start:     start,
		End:       start.Add(30 * time.Minute),
		Status:    core.AppointmentBooked,
		Details: "Carta scaduta a novembre, porto la foto e la vecchia carta; " +
			"chiedo anche il consenso alla donazione degli organi, grazie.\r\nSeconda riga\x07.",
		BookedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
	}
}

const organizer = `"Comune di Valdoria, Sant'Anna" <appuntamenti@comune.example>`

func parse(t *testing.T, b []byte) *ics.Calendar {
	t.Helper()
	cal, err := ics.ParseCalendar(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func prop(t *testing.T, cb *ics.ComponentBase, p ics.ComponentProperty) string {
	t.Helper()
	v := cb.GetProperty(p)
	if v == nil {
		t.Fatalf("no %s", p)
	}
	return v.Value
}

func calProp(cal *ics.Calendar, p ics.Property) string {
	for _, cp := range cal.CalendarProperties {
		if cp.IANAToken == string(p) {
			return cp.Value
		}
	}
	return ""
}

func TestICSRoundTrip(t *testing.T) {
	a := booking()
	now := a.BookedAt
	b, err := calendar.ICS(a, organizer, now)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte("END:VCALENDAR\r\n")) || bytes.Count(b, []byte("\n")) != bytes.Count(b, []byte("\r\n")) {
		t.Fatalf("not CRLF throughout:\n%q", b)
	}
	if !bytes.Contains(b, []byte("\r\n ")) {
		t.Fatalf("the long description is not folded:\n%s", b)
	}
	for _, want := range []string{"\r\nDTSTART:20261214T090000Z\r\n", "\r\nDTEND:20261214T093000Z\r\n",
		"\r\nDTSTAMP:20261201T090000Z\r\n", "\r\nMETHOD:PUBLISH\r\n", "\r\nTRIGGER:-P1D\r\n", "\r\nSEQUENCE:0\r\n"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("no %q in\n%s", want, b)
		}
	}

	cal := parse(t, b)
	if calProp(cal, ics.PropertyVersion) != "2.0" || calProp(cal, ics.PropertyProductId) != calendar.ProdID ||
		calProp(cal, ics.PropertyMethod) != "PUBLISH" {
		t.Errorf("calendar properties %+v", cal.CalendarProperties)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[0]
	if ev.Id() != "VLD-7KQ2-M4PX@sportello" {
		t.Errorf("UID %q", ev.Id())
	}
	if start, err := ev.GetStartAt(); err != nil || !start.Equal(a.Start) {
		t.Errorf("start %v %v, want %v", start, err, a.Start)
	}
	if end, err := ev.GetEndAt(); err != nil || !end.Equal(a.End) {
		t.Errorf("end %v %v, want %v", end, err, a.End)
	}
	if s := prop(t, &ev.ComponentBase, ics.ComponentPropertySummary); s != a.Service {
		t.Errorf("summary %q", s)
	}
	if l := prop(t, &ev.ComponentBase, ics.ComponentPropertyLocation); l != a.Office+", "+a.Address {
		t.Errorf("location %q", l)
	}
	d := prop(t, &ev.ComponentBase, ics.ComponentPropertyDescription)
	if !strings.Contains(d, "VLD-7KQ2-M4PX") || !strings.Contains(d, "consenso alla donazione degli organi, grazie.\nSeconda riga.") {
		t.Errorf("description %q", d)
	}
	if s := prop(t, &ev.ComponentBase, ics.ComponentPropertyStatus); s != "CONFIRMED" {
		t.Errorf("status %q", s)
	}
	org := ev.GetProperty(ics.ComponentPropertyOrganizer)
	if org == nil || org.Value != "mailto:appuntamenti@comune.example" || org.ICalParameters["CN"][0] != "Comune di Valdoria Sant’Anna" {
		t.Errorf("organizer %+v", org)
	}
	alarms := ev.Alarms()
	if len(alarms) != 1 || prop(t, &alarms[0].ComponentBase, ics.ComponentPropertyTrigger) != "-P1D" ||
		prop(t, &alarms[0].ComponentBase, ics.ComponentPropertyAction) != "DISPLAY" {
		t.Errorf("alarms %+v", alarms)
	}
	strict(t, b)
}

func TestICSCancelled(t *testing.T) {
	a := booking()
	a.Status = core.AppointmentCancelled
	b, err := calendar.ICS(a, "", a.BookedAt.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cal := parse(t, b)
	if calProp(cal, ics.PropertyMethod) != "CANCEL" {
		t.Errorf("method %q", calProp(cal, ics.PropertyMethod))
	}
	ev := cal.Events()[0]
	if ev.Id() != calendar.UID(a.Code) || prop(t, &ev.ComponentBase, ics.ComponentPropertyStatus) != "CANCELLED" {
		t.Errorf("cancelled event:\n%s", b)
	}
	// A later version than the booking's, so calendars apply it.
	if prop(t, &ev.ComponentBase, ics.ComponentPropertySequence) != "3600" {
		t.Errorf("sequence %q", prop(t, &ev.ComponentBase, ics.ComponentPropertySequence))
	}
	if len(ev.Alarms()) != 0 || ev.GetProperty(ics.ComponentPropertyOrganizer) != nil {
		t.Errorf("a cancellation with an alarm or an organizer:\n%s", b)
	}
	strict(t, b)

	a.Status = core.AppointmentReleased
	if b, _ := calendar.ICS(a, "", a.BookedAt); !bytes.Contains(b, []byte("\r\nMETHOD:CANCEL\r\n")) {
		t.Errorf("released:\n%s", b)
	}
}

func TestICSRefuses(t *testing.T) {
	a := booking()
	if _, err := calendar.ICS(a, "not an address", a.BookedAt); err == nil {
		t.Error("a bad organizer accepted")
	}
	if _, err := calendar.ICS(a, "Comune <not an address>", a.BookedAt); err == nil {
		t.Error("a bad organizer address accepted")
	}
	// A municipality's name with a comma, which net/mail wants quoted.
	b, err := calendar.ICS(a, "Comune di Bolzano, Bozen <protocollo@comune.example>", a.BookedAt)
	if err != nil || !bytes.Contains(b, []byte("\r\nORGANIZER;CN=Comune di Bolzano Bozen:mailto:protocollo@comune.example\r\n")) {
		t.Errorf("an organizer with a comma: %v\n%s", err, b)
	}
	a.End = a.Start
	if _, err := calendar.ICS(a, "", a.BookedAt); err == nil {
		t.Error("an appointment without duration accepted")
	}
	a = booking()
	a.Code = ""
	if _, err := calendar.ICS(a, "", a.BookedAt); err == nil {
		t.Error("an appointment without code accepted")
	}
}

// TestICSLongText folds lines of multi-byte text without splitting a
// character and within 75 octets.
func TestICSLongText(t *testing.T) {
	a := booking()
	a.Service = strings.Repeat("è", 200)
	a.Details = strings.Repeat("perché ", 100) + strings.Repeat("x", 300)
	b, err := calendar.ICS(a, "Ufficio <a@b.example>", a.BookedAt)
	if err != nil {
		t.Fatal(err)
	}
	strict(t, b)
	ev := parse(t, b).Events()[0]
	if s := prop(t, &ev.ComponentBase, ics.ComponentPropertySummary); s != a.Service {
		t.Errorf("summary %q", s)
	}
	if d := prop(t, &ev.ComponentBase, ics.ComponentPropertyDescription); !strings.HasSuffix(d, a.Details) {
		t.Errorf("description %q", d)
	}
}

var (
	nameRE     = `[A-Za-z0-9-]+`
	paramRE    = nameRE + `=(?:"[^"\x00-\x08\x0a-\x1f\x7f]*"|[^";:,\x00-\x08\x0a-\x1f\x7f]*)`
	contentRE  = regexp.MustCompile(`^(` + nameRE + `)((?:;` + paramRE + `(?:,(?:"[^"]*"|[^";:,]*))*)*):(.*)$`)
	utcTimeRE  = regexp.MustCompile(`^\d{8}T\d{6}Z$`)
	backslashE = regexp.MustCompile(`\\[^\\;,nN]`)
)

// strict reads b as a strict RFC 5545 reader would: CRLF lines of at most
// 75 octets, folded with one space or tab, valid UTF-8; every unfolded line
// a content line (name, parameters, ":" value, without control
// characters); BEGIN and END balanced; the calendar with VERSION:2.0 and
// PRODID; the event with UID and DTSTAMP; times in UTC; text escapes only
// the ones the RFC defines.
func strict(t *testing.T, b []byte) {
	t.Helper()
	s := string(b)
	if !strings.HasSuffix(s, "\r\n") {
		t.Fatal("the last line does not end with CRLF")
	}
	raw := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	var lines []string
	for i, l := range raw {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Errorf("line %d is %d octets: %q", i+1, len(l), l)
		}
		if !utf8Valid(l) {
			t.Errorf("line %d splits a character: %q", i+1, l)
		}
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			if len(lines) == 0 {
				t.Fatal("the first line is a continuation")
			}
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	var stack []string
	props := map[string]map[string]string{}
	for _, l := range lines {
		m := contentRE.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("not a content line: %q", l)
			continue
		}
		name, value := m[1], m[3]
		if strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			t.Errorf("control character in %q", l)
		}
		switch name {
		case "BEGIN":
			stack = append(stack, value)
			props[value] = map[string]string{}
			continue
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != value {
				t.Fatalf("END:%s closes %v", value, stack)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) == 0 {
			t.Fatalf("%q outside any component", l)
		}
		comp := stack[len(stack)-1]
		if _, dup := props[comp][name]; dup && name != "ATTENDEE" {
			t.Errorf("%s twice in %s", name, comp)
		}
		props[comp][name] = value
		switch name {
		case "DTSTART", "DTEND", "DTSTAMP":
			if !utcTimeRE.MatchString(value) {
				t.Errorf("%s not in UTC form: %q", name, value)
			}
		case "SUMMARY", "LOCATION", "DESCRIPTION":
			if backslashE.MatchString(value) {
				t.Errorf("%s has an escape RFC 5545 does not define: %q", name, value)
			}
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed %v", stack)
	}
	if len(lines) == 0 || lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Fatal("not one VCALENDAR")
	}
	if props["VCALENDAR"]["VERSION"] != "2.0" || props["VCALENDAR"]["PRODID"] == "" {
		t.Errorf("calendar properties %v", props["VCALENDAR"])
	}
	for _, p := range []string{"UID", "DTSTAMP", "DTSTART"} {
		if props["VEVENT"][p] == "" {
			t.Errorf("the event has no %s", p)
		}
	}
	if al, ok := props["VALARM"]; ok && (al["ACTION"] == "" || al["TRIGGER"] == "" || al["DESCRIPTION"] == "") {
		t.Errorf("a DISPLAY alarm needs ACTION, TRIGGER and DESCRIPTION: %v", al)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
