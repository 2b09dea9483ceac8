package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
)

// Appointments at the municipal offices (docs/appointments.md): the
// services, the free days and times computed from the offices' hours, the
// closures and the places taken, and the bookings. Every change of a
// booking is one write transaction, serialised in the process (apptMu) and
// by SQLite's write lock (BEGIN IMMEDIATE) across processes: the places
// taken are counted in the same transaction that inserts or moves.

// Errors of appointments.
var (
	// ErrUnknownService: there is no bookable service of that id.
	ErrUnknownService = errors.New("no such bookable service")
	// ErrNotOffered: the office does not exist or does not offer the
	// service.
	ErrNotOffered = errors.New("the office does not offer the service")
	// ErrSlotTaken: every place of that time is taken; the error is a
	// *SlotTakenError with the next free slots.
	ErrSlotTaken = errors.New("every place of that time is taken")
	// ErrSlotUnavailable: that time cannot be booked at all (past, too
	// soon, closed, not a slot, beyond the horizon); wrapped with why.
	ErrSlotUnavailable = errors.New("that time cannot be booked")
	// ErrAppointmentClosed: the booking can no longer change (cancelled,
	// released, done, its time has come, or past its confirmation
	// deadline); wrapped with why.
	ErrAppointmentClosed = errors.New("the booking can no longer change")
)

// SlotTakenError is ErrSlotTaken with the next free slots of the same
// office and service after the one asked for (at most 5).
type SlotTakenError struct{ NextFree []core.Slot }

func (e *SlotTakenError) Error() string { return ErrSlotTaken.Error() }
func (e *SlotTakenError) Unwrap() error { return ErrSlotTaken }

// AlreadyBookedError: the citizen has an active booking (Code) for the
// service already.
type AlreadyBookedError struct{ Code string }

func (e *AlreadyBookedError) Error() string {
	return "an active booking for this service exists already: " + e.Code
}

// AppointmentServices lists the bookable services in lang ("it" or "en"),
// each with the offices that offer it in the offices' order.
func (s *Store) AppointmentServices(ctx context.Context, lang string) ([]core.BookableService, error) {
	cols := "name_it, description_it, bring_it"
	if lang == "en" {
		cols = "name_en, description_en, bring_en"
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, topic, `+cols+`, slot_minutes FROM appointment_services
		ORDER BY position, id`)
	if err != nil {
		return nil, err
	}
	out := []core.BookableService{}
	index := map[string]int{}
	for rows.Next() {
		var sv core.BookableService
		var bring string
		if err = rows.Scan(&sv.ID, &sv.Topic, &sv.Name, &sv.Description, &bring, &sv.SlotMinutes); err != nil {
			break
		}
		sv.Bring = lines(bring)
		sv.Offices = []string{}
		index[sv.ID] = len(out)
		out = append(out, sv)
	}
	if err = errors.Join(err, rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	rows, err = s.read.QueryContext(ctx, `SELECT os.service_id, os.office_id FROM office_services os
		JOIN offices o ON o.id = os.office_id ORDER BY o.position, o.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var sid, oid string
		if err := rows.Scan(&sid, &oid); err != nil {
			return nil, err
		}
		if i, ok := index[sid]; ok {
			out[i].Offices = append(out[i].Offices, oid)
		}
	}
	return out, rows.Err()
}

