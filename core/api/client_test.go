package api_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/server"
)

// demoServer runs the reference server with the demo municipality on
// 127.0.0.1 over a real SQLite file.
func demoServer(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	r, err := server.Start(ctx, filepath.Join(t.TempDir(), "server.db"), "127.0.0.1:0", true, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(ctx) })
	return r.URL
}

func TestMunicipalityAndConditionalGet(t *testing.T) {
	ctx := context.Background()
	c, err := api.New(demoServer(t), api.Options{Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	m, etag, notModified, err := c.Municipality(ctx, "")
	if err != nil || notModified {
		t.Fatalf("Municipality: %v, notModified %v", err, notModified)
	}
	if m.Name != "Comune di Valdoria" || !m.Demo || len(m.Services) == 0 || etag == "" {
		t.Fatalf("unexpected municipality %+v etag %q", m, etag)
	}
	if m.Services[0].Name != "Citizen's dossier" {
		t.Errorf("services not in English: %q", m.Services[0].Name)
	}
	again, etag2, notModified, err := c.Municipality(ctx, etag)
	if err != nil || !notModified || etag2 != etag || again.Name != "" {
		t.Fatalf("conditional GET: %v notModified=%v etag=%q name=%q", err, notModified, etag2, again.Name)
	}
	logo, typ, err := c.Logo(ctx, m.LogoURL)
	if err != nil || len(logo) == 0 || typ != "image/svg+xml" {
		t.Fatalf("logo: %v, %d bytes, %q", err, len(logo), typ)
	}
	if _, _, err := c.Logo(ctx, "https://elsewhere.example/logo.png"); !errors.Is(err, core.ErrBadResponse) {
		t.Errorf("a logo on another host was fetched: %v", err)
	}
}

func TestProblemDocumentsBecomeTypedErrors(t *testing.T) {
	c, _ := api.New(demoServer(t), api.Options{})
	_, _, err := c.Logo(context.Background(), "/api/v1/no-such-thing")
	var p *core.Problem
	if !errors.As(err, &p) || p.Type != core.ProblemNotFound || p.Status != 404 {
		t.Fatalf("got %v, want a not-found Problem", err)
	}
}

func TestUnreachableServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, _ := api.New("http://"+addr, api.Options{Retries: -1})
	if err := c.Health(context.Background()); !errors.Is(err, core.ErrUnreachable) {
		t.Fatalf("got %v, want ErrUnreachable", err)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	c, _ := api.New(slow.URL, api.Options{Timeout: 100 * time.Millisecond, Retries: -1})
	if err := c.Health(context.Background()); !errors.Is(err, core.ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
}

func TestRetriesIdempotentRequestsOnOverload(t *testing.T) {
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer flaky.Close()
	c, _ := api.New(flaky.URL, api.Options{Retries: 2})
	if err := c.Health(context.Background()); err != nil {
		t.Fatalf("after two 503s the third attempt should succeed: %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
}

func TestDoesNotRetryClientErrors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"type":"urn:sportello:problem:bad-request","title":"Bad request","status":400}`)
	}))
	defer srv.Close()
	c, _ := api.New(srv.URL, api.Options{Retries: 3})
	err := c.Health(context.Background())
	if !core.IsProblem(err, core.ProblemBadRequest) {
		t.Fatalf("got %v, want the bad-request problem", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d attempts for a 400, want 1", n)
	}
}

func TestNotSportelloServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html>a web page</html>")
	}))
	defer srv.Close()
	c, _ := api.New(srv.URL, api.Options{})
	if err := c.Health(context.Background()); !errors.Is(err, core.ErrBadResponse) {
		t.Fatalf("got %v, want ErrBadResponse", err)
	}
}

func TestCancelledContext(t *testing.T) {
	c, _ := api.New(demoServer(t), api.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Health(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestNormalizeURL(t *testing.T) {
	good := map[string]string{
		"servizi.comune.example":            "https://servizi.comune.example",
		" https://servizi.comune.example/ ": "https://servizi.comune.example",
		"http://127.0.0.1:8080":             "http://127.0.0.1:8080",
		"https://comune.example/sportello/": "https://comune.example/sportello",
	}
	for in, want := range good {
		got, err := api.NormalizeURL(in)
		if err != nil || got != want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", "ftp://comune.example", "https://", "https://user:pw@comune.example",
		"https://comune.example/?x=1", "https://comune.example:99999", "http://a b.example", "javascript:alert(1)"} {
		if _, err := api.NormalizeURL(bad); !errors.Is(err, core.ErrBadURL) {
			t.Errorf("NormalizeURL(%q) = %v; want ErrBadURL", bad, err)
		}
	}
}
