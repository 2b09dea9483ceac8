package account_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/account"
	"github.com/sportello/sportello/core/appointments"
	"github.com/sportello/sportello/core/connection"
	"github.com/sportello/sportello/core/dossier"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/unlock"
	"github.com/sportello/sportello/core/vault"
	"github.com/sportello/sportello/platform/secrets"
	"github.com/sportello/sportello/server"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

var quiet = slog.New(slog.DiscardHandler)

// keyRecorder is the in-memory secret store, noting every key ever set so
// that a test can check none is left.
type keyRecorder struct {
	core.SecretStore
	mu   sync.Mutex
	keys []string
}

func (k *keyRecorder) Set(key string, value []byte) error {
	k.mu.Lock()
	if !slices.Contains(k.keys, key) {
		k.keys = append(k.keys, key)
	}
	k.mu.Unlock()
	return k.SecretStore.Set(key, value)
}

func (k *keyRecorder) setKeys() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.keys)
}

// env is a running server, a connection to it and an account over in-memory
// secrets.
type env struct {
	t        *testing.T
	ctx      context.Context
	running  *server.Running
	stopOnce sync.Once
	conn     *connection.Manager
	secrets  *keyRecorder
	dataDir  string
	acct     *account.Account
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	running, err := server.Start(ctx, filepath.Join(t.TempDir(), "server.db"), "127.0.0.1:0", true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, running: running, secrets: &keyRecorder{SecretStore: secrets.Memory()}}
	t.Cleanup(e.stop)
	e.dataDir = t.TempDir()
	if e.conn, err = connection.Open(ctx, e.dataDir, "it", quiet); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.conn.Close(ctx) })
	if err := e.conn.UseURL(ctx, running.URL); err != nil {
		t.Fatal(err)
	}
	e.acct = account.New(e.conn, e.secrets, false, e.dataDir)
	return e
}

// stop shuts the server down; later calls do nothing.
func (e *env) stop() {
	e.stopOnce.Do(func() {
		if err := e.running.Close(e.ctx); err != nil {
			e.t.Errorf("stop the server: %v", err)
		}
	})
}

