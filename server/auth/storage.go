package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sportello/sportello/server/store"
)

// storage is op.Storage over the server's database: the library calls it at
// every step of the flows. The policy of this server (PKCE S256 only, strict
// redirect URIs, refresh rotation with replay detection, session limits) is
// enforced here.
type storage struct {
	p *Provider
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
	_ op.CanTerminateSessionFromRequest = (*storage)(nil)
)

// codeChallengeS256 is a BASE64URL(SHA256(verifier)), RFC 7636 section 4.2.
var codeChallengeS256 = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// refreshTokenPrefix marks, in RevokeToken, a token ID that names a refresh
// token (by its hash) rather than an access token's jti.
const refreshTokenPrefix = "refresh:"

// CreateAuthRequest is called once the library has validated the request
// against the client (redirect URI registered, response type, scopes). It
// adds this server's stricter rules, then stores it.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	switch {
	case req.ClientID != ClientID:
		return nil, oidc.ErrInvalidRequestRedirectURI().WithDescription("unknown client")
	case !redirectAllowed(req.RedirectURI):
		// Not redirected: the URI is the problem (RFC 6749 section 4.1.2.1).
		return nil, oidc.ErrInvalidRequestRedirectURI().WithDescription("The redirect_uri is not registered for this client. " +
			"Native apps use http://127.0.0.1:PORT/callback, http://[::1]:PORT/callback or " + RedirectPhone + ".")
	case req.CodeChallenge == "":
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE is required: send code_challenge with code_challenge_method S256")
	case req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	case !codeChallengeS256.MatchString(req.CodeChallenge):
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge is not a base64url SHA-256")
	case !slices.Contains(req.Scopes, oidc.ScopeOpenID):
		return nil, oidc.ErrInvalidScope().WithDescription("the scope must include openid")
	case req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery:
		return nil, oidc.ErrInvalidRequest().WithDescription("response_mode must be query")
	case slices.Contains(req.Prompt, oidc.PromptNone):
		// The browser holds no session with this server: there is always a
		// citizen to ask.
		return nil, oidc.ErrLoginRequired()
	case s.p.cfg.IdentityProvider == nil:
		return nil, oidc.ErrAccessDenied().WithDescription("this server has no identity provider: nobody can sign in here yet")
	}
	// Unknown and unregistered scopes are ignored (RFC 6749 section 3.3).
	scopes := slices.DeleteFunc(slices.Clone(req.Scopes), func(sc string) bool { return !slices.Contains(Scopes, sc) })
	now := s.p.now()
	s.p.purge(ctx, now)
	r := store.AuthRequest{ID: randomID(), ClientID: req.ClientID, RedirectURI: req.RedirectURI, Scopes: scopes,
		ResponseType: string(req.ResponseType), ResponseMode: string(req.ResponseMode), State: req.State,
		Nonce: req.Nonce, CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod),
		CreatedAt: now, ExpiresAt: now.Add(authRequestTTL)}
	if err := s.p.st.CreateAuthRequest(ctx, r); err != nil {
		return nil, err
	}
	return &authRequest{AuthRequest: r}, nil
}

// AuthRequestByID is called at the callback the identity provider sends the
// browser to. A request that already has its code is not found: the
// callback gives one code per sign-in.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.p.st.AuthRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.CodeIssued || !s.p.now().Before(r.ExpiresAt) {
		return nil, store.ErrNotFound
	}
	return &authRequest{AuthRequest: r}, nil
}

// SaveAuthCode stores the code's hash, never the code.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	now := s.p.now()
	if err := s.p.st.SaveAuthCode(ctx, id, hash(code), now.Add(codeTTL), now); err != nil {
		return oidc.ErrInvalidRequest().WithDescription("the sign-in is finished or has expired").WithParent(err)
	}
	return nil
}

// AuthRequestByCode redeems the code: it is good once. A code presented
// again revokes the session it opened (RFC 6749 section 4.1.2).
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.p.st.RedeemAuthCode(ctx, hash(code), s.p.now())
	if errors.Is(err, store.ErrCodeReused) {
		s.p.log.Warn("authorization code reused: its session is revoked", "auth_request", r.ID, "session", r.SessionID)
	}
	if err != nil {
		return nil, err
	}
	return &authRequest{AuthRequest: r}, nil
}

