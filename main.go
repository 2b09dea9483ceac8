// Command sportello is the Sportello citizen app. With no municipality
// configured it shows the demo municipality, served in process.
package main

import (
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/sportello/sportello/app"
)

func main() {
	app.Run(fyneapp.NewWithID("it.sportello.app"))
}
