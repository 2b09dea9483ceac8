package app

import (
	"context"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/platform/secrets"
	"github.com/sportello/sportello/server"
)

// Window sizes of the golden images: a desktop window and a phone screen.
var (
	desktopSize = fyne.NewSize(1024, 720)
	phoneSize   = fyne.NewSize(390, 844)
)

// discardLog is the logger of servers started by tests.
var discardLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// fixedNow is the clock of every UI test, so "updated on ..." is stable.
var fixedNow = time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)

// newTestUI starts the app headless, as Run does, on the demo municipality
// served in process from a fresh data directory, in language and on a phone
// or desktop. The home screen is loaded synchronously.
func newTestUI(t *testing.T, phone bool, language string) *ui {
	t.Helper()
	return startTestUI(t, phone, language, t.TempDir(), secrets.Memory())
}

// startTestUI is newTestUI over a given data directory and secret store, so
// a test can close the app and open it again on the same device.
func startTestUI(t testing.TB, phone bool, language, dataDir string, keyring core.SecretStore) *ui {
	t.Helper()
	a := test.NewTempApp(t)
	a.Preferences().SetString(prefLanguage, language)
	w := test.NewTempWindow(t, nil)
	u := newUI(a, w, phone, dataDir)
	u.openSecrets = func() (core.SecretStore, bool) { return keyring, true }
	u.log = discardLog
	u.now = func() time.Time { return fixedNow }
	u.loc = time.UTC
	u.demoSeedTime = fixedNow
	u.async = func(f func()) { f() }
	if err := u.startCore(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.close)
	u.coreStarted(nil)
	if phone {
		w.Resize(phoneSize)
	} else {
		w.Resize(desktopSize)
	}
	return u
}

// golden compares the window with testdata/NAME.png, and writes it to
// $SPORTELLO_SCREENSHOTS when set (make screenshots).
func golden(t *testing.T, u *ui, name string) {
	t.Helper()
	settle(u)
	img := u.win.Canvas().Capture()
	if dir := os.Getenv("SPORTELLO_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		return
	}
	test.AssertImageMatches(t, name+".png", img)
}

// settle lays the window out again from the top, as the real driver does on
// its next frame once wrapped labels have measured themselves at their width.
func settle(u *ui) {
	size := u.win.Canvas().Size()
	for range 2 {
		u.win.Resize(size.AddWidthHeight(1, 0))
		u.win.Resize(size)
	}
}

// sizes runs f for the desktop and the phone layout.
func sizes(t *testing.T, f func(t *testing.T, phone bool, suffix string)) {
	for _, s := range []struct {
		phone  bool
		suffix string
	}{{false, "desktop"}, {true, "phone"}} {
		t.Run(s.suffix, func(t *testing.T) { f(t, s.phone, s.suffix) })
	}
}

func TestScreenshots(t *testing.T) {
	for _, language := range []string{"it", "en"} {
		t.Run(language, func(t *testing.T) {
			sizes(t, func(t *testing.T, phone bool, size string) {
				u := newTestUI(t, phone, language)
				golden(t, u, "home_"+size+"_"+language)
				u.showSettings()
				golden(t, u, "settings_"+size+"_"+language)
				u.showSignIn()
				golden(t, u, "signin_"+size+"_"+language)
			})
		})
	}
	t.Run("offline", func(t *testing.T) {
		sizes(t, func(t *testing.T, phone bool, size string) {
			u := newTestUI(t, phone, "it")
			stop := switchToServer(t, u)
			stop()
			u.home.loadNow(context.Background())
			golden(t, u, "home_offline_"+size+"_it")
		})
	})
	t.Run("unreachable", func(t *testing.T) {
		sizes(t, func(t *testing.T, phone bool, size string) {
			u := newTestUI(t, phone, "it")
			ctx := context.Background()
			srv, err := server.Start(ctx, filepath.Join(t.TempDir(), "other.db"), "127.0.0.1:0", true, u.log)
			if err != nil {
				t.Fatal(err)
			}
			if err := u.conn.UseURL(ctx, srv.URL); err != nil {
				t.Fatal(err)
			}
			srv.Close(ctx) // gone before the app ever saved a copy of it
			u.home.loadNow(ctx)
			golden(t, u, "home_error_"+size+"_it")
		})
	})
}

// switchToServer connects the app to a second server on loopback, loads the
// home screen from it (so the device keeps a copy) and returns a function that
// stops that server.
func switchToServer(t *testing.T, u *ui) (stop func()) {
	t.Helper()
	ctx := context.Background()
	srv, err := server.Start(ctx, filepath.Join(t.TempDir(), "other.db"), "127.0.0.1:0", true, u.log)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.conn.UseURL(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	u.home.loadNow(ctx)
	return func() { srv.Close(ctx) }
}