// DeleteAuthRequest is called once the code has bought its tokens. The
// request stays, redeemed, so that a replayed code is recognised; the purge
// deletes it a day later.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// CreateAccessToken serves a code exchange without offline_access: the
// session gets no refresh token.
func (s *storage) CreateAccessToken(ctx context.Context, request op.TokenRequest) (string, time.Time, error) {
	ar, ok := request.(*authRequest)
	if !ok {
		return "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	at, err := s.openSession(ctx, ar, "")
	return at.ID, at.ExpiresAt, err
}

// CreateAccessAndRefreshTokens serves a code exchange with offline_access
// (a new session and its first refresh token) and a refresh (rotation).
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, request op.TokenRequest, currentRefreshToken string) (string, string, time.Time, error) {
	refresh := randomString(32)
	switch r := request.(type) {
	case *authRequest:
		at, err := s.openSession(ctx, r, hash(refresh))
		return at.ID, refresh, at.ExpiresAt, err
	case *refreshRequest:
		if hash(currentRefreshToken) != r.tokenHash {
			return "", "", time.Time{}, oidc.ErrInvalidGrant()
		}
		now := s.p.now()
		at := store.AccessToken{ID: randomID(), ExpiresAt: now.Add(s.p.cfg.AccessTokenTTL)}
		_, err := s.p.st.RotateRefreshToken(ctx, r.tokenHash, hash(refresh), at, now, func(sess store.Session) error {
			return s.p.checkSession(sess, now)
		})
		switch {
		case errors.Is(err, store.ErrRefreshTokenReused):
			s.p.log.Warn("refresh token reused: its session is revoked", "session", r.session.ID)
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the refresh token was already used: the session has been ended").WithParent(err)
		case errors.Is(err, store.ErrNotFound), errors.Is(err, ErrSessionEnded):
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithParent(err)
		case err != nil:
			return "", "", time.Time{}, err
		}
		return at.ID, refresh, at.ExpiresAt, nil
	}
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
}

// openSession starts the session a redeemed code opens, with its first
// access token and, if refreshHash is set, its first refresh token.
func (s *storage) openSession(ctx context.Context, ar *authRequest, refreshHash string) (store.AccessToken, error) {
	now := s.p.now()
	sess := store.Session{ID: randomID(), FiscalCode: ar.FiscalCode, ClientID: ar.ClientID, Scopes: ar.Scopes,
		AuthTime: ar.AuthTime, ACR: ar.ACR, AMR: ar.AMR, StartedAt: now, LastUsedAt: now}
	at := store.AccessToken{ID: randomID(), SessionID: sess.ID, ExpiresAt: now.Add(s.p.cfg.AccessTokenTTL)}
	if err := s.p.st.CreateSession(ctx, sess, ar.ID, at, refreshHash); err != nil {
		return at, err
	}
	ar.sessionID = sess.ID
	s.p.log.Info("session started", "session", sess.ID, "acr", sess.ACR)
	return at, nil
}

// TokenRequestByRefreshToken is the refresh grant's lookup. A used token is a
// replay (or a stolen copy racing its owner): the whole session is revoked.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	h := hash(token)
	rt, sess, err := s.p.st.RefreshToken(ctx, h)
	if err != nil {
		return nil, err
	}
	now := s.p.now()
	if !rt.UsedAt.IsZero() {
		if err := s.p.st.RevokeSession(ctx, sess.ID, store.RevokedRefreshReused, now); err != nil {
			return nil, err
		}
		s.p.log.Warn("refresh token reused: its session is revoked", "session", sess.ID)
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token was already used: the session has been ended").WithParent(store.ErrRefreshTokenReused)
	}
	if err := s.p.checkSession(sess, now); err != nil {
		return nil, err
	}
	return &refreshRequest{session: sess, tokenHash: h, scopes: sess.Scopes}, nil
}

// TerminateSession ends every session of userID with clientID. The library
// calls TerminateSessionFromRequest instead; this is the interface's due.
func (s *storage) TerminateSession(ctx context.Context, userID, clientID string) error {
	return s.p.st.RevokeCitizenSessions(ctx, userID, clientID, store.RevokedSignOut, s.p.now())
}

// TerminateSessionFromRequest is RP-initiated logout: the session named by
// the ID token hint's sid ends. Without a hint there is nothing to end.
func (s *storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	if req.RedirectURI != s.p.cfg.Issuer+PathSignedOut {
		base, query, _ := strings.Cut(req.RedirectURI, "?")
		if !postLogoutRedirectAllowed(base) || (query != "" && !strings.HasPrefix(query, "state=")) {
			return "", oidc.ErrInvalidRequest().WithDescription("post_logout_redirect_uri is not registered for this client")
		}
	}
	if c := req.IDTokenHintClaims; c != nil {
		sid := c.SessionID
		if sid == "" {
			sid, _ = c.Claims["sid"].(string)
		}
		sess, err := s.p.st.Session(ctx, sid)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return "", err
		case sess.FiscalCode == c.Subject:
			if err := s.p.st.RevokeSession(ctx, sess.ID, store.RevokedSignOut, s.p.now()); err != nil {
				return "", err
			}
			s.p.log.Info("session ended by sign-out", "session", sess.ID)
		}
	}
	return req.RedirectURI, nil
}

// GetRefreshTokenInfo serves revocation: it tells the library the token is a
// refresh token, and names it by its hash.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	h := hash(token)
	_, sess, err := s.p.st.RefreshToken(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return "", "", op.ErrInvalidRefreshToken
	}
	if err != nil {
		return "", "", err
	}
	return sess.FiscalCode, refreshTokenPrefix + h, nil
}

