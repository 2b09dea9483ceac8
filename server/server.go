// Package server is Sportello's reference municipal backend: the REST API the
// app talks to, described by the OpenAPI document in openapi.json. It runs
// standalone (cmd/sportello-server) for a real deployment and in process on
// loopback when the app shows the demo municipality.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/store"
)

// MaxRequestBody bounds every request body; the API takes small JSON documents.
const MaxRequestBody = 1 << 20

// Server answers the API from a Store.
type Server struct {
	store   *store.Store
	log     *slog.Logger
	handler http.Handler
	http    *http.Server
}

// New returns a server over st that logs to log.
func New(st *store.Store, log *slog.Logger) *Server {
	s := &Server{store: st, log: log}
	s.handler = s.middleware(s.routes())
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler is the whole API as an http.Handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers on ln until Shutdown. It returns nil after a clean shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.log.Info("serving", "addr", ln.Addr().String())
	if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting requests and waits, until ctx ends, for the ones
// under way to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.http.Shutdown(ctx)
}

// OpenStore opens the database file and, when seedDemo is set and the
// database holds no municipality yet, seeds the demo municipality with dates
// relative to now.
func OpenStore(ctx context.Context, file string, seedDemo bool, now time.Time) (*store.Store, error) {
	st, err := store.Open(ctx, file)
	if err != nil {
		return nil, err
	}
	if seedDemo {
		has, err := st.HasMunicipality(ctx)
		if err == nil && !has {
			err = st.Seed(ctx, demo.Generate(now))
		}
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("seed the demo municipality: %w", err)
		}
	}
	return st, nil
}

// Running is a server started by Start.
type Running struct {
	URL    string // "http://127.0.0.1:PORT"
	server *Server
	store  *store.Store
	done   chan error
}

// Start opens (and for the demo seeds) the database file, listens on addr
// ("127.0.0.1:0" picks a free port) and serves in the background.
func Start(ctx context.Context, file, addr string, seedDemo bool, log *slog.Logger) (*Running, error) {
	st, err := OpenStore(ctx, file, seedDemo, time.Now())
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		st.Close()
		return nil, err
	}
	r := &Running{URL: "http://" + ln.Addr().String(), server: New(st, log), store: st, done: make(chan error, 1)}
	go func() { r.done <- r.server.Serve(ln) }()
	return r, nil
}

// Close shuts the server down gracefully and closes its database.
func (r *Running) Close(ctx context.Context) error {
	err := r.server.Shutdown(ctx)
	if serr := <-r.done; err == nil {
		err = serr
	}
	if cerr := r.store.Close(); err == nil {
		err = cerr
	}
	return err
}
