package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
)

type staticToken string

func (s staticToken) Token(context.Context, bool) (string, error) { return string(s), nil }

// recorded is one request a fake server received.
type recorded struct {
	method, uri, auth, lang string
	body                    []byte
}

// fakeServer answers every request with status and body (a problem
// document when status >= 400) and records what it received.
func fakeServer(t *testing.T, status int, body string) (*api.Client, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, recorded{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("Accept-Language"), b})
		mu.Unlock()
		if status >= 400 {
			w.Header().Set("Content-Type", "application/problem+json")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := api.New(srv.URL, api.Options{Language: "en", Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	return c, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), got...)
	}
}

func TestAppointmentRequests(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC)
	one := `{"code":"VLD-7KQ2-M4PX","service_id":"id_card_renewal","start":"2026-12-14T10:00:00+01:00","end":"2026-12-14T10:30:00+01:00","status":"booked"}`

	c, got := fakeServer(t, 200, `[{"id":"id_card_renewal","topic":"id_card","name":"ID card","slot_minutes":20,"offices":["anagrafe"]}]`)
	services, err := c.AppointmentServices(ctx)
	if err != nil || len(services) != 1 || services[0].Offices[0] != "anagrafe" {
		t.Fatalf("services %+v %v", services, err)
	}
	if r := got()[0]; r.uri != "/api/v1/appointment-services" || r.auth != "" || r.lang != "en" {
		t.Errorf("services request %+v", r)
	}

	c, got = fakeServer(t, 200, `{"office":"anagrafe centrale","service":"id_card_renewal","month":"2026-12","days":[{"date":"2026-12-01","free":3},{"date":"2026-12-08","free":0,"closed":"Immacolata"}],"first_free":{"start":"2026-12-01T09:00:00+01:00","end":"2026-12-01T09:20:00+01:00","free":3}}`)
	m, err := c.Availability(ctx, "anagrafe centrale", "id_card_renewal", "2026-12")
	if err != nil || len(m.Days) != 2 || m.Days[1].Closed != "Immacolata" || m.FirstFree == nil || m.Days[0].Date != core.NewDate(2026, 12, 1) {
		t.Fatalf("availability %+v %v", m, err)
	}
	if r := got()[0]; r.uri != "/api/v1/offices/anagrafe%20centrale/availability?month=2026-12&service=id_card_renewal" {
		t.Errorf("availability request %s", r.uri)
	}
	if _, err := c.Availability(ctx, "anagrafe centrale", "id_card_renewal", "2027-01"); !errors.Is(err, core.ErrBadResponse) {
		t.Errorf("another month's answer: %v", err)
	}

	c, got = fakeServer(t, 200, `[]`)
	slots, err := c.Slots(ctx, "anagrafe", "id_card_renewal", core.NewDate(2026, 12, 14))
	if err != nil || slots == nil || len(slots) != 0 {
		t.Fatalf("slots %v %v", slots, err)
	}
	if r := got()[0]; r.uri != "/api/v1/offices/anagrafe/slots?date=2026-12-14&service=id_card_renewal" {
		t.Errorf("slots request %s", r.uri)
	}

	c, got = fakeServer(t, 201, one)
	req := core.BookingRequest{Service: "id_card_renewal", Office: "anagrafe", Start: start, Email: "a@b.it", Details: "rinnovo"}
	a, err := c.Book(ctx, staticToken("tok"), req)
	if err != nil || a.Code != "VLD-7KQ2-M4PX" || !a.Start.Equal(start) {
		t.Fatalf("book %+v %v", a, err)
	}
	r := got()[0]
	var sent core.BookingRequest
	if err := json.Unmarshal(r.body, &sent); err != nil || sent != req || r.method != "POST" || r.uri != "/api/v1/me/appointments" || r.auth != "Bearer tok" {
		t.Errorf("book request %+v %s %v", r, r.body, err)
	}

	// Each call uses the c of its round, a server of its own.
	for name, call := range map[string]func() (core.Appointment, error){
		"/api/v1/me/appointments/VLD-7KQ2-M4PX":        func() (core.Appointment, error) { return c.Appointment(ctx, staticToken("tok"), "VLD-7KQ2-M4PX") },
		"/api/v1/me/appointments/VLD-7KQ2-M4PX/cancel": func() (core.Appointment, error) { return c.CancelAppointment(ctx, staticToken("tok"), "VLD-7KQ2-M4PX") },
		"/api/v1/me/appointments/VLD-7KQ2-M4PX/reschedule": func() (core.Appointment, error) {
			return c.Reschedule(ctx, staticToken("tok"), "VLD-7KQ2-M4PX", core.RescheduleRequest{Office: "anagrafe", Start: start})
		},
		"/api/v1/me/appointments/VLD-7KQ2-M4PX/confirm": func() (core.Appointment, error) {
			return c.ConfirmAppointment(ctx, staticToken("tok"), "VLD-7KQ2-M4PX")
		},
	} {
		c, got = fakeServer(t, 200, one)
		if a, err := call(); err != nil || a.Code != "VLD-7KQ2-M4PX" {
			t.Errorf("%s: %+v %v", name, a, err)
		}
		if r := got()[0]; r.uri != name || r.auth != "Bearer tok" {
			t.Errorf("%s: request %+v", name, r)
		}
	}

	c, _ = fakeServer(t, 200, `{}`)
	if _, err := c.Appointment(ctx, staticToken("tok"), "X"); !errors.Is(err, core.ErrBadResponse) {
		t.Errorf("an empty appointment: %v", err)
	}
	c, _ = fakeServer(t, 200, `null`)
	if _, err := c.Appointments(ctx, staticToken("tok")); !errors.Is(err, core.ErrBadResponse) {
		t.Errorf("a null list: %v", err)
	}
}

