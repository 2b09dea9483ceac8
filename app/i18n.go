package app

import (
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/sportello/sportello/assets"
)

// applyLanguage makes choice ("it", "en", or "" for the system's language)
// the language of every string the app translates with lang.X.
//
// Fyne picks translations by matching the system locale, which an app cannot
// change at run time on every platform. So the chosen bundle is registered
// under the system locale's own tag: the matcher then finds it first, on
// every OS. Both bundles hold every key (a test checks), so the last bundle
// registered replaces the previous choice completely.
func applyLanguage(choice string) {
	sys := lang.SystemLocale()
	want := choice
	if want != "it" && want != "en" {
		want = defaultLanguage(sys.LanguageString())
	}
	data, err := assets.Translations.ReadFile("translations/" + want + ".json")
	if err != nil {
		return // cannot happen: the files are embedded and tested
	}
	_ = lang.AddTranslationsForLocale(data, sys)
	current = want
}

// current is the language applyLanguage chose last.
var current = "it"

// currentLanguage is the language the UI speaks now, "it" or "en"; the core
// asks the server for the same.
func currentLanguage() string { return current }

// defaultLanguage is Italian for Italian locales and English for the rest.
func defaultLanguage(systemLanguage string) string {
	if strings.HasPrefix(strings.ToLower(systemLanguage), "it") {
		return "it"
	}
	return "en"
}
