// Package assets embeds the files the app ships: translations (Italian first,
// and English) and the app icon.
package assets

import "embed"

// Translations holds translations/it.json and translations/en.json, in the
// go-i18n format Fyne's lang package reads.
//
//go:embed translations/*.json
var Translations embed.FS

// Icon is the app icon, a PNG rendered from icon.svg.
//
//go:embed icon.png
var Icon []byte
