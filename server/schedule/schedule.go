// Package schedule is the calendar of a municipality's offices: the Italian
// national holidays, computed by rule, and the slots an office's opening
// hours give a day. The server's store computes availability with it and
// the demo places its bookings with it.
package schedule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Rome also where the system has no zone database (phones)

	"github.com/sportello/sportello/core"
)

// Rome is the time zone of every office's hours.
var Rome = mustLoad("Europe/Rome")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("schedule: " + err.Error()) // time/tzdata is embedded
	}
	return loc
}

// Holiday is an Italian national holiday: a day every office is closed.
type Holiday struct {
	Day            core.Date
	NameIT, NameEN string
}

// Holidays lists the national holidays of year (Legge 260/1949 and the
// laws after it), in order; Easter Sunday and Monday computed by rule.
func Holidays(year int) []Holiday {
	easter := Easter(year)
	d := func(m time.Month, day int) core.Date { return core.NewDate(year, m, day) }
	list := []Holiday{
		{d(time.January, 1), "Capodanno", "New Year's Day"},
		{d(time.January, 6), "Epifania", "Epiphany"},
		{easter, "Pasqua", "Easter Sunday"},
		{core.DateOf(easter.AddDate(0, 0, 1)), "Lunedì dell'Angelo", "Easter Monday"},
		{d(time.April, 25), "Festa della Liberazione", "Liberation Day"},
		{d(time.May, 1), "Festa del Lavoro", "Labour Day"},
		{d(time.June, 2), "Festa della Repubblica", "Republic Day"},
		{d(time.August, 15), "Ferragosto", "Assumption Day"},
		{d(time.November, 1), "Ognissanti", "All Saints' Day"},
		{d(time.December, 8), "Immacolata Concezione", "Immaculate Conception"},
		{d(time.December, 25), "Natale", "Christmas Day"},
		{d(time.December, 26), "Santo Stefano", "St Stephen's Day"},
	}
	if year >= 2026 {
		// St Francis of Assisi, patron saint of Italy: a national holiday
		// again from 2026 (Legge 151/2025).
		francis := Holiday{d(time.October, 4), "San Francesco d'Assisi", "St Francis of Assisi"}
		i := slices.IndexFunc(list, func(h Holiday) bool { return h.Day.After(francis.Day.Time) })
		list = slices.Insert(list, i, francis)
	}
	return list
}

// Easter is Easter Sunday of year in the Gregorian calendar (the anonymous
// Gregorian algorithm, Meeus/Jones/Butcher).
func Easter(year int) core.Date {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return core.NewDate(year, time.Month(month), day)
}

// IsHoliday reports whether day is a national holiday.
func IsHoliday(day core.Date) bool {
	for _, h := range Holidays(day.Year()) {
		if h.Day == day {
			return true
		}
	}
	return false
}

// Span is an opening interval of a day, in minutes from midnight.
type Span struct{ Opens, Closes int }

// Week is the opening intervals of each weekday, 1 (Monday) to 7.
type Week [8][]Span

// ParseHHMM reads "08:45" as minutes from midnight.
func ParseHHMM(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(m) != 2 || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, fmt.Errorf("time of day %q", s)
	}
	return hh*60 + mm, nil
}

// Add adds the hours of one weekday, "08:45" to "12:30".
func (w *Week) Add(weekday int, opens, closes string) error {
	a, err := ParseHHMM(opens)
	if err != nil {
		return err
	}
	b, err := ParseHHMM(closes)
	if err != nil {
		return err
	}
	if weekday < 1 || weekday > 7 || b <= a {
		return fmt.Errorf("hours of weekday %d: %s-%s", weekday, opens, closes)
	}
	w[weekday] = append(w[weekday], Span{a, b})
	return nil
}

// WeekOf is the week of an office's opening hours.
func WeekOf(hours []core.OpeningHours) (Week, error) {
	var w Week
	for _, h := range hours {
		if err := w.Add(h.Weekday, h.Opens, h.Closes); err != nil {
			return w, err
		}
	}
	return w, nil
}

// Weekday is day's weekday, 1 (Monday) to 7 (Sunday).
func Weekday(day core.Date) int {
	if wd := int(day.Weekday()); wd != 0 {
		return wd
	}
	return 7
}

// Starts appends to out[:0] the starts of the slots of length slot that
// the week's hours give day, in order (Europe/Rome): a slot starts at the
// opening time or where the previous one ends, and ends by the closing
// time. Closures are the caller's to apply.
func (w *Week) Starts(day core.Date, slot time.Duration, out []time.Time) []time.Time {
	out = out[:0]
	step := int(slot / time.Minute)
	if step <= 0 {
		return out
	}
	for _, sp := range w[Weekday(day)] {
		for m := sp.Opens; m+step <= sp.Closes; m += step {
			out = append(out, time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, Rome))
		}
	}
	return out
}

// Midnight is the start of day in Rome.
func Midnight(day core.Date) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, Rome)
}