func (e *env) signIn() signin.Session {
	e.t.Helper()
	ids, err := e.acct.TestIdentities(e.ctx)
	if err != nil || len(ids) == 0 {
		e.t.Fatalf("test identities: %v (%d)", err, len(ids))
	}
	a, err := e.acct.Begin(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	defer a.Close()
	if err := a.CompleteAsTestIdentity(e.ctx, ids[0].FiscalCode); err != nil {
		e.t.Fatal(err)
	}
	sess, err := a.Wait(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if sess.Subject != ids[0].FiscalCode {
		e.t.Fatalf("signed in as %q, want %q", sess.Subject, ids[0].FiscalCode)
	}
	return sess
}

// fillDevice leaves what a signed-in citizen leaves on the device: their
// dossier and their appointments (with a reminder given) in the personal
// cache, a downloaded document and an unlock code. It returns the sealed
// cache rows by key (their first bytes).
func (e *env) fillDevice() map[string][]byte {
	e.t.Helper()
	v, err := e.acct.Vault()
	if err != nil {
		e.t.Fatal(err)
	}
	site := e.conn.Current().Site()
	src := dossier.Source{Client: e.conn.Client(), Auth: e.acct.Authorizer(), Store: e.conn.Store(), Vault: v, Site: site}
	if _, err := src.Refresh(e.ctx, "", time.Now()); err != nil {
		e.t.Fatal(err)
	}
	e.bookAndRemind(v)
	rows := map[string][]byte{}
	for _, key := range []string{"dossier|" + site + "|self", "appointments|" + site, "appointments|" + site + "|reminded"} {
		sealed, _, _, ok, err := e.conn.Store().PersonalGet(e.ctx, key)
		if err != nil || !ok || len(sealed) == 0 {
			e.t.Fatalf("the personal cache has no %s: %v", key, err)
		}
		// A row larger than a page is split over overflow pages and is
		// never whole in the file; its first bytes, in the row's own
		// cell, stand for it (random: the vault's nonce and ciphertext).
		head := sealed[:min(len(sealed), 48)]
		if !e.onDisk(head) {
			e.t.Fatalf("the sealed %s is not in the device database: the wipe check would prove nothing", key)
		}
		rows[key] = head
	}
	docs := e.acct.DocumentsDir()
	if err := os.MkdirAll(filepath.Join(docs, "certificates"), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(docs, "certificates", "residenza.pdf.sealed"), []byte("sealed document"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	if err := e.acct.Lock().Set("482913"); err != nil {
		e.t.Fatal(err)
	}
	if on, err := e.acct.Lock().Enabled(); err != nil || !on {
		e.t.Fatalf("unlock code not enabled: %v", err)
	}
	return rows
}

// bookAndRemind keeps the citizen's appointments on the device and takes
// the reminder of the day before one of them (booking the first free time
// of a service when they have none): the appointments copy and the
// reminder marks are then on the device.
func (e *env) bookAndRemind(v *vault.Vault) {
	e.t.Helper()
	src := appointments.Source{Client: e.conn.Client(), Auth: e.acct.Authorizer(), Store: e.conn.Store(), Vault: v, Site: e.conn.Current().Site()}
	now := time.Now()
	snap, err := src.Refresh(e.ctx, now)
	if err != nil {
		e.t.Fatal(err)
	}
	upcoming := appointments.Upcoming(snap.List, now)
	if len(upcoming) == 0 {
		services, err := src.Services(e.ctx)
		if err != nil || len(services) == 0 || len(services[0].Offices) == 0 {
			e.t.Fatalf("appointment services %+v %v", services, err)
		}
		s := services[0]
		var first *core.Slot
		for m := 0; first == nil && m < 4; m++ {
			month, err := src.Month(e.ctx, s.Offices[0], s.ID, now.AddDate(0, m, 0))
			if err != nil {
				e.t.Fatal(err)
			}
			first = month.FirstFree
		}
		if first == nil {
			e.t.Fatalf("no free time for %s", s.ID)
		}
		a, err := src.Book(e.ctx, core.BookingRequest{Service: s.ID, Office: s.Offices[0], Start: first.Start, Email: "cittadino@example.it"}, now)
		if err != nil {
			e.t.Fatal(err)
		}
		upcoming = append(upcoming, a)
	}
	if due, err := src.DueReminders(e.ctx, upcoming[0].Start.Add(-24*time.Hour), time.Local); err != nil || len(due) == 0 {
		e.t.Fatalf("reminders %+v %v", due, err)
	}
}

// assertWiped checks that nothing of the citizen is left on the device.
func (e *env) assertWiped(sealed map[string][]byte) {
	e.t.Helper()
	for _, key := range append(e.secrets.setKeys(), "session-tokens", vault.KeyName, unlock.CodeKey, unlock.FailuresKey) {
		if _, err := e.secrets.Get(key); !errors.Is(err, core.ErrSecretNotFound) {
			e.t.Errorf("secret %q is still there (%v)", key, err)
		}
	}
	if _, err := e.acct.Session(); !errors.Is(err, signin.ErrNotSignedIn) {
		e.t.Errorf("Session after SignOut: %v, want ErrNotSignedIn", err)
	}
	if on, err := e.acct.Lock().Enabled(); err != nil || on {
		e.t.Errorf("unlock code still enabled (%v)", err)
	}
	site := e.conn.Current().Site()
	if _, _, _, ok, err := e.conn.Store().PersonalGet(e.ctx, "me|"+site); err != nil || ok {
		e.t.Errorf("the personal cache still has the identity (%v)", err)
	}
	for key, b := range sealed {
		if _, _, _, ok, err := e.conn.Store().PersonalGet(e.ctx, key); err != nil || ok {
			e.t.Errorf("the personal cache still has %s (%v)", key, err)
		}
		if e.onDisk(b) {
			e.t.Errorf("the device database still holds the sealed %s", key)
		}
	}
	if _, err := os.Stat(e.acct.DocumentsDir()); !os.IsNotExist(err) {
		e.t.Errorf("the documents directory is still there (%v)", err)
	}
}

// onDisk reports whether the device database file or its write-ahead log
// holds b.
func (e *env) onDisk(b []byte) bool {
	e.t.Helper()
	for _, f := range []string{"sportello.db", "sportello.db-wal"} {
		data, err := os.ReadFile(filepath.Join(e.dataDir, f))
		if err != nil && !os.IsNotExist(err) {
			e.t.Fatal(err)
		}
		if bytes.Contains(data, b) {
			return true
		}
	}
	return false
}

// refreshRefused reports whether the server refuses refreshToken.
func (e *env) refreshRefused(refreshToken string) bool {
	e.t.Helper()
	resp, err := http.Get(e.running.URL + "/.well-known/openid-configuration")
	if err != nil {
		e.t.Fatal(err)
	}
	var d struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	err = json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err = http.PostForm(d.TokenEndpoint, url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {refreshToken}, "client_id": {signin.ClientID}})
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
	return resp.StatusCode == http.StatusBadRequest && body.Error == "invalid_grant"
}

func TestSignInAndOut(t *testing.T) {
	e := newEnv(t)
	if e.acct.Persistent() {
		t.Error("an account over a memory store says it is persistent")
	}
	if _, err := e.acct.Session(); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Fatalf("Session before sign-in: %v, want ErrNotSignedIn", err)
	}
	if _, err := e.acct.SessionInfo(e.ctx); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Errorf("SessionInfo before sign-in: %v, want ErrNotSignedIn", err)
	}

	signed := e.signIn()
	sess, err := e.acct.Session()
	if err != nil {
		t.Fatal(err)
	}
	if sess.Subject != signed.Subject || sess.Site != e.running.URL {
		t.Errorf("Session: %q at %q, want %q at %q", sess.Subject, sess.Site, signed.Subject, e.running.URL)
	}
	info, err := e.acct.SessionInfo(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if info.ExpiresAt.Before(now.Add(89*24*time.Hour)) || info.ExpiresAt.After(now.Add(91*24*time.Hour)) {
		t.Errorf("the session ends at %v, want about 90 days from now", info.ExpiresAt)
	}
	if info.StartedAt.After(now) || info.IdleTimeoutSeconds != 90*24*3600 {
		t.Errorf("session info: %+v", info)
	}

	sealed := e.fillDevice()
	if err := e.acct.SignOut(e.ctx); err != nil {
		t.Fatalf("SignOut: %v", err)
	}
	e.assertWiped(sealed)
	if !e.refreshRefused(signed.RefreshToken) {
		t.Error("the server still accepts the refresh token after SignOut")
	}
	if _, err := e.acct.SessionInfo(e.ctx); !errors.Is(err, signin.ErrNotSignedIn) {
		t.Errorf("SessionInfo after SignOut: %v, want ErrNotSignedIn", err)
	}

	// Signing in again after a sign-out works, with a new data key.
	e.signIn()
	if _, err := e.acct.Vault(); err != nil {
		t.Errorf("Vault after signing in again: %v", err)
	}
}

func TestSignOutWithServerDown(t *testing.T) {
	e := newEnv(t)
	signed := e.signIn()
	sealed := e.fillDevice()
	e.stop()

	err := e.acct.SignOut(e.ctx)
	var notTold *account.ServerNotToldError
	if !errors.As(err, &notTold) {
		t.Fatalf("SignOut with the server down = %v, want a *ServerNotToldError", err)
	}
	if !errors.Is(err, core.ErrUnreachable) {
		t.Errorf("SignOut with the server down = %v, want it to wrap ErrUnreachable", err)
	}
	if signed.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	e.assertWiped(sealed)
}

func TestSignOutWhenSignedOut(t *testing.T) {
	e := newEnv(t)
	if err := e.acct.SignOut(e.ctx); err != nil {
		t.Fatalf("SignOut with nobody signed in: %v", err)
	}
	e.assertWiped(nil)
}