// lines splits text into its non-empty lines.
func lines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// loadOffering reads the service at the office: ErrUnknownService when
// there is no such service, ErrNotOffered when the office does not offer it.
func loadOffering(ctx context.Context, q queryer, office, service string) (offering, error) {
	o := offering{office: office, service: service}
	var minutes int
	var capacity sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT s.slot_minutes, os.capacity FROM appointment_services s
		LEFT JOIN office_services os ON os.service_id = s.id AND os.office_id = ? WHERE s.id = ?`,
		office, service).Scan(&minutes, &capacity)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return o, ErrUnknownService
	case err != nil:
		return o, err
	case !capacity.Valid:
		return o, ErrNotOffered
	}
	o.capacity, o.slot = int(capacity.Int64), time.Duration(minutes)*time.Minute
	rows, err := q.QueryContext(ctx, `SELECT 1, weekday, opens, closes FROM office_service_hours
		WHERE office_id = ? AND service_id = ?
		UNION ALL SELECT 0, weekday, opens, closes FROM office_hours WHERE office_id = ?
		ORDER BY 1 DESC, 2, 3`, office, service, office)
	if err != nil {
		return o, err
	}
	defer rows.Close()
	own := false
	for rows.Next() {
		var specific bool
		var wd int
		var opens, closes string
		if err := rows.Scan(&specific, &wd, &opens, &closes); err != nil {
			return o, err
		}
		if specific {
			own = true
		} else if own {
			continue // the service's own hours replace the office's
		}
		if err := o.hours.Add(wd, opens, closes); err != nil {
			return o, fmt.Errorf("hours of %s for %s: %w", office, service, err)
		}
	}
	return o, rows.Err()
}

// loadCalendar reads the offering and the closures of the days from first
// to last.
func loadCalendar(ctx context.Context, q queryer, office, service string, first, last core.Date) (*calendar, error) {
	o, err := loadOffering(ctx, q, office, service)
	if err != nil {
		return nil, err
	}
	c := &calendar{offering: o, closed: map[core.Date]closure{}}
	rows, err := q.QueryContext(ctx, `SELECT day, reason_it, reason_en FROM closures
		WHERE day >= ? AND day <= ? AND (office_id IS NULL OR office_id = ?) ORDER BY office_id IS NULL, id`,
		first.String(), last.String(), office)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var day string
		var r closure
		if err := rows.Scan(&day, &r.it, &r.en); err != nil {
			return nil, err
		}
		d, err := parseDate(day)
		if err != nil {
			return nil, fmt.Errorf("closure: %w", err)
		}
		c.closed[d] = r // the whole municipality's closure after an office's
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.addHolidays(first.Year(), last.Year())
	return c, nil
}

// takenCondition selects the bookings that hold a place at now: booked and
// not released (unconfirmed past the deadline), whether or not the sweep
// has marked them yet.
const takenCondition = `status = 'booked' AND (confirmed_at IS NOT NULL OR confirm_by IS NULL OR confirm_by > ?)`

// taken counts the places held at each start (Unix seconds) from from to
// until at the offering.
func taken(ctx context.Context, q queryer, c *calendar, from, until, now time.Time) (map[int64]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT start_at, count(*) FROM appointments
		WHERE office_id = ? AND service_id = ? AND start_at >= ? AND start_at < ? AND `+takenCondition+`
		GROUP BY start_at`, c.office, c.service, from.Unix(), until.Unix(), now.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var at int64
		var n int
		if err := rows.Scan(&at, &n); err != nil {
			return nil, err
		}
		out[at] = n
	}
	return out, rows.Err()
}

// counts is the places taken over a range of instants, loaded once.
type counts struct {
	from, until time.Time
	n           map[int64]int
}

func (c *counts) covers(from, until time.Time) bool {
	return c != nil && c.n != nil && !from.Before(c.from) && !until.After(c.until)
}

// freeAfter lists up to n free slots of the offering that start after
// after, within the booking window at now, the soonest first. known, when
// it covers a day, saves its query.
func freeAfter(ctx context.Context, q queryer, c *calendar, after time.Time, n int, now time.Time, known *counts) ([]core.Slot, error) {
	w := bookingWindow(now)
	out := []core.Slot{}
	if !after.Before(w.until) {
		return out, nil
	}
	if after.Before(w.from) {
		after = w.from.Add(-time.Nanosecond)
	}
	const chunk = 14 // days of places taken read at a time
	var loaded counts
	var starts []time.Time
	for day := core.DateOf(after.In(Rome)); dayStart(day).Before(w.until); day = core.DateOf(day.AddDate(0, 0, 1)) {
		starts = c.slots(day, starts)
		if len(starts) == 0 {
			continue
		}
		from, until := dayStart(day), dayStart(core.DateOf(day.AddDate(0, 0, 1)))
		held := known
		if !held.covers(from, until) {
			if !loaded.covers(from, until) {
				end := dayStart(core.DateOf(day.AddDate(0, 0, chunk)))
				if end.After(w.until) {
					end = w.until
				}
				m, err := taken(ctx, q, c, from, end, now)
				if err != nil {
					return nil, err
				}
				loaded = counts{from, end, m}
			}
			held = &loaded
		}
		for _, st := range starts {
			if !st.After(after) || !w.contains(st) {
				continue
			}
			if free := c.capacity - held.n[st.Unix()]; free > 0 {
				out = append(out, core.Slot{Start: st.UTC(), End: st.Add(c.slot).UTC(), Free: free})
				if len(out) == n {
					return out, nil
				}
			}
		}
	}
	return out, nil
}

