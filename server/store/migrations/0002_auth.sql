-- Sign-in: the state of the OAuth 2.0 / OpenID Connect authorization server
-- (package server/auth). Times are Unix seconds, UTC.
--
-- No secret is stored in clear: authorization codes and refresh tokens are
-- kept as the hex SHA-256 of their value, so a copy of the database cannot be
-- replayed against the server. Access tokens are signed JWTs and are not
-- stored at all, only their ID (jti). The signing key is not in the database
-- either: it has its own file next to it, <database>.oidc-key.pem.

-- A session is one sign-in of a citizen with one app installation: the family
-- of refresh tokens rotated from its first one, and the access tokens they
-- bought. It ends when revoked (sign-out, revocation, a replayed refresh token
-- or authorization code), at the server's maximum length after started_at, or
-- after its inactivity window without a refresh since last_used_at. The limits
-- are the server's configuration, applied when a session is checked.
CREATE TABLE sessions (
	id             TEXT PRIMARY KEY,
	fiscal_code    TEXT NOT NULL REFERENCES citizens (fiscal_code),
	client_id      TEXT NOT NULL,
	scopes         TEXT NOT NULL,           -- space-separated
	auth_time      INTEGER NOT NULL,        -- when the identity provider authenticated the citizen
	acr            TEXT NOT NULL DEFAULT '',
	amr            TEXT NOT NULL DEFAULT '', -- space-separated
	started_at     INTEGER NOT NULL,        -- when its first tokens were issued
	last_used_at   INTEGER NOT NULL,        -- its last refresh (or started_at)
	revoked_at     INTEGER,
	revoked_reason TEXT
);
CREATE INDEX sessions_citizen ON sessions (fiscal_code, client_id);

-- An authorization request (RFC 6749 section 4.1.1) from the authorization
-- endpoint until its code is redeemed. It is kept for a day after that, so
-- that a replayed code is recognised and the session it opened revoked
-- (RFC 6749 section 4.1.2).
CREATE TABLE auth_requests (
	id                    TEXT PRIMARY KEY,
	client_id             TEXT NOT NULL,
	redirect_uri          TEXT NOT NULL,
	scopes                TEXT NOT NULL,
	response_type         TEXT NOT NULL,
	response_mode         TEXT NOT NULL DEFAULT '',
	state                 TEXT NOT NULL DEFAULT '',
	nonce                 TEXT NOT NULL DEFAULT '',
	code_challenge        TEXT NOT NULL,
	code_challenge_method TEXT NOT NULL CHECK (code_challenge_method = 'S256'),
	created_at            INTEGER NOT NULL,
	expires_at            INTEGER NOT NULL, -- the citizen must sign in before
	fiscal_code           TEXT REFERENCES citizens (fiscal_code), -- who signed in; NULL while pending
	auth_time             INTEGER,
	acr                   TEXT NOT NULL DEFAULT '',
	amr                   TEXT NOT NULL DEFAULT '',
	code_hash             TEXT UNIQUE,      -- SHA-256 of the authorization code, once issued
	code_expires_at       INTEGER,
	code_redeemed_at      INTEGER,          -- a code is good once
	session_id            TEXT REFERENCES sessions (id) -- the session its code opened
);
CREATE INDEX auth_requests_created ON auth_requests (created_at);

-- Refresh tokens, rotated on every use: a used one stays (used_at set) for as
-- long as its session, so that presenting it again is recognised as a replay
-- and ends the whole session.
CREATE TABLE refresh_tokens (
	token_hash TEXT PRIMARY KEY,            -- hex SHA-256 of the token
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	issued_at  INTEGER NOT NULL,
	used_at    INTEGER
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- The IDs (jti) of the access tokens issued, with their session: what RFC 7009
-- revocation of an access token and the userinfo endpoint look up.
CREATE TABLE access_tokens (
	id         TEXT PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL
);
CREATE INDEX access_tokens_session ON access_tokens (session_id);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);
