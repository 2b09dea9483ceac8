package signin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/codicefiscale"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/platform/secrets"
	"github.com/sportello/sportello/server"
)

func TestMain(m *testing.M) {
	// The OpenID Connect libraries log refused requests to the default
	// logger, and these tests make some on purpose.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

var quiet = slog.New(slog.DiscardHandler)

// backend is the reference server with the demo municipality and the test
// identity provider, on 127.0.0.1.
type backend struct {
	t    *testing.T
	dir  string // holds the server's files only
	URL  string // base URL and issuer
	once sync.Once
	r    *server.Running
}

func startBackend(t *testing.T) *backend {
	t.Helper()
	dir := t.TempDir()
	r, err := server.Start(context.Background(), filepath.Join(dir, "server.db"), "127.0.0.1:0", true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{t: t, dir: dir, URL: r.URL, r: r}
	t.Cleanup(b.Stop)
	return b
}

// Stop shuts the server down; later calls do nothing.
func (b *backend) Stop() {
	b.once.Do(func() {
		if err := b.r.Close(context.Background()); err != nil {
			b.t.Errorf("stop the server: %v", err)
		}
	})
}

// tokenEndpoint reads the token endpoint from the server's discovery document.
func (b *backend) tokenEndpoint() string {
	b.t.Helper()
	resp, err := http.Get(b.URL + "/.well-known/openid-configuration")
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || d.TokenEndpoint == "" {
		b.t.Fatalf("discovery: %v, token_endpoint %q", err, d.TokenEndpoint)
	}
	return d.TokenEndpoint
}

// refresh presents refreshToken at the token endpoint, as a copy of the app
// would, and returns the status and the OAuth error code, if any.
func (b *backend) refresh(refreshToken string) (int, string) {
	b.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {signin.ClientID}}
	resp, err := http.PostForm(b.tokenEndpoint(), form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
	return resp.StatusCode, body.Error
}

// me calls GET /api/v1/me with accessToken and returns the status and the
// fiscal code answered.
func (b *backend) me(accessToken string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var c core.Citizen
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&c)
	return resp.StatusCode, c.FiscalCode
}

// identities lists the test identities and checks there are plenty.
func identities(t *testing.T, s *signin.Service, b *backend) []signin.Identity {
	t.Helper()
	ids, err := s.TestIdentities(context.Background(), b.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) < 20 {
		t.Fatalf("%d test identities, want at least 20", len(ids))
	}
	return ids
}

// begin starts an attempt that is closed at the end of the test.
func begin(t *testing.T, s *signin.Service, site string, b *backend) *signin.Attempt {
	t.Helper()
	a, err := s.Begin(context.Background(), site, b.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// signIn runs a whole sign-in as the first test identity.
func signIn(t *testing.T, s *signin.Service, site string, b *backend) (signin.Session, signin.Identity) {
	t.Helper()
	ctx := context.Background()
	id := identities(t, s, b)[0]
	a := begin(t, s, site, b)
	if err := a.CompleteAsTestIdentity(ctx, id.FiscalCode); err != nil {
		t.Fatal(err)
	}
	sess, err := a.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return sess, id
}

// authQuery is the query of the attempt's authorization URL (state,
// redirect_uri, ...).
func authQuery(t *testing.T, a *signin.Attempt) url.Values {
	t.Helper()
	u, err := url.Parse(a.AuthURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("state") == "" || q.Get("redirect_uri") == "" {
		t.Fatalf("the authorization URL has no state or redirect_uri: %s", a.AuthURL)
	}
	return q
}

// callback sends the browser's redirect, with query, to the attempt's
// loopback listener and returns the status.
func callback(t *testing.T, a *signin.Attempt, query url.Values) int {
	t.Helper()
	resp, err := http.Get(authQuery(t, a).Get("redirect_uri") + "?" + query.Encode())
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func storedSession(t *testing.T, store core.SecretStore) (signin.Session, bool) {
	t.Helper()
	raw, err := store.Get("session-tokens")
	if errors.Is(err, core.ErrSecretNotFound) {
		return signin.Session{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	var s signin.Session
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("the stored session is not JSON: %v", err)
	}
	return s, true
}

// emptyDirs points the places a program could write to on its own (home,
// configuration, cache, temporary files) at new empty directories, and
// returns them.
func emptyDirs(t *testing.T) []string {
	t.Helper()
	root := t.TempDir()
	var dirs []string
	for _, env := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "TMPDIR"} {
		d := filepath.Join(root, strings.ToLower(env))
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv(env, d)
		dirs = append(dirs, d)
	}
	return dirs
}

func TestSignIn(t *testing.T) {
	dirs := emptyDirs(t)
	b := startBackend(t)
	ctx := context.Background()
	store := secrets.Memory()
	s := signin.New(store)
	const site, otherSite = "demo", "https://comune.example"

	ids := identities(t, s, b)
	for _, id := range ids {
		if err := codicefiscale.Validate(id.FiscalCode); err != nil {
			t.Errorf("test identity %q: %v", id.FiscalCode, err)
		}
		if id.Surname == "" || id.Name == "" {
			t.Errorf("test identity %q has no surname or name", id.FiscalCode)
		}
	}
	if _, err := s.Current(site); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Fatalf("Current before sign-in: %v, want ErrNotSignedIn", err)
	}

	first := ids[0]
	a := begin(t, s, site, b)
	q := authQuery(t, a)
	for k, want := range map[string]string{"client_id": signin.ClientID, "response_type": "code", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("authorization URL %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") || q.Get("nonce") == "" || q.Get("code_challenge") == "" {
		t.Errorf("authorization URL: %s", a.AuthURL)
	}
	if err := a.CompleteAsTestIdentity(ctx, first.FiscalCode); err != nil {
		t.Fatal(err)
	}
	sess, err := a.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Subject != first.FiscalCode || sess.Site != site {
		t.Errorf("session for %q at %q, want %q at %q", sess.Subject, sess.Site, first.FiscalCode, site)
	}
	if sess.Name == "" || !strings.Contains(sess.Name, first.Name) {
		t.Errorf("session name %q, want one with %q", sess.Name, first.Name)
	}
	if sess.AccessToken == "" || sess.RefreshToken == "" || sess.Expiry.IsZero() || sess.SignedInAt.IsZero() {
		t.Errorf("incomplete session: access %t, refresh %t, expiry %v, signed in %v",
			sess.AccessToken != "", sess.RefreshToken != "", sess.Expiry, sess.SignedInAt)
	}
	if status, cf := b.me(sess.AccessToken); status != http.StatusOK || cf != first.FiscalCode {
		t.Errorf("the access token at /api/v1/me: %d %q", status, cf)
	}

	cur, err := s.Current(site)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Subject != sess.Subject || cur.AccessToken != sess.AccessToken || cur.RefreshToken != sess.RefreshToken {
		t.Errorf("Current = %+v, want the session Wait returned", cur.Subject)
	}
	if _, err := s.Current(otherSite); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Errorf("Current(another site) = %v, want ErrNotSignedIn", err)
	}
	stored, ok := storedSession(t, store)
	if !ok {
		t.Fatal(`the secret store has no "session-tokens"`)
	}
	if stored.Subject != sess.Subject || stored.RefreshToken != sess.RefreshToken || stored.AccessToken != sess.AccessToken || stored.Site != site {
		t.Error(`"session-tokens" does not hold the session`)
	}

	// Nothing on disk: the test's directories hold the server's files only.
	a.Close()
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "server.db") {
			t.Errorf("unexpected file next to the server's: %s", e.Name())
		}
	}
	for _, d := range dirs {
		if entries, err := os.ReadDir(d); err != nil || len(entries) != 0 {
			t.Errorf("%s: %v, %d entries; want it empty", d, err, len(entries))
		}
	}
}

func TestStrayCallbacksAreIgnored(t *testing.T) {
	b := startBackend(t)
	ctx := context.Background()
	store := secrets.Memory()
	s := signin.New(store)
	id := identities(t, s, b)[0]
	a := begin(t, s, "demo", b)
	state := authQuery(t, a).Get("state")

	for _, q := range []url.Values{
		{"state": {"wrong"}, "code": {"x"}},
		{"state": {"wrong"}, "error": {"access_denied"}},
		{"code": {"x"}},
		{"state": {state}}, // no code, no error
	} {
		if status := callback(t, a, q); status != http.StatusBadRequest {
			t.Errorf("callback %s answered %d, want 400", q.Encode(), status)
		}
	}
	if _, ok := storedSession(t, store); ok {
		t.Fatal("a stray callback saved a session")
	}
	// Had a stray callback been taken as the answer, Wait would return it.
	if err := a.CompleteAsTestIdentity(ctx, id.FiscalCode); err != nil {
		t.Fatal(err)
	}
	sess, err := a.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait after stray callbacks: %v", err)
	}
	if sess.Subject != id.FiscalCode {
		t.Errorf("signed in as %q, want %q", sess.Subject, id.FiscalCode)
	}
}

func TestDeniedCallback(t *testing.T) {
	b := startBackend(t)
	store := secrets.Memory()
	s := signin.New(store)
	a := begin(t, s, "demo", b)
	state := authQuery(t, a).Get("state")
	if status := callback(t, a, url.Values{"state": {state}, "error": {"access_denied"}}); status != http.StatusBadRequest {
		t.Errorf("denied callback answered %d, want 400", status)
	}
	if _, err := a.Wait(context.Background()); !errors.Is(err, signin.ErrDenied) {
		t.Fatalf("Wait = %v, want ErrDenied", err)
	}
	if _, err := s.Current("demo"); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Errorf("Current after a denied sign-in: %v", err)
	}
	if _, ok := storedSession(t, store); ok {
		t.Error("a denied sign-in saved a session")
	}
}

