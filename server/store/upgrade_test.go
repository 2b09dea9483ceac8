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
