package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/account"
	"github.com/sportello/sportello/core/dossier"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/unlock"
)

// profileScreen shows the signed-in citizen: their registry identity, when
// the session ends, the unlock code and signing out.
type profileScreen struct {
	u        *ui
	identity *fyne.Container
	session  *widget.Label
	lockInfo *widget.Label
	lockBtn  *widget.Button
	root     fyne.CanvasObject
}

func newProfileScreen(u *ui) *profileScreen {
	p := &profileScreen{u: u, identity: container.NewVBox(), session: wrapped(""), lockInfo: wrapped("")}
	p.identity.Add(wrapped(lang.X("profile.loading", "Loading your data…")))
	signOut := widget.NewButtonWithIcon(lang.X("profile.sign_out", "Sign out"), theme.LogoutIcon(), p.confirmSignOut)
	signOut.Importance = widget.DangerImportance
	p.lockBtn = widget.NewButton("", p.toggleLock)
	sessionBox := container.NewVBox(p.session)
	if !u.account.Persistent() {
		warn := wrapped(lang.X("profile.memory_only", "This device has no system keyring: you stay signed in only until you close the app."))
		warn.Importance = widget.WarningImportance
		sessionBox.Add(warn)
	}
	sessionBox.Add(container.NewHBox(signOut))
	p.root = container.NewVScroll(container.NewPadded(container.NewVBox(
		widget.NewCard(lang.X("profile.identity", "Your registry data"), "", p.identity),
		widget.NewCard(lang.X("profile.session", "Your session"), "", sessionBox),
		widget.NewCard(lang.X("profile.lock", "Unlock code"), "", container.NewVBox(p.lockInfo, container.NewHBox(p.lockBtn))),
	)))
	p.showLockState()
	return p
}

func (p *profileScreen) object() fyne.CanvasObject { return p.root }

// load shows the encrypted copy at once, then the server's answer, and asks
// when the session ends.
func (p *profileScreen) load() {
	p.u.async(func() { p.loadNow(context.Background()) })
}

func (p *profileScreen) loadNow(ctx context.Context) {
	u := p.u
	v, err := u.account.Vault()
	if err != nil {
		fyne.Do(func() { p.showIdentityError(err) })
		return
	}
	site := u.conn.Current().Site()
	if cached, ok, _ := dossier.CachedIdentity(ctx, u.conn.Store(), v, site); ok {
		fyne.Do(func() { p.showIdentity(cached) })
	}
	id, err := dossier.RefreshIdentity(ctx, u.conn.Client(), u.account.Authorizer(), u.conn.Store(), v, site, u.now())
	info, infoErr := u.account.SessionInfo(ctx)
	fyne.Do(func() {
		if u.sessionEnded(err) || u.sessionEnded(infoErr) {
			return
		}
		if err != nil {
			p.showIdentityError(err)
		} else {
			p.showIdentity(id)
		}
		if infoErr == nil {
			p.showSession(info)
		}
	})
}

func (p *profileScreen) showIdentity(id dossier.Identity) {
	c := id.Citizen
	birth := p.u.formatDate(c.BirthDate)
	if c.BirthPlace.Name != "" {
		birth += " · " + c.BirthPlace.Name
		if c.BirthPlace.Province != "" && c.BirthPlace.Province != "EE" {
			birth += " (" + c.BirthPlace.Province + ")"
		}
	}
	form := p.u.fieldList([]field{
		textField(lang.X("profile.name", "Name"), c.Name+" "+c.Surname),
		textField(lang.X("profile.fiscal_code", "Fiscal code"), c.FiscalCode),
		textField(lang.X("profile.sex", "Sex"), sexName(c.Sex)),
		textField(lang.X("profile.birth", "Born"), birth),
		textField(lang.X("profile.citizenship", "Citizenship"), c.Citizenship),
		textField(lang.X("profile.email", "E-mail"), c.Email),
		textField(lang.X("profile.phone", "Phone"), c.Phone),
	})
	objs := []fyne.CanvasObject{form}
	if id.Stale != nil {
		stale := wrapped(lang.X("home.offline", "You are seeing the copy saved on {{.When}}. {{.Reason}}",
			map[string]any{"When": p.u.formatTime(id.FetchedAt), "Reason": errorText(id.Stale)}))
		stale.Importance = widget.WarningImportance
		objs = append([]fyne.CanvasObject{stale}, objs...)
	}
	p.identity.Objects = objs
	p.identity.Refresh()
	p.root.Refresh()
}