func TestWaitHonoursCancellation(t *testing.T) {
	b := startBackend(t)
	s := signin.New(secrets.Memory())
	id := identities(t, s, b)[0]
	a := begin(t, s, "demo", b)

	// Cancelled before Wait.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a cancelled context = %v, want context.Canceled", err)
	}

	// Cancelled while Wait blocks.
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := a.Wait(ctx)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait cancelled while blocked = %v, want context.Canceled", err)
	}
	if _, err := s.Current("demo"); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Errorf("Current after a cancelled Wait: %v", err)
	}

	// The attempt is still good for a Wait with a live context.
	if err := a.CompleteAsTestIdentity(context.Background(), id.FiscalCode); err != nil {
		t.Fatal(err)
	}
	if sess, err := a.Wait(context.Background()); err != nil || sess.Subject != id.FiscalCode {
		t.Fatalf("Wait after the cancelled ones: %v, subject %q", err, sess.Subject)
	}
}

func TestTokenRefreshRotationAndReplay(t *testing.T) {
	b := startBackend(t)
	ctx := context.Background()
	store := secrets.Memory()
	s := signin.New(store)
	const site = "demo"
	sess, _ := signIn(t, s, site, b)

	// Fresh: handed out as is, without asking the server (its address here
	// answers nothing).
	for _, issuer := range []string{b.URL, "http://127.0.0.1:1"} {
		tok, err := s.Token(ctx, site, issuer, false)
		if err != nil || tok != sess.AccessToken {
			t.Fatalf("Token(force=false) via %s: %v, same token %t", issuer, err, tok == sess.AccessToken)
		}
	}
	if st, _ := storedSession(t, store); st.RefreshToken != sess.RefreshToken {
		t.Fatal("Token(force=false) changed the refresh token")
	}
	if _, err := s.Token(ctx, "https://comune.example", b.URL, false); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Errorf("Token for another site: %v, want ErrNotSignedIn", err)
	}

	// Forced: refreshed, and the rotated refresh token is kept.
	tok, err := s.Token(ctx, site, b.URL, true)
	if err != nil {
		t.Fatal(err)
	}
	if tok == "" || tok == sess.AccessToken {
		t.Fatal("Token(force=true) did not hand out a new access token")
	}
	rotated, ok := storedSession(t, store)
	if !ok {
		t.Fatal("the session is gone after a refresh")
	}
	if rotated.RefreshToken == "" || rotated.RefreshToken == sess.RefreshToken {
		t.Fatal("the rotated refresh token was not saved")
	}
	if rotated.AccessToken != tok || rotated.Subject != sess.Subject || rotated.Site != site {
		t.Error("the saved session does not match the refresh")
	}
	if status, cf := b.me(tok); status != http.StatusOK || cf != sess.Subject {
		t.Errorf("the refreshed access token at /api/v1/me: %d %q", status, cf)
	}

	// The old refresh token, presented again (a stolen copy), is refused,
	// and that ends the session at the server...
	if status, code := b.refresh(sess.RefreshToken); status != http.StatusBadRequest || code != "invalid_grant" {
		t.Fatalf("replayed refresh token: %d %q, want 400 invalid_grant", status, code)
	}
	// ... so the app's next refresh finds it ended and forgets it.
	if _, err := s.Token(ctx, site, b.URL, true); !errors.Is(err, signin.ErrSessionEnded) {
		t.Fatalf("Token(force=true) after the replay = %v, want ErrSessionEnded", err)
	}
	if _, err := s.Current(site); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Errorf("Current after the session ended: %v, want ErrNotSignedIn", err)
	}
	if _, ok := storedSession(t, store); ok {
		t.Error("the ended session's tokens are still in the secret store")
	}
	if _, err := s.Token(ctx, site, b.URL, false); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Errorf("Token after the session ended: %v, want ErrNotSignedIn", err)
	}
}

