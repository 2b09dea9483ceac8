// Package trust keeps an offline verifier's trust data: for each
// municipality it synced from, the pinned trust anchor, the signed list of
// glyph-signing keys and the revoked certificates, in a SQLite file
// (docs/trust.md). Load hands it to core/verify.
//
// Pinning: a verifier pins a municipality's trust anchor when it first
// syncs from it, either the key its operator handed over (the stronger
// way: sportello-server trust-anchor prints it) or, failing that, the key
// the server publishes at that first sync (trust on first use). From then
// on every list must verify with the pinned key, and a server that starts
// answering with another key is refused, not followed.
//
// Revocations sync incrementally: the store keeps the sequence it holds the
// entries up to and asks the server only for what came after, in chunks.
// A list whose sequence goes backwards (a replayed old list, or a server
// restored from a backup) is refused: remove the municipality and add it
// again to start over.
package trust

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/sqlite"
	"github.com/sportello/sportello/core/verify"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the trust store's file in a directory: the app's storage,
// or the directory sportello-verify --trust names.
const FileName = "trust.db"

var (
	// ErrAnchorMismatch: the server's lists are signed by another key than
	// the pinned one, or the key given differs from the one pinned.
	ErrAnchorMismatch = errors.New("trust: the trust anchor differs from the one pinned for this municipality")
	// ErrIssuerMismatch: the lists name another municipality than before,
	// or each other.
	ErrIssuerMismatch = errors.New("trust: the lists are of another municipality")
	// ErrRollback: the server's revocation list is older than what the
	// store holds.
	ErrRollback = errors.New("trust: the server's revocation list is older than the one held")
	// ErrNotFound: no trust data for that site.
	ErrNotFound = errors.New("trust: no such municipality")
)

// maxChunks bounds one sync: 2,000 chunks of 5,000 are ten million
// revocations, far beyond any municipality.
const maxChunks = 2000

// Store is the trust data on disk. Safe for concurrent use.
type Store struct {
	db *sql.DB
	// Now is the clock, time.Now unless a test sets it.
	Now func() time.Time
}

