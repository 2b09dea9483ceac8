package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
)

// The sign-in state of the authorization server (package server/auth):
// authorization requests, sessions, refresh tokens and access-token IDs. The
// store keeps what it is given; hashing secrets and deciding whether a session
// is still valid are the caller's. Codes and refresh tokens arrive here as
// hashes only.

var (
	// ErrNotFound means the row asked for does not exist (or is no longer in
	// the state the query needs: an auth request already signed in, expired...).
	ErrNotFound = errors.New("not found")
	// ErrCodeReused means an authorization code was presented a second time.
	// The session its first redemption opened has been revoked.
	ErrCodeReused = errors.New("the authorization code has already been used")
	// ErrRefreshTokenReused means a rotated refresh token was presented again.
	// Its whole session has been revoked.
	ErrRefreshTokenReused = errors.New("the refresh token has already been used")
)

// Reasons recorded when a session is revoked.
const (
	RevokedCodeReused    = "authorization code reused"
	RevokedRefreshReused = "refresh token reused"
	RevokedByClient      = "revoked by the client"
	RevokedSignOut       = "signed out"
)

// AuthRequest is an OAuth 2.0 authorization request, from the authorization
// endpoint until its code is redeemed.
type AuthRequest struct {
	ID                  string
	ClientID            string
	RedirectURI         string
	Scopes              []string
	ResponseType        string
	ResponseMode        string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	CreatedAt           time.Time
	ExpiresAt           time.Time // the citizen must sign in before

	// Set when the identity provider has authenticated the citizen.
	FiscalCode string
	AuthTime   time.Time
	ACR        string
	AMR        []string

	CodeIssued    bool
	CodeExpiresAt time.Time
	CodeRedeemed  bool
	SessionID     string // the session the code opened, once redeemed
}

// Session is one sign-in of a citizen with one client.
type Session struct {
	ID            string
	FiscalCode    string
	ClientID      string
	Scopes        []string
	AuthTime      time.Time
	ACR           string
	AMR           []string
	StartedAt     time.Time
	LastUsedAt    time.Time
	RevokedAt     time.Time // zero while not revoked
	RevokedReason string
}

// Revoked reports whether the session has been revoked.
func (s Session) Revoked() bool { return !s.RevokedAt.IsZero() }

// RefreshToken is a refresh token as the store knows it: by its hash.
type RefreshToken struct {
	Hash      string
	SessionID string
	IssuedAt  time.Time
	UsedAt    time.Time // zero while not used
}

// AccessToken is the record of an issued access token: its ID (the JWT's
// jti), not the token.
type AccessToken struct {
	ID        string
	SessionID string
	ExpiresAt time.Time
}

func unix(t time.Time) int64 { return t.Unix() }

func fromUnix(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0).UTC()
}

func joinList(l []string) string { return strings.Join(l, " ") }

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}

// CreateAuthRequest records a new, pending authorization request.
func (s *Store) CreateAuthRequest(ctx context.Context, r AuthRequest) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO auth_requests (id, client_id, redirect_uri, scopes,
		response_type, response_mode, state, nonce, code_challenge, code_challenge_method, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.ClientID, r.RedirectURI, joinList(r.Scopes), r.ResponseType, r.ResponseMode, r.State, r.Nonce,
		r.CodeChallenge, r.CodeChallengeMethod, unix(r.CreatedAt), unix(r.ExpiresAt))
	return err
}

const authRequestColumns = `id, client_id, redirect_uri, scopes, response_type, response_mode, state, nonce,
	code_challenge, code_challenge_method, created_at, expires_at, fiscal_code, auth_time, acr, amr,
	code_hash IS NOT NULL, code_expires_at, code_redeemed_at IS NOT NULL, session_id`

type rowScanner interface{ Scan(dest ...any) error }

