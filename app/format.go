package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/sportello/sportello/core"
)

// formatTime formats t for people: "22/11/2026 10:05" in the device's zone.
func (u *ui) formatTime(t time.Time) string {
	return t.In(u.loc).Format("02/01/2006 15:04")
}

// formatDate formats a calendar day for people: "22/11/2026".
func (u *ui) formatDate(d core.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%d", d.Day(), int(d.Month()), d.Year())
}

// today is the calendar day of u.now in the device's zone.
func (u *ui) today() core.Date { return core.DateOf(u.now().In(u.loc)) }

// formatMoney formats euro cents the way the UI language writes money:
// "1.234,50 €" in Italian, "€1,234.50" in English.
func formatMoney(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	euros, rest := cents/100, cents%100
	digits := fmt.Sprint(euros)
	thousands, decimal := ".", ","
	if currentLanguage() == "en" {
		thousands, decimal = ",", "."
	}
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(r)
	}
	if currentLanguage() == "en" {
		return fmt.Sprintf("%s€%s%s%02d", sign, b.String(), decimal, rest)
	}
	return fmt.Sprintf("%s%s%s%02d €", sign, b.String(), decimal, rest)
}

// ago says how long ago t was, for "updated ..." lines.
func (u *ui) ago(t time.Time) string {
	d := u.now().Sub(t)
	switch {
	case d < time.Minute:
		return lang.X("time.just_now", "just now")
	case d < time.Hour:
		return lang.X("time.minutes_ago", "{{.N}} min ago", map[string]any{"N": int(d.Minutes())})
	case d < 24*time.Hour:
		return lang.X("time.hours_ago", "{{.N}} h ago", map[string]any{"N": int(d.Hours())})
	}
	return lang.X("time.on", "on {{.When}}", map[string]any{"When": u.formatTime(t)})
}
