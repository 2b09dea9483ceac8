// Package store is the app's local database on the device: settings the core
// owns and the cache that lets screens show at once and offline. It opens its
// SQLite file through core/sqlite.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"time"

	"github.com/sportello/sportello/core/sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the device database.
type Store struct {
	db *sql.DB
}

// Open opens the database file, creating and migrating it as needed.
func Open(ctx context.Context, file string) (*Store, error) {
	db, err := sqlite.Open(ctx, file, migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Setting returns the value of key, and false when it was never set.
func (s *Store) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// SetSetting stores value under key.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// DeleteSetting forgets key.
func (s *Store) DeleteSetting(ctx context.Context, key string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, key)
	return err
}

// Cached is a public answer kept on the device.
type Cached struct {
	Data      []byte
	ETag      string
	MediaType string
	FetchedAt time.Time
}

// CacheGet returns the cached answer under key, and false when there is none.
func (s *Store) CacheGet(ctx context.Context, key string) (Cached, bool, error) {
	var c Cached
	var fetched string
	err := s.db.QueryRowContext(ctx, `SELECT data, etag, media_type, fetched_at FROM public_cache WHERE key = ?`, key).
		Scan(&c.Data, &c.ETag, &c.MediaType, &fetched)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	c.FetchedAt, err = time.Parse(time.RFC3339Nano, fetched)
	return c, err == nil, err
}

// CachePut stores an answer under key, replacing what was there.
func (s *Store) CachePut(ctx context.Context, key string, c Cached) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO public_cache (key, etag, media_type, data, fetched_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET etag = excluded.etag,
		media_type = excluded.media_type, data = excluded.data, fetched_at = excluded.fetched_at`,
		key, c.ETag, c.MediaType, c.Data, c.FetchedAt.UTC().Format(time.RFC3339Nano))
	return err
}

// CacheTouch records that the answer under key was confirmed current at t
// (a 304 from the server).
func (s *Store) CacheTouch(ctx context.Context, key string, t time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE public_cache SET fetched_at = ? WHERE key = ?`,
		t.UTC().Format(time.RFC3339Nano), key)
	return err
}