func scanAuthRequest(row rowScanner) (AuthRequest, error) {
	var r AuthRequest
	var scopes, amr string
	var created, expires int64
	var fiscalCode, sessionID sql.NullString
	var authTime, codeExpires sql.NullInt64
	err := row.Scan(&r.ID, &r.ClientID, &r.RedirectURI, &scopes, &r.ResponseType, &r.ResponseMode, &r.State,
		&r.Nonce, &r.CodeChallenge, &r.CodeChallengeMethod, &created, &expires, &fiscalCode, &authTime, &r.ACR,
		&amr, &r.CodeIssued, &codeExpires, &r.CodeRedeemed, &sessionID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, err
	}
	r.Scopes, r.AMR = splitList(scopes), splitList(amr)
	r.CreatedAt, r.ExpiresAt = time.Unix(created, 0).UTC(), time.Unix(expires, 0).UTC()
	r.FiscalCode, r.SessionID = fiscalCode.String, sessionID.String
	r.AuthTime, r.CodeExpiresAt = fromUnix(authTime), fromUnix(codeExpires)
	return r, nil
}

// AuthRequest returns the authorization request id, in whatever state it is.
func (s *Store) AuthRequest(ctx context.Context, id string) (AuthRequest, error) {
	return scanAuthRequest(s.db.QueryRowContext(ctx, `SELECT `+authRequestColumns+` FROM auth_requests WHERE id = ?`, id))
}

// CompleteAuthRequest records that fiscalCode signed in for the pending
// request id. It fails with ErrNotFound unless the request exists, is still
// pending and has not expired at now.
func (s *Store) CompleteAuthRequest(ctx context.Context, id, fiscalCode string, authTime time.Time, acr string, amr []string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE auth_requests SET fiscal_code = ?, auth_time = ?, acr = ?, amr = ?
		WHERE id = ? AND fiscal_code IS NULL AND expires_at > ?`,
		fiscalCode, unix(authTime), acr, joinList(amr), id, unix(now))
	return oneRow(res, err)
}

// SaveAuthCode records the hash of the code issued for the signed-in request
// id. A request gets one code: ErrNotFound if it has one already, is not
// signed in or has expired at now.
func (s *Store) SaveAuthCode(ctx context.Context, id, codeHash string, expires, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE auth_requests SET code_hash = ?, code_expires_at = ?
		WHERE id = ? AND fiscal_code IS NOT NULL AND code_hash IS NULL AND expires_at > ?`,
		codeHash, unix(expires), id, unix(now))
	return oneRow(res, err)
}

func oneRow(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// RedeemAuthCode marks the code with hash codeHash as used and returns its
// request. A code is good once and until it expires: an unknown or expired
// code is ErrNotFound; one presented again is ErrCodeReused, and the session
// its first redemption opened is revoked in the same transaction.
func (s *Store) RedeemAuthCode(ctx context.Context, codeHash string, now time.Time) (AuthRequest, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return AuthRequest{}, err
	}
	defer tx.Rollback()
	r, err := scanAuthRequest(tx.QueryRowContext(ctx, `SELECT `+authRequestColumns+` FROM auth_requests WHERE code_hash = ?`, codeHash))
	if err != nil {
		return r, err
	}
	if r.CodeRedeemed {
		if r.SessionID != "" {
			if err := revokeSession(ctx, tx, r.SessionID, RevokedCodeReused, now); err != nil {
				return r, err
			}
		}
		if err := tx.Commit(); err != nil {
			return r, err
		}
		return r, ErrCodeReused
	}
	if !now.Before(r.CodeExpiresAt) {
		return r, ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `UPDATE auth_requests SET code_redeemed_at = ? WHERE id = ?`, unix(now), r.ID); err != nil {
		return r, err
	}
	r.CodeRedeemed = true
	return r, tx.Commit()
}