// Availability is the month (any instant of it, in Europe/Rome) of the
// office for the service as of now: the places left each day, the closed
// days' reasons in lang, the first free slot from now on. ErrUnknownService
// or ErrNotOffered when the office does not offer such a service.
func (s *Store) Availability(ctx context.Context, office, service string, month time.Time, lang string, now time.Time) (core.MonthAvailability, error) {
	m := month.In(Rome)
	first := core.NewDate(m.Year(), m.Month(), 1)
	last := core.DateOf(first.AddDate(0, 1, -1))
	out := core.MonthAvailability{Office: office, Service: service, Month: first.Format("2006-01"), Days: []core.DayAvailability{}}
	today := core.DateOf(now.In(Rome))
	horizon := core.DateOf(today.AddDate(0, 0, HorizonDays))
	from, to := first, last
	if today.Before(from.Time) {
		from = today
	}
	if horizon.After(to.Time) {
		to = horizon
	}
	c, err := loadCalendar(ctx, s.read, office, service, from, to)
	if err != nil {
		return out, err
	}
	w := bookingWindow(now)
	monthFrom, monthUntil := dayStart(first), dayStart(core.DateOf(last.AddDate(0, 0, 1)))
	var known *counts
	if monthFrom.Before(w.until) && monthUntil.After(w.from) {
		n, err := taken(ctx, s.read, c, monthFrom, monthUntil, now)
		if err != nil {
			return out, err
		}
		known = &counts{monthFrom, monthUntil, n}
	}
	var starts []time.Time
	for day := first; !day.After(last.Time); day = core.DateOf(day.AddDate(0, 0, 1)) {
		d := core.DayAvailability{Date: day, Closed: c.closedReason(day, lang)}
		if known != nil {
			starts = c.slots(day, starts)
			for _, st := range starts {
				if w.contains(st) {
					d.Free += max(c.capacity-known.n[st.Unix()], 0)
				}
			}
		}
		out.Days = append(out.Days, d)
	}
	next, err := freeAfter(ctx, s.read, c, w.from.Add(-time.Nanosecond), 1, now, known)
	if err != nil {
		return out, err
	}
	if len(next) > 0 {
		out.FirstFree = &next[0]
	}
	return out, nil
}

// Slots lists the free slots of day at the office for the service from now
// on, in order.
func (s *Store) Slots(ctx context.Context, office, service string, day core.Date, now time.Time) ([]core.Slot, error) {
	c, err := loadCalendar(ctx, s.read, office, service, day, day)
	if err != nil {
		return nil, err
	}
	out := []core.Slot{}
	w := bookingWindow(now)
	from, until := dayStart(day), dayStart(core.DateOf(day.AddDate(0, 0, 1)))
	if !from.Before(w.until) || !until.After(w.from) {
		return out, nil
	}
	n, err := taken(ctx, s.read, c, from, until, now)
	if err != nil {
		return nil, err
	}
	for _, st := range c.slots(day, nil) {
		if free := c.capacity - n[st.Unix()]; free > 0 && w.contains(st) {
			out = append(out, core.Slot{Start: st.UTC(), End: st.Add(c.slot).UTC(), Free: free})
		}
	}
	return out, nil
}