// Open opens (creating and migrating) the trust store file.
func Open(ctx context.Context, file string) (*Store, error) {
	db, err := sqlite.Open(ctx, file, migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return &Store{db: db, Now: time.Now}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Source is what the store holds for one municipality.
type Source struct {
	Site        string // the key: "demo" or the server's base URL
	URL         string
	Name        string
	ISTAT       string
	Anchor      *ecdsa.PublicKey
	AnchorPEM   []byte
	Sequence    uint64 // revocations held up to this sequence
	Revocations int    // entries held
	SyncedAt    time.Time
	IssuedAt    time.Time // when the older of its two lists was signed
}

// Sources lists the municipalities synced from, by name.
func (s *Store) Sources(ctx context.Context) ([]Source, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT site, url, name, istat, anchor_pem, trust_list, revocation_seq,
		revocations_issued_at, synced_at, (SELECT count(*) FROM trust_revocations r WHERE r.site = s.site)
		FROM trust_sources s ORDER BY name, site`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		var src Source
		var list []byte
		var seq, revAt, synced int64
		if err := rows.Scan(&src.Site, &src.URL, &src.Name, &src.ISTAT, &src.AnchorPEM, &list, &seq, &revAt, &synced,
			&src.Revocations); err != nil {
			return nil, err
		}
		if src.Anchor, err = certificates.ParsePublicKeyPEM(src.AnchorPEM); err != nil {
			return nil, fmt.Errorf("trust: the anchor pinned for %s: %w", src.Site, err)
		}
		src.Sequence, src.SyncedAt = uint64(seq), time.Unix(synced, 0).UTC()
		src.IssuedAt = time.Unix(revAt, 0).UTC()
		if tl, err := certificates.ParseTrustList(list, src.Anchor); err == nil && tl.IssuedAt.Before(src.IssuedAt) {
			src.IssuedAt = tl.IssuedAt
		}
		out = append(out, src)
	}
	return out, rows.Err()
}

// Remove forgets a municipality: its pinned anchor, keys and revocations.
func (s *Store) Remove(ctx context.Context, site string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM trust_sources WHERE site = ?`, site)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Load reads the trust data for core/verify, verifying every trust list
// again with its pinned anchor.
func (s *Store) Load(ctx context.Context) (*verify.TrustData, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT site, url, name, anchor_pem, trust_list, revocation_seq,
		revocations_issued_at, synced_at FROM trust_sources ORDER BY synced_at`)
	if err != nil {
		return nil, err
	}
	type loaded struct {
		site string
		iss  *verify.Issuer
	}
	var all []loaded
	for rows.Next() {
		var site, url, name string
		var anchorPEM, list []byte
		var seq, revAt, synced int64
		if err := rows.Scan(&site, &url, &name, &anchorPEM, &list, &seq, &revAt, &synced); err != nil {
			rows.Close()
			return nil, err
		}
		anchor, err := certificates.ParsePublicKeyPEM(anchorPEM)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("trust: the anchor pinned for %s: %w", site, err)
		}
		tl, err := certificates.ParseTrustList(list, anchor)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("trust: the trust list held for %s: %w", site, err)
		}
		all = append(all, loaded{site, &verify.Issuer{ISTAT: tl.Issuer, Name: name, Source: url, Signers: tl,
			SyncedAt: time.Unix(synced, 0).UTC(),
			Revocations: &certificates.RevocationList{Issuer: tl.Issuer, IssuedAt: time.Unix(revAt, 0).UTC(),
				Sequence: uint64(seq), Latest: uint64(seq)}}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	td := &verify.TrustData{}
	for _, l := range all {
		hashes, err := s.hashes(ctx, l.site)
		if err != nil {
			return nil, err
		}
		l.iss.Revocations.Hashes = hashes
		td.Add(l.iss) // ordered by sync time: the latest sync of an ISTAT code wins
	}
	return td, nil
}

func (s *Store) hashes(ctx context.Context, site string) ([][certificates.RevocationHashSize]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT hash FROM trust_revocations WHERE site = ? ORDER BY hash`, site)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][certificates.RevocationHashSize]byte
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		if len(h) == certificates.RevocationHashSize {
			out = append(out, [certificates.RevocationHashSize]byte(h))
		}
	}
	return out, rows.Err()
}

// SyncResult tells what a sync did.
type SyncResult struct {
	Source Source
	// PinnedNow is set when this sync pinned the anchor.
	PinnedNow bool
	// Added revocations; Snapshot when they replaced what was held.
	Added    int
	Snapshot bool
	Chunks   int
}

