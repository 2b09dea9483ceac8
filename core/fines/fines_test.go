package fines_test

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
	"github.com/sportello/sportello/core/fines"
	"github.com/sportello/sportello/core/plate"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
	"github.com/sportello/sportello/platform/secrets"
	"github.com/sportello/sportello/server"
	serverstore "github.com/sportello/sportello/server/store"
)

const fatima = "BNLFMZ89L70Z330L" // owns no vehicle in the demo

type tokens struct {
	svc    *signin.Service
	issuer string
}

func (t tokens) Token(ctx context.Context, force bool) (string, error) {
	return t.svc.Token(ctx, "site", t.issuer, force)
}

func TestPlatesAndNewFines(t *testing.T) {
	ctx := context.Background()
	serverDB := filepath.Join(t.TempDir(), "server.db")
	srv, err := server.StartSeededAt(ctx, serverDB, "127.0.0.1:0", true, time.Now(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	keys := secrets.Memory()
	svc := signin.New(keys)
	a, err := svc.Begin(ctx, "site", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CompleteAsTestIdentity(ctx, fatima); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	a.Close()
	dbFile := filepath.Join(t.TempDir(), "device.db")
	st, err := store.Open(ctx, dbFile)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, _ := vault.Open(keys)
	c, _ := api.New(srv.URL, api.Options{Retries: -1})
	src := fines.Source{Client: c, Auth: tokens{svc, srv.URL}, Store: st, Vault: v, Site: "site"}
	now := time.Now()

	snap, err := src.Refresh(ctx, now)
	if err != nil || len(snap.Plates) != 0 || len(snap.NewFines) != 0 {
		t.Fatalf("first refresh: %+v %v", snap, err)
	}
	// Checked here, before the server: the plate, the declaration.
	for typed, want := range map[string]error{"": plate.ErrEmpty, "AB 12 CD": plate.ErrFormat, "AO 123 CD": plate.ErrLetters} {
		if _, err := src.Register(ctx, typed, core.PlateOwner, false, now); !errors.Is(err, want) {
			t.Errorf("%q: %v, want %v", typed, err, want)
		}
	}
	if _, err := src.Register(ctx, "ab-123.cd", core.PlateUser, false, now); !errors.Is(err, fines.ErrDeclarationRequired) {
		t.Fatalf("no declaration: %v", err)
	}
	reg, err := src.Register(ctx, "ab-123.cd", core.PlateUser, true, now)
	if err != nil || reg.Plate != "AB123CD" || reg.ExpiresAt == nil {
		t.Fatalf("register: %+v %v", reg, err)
	}
	if _, err := src.Confirm(ctx, "AB 123 CD", now); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"EF 456 GH", "LM 789 NP", "RS 12345", "TV 321 ZA"} {
		if _, err := src.Register(ctx, p, core.PlateOwner, false, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.Register(ctx, "ZZ 999 ZZ", core.PlateOwner, false, now); !errors.Is(err, fines.ErrPlateLimit) {
		t.Fatalf("sixth plate: %v", err)
	}
	if err := src.Remove(ctx, "TV 321 ZA", now); err != nil {
		t.Fatal(err)
	}
	cached, ok, err := src.Cached(ctx)
	if err != nil || !ok || len(cached.Plates) != 4 {
		t.Fatalf("cached plates %+v %v %v", cached.Plates, ok, err)
	}

	// A warden records a fine for the registered plate: the next sync
	// brings it as new, with the amount due today.
	sst, err := serverstore.Open(ctx, serverDB)
	if err != nil {
		t.Fatal(err)
	}
	defer sst.Close()
	f, err := sst.RecordFine(ctx, serverstore.NewFine{Plate: "AB123CD", VehicleType: core.Car, CommittedAt: now.Add(-time.Hour),
		NotifiedOn: core.DateOf(now), Place: "Via Roma 31", Article: "art. 7 c. 1 CdS", Description: "Sosta vietata",
		ReducedCents: 2940, MinimumCents: 4200, LateCents: 8400}, "47")
	if err != nil {
		t.Fatal(err)
	}
	snap, err = src.Refresh(ctx, now)
	if err != nil || len(snap.NewFines) != 1 || snap.NewFines[0].NoticeNumber != f.NoticeNumber ||
		snap.NewFines[0].AmountDueCents != 2940 || snap.NewFines[0].Tier != core.FineReduced {
		t.Fatalf("new fines %+v %v", snap.NewFines, err)
	}
	if again, _ := src.Refresh(ctx, now); len(again.NewFines) != 0 {
		t.Fatal("the same fine notified twice")
	}
	tiers := fines.Tiers(snap.NewFines[0].Fine, core.DateOf(now))
	if !tiers[0].Current || tiers[0].Until != core.DateOf(now.AddDate(0, 0, 5)) || tiers[1].AmountCents != 4200 {
		t.Fatalf("tiers %+v", tiers)
	}
	for _, file := range []string{dbFile, dbFile + "-wal"} {
		raw, _ := os.ReadFile(file)
		if bytes.Contains(raw, []byte("AB123CD")) || bytes.Contains(raw, []byte(f.NoticeNumber)) {
			t.Errorf("%s holds the plate or the fine in clear", filepath.Base(file))
		}
	}
	// Offline: the copy stays, stale.
	srv.Close(ctx)
	stale, err := src.Refresh(ctx, now)
	if err != nil || stale.Stale == nil || len(stale.List.Fines) != 1 {
		t.Fatalf("offline: %+v %v", stale, err)
	}
}
