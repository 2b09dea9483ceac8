package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/sportello/sportello/server/store"
)

// The paths the authorization server answers on, relative to the issuer.
// They are the op package's defaults; TestEndpoints checks discovery agrees.
const (
	PathDiscovery         = "/.well-known/openid-configuration"
	PathKeys              = "/keys"
	PathAuthorize         = "/authorize"
	PathAuthorizeCallback = "/authorize/callback"
	PathToken             = "/oauth/token"
	PathUserinfo          = "/userinfo"
	PathRevoke            = "/revoke"
	PathEndSession        = "/end_session"
	PathSignedOut         = "/signed-out" // where end_session lands with no redirect of the app's
)

// Defaults of Config.
const (
	DefaultSessionMax     = 365 * 24 * time.Hour // 12 months from sign-in
	DefaultSessionIdle    = 90 * 24 * time.Hour  // 90 days without a refresh
	DefaultAccessTokenTTL = 10 * time.Minute
)

const (
	authRequestTTL = 15 * time.Minute // to sign in at the identity provider
	codeTTL        = 5 * time.Minute  // RFC 6749 section 4.1.2: short, 10 minutes at most
	purgeEvery     = time.Hour
	// nbfLeeway tolerates the clock of the library, which stamps iat and nbf
	// with the wall clock, running ahead of Config.Now.
	nbfLeeway = time.Minute
)

// Config configures a Provider.
type Config struct {
	// Issuer is the server's public base URL, "https://sportello.comune.example":
	// the iss of its tokens and the base of its endpoints. http is allowed
	// (for loopback and tests); a real deployment uses https.
	Issuer string
	// Key signs the tokens (LoadOrCreateKey).
	Key *SigningKey
	// IdentityProvider authenticates the citizens; nil means nobody can sign
	// in through the browser (the operator command still mints tokens).
	IdentityProvider IdentityProvider
	// SessionMax is how long a session may last from sign-in at most,
	// SessionIdle how long it survives without a refresh. Zero: the defaults.
	SessionMax  time.Duration
	SessionIdle time.Duration
	// AccessTokenTTL is the life of access tokens; zero: 10 minutes.
	AccessTokenTTL time.Duration
	// Now is the clock; nil: time.Now. Tests move it.
	Now func() time.Time
	// Log receives the server's notes on sign-in; nil: discarded.
	Log *slog.Logger
}

// Provider is the authorization server.
type Provider struct {
	cfg     Config
	st      *store.Store
	op      *op.Provider
	storage *storage
	client  *client
	idp     http.Handler // nil without an identity provider
	log     *slog.Logger

	purgeMu   sync.Mutex
	lastPurge time.Time
}

var _ Authenticator = (*Provider)(nil)

// New returns the authorization server over the database st.
func New(st *store.Store, cfg Config) (*Provider, error) {
	if cfg.Key == nil {
		return nil, errors.New("auth: no signing key")
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	u, err := url.Parse(cfg.Issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("auth: the issuer %q is not an http(s) base URL", cfg.Issuer)
	}
	if cfg.SessionMax == 0 {
		cfg.SessionMax = DefaultSessionMax
	}
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = DefaultSessionIdle
	}
	if cfg.AccessTokenTTL == 0 {
		cfg.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if cfg.SessionMax < 0 || cfg.SessionIdle < 0 || cfg.AccessTokenTTL < 0 {
		return nil, errors.New("auth: negative session or token lifetime")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}

	p := &Provider{cfg: cfg, st: st, log: cfg.Log}
	p.client = &client{loginURL: p.loginURL}
	p.storage = &storage{p: p}
	if cfg.IdentityProvider != nil {
		p.idp = cfg.IdentityProvider.Handler(p)
	}

	var cryptoKey [32]byte // encrypts authorization codes; they live minutes, so a fresh key per start is enough
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, err
	}
	opts := []op.Option{op.WithCORSOptions(nil)} // a native app needs no cross-origin access
	if u.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure())
	}
	p.op, err = op.NewProvider(&op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: cfg.Issuer + PathSignedOut,
		CodeMethodS256:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.Italian, language.English},
		SupportedScopes:          Scopes,
		SupportedClaims: []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp",
			"at_hash", "c_hash", "sid", "name", "given_name", "family_name"},
	}, p.storage, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return p, nil
}

// Issuer is the server's public base URL, the iss of its tokens.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// SessionIdle is how long a session survives without a refresh.
func (p *Provider) SessionIdle() time.Duration { return p.cfg.SessionIdle }

func (p *Provider) now() time.Time { return p.cfg.Now() }

func (p *Provider) loginURL(authRequestID string) string {
	if p.cfg.IdentityProvider == nil {
		return p.cfg.Issuer + PathSignedOut // never reached: CreateAuthRequest refuses first
	}
	login := p.cfg.IdentityProvider.LoginURL(authRequestID)
	if strings.HasPrefix(login, "/") {
		return p.cfg.Issuer + login
	}
	return login
}

