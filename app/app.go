// Package app is Sportello's user interface in Fyne: the window, navigation,
// screens, theme and translations. It holds no HTTP and no SQL: every screen
// asks the core (package core and below) and shows the answer.
package app

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/account"
	"github.com/sportello/sportello/core/connection"
	"github.com/sportello/sportello/platform/secrets"
)

// Preference keys of UI settings (the municipality is the core's setting).
const (
	prefLanguage = "language" // "", "it" or "en"
	prefTheme    = "theme"    // "", "light" or "dark"
)

// ui is the running app: the window, the core it drives and its screens.
type ui struct {
	app   fyne.App
	win   fyne.Window
	phone bool // bottom tabs and one column, instead of side navigation
	log   *slog.Logger
	now   func() time.Time
	loc   *time.Location
	// async runs slow work (network, disk) off the UI goroutine; its results
	// come back through fyne.Do. Tests make it synchronous.
	async func(func())

	dataDir string
	conn    *connection.Manager // nil until the core has started
	account *account.Account    // nil until the core has started
	// openSecrets opens the OS secret store; persistent is false when there
	// is none and secrets live in memory until the app closes.
	openSecrets  func() (store core.SecretStore, persistent bool)
	demoSeedTime time.Time // for tests: the demo's dates relative to this day
	locked       bool      // the unlock code is being asked
	background   time.Time // when the app last left the foreground

	tabs    *container.AppTabs
	home    *homeScreen
	dossier *dossierScreen // nil when signed out
	// signingIn is the sign-in screen while it is shown.
	signingIn *signInScreen
	settings  *settingsScreen
	verif     verifierState // the offline verifier (verifier.go)
	// openURL opens a payment page in the browser; nil for the app's
	// OpenURL (tests play the browser).
	openURL func(*url.URL) error
	// creditor is the municipality's fiscal code, the creditor of its
	// pagoPA notices (from the home screen's data).
	creditor string
	// offices are the municipality's offices, and organizer its name and
	// e-mail address for the calendar (from the home screen's data).
	offices   []core.Office
	organizer string
	// bookable are the services booked at an office counter, for the
	// home screen's "Book an appointment"; nil when unknown.
	bookable []core.BookableService
	// bookAfterSignIn is the booking a signed-out citizen started from the
	// home screen (the topic): it opens once they are signed in.
	bookAfterSignIn *string
}

// Run shows the app in a window and blocks until it closes. a comes from
// main, which picks the driver.
func Run(a fyne.App) {
	u := newUI(a, a.NewWindow("Sportello"), fyne.CurrentDevice().IsMobile(), a.Storage().RootURI().Path())
	u.win.Resize(fyne.NewSize(1024, 720))
	u.win.SetMaster()
	u.win.SetContent(u.startingScreen())
	u.async(func() {
		err := u.startCore(context.Background())
		fyne.Do(func() { u.coreStarted(err) })
	})
	u.win.ShowAndRun()
	u.close()
}

func newUI(a fyne.App, w fyne.Window, phone bool, dataDir string) *ui {
	level := slog.LevelWarn
	if os.Getenv("SPORTELLO_DEBUG") != "" {
		level = slog.LevelDebug
	}
	u := &ui{
		app: a, win: w, phone: phone, dataDir: dataDir, now: time.Now, loc: time.Local,
		async:       func(f func()) { go f() },
		openSecrets: func() (core.SecretStore, bool) { return secrets.Open(a.UniqueID()) },
		log:         slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}
	applyLanguage(a.Preferences().String(prefLanguage))
	applyTheme(a, a.Preferences().String(prefTheme))
	return u
}

// startCore opens the device store and connects to the municipality (the
// demo one, started in process, when none is configured). It blocks: Run
// calls it from a goroutine, tests call it directly.
func (u *ui) startCore(ctx context.Context) error {
	conn, err := connection.Open(ctx, u.dataDir, currentLanguage(), u.log)
	if err != nil {
		return err
	}
	if !u.demoSeedTime.IsZero() {
		// Tests and screenshots: the demo's data and its server's clock
		// (free appointment slots) are the same on any day.
		conn.SetDemoSeedTime(u.demoSeedTime)
		conn.SetDemoClock(u.now)
	}
	if err := conn.Connect(ctx); err != nil {
		conn.Close(ctx)
		return err
	}
	store, persistent := u.openSecrets()
	u.conn = conn
	u.account = account.New(conn, store, persistent, u.dataDir)
	return nil
}