func (p *profileScreen) showIdentityError(err error) {
	l := wrapped(errorText(err))
	l.Importance = widget.DangerImportance
	p.identity.Objects = []fyne.CanvasObject{l, widget.NewButtonWithIcon(lang.X("action.retry", "Try again"), theme.ViewRefreshIcon(), p.load)}
	p.identity.Refresh()
}

func (p *profileScreen) showSession(info core.SessionInfo) {
	p.session.SetText(sessionText(info, p.u.now(), p.u.formatDate(core.DateOf(info.ExpiresAt.In(p.u.loc)))))
	if info.ExpiresAt.Sub(p.u.now()) < 14*24*time.Hour {
		p.session.Importance = widget.WarningImportance
	}
	p.session.Refresh()
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

func (p *profileScreen) showLockState() {
	on, err := p.u.account.Lock().Enabled()
	if err != nil {
		p.u.log.Warn("profile: unlock code", "err", err)
	}
	if on {
		p.lockInfo.SetText(lang.X("profile.lock_on", "Sportello asks for your 6-digit code when it opens and after some minutes in the background."))
		p.lockBtn.SetText(lang.X("profile.lock_remove", "Remove the unlock code"))
	} else {
		p.lockInfo.SetText(lang.X("profile.lock_off", "Set a 6-digit code to keep others from opening your data on this device."))
		p.lockBtn.SetText(lang.X("profile.lock_set", "Set an unlock code"))
	}
}

func (p *profileScreen) toggleLock() {
	if on, _ := p.u.account.Lock().Enabled(); on {
		if err := p.u.account.Lock().Disable(); err != nil {
			dialog.ShowError(errors.New(errorText(err)), p.u.win)
		}
		p.showLockState()
		return
	}
	p.askNewCode()
}

// askNewCode asks the code twice and explains a refused one in place.
func (p *profileScreen) askNewCode() {
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
		if err := p.u.account.Lock().Set(code.Text); err != nil {
			problem.SetText(unlockErrorText(err))
			problem.Show()
			return
		}
		d.Hide()
		p.showLockState()
	})
	save.Importance = widget.HighImportance
	content := container.NewVBox(
		wrapped(lang.X("unlock.rules", "6 digits, not all the same and not in a row (like 123456).")),
		widget.NewForm(widget.NewFormItem(lang.X("unlock.code", "Code"), code), widget.NewFormItem(lang.X("unlock.again", "Again"), again)),
		problem, save)
	d = dialog.NewCustom(lang.X("profile.lock_set", "Set an unlock code"), lang.X("action.cancel", "Cancel"), content, p.u.win)
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

func (p *profileScreen) confirmSignOut() {
	dialog.ShowConfirm(lang.X("profile.sign_out", "Sign out"),
		lang.X("profile.sign_out_confirm", "Sign out? Your data and documents are removed from this device; they stay at your municipality."),
		func(ok bool) {
			if ok {
				p.u.signOut("")
			}
		}, p.u.win)
}

// signOut signs out (server and device) and shows the sections again, signed
// out, with message (if any) on the way.
func (u *ui) signOut(message string) {
	u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err := u.account.SignOut(ctx)
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

// formatDate formats a calendar day for people: "22/11/2026".
func (u *ui) formatDate(d core.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%d", d.Day(), int(d.Month()), d.Year())
}
