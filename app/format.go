package app

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // officeZone on devices without a zone database (Windows, phones)
	"unicode"

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

// officeZone is the municipality's clock. Appointments are at an office in
// Italy: their days and times read as the counter's clock whatever zone
// the device is in, as the server computes them.
var officeZone = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Rome"); err == nil {
		return l
	}
	return time.UTC
}()

// clock formats the time of day of t at the office: "09:40".
func clock(t time.Time) string { return t.In(officeZone).Format("15:04") }

// monthName is the month's name as it reads inside a sentence: "dicembre",
// "December".
func monthName(m time.Month) string {
	names := []string{
		lang.X("month.1", "January"), lang.X("month.2", "February"), lang.X("month.3", "March"), lang.X("month.4", "April"),
		lang.X("month.5", "May"), lang.X("month.6", "June"), lang.X("month.7", "July"), lang.X("month.8", "August"),
		lang.X("month.9", "September"), lang.X("month.10", "October"), lang.X("month.11", "November"), lang.X("month.12", "December"),
	}
	if m < time.January || m > time.December {
		return fmt.Sprint(int(m))
	}
	return names[m-1]
}

// monthTitle heads a month's calendar: "Dicembre 2026".
func monthTitle(t time.Time) string {
	name := []rune(monthName(t.Month()))
	if len(name) > 0 {
		name[0] = unicode.ToUpper(name[0])
	}
	return fmt.Sprintf("%s %d", string(name), t.Year())
}

// isoWeekday numbers t's weekday as the opening hours do: 1 = Monday ...
// 7 = Sunday.
func isoWeekday(t time.Time) int { return (int(t.Weekday())+6)%7 + 1 }

// longDate writes a day in full as it reads inside a sentence: "martedì 1
// dicembre 2026", "Tuesday 1 December 2026".
func longDate(t time.Time) string {
	names := []string{
		lang.X("weekday_long.1", "Monday"), lang.X("weekday_long.2", "Tuesday"), lang.X("weekday_long.3", "Wednesday"),
		lang.X("weekday_long.4", "Thursday"), lang.X("weekday_long.5", "Friday"), lang.X("weekday_long.6", "Saturday"),
		lang.X("weekday_long.7", "Sunday"),
	}
	return lang.X("date.long", "{{.Weekday}} {{.Day}} {{.Month}} {{.Year}}", map[string]any{
		"Weekday": names[isoWeekday(t)-1], "Day": t.Day(), "Month": monthName(t.Month()), "Year": t.Year()})
}

// shortDate writes a day briefly, for a button: "Mar 24 nov", "Tue 24 Nov".
func shortDate(t time.Time) string {
	short := []string{
		lang.X("month_short.1", "Jan"), lang.X("month_short.2", "Feb"), lang.X("month_short.3", "Mar"), lang.X("month_short.4", "Apr"),
		lang.X("month_short.5", "May"), lang.X("month_short.6", "Jun"), lang.X("month_short.7", "Jul"), lang.X("month_short.8", "Aug"),
		lang.X("month_short.9", "Sep"), lang.X("month_short.10", "Oct"), lang.X("month_short.11", "Nov"), lang.X("month_short.12", "Dec"),
	}
	return lang.X("date.short", "{{.Weekday}} {{.Day}} {{.Month}}", map[string]any{
		"Weekday": weekdayName(isoWeekday(t)), "Day": t.Day(), "Month": short[t.Month()-1]})
}
