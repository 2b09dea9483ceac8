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
	"github.com/sportello/sportello/server/store"
)

// appointments shows or changes the appointments' settings: the
// re-confirmation window (--reconfirm-days N, 0 turns it off) and the days
// an office, or every office, is closed (--close DAY --reason TEXT).
// Without flags it prints the settings, the bookable services and the
// closures to come.
func appointments(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("appointments", stderr)
	db := fs.String("db", "sportello.db", "SQLite database file")
	reconfirm := fs.Int("reconfirm-days", -1, "a booking more than N days ahead must be re-confirmed N days before its start, or it is released; 0 turns re-confirmation off")
	closeDay := fs.String("close", "", "close on this day, YYYY-MM-DD (with --reason)")
	office := fs.String("office", "", "with --close: the office to close (default every office)")
	reason := fs.String("reason", "", "with --close: why, in Italian (what citizens read)")
	reasonEN := fs.String("reason-en", "", "with --close: why, in English (default the Italian)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *reconfirm > 60 || *reconfirm < -1 {
		return usageError{errors.New("--reconfirm-days is from 0 (off) to 60")}
	}
	var closure store.Closure
	if *closeDay != "" {
		day, err := core.ParseDate(*closeDay)
		if err != nil {
			return usageError{fmt.Errorf("--close: %w", err)}
		}
		if strings.TrimSpace(*reason) == "" {
			return usageError{errors.New("--close needs --reason")}
		}
		closure = store.Closure{Office: *office, Day: day, ReasonIT: strings.TrimSpace(*reason), ReasonEN: strings.TrimSpace(*reasonEN)}
		if closure.ReasonEN == "" {
			closure.ReasonEN = closure.ReasonIT
		}
	} else if *office != "" || *reason != "" || *reasonEN != "" {
		return usageError{errors.New("--office, --reason and --reason-en go with --close")}
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if *reconfirm >= 0 {
		if err := st.SetReconfirmDays(ctx, *reconfirm); err != nil {
			return err
		}
	}
	if *closeDay != "" {
		if closure.Office != "" {
			m, err := st.Municipality(ctx, "it")
			if err != nil {
				return err
			}
			known := false
			for _, o := range m.Offices {
				known = known || o.ID == closure.Office
			}
			if !known {
				return usageError{fmt.Errorf("--office %q: no such office", closure.Office)}
			}
		}
		if err := st.AddClosure(ctx, closure); err != nil {
			return err
		}
	}
	days, err := st.ReconfirmDays(ctx)
	if err != nil {
		return err
	}
	if days == 0 {
		fmt.Fprintln(stdout, "re-confirmation: off")
	} else {
		fmt.Fprintf(stdout, "re-confirmation: %d days before the start (bookings made later are confirmed at once)\n", days)
	}
	services, err := st.AppointmentServices(ctx, "it")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nservices:")
	for _, s := range services {
		fmt.Fprintf(stdout, "  %-24s %3d min  %s  (%s)\n", s.ID, s.SlotMinutes, s.Name, strings.Join(s.Offices, ", "))
	}
	list, err := st.Closures(ctx, core.DateOf(time.Now().In(store.Rome)))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nclosures to come (besides the national holidays):")
	for _, c := range list {
		where := "every office"
		if c.Office != "" {
			where = c.Office
		}
		fmt.Fprintf(stdout, "  %s  %-16s %s\n", c.Day, where, c.ReasonIT)
	}
	return nil
}

// outbox prints the e-mails of the server's outbox, the oldest first
// (--to ADDR: those to one address), and with --save DIR writes their
// attachments (the appointments' .ics) there, each named after its e-mail's
// number ("3-appuntamento-VLD-....ics"): every change of a booking sends
// a new version of the same file name.
func outbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("outbox", stderr)
	db := fs.String("db", "sportello.db", "SQLite database file")
	to := fs.String("to", "", "only the e-mails to this address")
	save := fs.String("save", "", "write the attachments into this directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	mails, err := st.Outbox(ctx, strings.TrimSpace(*to))
	if err != nil {
		return err
	}
	if *save != "" {
		if err := os.MkdirAll(*save, 0o755); err != nil {
			return err
		}
	}
	for i, m := range mails {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "==== %d  %s\n", m.ID, m.CreatedAt.In(store.Rome).Format("2006-01-02 15:04:05 MST"))
		fmt.Fprintf(stdout, "To: %s\nSubject: %s\n", m.To, m.Subject)
		if m.AttachmentName != "" {
			fmt.Fprintf(stdout, "Attachment: %s (%d bytes)\n", m.AttachmentName, len(m.Attachment))
			if *save != "" {
				if err := os.WriteFile(filepath.Join(*save, fmt.Sprintf("%d-%s", m.ID, filepath.Base(m.AttachmentName))), m.Attachment, 0o644); err != nil {
					return err
				}
			}
		}
		fmt.Fprintf(stdout, "\n%s", m.Body)
	}
	if len(mails) == 0 {
		fmt.Fprintln(stderr, "the outbox is empty")
	}
	return nil
}
