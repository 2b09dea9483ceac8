package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/store"
)

// TestAppointmentsCommand sets the re-confirmation window and a closure,
// and prints them with the services.
func TestAppointmentsCommand(t *testing.T) {
	ctx := context.Background()
	db := seededDB(t)
	code, out, errOut := runCmd(t, ctx, "appointments", "--db", db)
	if code != 0 || !strings.Contains(out, "re-confirmation: 3 days") || !strings.Contains(out, "id_card_renewal") ||
		!strings.Contains(out, "anagrafe, urp") {
		t.Fatalf("appointments: %d\n%s\n%s", code, out, errOut)
	}
	day := core.DateOf(time.Now().AddDate(0, 0, 20))
	code, out, errOut = runCmd(t, ctx, "appointments", "--db", db, "--reconfirm-days", "0",
		"--close", day.String(), "--office", "tributi", "--reason", "Inventario", "--reason-en", "Stocktaking")
	if code != 0 || !strings.Contains(out, "re-confirmation: off") || !strings.Contains(out, day.String()+"  tributi") {
		t.Fatalf("set: %d\n%s\n%s", code, out, errOut)
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, err := st.ReconfirmDays(ctx); err != nil || n != 0 {
		t.Errorf("reconfirm days %d, %v", n, err)
	}
	m, err := st.Availability(ctx, "tributi", "tari_desk", day.Time, "en", time.Now())
	if err != nil || m.Days[day.Day()-1].Closed != "Stocktaking" {
		t.Errorf("the closure: %+v, %v", m.Days[day.Day()-1], err)
	}
	for _, args := range [][]string{
		{"--reconfirm-days", "61"},
		{"--close", "2026-13-01", "--reason", "x"},
		{"--close", day.String()},
		{"--reason", "x"},
		{"--close", day.String(), "--reason", "x", "--office", "nowhere"},
	} {
		if code, _, _ := runCmd(t, ctx, append([]string{"appointments", "--db", db}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestOutboxCommand prints the e-mail of a booking and saves its .ics.
func TestOutboxCommand(t *testing.T) {
	ctx := context.Background()
	db := seededDB(t)
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	m, err := st.Availability(ctx, "polizia_locale", "fines_desk", now.AddDate(0, 1, 0), "it", now)
	if err != nil || m.FirstFree == nil {
		t.Fatalf("no free slot: %v", err)
	}
	a, err := st.Book(ctx, store.NewBooking{FiscalCode: "CLMMRC74C15F205P", Service: "fines_desk", Office: "polizia_locale",
		Start: m.FirstFree.Start, Email: "marco@example.com"}, "it", now)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	dir := filepath.Join(t.TempDir(), "made by --save")
	code, out, errOut := runCmd(t, ctx, "outbox", "--db", db, "--to", "marco@example.com", "--save", dir)
	if code != 0 || !strings.Contains(out, "To: marco@example.com") || !strings.Contains(out, "Subject: Appuntamento prenotato / Appointment booked – "+a.Code) ||
		!strings.Contains(out, "Gentile Marco Colombo") || !strings.Contains(out, "Dear Marco Colombo") ||
		!strings.Contains(out, "Attachment: appuntamento-"+a.Code+".ics") {
		t.Fatalf("outbox: %d\n%s\n%s", code, out, errOut)
	}
	saved, _ := filepath.Glob(filepath.Join(dir, "*-appuntamento-"+a.Code+".ics"))
	if len(saved) != 1 {
		t.Fatalf("saved: %v", saved)
	}
	ics, err := os.ReadFile(saved[0])
	if err != nil || !strings.Contains(string(ics), "BEGIN:VEVENT") {
		t.Errorf("saved .ics: %v", err)
	}
	if code, out, errOut := runCmd(t, ctx, "outbox", "--db", db, "--to", "nobody@example.com"); code != 0 || out != "" || !strings.Contains(errOut, "empty") {
		t.Errorf("nobody's outbox: %d %q %q", code, out, errOut)
	}
}
