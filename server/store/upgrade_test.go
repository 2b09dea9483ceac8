package store

import (
	"context"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/sqlite"
	"github.com/sportello/sportello/server/demo"
)

var upgradeNow = time.Date(2026, time.November, 22, 10, 30, 0, 0, time.UTC)

// migrationsUpTo is the migrations directory as it was up to version last.
func migrationsUpTo(t *testing.T, last string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() > last {
			continue
		}
		b, err := fs.ReadFile(migrations, "migrations/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out["migrations/"+e.Name()] = &fstest.MapFile{Data: b}
	}
	return out
}

// oldDemoDatabase is a database as the server before the dossier left it:
// the schema up to 0002 and the version 1 demo, seeded at seededAt.
func oldDemoDatabase(t *testing.T, seededAt time.Time) string {
	t.Helper()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "old.db")
	db, err := sqlite.Open(ctx, file, migrationsUpTo(t, "0002_~"), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	old := newStore(db)
	if err := old.Seed(ctx, demo.GenerateVersion(seededAt, 1)); err != nil {
		t.Fatalf("seed version 1 over the old schema: %v", err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	return file
}

func openFile(t *testing.T, file string) *Store {
	t.Helper()
	st, err := Open(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// dump is every citizen's dossier, as JSON.
func dump(t *testing.T, st *Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	list, err := st.Citizens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range list {
		d, err := st.Dossier(ctx, c.FiscalCode)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		out[c.FiscalCode] = string(b)
	}
	return out
}

// TestUpgradeOldDatabase: migration 0003 records the old demo as version
// 1; UpgradeDemo then adds exactly what a fresh seed at the same instant
// has, once.
func TestUpgradeOldDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openFile(t, oldDemoDatabase(t, upgradeNow))
	var recorded int
	if err := st.db.QueryRowContext(ctx, `SELECT version FROM demo_seed WHERE id = 1`).Scan(&recorded); err != nil || recorded != 1 {
		t.Fatalf("migration 0003 recorded version %d, %v; want 1", recorded, err)
	}
	before := dump(t, st)
	if len(before) != 74 {
		t.Fatalf("%d citizens in the old database", len(before))
	}
	for cf, d := range before {
		if !strings.Contains(d, `"messages":[]`) || !strings.Contains(d, `"payments":[]`) || !strings.Contains(d, `"fines":[]`) {
			t.Fatalf("%s already has records: %s", cf, d)
		}
	}

	if added, err := st.UpgradeDemo(ctx, upgradeNow); err != nil || !added {
		t.Fatalf("UpgradeDemo = %v, %v", added, err)
	}
	if v, err := st.DemoVersion(ctx); err != nil || v != demo.Version {
		t.Errorf("version %d, %v after the upgrade", v, err)
	}
	upgraded := dump(t, st)
	fresh := freshStore(t)
	if err := fresh.Seed(ctx, demo.Generate(upgradeNow)); err != nil {
		t.Fatal(err)
	}
	want := dump(t, fresh)
	if len(upgraded) != len(want) {
		t.Errorf("%d citizens after the upgrade, %d in a fresh seed", len(upgraded), len(want))
	}
	for cf, d := range want {
		if upgraded[cf] != d {
			t.Errorf("%s after the upgrade\n%s\nin a fresh seed\n%s", cf, upgraded[cf], d)
		}
	}

	// Once: a second upgrade, even later, adds nothing.
	if added, err := st.UpgradeDemo(ctx, upgradeNow.AddDate(0, 1, 0)); err != nil || added {
		t.Errorf("a second UpgradeDemo = %v, %v", added, err)
	}
	for cf, d := range dump(t, st) {
		if upgraded[cf] != d {
			t.Errorf("%s changed in a second upgrade", cf)
		}
	}
}

// TestUpgradeNothing: a fresh demo, an empty database and a real
// municipality's are left alone.
func TestUpgradeNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fresh := freshStore(t)
	if err := fresh.Seed(ctx, demo.Generate(upgradeNow)); err != nil {
		t.Fatal(err)
	}
	empty := freshStore(t)
	notDemo := freshStore(t)
	ds := demo.GenerateVersion(upgradeNow, 1)
	ds.Municipality.Demo = false
	if err := notDemo.Seed(ctx, ds); err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]*Store{"fresh demo": fresh, "empty": empty, "not a demo": notDemo} {
		want := demo.Version
		if st != fresh {
			want = 0
		}
		if v, err := st.DemoVersion(ctx); v != want || err != nil {
			t.Errorf("%s: version %d, %v; want %d", name, v, err, want)
		}
		if added, err := st.UpgradeDemo(ctx, upgradeNow); added || err != nil {
			t.Errorf("%s: UpgradeDemo = %v, %v", name, added, err)
		}
	}
}

// freshStore opens a fresh store in a temporary directory.
func freshStore(t *testing.T) *Store {
	t.Helper()
	return openFile(t, filepath.Join(t.TempDir(), "store.db"))
}

// TestMarkMessageRead: the first reading stays; nobody marks another's
// message.
func TestMarkMessageRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := freshStore(t)
	ds := demo.Generate(upgradeNow)
	if err := st.Seed(ctx, ds); err != nil {
		t.Fatal(err)
	}
	var m, other demo.Message
	for _, x := range ds.Messages {
		if !x.Read && m.ID == "" {
			m = x
		}
	}
	for _, x := range ds.Messages {
		if x.FiscalCode != m.FiscalCode {
			other = x
		}
	}
	readAt := func(id string) (v *int64) {
		t.Helper()
		if err := st.db.QueryRowContext(ctx, `SELECT read_at FROM messages WHERE id = ?`, id).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := upgradeNow.Add(time.Hour)
	for _, at := range []time.Time{first, first.Add(time.Hour)} {
		if err := st.MarkMessageRead(ctx, m.FiscalCode, m.ID, at); err != nil {
			t.Fatal(err)
		}
		if v := readAt(m.ID); v == nil || *v != first.Unix() {
			t.Errorf("read at %v, want %d", v, first.Unix())
		}
	}
	before := readAt(other.ID)
	for _, id := range []string{other.ID, "nope", ""} {
		if err := st.MarkMessageRead(ctx, m.FiscalCode, id, first); err != ErrNotFound {
			t.Errorf("mark %q: %v, want ErrNotFound", id, err)
		}
	}
	if after := readAt(other.ID); (before == nil) != (after == nil) || (before != nil && *before != *after) {
		t.Error("another's message changed")
	}
}

// TestMigrateAppointments: migration 0006 rebuilds the appointments of a
// database of version 5 to the new shape, keeping its rows: their codes,
// citizens, offices and times, the applicant's names and contacts from the
// registry, a booking already over done, and of two active bookings of one
// citizen for one service the first.
func TestMigrateAppointments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v5.db")
	db, err := sqlite.Open(ctx, file, migrationsUpTo(t, "0005_~"), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	old := newStore(db)
	ds := demo.GenerateVersion(upgradeNow, 2)
	if err := old.Seed(ctx, ds); err != nil {
		t.Fatalf("seed version 2 over the schema of 0005: %v", err)
	}
	var a, b = ds.Citizens[0], ds.Citizens[1]
	now := time.Now().Truncate(time.Second)
	past, soon, later := now.Add(-48*time.Hour), now.Add(5*24*time.Hour), now.Add(9*24*time.Hour)
	for _, row := range []struct {
		code, cf, service string
		start             time.Time
		status            string
	}{
		{"OLD-PAST", a.FiscalCode, "Carta d'identità", past, "booked"},
		{"OLD-SOON", a.FiscalCode, "Carta d'identità", soon, "booked"},
		{"OLD-LATER", a.FiscalCode, "Carta d'identità", later, "booked"},
		{"OLD-GONE", b.FiscalCode, "Cambio di residenza", soon, "cancelled"},
	} {
		if _, err := db.ExecContext(ctx, `INSERT INTO appointments (code, fiscal_code, service, office_id, start_at, end_at, status)
			VALUES (?, ?, ?, 'anagrafe', ?, ?, ?)`, row.code, row.cf, row.service, row.start.Unix(), row.start.Add(20*time.Minute).Unix(), row.status); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	st := openFile(t, file)
	list, err := st.AppointmentsAt(ctx, a.FiscalCode, "en", now)
	if err != nil || len(list) != 3 {
		t.Fatalf("after the migration: %+v, %v", list, err)
	}
	want := map[string]core.AppointmentStatus{"OLD-LATER": core.AppointmentCancelled, "OLD-SOON": core.AppointmentBooked, "OLD-PAST": core.AppointmentDone}
	for i, code := range []string{"OLD-LATER", "OLD-SOON", "OLD-PAST"} {
		got := list[i]
		if got.Code != code || got.Status != want[code] || got.ServiceID != "Carta d'identità" || got.Service != "Carta d'identità" ||
			got.OfficeID != "anagrafe" || got.Office != "Anagrafe e Stato Civile" || got.End.Sub(got.Start) != 20*time.Minute ||
			got.Applicant != (core.Applicant{FiscalCode: a.FiscalCode, Name: a.Name, Surname: a.Surname, Email: a.Email, Phone: a.Phone}) ||
			got.BookedAt.After(got.Start) || got.ConfirmBy != nil || got.ConfirmedAt != nil {
			t.Errorf("%s: %+v", code, got)
		}
	}
	if other, err := st.AppointmentsAt(ctx, b.FiscalCode, "it", now); err != nil || len(other) != 1 || other[0].Status != core.AppointmentCancelled {
		t.Errorf("the other citizen's: %+v, %v", other, err)
	}
	// The demo tops up to version 3; the old rows stay; booking works.
	if added, err := st.UpgradeDemo(ctx, now); err != nil || !added {
		t.Fatalf("UpgradeDemo = %v, %v", added, err)
	}
	services, err := st.AppointmentServices(ctx, "it")
	if err != nil || len(services) != 8 {
		t.Fatalf("services %d, %v", len(services), err)
	}
	m, err := st.Availability(ctx, "anagrafe", "id_card_renewal", now, "it", now)
	if err != nil {
		t.Fatal(err)
	}
	if m.FirstFree == nil {
		m, err = st.Availability(ctx, "anagrafe", "id_card_renewal", now.AddDate(0, 1, 0), "it", now)
	}
	if err != nil || m.FirstFree == nil {
		t.Fatalf("no free slot: %+v %v", m, err)
	}
	booked, err := st.Book(ctx, NewBooking{FiscalCode: "CLMMRC74C15F205P", Service: "id_card_renewal", Office: "anagrafe",
		Start: m.FirstFree.Start, Email: "m@example.com"}, "it", now)
	if err != nil || booked.Status != core.AppointmentBooked {
		t.Fatalf("book after the migration: %+v, %v", booked, err)
	}
	if again, _ := st.AppointmentsAt(ctx, a.FiscalCode, "it", now); len(again) < 3 {
		t.Errorf("the old rows after the upgrade: %d", len(again))
	}
}

// TestCodePrefix: three letters of the town, its first and consonants.
func TestCodePrefix(t *testing.T) {
	for name, want := range map[string]string{"Comune di Valdoria": "VLD", "Comune di Ao": "AOX", "Comune di Forlì": "FRL",
		"Comune di Aieie": "AIE", "": "APP", "Comune di Città di Castello": "CTT"} {
		if got := codePrefix(name); got != want {
			t.Errorf("%q: %s, want %s", name, got, want)
		}
	}
	seen := map[string]bool{}
	for range 1000 {
		c := newCode("VLD")
		if len(c) != 13 || strings.ContainsAny(c[4:], "01IO") || seen[c] {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
}
