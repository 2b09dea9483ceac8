package loopback

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func listen(t *testing.T) *Receiver {
	t.Helper()
	r, err := Listen("/back", func(q url.Values) Answer {
		if q.Get("state") != "s1" {
			return Answer{Status: http.StatusBadRequest, Page: Page("No", "No", "altro", "other")}
		}
		return Answer{Done: true, Page: Page("Torna", "Go back", "chiudi", "close")}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func get(t *testing.T, target string) (int, string) {
	t.Helper()
	resp, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestListensOnLoopback(t *testing.T) {
	r := listen(t)
	if !strings.HasPrefix(r.Addr(), "127.0.0.1:") || r.URL() != "http://"+r.Addr()+"/back" {
		t.Fatalf("addr %s, url %s", r.Addr(), r.URL())
	}
}

// Wrong paths and states are answered and ignored; the awaited return ends
// the wait, once.
func TestOneReturnAccepted(t *testing.T) {
	r := listen(t)
	if code, _ := get(t, "http://"+r.Addr()+"/other?state=s1"); code != http.StatusNotFound {
		t.Fatalf("wrong path: %d", code)
	}
	resp, err := http.Post(r.URL()+"?state=s1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	if code, body := get(t, r.URL()+"?state=wrong"); code != http.StatusBadRequest || !strings.Contains(body, "altro") {
		t.Fatalf("wrong state: %d %q", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if _, err := r.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("refused requests ended the wait: %v", err)
	}
	cancel()
	code, body := get(t, r.URL()+"?state=s1&outcome=OK")
	if code != http.StatusOK || !strings.Contains(body, "Go back") || !strings.Contains(body, "chiudi") {
		t.Fatalf("awaited: %d %q", code, body)
	}
	q, err := r.Wait(context.Background())
	if err != nil || q.Get("outcome") != "OK" {
		t.Fatalf("wait: %v %v", q, err)
	}
	// A second return is answered but not awaited.
	get(t, r.URL()+"?state=s1&outcome=again")
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if q, err := r.Wait(ctx); err == nil {
		t.Fatalf("a second return was taken: %v", q)
	}
}

// Closing ends a wait under way and the listener.
func TestCloseWhileWaiting(t *testing.T) {
	r := listen(t)
	done := make(chan error, 1)
	go func() {
		_, err := r.Wait(context.Background())
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	r.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the wait")
	}
	if _, err := http.Get(r.URL() + "?state=s1"); err == nil {
		t.Fatal("the listener still answers")
	}
	r.Close() // twice is fine
	if _, err := r.Wait(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("wait after close: %v", err)
	}
}

func TestPageEscapes(t *testing.T) {
	p := Page("<b>", "x", "y", "z")
	if strings.Contains(p, "<b>") || !strings.Contains(p, "&lt;b&gt;") {
		t.Fatal(p)
	}
}
