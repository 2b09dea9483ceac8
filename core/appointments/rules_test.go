package appointments

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
	"github.com/sportello/sportello/platform/secrets"
)

var rome, _ = time.LoadLocation("Europe/Rome")

func at(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, rome) }

func appt(code string, start time.Time, status core.AppointmentStatus) core.Appointment {
	return core.Appointment{Code: code, Start: start, End: start.Add(30 * time.Minute), Status: status}
}

func codes(list []core.Appointment) string {
	var c []string
	for _, a := range list {
		c = append(c, a.Code)
	}
	return strings.Join(c, " ")
}

func TestUpcomingAndPast(t *testing.T) {
	now := at(10, 12)
	list := []core.Appointment{
		appt("LATER", at(20, 9), core.AppointmentBooked),
		appt("CANCELLED", at(15, 9), core.AppointmentCancelled),
		appt("SOON", at(11, 9), core.AppointmentBooked),
		appt("NOW", now.Add(-10*time.Minute), core.AppointmentBooked), // under way: ends at 12:20
		appt("OVER", at(10, 9), core.AppointmentBooked),
		appt("DONE", at(1, 9), core.AppointmentDone),
		appt("RELEASED", at(12, 9), core.AppointmentReleased),
	}
	if got := codes(Upcoming(list, now)); got != "NOW SOON LATER" {
		t.Errorf("upcoming %s", got)
	}
	if got := codes(Past(list, now)); got != "CANCELLED RELEASED OVER DONE" {
		t.Errorf("past %s", got)
	}
	if len(Upcoming(nil, now)) != 0 || len(Past(nil, now)) != 0 {
		t.Error("something from nothing")
	}
}

func TestForTopicAndOffices(t *testing.T) {
	services := []core.BookableService{
		{ID: "id_card_renewal", Topic: "id_card", Offices: []string{"b", "a"}},
		{ID: "id_card_first", Topic: "id_card", Offices: []string{"a"}},
		{ID: "change_of_residence", Topic: "residence", Offices: []string{"c"}},
	}
	var ids []string
	for _, s := range ForTopic(services, "id_card") {
		ids = append(ids, s.ID)
	}
	if !slices.Equal(ids, []string{"id_card_renewal", "id_card_first"}) {
		t.Errorf("id_card: %v", ids)
	}
	if len(ForTopic(services, "")) != 3 || len(ForTopic(services, "tari")) != 0 {
		t.Error("empty or unknown topic")
	}
	all := []core.Office{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	var got []string
	for _, o := range Offices(services[0], all) {
		got = append(got, o.ID)
	}
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("offices %v, want all's order", got)
	}
	if len(Offices(core.BookableService{Offices: []string{"x"}}, all)) != 0 {
		t.Error("an office that is not there")
	}
}

