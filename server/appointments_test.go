package server

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/schedule"
	"github.com/sportello/sportello/server/store"
)

// apptEnv is the demo seeded at testNow (a Sunday, 11:30 in Rome) behind a
// real server on 127.0.0.1 whose clock starts there too. Sign-in keeps the
// system clock: access tokens carry real times.
type apptEnv struct {
	t     testing.TB
	url   string
	file  string
	st    *store.Store
	p     *auth.Provider
	clock *clock
	ds    demo.Dataset
}

// apptTemplate is the demo database seeded at testNow once, which each
// apptEnv copies: seeding is most of a test's time under -race.
var apptTemplate struct {
	once sync.Once
	dir  string
	ds   demo.Dataset
	err  error
}

func seededCopy(t testing.TB) (string, demo.Dataset) {
	t.Helper()
	apptTemplate.once.Do(func() {
		dir, err := os.MkdirTemp("", "sportello-appointments-")
		if err != nil {
			apptTemplate.err = err
			return
		}
		apptTemplate.dir = dir
		st, err := OpenStore(context.Background(), filepath.Join(dir, "demo.db"), true, testNow)
		if err == nil {
			err = st.Close()
		}
		apptTemplate.err, apptTemplate.ds = err, demo.Generate(testNow)
	})
	if apptTemplate.err != nil {
		t.Fatal(apptTemplate.err)
	}
	data, err := os.ReadFile(filepath.Join(apptTemplate.dir, "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "sportello.db")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return file, apptTemplate.ds
}

func newApptEnv(t testing.TB) *apptEnv {
	t.Helper()
	file, ds := seededCopy(t)
	st, err := OpenStore(context.Background(), file, true, testNow)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	c := &clock{t: testNow}
	p, err := NewAuth(st, SignIn{Issuer: base, KeyFile: auth.KeyFile(file)}, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = New(st, discardLog(), WithAuth(p), WithClock(c.Now)).Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	return &apptEnv{t: t, url: base, file: file, st: st, p: p, clock: c, ds: ds}
}

// token is a day-long access token for cf.
func (e *apptEnv) token(cf string) string {
	e.t.Helper()
	tok, err := e.p.IssueAccessToken(context.Background(), cf, 24*time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// call sends method path with the token (if any) and body (JSON of v, or
// the string itself).
func (e *apptEnv) call(method, path, token string, body any, headers ...string) answer {
	e.t.Helper()
	var text string
	switch b := body.(type) {
	case nil:
	case string:
		text = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		text = string(j)
	}
	if token != "" {
		headers = append(headers, "Authorization: Bearer "+token)
	}
	if body != nil {
		headers = append(headers, "Content-Type: application/json")
	}
	return send(e.t, method, e.url+path, text, headers...)
}

func decodeAs[T any](t testing.TB, a answer, status int) T {
	t.Helper()
	var v T
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%T from %s: %v", v, a.body, err)
	}
	return v
}

func (e *apptEnv) month(office, service, month string, headers ...string) core.MonthAvailability {
	e.t.Helper()
	return decodeAs[core.MonthAvailability](e.t, e.call("GET", "/api/v1/offices/"+office+"/availability?service="+service+"&month="+month, "", nil, headers...), 200)
}

func (e *apptEnv) slots(office, service string, day core.Date) []core.Slot {
	e.t.Helper()
	return decodeAs[[]core.Slot](e.t, e.call("GET", "/api/v1/offices/"+office+"/slots?service="+service+"&date="+day.String(), "", nil), 200)
}

func (e *apptEnv) book(token string, req core.BookingRequest) answer {
	e.t.Helper()
	return e.call("POST", "/api/v1/me/appointments", token, req)
}

func (e *apptEnv) mustBook(token string, req core.BookingRequest) core.Appointment {
	e.t.Helper()
	return decodeAs[core.Appointment](e.t, e.book(token, req), http.StatusCreated)
}

// rome is a time of day in Rome.
func inRome(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, schedule.Rome)
}

// newcomers adds n adults to the registry, "RCERCE0000000000" on, each in
// a family of their own: people with no booking yet. The database is
// written directly, as an operator's import would.
func (e *apptEnv) newcomers(prefix string, n int) []string {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.file+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		e.t.Fatal(err)
	}
	defer tx.Rollback()
	var out []string
	for i := range n {
		cf := fmt.Sprintf("%s%0*d", prefix, 16-len(prefix), i)
		fam := "N" + cf
		if _, err := tx.Exec(`INSERT INTO families (id, street, number, postal_code, town, province, resident_since)
			VALUES (?, 'Via Nuova', ?, '20099', 'Valdoria', 'MI', '2020-01-01')`, fam, fmt.Sprint(i+1)); err != nil {
			e.t.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO citizens (fiscal_code, surname, name, sex, birth_date, birth_place_name,
			birth_place_province, birth_place_belfiore, citizenship, family_id, relationship, marital_status, email)
			VALUES (?, ?, 'Nuovo', 'F', '1980-01-01', 'Milano', 'MI', 'F205', 'italiana', ?, 'head', 'single', ?)`,
			cf, fmt.Sprintf("Arrivo%d", i), fam, strings.ToLower(cf)+"@mail.example"); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, cf)
	}
	if err := tx.Commit(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

const (
	marco  = "CLMMRC74C15F205P" // Marco Colombo, a test identity: no bookings in the demo
	fatima = "BNLFMZ89L70Z330L" // Fatima Zahra Benali, the other
)

var codePattern = regexp.MustCompile(`^VLD-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$`)

func TestEasterAndHolidays(t *testing.T) {
	for year, want := range map[int]string{2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28",
		2038: "2038-04-25", 2008: "2008-03-23", 2000: "2000-04-23"} {
		if got := schedule.Easter(year).String(); got != want {
			t.Errorf("Easter %d: %s, want %s", year, got, want)
		}
	}
	h := schedule.Holidays(2027)
	var days []string
	for _, x := range h {
		days = append(days, x.Day.String())
	}
	want := "2027-01-01 2027-01-06 2027-03-28 2027-03-29 2027-04-25 2027-05-01 2027-06-02 2027-08-15 2027-10-04 2027-11-01 2027-12-08 2027-12-25 2027-12-26"
	if strings.Join(days, " ") != want {
		t.Errorf("holidays of 2027: %v", days)
	}
	if schedule.IsHoliday(core.NewDate(2025, time.October, 4)) || !schedule.IsHoliday(core.NewDate(2026, time.October, 4)) {
		t.Error("4 October is a national holiday from 2026 on")
	}
	if !schedule.IsHoliday(core.NewDate(2026, time.April, 6)) || schedule.IsHoliday(core.NewDate(2026, time.April, 7)) {
		t.Error("Easter Monday 2026 is 6 April")
	}
}

func TestAppointmentServices(t *testing.T) {
	t.Parallel()
	e := newApptEnv(t)
	doc := loadOpenAPI(t)
	for _, lang := range []string{"it", "en"} {
		a := e.call("GET", "/api/v1/appointment-services", "", nil, "Accept-Language: "+lang)
		list := decodeAs[[]core.BookableService](t, a, 200)
		if a.header.Get("Content-Language") != lang || len(list) != 8 {
			t.Fatalf("%s: %d services, Content-Language %q", lang, len(list), a.header.Get("Content-Language"))
		}
		byID := map[string]core.BookableService{}
		for _, s := range list {
			byID[s.ID] = s
		}
		theft := byID["id_card_theft_loss"]
		if theft.Topic != "id_card" || theft.SlotMinutes != 20 || !slices.Equal(theft.Offices, []string{"anagrafe"}) ||
			!strings.Contains(strings.ToLower(strings.Join(theft.Bring, " ")), map[string]string{"it": "denuncia", "en": "police report"}[lang]) {
			t.Errorf("%s: theft or loss %+v", lang, theft)
		}
		if c := byID["registry_certificates"]; !slices.Equal(c.Offices, []string{"anagrafe", "urp"}) || c.Topic != "certificates" {
			t.Errorf("certificates at %v", c.Offices)
		}
		if m := byID["marriage_publications"]; m.SlotMinutes != 45 || m.Topic != "" {
			t.Errorf("marriage %+v", m)
		}
		if lang == "en" && byID["id_card_renewal"].Name != "Identity card: renewal" {
			t.Errorf("en name %q", byID["id_card_renewal"].Name)
		}
		var v any
		_ = json.Unmarshal(a.body, &v)
		for _, err := range validate(doc, responseSchema(t, doc, "/api/v1/appointment-services", 200, "application/json"), v, "services") {
			t.Error(err)
		}
	}
}

func TestAvailability(t *testing.T) {
	t.Parallel()
	e := newApptEnv(t)
	doc := loadOpenAPI(t)

	// December 2026 at the registry office for a renewal: the patron saint's
	// day and the holidays closed, the training day closed for this office
	// only, Sundays simply without slots.
	dec := e.month("anagrafe", "id_card_renewal", "2026-12")
	if len(dec.Days) != 31 || dec.Month != "2026-12" || dec.Office != "anagrafe" || dec.Service != "id_card_renewal" {
		t.Fatalf("month %+v", dec)
	}
	var training core.Date
	for _, c := range e.ds.Closures {
		if c.Office == "anagrafe" {
			training = c.Day
		}
	}
	closed := map[int]string{7: "Festa del patrono, Sant'Ambrogio", 8: "Immacolata Concezione", 25: "Natale", 26: "Santo Stefano",
		training.Day(): "Chiuso per formazione del personale"}
	for _, d := range dec.Days {
		want := closed[d.Date.Day()]
		if d.Closed != want || (want != "" || d.Date.Weekday() == time.Sunday) && d.Free != 0 {
			t.Errorf("%s: %+v, want closed %q", d.Date, d, want)
		}
	}
	// A day with no bookings: every place of every slot (Monday 08:45 to
	// 12:30, 20 minutes, 2 places: 11 slots).
	if d := dec.Days[27]; d.Date.String() != "2026-12-28" || d.Free != 22 {
		t.Errorf("28 December: %+v, want 22 places", d)
	}
	en := e.month("anagrafe", "id_card_renewal", "2026-12", "Accept-Language: en")
	if en.Days[6].Closed != "Patron saint's day (St Ambrose)" || en.Days[7].Closed != "Immaculate Conception" {
		t.Errorf("in English: %+v %+v", en.Days[6], en.Days[7])
	}
	// The training day closes the registry office only.
	urp := e.month("urp", "registry_certificates", "2026-12")
	if d := urp.Days[training.Day()-1]; d.Closed != "" || d.Free == 0 {
		t.Errorf("the URP on the registry office's training day: %+v", d)
	}

	// Every day's free places are the sum of its free slots'; a full day
	// has none; no slot is in the past or sooner than 30 minutes.
	now := e.clock.Now()
	nov := e.month("anagrafe", "id_card_renewal", "2026-11")
	sawFull, sawHalf := false, false
	for _, m := range []core.MonthAvailability{nov, dec} {
		for _, d := range m.Days {
			sum := 0
			for _, s := range e.slots("anagrafe", "id_card_renewal", d.Date) {
				sum += s.Free
				if s.Start.Before(now.Add(30*time.Minute)) || s.Free <= 0 || s.Free > 2 || s.End.Sub(s.Start) != 20*time.Minute {
					t.Errorf("slot %+v", s)
				}
			}
			if sum != d.Free {
				t.Errorf("%s: free %d, slots %d", d.Date, d.Free, sum)
			}
			if !d.Date.After(core.DateOf(now).Time) && d.Free != 0 {
				t.Errorf("%s is past or today (a Sunday) but has %d places", d.Date, d.Free)
			}
			total := len(dayStarts(t, "anagrafe", d.Date, 20)) * 2
			if d.Closed == "" && total > 0 && d.Date.After(core.DateOf(now).Time) {
				sawFull = sawFull || d.Free == 0
				sawHalf = sawHalf || d.Free > 0 && d.Free < total
			}
		}
	}
	if !sawFull || !sawHalf {
		t.Errorf("the demo has no full day (%v) or no part-booked day (%v) for renewals", sawFull, sawHalf)
	}
	// The first free slot is the first of the slots from now on.
	if dec.FirstFree == nil || nov.FirstFree == nil || *dec.FirstFree != *nov.FirstFree {
		t.Fatalf("first free %+v / %+v", dec.FirstFree, nov.FirstFree)
	}
	first := e.slots("anagrafe", "id_card_renewal", core.DateOf(dec.FirstFree.Start.In(schedule.Rome)))
	if len(first) == 0 || first[0] != *dec.FirstFree {
		t.Errorf("first free %+v, that day's slots %+v", dec.FirstFree, first)
	}

	// Beyond the 90-day horizon nothing is free, but holidays still show.
	mar := e.month("anagrafe", "id_card_renewal", "2027-03")
	for _, d := range mar.Days {
		if d.Free != 0 {
			t.Errorf("%s beyond the horizon: %d places", d.Date, d.Free)
		}
	}
	if mar.Days[28].Closed != "Lunedì dell'Angelo" || mar.FirstFree == nil {
		t.Errorf("Easter Monday 2027: %+v, first free %v", mar.Days[28], mar.FirstFree)
	}
	// 90 days from Sunday 22 November is Saturday 20 February: bookable;
	// Monday 22 is not.
	feb := e.month("anagrafe", "id_card_renewal", "2027-02")
	if sat, mon := feb.Days[19], feb.Days[21]; sat.Date.String() != "2027-02-20" || sat.Free != 18 || mon.Free != 0 {
		t.Errorf("the horizon: %+v, %+v", sat, mon)
	}

	// A day later in the morning, the morning's early slots are gone.
	e.clock.Advance(21*time.Hour + 30*time.Minute) // Monday 23 November, 09:00 in Rome
	monday := core.NewDate(2026, time.November, 23)
	for _, s := range e.slots("anagrafe", "change_of_residence", monday) {
		if s.Start.Before(inRome(2026, time.November, 23, 9, 30)) {
			t.Errorf("slot %v is less than 30 minutes away", s.Start)
		}
	}

	// Refusals.
	for _, tc := range []struct {
		path   string
		status int
		typ    string
	}{
		{"/api/v1/offices/anagrafe/availability?service=id_card_renewal&month=2026-13", 400, core.ProblemBadRequest},
		{"/api/v1/offices/anagrafe/availability?service=id_card_renewal&month=dicembre", 400, core.ProblemBadRequest},
		{"/api/v1/offices/anagrafe/availability?month=2026-12", 400, core.ProblemBadRequest},
		{"/api/v1/offices/anagrafe/slots?service=id_card_renewal&date=2026-12-32", 400, core.ProblemBadRequest},
		{"/api/v1/offices/anagrafe/slots?service=id_card_renewal", 400, core.ProblemBadRequest},
		{"/api/v1/offices/nowhere/availability?service=id_card_renewal&month=2026-12", 404, core.ProblemNotFound},
		{"/api/v1/offices/tributi/availability?service=id_card_renewal&month=2026-12", 404, core.ProblemNotFound},
		{"/api/v1/offices/anagrafe/availability?service=nothing&month=2026-12", 404, core.ProblemNotFound},
		{"/api/v1/offices/tributi/slots?service=id_card_renewal&date=2026-12-01", 404, core.ProblemNotFound},
	} {
		a := e.call("GET", tc.path, "", nil)
		checkProblem(t, a, tc.status, tc.typ, strings.Split(tc.path, "?")[0])
	}

	// The answers follow the document.
	for path, v := range map[string]string{
		"/api/v1/offices/{office}/availability": "/api/v1/offices/anagrafe/availability?service=id_card_renewal&month=2026-12",
		"/api/v1/offices/{office}/slots":        "/api/v1/offices/anagrafe/slots?service=id_card_renewal&date=2026-12-28",
	} {
		var body any
		_ = json.Unmarshal(e.call("GET", v, "", nil).body, &body)
		for _, err := range validate(doc, responseSchema(t, doc, path, 200, "application/json"), body, path) {
			t.Error(err)
		}
	}
}

// dayStarts is the slots the registry office's hours give a day.
func dayStarts(t testing.TB, office string, day core.Date, minutes int) []time.Time {
	t.Helper()
	for _, o := range demo.Generate(testNow).Municipality.Offices {
		if o.ID == office {
			w, err := schedule.WeekOf(o.Hours)
			if err != nil {
				t.Fatal(err)
			}
			return w.Starts(day, time.Duration(minutes)*time.Minute, nil)
		}
	}
	t.Fatalf("no office %s", office)
	return nil
}

// TestBookingRules: a new user books; every refusal has its problem type.
func TestBookingRules(t *testing.T) {
	t.Parallel()
	e := newApptEnv(t)
	doc := loadOpenAPI(t)
	tok := e.token(marco)
	mon := inRome(2027, time.January, 11, 9, 25) // a Monday with no bookings
	req := core.BookingRequest{Service: "id_card_renewal", Office: "anagrafe", Start: mon, Details: "La carta scade a febbraio",
		Email: "marco@example.com", Phone: "+39 333 123 4567"}
	a := e.book(tok, req)
	got := decodeAs[core.Appointment](t, a, http.StatusCreated)
	if a.header.Get("Location") != "/api/v1/me/appointments/"+got.Code || !codePattern.MatchString(got.Code) {
		t.Errorf("Location %q, code %q", a.header.Get("Location"), got.Code)
	}
	window := demo.ReconfirmDays * 24 * time.Hour
	if got.Status != core.AppointmentBooked || !got.Start.Equal(mon) || !got.End.Equal(mon.Add(20*time.Minute)) ||
		got.Service != "Carta d'identità: rinnovo" || got.Office != "Anagrafe e Stato Civile" || got.Address == "" ||
		got.Applicant != (core.Applicant{FiscalCode: marco, Name: "Marco", Surname: "Colombo", Email: "marco@example.com", Phone: "+39 333 123 4567"}) ||
		!got.BookedAt.Equal(testNow) || got.ConfirmBy == nil || !got.ConfirmBy.Equal(mon.Add(-window)) || got.ConfirmedAt != nil ||
		got.Details != req.Details {
		t.Errorf("booked %+v", got)
	}
	var v any
	_ = json.Unmarshal(a.body, &v)
	for _, err := range validate(doc, map[string]any{"$ref": "#/components/schemas/Appointment"}, v, "booked") {
		t.Error(err)
	}
	// One active booking per service: another renewal is refused with the
	// code of the first; another service is fine.
	b := e.book(tok, core.BookingRequest{Service: "id_card_renewal", Office: "anagrafe", Start: mon.Add(20 * time.Minute), Email: "marco@example.com"})
	if p := checkProblem(t, b, http.StatusConflict, core.ProblemAlreadyBooked, "/api/v1/me/appointments"); p.Code != got.Code {
		t.Errorf("already booked: code %q, want %q", p.Code, got.Code)
	}
	e.mustBook(tok, core.BookingRequest{Service: "change_of_residence", Office: "anagrafe", Start: inRome(2027, time.January, 11, 9, 15), Email: "marco@example.com"})

	// Bad fields: 422 with the reasons.
	long := strings.Repeat("è", store.MaxDetails+1)
	for _, tc := range []struct {
		req    core.BookingRequest
		fields string
	}{
		{core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: mon, Email: "nope"}, "email:invalid_email"},
		{core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: mon}, "email:invalid_email"},
		{core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: mon, Email: "a@b.example", Phone: "call me"}, "phone:invalid_phone"},
		{core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: mon, Email: "a@b.example", Phone: "12"}, "phone:invalid_phone"},
		{core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: mon, Email: "a@b.example", Details: long}, "details:too_long"},
		{core.BookingRequest{Office: "anagrafe", Start: mon, Email: "Marco <a@b.example>", Details: long}, "service:unknown details:too_long email:invalid_email"},
		{core.BookingRequest{Service: "passport", Office: "anagrafe", Start: mon, Email: "a@b.example"}, "service:unknown"},
		{core.BookingRequest{Service: "id_card_first", Office: "tributi", Start: mon, Email: "a@b.example"}, "office:unknown"},
		{core.BookingRequest{Service: "id_card_first", Office: "", Start: mon, Email: "a@b.example"}, "office:unknown"},
	} {
		a := e.book(tok, tc.req)
		p := checkProblem(t, a, http.StatusUnprocessableEntity, core.ProblemInvalid, "/api/v1/me/appointments")
		var fields []string
		for _, ip := range p.InvalidParams {
			fields = append(fields, ip.Name+":"+ip.Reason)
		}
		if strings.Join(fields, " ") != tc.fields {
			t.Errorf("%+v: %v, want %s", tc.req, fields, tc.fields)
		}
		var v any
		_ = json.Unmarshal(a.body, &v)
		for _, err := range validate(doc, map[string]any{"$ref": "#/components/schemas/Problem"}, v, "invalid") {
			t.Error(err)
		}
	}
	// Times that cannot be booked: 422 slot-unavailable.
	now := e.clock.Now()
	for name, start := range map[string]time.Time{
		"past":            now.Add(-time.Hour),
		"in 20 minutes":   now.Add(20 * time.Minute),
		"closed":          inRome(2026, time.December, 7, 9, 25),
		"a holiday":       inRome(2026, time.December, 8, 9, 25),
		"not a slot":      inRome(2027, time.January, 11, 9, 30),
		"after closing":   inRome(2027, time.January, 11, 12, 25),
		"a Sunday":        inRome(2027, time.January, 10, 9, 25),
		"beyond horizon":  inRome(2027, time.February, 22, 9, 25),
		"zero":            {},
		"afternoon, Mon.": inRome(2027, time.January, 11, 15, 5),
	} {
		a := e.book(tok, core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: start, Email: "a@b.example"})
		checkProblem(t, a, http.StatusUnprocessableEntity, core.ProblemSlotUnavailable, "/api/v1/me/appointments")
		if t.Failed() {
			t.Logf("%s: %s", name, a.body)
		}
	}
	// Malformed bodies are 400s; acting_for is a 403; no token a 401.
	checkProblem(t, e.call("POST", "/api/v1/me/appointments", tok, `{"service":`), http.StatusBadRequest, core.ProblemBadRequest, "/api/v1/me/appointments")
	checkProblem(t, e.call("POST", "/api/v1/me/appointments", tok, `{"service":"x","surprise":1}`), http.StatusBadRequest, core.ProblemBadRequest, "/api/v1/me/appointments")
	checkProblem(t, e.call("POST", "/api/v1/me/appointments?acting_for="+marco, tok, req), http.StatusForbidden, core.ProblemForbidden, "/api/v1/me/appointments")
	wantUnauthorized(t, e.call("POST", "/api/v1/me/appointments", "", req), "/api/v1/me/appointments")

	// The list, the latest first, and one booking.
	list := decodeAs[[]core.Appointment](t, e.call("GET", "/api/v1/me/appointments", tok, nil), 200)
	if len(list) != 2 || list[0].Start.Before(list[1].Start) && !list[0].Start.Equal(list[1].Start) {
		t.Errorf("list %+v", list)
	}
	one := decodeAs[core.Appointment](t, e.call("GET", "/api/v1/me/appointments/"+got.Code, tok, nil, "Accept-Language: en"), 200)
	if one.Code != got.Code || one.Service != "Identity card: renewal" {
		t.Errorf("one %+v", one)
	}
	for _, path := range []string{"/api/v1/me/appointments", "/api/v1/me/appointments/{code}"} {
		var v any
		_ = json.Unmarshal(e.call("GET", strings.Replace(path, "{code}", got.Code, 1), tok, nil).body, &v)
		for _, err := range validate(doc, responseSchema(t, doc, path, 200, "application/json"), v, path) {
			t.Error(err)
		}
	}

	// Cancelling frees the place, once; then the service can be booked again.
	before := e.slots("anagrafe", "id_card_renewal", core.DateOf(mon.In(schedule.Rome)))
	c := decodeAs[core.Appointment](t, e.call("POST", "/api/v1/me/appointments/"+got.Code+"/cancel", tok, nil), 200)
	if c.Status != core.AppointmentCancelled || c.Code != got.Code {
		t.Errorf("cancelled %+v", c)
	}
	after := e.slots("anagrafe", "id_card_renewal", core.DateOf(mon.In(schedule.Rome)))
	if freeAt(before, mon) != 1 || freeAt(after, mon) != 2 {
		t.Errorf("places at %v: %d before the cancellation, %d after", mon, freeAt(before, mon), freeAt(after, mon))
	}
	checkProblem(t, e.call("POST", "/api/v1/me/appointments/"+got.Code+"/cancel", tok, nil), http.StatusConflict,
		core.ProblemAppointmentClosed, "/api/v1/me/appointments/"+got.Code+"/cancel")
	checkProblem(t, e.call("POST", "/api/v1/me/appointments/"+got.Code+"/confirm", tok, nil), http.StatusConflict,
		core.ProblemAppointmentClosed, "/api/v1/me/appointments/"+got.Code+"/confirm")
	again := e.mustBook(tok, req)
	if again.Code == got.Code {
		t.Error("a new booking has the old code")
	}
	// The dossier shows the bookings too, in the request's language.
	d := decodeAs[core.Dossier](t, e.call("GET", "/api/v1/me/dossier", tok, nil, "Accept-Language: en"), 200)
	if len(d.Appointments) != 3 || !strings.HasPrefix(d.Appointments[0].Service, "Identity card") && !strings.HasPrefix(d.Appointments[0].Service, "Change") {
		t.Errorf("dossier appointments %+v", d.Appointments)
	}
}

func freeAt(slots []core.Slot, at time.Time) int {
	for _, s := range slots {
		if s.Start.Equal(at) {
			return s.Free
		}
	}
	return 0
}

// TestAppointmentAccess: a booking is its citizen's only.
func TestAppointmentAccess(t *testing.T) {
	t.Parallel()
	e := newApptEnv(t)
	mine, theirs := e.token(marco), e.token(fatima)
	a := e.mustBook(mine, core.BookingRequest{Service: "tari_desk", Office: "tributi", Start: inRome(2027, time.January, 11, 9, 0), Email: "m@example.com"})
	move := core.RescheduleRequest{Office: "tributi", Start: inRome(2027, time.January, 11, 9, 20)}
	base := "/api/v1/me/appointments/" + a.Code
	for _, code := range []string{a.Code, "VLD-2222-2222"} {
		p := "/api/v1/me/appointments/" + code
		checkProblem(t, e.call("GET", p, theirs, nil), 404, core.ProblemNotFound, p)
		checkProblem(t, e.call("POST", p+"/cancel", theirs, nil), 404, core.ProblemNotFound, p+"/cancel")
		checkProblem(t, e.call("POST", p+"/confirm", theirs, nil), 404, core.ProblemNotFound, p+"/confirm")
		checkProblem(t, e.call("POST", p+"/reschedule", theirs, move), 404, core.ProblemNotFound, p+"/reschedule")
	}
	minor := e.minorOf(marco)
	for _, path := range []string{base + "/cancel", base + "/confirm", base + "/reschedule"} {
		wantUnauthorized(t, e.call("POST", path, "", move), path)
		// acting_for on a write, even naming a minor Marco may act for.
		checkProblem(t, e.call("POST", path+"?acting_for="+minor, mine, move), 403, core.ProblemForbidden, path)
	}
	for _, path := range []string{base, "/api/v1/me/appointments"} {
		wantUnauthorized(t, e.call("GET", path, "", nil), path)
	}
	// Fatima's list does not have it; Marco's booking is unchanged.
	if list := decodeAs[[]core.Appointment](t, e.call("GET", "/api/v1/me/appointments", theirs, nil), 200); len(list) != 0 {
		t.Errorf("Fatima's list %+v", list)
	}
	if got := decodeAs[core.Appointment](t, e.call("GET", base, mine, nil), 200); got.Status != core.AppointmentBooked || !got.Start.Equal(a.Start) {
		t.Errorf("after the others' attempts %+v", got)
	}
	// Reading for a minor is allowed (acting_for on GET), and shows theirs.
	if list := decodeAs[[]core.Appointment](t, e.call("GET", "/api/v1/me/appointments?acting_for="+minor, mine, nil), 200); len(list) != 0 {
		t.Errorf("the minor's list %+v", list)
	}
}

// minorOf is a minor child of cf's registry family.
func (e *apptEnv) minorOf(cf string) string {
	e.t.Helper()
	var fam string
	for _, c := range e.ds.Citizens {
		if c.FiscalCode == cf {
			fam = c.FamilyID
		}
	}
	for _, c := range e.ds.Citizens {
		if c.FamilyID == fam && c.Relationship == core.Child && isMinor(c.BirthDate, core.DateOf(testNow)) {
			return c.FiscalCode
		}
	}
	e.t.Fatalf("%s has no minor child", cf)
	return ""
}

// TestReschedule: a move happens whole, or the booking stays where it was.
func TestReschedule(t *testing.T) {
	t.Parallel()
	e := newApptEnv(t)
	people := e.newcomers("RSCHED", 2)
	a, b := e.token(people[0]), e.token(people[1])
	day := core.NewDate(2027, time.January, 11)
	s1, s2, s3 := inRome(2027, time.January, 11, 8, 45), inRome(2027, time.January, 11, 9, 15), inRome(2027, time.January, 11, 9, 45)
	mine := e.mustBook(a, core.BookingRequest{Service: "change_of_residence", Office: "anagrafe", Start: s1, Email: "a@example.com"})
	e.mustBook(b, core.BookingRequest{Service: "change_of_residence", Office: "anagrafe", Start: s2, Email: "b@example.com"})
	path := "/api/v1/me/appointments/" + mine.Code + "/reschedule"

	// The target is taken: 409 with the next free slots, and nothing moved.
	r := e.call("POST", path, a, core.RescheduleRequest{Office: "anagrafe", Start: s2})
	p := checkProblem(t, r, http.StatusConflict, core.ProblemSlotTaken, path)
	if len(p.NextFree) != 5 || !p.NextFree[0].Start.Equal(s3) {
		t.Errorf("next free %+v, want 5 from %v", p.NextFree, s3)
	}
	if got := decodeAs[core.Appointment](t, e.call("GET", "/api/v1/me/appointments/"+mine.Code, a, nil), 200); !got.Start.Equal(s1) ||
		got.Status != core.AppointmentBooked || !got.End.Equal(s1.Add(30*time.Minute)) {
		t.Errorf("after a refused move %+v", got)
	}
	if free := e.slots("anagrafe", "change_of_residence", day); freeAt(free, s1) != 0 || freeAt(free, s2) != 0 {
		t.Errorf("slots after a refused move %+v", free)
	}
	// Unavailable and unknown targets are refused the same way.
	checkProblem(t, e.call("POST", path, a, core.RescheduleRequest{Office: "anagrafe", Start: inRome(2026, time.December, 25, 9, 15)}),
		http.StatusUnprocessableEntity, core.ProblemSlotUnavailable, path)
	if p := checkProblem(t, e.call("POST", path, a, core.RescheduleRequest{Office: "tributi", Start: s3}),
		http.StatusUnprocessableEntity, core.ProblemInvalid, path); len(p.InvalidParams) != 1 || p.InvalidParams[0] != (core.InvalidParam{Name: "office", Reason: "unknown"}) {
		t.Errorf("another office: %+v", p.InvalidParams)
	}
	// A free target: the same code moves; its old place is free again.
	moved := decodeAs[core.Appointment](t, e.call("POST", path, a, core.RescheduleRequest{Office: "anagrafe", Start: s3}), 200)
	if moved.Code != mine.Code || !moved.Start.Equal(s3) || moved.Status != core.AppointmentBooked {
		t.Errorf("moved %+v", moved)
	}
	if free := e.slots("anagrafe", "change_of_residence", day); freeAt(free, s1) != 1 || freeAt(free, s3) != 0 {
		t.Errorf("slots after the move %+v", free)
	}
	// To its own time again: nothing in the way.
	decodeAs[core.Appointment](t, e.call("POST", path, a, core.RescheduleRequest{Office: "anagrafe", Start: s3}), 200)
	// A cancelled booking does not move.
	decodeAs[core.Appointment](t, e.call("POST", "/api/v1/me/appointments/"+mine.Code+"/cancel", a, nil), 200)
	checkProblem(t, e.call("POST", path, a, core.RescheduleRequest{Office: "anagrafe", Start: s1}), http.StatusConflict, core.ProblemAppointmentClosed, path)

	// The certificates at the counter move between the offices offering them.
	c := e.mustBook(a, core.BookingRequest{Service: "registry_certificates", Office: "anagrafe", Start: inRome(2027, time.January, 11, 9, 0), Email: "a@example.com"})
	to := inRome(2027, time.January, 11, 14, 0) // the URP is open on Monday afternoons, the registry office is not
	m := decodeAs[core.Appointment](t, e.call("POST", "/api/v1/me/appointments/"+c.Code+"/reschedule", a, core.RescheduleRequest{Office: "urp", Start: to}), 200)
	if m.OfficeID != "urp" || m.Office != "Ufficio Relazioni con il Pubblico" || !m.Start.Equal(to) || !m.End.Equal(to.Add(15*time.Minute)) {
		t.Errorf("moved to the URP %+v", m)
	}
}

// TestConfirmAndRelease: re-confirmation within the window, release after
// it, and done once over.
func TestConfirmAndRelease(t *testing.T) {
	t.Parallel()
	e := newApptEnv(t)
	ctx := context.Background()
	people := e.newcomers("CONFRM", 4)
	tok := func(i int) string { return e.token(people[i]) }
	far := inRome(2026, time.December, 29, 10, 5) // 37 days ahead: to re-confirm
	near := nearSlot(t, e, "id_card_first")       // within 3 days: confirmed on booking
	a := e.mustBook(tok(0), core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: far, Email: "a@example.com"})
	b := e.mustBook(tok(1), core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: far, Email: "b@example.com"})
	n := e.mustBook(tok(2), core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: near, Email: "n@example.com"})
	deadline := far.Add(-3 * 24 * time.Hour)
	if a.ConfirmBy == nil || !a.ConfirmBy.Equal(deadline) || a.ConfirmedAt != nil {
		t.Errorf("far: %+v", a)
	}
	if n.ConfirmBy != nil || n.ConfirmedAt == nil || !n.ConfirmedAt.Equal(testNow) {
		t.Errorf("near: %+v", n)
	}
	// Confirming sets the time once.
	ca := decodeAs[core.Appointment](t, e.call("POST", "/api/v1/me/appointments/"+a.Code+"/confirm", tok(0), nil), 200)
	e.clock.Advance(time.Hour)
	ca2 := decodeAs[core.Appointment](t, e.call("POST", "/api/v1/me/appointments/"+a.Code+"/confirm", tok(0), nil), 200)
	if ca.ConfirmedAt == nil || !ca.ConfirmedAt.Equal(testNow) || ca2.ConfirmedAt == nil || !ca2.ConfirmedAt.Equal(testNow) {
		t.Errorf("confirmed %+v then %+v", ca.ConfirmedAt, ca2.ConfirmedAt)
	}
	// Past the deadline the unconfirmed one is released, and its place
	// counts free before any sweep.
	day := core.DateOf(far.In(schedule.Rome))
	if free := freeAt(e.slots("anagrafe", "id_card_first", day), far); free != 0 {
		t.Fatalf("before the deadline %d places at %v", free, far)
	}
	e.clock.Advance(deadline.Sub(e.clock.Now()))
	if got := decodeAs[core.Appointment](t, e.call("GET", "/api/v1/me/appointments/"+b.Code, tok(1), nil), 200); got.Status != core.AppointmentReleased {
		t.Errorf("past the deadline %+v", got)
	}
	if got := decodeAs[core.Appointment](t, e.call("GET", "/api/v1/me/appointments/"+a.Code, tok(0), nil), 200); got.Status != core.AppointmentBooked {
		t.Errorf("the confirmed one past the deadline %+v", got)
	}
	if free := freeAt(e.slots("anagrafe", "id_card_first", day), far); free != 1 {
		t.Errorf("released before the sweep: %d places, want 1", free)
	}
	checkProblem(t, e.call("POST", "/api/v1/me/appointments/"+b.Code+"/confirm", tok(1), nil), http.StatusConflict,
		core.ProblemAppointmentClosed, "/api/v1/me/appointments/"+b.Code+"/confirm")
	// The sweep marks it and writes the e-mail, once.
	released, err := e.st.SweepAppointments(ctx, e.clock.Now())
	if err != nil || released < 1 {
		t.Fatalf("sweep: %d, %v", released, err)
	}
	if again, err := e.st.SweepAppointments(ctx, e.clock.Now()); err != nil || again != 0 {
		t.Errorf("a second sweep: %d, %v", again, err)
	}
	mails, err := e.st.Outbox(ctx, "b@example.com")
	if err != nil || len(mails) != 2 || !strings.Contains(mails[1].Subject, "non confermato") ||
		!bytes.Contains(mails[1].Attachment, []byte("STATUS:CANCELLED")) {
		t.Errorf("b's mails: %d, %v", len(mails), err)
	}
	// Someone else books the released place.
	e.mustBook(e.token(people[3]), core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: far, Email: "d@example.com"})

	// Rescheduling starts the re-confirmation again.
	to := inRome(2027, time.January, 12, 9, 5)
	e2 := decodeAs[core.Appointment](t, e.call("POST", "/api/v1/me/appointments/"+a.Code+"/reschedule", tok(0),
		core.RescheduleRequest{Office: "anagrafe", Start: to}), 200)
	if e2.ConfirmedAt != nil || e2.ConfirmBy == nil || !e2.ConfirmBy.Equal(to.Add(-3*24*time.Hour)) {
		t.Errorf("moved %+v", e2)
	}
	// Off: neither deadline nor confirmation.
	if err := e.st.SetReconfirmDays(ctx, 0); err != nil {
		t.Fatal(err)
	}
	off := e.mustBook(tok(1), core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: inRome(2027, time.January, 14, 9, 5), Email: "b@example.com"})
	if off.ConfirmBy != nil || off.ConfirmedAt != nil {
		t.Errorf("re-confirmation off: %+v", off)
	}
	// Once over, a booking is done: it can no longer change, and the
	// service can be booked again.
	tn := tok(2)
	if got := decodeAs[core.Appointment](t, e.call("GET", "/api/v1/me/appointments/"+n.Code, tn, nil), 200); got.Status != core.AppointmentDone {
		t.Errorf("over %+v", got)
	}
	checkProblem(t, e.call("POST", "/api/v1/me/appointments/"+n.Code+"/cancel", tn, nil), http.StatusConflict,
		core.ProblemAppointmentClosed, "/api/v1/me/appointments/"+n.Code+"/cancel")
	e.mustBook(tn, core.BookingRequest{Service: "id_card_first", Office: "anagrafe", Start: inRome(2027, time.January, 15, 9, 5), Email: "n@example.com"})
}

// nearSlot is a free slot of the registry office for service within the
// next three days.
func nearSlot(t *testing.T, e *apptEnv, service string) time.Time {
	t.Helper()
	for d := 1; d <= 3; d++ {
		for _, s := range e.slots("anagrafe", service, core.DateOf(testNow.AddDate(0, 0, d))) {
			if s.Start.Before(testNow.Add(3 * 24 * time.Hour)) {
				return s.Start
			}
		}
	}
	t.Fatal("no free slot within three days")
	return time.Time{}
}

// TestAppointmentOutbox: a summary in Italian then English, with the .ics.
func TestAppointmentOutbox(t *testing.T) {
	t.Parallel()
	e := newApptEnv(t)
	ctx := context.Background()
	tok := e.token(fatima)
	start := inRome(2027, time.January, 12, 9, 5)
	a := e.mustBook(tok, core.BookingRequest{Service: "id_card_theft_loss", Office: "anagrafe", Start: start,
		Details: "Smarrita in vacanza", Email: "fatima@example.com"})
	moved := inRome(2027, time.January, 13, 10, 25)
	decodeAs[core.Appointment](t, e.call("POST", "/api/v1/me/appointments/"+a.Code+"/reschedule", tok,
		core.RescheduleRequest{Office: "anagrafe", Start: moved}), 200)
	decodeAs[core.Appointment](t, e.call("POST", "/api/v1/me/appointments/"+a.Code+"/cancel", tok, nil), 200)
	mails, err := e.st.Outbox(ctx, "fatima@example.com")
	if err != nil || len(mails) != 3 {
		t.Fatalf("%d mails, %v", len(mails), err)
	}
	for i, want := range []struct{ subject, when, whenEN, status, method string }{
		{"Appuntamento prenotato / Appointment booked", "martedì 12 gennaio 2027, dalle 09:05 alle 09:25", "Tuesday 12 January 2027, 09:05 to 09:25", "CONFIRMED", "PUBLISH"},
		{"Appuntamento spostato / Appointment moved", "mercoledì 13 gennaio 2027, dalle 10:25 alle 10:45", "Wednesday 13 January 2027, 10:25 to 10:45", "CONFIRMED", "PUBLISH"},
		{"Appuntamento disdetto / Appointment cancelled", "mercoledì 13 gennaio 2027", "Wednesday 13 January 2027", "CANCELLED", "CANCEL"},
	} {
		m := mails[i]
		body := m.Body
		it, en := strings.Index(body, "Gentile Fatima Zahra Benali"), strings.Index(body, "Dear Fatima Zahra Benali")
		if m.To != "fatima@example.com" || m.Subject != want.subject+" – "+a.Code || it != 0 || en < it ||
			!strings.Contains(body[:en], want.when) || !strings.Contains(body[en:], want.whenEN) ||
			!strings.Contains(body[:en], "Carta d'identità: furto o smarrimento") || !strings.Contains(body[en:], "Identity card: theft or loss") ||
			!strings.Contains(body, a.Code) {
			t.Errorf("mail %d: %+v\n%s", i, m, body)
		}
		if i < 2 && (!strings.Contains(body[:en], "La denuncia di furto") || !strings.Contains(body[en:], "police report") ||
			!strings.Contains(body, "Smarrita in vacanza") || !strings.Contains(body[:en], "Conferma l'appuntamento")) {
			t.Errorf("mail %d lacks what to bring, the details or the deadline:\n%s", i, body)
		}
		ics := strings.ReplaceAll(string(m.Attachment), "\r\n ", "") // unfolded
		if m.AttachmentName != "appuntamento-"+a.Code+".ics" || !strings.HasPrefix(ics, "BEGIN:VCALENDAR\r\n") ||
			!strings.Contains(ics, "UID:"+a.Code+"@sportello") || !strings.Contains(ics, "STATUS:"+want.status) ||
			!strings.Contains(ics, "METHOD:"+want.method) || !strings.Contains(ics, "anagrafe@comune.valdoria.example") {
			t.Errorf("mail %d attachment %s:\n%s", i, m.AttachmentName, ics)
		}
	}
	if all, _ := e.st.Outbox(ctx, ""); len(all) < 3 {
		t.Errorf("the whole outbox has %d mails", len(all))
	}
}

// TestLastPlaceRace: 200 citizens on loopback book the last place of a day
// at once: exactly one gets it, the others a 409 with the next free slots.
func TestLastPlaceRace(t *testing.T) {
	t.Parallel()
	e := newApptEnv(t)
	const racers = 200
	people := e.newcomers("RACE", racers+3)
	tokens := make([]string, len(people))
	for i, cf := range people {
		tokens[i] = e.token(cf)
	}
	// Marriage banns, Tuesday 12 January 2027: four slots of one place.
	day := core.NewDate(2027, time.January, 12)
	slots := e.slots("anagrafe", "marriage_publications", day)
	if len(slots) != 4 {
		t.Fatalf("slots %+v", slots)
	}
	for i, s := range slots[:3] {
		e.mustBook(tokens[racers+i], core.BookingRequest{Service: "marriage_publications", Office: "anagrafe", Start: s.Start, Email: "x@example.com"})
	}
	last := slots[3].Start
	want := decodeAs[core.MonthAvailability](t, e.call("GET", "/api/v1/offices/anagrafe/availability?service=marriage_publications&month=2027-01", "", nil), 200)
	if want.Days[11].Free != 1 {
		t.Fatalf("12 January before the race: %+v", want.Days[11])
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: racers}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	body, _ := json.Marshal(core.BookingRequest{Service: "marriage_publications", Office: "anagrafe", Start: last, Email: "sposi@example.com"})
	type outcome struct {
		status int
		p      core.Problem
		a      core.Appointment
		err    error
	}
	results := make([]outcome, racers)
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	ready.Add(racers)
	done.Add(racers)
	for i := range racers {
		go func() {
			defer done.Done()
			req, _ := http.NewRequest(http.MethodPost, e.url+"/api/v1/me/appointments", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tokens[i])
			req.Header.Set("Content-Type", "application/json")
			ready.Done()
			<-gate
			resp, err := client.Do(req)
			if err != nil {
				results[i].err = err
				return
			}
			defer resp.Body.Close()
			results[i].status = resp.StatusCode
			if resp.StatusCode == http.StatusCreated {
				results[i].err = json.NewDecoder(resp.Body).Decode(&results[i].a)
			} else {
				results[i].err = json.NewDecoder(resp.Body).Decode(&results[i].p)
			}
		}()
	}
	ready.Wait()
	start := time.Now()
	close(gate)
	done.Wait()
	took := time.Since(start)

	won, lost := 0, 0
	var winner core.Appointment
	var nextFree []core.Slot
	for i, r := range results {
		switch {
		case r.err != nil:
			t.Errorf("racer %d: %v", i, r.err)
		case r.status == http.StatusCreated:
			won++
			winner = r.a
		case r.status == http.StatusConflict && r.p.Type == core.ProblemSlotTaken:
			lost++
			if nextFree == nil {
				nextFree = r.p.NextFree
			} else if jsonOfTB(t, r.p.NextFree) != jsonOfTB(t, nextFree) {
				t.Errorf("racer %d: next free %+v, another had %+v", i, r.p.NextFree, nextFree)
			}
		default:
			t.Errorf("racer %d: %d %+v", i, r.status, r.p)
		}
	}
	t.Logf("%d racers in %v: %d booked, %d told the place was taken", racers, took, won, lost)
	if won != 1 || lost != racers-1 {
		t.Fatalf("%d won, %d lost", won, lost)
	}
	if !winner.Start.Equal(last) || winner.Status != core.AppointmentBooked {
		t.Errorf("the winner %+v", winner)
	}
	// The next free slots follow the raced one: Thursday 14 January's.
	if len(nextFree) != 5 || !nextFree[0].Start.Equal(inRome(2027, time.January, 14, 14, 30)) {
		t.Errorf("next free %+v", nextFree)
	}
	for i, s := range nextFree {
		if !s.Start.After(last) || s.Free != 1 || i > 0 && !s.Start.After(nextFree[i-1].Start) {
			t.Errorf("next free %d: %+v", i, s)
		}
	}
	if took > 15*time.Second {
		t.Errorf("the race took %v", took)
	}
	// The day is full, with exactly one booking in the last place.
	if got := e.slots("anagrafe", "marriage_publications", day); len(got) != 0 {
		t.Errorf("after the race %+v", got)
	}
	after := decodeAs[core.MonthAvailability](t, e.call("GET", "/api/v1/offices/anagrafe/availability?service=marriage_publications&month=2027-01", "", nil), 200)
	if after.Days[11].Free != 0 {
		t.Errorf("12 January after the race: %+v", after.Days[11])
	}
	if mails, _ := e.st.Outbox(context.Background(), "sposi@example.com"); len(mails) != 1 {
		t.Errorf("%d e-mails for the last place", len(mails))
	}
}

func jsonOfTB(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDemoAppointments: the demo's bookings are on the offices' slots,
// within their places, one active per citizen and service, none for the
// test identities; the demo asks for re-confirmation 3 days before.
func TestDemoAppointments(t *testing.T) {
	t.Parallel()
	e := newApptEnv(t)
	ctx := context.Background()
	if days, err := e.st.ReconfirmDays(ctx); err != nil || days != 3 {
		t.Errorf("reconfirm days %d, %v", days, err)
	}
	for _, cf := range []string{marco, fatima} {
		if list, err := e.st.AppointmentsAt(ctx, cf, "it", testNow); err != nil || len(list) != 0 {
			t.Errorf("%s has bookings: %+v %v", cf, list, err)
		}
	}
	if len(e.ds.Appointments) < 200 {
		t.Errorf("only %d demo bookings", len(e.ds.Appointments))
	}
	type key struct {
		office, service string
		start           int64
	}
	taken := map[key]int{}
	active := map[string]bool{}
	capacity := map[string]int{}
	for _, os := range e.ds.OfficeServices {
		capacity[os.Office+"/"+os.Service] = os.Capacity
	}
	for _, a := range e.ds.Appointments {
		if a.Status != core.AppointmentBooked {
			continue
		}
		k := key{a.OfficeID, a.ServiceID, a.Start.Unix()}
		taken[k]++
		if taken[k] > capacity[a.OfficeID+"/"+a.ServiceID] {
			t.Errorf("%v over capacity", k)
		}
		if active[a.Applicant.FiscalCode+a.ServiceID] {
			t.Errorf("%s has two active %s", a.Applicant.FiscalCode, a.ServiceID)
		}
		active[a.Applicant.FiscalCode+a.ServiceID] = true
		if !a.Start.After(testNow) || a.BookedAt.After(testNow) {
			t.Errorf("booking %s at %v booked %v", a.Code, a.Start, a.BookedAt)
		}
	}
	// Every seeded booking is at a time the server would have offered:
	// booking its place again is slot-taken or succeeds, never unavailable.
	seen := map[key]bool{}
	tok := e.token(marco)
	for k, n := range taken {
		if seen[key{k.office, k.service, 0}] {
			continue
		}
		seen[key{k.office, k.service, 0}] = true
		a := e.book(tok, core.BookingRequest{Service: k.service, Office: k.office, Start: time.Unix(k.start, 0), Email: "m@example.com"})
		if n >= capacity[k.office+"/"+k.service] && a.status != http.StatusConflict || a.status != http.StatusConflict && a.status != http.StatusCreated {
			t.Errorf("%v (%d taken): %d %s", k, n, a.status, a.body)
		}
	}
}

// TestAppointmentsSchemas checks the refusals of the booking endpoints
// against the document.
func TestAppointmentsSchemas(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	e := newApptEnv(t)
	tok := e.token(marco)
	a := e.mustBook(tok, core.BookingRequest{Service: "fines_desk", Office: "polizia_locale", Start: inRome(2027, time.January, 11, 9, 0), Email: "m@example.com"})
	b := e.book(tok, core.BookingRequest{Service: "fines_desk", Office: "polizia_locale", Start: inRome(2027, time.January, 11, 9, 15), Email: "m@example.com"})
	other := e.token(fatima)
	c := e.book(other, core.BookingRequest{Service: "fines_desk", Office: "polizia_locale", Start: a.Start, Email: "f@example.com"})
	problem := map[string]any{"$ref": "#/components/schemas/Problem"}
	for i, ans := range []answer{b, c} {
		var v any
		_ = json.Unmarshal(ans.body, &v)
		for _, err := range validate(doc, problem, v, fmt.Sprint("problem ", i)) {
			t.Error(err)
		}
	}
	if !bytes.Contains(c.body, []byte(`"next_free"`)) || !bytes.Contains(b.body, []byte(`"code"`)) {
		t.Errorf("problems without their fields: %s / %s", b.body, c.body)
	}
}