// checkSlot says whether start can be booked at the offering at now: nil,
// or ErrSlotUnavailable wrapped with why.
func (c *calendar) checkSlot(start, now time.Time) error {
	w := bookingWindow(now)
	day := core.DateOf(start.In(Rome))
	switch {
	case !start.After(now):
		return fmt.Errorf("%w: it is past", ErrSlotUnavailable)
	case start.Before(w.from):
		return fmt.Errorf("%w: it is less than %d minutes from now", ErrSlotUnavailable, int(Earliest/time.Minute))
	case !start.Before(w.until):
		return fmt.Errorf("%w: it is beyond the %d-day booking horizon", ErrSlotUnavailable, HorizonDays)
	case c.closedReason(day, "en") != "":
		return fmt.Errorf("%w: the office is closed that day (%s)", ErrSlotUnavailable, c.closedReason(day, "en"))
	case !c.isSlot(start):
		return fmt.Errorf("%w: it is not the start of a slot of the office's schedule", ErrSlotUnavailable)
	}
	return nil
}

// codeAlphabet has no 0, O, 1 or I: a code read aloud or copied by hand
// cannot be mistaken.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// newCode is a random confirmation code, "VLD-7KQ2-M4PX".
func newCode(prefix string) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)] // 256 is a multiple of 32: uniform
	}
	return prefix + "-" + string(b[:4]) + "-" + string(b[4:])
}

// codePrefix is three letters of the town's name: its first letter and the
// next consonants ("Comune di Valdoria": VLD).
func codePrefix(municipality string) string {
	name := strings.TrimPrefix(municipality, "Comune di ")
	var letters []byte
	for _, r := range strings.ToUpper(name) {
		switch r {
		case 'À', 'Á':
			r = 'A'
		case 'È', 'É':
			r = 'E'
		case 'Ì', 'Í':
			r = 'I'
		case 'Ò', 'Ó':
			r = 'O'
		case 'Ù', 'Ú':
			r = 'U'
		}
		if r >= 'A' && r <= 'Z' {
			letters = append(letters, byte(r))
		}
	}
	if len(letters) == 0 {
		return "APP"
	}
	out := letters[:1]
	rest := letters[1:]
	for _, l := range rest {
		if len(out) < 3 && !strings.ContainsRune("AEIOU", rune(l)) {
			out = append(out, l)
		}
	}
	for _, l := range rest {
		if len(out) == 3 {
			break
		}
		if strings.ContainsRune("AEIOU", rune(l)) {
			out = append(out, l)
		}
	}
	for len(out) < 3 {
		out = append(out, 'X')
	}
	return string(out)
}

// confirmation is the re-confirmation of a booking for start made at now
// with reconfirm days: a deadline days before start when that leaves the
// citizen at least a day to confirm, else confirmed at once (asking someone
// who has just booked to confirm again within hours only loses places);
// neither when re-confirmation is off.
func confirmation(start, now time.Time, days int) (confirmBy, confirmedAt any) {
	if days <= 0 {
		return nil, nil
	}
	deadline := start.Add(-time.Duration(days) * 24 * time.Hour)
	if deadline.Sub(now) >= minTimeToConfirm {
		return deadline.Unix(), nil
	}
	return nil, now.Unix()
}

// minTimeToConfirm is the least time a re-confirmation deadline leaves.
const minTimeToConfirm = 24 * time.Hour

// ReconfirmDays is the re-confirmation setting: 0 when off.
func (s *Store) ReconfirmDays(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT reconfirm_days FROM appointment_settings WHERE id = 1`).Scan(&n)
	return n, err
}

// SetReconfirmDays sets the re-confirmation window, 0 to turn it off. It
// applies to bookings made or moved from then on.
func (s *Store) SetReconfirmDays(ctx context.Context, days int) error {
	if days < 0 || days > 60 {
		return fmt.Errorf("re-confirmation days %d: from 0 (off) to 60", days)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO appointment_settings (id, reconfirm_days) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET reconfirm_days = excluded.reconfirm_days`, days)
	return err
}

// Closure is a day the offices, or one of them, are closed.
type Closure struct {
	Office   string // "" for every office
	Day      core.Date
	ReasonIT string
	ReasonEN string
}

