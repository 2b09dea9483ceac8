package app

import (
	"context"
	"errors"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/scan"
	"github.com/sportello/sportello/core/trust"
	"github.com/sportello/sportello/core/verifier"
	"github.com/sportello/sportello/core/verify"
)

// The offline verifier: whoever is handed a paper certificate (a bank clerk,
// a notary, a landlord) checks its timbro digitale here, with no account and
// no network. The camera (or a photo, the PDF, the code's text) gives the
// glyph, core/verifier decides, and the result screen shows the verdict and
// the signed data to compare with the paper. Nothing scanned is stored or
// sent, and a verdict is dropped as soon as its screen is left.
//
// The trust data (the municipalities' signing keys and revocations) is
// public: it lives in its own file, survives sign-out and is synced from the
// current municipality when the verifier opens, and from any other one the
// verifier adds by address.

// autoSyncAfter is how old the current municipality's trust data may be
// before opening the verifier syncs it again.
const autoSyncAfter = time.Hour

// syncTimeout bounds one sync of one municipality.
const syncTimeout = time.Minute

// verifierState is the ui's part for the verifier: the verifier, opened on
// first use, and its screen while shown.
type verifierState struct {
	mu     sync.Mutex
	v      *verifier.Verifier // nil until first opened
	screen *verifierScreen    // nil when not shown; UI goroutine only
}

// openVerifier opens the trust store and loads it, the first time; then it
// returns the same verifier. Safe from any goroutine.
func (u *ui) openVerifier(ctx context.Context) (*verifier.Verifier, error) {
	u.verif.mu.Lock()
	defer u.verif.mu.Unlock()
	if u.verif.v != nil {
		return u.verif.v, nil
	}
	store, err := trust.Open(ctx, filepath.Join(u.dataDir, trust.FileName))
	if err != nil {
		return nil, err
	}
	store.Now = u.now
	v := verifier.New(store, verify.DefaultPolicy(), u.now)
	if err := v.Reload(ctx); err != nil {
		store.Close()
		return nil, err
	}
	u.verif.v = v
	return v, nil
}

// closeVerifier stops the camera and closes the trust store; the app calls
// it when it closes.
func (u *ui) closeVerifier() {
	if s := u.verif.screen; s != nil {
		s.stopCamera()
	}
	u.verif.mu.Lock()
	defer u.verif.mu.Unlock()
	if u.verif.v != nil {
		if err := u.verif.v.Store().Close(); err != nil {
			u.log.Warn("verifier: close", "err", err)
		}
		u.verif.v = nil
	}
}

// qrIcon is a QR code's three finder patterns and some modules, for the
// entry point.
var qrIcon = theme.NewThemedResource(fyne.NewStaticResource("qr.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">`+
	`<path fill="#000000" d="M3 3h8v8H3zm2 2v4h4V5zm1 1h2v2H6zM13 3h8v8h-8zm2 2v4h4V5zm1 1h2v2h-2zM3 13h8v8H3zm2 2v4h4v-4zm1 1h2v2H6z`+
	`M13 13h2v2h-2zm2 2h2v2h-2zm2-2h4v2h-4zm-4 4h2v4h-2zm4 0h2v2h-2zm2 2h2v2h-4v-2z"/></svg>`)))

// verifyEntry is the entry point on the home screen: no sign-in needed.
func (u *ui) verifyEntry() fyne.CanvasObject {
	return newTile(qrIcon, lang.X("verifier.title", "Verify a certificate"),
		lang.X("verifier.entry_summary", "Check the digital stamp of a paper certificate: no account and no connection needed."),
		false, u.showVerifier)
}

// verifierScreen is the verifier: the camera's preview, the file choice and
// the trust data; a verdict replaces it with the result screen.
type verifierScreen struct {
	u    *ui
	page fyne.CanvasObject // the verifier screen
	// result is the result screen while shown; nil otherwise.
	result fyne.CanvasObject

	cameraArea *fyne.Container // the preview with its guide, or why there is none
	preview    *canvas.Image
	cam        *cameraRun // the camera running; nil when stopped
	noCamera   bool       // cameraArea says why there is no preview

	choose  *widget.Button
	busy    *widget.Activity
	problem *widget.Label // why the file chosen gave no verdict

	sources     *fyne.Container // one row per municipality
	syncButton  *widget.Button
	syncBusy    *widget.Activity
	syncing     bool
	trustIssue  *widget.Label // why a sync failed
	address     *widget.Entry
	addButton   *widget.Button
	addForm     *fyne.Container
	showAddForm *widget.Button
}

