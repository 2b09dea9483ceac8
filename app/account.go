package app

import (
	"context"
	"errors"
	"math"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/account"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/unlock"
)

// accountCard is the signed-in citizen's part of Settings: when the session
// ends, the unlock code, signing out.
type accountCard struct {
	u        *ui
	session  *widget.Label
	lockInfo *widget.Label
	lockBtn  *widget.Button
	card     *widget.Card
}

func newAccountCard(u *ui) *accountCard {
	a := &accountCard{u: u, session: wrapped(""), lockInfo: wrapped("")}
	sess, _ := u.account.Session()
	signOut := widget.NewButtonWithIcon(lang.X("profile.sign_out", "Sign out"), theme.LogoutIcon(), a.confirmSignOut)
	signOut.Importance = widget.DangerImportance
	a.lockBtn = widget.NewButton("", a.toggleLock)
	box := container.NewVBox(
		widget.NewLabelWithStyle(lang.X("account.signed_in_as", "Signed in as {{.Name}}", map[string]any{"Name": sess.Name}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		a.session)
	if !u.account.Persistent() {
		warn := wrapped(lang.X("profile.memory_only", "This device has no system keyring: you stay signed in only until you close the app."))
		warn.Importance = widget.WarningImportance
		box.Add(warn)
	}
	box.Add(container.NewHBox(signOut))
	box.Add(widget.NewSeparator())
	box.Add(widget.NewLabelWithStyle(lang.X("profile.lock", "Unlock code"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	box.Add(a.lockInfo)
	box.Add(container.NewHBox(a.lockBtn))
	a.card = widget.NewCard(lang.X("account.title", "Your account"), "", box)
	a.showLockState()
	return a
}

// load asks the server when the session ends.
func (a *accountCard) load() {
	a.u.async(func() {
		info, err := a.u.account.SessionInfo(context.Background())
		fyne.Do(func() {
			if err != nil {
				if !a.u.sessionEnded(err) {
					a.session.SetText(errorText(err))
				}
				return
			}
			a.session.SetText(sessionText(info, a.u.now(), a.u.formatDate(core.DateOf(info.ExpiresAt.In(a.u.loc)))))
			if info.ExpiresAt.Sub(a.u.now()) < 14*24*time.Hour {
				a.session.Importance = widget.WarningImportance
				a.session.Refresh()
			}
		})
	})
}

// sessionText says when the session ends: "in 3 days (on 25/11/2026)".
func sessionText(info core.SessionInfo, now time.Time, day string) string {
	days := int(math.Floor(info.ExpiresAt.Sub(now).Hours() / 24))
	switch {
	case days < 1:
		return lang.X("session.ends_today", "Your session ends today: after that you sign in again.")
	case days == 1:
		return lang.X("session.ends_tomorrow", "Your session ends tomorrow ({{.Day}}) unless you use the app.", map[string]any{"Day": day})
	}
	return lang.X("session.ends_in", "Your session ends in {{.Days}} days ({{.Day}}). Using the app keeps it going, up to a year from sign-in.",
		map[string]any{"Days": days, "Day": day})
}

func sexName(s core.Sex) string {
	switch s {
	case core.Female:
		return lang.X("profile.female", "Female")
	case core.Male:
		return lang.X("profile.male", "Male")
	}
	return string(s)
}

func (a *accountCard) showLockState() {
	on, err := a.u.account.Lock().Enabled()
	if err != nil {
		a.u.log.Warn("account: unlock code", "err", err)
	}
	if on {
		a.lockInfo.SetText(lang.X("profile.lock_on", "Sportello asks for your 6-digit code when it opens and after some minutes in the background."))
		a.lockBtn.SetText(lang.X("profile.lock_remove", "Remove the unlock code"))
	} else {
		a.lockInfo.SetText(lang.X("profile.lock_off", "Set a 6-digit code to keep others from opening your data on this device."))
		a.lockBtn.SetText(lang.X("profile.lock_set", "Set an unlock code"))
	}
}

func (a *accountCard) toggleLock() {
	if on, _ := a.u.account.Lock().Enabled(); on {
		if err := a.u.account.Lock().Disable(); err != nil {
			dialog.ShowError(errors.New(errorText(err)), a.u.win)
		}
		a.showLockState()
		return
	}
	a.askNewCode()
}

// askNewCode asks the code twice and explains a refused one in place.
func (a *accountCard) askNewCode() {
	code, again := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	problem := wrapped("")
	problem.Importance = widget.DangerImportance
	problem.Hide()
	var d dialog.Dialog
	save := widget.NewButton(lang.X("profile.lock_save", "Save the code"), func() {
		if code.Text != again.Text {
			problem.SetText(lang.X("unlock.mismatch", "The two codes differ."))
			problem.Show()
			return
		}
		if err := a.u.account.Lock().Set(code.Text); err != nil {
			problem.SetText(unlockErrorText(err))
			problem.Show()
			return
		}
		d.Hide()
		a.showLockState()
	})
	save.Importance = widget.HighImportance
	content := container.NewVBox(
		wrapped(lang.X("unlock.rules", "6 digits, not all the same and not in a row (like 123456).")),
		widget.NewForm(widget.NewFormItem(lang.X("unlock.code", "Code"), code), widget.NewFormItem(lang.X("unlock.again", "Again"), again)),
		problem, save)
	d = dialog.NewCustom(lang.X("profile.lock_set", "Set an unlock code"), lang.X("action.cancel", "Cancel"), content, a.u.win)
	d.Resize(fyne.NewSize(360, 0))
	d.Show()
}

func unlockErrorText(err error) string {
	var wrong *unlock.WrongCodeError
	switch {
	case errors.As(err, &wrong):
		return lang.X("unlock.wrong", "Wrong code: {{.Left}} attempts left.", map[string]any{"Left": wrong.Remaining})
	case errors.Is(err, unlock.ErrFormat):
		return lang.X("unlock.format", "The code is made of exactly 6 digits.")
	case errors.Is(err, unlock.ErrAllEqual):
		return lang.X("unlock.all_equal", "Do not use the same digit six times.")
	case errors.Is(err, unlock.ErrSequential):
		return lang.X("unlock.sequential", "Do not use digits in a row, like 123456 or 654321.")
	case errors.Is(err, unlock.ErrLockedOut):
		return lang.X("unlock.locked_out", "Too many wrong codes: you have been signed out and your data removed from this device.")
	}
	return errorText(err)
}

func (a *accountCard) confirmSignOut() {
	dialog.ShowConfirm(lang.X("profile.sign_out", "Sign out"),
		lang.X("profile.sign_out_confirm", "Sign out? Your data and documents are removed from this device; they stay at your municipality."),
		func(ok bool) {
			if ok {
				a.u.signOut("")
			}
		}, a.u.win)
}

// signOut signs out (server and device) and shows the sections again, signed
// out, with message (if any) on the way.
func (u *ui) signOut(message string) {
	u.stopPayment()
	u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		// Reminders handed to the system go before the data that names them.
		if src, err := u.appointmentsSource(); err == nil {
			if err := src.CancelReminders(ctx, reminderScheduler{u.app}); err != nil {
				u.log.Warn("sign-out: scheduled reminders", "err", err)
			}
		}
		err := u.account.SignOut(ctx)
		_ = os.RemoveAll(u.viewerDir())
		var notTold *account.ServerNotToldError
		if errors.As(err, &notTold) {
			u.log.Warn("sign-out: the server was not told", "err", notTold.Err)
			err = nil
		}
		fyne.Do(func() {
			u.showMain()
			switch {
			case err != nil:
				u.log.Error("sign-out", "err", err)
				dialog.ShowInformation(lang.X("profile.sign_out", "Sign out"), errorText(err), u.win)
			case message != "":
				dialog.ShowInformation(lang.X("profile.sign_out", "Sign out"), message, u.win)
			}
		})
	})
}

// sessionEnded handles an error that means the server ended the session:
// the device forgets everything and says so. It reports whether it did.
func (u *ui) sessionEnded(err error) bool {
	if !errors.Is(err, signin.ErrSessionEnded) && !core.IsProblem(err, core.ProblemUnauthorized) {
		return false
	}
	u.signOut(lang.X("session.ended", "Your session has ended. Sign in again to see your data."))
	return true
}
