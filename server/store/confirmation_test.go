package store

import (
	"testing"
	"time"
)

// TestConfirmation: a re-confirmation deadline leaves at least a day;
// nearer bookings are confirmed on booking.
func TestConfirmation(t *testing.T) {
	now := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ahead     time.Duration
		deadline  bool
		confirmed bool
	}{
		{40 * 24 * time.Hour, true, false},
		{4 * 24 * time.Hour, true, false},           // the deadline is a day away
		{3*24*time.Hour + 4*time.Hour, false, true}, // it would be 4 hours away
		{2 * 24 * time.Hour, false, true},
	} {
		by, at := confirmation(now.Add(c.ahead), now, 3)
		if (by != nil) != c.deadline || (at != nil) != c.confirmed {
			t.Errorf("%v ahead: confirm by %v, confirmed at %v", c.ahead, by, at)
		}
	}
	if by, at := confirmation(now.Add(40*24*time.Hour), now, 0); by != nil || at != nil {
		t.Errorf("off: %v, %v", by, at)
	}
}
