// Package appointments is booking appointments at municipal offices
// (docs/appointments.md): the services, the free days and times, and the
// citizen's bookings, kept on the device sealed with the vault like the
// dossier, with a local reminder the day before.
package appointments

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
)

// Snapshot is what the device knows of the citizen's bookings.
type Snapshot struct {
	// List is every booking, latest start first, as the server lists them.
	List      []core.Appointment `json:"list"`
	FetchedAt time.Time          `json:"-"`
	// Stale is why the server could not confirm this copy; nil when current.
	Stale error `json:"-"`
}

// Source is where appointments come from and are kept, for one
// municipality.
type Source struct {
	Client *api.Client
	Auth   api.Authorizer
	Store  *store.Store
	Vault  *vault.Vault
	Site   string
}

func (s Source) key() string { return "appointments|" + s.Site }

// remindedKey holds the reminders this device gave. It is a personal row
// like the bookings, so sign-out wipes it with them.
func (s Source) remindedKey() string { return "appointments|" + s.Site + "|reminded" }

// Cached returns the device's copy, and false when there is none or it
// cannot be opened.
func (s Source) Cached(ctx context.Context) (Snapshot, bool, error) {
	var snap Snapshot
	_, fetched, ok, err := s.Store.GetSealed(ctx, s.Vault, s.key(), &snap)
	if err != nil || !ok {
		return Snapshot{}, false, err
	}
	snap.FetchedAt = fetched
	return snap, true, nil
}