// Sync downloads a municipality's trust data from client and stores it
// under site, all or nothing: on any error the store keeps what it had.
// anchorPEM, when not nil, is the trust anchor the operator handed over; it
// must equal the one pinned, if any. With neither, the server's anchor is
// pinned now (trust on first use).
func (s *Store) Sync(ctx context.Context, site string, client *api.Client, anchorPEM []byte) (SyncResult, error) {
	var res SyncResult
	var held struct {
		anchor []byte
		istat  string
		seq    int64
	}
	err := s.db.QueryRowContext(ctx, `SELECT anchor_pem, istat, revocation_seq FROM trust_sources WHERE site = ?`, site).
		Scan(&held.anchor, &held.istat, &held.seq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return res, err
	}
	pinnedPEM := held.anchor
	if anchorPEM != nil {
		given, err := certificates.ParsePublicKeyPEM(anchorPEM)
		if err != nil {
			return res, err
		}
		if pinnedPEM != nil {
			pinned, err := certificates.ParsePublicKeyPEM(pinnedPEM)
			if err != nil || !pinned.Equal(given) {
				return res, ErrAnchorMismatch
			}
		}
		pinnedPEM = anchorPEM
	}
	if pinnedPEM == nil {
		if pinnedPEM, err = client.TrustAnchor(ctx); err != nil {
			return res, err
		}
		res.PinnedNow = true
	}
	anchor, err := certificates.ParsePublicKeyPEM(pinnedPEM)
	if err != nil {
		return res, fmt.Errorf("%w: the server's trust anchor: %v", core.ErrBadResponse, err)
	}

	rawList, err := client.TrustList(ctx)
	if err != nil {
		return res, err
	}
	tl, err := certificates.ParseTrustList(rawList, anchor)
	if errors.Is(err, certificates.ErrListSignature) && !res.PinnedNow {
		return res, ErrAnchorMismatch
	}
	if err != nil {
		return res, err
	}
	if held.istat != "" && tl.Issuer != held.istat {
		return res, fmt.Errorf("%w: %s, was %s", ErrIssuerMismatch, tl.Issuer, held.istat)
	}

	since := uint64(held.seq)
	var added [][certificates.RevocationHashSize]byte
	issuedAt := tl.IssuedAt
	for {
		if res.Chunks++; res.Chunks > maxChunks {
			return res, fmt.Errorf("%w: more than %d revocation chunks", core.ErrBadResponse, maxChunks)
		}
		raw, err := client.RevocationsSince(ctx, since)
		if err != nil {
			return res, err
		}
		chunk, err := certificates.ParseRevocationList(raw, anchor)
		if err != nil {
			return res, err
		}
		if chunk.Issuer != tl.Issuer {
			return res, fmt.Errorf("%w: revocations of %s, trust list of %s", ErrIssuerMismatch, chunk.Issuer, tl.Issuer)
		}
		switch {
		case chunk.Since == since:
		case chunk.Since == 0 && res.Chunks == 1 && chunk.Latest < uint64(held.seq):
			return res, fmt.Errorf("%w: sequence %d, held %d", ErrRollback, chunk.Latest, held.seq)
		default:
			return res, fmt.Errorf("%w: asked for revocations after %d, got a chunk after %d", core.ErrBadResponse, since, chunk.Since)
		}
		if chunk.Sequence == since && chunk.Sequence < chunk.Latest {
			return res, fmt.Errorf("%w: a revocation chunk that does not advance", core.ErrBadResponse)
		}
		added = append(added, chunk.Hashes...)
		if chunk.IssuedAt.Before(issuedAt) {
			issuedAt = chunk.IssuedAt
		}
		since = chunk.Sequence
		if since >= chunk.Latest {
			break
		}
	}
	res.Snapshot = held.seq == 0
	res.Added = len(added)

	name := ""
	if m, _, _, err := client.Municipality(ctx, ""); err == nil {
		name = m.Name
	}
	now := s.Now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO trust_sources (site, url, name, istat, anchor_pem, trust_list,
		revocation_seq, revocations_issued_at, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (site) DO UPDATE SET url = excluded.url, name = CASE WHEN excluded.name = '' THEN name ELSE excluded.name END,
		istat = excluded.istat, anchor_pem = excluded.anchor_pem, trust_list = excluded.trust_list,
		revocation_seq = excluded.revocation_seq, revocations_issued_at = excluded.revocations_issued_at,
		synced_at = excluded.synced_at`,
		site, client.BaseURL(), name, tl.Issuer, pinnedPEM, rawList, int64(since), issuedAt.Unix(), now.Unix()); err != nil {
		return res, err
	}
	if len(added) > 0 {
		slices.SortFunc(added, func(a, b [certificates.RevocationHashSize]byte) int { return bytes.Compare(a[:], b[:]) })
		stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO trust_revocations (site, hash) VALUES (?, ?)`)
		if err != nil {
			return res, err
		}
		defer stmt.Close()
		for _, h := range added {
			if _, err := stmt.ExecContext(ctx, site, h[:]); err != nil {
				return res, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return res, err
	}
	srcs, err := s.Sources(ctx)
	if err != nil {
		return res, err
	}
	for _, src := range srcs {
		if src.Site == site {
			res.Source = src
		}
	}
	return res, nil
}
