package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// tile is a card that opens something when tapped: a dossier section.
type tile struct {
	widget.BaseWidget
	content fyne.CanvasObject
	onTap   func()
}

// newTile shows icon, title and a one-line summary; highlight draws the
// summary in the warning colour (something needs attention).
func newTile(icon fyne.Resource, title, summary string, highlight bool, onTap func()) *tile {
	sum := wrapped(summary)
	if highlight {
		sum.Importance = widget.WarningImportance
	}
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t := &tile{onTap: onTap, content: widget.NewCard("", "", container.NewBorder(nil, nil,
		widget.NewIcon(icon), widget.NewIcon(theme.NavigateNextIcon()), container.NewVBox(head, sum)))}
	t.ExtendBaseWidget(t)
	return t
}

func (t *tile) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.content) }

// Tapped opens the tile's section.
func (t *tile) Tapped(*fyne.PointEvent) { t.onTap() }

// Cursor shows a hand over the tile on desktops.
func (t *tile) Cursor() desktop.Cursor { return desktop.PointerCursor }