// showVerifier opens the verifier over the sections.
func (u *ui) showVerifier() {
	if s := u.verif.screen; s != nil {
		s.stopCamera()
	}
	s := newVerifierScreen(u)
	u.verif.screen = s
	u.win.SetContent(s.page)
	u.win.SetOnDropped(s.dropped)
	s.startCamera()
	s.loadTrust(true)
}

func newVerifierScreen(u *ui) *verifierScreen {
	s := &verifierScreen{u: u}
	s.busy = widget.NewActivity()
	s.busy.Hide()
	s.problem = wrapped("")
	s.problem.Importance = widget.DangerImportance
	s.problem.Hide()
	s.choose = widget.NewButtonWithIcon(lang.X("verifier.choose_file", "Choose a file…"), theme.FolderOpenIcon(), s.chooseFile)
	s.cameraArea = container.NewStack()
	s.showCameraStarting()

	fileHint := lang.X("verifier.file_hint", "A photo or scan of the paper (PNG, JPEG), the certificate's PDF, or a text file with the code's content.")
	if !u.phone {
		fileHint = lang.X("verifier.file_hint_drop", "A photo or scan of the paper (PNG, JPEG), the certificate's PDF, or a text file with the code's content. You can also drop the file on this window.")
	}
	hint := wrapped(fileHint)
	file := widget.NewCard("", "", container.NewVBox(container.NewHBox(s.choose, s.busy), hint, s.problem))

	intro := wrapped(lang.X("verifier.intro", "Frame the QR code printed on the certificate (its digital stamp). The check happens on this device, even offline: nothing you scan is saved or sent."))
	scanning := container.NewVBox(intro, s.cameraArea, file)

	var body fyne.CanvasObject
	if u.phone {
		body = container.NewVBox(scanning, s.trustCard())
	} else {
		body = container.NewGridWithColumns(2, scanning, container.NewVBox(s.trustCard()))
	}
	s.page = s.frame(lang.X("verifier.title", "Verify a certificate"), s.leave, body)
	return s
}

// frame gives a verifier page its top bar: a back button and the title.
func (s *verifierScreen) frame(title string, back func(), body fyne.CanvasObject) fyne.CanvasObject {
	backButton := widget.NewButtonWithIcon(lang.X("action.back", "Back"), theme.NavigateBackIcon(), back)
	head := widget.NewLabel(title)
	head.SizeName = theme.SizeNameSubHeadingText
	head.TextStyle.Bold = true
	head.Truncation = fyne.TextTruncateEllipsis
	top := container.NewBorder(nil, nil, backButton, nil, head)
	return container.NewBorder(container.NewPadded(top), nil, nil, nil, container.NewVScroll(container.NewPadded(body)))
}

// shown reports whether the verifier screen itself is on the window.
func (s *verifierScreen) shown() bool {
	return s.u.verif.screen == s && s.u.win.Content() == s.page
}

// current reports whether the verifier or its result screen is on the
// window.
func (s *verifierScreen) current() bool {
	c := s.u.win.Content()
	return s.u.verif.screen == s && c != nil && (c == s.page || c == s.result)
}

// leave closes the verifier and goes back to the sections as they were.
func (s *verifierScreen) leave() {
	s.stopCamera()
	s.result = nil
	s.u.win.SetOnDropped(nil)
	s.u.verif.screen = nil
	if s.u.tabs == nil {
		s.u.showMain()
		return
	}
	s.u.win.SetContent(s.u.tabs)
	if item := s.u.tabs.Selected(); item != nil {
		refreshTree(item.Content)
	}
}

// again leaves the result screen for the verifier, camera on.
func (s *verifierScreen) again() {
	s.result = nil
	s.problem.Hide()
	s.u.win.SetContent(s.page)
	s.startCamera()
	s.loadTrust(false) // the ages moved on
}

