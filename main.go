// Command sportello is the Sportello citizen app. With no municipality
// configured it shows the demo municipality, served in process.
package main

import (
	_ "embed"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/sportello/sportello/app"
	"github.com/sportello/sportello/assets"
)

// fyneAppTOML is the app's metadata file. `fyne package` reads it; a plain
// `go build` does not, so the version shown in Settings comes from here.
//
//go:embed FyneApp.toml
var fyneAppTOML string

func main() {
	fyneapp.SetMetadata(fyne.AppMetadata{
		ID:      "it.sportello.app",
		Name:    "Sportello",
		Version: metadata("Version"),
		Build:   atoi(metadata("Build")),
		Icon:    fyne.NewStaticResource("icon.png", assets.Icon),
		Release: true,
	})
	app.Run(fyneapp.NewWithID("it.sportello.app"))
}

// metadata reads one `Key = value` line of FyneApp.toml's [Details]; the file
// is ours and flat, so a line scan is enough.
func metadata(key string) string {
	for _, line := range strings.Split(fyneAppTOML, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.TrimSpace(k) == key {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
