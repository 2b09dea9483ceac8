package dossier_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/dossier"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
	"github.com/sportello/sportello/platform/secrets"
	"github.com/sportello/sportello/server"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

var quiet = slog.New(slog.DiscardHandler)

// authorizer hands out the signed-in citizen's tokens, as core/account does.
type authorizer struct {
	s            *signin.Service
	site, issuer string
}

func (a authorizer) Token(ctx context.Context, force bool) (string, error) {
	return a.s.Token(ctx, a.site, a.issuer, force)
}

// recorder is a reverse proxy in front of the server that notes the status
// of every answer to GET /api/v1/me.
type recorder struct {
	mu       sync.Mutex
	statuses []int
}

func (r *recorder) record(resp *http.Response) error {
	if resp.Request.URL.Path == "/api/v1/me" {
		r.mu.Lock()
		r.statuses = append(r.statuses, resp.StatusCode)
		r.mu.Unlock()
	}
	return nil
}

func (r *recorder) last() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.statuses) == 0 {
		return 0
	}
	return r.statuses[len(r.statuses)-1]
}

// env is a running server with a signed-in citizen, and a device store and
// vault over an in-memory secret store.
type env struct {
	ctx      context.Context
	site     string
	running  *server.Running
	stopOnce sync.Once
	proxy    *httptest.Server
	rec      *recorder
	client   *api.Client
	secrets  core.SecretStore
	signin   *signin.Service
	auth     authorizer
	sess     signin.Session
	surname  string
	file     string // the device database
	st       *store.Store
	vault    *vault.Vault
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	running, err := server.Start(ctx, filepath.Join(t.TempDir(), "server.db"), "127.0.0.1:0", true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ctx: ctx, site: running.URL, running: running, rec: &recorder{}, secrets: secrets.Memory()}
	t.Cleanup(func() { e.stop(t) })

	target, _ := url.Parse(running.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = e.rec.record
	rp.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	e.proxy = httptest.NewServer(rp)
	if e.client, err = api.New(e.proxy.URL, api.Options{Retries: -1}); err != nil {
		t.Fatal(err)
	}

	e.signin = signin.New(e.secrets)
	ids, err := e.signin.TestIdentities(ctx, running.URL)
	if err != nil || len(ids) == 0 {
		t.Fatalf("test identities: %v (%d)", err, len(ids))
	}
	a, err := e.signin.Begin(ctx, e.site, running.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.CompleteAsTestIdentity(ctx, ids[0].FiscalCode); err != nil {
		t.Fatal(err)
	}
	if e.sess, err = a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	e.surname = ids[0].Surname
	e.auth = authorizer{s: e.signin, site: e.site, issuer: running.URL}

	e.file = filepath.Join(t.TempDir(), "device.db")
	if e.st, err = store.Open(ctx, e.file); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	if e.vault, err = vault.Open(e.secrets); err != nil {
		t.Fatal(err)
	}
	return e
}

// stop takes the server and its proxy down; later calls do nothing.
func (e *env) stop(t *testing.T) {
	e.stopOnce.Do(func() {
		e.proxy.Close()
		if err := e.running.Close(e.ctx); err != nil {
			t.Errorf("stop the server: %v", err)
		}
	})
}

func (e *env) refresh(now time.Time) (dossier.Identity, error) {
	return dossier.RefreshIdentity(e.ctx, e.client, e.auth, e.st, e.vault, e.site, now)
}

// onDisk returns the bytes of the device database and of its write-ahead log.
func onDisk(t *testing.T, file string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range []string{file, file + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func TestIdentityCacheRoundTrip(t *testing.T) {
	e := newEnv(t)
	cf := e.sess.Subject
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)

	if _, ok, err := dossier.CachedIdentity(e.ctx, e.st, e.vault, e.site); err != nil || ok {
		t.Fatalf("CachedIdentity before any refresh: ok %t, %v", ok, err)
	}

	// First refresh: a full answer, sealed into the cache.
	id, err := e.refresh(t0)
	if err != nil {
		t.Fatal(err)
	}
	if e.rec.last() != http.StatusOK {
		t.Errorf("first refresh: the server answered %d, want 200", e.rec.last())
	}
	if id.Citizen.FiscalCode != cf || id.Citizen.Surname != e.surname || id.Stale != nil || !id.FetchedAt.Equal(t0) {
		t.Fatalf("first refresh: %s %s, stale %v, fetched %v", id.Citizen.FiscalCode, id.Citizen.Surname, id.Stale, id.FetchedAt)
	}
	cached, ok, err := dossier.CachedIdentity(e.ctx, e.st, e.vault, e.site)
	if err != nil || !ok {
		t.Fatalf("CachedIdentity after the refresh: ok %t, %v", ok, err)
	}
	if cached.Citizen != id.Citizen || !cached.FetchedAt.Equal(t0) || cached.Stale != nil {
		t.Errorf("cached copy %+v, fetched %v; want %+v, %v", cached.Citizen, cached.FetchedAt, id.Citizen, t0)
	}
	if _, ok, _ := dossier.CachedIdentity(e.ctx, e.st, e.vault, "https://another.example"); ok {
		t.Error("another site's cache has this citizen")
	}
	_, etag, _, _, _ := e.st.PersonalGet(e.ctx, "me|"+e.site)
	if etag == "" {
		t.Error("the cached copy has no ETag")
	}

	// Only ciphertext reaches the disk.
	for name, b := range onDisk(t, e.file) {
		for _, secret := range []string{cf, e.surname} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s contains %q", name, secret)
			}
		}
	}

	// Second refresh: 304, the data stays and FetchedAt moves.
	t1 := t0.Add(time.Hour)
	again, err := e.refresh(t1)
	if err != nil {
		t.Fatal(err)
	}
	if e.rec.last() != http.StatusNotModified {
		t.Errorf("second refresh: the server answered %d, want 304", e.rec.last())
	}
	if again.Citizen != id.Citizen || !again.FetchedAt.Equal(t1) || again.Stale != nil {
		t.Errorf("after the 304: %+v, fetched %v, stale %v", again.Citizen, again.FetchedAt, again.Stale)
	}
	cached, ok, err = dossier.CachedIdentity(e.ctx, e.st, e.vault, e.site)
	if err != nil || !ok || cached.Citizen != id.Citizen || !cached.FetchedAt.Equal(t1) {
		t.Errorf("cached after the 304: ok %t, %v, fetched %v", ok, err, cached.FetchedAt)
	}
	if _, etag2, _, _, _ := e.st.PersonalGet(e.ctx, "me|"+e.site); etag2 != etag {
		t.Errorf("the ETag changed on a 304: %q, was %q", etag2, etag)
	}

	// Server down: the cached copy, marked stale.
	e.stop(t)
	t2 := t1.Add(time.Hour)
	stale, err := e.refresh(t2)
	if err != nil {
		t.Fatalf("refresh with the server down: %v, want the cached copy", err)
	}
	if !errors.Is(stale.Stale, core.ErrUnreachable) {
		t.Errorf("Stale = %v, want ErrUnreachable", stale.Stale)
	}
	if stale.Citizen != id.Citizen || !stale.FetchedAt.Equal(t1) {
		t.Errorf("stale copy %+v fetched %v, want the cached one fetched %v", stale.Citizen, stale.FetchedAt, t1)
	}
	if cached, _, _ := dossier.CachedIdentity(e.ctx, e.st, e.vault, e.site); !cached.FetchedAt.Equal(t1) {
		t.Errorf("a stale answer moved FetchedAt to %v", cached.FetchedAt)
	}

	// A destroyed key: the copy is as good as none.
	if err := vault.Destroy(e.secrets); err != nil {
		t.Fatal(err)
	}
	fresh, err := vault.Open(e.secrets)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := dossier.CachedIdentity(e.ctx, e.st, fresh, e.site); err != nil || ok {
		t.Errorf("CachedIdentity with a new key: ok %t, %v; want false, nil", ok, err)
	}
	e.vault = fresh
	// With no readable copy, an unreachable server is an error.
	if _, err := e.refresh(t2); !errors.Is(err, core.ErrUnreachable) {
		t.Errorf("refresh with no readable copy and the server down: %v, want ErrUnreachable", err)
	}
}

func TestEndedSessionIsNotHiddenByTheCache(t *testing.T) {
	e := newEnv(t)
	if _, err := e.refresh(time.Now()); err != nil {
		t.Fatal(err)
	}
	// The session ends at the server (signed out on another device, say).
	resp, err := http.PostForm(e.running.URL+"/revoke", url.Values{"token": {e.sess.RefreshToken},
		"token_type_hint": {"refresh_token"}, "client_id": {signin.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	id, err := e.refresh(time.Now())
	if !errors.Is(err, signin.ErrSessionEnded) {
		t.Fatalf("refresh after the session ended: %v (stale %v), want ErrSessionEnded", err, id.Stale)
	}
	if _, err := e.signin.Current(e.site); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Errorf("Current after the session ended: %v", err)
	}
}
