package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// field is one labelled value of a details card (contacts, registry data).
type field struct {
	label string
	value fyne.CanvasObject
}

// textField is a field showing plain text; empty values are left out by
// fieldList.
func textField(label, value string) field {
	if value == "" {
		return field{label: label}
	}
	return field{label: label, value: widget.NewLabel(value)}
}

// fieldList lays fields out as a form on a desktop and, on a phone, as a
// label above each value, which then has the whole width.
func (u *ui) fieldList(fields []field) fyne.CanvasObject {
	if u.phone {
		box := container.NewVBox()
		for _, f := range fields {
			if f.value == nil {
				continue
			}
			box.Add(widget.NewLabelWithStyle(f.label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
			box.Add(f.value)
		}
		return box
	}
	form := widget.NewForm()
	for _, f := range fields {
		if f.value != nil {
			form.Append(f.label, f.value)
		}
	}
	return form
}
