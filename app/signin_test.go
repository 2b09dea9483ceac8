package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/unlock"
	"github.com/sportello/sportello/platform/secrets"
)

// signInAsFirstTestIdentity walks the sign-in screen as a citizen with no
// browser would: open it, tap the first test identity.
func signInAsFirstTestIdentity(t *testing.T, u *ui) signin.Identity {
	t.Helper()
	u.showSignIn()
	s := u.signingIn
	if len(s.ids) == 0 {
		t.Fatal("the demo municipality offers no test identities")
	}
	test.Tap(s.buttons[1]) // buttons[0] is "with the browser"
	if u.profile == nil {
		t.Fatalf("not signed in; feedback: %q", s.feedback.Text)
	}
	return s.ids[0]
}

// fixSession shows a session end relative to the fixed test clock, so golden
// images do not depend on the day the test runs.
func fixSession(u *ui) {
	u.profile.showSession(core.SessionInfo{StartedAt: fixedNow, ExpiresAt: fixedNow.Add(89 * 24 * time.Hour), IdleTimeoutSeconds: 90 * 86400})
}

// formText is every label's text in the profile's identity card.
func formText(u *ui) string {
	var b strings.Builder
	for _, o := range test.LaidOutObjects(u.profile.identity) {
		if l, ok := o.(*widget.Label); ok {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

func TestSignInShowsProfileAndSignOutLeavesNothing(t *testing.T) {
	keyring := secrets.Memory()
	dataDir := t.TempDir()
	u := startTestUI(t, false, "it", dataDir, keyring)
	golden(t, u, "home_signed_out_desktop_it")

	id := signInAsFirstTestIdentity(t, u)
	if len(u.tabs.Items) != 3 || u.tabs.Items[1].Text != "Profilo" {
		t.Fatalf("sections after sign-in: %d", len(u.tabs.Items))
	}
	markup := formText(u)
	if !strings.Contains(markup, id.FiscalCode) || !strings.Contains(markup, id.Surname) {
		t.Fatalf("the profile does not show %s %s:\n%s", id.Surname, id.FiscalCode, markup)
	}
	// The real session info came from the server: about 90 days of inactivity allowed.
	if !strings.Contains(u.profile.session.Text, "La tua sessione scade") {
		t.Fatalf("session text %q", u.profile.session.Text)
	}
	fixSession(u)
	u.showProfile()
	golden(t, u, "profile_desktop_it")

	// The device database holds the identity only encrypted.
	assertNotOnDisk(t, dataDir, id)

	u.signOut("")
	if u.profile != nil || len(u.tabs.Items) != 2 {
		t.Fatal("still signed in after signing out")
	}
	for _, key := range []string{"session-tokens", "vault-data-key", "unlock-code"} {
		if _, err := keyring.Get(key); !errors.Is(err, core.ErrSecretNotFound) {
			t.Errorf("secret %q left after sign-out: %v", key, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "documents")); !os.IsNotExist(err) {
		t.Errorf("documents folder left after sign-out: %v", err)
	}
	var rows int
	site := u.conn.Current().Site()
	if _, _, _, ok, _ := u.conn.Store().PersonalGet(context.Background(), "me|"+site); ok {
		rows++
	}
	if rows != 0 {
		t.Error("cached personal rows left after sign-out")
	}
	assertNotOnDisk(t, dataDir, id)
}

// assertNotOnDisk fails if the citizen's name or fiscal code appears in clear
// in any file of the app's device database.
func assertNotOnDisk(t *testing.T, dataDir string, id signin.Identity) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dataDir, "sportello.db*"))
	if len(files) == 0 {
		t.Fatal("no device database found")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{id.FiscalCode, id.Surname} {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s contains %q in clear", filepath.Base(f), secret)
			}
		}
	}
}

