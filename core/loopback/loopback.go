// Package loopback receives the system browser's return to the app on a
// listener bound to 127.0.0.1 at a free port (RFC 8252 section 7.3): the
// sign-in's redirect and the pagoPA checkout's return URLs come back here.
// The first request the caller accepts ends the wait; any other request is
// answered and ignored.
package loopback

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// ErrClosed is Wait's error once the receiver is closed.
var ErrClosed = errors.New("loopback: receiver closed")

// Answer is what the receiver tells the browser about one request, and
// whether that request is the one awaited.
type Answer struct {
	Status int    // 0 for 200
	Page   string // HTML; Page(...) builds one
	Done   bool   // the awaited return: Wait gives its query
}

// Receiver is a loopback listener awaiting one return.
type Receiver struct {
	ln     net.Listener
	srv    *http.Server
	path   string
	result chan url.Values
	closed chan struct{}
	once   sync.Once

	delivered sync.Once
}

// Listen starts a receiver of GET requests to path; accept decides, from
// the query, what to answer and whether it is the awaited return.
func Listen(path string, accept func(q url.Values) Answer) (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{ln: ln, path: path, result: make(chan url.Values, 1), closed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+path, func(w http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		a := accept(q)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		if a.Status != 0 && a.Status != http.StatusOK {
			w.WriteHeader(a.Status)
		}
		fmt.Fprint(w, a.Page)
		if !a.Done {
			return
		}
		r.delivered.Do(func() { r.result <- q }) // only the first ends a wait
	})
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

// Addr is the listener's host:port.
func (r *Receiver) Addr() string { return r.ln.Addr().String() }

// URL is the address the browser comes back to.
func (r *Receiver) URL() string { return "http://" + r.Addr() + r.path }

// Wait blocks until the awaited return arrives, ctx ends (its error) or
// the receiver is closed (ErrClosed).
func (r *Receiver) Wait(ctx context.Context) (url.Values, error) {
	select {
	case q := <-r.result:
		return q, nil
	case <-r.closed:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops the listener and ends a Wait; it may be called more than once.
func (r *Receiver) Close() {
	r.once.Do(func() {
		close(r.closed)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = r.srv.Shutdown(ctx)
	})
}

// Page is a small bilingual page telling the citizen to go back to the app.
func Page(titleIT, titleEN, bodyIT, bodyEN string) string {
	e := html.EscapeString
	return `<!doctype html><html lang="it"><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
		`<title>Sportello</title><body style="font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em">` +
		`<h1>` + e(titleIT) + `</h1><p>` + e(bodyIT) + `</p><hr><h2 lang="en">` + e(titleEN) + `</h2><p lang="en">` + e(bodyEN) + `</p></body></html>`
}
