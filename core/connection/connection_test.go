package connection_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/connection"
	"github.com/sportello/sportello/server"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openManager(t *testing.T, dir string) *connection.Manager {
	t.Helper()
	ctx := context.Background()
	m, err := connection.Open(ctx, dir, "it", quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Connect(ctx); err != nil {
		m.Close(ctx)
		t.Fatal(err)
	}
	return m
}

func answers(url string) bool {
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestFirstStartServesTheDemoInProcess(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := openManager(t, dir)
	cur := m.Current()
	if !cur.Demo || cur.Site() != "demo" {
		t.Fatalf("first start: %+v, want the demo", cur)
	}
	mun, _, _, err := m.Client().Municipality(ctx, "")
	if err != nil || mun.Name != "Comune di Valdoria" {
		t.Fatalf("demo municipality: %v %q", err, mun.Name)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if answers(cur.URL) {
		t.Fatal("the demo server still answers after Close: its shutdown is not tied to the app's")
	}
}

func TestSwitchToAServerAndBack(t *testing.T) {
	ctx := context.Background()
	remote, err := server.Start(ctx, filepath.Join(t.TempDir(), "remote.db"), "127.0.0.1:0", true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close(ctx)

	dir := t.TempDir()
	m := openManager(t, dir)
	demoURL := m.Current().URL

	if err := m.UseURL(ctx, remote.URL+"/"); err != nil {
		t.Fatal(err)
	}
	if cur := m.Current(); cur.Demo || cur.URL != remote.URL || cur.Site() != remote.URL {
		t.Fatalf("after UseURL: %+v", cur)
	}
	if answers(demoURL) {
		t.Fatal("the demo server kept running after switching away")
	}
	m.Close(ctx)

	// The choice survives a restart.
	m = openManager(t, dir)
	if cur := m.Current(); cur.Demo || cur.URL != remote.URL {
		t.Fatalf("after restart: %+v, want %s", cur, remote.URL)
	}
	if err := m.UseDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if cur := m.Current(); !cur.Demo || !answers(cur.URL) {
		t.Fatalf("after UseDemo: %+v", cur)
	}
	m.Close(ctx)
	m = openManager(t, dir)
	defer m.Close(ctx)
	if !m.Current().Demo {
		t.Fatal("the demo choice was not remembered")
	}
}

func TestBadAddressesChangeNothing(t *testing.T) {
	ctx := context.Background()
	m := openManager(t, t.TempDir())
	defer m.Close(ctx)
	before := m.Current()
	for _, tc := range []struct {
		address string
		want    error
	}{
		{"not a url at all", core.ErrBadURL},
		{"http://127.0.0.1:1", core.ErrUnreachable},
	} {
		if err := m.UseURL(ctx, tc.address); !errors.Is(err, tc.want) {
			t.Errorf("UseURL(%q) = %v, want %v", tc.address, err, tc.want)
		}
		if m.Current() != before || !answers(before.URL) {
			t.Fatalf("a failed switch to %q changed the connection", tc.address)
		}
	}
}

func TestLanguageReachesTheServer(t *testing.T) {
	ctx := context.Background()
	m := openManager(t, t.TempDir())
	defer m.Close(ctx)
	it, _, _, err := m.Client().Municipality(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetLanguage("en"); err != nil {
		t.Fatal(err)
	}
	en, _, _, err := m.Client().Municipality(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if it.Services[0].Name == en.Services[0].Name {
		t.Fatalf("service names did not change language: %q", en.Services[0].Name)
	}
}