// Handler answers the authorization server's endpoints (the Path constants
// but PathSignedOut, which is SignedOut): the server routes those paths to it.
func (p *Provider) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == PathDiscovery {
			p.discovery(w, r)
			return
		}
		p.op.ServeHTTP(w, r)
	})
}

// SignedOut is the page end_session lands on when the app names no
// post_logout_redirect_uri of its own (PathSignedOut).
func (p *Provider) SignedOut(w http.ResponseWriter, r *http.Request) {
	renderPage(w, http.StatusOK, signedOutPage{pageText(r)}, p.log)
}

// IdentityProviderHandler serves the identity provider's pages, or is nil
// when there is none.
func (p *Provider) IdentityProviderHandler() http.Handler { return p.idp }

// discovery is the library's discovery document, trimmed to what this
// server does: no introspection, device flow, implicit or hybrid flows, and
// client authentication "none" only, since its one client is public.
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	ctx := op.ContextWithIssuer(r.Context(), p.cfg.Issuer)
	c := op.CreateDiscoveryConfig(ctx, p.op, p.storage)
	c.IntrospectionEndpoint = ""
	c.IntrospectionEndpointAuthMethodsSupported = nil
	c.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	c.DeviceAuthorizationEndpoint = ""
	c.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	c.ResponseModesSupported = []string{string(oidc.ResponseModeQuery)}
	c.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	c.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodNone}
	c.TokenEndpointAuthSigningAlgValuesSupported = nil
	c.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodNone}
	c.RevocationEndpointAuthSigningAlgValuesSupported = nil
	c.RequestObjectSigningAlgValuesSupported = nil
	w.Header().Set("Cache-Control", "public, max-age=300")
	op.Discover(w, c)
}

// Principal is who an access token speaks for.
type Principal struct {
	FiscalCode string // the subject
	SessionID  string // the sid claim
}

var (
	// ErrInvalidToken: the access token is malformed, not signed by this
	// server, not for this audience or expired.
	ErrInvalidToken = errors.New("invalid access token")
	// ErrSessionEnded: the token's session was revoked or has expired.
	ErrSessionEnded = errors.New("the session has ended")
)

// accessClaims are the claims Verify reads beyond the registered ones.
type accessClaims struct {
	SessionID string `json:"sid"`
}

// Verify checks an access token as a resource server: signature with this
// server's key (ES256 only), iss, aud containing ClientID, exp against the
// clock, then its session, which must be active. Errors wrap ErrInvalidToken
// or ErrSessionEnded, or are the database's.
func (p *Provider) Verify(ctx context.Context, raw string) (Principal, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	var std jwt.Claims
	var priv accessClaims
	if err := tok.Claims(p.cfg.Key.Public(), &std, &priv); err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	now := p.now()
	switch {
	case std.Issuer != p.cfg.Issuer:
		return Principal{}, fmt.Errorf("%w: issued by %q", ErrInvalidToken, std.Issuer)
	case !slices.Contains(std.Audience, ClientID):
		return Principal{}, fmt.Errorf("%w: not for this audience", ErrInvalidToken)
	case std.Expiry == nil || !now.Before(std.Expiry.Time()):
		return Principal{}, fmt.Errorf("%w: expired", ErrInvalidToken)
	case std.NotBefore != nil && now.Add(nbfLeeway).Before(std.NotBefore.Time()):
		return Principal{}, fmt.Errorf("%w: not valid yet", ErrInvalidToken)
	case std.Subject == "" || priv.SessionID == "":
		return Principal{}, fmt.Errorf("%w: no subject or session", ErrInvalidToken)
	}
	sess, err := p.st.Session(ctx, priv.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, fmt.Errorf("%w: unknown session", ErrSessionEnded)
	}
	if err != nil {
		return Principal{}, err
	}
	if sess.FiscalCode != std.Subject || sess.ClientID != ClientID {
		return Principal{}, fmt.Errorf("%w: the session belongs to someone else", ErrInvalidToken)
	}
	if err := p.checkSession(sess, now); err != nil {
		return Principal{}, err
	}
	return Principal{FiscalCode: sess.FiscalCode, SessionID: sess.ID}, nil
}

// sessionEnd is when sess ends if nothing happens: the earlier of its
// maximum length and the end of its inactivity window.
func (p *Provider) sessionEnd(sess store.Session) time.Time {
	absolute := sess.StartedAt.Add(p.cfg.SessionMax)
	idle := sess.LastUsedAt.Add(p.cfg.SessionIdle)
	if idle.Before(absolute) {
		return idle
	}
	return absolute
}

