package app

import (
	"context"
	"errors"
	"net/url"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core/signin"
)

// signInScreen signs the citizen in: in the system browser (SPID or CIE at
// the municipality), or, where the municipality offers test identities (the
// demo), by picking one, which needs no browser at all.
type signInScreen struct {
	u        *ui
	body     *fyne.Container
	attempt  *signin.Attempt
	feedback *widget.Label
	buttons  []*widget.Button
	ids      []signin.Identity // test identities, when the municipality has them
	root     fyne.CanvasObject
}

// showSignIn replaces the sections with the sign-in screen.
func (u *ui) showSignIn() {
	s := &signInScreen{u: u, body: container.NewVBox()}
	s.feedback = wrapped("")
	s.feedback.Importance = widget.DangerImportance
	s.feedback.Hide()
	u.signingIn = s
	s.root = container.NewVScroll(container.NewPadded(s.body))
	s.showChoices()
	u.win.SetContent(s.root)
	u.async(func() {
		ids, err := u.account.TestIdentities(context.Background())
		if err != nil {
			u.log.Warn("sign-in: test identities", "err", err)
		}
		fyne.Do(func() {
			s.ids = ids
			s.showChoices()
		})
	})
}

func (s *signInScreen) showChoices() {
	ids := s.ids
	title := widget.NewLabel(lang.X("signin.title", "Sign in"))
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle.Bold = true
	back := widget.NewButtonWithIcon(lang.X("action.back", "Back"), theme.NavigateBackIcon(), s.cancel)
	browser := widget.NewButtonWithIcon(lang.X("signin.browser", "Sign in with SPID or CIE"), theme.LoginIcon(), s.withBrowser)
	browser.Importance = widget.HighImportance
	s.buttons = []*widget.Button{browser}
	objs := []fyne.CanvasObject{
		container.NewBorder(nil, nil, back, nil, title),
		widget.NewCard("", "", container.NewVBox(
			wrapped(lang.X("signin.explain", "You sign in through your municipality with your digital identity, SPID or CIE. Your browser opens for it; then you come back here.")),
			browser)),
	}
	if len(ids) > 0 {
		list := container.NewVBox(wrapped(lang.X("signin.test_explain", "This is a demo municipality: sign in as one of its invented citizens, without a browser.")))
		for _, id := range ids {
			b := widget.NewButton(id.Name+" "+id.Surname+" · "+id.FiscalCode, func() { s.asTestIdentity(id.FiscalCode) })
			b.Alignment = widget.ButtonAlignLeading
			s.buttons = append(s.buttons, b)
			list.Add(b)
		}
		objs = append(objs, widget.NewCard(lang.X("signin.test_title", "Test identities"), "", list))
	}
	objs = append(objs, s.feedback)
	s.body.Objects = objs
	s.body.Refresh()
	s.root.Refresh() // second pass: wrapped labels know their height once they have a width
}

func (s *signInScreen) setBusy(busy bool) {
	for _, b := range s.buttons {
		if busy {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	if busy {
		s.feedback.Hide()
	}
}

// withBrowser starts the sign-in and opens the municipality's page in the
// system browser. If no browser opens, the address is there to copy.
func (s *signInScreen) withBrowser() {
	s.setBusy(true)
	s.u.async(func() {
		a, err := s.u.account.Begin(context.Background())
		fyne.Do(func() {
			if err != nil {
				s.failed(err)
				return
			}
			s.attempt = a
			opened := false
			if target, perr := url.Parse(a.AuthURL); perr == nil {
				opened = s.u.app.OpenURL(target) == nil
			}
			s.showWaiting(a.AuthURL, opened)
		})
		if err == nil {
			s.finish(a)
		}
	})
}

// asTestIdentity runs the same authorization flow, doing the browser's part
// itself for the chosen test identity.
func (s *signInScreen) asTestIdentity(fiscalCode string) {
	s.setBusy(true)
	s.u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a, err := s.u.account.Begin(ctx)
		if err == nil {
			fyne.Do(func() { s.attempt = a })
			err = a.CompleteAsTestIdentity(ctx, fiscalCode)
		}
		if err != nil {
			if a != nil {
				a.Close()
			}
			fyne.Do(func() { s.failed(err) })
			return
		}
		s.finish(a)
	})
}

// finish waits for the browser to come back (at most ten minutes) and then
// shows the signed-in app.
func (s *signInScreen) finish(a *signin.Attempt) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, err := a.Wait(ctx)
	a.Close()
	fyne.Do(func() {
		if s.attempt != a {
			return // cancelled meanwhile
		}
		s.attempt = nil
		if err != nil {
			s.failed(err)
			return
		}
		s.u.showMain()
	})
}

func (s *signInScreen) showWaiting(authURL string, opened bool) {
	msg := lang.X("signin.waiting", "Complete the sign-in in your browser, then come back here.")
	if !opened {
		msg = lang.X("signin.no_browser", "No browser opened. Copy this address into a browser to sign in, then come back here.")
	}
	address := widget.NewEntry()
	address.SetText(authURL)
	address.MultiLine = true
	address.Wrapping = fyne.TextWrapBreak
	copyButton := widget.NewButtonWithIcon(lang.X("signin.copy", "Copy the address"), theme.ContentCopyIcon(), func() {
		s.u.app.Clipboard().SetContent(authURL)
	})
	cancel := widget.NewButton(lang.X("action.cancel", "Cancel"), s.cancel)
	activity := widget.NewActivity()
	activity.Start()
	s.body.Objects = []fyne.CanvasObject{
		container.NewHBox(activity, widget.NewLabelWithStyle(lang.X("signin.title", "Sign in"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})),
		widget.NewCard("", "", container.NewVBox(wrapped(msg), address, container.NewHBox(copyButton, cancel))),
	}
	s.body.Refresh()
}

func (s *signInScreen) failed(err error) {
	s.u.log.Warn("sign-in", "err", err)
	s.setBusy(false)
	if s.attempt != nil {
		s.attempt.Close()
		s.attempt = nil
	}
	s.showChoices()
	s.feedback.SetText(signInErrorText(err))
	s.feedback.Show()
}

// cancel abandons the attempt and goes back to the sections.
func (s *signInScreen) cancel() {
	if s.attempt != nil {
		s.attempt.Close()
		s.attempt = nil
	}
	s.u.showMain()
}

func signInErrorText(err error) string {
	switch {
	case errors.Is(err, signin.ErrDenied):
		return lang.X("signin.denied", "The sign-in was refused or cancelled. Try again.")
	case errors.Is(err, signin.ErrBadCallback):
		return lang.X("signin.bad_callback", "The answer from the sign-in page did not match this attempt. Try again.")
	case errors.Is(err, context.DeadlineExceeded):
		return lang.X("signin.too_long", "The sign-in took too long. Try again.")
	}
	return errorText(err)
}