// showVerdict stops the camera and shows the result screen.
func (s *verifierScreen) showVerdict(v verify.Verdict) {
	s.stopCamera()
	s.problem.Hide()
	s.result = s.verdictPage(v)
	s.u.win.SetContent(s.result)
}

// Files.

// fileExtensions are the files the file choice offers.
var fileExtensions = []string{".png", ".jpg", ".jpeg", ".pdf", ".txt"}

func (s *verifierScreen) chooseFile() {
	s.u.openFile(fileExtensions, func(r fyne.URIReadCloser, err error) {
		if err != nil {
			s.say(errorText(err))
			return
		}
		s.verifyURI(r.URI(), r)
	})
}

// dropped verifies the first file dropped on the window while the verifier
// or its result is shown.
func (s *verifierScreen) dropped(_ fyne.Position, uris []fyne.URI) {
	if !s.current() || len(uris) == 0 {
		return
	}
	if s.result != nil {
		s.again()
	}
	s.verifyURI(uris[0], nil)
}

// verifyURI verifies a file: by its path when it is a local file, else by
// its content read through r (a phone's document provider). r, if given, is
// closed.
func (s *verifierScreen) verifyURI(uri fyne.URI, r io.ReadCloser) {
	if uri != nil && uri.Scheme() == "file" {
		if r != nil {
			r.Close()
		}
		s.verifyFile(uri.Path())
		return
	}
	if r == nil {
		var err error
		if r, err = storage.Reader(uri); err != nil {
			s.say(fileErrorText(err))
			return
		}
	}
	s.verifyWith(func(v *verifier.Verifier) (verify.Verdict, error) {
		defer r.Close()
		data, err := io.ReadAll(io.LimitReader(r, scan.MaxFileBytes+1))
		if err != nil {
			return verify.Verdict{}, err
		}
		if len(data) > scan.MaxFileBytes {
			return verify.Verdict{}, scan.ErrTooLarge
		}
		return v.Bytes(data)
	})
}

// verifyFile verifies the code in the file at path.
func (s *verifierScreen) verifyFile(path string) {
	s.verifyWith(func(v *verifier.Verifier) (verify.Verdict, error) { return v.File(path) })
}

// verifyWith runs check off the UI goroutine and shows its verdict, or on
// this screen why there is none.
func (s *verifierScreen) verifyWith(check func(*verifier.Verifier) (verify.Verdict, error)) {
	s.problem.Hide()
	s.busy.Show()
	s.busy.Start()
	s.choose.Disable()
	s.u.async(func() {
		v, err := s.u.openVerifier(context.Background())
		var verdict verify.Verdict
		if err == nil {
			verdict, err = check(v)
		}
		fyne.Do(func() {
			s.busy.Stop()
			s.busy.Hide()
			s.choose.Enable()
			if !s.current() {
				return // left meanwhile: the verdict goes nowhere
			}
			if err != nil {
				s.u.log.Info("verifier: file", "err", err)
				s.say(fileErrorText(err))
				return
			}
			s.showVerdict(verdict)
		})
	})
}

// say shows why a file gave no verdict, on the verifier screen.
func (s *verifierScreen) say(text string) {
	if s.result != nil {
		s.again()
	}
	s.problem.SetText(text)
	s.problem.Show()
	s.page.Refresh()
}

// fileErrorText explains why a file gave no verdict.
func fileErrorText(err error) string {
	switch {
	case errors.Is(err, scan.ErrNotFound):
		return lang.X("verifier.file_not_found_code", "No readable QR code in this file. Choose a sharper photo, taken straight on, with the whole code in it, or the certificate's PDF.")
	case errors.Is(err, scan.ErrUnsupportedFile):
		return lang.X("verifier.file_unsupported", "This kind of file cannot be read: choose a photo (PNG or JPEG), the certificate's PDF or a text file with the code.")
	case errors.Is(err, scan.ErrUnreadableFile):
		return lang.X("verifier.file_unreadable", "The file is damaged or incomplete and cannot be read.")
	case errors.Is(err, scan.ErrTooLarge):
		return lang.X("verifier.file_too_large", "The file is too large. Choose a smaller photo or the certificate's PDF.")
	case errors.Is(err, os.ErrNotExist):
		return lang.X("verifier.file_missing", "The file is no longer there.")
	case errors.Is(err, os.ErrPermission):
		return lang.X("verifier.file_permission", "Sportello may not read this file.")
	}
	return lang.X("verifier.file_error", "The file could not be read.")
}

