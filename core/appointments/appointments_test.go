package appointments_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/appointments"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
	"github.com/sportello/sportello/platform/secrets"
	"github.com/sportello/sportello/server"
	serverstore "github.com/sportello/sportello/server/store"
)

var rome, _ = time.LoadLocation("Europe/Rome")

type tokens struct {
	svc    *signin.Service
	issuer string
}

func (t tokens) Token(ctx context.Context, force bool) (string, error) {
	return t.svc.Token(ctx, "site", t.issuer, force)
}

// signIn signs fiscalCode in on a device of its own (a session per secret
// store) and returns its tokens.
func signIn(t *testing.T, url, fiscalCode string) tokens {
	t.Helper()
	ctx := context.Background()
	svc := signin.New(secrets.Memory())
	a, err := svc.Begin(ctx, "site", url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.CompleteAsTestIdentity(ctx, fiscalCode); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	return tokens{svc, url}
}

// device is the reference server with the demo municipality on 127.0.0.1
// and a device signed in as one citizen, with a real SQLite file and vault.
type device struct {
	srv      *server.Running
	citizen  string // Marco Colombo, who books nothing in the demo: his bookings are the test's
	serverDB string
	dbFile   string
	src      appointments.Source
	ids      []signin.Identity
}

func newDevice(t *testing.T) *device {
	t.Helper()
	ctx := context.Background()
	serverDB := filepath.Join(t.TempDir(), "server.db")
	srv, err := server.StartSeededAt(ctx, serverDB, "127.0.0.1:0", true, time.Now(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(ctx) })
	ids, err := signin.New(secrets.Memory()).TestIdentities(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	d := &device{srv: srv, serverDB: serverDB, dbFile: filepath.Join(t.TempDir(), "device.db"), ids: ids}
	st, err := store.Open(ctx, d.dbFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.Open(secrets.Memory())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := api.New(srv.URL, api.Options{Retries: -1, Language: "it"})
	for _, id := range ids {
		if id.Name == "Marco" && id.Surname == "Colombo" {
			d.citizen = id.FiscalCode
		}
	}
	if d.citizen == "" {
		t.Fatal("no Marco Colombo among the test identities")
	}
	d.src = appointments.Source{Client: c, Auth: signIn(t, srv.URL, d.citizen), Store: st, Vault: v, Site: "site"}
	return d
}

// onDisk reports whether the device database or its write-ahead log holds
// s.
func (d *device) onDisk(t *testing.T, s string) bool {
	t.Helper()
	for _, f := range []string{d.dbFile, d.dbFile + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(s)) {
			return true
		}
	}
	return false
}

// bookable picks a service and an office offering it, and that office's
// month with a free slot.
func bookable(t *testing.T, src appointments.Source) (core.BookableService, string, core.MonthAvailability) {
	t.Helper()
	ctx := context.Background()
	services, err := src.Services(ctx)
	if err != nil || len(services) == 0 {
		t.Fatalf("services %v %v", services, err)
	}
	for _, s := range services {
		if s.ID == "" || s.Name == "" || s.SlotMinutes <= 0 || len(s.Offices) == 0 {
			t.Errorf("service %+v", s)
		}
	}
	now := time.Now()
	for _, s := range services {
		for _, office := range s.Offices {
			m, err := src.Month(ctx, office, s.ID, now)
			if err != nil {
				t.Fatalf("month %s %s: %v", office, s.ID, err)
			}
			if m.FirstFree != nil {
				return s, office, m
			}
		}
	}
	t.Fatal("no service has a free slot")
	return core.BookableService{}, "", core.MonthAvailability{}
}

// lastPlace finds a time with one place left at office for service,
// other than not, in the next days.
func lastPlace(t *testing.T, src appointments.Source, office, service string, not time.Time) core.Slot {
	t.Helper()
	today := time.Now().In(rome)
	for i := 1; i <= 30; i++ {
		day := core.DateOf(time.Date(today.Year(), today.Month(), today.Day()+i, 12, 0, 0, 0, rome))
		slots, err := src.Slots(context.Background(), office, service, day)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range slots {
			if s.Free == 1 && !s.Start.Equal(not) {
				return s
			}
		}
	}
	t.Fatalf("no time with one place left at %s for %s", office, service)
	return core.Slot{}
}

var codeRE = regexp.MustCompile(`^[A-Z]{3}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$`)

func TestBookMoveConfirmCancel(t *testing.T) {
	ctx := context.Background()
	d := newDevice(t)
	src := d.src
	now := time.Now()

	svc, office, m := bookable(t, src)
	if m.Office != office || m.Service != svc.ID || m.Month != now.In(rome).Format("2006-01") {
		t.Errorf("month %s %s %s", m.Office, m.Service, m.Month)
	}
	first := time.Date(now.In(rome).Year(), now.In(rome).Month(), 1, 0, 0, 0, 0, rome)
	if n := first.AddDate(0, 1, -1).Day(); len(m.Days) != n {
		t.Errorf("%d days, want %d", len(m.Days), n)
	}
	for i, day := range m.Days {
		if day.Date != core.DateOf(first.AddDate(0, 0, i)) {
			t.Errorf("day %d is %v", i, day.Date)
		}
		if day.Date.Before(core.DateOf(now.In(rome)).Time) && day.Free != 0 {
			t.Errorf("a past day with places: %+v", day)
		}
		if day.Closed != "" && day.Free != 0 {
			t.Errorf("a closed day with places: %+v", day)
		}
	}
	// The next December's holidays, closed by rule.
	y := now.In(rome).Year()
	if now.In(rome).Month() == time.December && now.In(rome).Day() >= 8 {
		y++
	}
	if dec, err := src.Month(ctx, office, svc.ID, time.Date(y, 12, 15, 0, 0, 0, 0, rome)); err == nil {
		for _, day := range dec.Days {
			if (day.Date == core.NewDate(y, 12, 8) || day.Date == core.NewDate(y, 12, 25)) && (day.Closed == "" || day.Free != 0) {
				t.Errorf("a holiday: %+v", day)
			}
		}
	} else {
		t.Errorf("December %d: %v", y, err)
	}

	ff := *m.FirstFree
	if !ff.Start.After(now.Add(29*time.Minute)) || ff.End.Sub(ff.Start) != time.Duration(svc.SlotMinutes)*time.Minute || ff.Free <= 0 {
		t.Errorf("first free %+v", ff)
	}
	day := core.DateOf(ff.Start.In(rome))
	slots, err := src.Slots(ctx, office, svc.ID, day)
	if err != nil || len(slots) == 0 || !slots[0].Start.Equal(ff.Start) {
		t.Fatalf("slots of %v: %+v %v", day, slots, err)
	}
	for _, s := range slots {
		if s.Free <= 0 || s.Start.Before(now) {
			t.Errorf("slot %+v", s)
		}
	}
	if _, err := src.Slots(ctx, "no-such-office", svc.ID, day); !core.IsProblem(err, core.ProblemNotFound) {
		t.Errorf("an unknown office: %v", err)
	}

	// Nothing on the device yet; an invalid email is refused by the
	// server as by ValidEmail.
	if snap, err := src.Refresh(ctx, now); err != nil || len(snap.List) != 0 {
		t.Fatalf("first refresh %+v %v", snap, err)
	}
	req := core.BookingRequest{Service: svc.ID, Office: office, Start: ff.Start,
		Details: "La carta è scaduta; porto la foto.", Email: "marco.colombo74@example.it", Phone: "+39 333 123 4567"}
	bad := req
	bad.Email = "marco.colombo74@localhost"
	var p *core.Problem
	if _, err := src.Book(ctx, bad, now); !errors.As(err, &p) || p.Type != core.ProblemInvalid ||
		!slices.Contains(p.InvalidParams, core.InvalidParam{Name: "email", Reason: "invalid_email"}) {
		t.Fatalf("invalid email: %v", err)
	}
	if appointments.ValidEmail(bad.Email) {
		t.Error("ValidEmail and the server disagree")
	}

	a, err := src.Book(ctx, req, now)
	if err != nil {
		t.Fatal(err)
	}
	if !codeRE.MatchString(a.Code) || a.Status != core.AppointmentBooked || !a.Start.Equal(ff.Start) || !a.End.Equal(ff.End) ||
		a.ServiceID != svc.ID || a.Service != svc.Name || a.OfficeID != office || a.Office == "" || a.Address == "" ||
		a.Details != req.Details || a.Applicant.FiscalCode != d.citizen || a.Applicant.Email != req.Email || a.Applicant.Name == "" {
		t.Fatalf("booked %+v", a)
	}
	cached, ok, err := src.Cached(ctx)
	if err != nil || !ok || len(cached.List) != 1 || cached.List[0].Code != a.Code {
		t.Fatalf("the copy after booking: %+v %v %v", cached, ok, err)
	}
	if got, err := src.Client.Appointment(ctx, src.Auth, a.Code); err != nil || got.Code != a.Code {
		t.Errorf("appointment by code: %+v %v", got, err)
	}
	if left, _ := src.Slots(ctx, office, svc.ID, day); len(left) > 0 && left[0].Start.Equal(ff.Start) && left[0].Free != ff.Free-1 {
		t.Errorf("places left at %v: %d, want %d", ff.Start, left[0].Free, ff.Free-1)
	}

	// One booking per service.
	other := req
	other.Start = slots[len(slots)-1].Start
	if _, err := src.Book(ctx, other, now); !errors.As(err, &p) || p.Type != core.ProblemAlreadyBooked || p.Code != a.Code {
		t.Fatalf("already booked: %v", err)
	}

	// Someone else takes the last place of a time: moving there is
	// refused with the next free times, and the booking stays.
	full := lastPlace(t, src, office, svc.ID, ff.Start)
	took := false
	for _, id := range d.ids {
		if id.FiscalCode == d.citizen {
			continue
		}
		r := req
		r.Start, r.Email = full.Start, "altri@example.it"
		_, err := src.Client.Book(ctx, signIn(t, d.srv.URL, id.FiscalCode), r)
		if core.IsProblem(err, core.ProblemAlreadyBooked) {
			continue // the demo booked that service for them
		}
		if err != nil {
			t.Fatalf("%s books %v: %v", id.FiscalCode, full.Start, err)
		}
		took = true
		break
	}
	if !took {
		t.Fatal("every test identity has booked that service")
	}
	_, err = src.Reschedule(ctx, a.Code, core.RescheduleRequest{Office: office, Start: full.Start}, now)
	next, taken := appointments.SlotTaken(err)
	if !taken || len(next) == 0 || len(next) > 5 {
		t.Fatalf("slot taken: %v %+v", err, next)
	}
	for _, s := range next {
		if s.Start.Equal(full.Start) || s.Free <= 0 {
			t.Errorf("next free %+v", s)
		}
	}
	if got, _ := src.Client.Appointment(ctx, src.Auth, a.Code); !got.Start.Equal(a.Start) {
		t.Errorf("moved although refused: %v", got.Start)
	}
	if _, err := src.Reschedule(ctx, a.Code, core.RescheduleRequest{Office: office, Start: now.Add(-time.Hour).Truncate(time.Hour)}, now); !core.IsProblem(err, core.ProblemSlotUnavailable) {
		t.Errorf("moved to the past: %v", err)
	}

	// Moved to a free time: same code, new time, in the copy too.
	to := next[0]
	moved, err := src.Reschedule(ctx, a.Code, core.RescheduleRequest{Office: office, Start: to.Start}, now)
	if err != nil || moved.Code != a.Code || !moved.Start.Equal(to.Start) || moved.Status != core.AppointmentBooked {
		t.Fatalf("moved %+v %v", moved, err)
	}
	cached, _, _ = src.Cached(ctx)
	if len(cached.List) != 1 || !cached.List[0].Start.Equal(to.Start) {
		t.Fatalf("the copy after the move: %+v", cached.List)
	}

	// The day before, one reminder on this device, once.
	eve := time.Date(to.Start.In(rome).Year(), to.Start.In(rome).Month(), to.Start.In(rome).Day()-1, 18, 0, 0, 0, rome)
	due, err := src.DueReminders(ctx, eve, rome)
	if err != nil || len(due) != 1 || due[0].Code != a.Code {
		t.Fatalf("due %+v %v", due, err)
	}
	if due, err := src.DueReminders(ctx, eve.Add(time.Hour), rome); err != nil || len(due) != 0 {
		t.Fatalf("reminded twice: %+v %v", due, err)
	}

	confirmed, err := src.Confirm(ctx, a.Code, now)
	if err != nil || confirmed.ConfirmedAt == nil {
		t.Fatalf("confirm %+v %v", confirmed, err)
	}

	// Nothing of the citizen in clear on the device.
	for _, s := range []string{a.Code, d.citizen, a.Applicant.Name, a.Applicant.Surname, req.Email, req.Phone, req.Details} {
		if s != "" && d.onDisk(t, s) {
			t.Errorf("the device database holds %q in clear", s)
		}
	}

	cancelled, err := src.Cancel(ctx, a.Code, now)
	if err != nil || cancelled.Status != core.AppointmentCancelled {
		t.Fatalf("cancel %+v %v", cancelled, err)
	}
	if _, err := src.Cancel(ctx, a.Code, now); !core.IsProblem(err, core.ProblemAppointmentClosed) {
		t.Errorf("cancelled twice: %v", err)
	}
	if _, err := src.Cancel(ctx, "VLD-2222-3333", now); !core.IsProblem(err, core.ProblemNotFound) {
		t.Errorf("an unknown code: %v", err)
	}
	cached, _, _ = src.Cached(ctx)
	if len(cached.List) != 1 || cached.List[0].Status != core.AppointmentCancelled ||
		len(appointments.Upcoming(cached.List, now)) != 0 || len(appointments.Past(cached.List, now)) != 1 {
		t.Fatalf("the copy after cancelling: %+v", cached.List)
	}

	// Offline: the copy stays, stale.
	d.srv.Close(ctx)
	stale, err := src.Refresh(ctx, now)
	if err != nil || stale.Stale == nil || len(stale.List) != 1 || stale.List[0].Code != a.Code {
		t.Fatalf("offline: %+v %v", stale, err)
	}
}

// TestReconfirmation: with re-confirmation on, a booking further ahead
// than the window has a deadline until confirmed; one inside it is
// confirmed on booking.
func TestReconfirmation(t *testing.T) {
	ctx := context.Background()
	d := newDevice(t)
	src := d.src
	sst, err := serverstore.Open(ctx, d.serverDB)
	if err != nil {
		t.Fatal(err)
	}
	defer sst.Close()
	if err := sst.SetReconfirmDays(ctx, 3); err != nil {
		t.Fatal(err)
	}
	svc, office, m := bookable(t, src)
	now := time.Now()
	var far *core.Slot
	for day := core.DateOf(now.In(rome).AddDate(0, 0, 5)); far == nil && day.Before(now.AddDate(0, 0, 60)); day = core.DateOf(day.AddDate(0, 0, 1)) {
		slots, err := src.Slots(ctx, office, svc.ID, day)
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) > 0 {
			far = &slots[0]
		}
	}
	if far == nil {
		t.Fatal("no free time in two months")
	}
	a, err := src.Book(ctx, core.BookingRequest{Service: svc.ID, Office: office, Start: far.Start, Email: "marco.colombo74@example.it"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if a.ConfirmBy == nil || !a.ConfirmBy.Equal(far.Start.Add(-72*time.Hour)) || a.ConfirmedAt != nil {
		t.Fatalf("a booking to re-confirm: by %v, confirmed %v", a.ConfirmBy, a.ConfirmedAt)
	}
	c, err := src.Confirm(ctx, a.Code, now)
	if err != nil || c.ConfirmedAt == nil {
		t.Fatalf("confirm %+v %v", c, err)
	}
	again, err := src.Confirm(ctx, a.Code, now)
	if err != nil || !again.ConfirmedAt.Equal(*c.ConfirmedAt) {
		t.Fatalf("confirmed again %+v %v", again, err)
	}
	if cached, _, _ := src.Cached(ctx); len(cached.List) != 1 || cached.List[0].ConfirmedAt == nil {
		t.Fatalf("the copy after confirming: %+v", cached.List)
	}
	// Moved inside the window: confirmed by the move.
	if ff := m.FirstFree; ff.Start.Before(now.Add(72 * time.Hour)) {
		moved, err := src.Reschedule(ctx, a.Code, core.RescheduleRequest{Office: office, Start: ff.Start}, now)
		if err != nil || moved.ConfirmBy != nil || moved.ConfirmedAt == nil {
			t.Fatalf("moved inside the window: %+v %v", moved, err)
		}
	}
}