func TestValidEmail(t *testing.T) {
	good := []string{"mario.rossi@example.it", "a+tag@b.co", "x@sub.domain.example", "nicolò@posta.it",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 180) + ".it"}
	bad := []string{"", "mario", "mario@", "@example.it", "mario@localhost", "mario@example.it.", "mario@.it",
		"ma..rio@example.it", ".mario@example.it", "a@b@c.it", " mario@example.it", "mario@example.it ",
		"<mario@example.it>", "Mario <mario@example.it>", `"mario rossi"@example.it`, "mario@example.it(home)",
		"mario@[192.0.2.1]", "mario rossi@example.it", "mario@exa mple.it", "mario@example.it\n",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 187) + ".it"}
	for _, s := range good {
		if !ValidEmail(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range bad {
		if ValidEmail(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestSlotTaken(t *testing.T) {
	next := []core.Slot{{Start: at(11, 9), End: at(11, 9).Add(20 * time.Minute), Free: 1}}
	err := fmt.Errorf("book: %w", &core.Problem{Type: core.ProblemSlotTaken, Status: 409, NextFree: next})
	if got, ok := SlotTaken(err); !ok || len(got) != 1 || !got[0].Start.Equal(next[0].Start) {
		t.Errorf("slot taken: %v %v", got, ok)
	}
	if _, ok := SlotTaken(&core.Problem{Type: core.ProblemSlotUnavailable, Status: 422}); ok {
		t.Error("an unavailable slot taken for a taken one")
	}
	if _, ok := SlotTaken(core.ErrUnreachable); ok {
		t.Error("a transport error taken for a taken slot")
	}
}

// TestDueRemindersOnce works on the device's copy alone, without a server.
func TestDueRemindersOnce(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "device.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := vault.Open(secrets.Memory())
	if err != nil {
		t.Fatal(err)
	}
	src := Source{Store: st, Vault: v, Site: "site"}
	now := at(10, 18)
	if due, err := src.DueReminders(ctx, now, rome); err != nil || len(due) != 0 {
		t.Fatalf("no copy: %v %v", due, err)
	}
	list := []core.Appointment{
		appt("TOMORROW-LATE", at(11, 23), core.AppointmentBooked),
		appt("TOMORROW", at(11, 9), core.AppointmentBooked),
		// 00:30 in Rome on the 11th is still the 10th in UTC: the day
		// is loc's.
		appt("MIDNIGHT", time.Date(2026, 12, 11, 0, 30, 0, 0, rome), core.AppointmentBooked),
		appt("CANCELLED", at(11, 10), core.AppointmentCancelled),
		appt("TODAY", at(10, 19), core.AppointmentBooked),
		appt("AFTER", at(12, 0), core.AppointmentBooked),
	}
	if err := src.put(ctx, Snapshot{List: list, FetchedAt: now}); err != nil {
		t.Fatal(err)
	}
	due, err := src.DueReminders(ctx, now, rome)
	if err != nil || codes(due) != "MIDNIGHT TOMORROW TOMORROW-LATE" {
		t.Fatalf("due %q %v", codes(due), err)
	}
	if due, err := src.DueReminders(ctx, now.Add(time.Hour), rome); err != nil || len(due) != 0 {
		t.Fatalf("reminded twice: %q %v", codes(due), err)
	}
	// In UTC the next day is another one: AFTER, at midnight in Rome,
	// is on it (and TOMORROW-LATE, reminded already).
	if due, _ := src.DueReminders(ctx, now, time.UTC); codes(due) != "AFTER" {
		t.Errorf("in UTC: %q", codes(due))
	}

	// Moved to another time: reminded again, for the new one.
	list[1].Start, list[1].End = at(11, 15), at(11, 15).Add(30*time.Minute)
	if err := src.put(ctx, Snapshot{List: list, FetchedAt: now}); err != nil {
		t.Fatal(err)
	}
	if due, _ := src.DueReminders(ctx, now, rome); codes(due) != "TOMORROW" || !due[0].Start.Equal(at(11, 15)) {
		t.Errorf("after the move: %q", codes(due))
	}
	// Moved to the day after: due when that day comes.
	list[1].Start, list[1].End = at(12, 9), at(12, 9).Add(30*time.Minute)
	if err := src.put(ctx, Snapshot{List: list, FetchedAt: now}); err != nil {
		t.Fatal(err)
	}
	if due, _ := src.DueReminders(ctx, now, rome); len(due) != 0 {
		t.Errorf("moved away, still due: %q", codes(due))
	}
	if due, _ := src.DueReminders(ctx, at(11, 8), rome); codes(due) != "TOMORROW" {
		t.Errorf("the next day: %q", codes(due))
	}

	// The marks are sealed, and forgotten once the appointment started.
	var marks reminded
	if _, _, ok, err := st.GetSealed(ctx, v, src.remindedKey(), &marks); err != nil || !ok {
		t.Fatalf("marks: %v %v", ok, err)
	}
	if _, ok := marks["MIDNIGHT"]; ok {
		t.Errorf("a mark of an appointment that started is kept: %v", marks)
	}
	if _, ok := marks["AFTER"]; !ok {
		t.Errorf("marks %v", marks)
	}
	raw, _, _, _, _ := st.PersonalGet(ctx, src.remindedKey())
	if strings.Contains(string(raw), "AFTER") {
		t.Error("the reminder marks are not sealed")
	}
}

// fakeScheduler is the system's scheduler: what it holds, by ID.
type fakeScheduler struct {
	held   map[string]time.Time // ID → when it fires
	codes  map[string]string    // ID → booking code
	n      int
	refuse bool
}

func (f *fakeScheduler) Schedule(a core.Appointment, when time.Time) (string, error) {
	if f.refuse {
		return "", fmt.Errorf("no scheduler")
	}
	f.n++
	id := fmt.Sprint("n", f.n)
	f.held[id], f.codes[id] = when, a.Code
	return id, nil
}

func (f *fakeScheduler) Cancel(id string) error { delete(f.held, id); delete(f.codes, id); return nil }

func (f *fakeScheduler) scheduled() string {
	var c []string
	for id, code := range f.codes {
		c = append(c, code+"@"+f.held[id].In(rome).Format("02 15:04"))
	}
	slices.Sort(c)
	return strings.Join(c, " ")
}

// Reminders handed to the system follow the bookings (scheduled, moved,
// cancelled), are not given twice by DueReminders, and sign-out takes
// them all back.
func TestScheduleReminders(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "device.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := vault.Open(secrets.Memory())
	if err != nil {
		t.Fatal(err)
	}
	src := Source{Store: st, Vault: v, Site: "site"}
	sch := &fakeScheduler{held: map[string]time.Time{}, codes: map[string]string{}}
	now := at(10, 12)
	list := []core.Appointment{
		appt("NEXT-WEEK", at(17, 9), core.AppointmentBooked),
		appt("TOMORROW", at(11, 10), core.AppointmentBooked),
		appt("CANCELLED", at(14, 10), core.AppointmentCancelled),
	}
	if err := src.put(ctx, Snapshot{List: list, FetchedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := src.ScheduleReminders(ctx, now, rome, sch); err != nil {
		t.Fatal(err)
	}
	if got := sch.scheduled(); got != "NEXT-WEEK@16 18:00 TOMORROW@10 18:00" {
		t.Fatalf("scheduled %q", got)
	}
	// Scheduled reminders are not given again while the app runs.
	if due, err := src.DueReminders(ctx, at(10, 19), rome); err != nil || len(due) != 0 {
		t.Errorf("reminded twice: %q %v", codes(due), err)
	}
	// Again: nothing changes.
	if err := src.ScheduleReminders(ctx, now, rome, sch); err != nil || sch.n != 2 {
		t.Fatalf("scheduled again: %d %v", sch.n, err)
	}
	// Moved and cancelled: the scheduler follows.
	list[0].Start, list[0].End = at(21, 9), at(21, 9).Add(30*time.Minute)
	list[1].Status = core.AppointmentCancelled
	if err := src.put(ctx, Snapshot{List: list, FetchedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := src.ScheduleReminders(ctx, now, rome, sch); err != nil {
		t.Fatal(err)
	}
	if got := sch.scheduled(); got != "NEXT-WEEK@20 18:00" {
		t.Fatalf("after a move and a cancellation: %q", got)
	}
	// Past 18:00 of the day before, nothing is scheduled: DueReminders
	// covers it.
	list = append(list, appt("LATE", at(11, 9), core.AppointmentBooked))
	if err := src.put(ctx, Snapshot{List: list, FetchedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := src.ScheduleReminders(ctx, at(10, 20), rome, sch); err != nil {
		t.Fatal(err)
	}
	if due, _ := src.DueReminders(ctx, at(10, 20), rome); codes(due) != "LATE" || strings.Contains(sch.scheduled(), "LATE") {
		t.Errorf("booked late: due %q, scheduled %q", codes(due), sch.scheduled())
	}
	// The IDs are sealed; sign-out takes every reminder back.
	raw, _, _, _, _ := st.PersonalGet(ctx, src.scheduledKey())
	if strings.Contains(string(raw), "NEXT-WEEK") {
		t.Error("the scheduled reminders are not sealed")
	}
	if err := src.CancelReminders(ctx, sch); err != nil || sch.scheduled() != "" {
		t.Errorf("after sign-out: %q %v", sch.scheduled(), err)
	}
	// A scheduler that refuses: DueReminders still reminds while the app runs.
	refusing := &fakeScheduler{refuse: true}
	list = []core.Appointment{appt("REFUSED", at(12, 9), core.AppointmentBooked)}
	if err := src.put(ctx, Snapshot{List: list, FetchedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := src.ScheduleReminders(ctx, now, rome, refusing); err == nil {
		t.Error("a refusing scheduler gave no error")
	}
	if due, _ := src.DueReminders(ctx, at(11, 8), rome); codes(due) != "REFUSED" {
		t.Errorf("with no scheduler: %q", codes(due))
	}
}
