// Package signin signs the citizen in to their municipality's backend and
// keeps them signed in.
//
// The backend is the OAuth 2.0 / OpenID Connect authorization server (it is the
// SPID/CIE relying party; the app never talks to an identity provider itself).
// The app is a public native client (RFC 8252): authorization code with PKCE
// S256 in the system browser, redirect to a loopback listener on 127.0.0.1,
// ID token verified with coreos/go-oidc (issuer, audience, expiry, nonce),
// tokens exchanged and refreshed with golang.org/x/oauth2. Tokens live only in
// the OS secret store (core.SecretStore). A rejected refresh means the session
// has ended at the server: the tokens are dropped and ErrSessionEnded says so.
package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sportello/sportello/core"
)

// ClientID is the app's registration at every Sportello backend.
const ClientID = "sportello-app"

// Scopes asked at sign-in: offline_access brings the refresh token that
// keeps the citizen signed in for months.
var Scopes = []string{oidc.ScopeOpenID, "profile", oidc.ScopeOfflineAccess}

const secretKey = "session-tokens"

var (
	ErrNotSignedIn  = errors.New("not signed in")
	ErrSessionEnded = errors.New("the session has ended: sign in again")
	ErrDenied       = errors.New("sign-in was refused or cancelled at the municipality")
	ErrBadCallback  = errors.New("the sign-in answer does not belong to this attempt")
)

// SessionProblem reports an error that a cached copy of personal data must
// not hide: the session is over, or the server refuses this citizen this
// data (401, 403).
func SessionProblem(err error) bool {
	var p *core.Problem
	return errors.Is(err, ErrSessionEnded) || errors.Is(err, ErrNotSignedIn) ||
		(errors.As(err, &p) && (p.Status == 401 || p.Status == 403))
}

// Session is a signed-in citizen as the device keeps it, in the secret store.
type Session struct {
	Site         string    `json:"site"` // connection.Current.Site of the municipality
	Subject      string    `json:"sub"`  // the citizen's fiscal code
	Name         string    `json:"name"` // for greetings, from the ID token
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"` // of the access token
	SignedInAt   time.Time `json:"signed_in_at"`
}

// Service signs in and out, and hands out access tokens.
type Service struct {
	secrets core.SecretStore
	http    *http.Client

	mu sync.Mutex // serialises token refreshes: a rotated refresh token may be used once
}

// New returns a Service keeping its tokens in secrets.
func New(secrets core.SecretStore) *Service {
	return &Service{secrets: secrets, http: &http.Client{Timeout: 20 * time.Second}}
}

// Current returns the session for site, or ErrNotSignedIn.
func (s *Service) Current(site string) (Session, error) {
	raw, err := s.secrets.Get(secretKey)
	if errors.Is(err, core.ErrSecretNotFound) {
		return Session{}, ErrNotSignedIn
	}
	if err != nil {
		return Session{}, err
	}
	var sess Session
	if err := json.Unmarshal(raw, &sess); err != nil || sess.RefreshToken == "" {
		// Unreadable leftovers are no session; drop them rather than fail forever.
		_ = s.secrets.Delete(secretKey)
		return Session{}, ErrNotSignedIn
	}
	if sess.Site != site {
		return Session{}, ErrNotSignedIn
	}
	return sess, nil
}

func (s *Service) save(sess Session) error {
	raw, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	return s.secrets.Set(secretKey, raw)
}

// Forget drops the session's tokens from the device (no server call).
func (s *Service) Forget() error { return s.secrets.Delete(secretKey) }

// backend is what discovery tells about a municipality's server.
type backend struct {
	provider   *oidc.Provider
	config     oauth2.Config
	revocation string
}

func (s *Service) ctx(ctx context.Context) context.Context {
	ctx = oidc.ClientContext(ctx, s.http)
	return context.WithValue(ctx, oauth2.HTTPClient, s.http)
}

// discover reads the backend's OpenID configuration; issuer is its base URL.
func (s *Service) discover(ctx context.Context, issuer, redirectURL string) (*backend, error) {
	p, err := oidc.NewProvider(s.ctx(ctx), issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery: %v", core.ErrUnreachable, err)
	}
	endpoint := p.Endpoint()
	// A public client sends client_id in the form. Auto-detection would retry
	// a failed exchange in another style, spending the code a second time.
	endpoint.AuthStyle = oauth2.AuthStyleInParams
	var extra struct {
		Revocation string `json:"revocation_endpoint"`
	}
	_ = p.Claims(&extra)
	return &backend{
		provider: p,
		config: oauth2.Config{
			ClientID:    ClientID,
			Endpoint:    endpoint,
			RedirectURL: redirectURL,
			Scopes:      Scopes,
		},
		revocation: extra.Revocation,
	}, nil
}

// Token returns a valid access token for site, refreshing it when it is about
// to expire or when force is set (the API answered 401). Rotated refresh
// tokens are saved before the new access token is handed out.
func (s *Service) Token(ctx context.Context, site, issuer string, force bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.Current(site)
	if err != nil {
		return "", err
	}
	if !force && time.Until(sess.Expiry) > 30*time.Second {
		return sess.AccessToken, nil
	}
	b, err := s.discover(ctx, issuer, "")
	if err != nil {
		return "", err
	}
	old := &oauth2.Token{RefreshToken: sess.RefreshToken, Expiry: time.Unix(1, 0)}
	tok, err := b.config.TokenSource(s.ctx(ctx), old).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.Response.StatusCode == http.StatusUnauthorized) {
			_ = s.Forget()
			return "", ErrSessionEnded
		}
		return "", fmt.Errorf("%w: refresh: %v", core.ErrUnreachable, err)
	}
	sess.AccessToken, sess.Expiry = tok.AccessToken, tok.Expiry
	if tok.RefreshToken != "" {
		sess.RefreshToken = tok.RefreshToken
	}
	if err := s.save(sess); err != nil {
		return "", err
	}
	return sess.AccessToken, nil
}

// SignOut ends the session at the server (RFC 7009 revocation of the refresh
// token, which ends its whole session there) and forgets it here. The local
// part always happens: a server that cannot be reached does not keep the
// citizen signed in on this device.
func (s *Service) SignOut(ctx context.Context, site, issuer string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, err := s.Current(site)
	if errors.Is(err, ErrNotSignedIn) {
		return s.Forget()
	}
	var revokeErr error
	if err == nil {
		revokeErr = s.revoke(ctx, issuer, sess.RefreshToken)
	}
	if ferr := s.Forget(); ferr != nil {
		return ferr
	}
	return revokeErr
}

func (s *Service) revoke(ctx context.Context, issuer, refreshToken string) error {
	b, err := s.discover(ctx, issuer, "")
	if err != nil {
		return err
	}
	if b.revocation == "" {
		return fmt.Errorf("%w: the server publishes no revocation endpoint", core.ErrBadResponse)
	}
	form := url.Values{"token": {refreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {ClientID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.revocation, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: revoke: %v", core.ErrUnreachable, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: revoke answered %d", core.ErrBadResponse, resp.StatusCode)
	}
	return nil
}