func TestStillSignedInAfterRestart(t *testing.T) {
	keyring := secrets.Memory()
	dataDir := t.TempDir()
	u := startTestUI(t, true, "en", dataDir, keyring)
	id := signInAsFirstTestIdentity(t, u)
	u.close() // the demo server stops with the app; the next one listens on another port

	u2 := startTestUI(t, true, "en", dataDir, keyring)
	if u2.profile == nil {
		t.Fatal("signed out by a restart")
	}
	if markup := formText(u2); !strings.Contains(markup, id.FiscalCode) {
		t.Fatalf("profile after restart:\n%s", markup)
	}
	fixSession(u2)
	u2.showProfile()
	golden(t, u2, "profile_phone_en")
}

func TestUnlockCode(t *testing.T) {
	keyring := secrets.Memory()
	dataDir := t.TempDir()
	u := startTestUI(t, true, "it", dataDir, keyring)
	signInAsFirstTestIdentity(t, u)
	if err := u.account.Lock().Set("123456"); !errors.Is(err, unlock.ErrSequential) {
		t.Fatalf("a sequential code was accepted: %v", err)
	}
	if err := u.account.Lock().Set("285714"); err != nil {
		t.Fatal(err)
	}
	u.close()

	u2 := startTestUI(t, true, "it", dataDir, keyring)
	if !u2.locked || u2.profile != nil {
		t.Fatal("the app opened without asking the unlock code")
	}
	golden(t, u2, "unlock_phone_it")
	code := findPasswordEntry(t, u2)
	test.Type(code, "000111")
	code.OnSubmitted(code.Text)
	golden(t, u2, "unlock_wrong_phone_it")
	if !u2.locked || !strings.Contains(test.RenderToMarkup(u2.win.Canvas()), "restano 4 tentativi") {
		t.Fatal("a wrong code was not refused with the attempts left")
	}
	test.Type(code, "285714")
	code.OnSubmitted(code.Text)
	if u2.locked || u2.profile == nil {
		t.Fatal("the right code did not unlock")
	}
	u2.close()

	// Five wrong codes sign out and wipe.
	u3 := startTestUI(t, true, "it", dataDir, keyring)
	code = findPasswordEntry(t, u3)
	for range 5 {
		test.Type(code, "999000")
		code.OnSubmitted(code.Text)
	}
	if u3.signedIn() || u3.locked {
		t.Fatal("five wrong codes did not sign out")
	}
	if _, err := keyring.Get("vault-data-key"); !errors.Is(err, core.ErrSecretNotFound) {
		t.Fatal("the data key survived the lock-out")
	}
}

func findPasswordEntry(t *testing.T, u *ui) *widget.Entry {
	t.Helper()
	for _, o := range test.LaidOutObjects(u.win.Content()) {
		if e, ok := o.(*widget.Entry); ok && e.Password {
			return e
		}
	}
	t.Fatal("no password entry on screen")
	return nil
}

func TestSessionEndedAtTheServerSignsOut(t *testing.T) {
	keyring := secrets.Memory()
	u := startTestUI(t, false, "it", t.TempDir(), keyring)
	signInAsFirstTestIdentity(t, u)
	// The municipality ends the session (as after a refresh-token reuse, or
	// an operator): revoke the refresh token at the server.
	raw, err := keyring.Get("session-tokens")
	if err != nil {
		t.Fatal(err)
	}
	var sess signin.Session
	if err := json.Unmarshal(raw, &sess); err != nil {
		t.Fatal(err)
	}
	revokeAtServer(t, u.conn.Current().URL, sess.RefreshToken)

	u.profile.loadNow(context.Background())
	if u.signedIn() || u.profile != nil {
		t.Fatal("still signed in after the server ended the session")
	}
}

func revokeAtServer(t *testing.T, base, refreshToken string) {
	t.Helper()
	resp, err := http.Get(base + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Revocation string `json:"revocation_endpoint"`
	}
	json.NewDecoder(resp.Body).Decode(&conf)
	resp.Body.Close()
	resp, err = http.PostForm(conf.Revocation, url.Values{"token": {refreshToken}, "client_id": {signin.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation answered %d", resp.StatusCode)
	}
}
