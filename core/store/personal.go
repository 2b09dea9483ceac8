package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The personal cache holds answers about the signed-in citizen, sealed with
// core/vault: the store never sees plaintext. Callers seal with the row key as
// associated data,
//
//	sealed, err := v.Seal(plain, []byte(key))
//	err = st.PersonalPut(ctx, key, sealed, etag, now)
//	...
//	sealed, etag, fetched, ok, err := st.PersonalGet(ctx, key)
//	plain, err := v.Open(sealed, []byte(key))
//
// so a sealed value copied under another key fails to open. PutSealed and
// GetSealed do exactly that for a value kept as JSON.

// Sealer seals and opens personal rows: core/vault's Vault.
type Sealer interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(sealed, associatedData []byte) ([]byte, error)
}

// PutSealed stores value as JSON, sealed by v with key as associated data.
func (s *Store) PutSealed(ctx context.Context, v Sealer, key string, value any, etag string, fetchedAt time.Time) error {
	plain, err := json.Marshal(value)
	if err != nil {
		return err
	}
	sealed, err := v.Seal(plain, []byte(key))
	if err != nil {
		return err
	}
	return s.PersonalPut(ctx, key, sealed, etag, fetchedAt)
}

// GetSealed opens the row under key into value. ok is false when there is
// none, or when it cannot be opened (sealed with a key destroyed at
// sign-out) or decoded: a cache that is as good as absent.
func (s *Store) GetSealed(ctx context.Context, v Sealer, key string, value any) (etag string, fetchedAt time.Time, ok bool, err error) {
	sealed, etag, fetchedAt, ok, err := s.PersonalGet(ctx, key)
	if err != nil || !ok {
		return "", time.Time{}, false, err
	}
	plain, err := v.Open(sealed, []byte(key))
	if err != nil {
		return "", time.Time{}, false, nil
	}
	if err := json.Unmarshal(plain, value); err != nil {
		return "", time.Time{}, false, nil
	}
	return etag, fetchedAt, true, nil
}

// PersonalPut stores the sealed answer under key, replacing what was there.
func (s *Store) PersonalPut(ctx context.Context, key string, sealed []byte, etag string, fetchedAt time.Time) error {
	if sealed == nil {
		sealed = []byte{}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO personal_cache (key, sealed, etag, fetched_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET sealed = excluded.sealed,
		etag = excluded.etag, fetched_at = excluded.fetched_at`,
		key, sealed, etag, fetchedAt.UTC().Format(time.RFC3339Nano))
	return err
}

// PersonalGet returns the sealed answer under key, and ok false when there is
// none.
func (s *Store) PersonalGet(ctx context.Context, key string) (sealed []byte, etag string, fetchedAt time.Time, ok bool, err error) {
	var fetched string
	err = s.db.QueryRowContext(ctx, `SELECT sealed, etag, fetched_at FROM personal_cache WHERE key = ?`, key).
		Scan(&sealed, &etag, &fetched)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", time.Time{}, false, nil
	}
	if err != nil {
		return nil, "", time.Time{}, false, err
	}
	fetchedAt, err = time.Parse(time.RFC3339Nano, fetched)
	if err != nil {
		return nil, "", time.Time{}, false, err
	}
	return sealed, etag, fetchedAt, true, nil
}

// WipePersonal deletes the whole personal cache (at sign-out), then
// checkpoints the write-ahead log into the database file, truncating the log,
// and rebuilds the file with VACUUM, so no freed page or log frame keeps the
// old bytes. A last checkpoint moves the rebuilt pages, which VACUUM wrote
// to the log, into the file.
func (s *Store) WipePersonal(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM personal_cache`); err != nil {
		return fmt.Errorf("wipe personal cache: %w", err)
	}
	if err := s.checkpoint(ctx); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("wipe personal cache: vacuum: %w", err)
	}
	return s.checkpoint(ctx)
}

// checkpoint runs a TRUNCATE checkpoint and fails when a reader kept it from
// completing.
func (s *Store) checkpoint(ctx context.Context) error {
	var busy, logFrames, checkpointed int
	err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed)
	if err != nil {
		return fmt.Errorf("wipe personal cache: checkpoint: %w", err)
	}
	if busy != 0 {
		return errors.New("wipe personal cache: checkpoint: the database is busy")
	}
	return nil
}
