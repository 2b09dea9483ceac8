package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/core"
)

// Issued is a certificate ready to be recorded: the row, its glyph and its
// PDF, rendered before the transaction that records them.
type Issued struct {
	Certificate core.Certificate // Serial, Type, Subject, IssuedOn, ValidUntil, Copy, Glyph
	Holder      string           // the fiscal code of whom it is issued to
	IssuedAt    time.Time
	MarcaID     string // empty unless paid with a marca da bollo
	MarcaDate   core.Date
	Exemption   string // the exempt use's code, if any
	SignerKID   string // hex
	PDF         []byte
}

// Idempotency identifies a request by its caller and Idempotency-Key, with
// the hash of what was asked.
type Idempotency struct {
	Caller, Key string
	RequestHash []byte
}

// ErrIdempotencyConflict: the caller used the key before for another
// request.
var ErrIdempotencyConflict = errors.New("the idempotency key was used for another request")

// MarcaReusedError: a marca da bollo of the batch already paid for a
// certificate.
type MarcaReusedError struct{ IDs []string }

func (e *MarcaReusedError) Error() string {
	return fmt.Sprintf("marca da bollo already used: %v", e.IDs)
}

// IdempotentResponse is the answer recorded for the caller's key: found is
// false when there is none. An answer recorded for a different request is
// ErrIdempotencyConflict.
func (s *Store) IdempotentResponse(ctx context.Context, id Idempotency) (response []byte, found bool, err error) {
	return idempotentResponse(ctx, s.db, id)
}

func idempotentResponse(ctx context.Context, q queryer, id Idempotency) ([]byte, bool, error) {
	var hash, response []byte
	err := q.QueryRowContext(ctx, `SELECT request_hash, response FROM certificate_requests
		WHERE caller = ? AND idempotency_key = ?`, id.Caller, id.Key).Scan(&hash, &response)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	case !bytes.Equal(hash, id.RequestHash):
		return nil, true, ErrIdempotencyConflict
	}
	return response, true, nil
}

// IssueCertificates records a batch, the copies of one request, in one
// transaction: all of them or none. With an idempotency key, the answer
// response is recorded with them; if the key was used meanwhile, nothing is
// recorded and the earlier answer is returned (replayed true), or
// ErrIdempotencyConflict. A marca da bollo used before is a
// *MarcaReusedError.
func (s *Store) IssueCertificates(ctx context.Context, batch []Issued, id *Idempotency, response []byte, now time.Time) (earlier []byte, replayed bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one issue at a time
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	if id != nil {
		earlier, found, err := idempotentResponse(ctx, tx, *id)
		if err != nil || found {
			return earlier, found, err
		}
	}
	var reused []string
	for _, c := range batch {
		if c.MarcaID == "" {
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM certificates WHERE marca_id = ?`, c.MarcaID).Scan(&n); err != nil {
			return nil, false, err
		}
		if n > 0 {
			reused = append(reused, c.MarcaID)
		}
	}
	if len(reused) > 0 {
		return nil, false, &MarcaReusedError{IDs: reused}
	}
	for _, c := range batch {
		cert := c.Certificate
		var marcaID, marcaDate, exemption any
		if c.MarcaID != "" {
			marcaID, marcaDate = c.MarcaID, c.MarcaDate.String()
		}
		if c.Exemption != "" {
			exemption = c.Exemption
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO certificates (serial, fiscal_code, type, subject_fiscal_code,
			subject_surname, subject_name, subject_birth_date, issued_on, valid_until, revoked, issued_at, copy,
			marca_id, marca_date, exemption, signer_kid, glyph) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)`,
			cert.Serial, c.Holder, cert.Type, cert.Subject.FiscalCode, cert.Subject.Surname, cert.Subject.Name,
			cert.Subject.BirthDate.String(), cert.IssuedOn.String(), nullDate(cert.ValidUntil), c.IssuedAt.Unix(),
			cert.Copy, marcaID, marcaDate, exemption, c.SignerKID, cert.Glyph); err != nil {
			return nil, false, fmt.Errorf("certificate %s: %w", cert.Serial, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO certificate_documents (serial, pdf) VALUES (?, ?)`,
			cert.Serial, c.PDF); err != nil {
			return nil, false, fmt.Errorf("certificate %s: %w", cert.Serial, err)
		}
	}
	if id != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO certificate_requests (caller, idempotency_key, request_hash,
			response, created_at) VALUES (?, ?, ?, ?, ?)`, id.Caller, id.Key, id.RequestHash, response, now.Unix()); err != nil {
			return nil, false, err
		}
	}
	return nil, false, tx.Commit()
}

// CertificatePDF is the PDF of a certificate and the fiscal code of its
// holder; ErrNotFound for an unknown serial.
func (s *Store) CertificatePDF(ctx context.Context, serial string) (holder string, pdf []byte, err error) {
	err = s.read.QueryRowContext(ctx, `SELECT c.fiscal_code, d.pdf FROM certificates c
		JOIN certificate_documents d ON d.serial = c.serial WHERE c.serial = ?`, serial).Scan(&holder, &pdf)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, ErrNotFound
	}
	return holder, pdf, err
}

