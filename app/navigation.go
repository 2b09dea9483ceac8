package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
)

// navigation holds the app's sections: side navigation on a desktop, tabs at
// the bottom on a phone. A section is listed only when its feature works.
func (u *ui) navigation() fyne.CanvasObject {
	tabs := container.NewAppTabs(container.NewTabItemWithIcon(lang.X("nav.home", "Municipality"), theme.HomeIcon(), u.home.object()))
	if u.profile != nil {
		tabs.Append(container.NewTabItemWithIcon(lang.X("nav.profile", "Profile"), theme.AccountIcon(), u.profile.object()))
	}
	tabs.Append(container.NewTabItemWithIcon(lang.X("nav.settings", "Settings"), theme.SettingsIcon(), u.settings.object()))
	u.tabs = tabs
	if u.phone {
		tabs.SetTabLocation(container.TabLocationBottom)
	} else {
		tabs.SetTabLocation(container.TabLocationLeading)
	}
	return tabs
}

// showSettings opens the Settings section.
func (u *ui) showSettings() {
	if u.tabs != nil {
		u.tabs.SelectIndex(len(u.tabs.Items) - 1)
	}
}

// showProfile opens the Profile section, when signed in.
func (u *ui) showProfile() {
	if u.tabs != nil && u.profile != nil {
		u.tabs.SelectIndex(1)
	}
}