// coreStarted shows the navigation once the core is up, or the reason it is
// not. It runs on the UI goroutine.
func (u *ui) coreStarted(err error) {
	if err != nil {
		u.log.Error("start", "err", err)
		u.win.SetContent(u.startFailedScreen(err))
		return
	}
	u.watchForeground()
	if u.signedIn() && u.lockEnabled() {
		u.showLock()
		return
	}
	u.showMain()
}

// showMain shows the app's sections and loads them.
func (u *ui) showMain() {
	u.locked = false
	u.signingIn = nil
	u.build()
	u.home.load()
	topic := u.bookAfterSignIn
	u.bookAfterSignIn = nil
	if u.dossier != nil {
		u.dossier.load()
		u.settings.account.load()
		u.dossier.resumePayments()
		if topic != nil {
			u.bookTopic(*topic)
		}
	}
}

// build (re)creates every screen: after a language change every label must be
// made again in the new language, and signing in or out changes the sections.
func (u *ui) build() {
	u.home = newHomeScreen(u)
	u.dossier = nil
	if u.signedIn() {
		u.dossier = newDossierScreen(u)
	}
	u.settings = newSettingsScreen(u)
	u.win.SetTitle(lang.X("app.title", "Sportello"))
	u.win.SetContent(u.navigation())
}

// signedIn reports whether a citizen is signed in to the current municipality.
func (u *ui) signedIn() bool {
	_, err := u.account.Session()
	return err == nil
}

func (u *ui) close() {
	u.stopPayment()
	_ = os.RemoveAll(u.viewerDir())
	u.closeVerifier()
	if u.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := u.conn.Close(ctx); err != nil {
			u.log.Warn("close", "err", err)
		}
		u.conn = nil
	}
}

func (u *ui) startingScreen() fyne.CanvasObject {
	msg := widget.NewLabelWithStyle(lang.X("start.connecting", "Connecting to your municipality…"),
		fyne.TextAlignCenter, fyne.TextStyle{})
	activity := widget.NewActivity()
	activity.Start()
	return container.NewCenter(container.NewVBox(activity, msg))
}

func (u *ui) startFailedScreen(err error) fyne.CanvasObject {
	title := widget.NewLabelWithStyle(lang.X("start.failed", "Sportello could not start"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	detail := widget.NewLabel(errorText(err))
	detail.Wrapping = fyne.TextWrapWord
	detail.Alignment = fyne.TextAlignCenter
	retry := widget.NewButton(lang.X("action.retry", "Try again"), func() {
		u.win.SetContent(u.startingScreen())
		u.async(func() {
			err := u.startCore(context.Background())
			fyne.Do(func() { u.coreStarted(err) })
		})
	})
	return container.NewCenter(container.NewVBox(title, detail, container.NewCenter(retry)))
}

// saveFile asks where to save a plain copy of a file named name and writes
// there what load gives; load runs only once the citizen has chosen.
func (u *ui) saveFile(name string, load func() ([]byte, error)) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		defer wc.Close()
		data, err := load()
		if err == nil {
			_, err = wc.Write(data)
		}
		if err != nil {
			dialog.ShowError(errors.New(errorText(err)), u.win)
		}
	}, u.win)
	d.SetFileName(name)
	d.Show()
	if !u.phone {
		d.Resize(fyne.NewSize(800, 560)) // after Show, as openFile
	}
}

// openFile shows the file chooser for files ending in one of exts; picked
// gets the chosen file or the error opening it, and is not called when the
// citizen cancels.
func (u *ui) openFile(exts []string, picked func(fyne.URIReadCloser, error)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err == nil && r == nil {
			return
		}
		picked(r, err)
	}, u.win)
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	d.Show()
	if !u.phone {
		// After Show: Fyne's FileDialog builds its content in Show, and
		// resizing it before dereferences nothing.
		d.Resize(fyne.NewSize(800, 560))
	}
}