// Revoke revokes a certificate at now, giving it the next sequence of the
// revocation list. Revoking it again changes nothing. ErrNotFound for an
// unknown serial.
func (s *Store) Revoke(ctx context.Context, serial string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE certificates SET revoked = 1, revoked_at = ?,
		revoked_seq = (SELECT coalesce(max(revoked_seq), 0) + 1 FROM certificates)
		WHERE serial = ? AND revoked_seq IS NULL`, now.Unix(), serial)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var one int
	err = s.db.QueryRowContext(ctx, `SELECT 1 FROM certificates WHERE serial = ?`, serial).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// RevocationSequence is the sequence of the latest revocation, 0 when
// nothing was revoked: the revocation list's version.
func (s *Store) RevocationSequence(ctx context.Context) (uint64, error) {
	var seq int64
	err := s.read.QueryRowContext(ctx, `SELECT coalesce(max(revoked_seq), 0) FROM certificates`).Scan(&seq)
	return uint64(seq), err
}

// Revoked lists the serials of the revoked certificates and the sequence of
// the latest revocation, read together.
func (s *Store) Revoked(ctx context.Context) (serials []string, seq uint64, err error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT serial, revoked_seq FROM certificates WHERE revoked_seq IS NOT NULL
		ORDER BY revoked_seq`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var serial string
		var n int64
		if err := rows.Scan(&serial, &n); err != nil {
			return nil, 0, err
		}
		serials = append(serials, serial)
		seq = uint64(n)
	}
	return serials, seq, rows.Err()
}

// RevokedSince lists, in order, the serials of at most limit revocations
// with a sequence after since, the sequence of the last one listed (since
// when none) and the sequence of the latest revocation, read together: one
// chunk of an incremental sync.
func (s *Store) RevokedSince(ctx context.Context, since uint64, limit int) (serials []string, last, latest uint64, err error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, 0, err
	}
	defer tx.Rollback()
	var top int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(revoked_seq), 0) FROM certificates`).Scan(&top); err != nil {
		return nil, 0, 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT serial, revoked_seq FROM certificates WHERE revoked_seq > ?
		ORDER BY revoked_seq LIMIT ?`, int64(since), limit)
	if err != nil {
		return nil, 0, 0, err
	}
	defer rows.Close()
	last = since
	for rows.Next() {
		var serial string
		var n int64
		if err := rows.Scan(&serial, &n); err != nil {
			return nil, 0, 0, err
		}
		serials = append(serials, serial)
		last = uint64(n)
	}
	return serials, last, uint64(top), rows.Err()
}

// CertificateCounts counts the rows of the certificate tables: the
// certificates, their documents and the recorded requests. For tests and
// operators: nothing half-issued stays behind.
func (s *Store) CertificateCounts(ctx context.Context) (certs, docs, requests int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM certificates),
		(SELECT count(*) FROM certificate_documents), (SELECT count(*) FROM certificate_requests)`).
		Scan(&certs, &docs, &requests)
	return
}

// FamilyRecords lists the registry family of the citizen, the citizen
// included, the head first, then by birth; ErrNotFound for someone not in
// the registry.
func (s *Store) FamilyRecords(ctx context.Context, fiscalCode string) ([]core.Citizen, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT o.fiscal_code, o.surname, o.name, o.sex, o.birth_date,
		o.birth_place_name, o.birth_place_province, o.birth_place_belfiore, o.citizenship, o.family_id,
		o.relationship, o.marital_status
		FROM citizens c JOIN citizens o ON o.family_id = c.family_id WHERE c.fiscal_code = ?
		ORDER BY o.relationship != 'head', o.birth_date, o.fiscal_code`, fiscalCode)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.Citizen
	for rows.Next() {
		var c core.Citizen
		var birth string
		if err := rows.Scan(&c.FiscalCode, &c.Surname, &c.Name, &c.Sex, &birth, &c.BirthPlace.Name,
			&c.BirthPlace.Province, &c.BirthPlace.Belfiore, &c.Citizenship, &c.FamilyID, &c.Relationship,
			&c.MaritalStatus); err != nil {
			return nil, err
		}
		if c.BirthDate, err = parseDate(birth); err != nil {
			return nil, fmt.Errorf("citizen %s: birth date: %w", c.FiscalCode, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out, nil
}
