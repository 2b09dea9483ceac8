package dossier_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/dossier"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
	"github.com/sportello/sportello/platform/secrets"
	"github.com/sportello/sportello/server"
)

const (
	parent = "CLMMRC74C15F205P" // Marco Colombo, father of a minor and of an adult
	minor  = "CLMTMS11E08F205L"
	adult  = "CLMGLI06S70F205Y"
)

var seedDay = time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)

type env struct {
	ctx    context.Context
	srv    *server.Running
	src    dossier.Source
	dbFile string
	keys   core.SecretStore
}

// signedIn starts the demo server on loopback, signs in as fiscalCode with the
// test identity provider and returns a Source over a fresh device store.
func signedIn(t *testing.T, fiscalCode string) *env {
	t.Helper()
	ctx := context.Background()
	srv, err := server.StartSeededAt(ctx, filepath.Join(t.TempDir(), "server.db"), "127.0.0.1:0", true, seedDay, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(ctx) })
	keys := secrets.Memory()
	svc := signin.New(keys)
	a, err := svc.Begin(ctx, "site", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.CompleteAsTestIdentity(ctx, fiscalCode); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	dbFile := filepath.Join(t.TempDir(), "device.db")
	st, err := store.Open(ctx, dbFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.Open(keys)
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.New(srv.URL, api.Options{Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	auth := tokens{svc, srv.URL}
	return &env{ctx: ctx, srv: srv, dbFile: dbFile, keys: keys,
		src: dossier.Source{Client: c, Auth: auth, Store: st, Vault: v, Site: "site"}}
}

type tokens struct {
	svc    *signin.Service
	issuer string
}

func (t tokens) Token(ctx context.Context, force bool) (string, error) {
	return t.svc.Token(ctx, "site", t.issuer, force)
}

func TestRefreshCachesEncryptedAndServesOffline(t *testing.T) {
	e := signedIn(t, parent)
	if _, ok, err := e.src.Cached(e.ctx, ""); ok || err != nil {
		t.Fatalf("a copy before the first refresh: %v %v", ok, err)
	}
	t0 := seedDay
	snap, err := e.src.Refresh(e.ctx, "", t0)
	if err != nil || snap.Stale != nil || snap.Dossier.Person.FiscalCode != parent {
		t.Fatalf("first refresh: %v stale=%v subject=%q", err, snap.Stale, snap.Dossier.Person.FiscalCode)
	}
	if len(snap.NewMessages) != 0 {
		t.Fatal("the first sync notified old messages")
	}
	if len(snap.Dossier.Family) != 3 || len(snap.Dossier.Delegations) != 1 || snap.Dossier.Delegations[0].FiscalCode != minor {
		t.Fatalf("family %d delegations %+v", len(snap.Dossier.Family), snap.Dossier.Delegations)
	}

	// Only sealed bytes on disk.
	for _, f := range []string{e.dbFile, e.dbFile + "-wal"} {
		data, _ := os.ReadFile(f)
		for _, secret := range []string{parent, "Colombo"} {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s holds %q in clear", filepath.Base(f), secret)
			}
		}
	}

	// Unchanged at the server: the 304 path keeps the data and moves the time.
	t1 := t0.Add(time.Hour)
	again, err := e.src.Refresh(e.ctx, "", t1)
	if err != nil || !again.FetchedAt.Equal(t1) || again.Dossier.Person.FiscalCode != parent || len(again.Dossier.Payments) != len(snap.Dossier.Payments) {
		t.Fatalf("304 refresh: %v fetched=%v", err, again.FetchedAt)
	}

	// The server goes away: the copy, marked stale with the reason.
	e.srv.Close(e.ctx)
	off, err := e.src.Refresh(e.ctx, "", t1.Add(time.Hour))
	if err != nil || !errors.Is(off.Stale, core.ErrUnreachable) || !off.FetchedAt.Equal(t1) || off.Dossier.Person.FiscalCode != parent {
		t.Fatalf("offline: %v stale=%v fetched=%v", err, off.Stale, off.FetchedAt)
	}
	// A minor's dossier never fetched: offline that is an error.
	if _, err := e.src.Refresh(e.ctx, minor, t1); !errors.Is(err, core.ErrUnreachable) {
		t.Fatalf("offline without a copy: %v", err)
	}

	// A copy sealed with a destroyed key is no copy.
	if err := vault.Destroy(e.keys); err != nil {
		t.Fatal(err)
	}
	v2, _ := vault.Open(e.keys)
	e.src.Vault = v2
	if _, ok, err := e.src.Cached(e.ctx, ""); ok || err != nil {
		t.Fatalf("a copy readable after the key was destroyed: %v %v", ok, err)
	}
}

func TestActingForIsScopedByTheServer(t *testing.T) {
	e := signedIn(t, parent)
	snap, err := e.src.Refresh(e.ctx, minor, seedDay)
	if err != nil || snap.Dossier.Person.FiscalCode != minor || len(snap.Dossier.Delegations) != 0 {
		t.Fatalf("acting for the minor: %v %q", err, snap.Dossier.Person.FiscalCode)
	}
	if _, err := e.src.Refresh(e.ctx, adult, seedDay); !core.IsProblem(err, core.ProblemForbidden) {
		t.Fatalf("acting for an adult child: %v, want forbidden", err)
	}
	// Two subjects, two cached copies that cannot be swapped.
	self, _ := e.src.Refresh(e.ctx, "", seedDay)
	cachedMinor, ok, _ := e.src.Cached(e.ctx, minor)
	if !ok || cachedMinor.Dossier.Person.FiscalCode != minor || self.Dossier.Person.FiscalCode != parent {
		t.Fatal("the copies of parent and child got mixed")
	}
}

func TestMarkReadAndNewMessages(t *testing.T) {
	e := signedIn(t, parent)
	snap, err := e.src.Refresh(e.ctx, "", seedDay)
	if err != nil {
		t.Fatal(err)
	}
	unread := dossier.Unread(snap.Dossier)
	var id string
	for _, m := range snap.Dossier.Messages {
		if !m.Read {
			id = m.ID
			break
		}
	}
	if id == "" {
		t.Skip("no unread message in the demo")
	}
	if err := e.src.MarkRead(e.ctx, "", id); err != nil {
		t.Fatal(err)
	}
	cached, _, _ := e.src.Cached(e.ctx, "")
	if dossier.Unread(cached.Dossier) != unread-1 {
		t.Fatal("the device copy does not show the message read")
	}
	fresh, err := e.src.Refresh(e.ctx, "", seedDay)
	if err != nil || dossier.Unread(fresh.Dossier) != unread-1 {
		t.Fatalf("the server does not know the message is read: %v", err)
	}
	if err := e.src.MarkRead(e.ctx, "", "no-such-message"); !core.IsProblem(err, core.ProblemNotFound) {
		t.Fatalf("unknown message: %v", err)
	}
}

func TestPrompts(t *testing.T) {
	today := core.NewDate(2026, time.November, 22)
	paid := core.NewDate(2026, time.April, 1)
	d := core.Dossier{
		Person: core.Citizen{IDCard: &core.IDCard{Number: "CA00000AA", Expiry: core.NewDate(2027, time.March, 1)}},
		TARI: []core.TARIPosition{{Year: 2026, Instalments: []core.TARIInstalment{
			{Number: 1, DueDate: core.NewDate(2026, time.April, 16), PaidOn: &paid},
			{Number: 2, DueDate: core.NewDate(2026, time.November, 1), AmountCents: 100},
			{Number: 3, DueDate: core.NewDate(2026, time.December, 2), AmountCents: 200},
			{Number: 4, DueDate: core.NewDate(2027, time.February, 1), AmountCents: 300},
		}}},
	}
	got := dossier.Prompts(d, today)
	if len(got) != 3 {
		t.Fatalf("%d prompts: %+v", len(got), got)
	}
	if got[0].Kind != dossier.PayTARI || !got[0].Overdue || got[0].AmountCents != 100 {
		t.Errorf("first: %+v", got[0])
	}
	if got[1].Kind != dossier.PayTARI || got[1].Overdue || got[1].AmountCents != 200 {
		t.Errorf("second: %+v", got[1])
	}
	if got[2].Kind != dossier.RenewIDCard || got[2].Overdue {
		t.Errorf("third: %+v", got[2])
	}
	d.Person.IDCard.Expiry = core.NewDate(2030, time.January, 1)
	d.TARI = nil
	if p := dossier.Prompts(d, today); len(p) != 0 {
		t.Fatalf("prompts for far deadlines: %+v", p)
	}
}
