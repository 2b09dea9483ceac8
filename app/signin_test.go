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

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/unlock"
	"github.com/sportello/sportello/platform/secrets"
)

// Demo citizens the tests sign in as: a father with an adult daughter and a
// minor son (family F0001), and a resident born abroad.
const (
	marcoColombo  = "CLMMRC74C15F205P"
	fatimaBenali  = "BNLFMZ89L70Z330L"
	tommasoMinor  = "CLMTMS11E08F205L"
	giuliaGrownUp = "CLMGLI06S70F205Y"
	// familyOfSixHead heads the demo's six-member family (F0028, Brivio),
	// with a year and more of payments and messages.
	familyOfSixHead = "BRVPLA75A24F704H"
)

// signInAs walks the sign-in screen as a citizen with no browser would: open
// it, tap their test identity.
func signInAs(t testing.TB, u *ui, fiscalCode string) {
	t.Helper()
	u.showSignIn()
	s := u.signingIn
	for i, id := range s.ids {
		if id.FiscalCode == fiscalCode {
			test.Tap(s.buttons[i+1]) // buttons[0] is "with the browser"
			if u.dossier == nil {
				t.Fatalf("not signed in; feedback: %q", s.feedback.Text)
			}
			return
		}
	}
	t.Fatalf("%s is not among the %d test identities", fiscalCode, len(s.ids))
}

// labels is the text of every label under o, one per line.
func labels(o fyne.CanvasObject) string {
	var b strings.Builder
	for _, c := range test.LaidOutObjects(o) {
		if l, ok := c.(*widget.Label); ok {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

// fixSession shows a session end relative to the fixed test clock, so golden
// images do not depend on the day the test runs.
func fixSession(u *ui) {
	u.settings.account.session.SetText(sessionText(core.SessionInfo{StartedAt: fixedNow, ExpiresAt: fixedNow.Add(89 * 24 * time.Hour)},
		fixedNow, u.formatDate(core.DateOf(fixedNow.Add(89*24*time.Hour)))))
}

func TestSignInShowsDossierAndSignOutLeavesNothing(t *testing.T) {
	keyring := secrets.Memory()
	dataDir := t.TempDir()
	u := startTestUI(t, false, "it", dataDir, keyring)
	golden(t, u, "home_signed_out_desktop_it")

	signInAs(t, u, fatimaBenali)
	if len(u.tabs.Items) != 3 || !strings.HasPrefix(u.tabs.Items[1].Text, "Fascicolo") {
		t.Fatalf("sections after sign-in: %d", len(u.tabs.Items))
	}
	u.dossier.open("personal")
	if text := labels(u.dossier.root); !strings.Contains(text, fatimaBenali) || !strings.Contains(text, "Benali") {
		t.Fatalf("the personal data do not show the citizen:\n%s", text)
	}
	// The real session info came from the server: about 90 days of inactivity allowed.
	if !strings.Contains(u.settings.account.session.Text, "La tua sessione scade") {
		t.Fatalf("session text %q", u.settings.account.session.Text)
	}
	fixSession(u)
	u.showSettings()
	golden(t, u, "settings_signed_in_desktop_it")

	// The device database holds the dossier only encrypted.
	assertNotOnDisk(t, dataDir, fatimaBenali, "Benali")

	u.signOut("")
	if u.dossier != nil || len(u.tabs.Items) != 2 {
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
	site := u.conn.Current().Site()
	if _, _, _, ok, _ := u.conn.Store().PersonalGet(context.Background(), "dossier|"+site+"|self"); ok {
		t.Error("the cached dossier is left after sign-out")
	}
	assertNotOnDisk(t, dataDir, fatimaBenali, "Benali")
}

// assertNotOnDisk fails if any of secrets appears in clear in a file of the
// app's device database.
func assertNotOnDisk(t *testing.T, dataDir string, secrets ...string) {
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
		for _, secret := range secrets {
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
	signInAs(t, u, fatimaBenali)
	u.close() // the demo server stops with the app; the next one listens on another port

	u2 := startTestUI(t, true, "en", dataDir, keyring)
	if u2.dossier == nil {
		t.Fatal("signed out by a restart")
	}
	if u2.dossier.snap.Stale != nil || u2.dossier.snap.Dossier.Person.FiscalCode != fatimaBenali {
		t.Fatalf("dossier after restart: stale=%v subject=%q", u2.dossier.snap.Stale, u2.dossier.snap.Dossier.Person.FiscalCode)
	}
}

func TestUnlockCode(t *testing.T) {
	keyring := secrets.Memory()
	dataDir := t.TempDir()
	u := startTestUI(t, true, "it", dataDir, keyring)
	signInAs(t, u, fatimaBenali)
	if err := u.account.Lock().Set("123456"); !errors.Is(err, unlock.ErrSequential) {
		t.Fatalf("a sequential code was accepted: %v", err)
	}
	if err := u.account.Lock().Set("285714"); err != nil {
		t.Fatal(err)
	}
	u.close()

	u2 := startTestUI(t, true, "it", dataDir, keyring)
	if !u2.locked || u2.dossier != nil {
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
	if u2.locked || u2.dossier == nil {
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
	signInAs(t, u, fatimaBenali)
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

	u.dossier.loadNow(context.Background())
	if u.signedIn() || u.dossier != nil {
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
