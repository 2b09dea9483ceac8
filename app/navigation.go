package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"

	"github.com/sportello/sportello/core/dossier"
)

// navigation holds the app's sections: side navigation on a desktop, tabs at
// the bottom on a phone. A section is listed only when its feature works.
func (u *ui) navigation() fyne.CanvasObject {
	tabs := container.NewAppTabs(container.NewTabItemWithIcon(lang.X("nav.home", "Municipality"), theme.HomeIcon(), u.home.object()))
	if u.dossier != nil {
		tabs.Append(container.NewTabItemWithIcon(lang.X("nav.dossier", "Dossier"), theme.AccountIcon(), u.dossier.object()))
	}
	tabs.Append(container.NewTabItemWithIcon(lang.X("nav.settings", "Settings"), theme.SettingsIcon(), u.settings.object()))
	u.tabs = tabs
	// A section laid out while hidden had no width for its wrapped labels;
	// lay it out again when it shows.
	tabs.OnSelected = func(item *container.TabItem) { refreshTree(item.Content) }
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

// showDossier opens the Dossier section, when signed in.
func (u *ui) showDossier() {
	if u.tabs != nil && u.dossier != nil {
		u.tabs.SelectIndex(1)
	}
}

// updateDossierTab shows the number of unread messages on the Dossier tab.
func (u *ui) updateDossierTab() {
	if u.tabs == nil || u.dossier == nil || len(u.tabs.Items) < 3 {
		return
	}
	title := lang.X("nav.dossier", "Dossier")
	if n := dossier.Unread(u.dossier.snap.Dossier); n > 0 {
		title += fmt.Sprintf(" (%d)", n)
	}
	u.tabs.Items[1].Text = title
	u.tabs.Refresh()
}

// refreshTree refreshes o and every container and scroll below it, so that
// wrapped labels measure their height at the width they now have.
func refreshTree(o fyne.CanvasObject) {
	switch c := o.(type) {
	case *fyne.Container:
		for _, child := range c.Objects {
			refreshTree(child)
		}
	case *container.Scroll:
		refreshTree(c.Content)
	}
	o.Refresh()
}
