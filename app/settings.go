package app

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// settingsScreen chooses the municipality, the language and the theme.
type settingsScreen struct {
	u    *ui
	root fyne.CanvasObject

	current  *widget.Label
	address  *widget.Entry
	connect  *widget.Button
	useDemo  *widget.Button
	busy     *widget.Activity
	feedback *widget.Label
	account  *accountCard // nil when signed out
}

func newSettingsScreen(u *ui) *settingsScreen {
	s := &settingsScreen{u: u}
	cards := container.NewVBox()
	if u.signedIn() {
		s.account = newAccountCard(u)
		cards.Add(s.account.card)
	}
	cards.Objects = append(cards.Objects, s.municipalityCard(), s.languageCard(), s.themeCard(), s.aboutCard())
	s.root = container.NewVScroll(container.NewPadded(cards))
	s.showCurrent()
	return s
}

func (s *settingsScreen) object() fyne.CanvasObject { return s.root }

func (s *settingsScreen) municipalityCard() fyne.CanvasObject {
	s.current = wrapped("")
	s.address = widget.NewEntry()
	s.address.SetPlaceHolder("https://servizi.comune.example")
	s.address.OnSubmitted = func(string) { s.connectTo() }
	s.connect = widget.NewButtonWithIcon(lang.X("settings.connect", "Connect"), theme.LoginIcon(), s.connectTo)
	s.connect.Importance = widget.HighImportance
	s.useDemo = widget.NewButton(lang.X("settings.use_demo", "Use the demo municipality"), s.switchToDemo)
	s.busy = widget.NewActivity()
	s.busy.Hide()
	s.feedback = wrapped("")
	s.feedback.Hide()
	hint := wrapped(lang.X("settings.address_hint", "Your municipality gives you the address of its Sportello server."))
	hint.TextStyle.Italic = true
	return widget.NewCard(lang.X("settings.municipality", "Municipality"), "", container.NewVBox(
		s.current,
		widget.NewLabelWithStyle(lang.X("settings.address", "Server address of your municipality"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.address, hint,
		container.NewHBox(s.connect, s.useDemo, s.busy),
		s.feedback,
	))
}

func (s *settingsScreen) showCurrent() {
	c := s.u.conn.Current()
	if c.Demo {
		s.current.SetText(lang.X("settings.current_demo", "You are using the demo municipality, served by this device."))
		s.useDemo.Disable()
	} else {
		s.current.SetText(lang.X("settings.current_url", "You are connected to {{.URL}}.", map[string]any{"URL": c.URL}))
		s.useDemo.Enable()
	}
}

func (s *settingsScreen) setBusy(busy bool) {
	if busy {
		s.busy.Show()
		s.busy.Start()
		s.connect.Disable()
		s.useDemo.Disable()
		s.feedback.Hide()
		return
	}
	s.busy.Stop()
	s.busy.Hide()
	s.connect.Enable()
	s.showCurrent()
}

func (s *settingsScreen) say(text string, importance widget.Importance) {
	s.feedback.Importance = importance
	s.feedback.SetText(text)
	s.feedback.Show()
}

// connectTo checks the typed address and switches to it only if a Sportello
// server answers there; otherwise the app stays where it was and says why.
func (s *settingsScreen) connectTo() {
	address := s.address.Text
	s.signOutFirst(func(ctx context.Context) error { return s.u.conn.UseURL(ctx, address) })
}

func (s *settingsScreen) switchToDemo() {
	s.signOutFirst(func(ctx context.Context) error { return s.u.conn.UseDemo(ctx) })
}

// signOutFirst switches municipality with change. A signed-in citizen is
// signed out of the current one first (after confirming): their session and
// data belong to that municipality.
func (s *settingsScreen) signOutFirst(change func(context.Context) error) {
	run := func() {
		s.setBusy(true)
		s.u.async(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := change(ctx)
			fyne.Do(func() { s.switched(err) })
		})
	}
	if !s.u.signedIn() {
		run()
		return
	}
	dialog.ShowConfirm(lang.X("settings.municipality", "Municipality"),
		lang.X("settings.switch_signs_out", "Changing municipality signs you out of this one and removes your data from this device. Continue?"),
		func(ok bool) {
			if !ok {
				return
			}
			s.u.async(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				defer cancel()
				if err := s.u.account.SignOut(ctx); err != nil {
					s.u.log.Warn("settings: sign out before switching", "err", err)
				}
				fyne.Do(run)
			})
		}, s.u.win)
}

func (s *settingsScreen) switched(err error) {
	s.setBusy(false)
	if err != nil {
		s.u.log.Warn("settings: switch municipality", "err", err)
		s.say(errorText(err), widget.DangerImportance)
		return
	}
	s.address.SetText("")
	s.u.showMain()
	s.u.showSettings()
	s.u.settings.say(lang.X("settings.switched", "Done: the Municipality section now shows the new municipality."), widget.SuccessImportance)
}

func (s *settingsScreen) languageCard() fyne.CanvasObject {
	choices := []string{"", "it", "en"}
	labels := []string{lang.X("settings.language_system", "Same as the device"), "Italiano", "English"}
	sel := widget.NewSelect(labels, nil)
	sel.SetSelectedIndex(indexOf(choices, s.u.app.Preferences().String(prefLanguage)))
	sel.OnChanged = func(string) {
		choice := choices[sel.SelectedIndex()]
		s.u.app.Preferences().SetString(prefLanguage, choice)
		s.u.setLanguage(choice)
	}
	return widget.NewCard(lang.X("settings.language", "Language"), "", sel)
}

func (s *settingsScreen) themeCard() fyne.CanvasObject {
	choices := []string{"", "light", "dark"}
	labels := []string{lang.X("settings.theme_system", "Same as the device"), lang.X("settings.theme_light", "Light"), lang.X("settings.theme_dark", "Dark")}
	radio := widget.NewRadioGroup(labels, nil)
	radio.Horizontal = !s.u.phone
	radio.Required = true
	radio.SetSelected(labels[indexOf(choices, s.u.app.Preferences().String(prefTheme))])
	radio.OnChanged = func(label string) {
		choice := choices[indexOf(labels, label)]
		s.u.app.Preferences().SetString(prefTheme, choice)
		applyTheme(s.u.app, choice)
	}
	return widget.NewCard(lang.X("settings.theme", "Appearance"), "", radio)
}

func (s *settingsScreen) aboutCard() fyne.CanvasObject {
	meta := s.u.app.Metadata()
	version := meta.Version
	if version == "" {
		version = "dev"
	}
	return widget.NewCard(lang.X("settings.about", "About Sportello"), "", container.NewVBox(
		widget.NewLabel(lang.X("settings.version", "Version {{.Version}}", map[string]any{"Version": version})),
		wrapped(lang.X("settings.license", "Free software under the EUPL-1.2 licence.")),
	))
}

// setLanguage switches the UI and the server's answers to choice and rebuilds
// every screen in it, keeping the user on Settings.
func (u *ui) setLanguage(choice string) {
	applyLanguage(choice)
	if err := u.conn.SetLanguage(currentLanguage()); err != nil {
		u.log.Warn("settings: language", "err", err)
	}
	u.build()
	u.showSettings()
	u.home.load()
}

func indexOf(list []string, v string) int {
	for i, s := range list {
		if s == v {
			return i
		}
	}
	return 0
}
