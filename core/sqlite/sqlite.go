// Package sqlite is the one place Sportello opens an SQLite database, on the
// device and on the reference server alike. It uses modernc.org/sqlite (pure
// Go, so the core cross-compiles without cgo), turns on WAL, foreign keys and
// a busy timeout, and applies versioned migrations.
//
// The migration runner is hand-written: it is twenty lines over database/sql,
// and the migration libraries would bring their own drivers and CLIs along.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Open opens (creating it if needed) the database file at file and applies
// every migration in dir of migrations that is not applied yet. Migration
// files are named NNNN_description.sql and run in the order of NNNN, each in
// its own transaction together with its row in schema_migrations.
func Open(ctx context.Context, file string, migrations fs.FS, dir string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// BEGIN IMMEDIATE takes the write lock at the start of a transaction, so two
	// writers queue on the busy timeout instead of failing with SQLITE_BUSY when
	// one of them upgrades a read lock.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	if err := Migrate(ctx, db, migrations, dir); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

type migration struct {
	version int
	name    string
}

// Migrate applies the migrations of dir that db has not seen yet.
func Migrate(ctx context.Context, db *sql.DB, migrations fs.FS, dir string) error {
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	var todo []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return fmt.Errorf("migration %q: name must start with a positive number and an underscore", name)
		}
		todo = append(todo, migration{v, name})
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i].version < todo[j].version })
	for i := 1; i < len(todo); i++ {
		if todo[i].version == todo[i-1].version {
			return fmt.Errorf("migrations %q and %q share version %d", todo[i-1].name, todo[i].name, todo[i].version)
		}
	}

	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range todo {
		if err := apply(ctx, db, migrations, path.Join(dir, m.name), m); err != nil {
			return err
		}
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, migrations fs.FS, file string, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var seen int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&seen); err != nil {
		return err
	}
	if seen > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations, file)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.version, m.name); err != nil {
		return err
	}
	return tx.Commit()
}

// Version reports the highest migration applied to db.
func Version(ctx context.Context, db *sql.DB) (int, error) {
	var v sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}