// Refresh asks the server for the bookings and keeps them, sealed. A
// server that cannot be reached is no error when a copy exists: it comes
// back with Stale set. An ended or refused session always is.
func (s Source) Refresh(ctx context.Context, now time.Time) (Snapshot, error) {
	cached, have, err := s.Cached(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	list, err := s.Client.Appointments(ctx, s.Auth)
	switch {
	case err != nil && have && !signin.SessionProblem(err):
		cached.Stale = err
		return cached, nil
	case err != nil:
		return Snapshot{}, err
	}
	snap := Snapshot{List: list, FetchedAt: now}
	if err := s.put(ctx, snap); err != nil {
		return Snapshot{}, err
	}
	return snap, nil
}

func (s Source) put(ctx context.Context, snap Snapshot) error {
	return s.Store.PutSealed(ctx, s.Vault, s.key(), snap, "", snap.FetchedAt)
}

// Services lists the services booked at an office counter, in the client's
// language.
func (s Source) Services(ctx context.Context) ([]core.BookableService, error) {
	return s.Client.AppointmentServices(ctx)
}

// Month gives the month of month (any instant in it, in its own location)
// at office for service, every day of it.
func (s Source) Month(ctx context.Context, office, service string, month time.Time) (core.MonthAvailability, error) {
	return s.Client.Availability(ctx, office, service, month.Format("2006-01"))
}

// Slots lists the free times of day at office for service.
func (s Source) Slots(ctx context.Context, office, service string, day core.Date) ([]core.Slot, error) {
	return s.Client.Slots(ctx, office, service, day)
}

// Book books an appointment and adds it to the device's copy. A time
// someone else took first is a core.ProblemSlotTaken with the next free
// slots (SlotTaken); a second booking for one service
// core.ProblemAlreadyBooked naming the first.
func (s Source) Book(ctx context.Context, req core.BookingRequest, now time.Time) (core.Appointment, error) {
	a, err := s.Client.Book(ctx, s.Auth, req)
	return s.kept(ctx, a, err, now)
}

// Cancel cancels a booking and keeps its new status.
func (s Source) Cancel(ctx context.Context, code string, now time.Time) (core.Appointment, error) {
	a, err := s.Client.CancelAppointment(ctx, s.Auth, code)
	return s.kept(ctx, a, err, now)
}

// Reschedule moves a booking, keeping its code; refused, it stays where it
// was.
func (s Source) Reschedule(ctx context.Context, code string, req core.RescheduleRequest, now time.Time) (core.Appointment, error) {
	a, err := s.Client.Reschedule(ctx, s.Auth, code, req)
	return s.kept(ctx, a, err, now)
}

// Confirm re-confirms a booking before its ConfirmBy deadline.
func (s Source) Confirm(ctx context.Context, code string, now time.Time) (core.Appointment, error) {
	a, err := s.Client.ConfirmAppointment(ctx, s.Auth, code)
	return s.kept(ctx, a, err, now)
}

// kept puts the server's answer a to a write into the device's copy. When
// the server refused because the booking is not what the copy says
// (cancelled, released or moved on another device), the copy is refreshed
// so that the app shows why; that refresh is best effort, the refusal is
// the answer.
func (s Source) kept(ctx context.Context, a core.Appointment, err error, now time.Time) (core.Appointment, error) {
	if err != nil {
		var p *core.Problem
		if errors.As(err, &p) && (p.Type == core.ProblemAppointmentClosed || p.Type == core.ProblemAlreadyBooked || p.Type == core.ProblemNotFound) {
			if _, have, cerr := s.Cached(ctx); cerr == nil && have {
				_, _ = s.Refresh(ctx, now)
			}
		}
		return a, err
	}
	return a, s.amend(ctx, a, now)
}

// amend replaces or adds a in the device's copy. Without a copy the whole
// list is fetched: a copy of a alone would hide the other bookings. If the
// server cannot give it now, the next refresh will; the booking itself
// succeeded.
func (s Source) amend(ctx context.Context, a core.Appointment, now time.Time) error {
	snap, have, err := s.Cached(ctx)
	if err != nil {
		return err
	}
	if !have {
		list, err := s.Client.Appointments(ctx, s.Auth)
		if err != nil {
			return nil
		}
		snap = Snapshot{List: list, FetchedAt: now}
	}
	i := slices.IndexFunc(snap.List, func(b core.Appointment) bool { return b.Code == a.Code })
	if i >= 0 {
		snap.List[i] = a
	} else {
		snap.List = append(snap.List, a)
	}
	slices.SortStableFunc(snap.List, func(x, y core.Appointment) int { return y.Start.Compare(x.Start) })
	return s.put(ctx, snap)
}

// reminded maps the code of each booking this device reminded of to the
// start it reminded of.
type reminded map[string]time.Time

// DueReminders returns, from the device's copy, the booked appointments
// that start on the calendar day after now's in loc and that this device
// has not reminded of yet, soonest first; it remembers them, sealed, so
// that each is returned once. A booking moved to another time is due
// again for its new start.
func (s Source) DueReminders(ctx context.Context, now time.Time, loc *time.Location) ([]core.Appointment, error) {
	snap, have, err := s.Cached(ctx)
	if err != nil || !have {
		return nil, err
	}
	marks := reminded{}
	if _, _, _, err := s.Store.GetSealed(ctx, s.Vault, s.remindedKey(), &marks); err != nil {
		return nil, err
	}
	y, m, d := now.In(loc).Date()
	tomorrow := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	var due []core.Appointment
	for _, a := range snap.List {
		if a.Status != core.AppointmentBooked {
			continue
		}
		ay, am, ad := a.Start.In(loc).Date()
		if ty, tm, td := tomorrow.Date(); ay != ty || am != tm || ad != td {
			continue
		}
		if at, ok := marks[a.Code]; ok && at.Equal(a.Start) {
			continue
		}
		due = append(due, a)
	}
	slices.SortStableFunc(due, func(x, y core.Appointment) int { return x.Start.Compare(y.Start) })
	changed := len(due) > 0
	for code, start := range marks {
		// A mark is needed only until its appointment starts.
		if start.Before(now) {
			delete(marks, code)
			changed = true
		}
	}
	for _, a := range due {
		marks[a.Code] = a.Start
	}
	if changed {
		if err := s.Store.PutSealed(ctx, s.Vault, s.remindedKey(), marks, "", now); err != nil {
			return nil, err
		}
	}
	return due, nil
}

// SlotTaken returns the next free slots a core.ProblemSlotTaken offers
// instead, and false for any other error.
func SlotTaken(err error) ([]core.Slot, bool) {
	var p *core.Problem
	if errors.As(err, &p) && p.Type == core.ProblemSlotTaken {
		return p.NextFree, true
	}
	return nil, false
}

// active reports a booking still to come: booked, and not over at now.
func active(a core.Appointment, now time.Time) bool {
	return a.Status == core.AppointmentBooked && a.End.After(now)
}

// Upcoming lists the active bookings, soonest first.
func Upcoming(list []core.Appointment, now time.Time) []core.Appointment {
	var out []core.Appointment
	for _, a := range list {
		if active(a, now) {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(x, y core.Appointment) int {
		return cmp.Or(x.Start.Compare(y.Start), strings.Compare(x.Code, y.Code))
	})
	return out
}

// Past lists the rest (over, cancelled, released), latest first.
func Past(list []core.Appointment, now time.Time) []core.Appointment {
	var out []core.Appointment
	for _, a := range list {
		if !active(a, now) {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(x, y core.Appointment) int {
		return cmp.Or(y.Start.Compare(x.Start), strings.Compare(x.Code, y.Code))
	})
	return out
}

// ForTopic lists the services of a municipality's Service (topic), for a
// booking started from that service's page; an empty topic lists all.
func ForTopic(services []core.BookableService, topic string) []core.BookableService {
	if topic == "" {
		return services
	}
	var out []core.BookableService
	for _, s := range services {
		if s.Topic == topic {
			out = append(out, s)
		}
	}
	return out
}

// Offices lists the offices of all that offer s, in all's order.
func Offices(s core.BookableService, all []core.Office) []core.Office {
	var out []core.Office
	for _, o := range all {
		if slices.Contains(s.Offices, o.ID) {
			out = append(out, o)
		}
	}
	return out
}

// MaxEmailLength is the longest address SMTP carries (RFC 5321's path
// limit less its angle brackets).
const MaxEmailLength = 254

// ValidEmail reports an address the confirmation can be sent to: a bare
// address as net/mail reads it (no name, no angle brackets, no spaces
// around), with one @ and a dot in the domain, at most 254 octets. The
// server applies the same rule; the app checks the form with it first.
func ValidEmail(s string) bool {
	if len(s) > MaxEmailLength || strings.Count(s, "@") != 1 {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	domain := s[strings.LastIndexByte(s, '@')+1:]
	// No address literal ([192.0.2.1]): a dot, but no mail domain.
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, "[")
}

// ScheduledReminder is a reminder handed to the system's notification
// scheduler: its ID there, and the start of the booking it is for.
type ScheduledReminder struct {
	ID    string    `json:"id"`
	Start time.Time `json:"start"`
}

// Scheduler is the system's notification scheduler, as the app offers it:
// Schedule queues the reminder of a for at and returns its ID; Cancel
// removes one by ID (an ID already delivered or unknown is no error).
type Scheduler interface {
	Schedule(a core.Appointment, at time.Time) (id string, err error)
	Cancel(id string) error
}

// ReminderAt is when the reminder of a booking starting at start is due:
// 18:00 of the day before, in loc.
func ReminderAt(start time.Time, loc *time.Location) time.Time {
	y, m, d := start.In(loc).Date()
	return time.Date(y, m, d-1, 18, 0, 0, 0, loc)
}

func (s Source) scheduledKey() string { return "appointments|" + s.Site + "|scheduled" }

// ScheduleReminders brings the reminders handed to the system in line with
// the device's copy: one for each booking whose reminder time (ReminderAt)
// is still ahead, moved with the booking, cancelled with it. The IDs are
// kept sealed, so that CancelReminders can take them back at sign-out. A
// booking with a scheduled reminder counts as reminded for DueReminders,
// which covers the rest (booked too late for the scheduler, or a
// scheduler that refused) while the app runs.
func (s Source) ScheduleReminders(ctx context.Context, now time.Time, loc *time.Location, sch Scheduler) error {
	snap, have, err := s.Cached(ctx)
	if err != nil || !have {
		return err
	}
	sched := map[string]ScheduledReminder{}
	if _, _, _, err := s.Store.GetSealed(ctx, s.Vault, s.scheduledKey(), &sched); err != nil {
		return err
	}
	marks := reminded{}
	if _, _, _, err := s.Store.GetSealed(ctx, s.Vault, s.remindedKey(), &marks); err != nil {
		return err
	}
	wanted := map[string]core.Appointment{}
	for _, a := range snap.List {
		if a.Status == core.AppointmentBooked && ReminderAt(a.Start, loc).After(now) {
			wanted[a.Code] = a
		}
	}
	var firstErr error
	for code, r := range sched {
		if a, ok := wanted[code]; ok && a.Start.Equal(r.Start) {
			continue
		}
		if err := sch.Cancel(r.ID); err != nil && firstErr == nil {
			firstErr = err
		}
		delete(sched, code)
	}
	// In order of start, so that the scheduler sees the same sequence
	// every time.
	order := slices.SortedFunc(maps.Values(wanted), func(x, y core.Appointment) int { return x.Start.Compare(y.Start) })
	for _, a := range order {
		code := a.Code
		if _, ok := sched[code]; ok {
			continue
		}
		id, err := sch.Schedule(a, ReminderAt(a.Start, loc))
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		sched[code] = ScheduledReminder{ID: id, Start: a.Start}
		marks[code] = a.Start
	}
	if err := s.Store.PutSealed(ctx, s.Vault, s.scheduledKey(), sched, "", now); err != nil {
		return err
	}
	if err := s.Store.PutSealed(ctx, s.Vault, s.remindedKey(), marks, "", now); err != nil {
		return err
	}
	return firstErr
}

// CancelReminders takes back every reminder handed to the system: sign-out
// calls it before the device's data is wiped, so that no reminder outlives
// the session.
func (s Source) CancelReminders(ctx context.Context, sch Scheduler) error {
	sched := map[string]ScheduledReminder{}
	if _, _, ok, err := s.Store.GetSealed(ctx, s.Vault, s.scheduledKey(), &sched); err != nil || !ok {
		return err
	}
	var firstErr error
	for _, r := range sched {
		if err := sch.Cancel(r.ID); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return firstErr
	}
	return s.Store.PutSealed(ctx, s.Vault, s.scheduledKey(), map[string]ScheduledReminder{}, "", time.Now())
}