func TestAppointmentProblems(t *testing.T) {
	ctx := context.Background()
	c, got := fakeServer(t, 409, `{"type":"urn:sportello:problem:slot-taken","title":"Slot taken","status":409,
		"next_free":[{"start":"2026-12-14T10:20:00+01:00","end":"2026-12-14T10:40:00+01:00","free":1},
		{"start":"2026-12-14T11:00:00+01:00","end":"2026-12-14T11:20:00+01:00","free":2}]}`)
	_, err := c.Book(ctx, staticToken("tok"), core.BookingRequest{Service: "s", Office: "o", Email: "a@b.it"})
	var p *core.Problem
	if !errors.As(err, &p) || p.Type != core.ProblemSlotTaken || len(p.NextFree) != 2 || p.NextFree[1].Free != 2 ||
		!p.NextFree[0].Start.Equal(time.Date(2026, 12, 14, 9, 20, 0, 0, time.UTC)) {
		t.Fatalf("slot taken: %#v", err)
	}
	if n := len(got()); n != 1 {
		t.Errorf("a booking sent %d times", n)
	}

	c, _ = fakeServer(t, 409, `{"type":"urn:sportello:problem:already-booked","title":"Already booked","status":409,"code":"VLD-AAAA-BBBB"}`)
	_, err = c.Book(ctx, staticToken("tok"), core.BookingRequest{})
	if !errors.As(err, &p) || p.Type != core.ProblemAlreadyBooked || p.Code != "VLD-AAAA-BBBB" {
		t.Fatalf("already booked: %#v", err)
	}

	// Overloaded: a GET is repeated, a write is not (it is not idempotent).
	c, got = fakeServer(t, 503, `{"type":"urn:sportello:problem:unavailable","title":"Unavailable","status":503}`)
	if _, err := c.CancelAppointment(ctx, staticToken("tok"), "VLD-AAAA-BBBB"); !core.IsProblem(err, core.ProblemUnavailable) {
		t.Fatalf("cancel: %v", err)
	}
	if n := len(got()); n != 1 {
		t.Errorf("a cancel sent %d times", n)
	}
	if _, err := c.Slots(ctx, "o", "s", core.NewDate(2026, 12, 14)); !core.IsProblem(err, core.ProblemUnavailable) {
		t.Fatalf("slots: %v", err)
	}
	if n := len(got()); n != 4 {
		t.Errorf("slots asked %d times, want 3", n-1)
	}
	// Confirming again keeps the first confirmation: safe to repeat.
	if _, err := c.ConfirmAppointment(ctx, staticToken("tok"), "VLD-AAAA-BBBB"); !core.IsProblem(err, core.ProblemUnavailable) {
		t.Fatalf("confirm: %v", err)
	}
	if n := len(got()); n != 7 {
		t.Errorf("a confirmation sent %d times, want 3", n-4)
	}
}

// TestAppointmentServicesOfTheDemo asks the reference server: the services
// in the client's language, and the problems of a bad question.
func TestAppointmentServicesOfTheDemo(t *testing.T) {
	ctx := context.Background()
	url := demoServer(t)
	it, _ := api.New(url, api.Options{Language: "it"})
	en, _ := api.New(url, api.Options{Language: "en"})
	sit, err := it.AppointmentServices(ctx)
	if err != nil || len(sit) == 0 {
		t.Fatalf("services %v %v", sit, err)
	}
	sen, err := en.AppointmentServices(ctx)
	if err != nil || len(sen) != len(sit) {
		t.Fatalf("services in English %v %v", sen, err)
	}
	if sit[0].ID != sen[0].ID || sit[0].Name == sen[0].Name || len(sit[0].Offices) == 0 {
		t.Errorf("not localised: %q / %q", sit[0].Name, sen[0].Name)
	}
	s := sit[0]
	if _, err := it.Availability(ctx, s.Offices[0], s.ID, "2026-13"); !core.IsProblem(err, core.ProblemBadRequest) {
		t.Errorf("a bad month: %v", err)
	}
	if _, err := it.Availability(ctx, s.Offices[0], "no_such_service", "2026-12"); !core.IsProblem(err, core.ProblemNotFound) {
		t.Errorf("an unknown service: %v", err)
	}
	if _, err := it.Slots(ctx, "no_such_office", s.ID, core.NewDate(2026, 12, 14)); !core.IsProblem(err, core.ProblemNotFound) {
		t.Errorf("an unknown office: %v", err)
	}
}
