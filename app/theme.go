package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// sportelloTheme is Fyne's default theme in the blue of Italian public
// administration sites (Designers Italia, #0066CC), optionally held to light
// or dark whatever the system says.
type sportelloTheme struct {
	forced *fyne.ThemeVariant
}

var (
	primaryLight = color.NRGBA{R: 0x00, G: 0x66, B: 0xCC, A: 0xFF}
	primaryDark  = color.NRGBA{R: 0x66, G: 0xA3, B: 0xFF, A: 0xFF}
)

func (t sportelloTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.forced != nil {
		v = *t.forced
	}
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameHyperlink:
		if v == theme.VariantDark {
			return primaryDark
		}
		return primaryLight
	case theme.ColorNameFocus:
		c := primaryLight
		if v == theme.VariantDark {
			c = primaryDark
		}
		c.A = 0x55
		return c
	}
	return theme.DefaultTheme().Color(n, v)
}

func (sportelloTheme) Font(s fyne.TextStyle) fyne.Resource     { return theme.DefaultTheme().Font(s) }
func (sportelloTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }
func (sportelloTheme) Size(n fyne.ThemeSizeName) float32       { return theme.DefaultTheme().Size(n) }

// applyTheme sets the app's theme for choice: "light", "dark" or "" to
// follow the system.
func applyTheme(a fyne.App, choice string) {
	t := sportelloTheme{}
	switch choice {
	case "light":
		v := theme.VariantLight
		t.forced = &v
	case "dark":
		v := theme.VariantDark
		t.forced = &v
	}
	a.Settings().SetTheme(t)
}
