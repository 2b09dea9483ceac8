package app

import (
	"errors"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core/unlock"
)

// lockAfter is how long the app may stay in the background before it asks
// for the unlock code again.
const lockAfter = 5 * time.Minute

// lockEnabled reports whether the citizen set an unlock code.
func (u *ui) lockEnabled() bool {
	on, err := u.account.Lock().Enabled()
	if err != nil {
		u.log.Warn("unlock code", "err", err)
	}
	return on
}

// watchForeground asks for the unlock code when the app comes back after
// lockAfter in the background.
func (u *ui) watchForeground() {
	u.app.Lifecycle().SetOnExitedForeground(func() { u.background = u.now() })
	u.app.Lifecycle().SetOnEnteredForeground(func() {
		if u.background.IsZero() || u.locked || u.now().Sub(u.background) < lockAfter {
			return
		}
		if u.signedIn() && u.lockEnabled() {
			u.showLock()
		}
	})
}

// showLock covers the app with the unlock screen. Nothing personal is on
// screen behind it: the sections are rebuilt after unlocking.
func (u *ui) showLock() {
	u.locked = true
	title := widget.NewLabelWithStyle(lang.X("unlock.title", "Enter your unlock code"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	code := widget.NewPasswordEntry()
	code.SetPlaceHolder("••••••")
	problem := widget.NewLabel("")
	problem.Alignment = fyne.TextAlignCenter
	problem.Importance = widget.DangerImportance
	problem.Hide()
	var box *fyne.Container
	try := func() {
		err := u.account.Lock().Verify(code.Text)
		switch {
		case err == nil:
			u.showMain()
		case errors.Is(err, unlock.ErrLockedOut):
			u.signOut(unlockErrorText(err))
		default:
			code.SetText("")
			problem.SetText(unlockErrorText(err))
			problem.Show()
			box.Refresh() // lay the column out again with the message in it
		}
	}
	code.OnSubmitted = func(string) { try() }
	open := widget.NewButtonWithIcon(lang.X("unlock.open", "Unlock"), theme.ConfirmIcon(), try)
	open.Importance = widget.HighImportance
	forgot := widget.NewButton(lang.X("unlock.forgot", "Forgot the code? Sign out"), func() { u.signOut("") })
	forgot.Importance = widget.LowImportance
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(300, 0))
	box = container.NewVBox(width, widget.NewIcon(theme.AccountIcon()), title, code, open, problem, forgot)
	u.win.SetContent(container.NewCenter(box))
	u.win.Canvas().Focus(code)
}
