package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/pagopa"
	"github.com/sportello/sportello/core/scan"
	"github.com/sportello/sportello/server/store"
)

// unpaidFine is the notice number of one of Marco Colombo's fines to pay.
func unpaidFine(t *testing.T, db string) string {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, err := st.FineNotices(context.Background(), "CLMMRC74C15F205P", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range list.Fines {
		if f.Status == core.FineToPay || f.Status == core.FineOverdue {
			return f.NoticeNumber
		}
	}
	t.Fatalf("no fine to pay among %d", len(list.Fines))
	return ""
}

// The paper notice, as PDF and as PNG, is read back to its exact QR payload.
func TestNoticeCommand(t *testing.T) {
	ctx := context.Background()
	db := seededDB(t)
	number := unpaidFine(t, db)
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.PaperNotice(ctx, number, time.Now())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if n.DebtorFiscalCode != "CLMMRC74C15F205P" || n.AmountCents <= 0 {
		t.Fatalf("paper notice: %+v", n)
	}
	want, err := pagopa.FormatQR(pagopa.Notice{Number: number, Creditor: n.CreditorFiscalCode, AmountCents: n.AmountCents})
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".pdf", ".png"} {
		out := filepath.Join(t.TempDir(), "avviso"+ext)
		if dir := os.Getenv("SPORTELLO_NOTICE_DIR"); dir != "" {
			out = filepath.Join(dir, "avviso"+ext) // to look at
		}
		code, stdout, stderr := runCmd(t, ctx, "notice", "--db", db, "--notice", number, "--out", out)
		if code != 0 || !strings.Contains(stdout, number[:4]) {
			t.Fatalf("%s: exit %d, %q %q", ext, code, stdout, stderr)
		}
		res, err := scan.File(out)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if res.Text != want {
			t.Fatalf("%s: read %q, want %q", ext, res.Text, want)
		}
	}

	// Refusals.
	for _, args := range [][]string{
		{"notice", "--db", db, "--notice", number},
		{"notice", "--db", db, "--notice", number, "--out", "x.txt"},
	} {
		if code, _, _ := runCmd(t, ctx, args...); code != 2 {
			t.Fatalf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, stderr := runCmd(t, ctx, "notice", "--db", db, "--notice", "302000000000000000", "--out", filepath.Join(t.TempDir(), "x.pdf")); code != 1 || !strings.Contains(stderr, "no fine") {
		t.Fatalf("unknown notice: exit %d %q", code, stderr)
	}
}