func TestTokenWithServerDown(t *testing.T) {
	b := startBackend(t)
	store := secrets.Memory()
	s := signin.New(store)
	sess, _ := signIn(t, s, "demo", b)
	b.Stop()
	if _, err := s.Token(context.Background(), "demo", b.URL, true); !errors.Is(err, core.ErrUnreachable) {
		t.Fatalf("refresh with the server down: %v, want ErrUnreachable", err)
	}
	// An unreachable server is no ended session: the tokens stay.
	if cur, err := s.Current("demo"); err != nil || cur.RefreshToken != sess.RefreshToken {
		t.Fatalf("Current after a failed refresh: %v", err)
	}
}

func TestSignOut(t *testing.T) {
	b := startBackend(t)
	ctx := context.Background()
	store := secrets.Memory()
	s := signin.New(store)
	sess, _ := signIn(t, s, "demo", b)

	if err := s.SignOut(ctx, "demo", b.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Current("demo"); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Errorf("Current after SignOut: %v", err)
	}
	if _, ok := storedSession(t, store); ok {
		t.Error("SignOut left the tokens in the secret store")
	}
	if status, code := b.refresh(sess.RefreshToken); status != http.StatusBadRequest || code != "invalid_grant" {
		t.Errorf("the refresh token after SignOut: %d %q, want 400 invalid_grant", status, code)
	}
	if status, _ := b.me(sess.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("the access token after SignOut: %d, want 401", status)
	}
	// Signing out again, signed out, is no error.
	if err := s.SignOut(ctx, "demo", b.URL); err != nil {
		t.Errorf("a second SignOut: %v", err)
	}
}

