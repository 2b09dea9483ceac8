package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func TestOpenAppliesMigrationsOnceInOrder(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "test.db")
	fsys := fstest.MapFS{
		"m/0002_add.sql":  {Data: []byte(`INSERT INTO things (name) VALUES ('second');`)},
		"m/0001_init.sql": {Data: []byte(`CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);`)},
		"m/README.txt":    {Data: []byte(`not a migration`)},
	}
	for range 2 { // the second open must not re-apply anything
		db, err := Open(ctx, file, fsys, "m")
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM things`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("things has %d rows, want 1", n)
		}
		if v, err := Version(ctx, db); err != nil || v != 2 {
			t.Fatalf("version %d, %v; want 2", v, err)
		}
		var mode string
		if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Fatalf("journal_mode %q, %v; want wal", mode, err)
		}
		db.Close()
	}
}

func TestFailedMigrationLeavesNothingApplied(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "test.db")
	fsys := fstest.MapFS{
		"m/0001_init.sql": {Data: []byte(`CREATE TABLE a (id INTEGER); CREATE TABLE broken (`)},
	}
	if _, err := Open(ctx, file, fsys, "m"); err == nil {
		t.Fatal("a broken migration opened without error")
	}
	fsys["m/0001_init.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE a (id INTEGER);`)}
	db, err := Open(ctx, file, fsys, "m")
	if err != nil {
		t.Fatalf("after fixing the migration: %v", err)
	}
	defer db.Close()
	if v, _ := Version(ctx, db); v != 1 {
		t.Fatalf("version %d, want 1", v)
	}
}

func TestDuplicateVersionsRefused(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0001_a.sql": {Data: []byte(`SELECT 1;`)},
		"m/0001_b.sql": {Data: []byte(`SELECT 1;`)},
	}
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), fsys, "m"); err == nil {
		t.Fatal("two migrations with one version were accepted")
	}
}