// checkSession returns nil if sess is active at now, or why it is not.
func (p *Provider) checkSession(sess store.Session, now time.Time) error {
	switch {
	case sess.Revoked():
		return fmt.Errorf("%w: revoked (%s)", ErrSessionEnded, sess.RevokedReason)
	case !now.Before(sess.StartedAt.Add(p.cfg.SessionMax)):
		return fmt.Errorf("%w: it reached its maximum length", ErrSessionEnded)
	case !now.Before(sess.LastUsedAt.Add(p.cfg.SessionIdle)):
		return fmt.Errorf("%w: unused for too long", ErrSessionEnded)
	}
	return nil
}

// SessionInfo describes an active session.
type SessionInfo struct {
	ID          string
	FiscalCode  string
	StartedAt   time.Time
	ExpiresAt   time.Time // the earlier of the maximum length and the end of the inactivity window, as of now
	IdleTimeout time.Duration
}

// Session describes the session id, which must be active (ErrSessionEnded).
func (p *Provider) Session(ctx context.Context, id string) (SessionInfo, error) {
	sess, err := p.st.Session(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return SessionInfo{}, fmt.Errorf("%w: unknown session", ErrSessionEnded)
	}
	if err != nil {
		return SessionInfo{}, err
	}
	if err := p.checkSession(sess, p.now()); err != nil {
		return SessionInfo{}, err
	}
	return SessionInfo{ID: sess.ID, FiscalCode: sess.FiscalCode, StartedAt: sess.StartedAt,
		ExpiresAt: p.sessionEnd(sess), IdleTimeout: p.cfg.SessionIdle}, nil
}

// IssueAccessToken mints an access token for fiscalCode valid for ttl, in a
// new session of its own (no refresh token): for operators and scripted
// tests. It fails with ErrUnknownCitizen for a fiscal code not in the
// registry.
func (p *Provider) IssueAccessToken(ctx context.Context, fiscalCode string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", errors.New("auth: the token's life must be positive")
	}
	if _, err := p.st.Citizen(ctx, fiscalCode); errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: %s", ErrUnknownCitizen, fiscalCode)
	} else if err != nil {
		return "", err
	}
	now := p.now()
	sess := store.Session{ID: randomID(), FiscalCode: fiscalCode, ClientID: ClientID,
		Scopes: []string{oidc.ScopeOpenID, oidc.ScopeProfile}, AuthTime: now, ACR: ACROperator,
		StartedAt: now, LastUsedAt: now}
	at := store.AccessToken{ID: randomID(), SessionID: sess.ID, ExpiresAt: now.Add(ttl)}
	if err := p.st.CreateSession(ctx, sess, "", at, ""); err != nil {
		return "", err
	}
	req := &issuedRequest{subject: fiscalCode, sessionID: sess.ID, scopes: sess.Scopes}
	ctx = op.ContextWithIssuer(ctx, p.cfg.Issuer)
	return op.CreateJWT(ctx, p.cfg.Issuer, req, at.ExpiresAt, at.ID, p.client, p.storage)
}

// Pending implements Authenticator.
func (p *Provider) Pending(ctx context.Context, authRequestID string) error {
	r, err := p.st.AuthRequest(ctx, authRequestID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrUnknownRequest
	}
	if err != nil {
		return err
	}
	if r.FiscalCode != "" || !p.now().Before(r.ExpiresAt) {
		return ErrUnknownRequest
	}
	return nil
}

// Complete implements Authenticator.
func (p *Provider) Complete(ctx context.Context, authRequestID string, who Identity) (string, error) {
	if _, err := p.st.Citizen(ctx, who.FiscalCode); errors.Is(err, store.ErrNotFound) {
		return "", ErrUnknownCitizen
	} else if err != nil {
		return "", err
	}
	now := p.now()
	authTime := who.AuthTime
	if authTime.IsZero() {
		authTime = now
	}
	err := p.st.CompleteAuthRequest(ctx, authRequestID, who.FiscalCode, authTime, who.ACR, who.AMR, now)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrUnknownRequest
	}
	if err != nil {
		return "", err
	}
	p.log.Info("citizen authenticated", "auth_request", authRequestID, "acr", who.ACR)
	ctx = op.ContextWithIssuer(ctx, p.cfg.Issuer)
	return op.AuthCallbackURL(p.op)(ctx, authRequestID), nil
}

// purge drops expired sign-in records, at most once per purgeEvery.
func (p *Provider) purge(ctx context.Context, now time.Time) {
	p.purgeMu.Lock()
	due := now.Sub(p.lastPurge) >= purgeEvery
	if due {
		p.lastPurge = now
	}
	p.purgeMu.Unlock()
	if !due {
		return
	}
	day := 24 * time.Hour
	err := p.st.PurgeAuth(ctx, now.Add(-day), now.Add(-day), now.Add(-p.cfg.SessionMax), now.Add(-p.cfg.SessionIdle))
	if err != nil {
		p.log.Error("purge sign-in records", "err", err)
	}
}

// randomID is 128 random bits, URL-safe.
func randomID() string { return randomString(16) }

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hash is how codes and refresh tokens are stored: hex SHA-256.
func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