// Trust data.

func (s *verifierScreen) trustCard() fyne.CanvasObject {
	s.sources = container.NewVBox()
	s.syncBusy = widget.NewActivity()
	s.syncBusy.Hide()
	s.syncButton = widget.NewButtonWithIcon(lang.X("action.refresh", "Refresh"), theme.ViewRefreshIcon(), func() { s.sync(true) })
	s.trustIssue = wrapped("")
	s.trustIssue.Importance = widget.DangerImportance
	s.trustIssue.Hide()

	s.address = widget.NewEntry()
	s.address.SetPlaceHolder("https://servizi.comune.example")
	s.address.OnSubmitted = func(string) { s.add() }
	s.addButton = widget.NewButtonWithIcon(lang.X("verifier.add", "Add"), theme.ContentAddIcon(), s.add)
	s.addButton.Importance = widget.HighImportance
	addHint := wrapped(lang.X("verifier.add_hint", "The address of the municipality's Sportello server, as the municipality publishes it."))
	addHint.Importance = widget.LowImportance
	s.addForm = container.NewVBox(widget.NewLabelWithStyle(lang.X("verifier.add_title", "Add a municipality"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.address, addHint, container.NewHBox(s.addButton))
	s.addForm.Hide()
	s.showAddForm = widget.NewButtonWithIcon(lang.X("verifier.add_municipality", "Add a municipality…"), theme.ContentAddIcon(), func() {
		s.showAddForm.Hide()
		s.addForm.Show()
		s.u.win.Canvas().Focus(s.address)
		s.page.Refresh()
	})

	explain := wrapped(lang.X("verifier.trust_explain", "Stamps are checked against the keys and revocations of these municipalities, downloaded to this device. Refresh them at least once a day."))
	return widget.NewCard(lang.X("verifier.trust_title", "Verification data"), "", container.NewVBox(
		explain, s.sources,
		container.NewHBox(s.syncButton, s.showAddForm, s.syncBusy),
		s.trustIssue, s.addForm))
}

// loadTrust shows the trust data held; with autoSync it then syncs the
// current municipality's when it is missing or older than autoSyncAfter.
func (s *verifierScreen) loadTrust(autoSync bool) {
	u := s.u
	u.async(func() {
		v, err := u.openVerifier(context.Background())
		var srcs []trust.Source
		if err == nil {
			srcs, err = v.Store().Sources(context.Background())
		}
		fyne.Do(func() {
			if err != nil {
				u.log.Warn("verifier: trust data", "err", err)
				s.showIssue(lang.X("verifier.trust_unreadable", "The verification data on this device cannot be read. {{.Reason}}",
					map[string]any{"Reason": errorText(err)}))
				return
			}
			s.showSources(srcs)
			if autoSync && u.conn != nil && s.needsSync(srcs) {
				s.sync(false)
			}
		})
	})
}

// needsSync reports whether the current municipality's trust data is
// missing or was synced more than autoSyncAfter ago.
func (s *verifierScreen) needsSync(srcs []trust.Source) bool {
	site := s.u.conn.Current().Site()
	for _, src := range srcs {
		if src.Site == site {
			return s.u.now().Sub(src.SyncedAt) > autoSyncAfter
		}
	}
	return true
}

// trustAge is how old a municipality's trust data is: from when its lists
// were signed, never negative.
func (u *ui) trustAge(issuedAt time.Time) time.Duration { return max(0, u.now().Sub(issuedAt)) }

// showSources lists the municipalities whose trust data the device holds.
func (s *verifierScreen) showSources(srcs []trust.Source) {
	policy := verify.DefaultPolicy()
	var rows []fyne.CanvasObject
	if len(srcs) == 0 {
		none := wrapped(lang.X("verifier.trust_none", "No verification data yet: connect to the Internet and tap Refresh."))
		none.Importance = widget.WarningImportance
		rows = append(rows, none)
	}
	for i, src := range srcs {
		if i > 0 {
			rows = append(rows, widget.NewSeparator())
		}
		name := widget.NewLabelWithStyle(sourceName(src), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		name.Wrapping = fyne.TextWrapWord
		age := s.u.trustAge(src.IssuedAt)
		state := wrapped(lang.X("verifier.trust_updated", "ISTAT {{.Code}} · updated {{.When}} · {{.Revocations}}",
			map[string]any{"Code": src.ISTAT, "When": s.u.ago(s.u.now().Add(-age)), "Revocations": revocationsText(src.Revocations)}))
		switch {
		case age > policy.RefuseAfter:
			state.Importance = widget.DangerImportance
			state.SetText(state.Text + "\n" + lang.X("verifier.trust_too_old", "Too old: certificates of this municipality cannot be verified until you refresh."))
		case age > policy.WarnAfter:
			state.Importance = widget.WarningImportance
			state.SetText(state.Text + "\n" + lang.X("verifier.trust_old", "More than a day old: refresh as soon as you can."))
		}
		remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { s.confirmRemove(src) })
		rows = append(rows, container.NewBorder(nil, nil, nil, container.NewVBox(remove), container.NewVBox(name, state)))
	}
	s.sources.Objects = rows
	s.sources.Refresh()
	s.page.Refresh()
}

// sourceName names a municipality for the verifier: its name, or its
// address when the server gave none.
func sourceName(src trust.Source) string {
	if src.Name != "" {
		return src.Name
	}
	if src.URL != "" {
		return src.URL
	}
	return src.Site
}

// revocationsText counts revoked certificates: "no revocations", "3
// revoked certificates".
func revocationsText(n int) string {
	if n == 0 {
		return lang.X("verifier.revocations_none", "no revoked certificates")
	}
	return lang.XN("verifier.revocations", "{{.N}} revoked certificates", n, map[string]any{"N": n})
}

func (s *verifierScreen) showIssue(text string) {
	s.trustIssue.SetText(text)
	s.trustIssue.Show()
	s.page.Refresh()
}

func (s *verifierScreen) setSyncing(on bool) {
	s.syncing = on
	if on {
		s.trustIssue.Hide()
		s.syncBusy.Show()
		s.syncBusy.Start()
		s.syncButton.Disable()
		s.addButton.Disable()
		return
	}
	s.syncBusy.Stop()
	s.syncBusy.Hide()
	s.syncButton.Enable()
	s.addButton.Enable()
}

// syncTarget is one municipality to sync: its key in the store, a client
// of its server and its name for messages.
type syncTarget struct {
	site, name string
	client     *api.Client
}

// sync syncs the current municipality and, with all, every other one held,
// in the background; the screen stays usable meanwhile and a failure loses
// nothing: the store keeps what it had.
func (s *verifierScreen) sync(all bool) {
	if s.syncing {
		return
	}
	u := s.u
	s.setSyncing(true)
	u.async(func() {
		ctx := context.Background()
		var targets []syncTarget
		var srcs []trust.Source
		v, err := u.openVerifier(ctx)
		if err == nil {
			srcs, err = v.Store().Sources(ctx)
		}
		if err == nil {
			targets = s.targets(srcs, all)
		}
		var problems []string
		if err != nil {
			problems = append(problems, errorText(err))
		}
		for _, t := range targets {
			if err := syncOne(v, t); err != nil {
				u.log.Warn("verifier: sync", "site", t.site, "err", err)
				problems = append(problems, syncErrorText(t.name, err))
			}
		}
		s.syncDone(v, problems, nil)
	})
}

// targets are the municipalities to sync: the current one first, then,
// with all, every other one held. The demo municipality, when it is not
// the current one, is not running: it is left as it is.
func (s *verifierScreen) targets(srcs []trust.Source, all bool) []syncTarget {
	var out []syncTarget
	cur := ""
	if s.u.conn != nil {
		cur = s.u.conn.Current().Site()
		name := lang.X("verifier.your_municipality", "Your municipality")
		for _, src := range srcs {
			if src.Site == cur {
				name = sourceName(src)
			}
		}
		out = append(out, syncTarget{site: cur, name: name, client: s.u.conn.Client()})
	}
	for _, src := range srcs {
		if !all || src.Site == cur || src.Site == "demo" {
			continue
		}
		c, err := api.New(src.URL, api.Options{Language: currentLanguage()})
		if err != nil {
			continue // cannot happen: the URL was normalised when added
		}
		out = append(out, syncTarget{site: src.Site, name: sourceName(src), client: c})
	}
	return out
}

func syncOne(v *verifier.Verifier, t syncTarget) error {
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	_, err := v.Sync(ctx, t.site, t.client, nil)
	return err
}

// syncDone shows the trust data after a sync, and what failed; added is
// called on the UI goroutine when every sync succeeded.
func (s *verifierScreen) syncDone(v *verifier.Verifier, problems []string, added func()) {
	var srcs []trust.Source
	var err error
	if v != nil {
		srcs, err = v.Store().Sources(context.Background())
	}
	fyne.Do(func() {
		s.setSyncing(false)
		if err == nil && v != nil {
			s.showSources(srcs)
		}
		if len(problems) > 0 {
			s.showIssue(strings.Join(problems, "\n"))
			return
		}
		if added != nil {
			added()
		}
	})
}

// add syncs the municipality whose server address is typed in, pinning its
// trust anchor. On failure the address stays, for another try.
func (s *verifierScreen) add() {
	if s.syncing {
		return
	}
	u := s.u
	raw := strings.TrimSpace(s.address.Text)
	c, err := api.New(raw, api.Options{Language: currentLanguage()})
	if err != nil {
		s.showIssue(errorText(err))
		return
	}
	s.setSyncing(true)
	u.async(func() {
		v, err := u.openVerifier(context.Background())
		if err == nil {
			err = syncOne(v, syncTarget{site: c.BaseURL(), client: c})
		}
		var problems []string
		if err != nil {
			u.log.Warn("verifier: add", "url", c.BaseURL(), "err", err)
			problems = []string{syncErrorText(c.BaseURL(), err)}
		}
		s.syncDone(v, problems, func() {
			s.address.SetText("")
			s.addForm.Hide()
			s.showAddForm.Show()
			s.page.Refresh()
		})
	})
}

// confirmRemove forgets a municipality's trust data, once confirmed.
func (s *verifierScreen) confirmRemove(src trust.Source) {
	msg := wrapped(lang.X("verifier.remove_text", "Certificates of {{.Name}} can no longer be verified on this device until you add it again.",
		map[string]any{"Name": sourceName(src)}))
	d := dialog.NewCustomConfirm(lang.X("verifier.remove_title", "Remove {{.Name}}?", map[string]any{"Name": sourceName(src)}),
		lang.X("verifier.remove", "Remove"), lang.X("action.cancel", "Cancel"), msg, func(ok bool) {
			if ok {
				s.remove(src.Site)
			}
		}, s.u.win)
	d.Resize(fyne.NewSize(min(s.u.win.Canvas().Size().Width-20, 420), 0))
	d.Show()
}

func (s *verifierScreen) remove(site string) {
	u := s.u
	s.trustIssue.Hide() // about the one removed, likely
	u.async(func() {
		ctx := context.Background()
		v, err := u.openVerifier(ctx)
		if err == nil {
			err = v.Store().Remove(ctx, site)
		}
		if err == nil {
			err = v.Reload(ctx)
		}
		var problems []string
		if err != nil && !errors.Is(err, trust.ErrNotFound) {
			u.log.Warn("verifier: remove", "err", err)
			problems = []string{errorText(err)}
		}
		s.syncDone(v, problems, nil)
	})
}

// syncErrorText explains a failed sync of the municipality name.
func syncErrorText(name string, err error) string {
	var reason string
	switch {
	case errors.Is(err, trust.ErrAnchorMismatch):
		reason = lang.X("verifier.anchor_mismatch", "Refused: the server signs with other keys than the ones this device recorded for this municipality, so it may be a fake server. If the municipality really changed its keys, remove it and add it again.")
	case errors.Is(err, trust.ErrIssuerMismatch):
		reason = lang.X("verifier.issuer_mismatch", "Refused: the server now sends the data of another municipality. Remove it and add it again only if you trust that address.")
	case errors.Is(err, trust.ErrRollback):
		reason = lang.X("verifier.rollback", "Refused: the server sent an older list of revocations than the one on this device. Try again later; to start over, remove the municipality and add it again.")
	case errors.Is(err, certificates.ErrListSignature), errors.Is(err, certificates.ErrListMalformed):
		reason = lang.X("verifier.bad_lists", "The data the server sent is not valid and was not used.")
	default:
		reason = errorText(err)
	}
	return lang.X("verifier.sync_failed", "{{.Name}}: update failed. {{.Reason}}", map[string]any{"Name": name, "Reason": reason})
}

// previewBackground is behind the camera's picture.
var previewBackground = color.NRGBA{R: 0x1a, G: 0x1a, B: 0x1a, A: 0xff}

// cameraHeight is the height of the preview area.
func (s *verifierScreen) cameraHeight() float32 {
	if s.u.phone {
		return 300
	}
	return 340
}

// showCameraStarting shows the preview area while the camera starts.
func (s *verifierScreen) showCameraStarting() {
	bg := canvas.NewRectangle(previewBackground)
	bg.SetMinSize(fyne.NewSize(0, s.cameraHeight()))
	bg.CornerRadius = theme.InputRadiusSize()
	s.preview = canvas.NewImageFromImage(nil)
	s.preview.FillMode = canvas.ImageFillContain
	s.preview.ScaleMode = canvas.ImageScaleFastest
	guide := canvas.NewRectangle(color.Transparent)
	guide.StrokeColor = color.White
	guide.StrokeWidth = 3
	guide.CornerRadius = 6
	hint := canvas.NewText(lang.X("verifier.frame_hint", "Hold the QR code inside the square"), color.White)
	hint.Alignment = fyne.TextAlignCenter
	hint.TextSize = theme.TextSize()
	hintBg := canvas.NewRectangle(color.NRGBA{A: 0xb0})
	hintBg.CornerRadius = theme.InputRadiusSize()
	s.cameraArea.Objects = []fyne.CanvasObject{bg, s.preview, container.New(guideLayout{}, guide, hintBg, hint)}
	s.noCamera = false
	s.cameraArea.Refresh()
}

// showNoCamera replaces the preview with why there is none.
func (s *verifierScreen) showNoCamera(text string, retry bool) {
	msg := wrapped(text)
	msg.TextStyle.Bold = true
	box := container.NewVBox(container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), nil, msg))
	if retry {
		box.Add(container.NewHBox(widget.NewButtonWithIcon(lang.X("action.retry", "Try again"), theme.ViewRefreshIcon(), func() {
			s.showCameraStarting()
			s.startCamera()
		})))
	}
	s.cameraArea.Objects = []fyne.CanvasObject{widget.NewCard("", "", box)}
	s.noCamera = true
	s.cameraArea.Refresh()
	s.choose.Importance = widget.HighImportance
	s.choose.Refresh()
	s.page.Refresh()
}

// guideLayout centres a square outline (the first object) in the preview,
// with a hint (the third, on the second as its background) at the bottom.
type guideLayout struct{}

func (guideLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, 0) }

func (guideLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	hint := objs[2].MinSize()
	hintH := hint.Height + 2*pad
	side := min(size.Width, size.Height-hintH-2*pad) * 0.8
	objs[0].Move(fyne.NewPos((size.Width-side)/2, (size.Height-hintH-side)/2))
	objs[0].Resize(fyne.NewSize(side, side))
	w := min(hint.Width+4*pad, size.Width)
	objs[1].Move(fyne.NewPos((size.Width-w)/2, size.Height-hintH-pad))
	objs[1].Resize(fyne.NewSize(w, hintH))
	objs[2].Move(fyne.NewPos(0, size.Height-hintH))
	objs[2].Resize(fyne.NewSize(size.Width, hint.Height))
}