// CreateSession opens sess with its first access token and, when
// refreshHash is set, its first refresh token. When authRequestID is set,
// the session is recorded as the one that request's code opened.
func (s *Store) CreateSession(ctx context.Context, sess Session, authRequestID string, at AccessToken, refreshHash string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, fiscal_code, client_id, scopes, auth_time, acr, amr,
		started_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sess.ID, sess.FiscalCode, sess.ClientID, joinList(sess.Scopes), unix(sess.AuthTime), sess.ACR,
		joinList(sess.AMR), unix(sess.StartedAt), unix(sess.LastUsedAt)); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if authRequestID != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE auth_requests SET session_id = ? WHERE id = ?`, sess.ID, authRequestID); err != nil {
			return err
		}
	}
	if refreshHash != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, session_id, issued_at) VALUES (?, ?, ?)`,
			refreshHash, sess.ID, unix(sess.StartedAt)); err != nil {
			return err
		}
	}
	if err := addAccessToken(ctx, tx, at); err != nil {
		return err
	}
	return tx.Commit()
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func addAccessToken(ctx context.Context, db execer, at AccessToken) error {
	_, err := db.ExecContext(ctx, `INSERT INTO access_tokens (id, session_id, expires_at) VALUES (?, ?, ?)`,
		at.ID, at.SessionID, unix(at.ExpiresAt))
	return err
}

// AddAccessToken records an access token issued in an existing session.
func (s *Store) AddAccessToken(ctx context.Context, at AccessToken) error {
	return addAccessToken(ctx, s.db, at)
}

// AccessToken returns the record of the access token with ID id.
func (s *Store) AccessToken(ctx context.Context, id string) (AccessToken, error) {
	at := AccessToken{ID: id}
	var exp int64
	err := s.db.QueryRowContext(ctx, `SELECT session_id, expires_at FROM access_tokens WHERE id = ?`, id).Scan(&at.SessionID, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return at, ErrNotFound
	}
	at.ExpiresAt = time.Unix(exp, 0).UTC()
	return at, err
}

const sessionColumns = `id, fiscal_code, client_id, scopes, auth_time, acr, amr, started_at, last_used_at,
	revoked_at, revoked_reason`

func scanSession(row rowScanner) (Session, error) {
	var sess Session
	var scopes, amr string
	var authTime, started, lastUsed int64
	var revoked sql.NullInt64
	var reason sql.NullString
	err := row.Scan(&sess.ID, &sess.FiscalCode, &sess.ClientID, &scopes, &authTime, &sess.ACR, &amr, &started,
		&lastUsed, &revoked, &reason)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, ErrNotFound
	}
	if err != nil {
		return sess, err
	}
	sess.Scopes, sess.AMR = splitList(scopes), splitList(amr)
	sess.AuthTime = time.Unix(authTime, 0).UTC()
	sess.StartedAt, sess.LastUsedAt = time.Unix(started, 0).UTC(), time.Unix(lastUsed, 0).UTC()
	sess.RevokedAt, sess.RevokedReason = fromUnix(revoked), reason.String
	return sess, nil
}

// Session returns the session id, revoked or not.
func (s *Store) Session(ctx context.Context, id string) (Session, error) {
	return scanSession(s.read.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
}

// RefreshToken returns the refresh token with hash hash and its session.
func (s *Store) RefreshToken(ctx context.Context, hash string) (RefreshToken, Session, error) {
	rt := RefreshToken{Hash: hash}
	var issued int64
	var used sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT session_id, issued_at, used_at FROM refresh_tokens WHERE token_hash = ?`, hash).
		Scan(&rt.SessionID, &issued, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return rt, Session{}, ErrNotFound
	}
	if err != nil {
		return rt, Session{}, err
	}
	rt.IssuedAt, rt.UsedAt = time.Unix(issued, 0).UTC(), fromUnix(used)
	sess, err := s.Session(ctx, rt.SessionID)
	return rt, sess, err
}

// RotateRefreshToken spends the refresh token oldHash and issues newHash and
// the access token at in the same session, all in one transaction. The old
// token must be unused: if it was used already (a replay, or two refreshes
// racing) the whole session is revoked and the answer is
// ErrRefreshTokenReused. valid decides, on the session as it is in the
// transaction, whether it may go on; its error is returned and nothing
// changes. The session's inactivity clock restarts at now.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash, newHash string, at AccessToken, now time.Time, valid func(Session) error) (Session, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Session{}, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`, unix(now), oldHash)
	if err != nil {
		return Session{}, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return Session{}, err
	}
	var sessionID string
	if err := tx.QueryRowContext(ctx, `SELECT session_id FROM refresh_tokens WHERE token_hash = ?`, oldHash).Scan(&sessionID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Session{}, ErrNotFound
		}
		return Session{}, err
	}
	if n == 0 {
		if err := revokeSession(ctx, tx, sessionID, RevokedRefreshReused, now); err != nil {
			return Session{}, err
		}
		if err := tx.Commit(); err != nil {
			return Session{}, err
		}
		return Session{}, ErrRefreshTokenReused
	}
	sess, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, sessionID))
	if err != nil {
		return sess, err
	}
	if err := valid(sess); err != nil {
		return sess, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, session_id, issued_at) VALUES (?, ?, ?)`,
		newHash, sessionID, unix(now)); err != nil {
		return sess, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_used_at = ? WHERE id = ?`, unix(now), sessionID); err != nil {
		return sess, err
	}
	at.SessionID = sessionID
	if err := addAccessToken(ctx, tx, at); err != nil {
		return sess, err
	}
	sess.LastUsedAt = time.Unix(unix(now), 0).UTC()
	return sess, tx.Commit()
}

