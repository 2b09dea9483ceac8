package store

import (
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/schedule"
)

// The calendar of one service at one office (docs/appointments.md): the
// days it opens, the times of a day it can be booked, the closures.

// Rome is the time zone of every office's hours.
var Rome = schedule.Rome

// Booking limits.
const (
	// HorizonDays: a booking is for a day at most this many days from today.
	HorizonDays = 90
	// Earliest: a booking starts at least this long from now.
	Earliest = 30 * time.Minute
	// MaxDetails is the longest details a booking takes, in characters.
	MaxDetails = 500
)

// offering is one service at one office: its places per slot, the slot's
// length and the hours it is booked in.
type offering struct {
	office, service string
	capacity        int
	slot            time.Duration
	hours           schedule.Week
}

// closure is why a day is closed, in both languages.
type closure struct{ it, en string }

// calendar is an offering with the closures of a range of days: the
// national holidays of its years and the database's closures.
type calendar struct {
	offering
	closed map[core.Date]closure
}

// addHolidays closes the national holidays of the years from first to
// last; a holiday takes the place of a closure on the same day.
func (c *calendar) addHolidays(first, last int) {
	for y := first; y <= last; y++ {
		for _, h := range schedule.Holidays(y) {
			c.closed[h.Day] = closure{h.NameIT, h.NameEN}
		}
	}
}

// closedReason names why day is closed, "" when it is not (a weekday the
// office does not open is not closed: it has no slots).
func (c *calendar) closedReason(day core.Date, lang string) string {
	r, ok := c.closed[day]
	switch {
	case !ok:
		return ""
	case lang == "en":
		return r.en
	}
	return r.it
}

// slots lists the starts of day's slots, in order, into out; none when
// the day is closed.
func (c *calendar) slots(day core.Date, out []time.Time) []time.Time {
	if _, closed := c.closed[day]; closed {
		return out[:0]
	}
	return c.hours.Starts(day, c.slot, out)
}

// isSlot reports whether start is the start of a slot of its day.
func (c *calendar) isSlot(start time.Time) bool {
	for _, s := range c.slots(core.DateOf(start.In(Rome)), nil) {
		if s.Equal(start) {
			return true
		}
	}
	return false
}

// window is what may be booked at now: from now+Earliest to the end of the
// day HorizonDays days from today (Europe/Rome).
type window struct{ from, until time.Time }

func bookingWindow(now time.Time) window {
	today := core.DateOf(now.In(Rome))
	return window{from: now.Add(Earliest), until: dayStart(core.DateOf(today.AddDate(0, 0, HorizonDays+1)))}
}

func (w window) contains(start time.Time) bool { return !start.Before(w.from) && start.Before(w.until) }

// dayStart is midnight of day in Rome.
func dayStart(day core.Date) time.Time { return schedule.Midnight(day) }
