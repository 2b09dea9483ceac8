package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/plate"
	"github.com/sportello/sportello/server"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/store"
)

// fine records a traffic fine as a traffic warden does and prints its
// pagoPA notice number, or cancels one (--cancel NOTICE).
//
// The amounts follow art. 202 of the Codice della Strada: --amount is the
// minimum of the sanction (paid within 60 days of notification); the
// reduced amount (within 5 days) is 70% of it, rounded down to the cent;
// the late amount (after 60 days) is half the maximum, and the maximum,
// unless --maximum gives it, is four times the minimum (the ratio of most
// sanctions of the Codice), so the late amount is twice the minimum.
func fine(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fine", stderr)
	db := fs.String("db", "sportello.db", "SQLite database file")
	plateFlag := fs.String("plate", "", "the vehicle's plate: AB 123 CD (car) or AB 12345 (motorcycle)")
	article := fs.String("article", "", `the article violated, "art. 7 c. 1 CdS"`)
	amount := fs.Int64("amount", 0, "the minimum of the sanction, in euro cents")
	maximum := fs.Int64("maximum", 0, "the maximum of the sanction, in euro cents (default 4 × --amount)")
	when := fs.String("when", "", `when the violation happened: RFC 3339 or "2006-01-02 15:04" (Europe/Rome); default now`)
	place := fs.String("place", "", "where it happened")
	description := fs.String("description", "", "what happened (default: the article)")
	notified := fs.String("notified", "", "the day of notification, YYYY-MM-DD (default today)")
	segregation := fs.String("segregation-code", demo.SegregationCode, "the municipality's pagoPA segregation code")
	cancel := fs.String("cancel", "", "cancel the fine of this notice number instead (annullamento in autotutela)")
	if err := parse(fs, args); err != nil {
		return err
	}
	now := time.Now()
	if *cancel != "" {
		st, err := openExisting(ctx, *db)
		if err != nil {
			return err
		}
		defer st.Close()
		err = st.CancelFine(ctx, strings.Join(strings.Fields(*cancel), ""), core.DateOf(now))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("there is no fine with notice number %s", *cancel)
		case errors.Is(err, store.ErrNoticePaid):
			return fmt.Errorf("the fine %s is paid: it cannot be cancelled", *cancel)
		}
		return err
	}
	switch {
	case *plateFlag == "" || *article == "" || *amount == 0:
		return usageError{errors.New("--plate, --article and --amount are required")}
	case *amount < 2:
		return usageError{errors.New("--amount is in cents and must be at least 2")}
	case *maximum != 0 && *maximum < *amount:
		return usageError{errors.New("--maximum is below --amount")}
	}
	p, kind, err := plate.Parse(*plateFlag)
	if err != nil {
		return usageError{err}
	}
	at := now
	if *when != "" {
		if at, err = parseWhen(*when); err != nil {
			return usageError{err}
		}
	}
	day := core.DateOf(now)
	if *notified != "" {
		if day, err = core.ParseDate(*notified); err != nil {
			return usageError{fmt.Errorf("--notified: %w", err)}
		}
	}
	if day.Before(core.DateOf(at).Time) {
		return usageError{errors.New("--notified is before the violation")}
	}
	maxCents := *maximum
	if maxCents == 0 {
		maxCents = 4 * *amount
	}
	desc := *description
	if desc == "" {
		desc = "Violazione dell'" + *article
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := st.RecordFine(ctx, store.NewFine{Plate: p, VehicleType: core.VehicleType(kind), CommittedAt: at,
		NotifiedOn: day, Place: *place, Article: *article, Description: desc,
		ReducedCents: *amount * 70 / 100, MinimumCents: *amount, LateCents: max(maxCents/2, *amount)}, *segregation)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, f.NoticeNumber)
	return err
}

// parseWhen reads an instant: RFC 3339, or a local time in Europe/Rome.
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		loc = time.UTC
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--when %q: use RFC 3339 or \"2006-01-02 15:04\"", s)
}

// paperNotice renders the paper pagoPA notice of an unpaid notice (a fine,
// a TARI instalment) to a PDF or a PNG, to try the app's scan with.
func paperNotice(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("notice", stderr)
	db := fs.String("db", "sportello.db", "SQLite database file")
	number := fs.String("notice", "", "the pagoPA notice number (18 digits)")
	out := fs.String("out", "", "the file to write: .pdf or .png")
	if err := parse(fs, args); err != nil {
		return err
	}
	ext := strings.ToLower(filepath.Ext(*out))
	switch {
	case *number == "" || *out == "":
		return usageError{errors.New("--notice and --out are required")}
	case ext != ".pdf" && ext != ".png":
		return usageError{errors.New("--out ends in .pdf or .png")}
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	n, err := st.PaperNotice(ctx, strings.Join(strings.Fields(*number), ""), now)
	switch {
	case errors.Is(err, store.ErrNoticeUnknown):
		return fmt.Errorf("there is no fine or TARI instalment with notice number %s", *number)
	case errors.Is(err, store.ErrNoticePaid):
		return fmt.Errorf("the notice %s is paid", *number)
	case errors.Is(err, store.ErrNoticeCancelled):
		return fmt.Errorf("the notice %s is cancelled", *number)
	case errors.Is(err, store.ErrNoticeExpired):
		return fmt.Errorf("the notice %s can no longer be paid", *number)
	case err != nil:
		return err
	}
	paper, err := server.NewPaperNotice(n, now)
	if err != nil {
		return err
	}
	var data []byte
	if ext == ".pdf" {
		data, err = paper.PDF()
	} else {
		data, err = paper.PNG()
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, paper)
	return err
}