func revokeSession(ctx context.Context, db execer, id, reason string, now time.Time) error {
	_, err := db.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL`,
		unix(now), reason, id)
	return err
}

// RevokeSession ends the session id: its refresh tokens stop working and the
// API refuses its access tokens. Revoking a revoked or unknown session is not
// an error.
func (s *Store) RevokeSession(ctx context.Context, id, reason string, now time.Time) error {
	return revokeSession(ctx, s.db, id, reason, now)
}

// RevokeCitizenSessions ends every session of fiscalCode with clientID.
func (s *Store) RevokeCitizenSessions(ctx context.Context, fiscalCode, clientID, reason string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?, revoked_reason = ?
		WHERE fiscal_code = ? AND client_id = ? AND revoked_at IS NULL`, unix(now), reason, fiscalCode, clientID)
	return err
}

// PurgeAuth deletes what sign-in no longer needs: authorization requests
// created before requestsBefore, records of access tokens that expired before
// tokensBefore, and the refresh tokens of sessions that have ended (revoked,
// started before startedBefore, or last used before idleBefore). Sessions
// themselves stay, as the record of who signed in when.
func (s *Store) PurgeAuth(ctx context.Context, requestsBefore, tokensBefore, startedBefore, idleBefore time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []struct {
		query string
		args  []any
	}{
		{`DELETE FROM auth_requests WHERE created_at < ?`, []any{unix(requestsBefore)}},
		{`DELETE FROM access_tokens WHERE expires_at < ?`, []any{unix(tokensBefore)}},
		{`DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions
			WHERE revoked_at IS NOT NULL OR started_at < ? OR last_used_at < ?)`, []any{unix(startedBefore), unix(idleBefore)}},
	} {
		if _, err := tx.ExecContext(ctx, q.query, q.args...); err != nil {
			return fmt.Errorf("purge: %w", err)
		}
	}
	return tx.Commit()
}

// Citizen returns the registry record of fiscalCode: identity, birth,
// citizenship, family and contacts (not the marriage or the identity card),
// or ErrNotFound.
func (s *Store) Citizen(ctx context.Context, fiscalCode string) (core.Citizen, error) {
	var c core.Citizen
	var birth string
	err := s.read.QueryRowContext(ctx, `SELECT fiscal_code, surname, name, sex, birth_date,
		birth_place_name, birth_place_province, birth_place_belfiore, citizenship, family_id,
		relationship, marital_status, email, phone
		FROM citizens WHERE fiscal_code = ?`, fiscalCode).Scan(&c.FiscalCode, &c.Surname, &c.Name, &c.Sex, &birth,
		&c.BirthPlace.Name, &c.BirthPlace.Province, &c.BirthPlace.Belfiore, &c.Citizenship, &c.FamilyID,
		&c.Relationship, &c.MaritalStatus, &c.Email, &c.Phone)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, err
	}
	if c.BirthDate, err = core.ParseDate(birth); err != nil {
		return c, fmt.Errorf("citizen %s: birth date: %w", c.FiscalCode, err)
	}
	return c, nil
}
