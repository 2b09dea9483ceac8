package municipality_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/municipality"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/server"
)

func TestRefreshCachesThenServesOffline(t *testing.T) {
	ctx := context.Background()
	srv, err := server.Start(ctx, filepath.Join(t.TempDir(), "server.db"), "127.0.0.1:0", true, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "device.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	client, _ := api.New(srv.URL, api.Options{Language: "it", Retries: -1})
	const site = "test-site"

	if _, ok, err := municipality.Cached(ctx, st, site, "it"); ok || err != nil {
		t.Fatalf("cache before the first refresh: %v %v", ok, err)
	}
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	info, err := municipality.Refresh(ctx, client, st, site, "it", t0)
	if err != nil || info.Stale != nil || info.Municipality.Name != "Comune di Valdoria" || len(info.Logo) == 0 {
		t.Fatalf("first refresh: %v stale=%v name=%q logo=%d", err, info.Stale, info.Municipality.Name, len(info.Logo))
	}

	// Unchanged on the server: the 304 path keeps the copy and moves the time.
	t1 := t0.Add(time.Hour)
	info, err = municipality.Refresh(ctx, client, st, site, "it", t1)
	if err != nil || !info.FetchedAt.Equal(t1) || info.Municipality.Name == "" || len(info.Logo) == 0 {
		t.Fatalf("304 refresh: %v fetched=%v name=%q", err, info.FetchedAt, info.Municipality.Name)
	}

	// The server goes away: the copy is still shown, marked stale with the reason.
	srv.Close(ctx)
	info, err = municipality.Refresh(ctx, client, st, site, "it", t1.Add(time.Hour))
	if err != nil {
		t.Fatalf("offline with a cached copy must not fail: %v", err)
	}
	if !errors.Is(info.Stale, core.ErrUnreachable) || !info.FetchedAt.Equal(t1) || info.Municipality.Name != "Comune di Valdoria" || len(info.Logo) == 0 {
		t.Fatalf("offline: stale=%v fetched=%v name=%q logo=%d", info.Stale, info.FetchedAt, info.Municipality.Name, len(info.Logo))
	}

	// Another language was never cached: offline, that is an error.
	if _, err := municipality.Refresh(ctx, client, st, site, "en", t1); !errors.Is(err, core.ErrUnreachable) {
		t.Fatalf("offline without a copy: %v, want ErrUnreachable", err)
	}
}