// AddClosure closes an office ("" every office) on a day. Bookings already
// made that day stay: the operator tells their citizens.
func (s *Store) AddClosure(ctx context.Context, c Closure) error {
	var office any
	if c.Office != "" {
		office = c.Office
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO closures (office_id, day, reason_it, reason_en) VALUES (?, ?, ?, ?)`,
		office, c.Day.String(), c.ReasonIT, c.ReasonEN)
	return err
}

// Closures lists the closures from day on, in order.
func (s *Store) Closures(ctx context.Context, from core.Date) ([]Closure, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT coalesce(office_id, ''), day, reason_it, reason_en FROM closures
		WHERE day >= ? ORDER BY day, office_id, id`, from.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Closure
	for rows.Next() {
		var c Closure
		var day string
		if err := rows.Scan(&c.Office, &day, &c.ReasonIT, &c.ReasonEN); err != nil {
			return nil, err
		}
		if c.Day, err = parseDate(day); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Reading bookings.

const appointmentSelect = `SELECT a.code, a.service_id, coalesce(s.name_it, a.service_id), coalesce(s.name_en, a.service_id),
	a.office_id, o.name, o.address, a.start_at, a.end_at, a.status, a.details, a.fiscal_code, a.name, a.surname,
	a.email, a.phone, a.booked_at, a.confirm_by, a.confirmed_at
	FROM appointments a JOIN offices o ON o.id = a.office_id LEFT JOIN appointment_services s ON s.id = a.service_id `

// appointmentRow is a booking with its service's name in both languages.
type appointmentRow struct {
	core.Appointment
	nameIT, nameEN string
}

func scanAppointment(sc interface{ Scan(...any) error }) (appointmentRow, error) {
	var a appointmentRow
	var start, end, booked int64
	var confirmBy, confirmedAt sql.NullInt64
	if err := sc.Scan(&a.Code, &a.ServiceID, &a.nameIT, &a.nameEN, &a.OfficeID, &a.Office, &a.Address, &start, &end,
		&a.Status, &a.Details, &a.Applicant.FiscalCode, &a.Applicant.Name, &a.Applicant.Surname, &a.Applicant.Email,
		&a.Applicant.Phone, &booked, &confirmBy, &confirmedAt); err != nil {
		return a, err
	}
	a.Start, a.End, a.BookedAt = fromSeconds(start), fromSeconds(end), fromSeconds(booked)
	if confirmBy.Valid {
		t := fromSeconds(confirmBy.Int64)
		a.ConfirmBy = &t
	}
	if confirmedAt.Valid {
		t := fromSeconds(confirmedAt.Int64)
		a.ConfirmedAt = &t
	}
	a.Service = a.nameIT
	return a, nil
}

// as is the booking as of now in lang: a booking not re-confirmed by its
// deadline is released, one over is done, whether or not a write has
// marked them yet.
func (a appointmentRow) as(now time.Time, lang string) core.Appointment {
	out := a.Appointment
	if lang == "en" {
		out.Service = a.nameEN
	}
	if out.Status == core.AppointmentBooked {
		switch {
		case out.ConfirmedAt == nil && out.ConfirmBy != nil && !now.Before(*out.ConfirmBy):
			out.Status = core.AppointmentReleased
		case !now.Before(out.End):
			out.Status = core.AppointmentDone
		}
	}
	return out
}

func (r reader) appointmentsAt(ctx context.Context, fiscalCode, lang string, now time.Time) ([]core.Appointment, error) {
	rows, err := r.q.QueryContext(ctx, appointmentSelect+`WHERE a.fiscal_code = ? ORDER BY a.start_at DESC, a.code`, fiscalCode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []core.Appointment{}
	for rows.Next() {
		a, err := scanAppointment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a.as(now, lang))
	}
	return out, rows.Err()
}

// AppointmentsAt lists the citizen's bookings as of now, the latest start
// first, with the services' names in lang.
func (s *Store) AppointmentsAt(ctx context.Context, fiscalCode, lang string, now time.Time) ([]core.Appointment, error) {
	return reader{s.read}.appointmentsAt(ctx, fiscalCode, lang, now)
}

// Appointment is the citizen's booking code as of now; ErrNotFound when
// they have none of that code (whether or not someone else does).
func (s *Store) Appointment(ctx context.Context, fiscalCode, code, lang string, now time.Time) (core.Appointment, error) {
	a, err := scanAppointment(s.read.QueryRowContext(ctx, appointmentSelect+`WHERE a.code = ? AND a.fiscal_code = ?`, code, fiscalCode))
	if errors.Is(err, sql.ErrNoRows) {
		return core.Appointment{}, ErrNotFound
	}
	if err != nil {
		return core.Appointment{}, err
	}
	return a.as(now, lang), nil
}

// Changing bookings.

// NewBooking is a booking to make.
type NewBooking struct {
	FiscalCode string // the signed-in citizen, the applicant
	Service    string
	Office     string
	Start      time.Time
	Details    string
	Email      string
	Phone      string
}

// appointmentTx runs fn in a write transaction after the lazy sweep, with
// the other appointment writes of the process waiting: a booking counts the
// places taken and inserts under one write lock.
func (s *Store) appointmentTx(ctx context.Context, now time.Time, fn func(tx *sql.Tx) error) error {
	s.apptMu.Lock()
	defer s.apptMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := sweep(ctx, tx, s.read.in(tx), now); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Book books a place for the citizen as of now, in one write transaction:
// ErrUnknownService, ErrNotOffered, ErrSlotUnavailable (wrapped with why),
// *AlreadyBookedError, or *SlotTakenError with the next free slots. The
// applicant's names are the registry's; a summary goes to the outbox.
func (s *Store) Book(ctx context.Context, b NewBooking, lang string, now time.Time) (core.Appointment, error) {
	start := b.Start.Truncate(time.Second)
	c, err := loadCalendar(ctx, s.read, b.Office, b.Service, core.DateOf(start.In(Rome)), core.DateOf(start.In(Rome)))
	if err != nil {
		return core.Appointment{}, err
	}
	if err := c.checkSlot(start, now); err != nil {
		return core.Appointment{}, err
	}
	var code string
	err = s.appointmentTx(ctx, now, func(tx *sql.Tx) error {
		q := s.read.in(tx)
		var existing string
		err := q.QueryRowContext(ctx, `SELECT code FROM appointments WHERE fiscal_code = ? AND service_id = ?
			AND status = 'booked' ORDER BY start_at LIMIT 1`, b.FiscalCode, b.Service).Scan(&existing)
		switch {
		case err == nil:
			return &AlreadyBookedError{Code: existing}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if err := placeLeft(ctx, q, c, start, "", now); err != nil {
			return err
		}
		var name, surname, municipality string
		var days int
		err = q.QueryRowContext(ctx, `SELECT c.name, c.surname, m.name, coalesce(st.reconfirm_days, 0)
			FROM citizens c, municipality m LEFT JOIN appointment_settings st ON st.id = 1
			WHERE c.fiscal_code = ? AND m.id = 1`, b.FiscalCode).Scan(&name, &surname, &municipality, &days)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		confirmBy, confirmedAt := confirmation(start, now, days)
		prefix := codePrefix(municipality)
		for inserted := int64(0); inserted == 0; {
			code = newCode(prefix) // 40 random bits: a clash is rare, and then another code is drawn
			res, err := tx.ExecContext(ctx, `INSERT INTO appointments (code, fiscal_code, service_id, office_id, start_at,
				end_at, status, details, name, surname, email, phone, booked_at, confirm_by, confirmed_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, 'booked', ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (code) DO NOTHING`,
				code, b.FiscalCode, b.Service, b.Office, start.Unix(), start.Add(c.slot).Unix(), b.Details, name, surname,
				b.Email, b.Phone, now.Unix(), confirmBy, confirmedAt, now.Unix())
			if err != nil {
				return err
			}
			if inserted, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		return s.mail(ctx, tx, code, mailBooked, now)
	})
	if err != nil {
		return core.Appointment{}, s.withNextFree(ctx, c, start, now, err)
	}
	return s.Appointment(ctx, b.FiscalCode, code, lang, now)
}

// placeLeft checks, inside the write transaction, that a place of the
// offering at start is free at now (the booking except not counted).
func placeLeft(ctx context.Context, q queryer, c *calendar, start time.Time, except string, now time.Time) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM appointments WHERE office_id = ? AND service_id = ?
		AND start_at = ? AND code != ? AND `+takenCondition, c.office, c.service, start.Unix(), except, now.Unix()).Scan(&n); err != nil {
		return err
	}
	if n >= c.capacity {
		return ErrSlotTaken
	}
	return nil
}

// withNextFree turns ErrSlotTaken into a *SlotTakenError with the next
// free slots after start, read once the write lock is released.
func (s *Store) withNextFree(ctx context.Context, c *calendar, start, now time.Time, err error) error {
	if err != ErrSlotTaken {
		return err
	}
	last := core.DateOf(now.In(Rome).AddDate(0, 0, HorizonDays))
	full, lerr := loadCalendar(ctx, s.read, c.office, c.service, core.DateOf(start.In(Rome)), last)
	if lerr != nil {
		return lerr
	}
	next, nerr := freeAfter(ctx, s.read, full, start, 5, now, nil)
	if nerr != nil {
		return nerr
	}
	return &SlotTakenError{NextFree: next}
}

// activeAppointment reads the citizen's booking code in the transaction
// and checks it may still change at now: ErrNotFound, or
// ErrAppointmentClosed wrapped with why.
func activeAppointment(ctx context.Context, q queryer, fiscalCode, code string, now time.Time) (appointmentRow, error) {
	a, err := scanAppointment(q.QueryRowContext(ctx, appointmentSelect+`WHERE a.code = ? AND a.fiscal_code = ?`, code, fiscalCode))
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, err
	}
	switch st := a.as(now, "en").Status; {
	case st != core.AppointmentBooked:
		return a, fmt.Errorf("%w: it is %s", ErrAppointmentClosed, st)
	case !now.Before(a.Start):
		return a, fmt.Errorf("%w: its time has come", ErrAppointmentClosed)
	}
	return a, nil
}

// Cancel cancels the citizen's booking as of now; ErrNotFound,
// ErrAppointmentClosed. A summary goes to the outbox.
func (s *Store) Cancel(ctx context.Context, fiscalCode, code, lang string, now time.Time) (core.Appointment, error) {
	err := s.appointmentTx(ctx, now, func(tx *sql.Tx) error {
		if _, err := activeAppointment(ctx, s.read.in(tx), fiscalCode, code, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE appointments SET status = 'cancelled', updated_at = ? WHERE code = ?`,
			now.Unix(), code); err != nil {
			return err
		}
		return s.mail(ctx, tx, code, mailCancelled, now)
	})
	if err != nil {
		return core.Appointment{}, err
	}
	return s.Appointment(ctx, fiscalCode, code, lang, now)
}

// Reschedule moves the citizen's booking to start at office (the same
// service), as of now, in one write transaction: it moves, or it stays
// where it was. Errors: ErrNotFound, ErrAppointmentClosed, ErrNotOffered,
// ErrSlotUnavailable, *SlotTakenError. The re-confirmation starts again by
// the rule; a summary goes to the outbox.
func (s *Store) Reschedule(ctx context.Context, fiscalCode, code, office string, start time.Time, lang string, now time.Time) (core.Appointment, error) {
	start = start.Truncate(time.Second)
	a, err := activeAppointment(ctx, s.read, fiscalCode, code, now)
	if err != nil {
		return core.Appointment{}, err
	}
	c, err := loadCalendar(ctx, s.read, office, a.ServiceID, core.DateOf(start.In(Rome)), core.DateOf(start.In(Rome)))
	if errors.Is(err, ErrUnknownService) {
		err = ErrNotOffered // a booking of a service no longer offered moves nowhere
	}
	if err != nil {
		return core.Appointment{}, err
	}
	if err := c.checkSlot(start, now); err != nil {
		return core.Appointment{}, err
	}
	err = s.appointmentTx(ctx, now, func(tx *sql.Tx) error {
		q := s.read.in(tx)
		if _, err := activeAppointment(ctx, q, fiscalCode, code, now); err != nil {
			return err
		}
		if err := placeLeft(ctx, q, c, start, code, now); err != nil {
			return err
		}
		var days int
		if err := q.QueryRowContext(ctx, `SELECT coalesce((SELECT reconfirm_days FROM appointment_settings WHERE id = 1), 0)`).Scan(&days); err != nil {
			return err
		}
		confirmBy, confirmedAt := confirmation(start, now, days)
		if _, err := tx.ExecContext(ctx, `UPDATE appointments SET office_id = ?, start_at = ?, end_at = ?, confirm_by = ?,
			confirmed_at = ?, updated_at = ? WHERE code = ?`, office, start.Unix(), start.Add(c.slot).Unix(), confirmBy,
			confirmedAt, now.Unix(), code); err != nil {
			return err
		}
		return s.mail(ctx, tx, code, mailMoved, now)
	})
	if err != nil {
		return core.Appointment{}, s.withNextFree(ctx, c, start, now, err)
	}
	return s.Appointment(ctx, fiscalCode, code, lang, now)
}

// Confirm re-confirms the citizen's booking as of now; confirming again
// keeps the first confirmation. ErrNotFound, ErrAppointmentClosed (also
// past the deadline: the booking is released).
func (s *Store) Confirm(ctx context.Context, fiscalCode, code, lang string, now time.Time) (core.Appointment, error) {
	err := s.appointmentTx(ctx, now, func(tx *sql.Tx) error {
		if _, err := activeAppointment(ctx, s.read.in(tx), fiscalCode, code, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE appointments SET confirmed_at = coalesce(confirmed_at, ?), updated_at = ?
			WHERE code = ?`, now.Unix(), now.Unix(), code)
		return err
	})
	if err != nil {
		return core.Appointment{}, err
	}
	return s.Appointment(ctx, fiscalCode, code, lang, now)
}

// SweepAppointments marks, as of now, the bookings not re-confirmed by
// their deadline released (an e-mail each to the outbox) and those over
// done. The server runs it every minute; every booking write runs it first
// too. It reports how many it released.
func (s *Store) SweepAppointments(ctx context.Context, now time.Time) (released int, err error) {
	var pending int
	if err := s.read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM appointments WHERE status = 'booked'
		AND confirmed_at IS NULL AND confirm_by <= ?) + (SELECT count(*) FROM appointments WHERE status = 'booked'
		AND end_at <= ?)`, now.Unix(), now.Unix()).Scan(&pending); err != nil || pending == 0 {
		return 0, err
	}
	s.apptMu.Lock()
	defer s.apptMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if released, err = sweep(ctx, tx, s.read.in(tx), now); err != nil {
		return 0, err
	}
	return released, tx.Commit()
}

// sweep is SweepAppointments inside a write transaction.
func sweep(ctx context.Context, tx *sql.Tx, q queryer, now time.Time) (int, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, start_at FROM appointments WHERE status = 'booked'
		AND confirmed_at IS NULL AND confirm_by <= ? ORDER BY confirm_by, code`, now.Unix())
	if err != nil {
		return 0, err
	}
	type due struct {
		code  string
		start int64
	}
	var released []due
	for rows.Next() {
		var d due
		if err = rows.Scan(&d.code, &d.start); err != nil {
			break
		}
		released = append(released, d)
	}
	if err = errors.Join(err, rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for _, d := range released {
		if _, err := tx.ExecContext(ctx, `UPDATE appointments SET status = 'released', updated_at = ? WHERE code = ?`,
			now.Unix(), d.code); err != nil {
			return 0, err
		}
		if d.start > now.Unix() { // nobody needs to hear of a time gone by
			if err := mailTo(ctx, tx, q, d.code, mailReleased, now); err != nil {
				return 0, err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE appointments SET status = 'done', updated_at = ?
		WHERE status = 'booked' AND end_at <= ?`, now.Unix(), now.Unix()); err != nil {
		return 0, err
	}
	return len(released), nil
}