func TestSignOutWithServerDown(t *testing.T) {
	b := startBackend(t)
	store := secrets.Memory()
	s := signin.New(store)
	signIn(t, s, "demo", b)
	b.Stop()

	err := s.SignOut(context.Background(), "demo", b.URL)
	if !errors.Is(err, core.ErrUnreachable) {
		t.Fatalf("SignOut with the server down = %v, want an error wrapping ErrUnreachable", err)
	}
	if _, err := s.Current("demo"); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Errorf("Current after SignOut: %v", err)
	}
	if _, ok := storedSession(t, store); ok {
		t.Error("SignOut with the server down left the tokens in the secret store")
	}
}

func TestCompleteAsUnknownIdentity(t *testing.T) {
	b := startBackend(t)
	ctx := context.Background()
	store := secrets.Memory()
	s := signin.New(store)
	id := identities(t, s, b)[0]
	a := begin(t, s, "demo", b)

	for _, cf := range []string{"RSSMRA80A01H501U", "", "not a fiscal code"} {
		if err := a.CompleteAsTestIdentity(ctx, cf); err == nil {
			t.Errorf("CompleteAsTestIdentity(%q) succeeded", cf)
		}
	}
	if _, ok := storedSession(t, store); ok {
		t.Fatal("a refused test identity saved a session")
	}
	// Wait was not completed by the failures: the attempt still signs in.
	if err := a.CompleteAsTestIdentity(ctx, id.FiscalCode); err != nil {
		t.Fatal(err)
	}
	sess, err := a.Wait(ctx)
	if err != nil || sess.Subject != id.FiscalCode {
		t.Fatalf("Wait after the refused identities: %v, subject %q", err, sess.Subject)
	}
}

func TestForgetAndLeftovers(t *testing.T) {
	store := secrets.Memory()
	s := signin.New(store)
	// Unreadable leftovers are no session, and are dropped.
	for _, raw := range []string{"not json", `{"site":"demo","sub":"X"}`} {
		if err := store.Set("session-tokens", []byte(raw)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Current("demo"); !errors.Is(err, signin.ErrNotSignedIn) {
			t.Errorf("Current over %q: %v", raw, err)
		}
		if _, ok := storedSession(t, store); ok {
			t.Errorf("%q was kept", raw)
		}
	}
	if err := s.Forget(); err != nil {
		t.Errorf("Forget with nothing stored: %v", err)
	}
}

func TestNoTestIdentityProvider(t *testing.T) {
	ctx := context.Background()
	// A municipality that is not the demo has no test identity provider.
	r, err := server.Start(ctx, filepath.Join(t.TempDir(), "real.db"), "127.0.0.1:0", false, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	s := signin.New(secrets.Memory())
	ids, err := s.TestIdentities(ctx, r.URL)
	if err != nil || len(ids) != 0 {
		t.Fatalf("TestIdentities of a real municipality: %d, %v; want none", len(ids), err)
	}
	a, err := s.Begin(ctx, r.URL, r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.CompleteAsTestIdentity(ctx, "RSSMRA80A01H501U"); err == nil {
		t.Fatal("CompleteAsTestIdentity succeeded at a municipality with no test identity provider")
	}
}

func TestBeginWithServerDown(t *testing.T) {
	b := startBackend(t)
	b.Stop()
	s := signin.New(secrets.Memory())
	if _, err := s.Begin(context.Background(), "demo", b.URL); !errors.Is(err, core.ErrUnreachable) {
		t.Fatalf("Begin with the server down: %v, want ErrUnreachable", err)
	}
	if _, err := s.TestIdentities(context.Background(), b.URL); !errors.Is(err, core.ErrUnreachable) {
		t.Fatalf("TestIdentities with the server down: %v, want ErrUnreachable", err)
	}
}
