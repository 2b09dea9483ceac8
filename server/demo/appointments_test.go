package demo

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/schedule"
)

// TestAppointmentsV3: a database of version 2 upgraded has what a fresh
// seed has, at any instant.
func TestAppointmentsV3(t *testing.T) {
	for _, now := range []time.Time{testNow, testNow.AddDate(0, 2, 11), testNow.AddDate(1, 4, 3)} {
		v2 := GenerateVersion(now, 2)
		if v2.Version != 2 || v2.Appointments != nil || v2.AppointmentServices != nil || v2.ReconfirmDays != 0 || len(v2.Messages) == 0 {
			t.Fatalf("version 2: %d, %d bookings", v2.Version, len(v2.Appointments))
		}
		have := v2
		have.Citizens = slices.Clone(v2.Citizens)
		slices.Reverse(have.Citizens)
		add, err := Upgrade(now, have)
		if err != nil {
			t.Fatal(err)
		}
		if add.Version != 3 || len(add.Citizens) != 0 || len(add.Messages) != 0 || len(add.Appointments) == 0 || add.ReconfirmDays != ReconfirmDays {
			t.Errorf("%v: added version %d, %d citizens, %d bookings", now, add.Version, len(add.Citizens), len(add.Appointments))
		}
		v2.Add(add)
		if !reflect.DeepEqual(v2, Generate(now)) {
			t.Errorf("%v: version 2 upgraded differs from Generate", now)
		}
	}
}

// TestBookings: on the offices' slots, from tomorrow, within the places of
// each slot, one active booking per citizen and service, none for the test
// identities; some days full, others part booked; the closures.
func TestBookings(t *testing.T) {
	ds := Generate(testNow)
	today := core.DateOf(testNow.In(schedule.Rome))
	if ds.ReconfirmDays != 3 || len(ds.AppointmentServices) != 8 || len(ds.OfficeServices) != 9 {
		t.Fatalf("%d days, %d services, %d offerings", ds.ReconfirmDays, len(ds.AppointmentServices), len(ds.OfficeServices))
	}
	minutes := map[string]int{}
	for _, s := range ds.AppointmentServices {
		minutes[s.ID] = s.SlotMinutes
		if s.NameIT == "" || s.NameEN == "" || len(s.BringIT) != len(s.BringEN) || len(s.BringIT) == 0 {
			t.Errorf("service %+v", s)
		}
	}
	// The closures: the patron saint's day and a training day of the
	// registry office, a Wednesday two to three weeks ahead.
	var training *Closure
	for i, c := range ds.Closures {
		switch {
		case c.Office == "" && (c.Day.Month() != time.December || c.Day.Day() != 7):
			t.Errorf("closure %+v", c)
		case c.Office == "anagrafe":
			training = &ds.Closures[i]
		}
	}
	if training == nil || training.Day.Weekday() != time.Wednesday || training.Day.Before(today.AddDate(0, 0, 14)) ||
		training.Day.After(today.AddDate(0, 0, 21)) || training.ReasonEN != "Closed for staff training" {
		t.Errorf("training day %+v", training)
	}
	closed := map[core.Date]string{}
	for _, c := range ds.Closures {
		closed[c.Day] = c.Office
	}
	weeks := map[string]schedule.Week{}
	capacity := map[string]int{}
	for _, os := range ds.OfficeServices {
		hours := os.Hours
		for _, o := range ds.Municipality.Offices {
			if o.ID == os.Office && hours == nil {
				hours = o.Hours
			}
		}
		w, err := schedule.WeekOf(hours)
		if err != nil {
			t.Fatal(err)
		}
		weeks[os.Office+"/"+os.Service], capacity[os.Office+"/"+os.Service] = w, os.Capacity
	}
	byName := map[string]core.Citizen{}
	for _, c := range ds.Citizens {
		byName[c.FiscalCode] = c
	}
	taken := map[string]int{}
	perDay := map[string]int{}
	active := map[string]bool{}
	codes := map[string]bool{}
	for _, a := range ds.Appointments {
		key := a.OfficeID + "/" + a.ServiceID
		w, ok := weeks[key]
		if !ok {
			t.Fatalf("%s: no such offering %s", a.Code, key)
		}
		day := core.DateOf(a.Start.In(schedule.Rome))
		if o, shut := closed[day]; schedule.IsHoliday(day) || shut && (o == "" || o == a.OfficeID) {
			t.Errorf("%s on a closed day %s", a.Code, day)
		}
		if !slices.ContainsFunc(w.Starts(day, time.Duration(minutes[a.ServiceID])*time.Minute, nil), a.Start.Equal) ||
			a.End.Sub(a.Start) != time.Duration(minutes[a.ServiceID])*time.Minute {
			t.Errorf("%s at %v is not a slot of %s", a.Code, a.Start, key)
		}
		c, ok := byName[a.Applicant.FiscalCode]
		if !ok || c.Name != a.Applicant.Name || c.Email != a.Applicant.Email || c.Email == "" || !isAdultOn(c, today) {
			t.Errorf("%s: applicant %+v", a.Code, a.Applicant)
		}
		if a.Applicant.FiscalCode == "CLMMRC74C15F205P" || a.Applicant.FiscalCode == "BNLFMZ89L70Z330L" || c.Surname == "Gatti" && c.Name == "Teresa" {
			t.Errorf("%s is a test identity's", a.Code)
		}
		if codes[a.Code] || len(a.Code) != 13 {
			t.Errorf("code %q", a.Code)
		}
		codes[a.Code] = true
		if a.Status != core.AppointmentBooked {
			if !a.End.Before(testNow) {
				t.Errorf("%s is %s but in the future", a.Code, a.Status)
			}
			continue
		}
		if !day.After(today.Time) || a.BookedAt.After(testNow) {
			t.Errorf("%s at %v booked at %v", a.Code, a.Start, a.BookedAt)
		}
		if a.ConfirmBy != nil && !a.ConfirmBy.Equal(a.Start.Add(-3*24*time.Hour)) || a.ConfirmBy == nil && a.ConfirmedAt == nil ||
			a.ConfirmBy != nil && !a.ConfirmBy.After(testNow) && a.ConfirmedAt == nil {
			t.Errorf("%s: confirm by %v, confirmed %v", a.Code, a.ConfirmBy, a.ConfirmedAt)
		}
		slot := key + a.Start.String()
		if taken[slot]++; taken[slot] > capacity[key] {
			t.Errorf("%s over the places of %s", a.Code, slot)
		}
		if active[a.Applicant.FiscalCode+a.ServiceID] {
			t.Errorf("%s: a second active %s", a.Applicant.FiscalCode, a.ServiceID)
		}
		active[a.Applicant.FiscalCode+a.ServiceID] = true
		perDay[key+" "+day.String()]++
	}
	full, part := 0, 0
	for k, n := range perDay {
		key, day := k[:len(k)-11], k[len(k)-10:]
		d, _ := core.ParseDate(day)
		if !strings.HasPrefix(key, "anagrafe/") {
			continue
		}
		w := weeks[key]
		places := len(w.Starts(d, time.Duration(minutes[strings.TrimPrefix(key, "anagrafe/")])*time.Minute, nil)) * capacity[key]
		switch {
		case n == places:
			full++
		case n > 0:
			part++
		}
	}
	if full < 3 || part < 10 {
		t.Errorf("registry office: %d full days, %d part booked", full, part)
	}
}