// RevokeToken is RFC 7009 revocation: revoking a refresh token or an access
// token ends its whole session. tokenOrTokenID is a refresh token's
// "refresh:<hash>", a verified access token's jti, or the raw token when the
// library could not make it out (an expired access token: still signed by
// us, it names its session). Unknown tokens are not an error (section 2.2).
func (s *storage) RevokeToken(ctx context.Context, tokenOrTokenID, _, clientID string) *oidc.Error {
	sessionID, err := s.revocationSession(ctx, tokenOrTokenID)
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if sessionID == "" {
		return nil
	}
	sess, err := s.p.st.Session(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if sess.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
	}
	if err := s.p.st.RevokeSession(ctx, sess.ID, store.RevokedByClient, s.p.now()); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	s.p.log.Info("session revoked by the client", "session", sess.ID)
	return nil
}

// revocationSession finds the session a revoked token belongs to, or "".
func (s *storage) revocationSession(ctx context.Context, tokenOrTokenID string) (string, error) {
	if h, ok := strings.CutPrefix(tokenOrTokenID, refreshTokenPrefix); ok {
		rt, _, err := s.p.st.RefreshToken(ctx, h)
		if errors.Is(err, store.ErrNotFound) {
			return "", nil
		}
		return rt.SessionID, err
	}
	at, err := s.p.st.AccessToken(ctx, tokenOrTokenID)
	if err == nil {
		return at.SessionID, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	// A JWT of ours the library refused (expired): its signature still
	// proves which session it speaks for.
	tok, err := jwt.ParseSigned(tokenOrTokenID, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return "", nil
	}
	var std jwt.Claims
	var priv accessClaims
	if tok.Claims(s.p.cfg.Key.Public(), &std, &priv) != nil || std.Issuer != s.p.cfg.Issuer {
		return "", nil
	}
	return priv.SessionID, nil
}

// SigningKey implements op.Storage.
func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{s.p.cfg.Key}, nil
}

// SignatureAlgorithms implements op.Storage.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}

// KeySet is the JWKS: the public half of the one signing key.
func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.p.cfg.Key}}, nil
}

// GetClientByClientID knows one client.
func (s *storage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	if clientID != ClientID {
		return nil, fmt.Errorf("unknown client %q", clientID)
	}
	return s.p.client, nil
}

// AuthorizeClientIDSecret refuses: the one client is public and has no secret.
func (s *storage) AuthorizeClientIDSecret(context.Context, string, string) error {
	return errors.New("no client of this server authenticates with a secret")
}

// SetUserinfoFromScopes is deprecated in the library: SetUserinfoFromRequest
// does the work.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token: the citizen's names with
// profile, and the session ID (sid).
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, request op.IDTokenRequest, scopes []string) error {
	if err := s.userinfo(ctx, info, request.GetSubject(), scopes); err != nil {
		return err
	}
	if sid := sessionOf(request); sid != "" {
		info.AppendClaims("sid", sid)
	}
	return nil
}

// SetUserinfoFromToken serves the userinfo endpoint, for a verified access
// token whose session must still be active.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	at, err := s.p.st.AccessToken(ctx, tokenID)
	if err != nil {
		return errors.New("unknown access token")
	}
	sess, err := s.p.st.Session(ctx, at.SessionID)
	if err != nil {
		return err
	}
	if sess.FiscalCode != subject {
		return errors.New("the access token belongs to someone else")
	}
	if err := s.p.checkSession(sess, s.p.now()); err != nil {
		return err
	}
	return s.userinfo(ctx, info, subject, sess.Scopes)
}

func (s *storage) userinfo(ctx context.Context, info *oidc.UserInfo, fiscalCode string, scopes []string) error {
	c, err := s.p.st.Citizen(ctx, fiscalCode)
	if err != nil {
		return fmt.Errorf("citizen %s: %w", fiscalCode, err)
	}
	info.Subject = c.FiscalCode
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = c.Name + " " + c.Surname
		info.GivenName = c.Name
		info.FamilyName = c.Surname
	}
	return nil
}

// SetIntrospectionFromToken: introspection is not served (no resource
// server but this one, which verifies tokens itself).
func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection is not supported")
}

// GetPrivateClaimsFromScopes is the fallback of GetPrivateClaimsFromRequest.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest adds the session ID (sid) to access tokens: the
// API checks that session on every request.
func (s *storage) GetPrivateClaimsFromRequest(_ context.Context, request op.TokenRequest, _ []string) (map[string]any, error) {
	sid := sessionOf(request)
	if sid == "" {
		return nil, errors.New("an access token outside any session")
	}
	return map[string]any{"sid": sid}, nil
}

// GetKeyByIDAndClientID: no client signs JWTs (no private_key_jwt, no JWT
// profile grant).
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("no client keys are registered")
}

// ValidateJWTProfileScopes: the JWT profile grant is not supported.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

// Health implements op.Storage.
func (s *storage) Health(ctx context.Context) error { return s.p.st.Ping(ctx) }

// signingKey is the key as op.SigningKey.
type signingKey struct{ k *SigningKey }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k signingKey) Key() any                                    { return k.k.key }
func (k signingKey) ID() string                                  { return k.k.id }

// publicKey is the key's public half as op.Key, for the JWKS.
type publicKey struct{ k *SigningKey }

func (k publicKey) ID() string                         { return k.k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.k.Public() }
