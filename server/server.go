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
	"sync"
	"time"

	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/certs"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/store"
)

// MaxRequestBody bounds every request body; the API takes small JSON documents.
const MaxRequestBody = 1 << 20

// SweepInterval is how often a running server releases the bookings not
// re-confirmed in time (SweepAppointments).
const SweepInterval = time.Minute

// Server answers the API from a Store.
type Server struct {
	store   *store.Store
	log     *slog.Logger
	auth    *auth.Provider // nil: no sign-in; the personal endpoints answer 401
	certs   *certs.Service // nil: no certificates are issued
	now     func() time.Time
	handler http.Handler
	http    *http.Server
}

// Option configures a Server.
type Option func(*Server)

// WithAuth makes p the server's authorization server: it answers the OAuth
// 2.0 / OpenID Connect endpoints and its identity provider's pages, and
// checks the access tokens of the personal endpoints. Without it those
// endpoints answer 404 and the personal ones 401.
func WithAuth(p *auth.Provider) Option { return func(s *Server) { s.auth = p } }

// WithCertificates makes svc the server's issuer of registry certificates,
// their trust list and revocation list. Without it those endpoints answer
// 404 (the catalogue is still listed).
func WithCertificates(svc *certs.Service) Option { return func(s *Server) { s.certs = svc } }

// WithClock makes now the server's clock, which decides who is a minor and
// when a message was read; the default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New returns a server over st that logs to log.
func New(st *store.Store, log *slog.Logger, opts ...Option) *Server {
	s := &Server{store: st, log: log, now: time.Now}
	for _, o := range opts {
		o(s)
	}
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
// relative to now. A demo database seeded by an earlier version of the demo
// gets what later versions added (messages, payments, fines, ...), once.
func OpenStore(ctx context.Context, file string, seedDemo bool, now time.Time) (*store.Store, error) {
	st, err := store.Open(ctx, file)
	if err != nil {
		return nil, err
	}
	if seedDemo {
		has, err := st.HasMunicipality(ctx)
		switch {
		case err == nil && !has:
			err = st.Seed(ctx, demo.Generate(now))
		case err == nil:
			_, err = st.UpgradeDemo(ctx, now)
		}
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("seed the demo municipality: %w", err)
		}
	}
	return st, nil
}

// SignIn configures the authorization server of NewAuth.
type SignIn struct {
	// Issuer is the server's public base URL, as clients reach it.
	Issuer string
	// KeyFile holds the token-signing key, created (mode 0600) on first
	// start; auth.KeyFile(database) puts it next to the database.
	KeyFile string
	// TestIdP turns on the test identity provider (/idp/...), which signs
	// in any adult of the registry with no credential: demo and tests only.
	TestIdP bool
	// SessionMax, SessionIdle and AccessTokenTTL: zero means the defaults
	// of package auth (12 months, 90 days, 10 minutes).
	SessionMax     time.Duration
	SessionIdle    time.Duration
	AccessTokenTTL time.Duration
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// NewAuth builds the authorization server over st: it loads the signing
// key, creating it on the first start, and the test identity provider if
// asked.
func NewAuth(st *store.Store, cfg SignIn, log *slog.Logger) (*auth.Provider, error) {
	key, err := auth.LoadOrCreateKey(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	var idp auth.IdentityProvider
	if cfg.TestIdP {
		idp = auth.NewTestIdP(st, cfg.Now, log)
	}
	return auth.New(st, auth.Config{Issuer: cfg.Issuer, Key: key, IdentityProvider: idp,
		SessionMax: cfg.SessionMax, SessionIdle: cfg.SessionIdle, AccessTokenTTL: cfg.AccessTokenTTL,
		Now: cfg.Now, Log: log})
}

// Running is a server started by Start.
type Running struct {
	URL    string // "http://127.0.0.1:PORT", also the issuer of its tokens
	server *Server
	store  *store.Store
	done   chan error
	// stopSweep ends the appointments' sweep; swept is closed when it has.
	stopSweep context.CancelFunc
	swept     chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// Start opens (and for the demo seeds) the database file, listens on addr
// ("127.0.0.1:0" picks a free port) and serves in the background. The
// address it listens on is the issuer of its tokens; its signing key is
// auth.KeyFile(file), and the certificates' keys are next to file too
// (server/certs). The demo comes with the test identity provider.
func Start(ctx context.Context, file, addr string, seedDemo bool, log *slog.Logger) (*Running, error) {
	return StartSeededAt(ctx, file, addr, seedDemo, time.Now(), log)
}

// StartSeededAt is Start with the demo's dates (identity-card expiries, tax
// due dates, fines) relative to seedTime instead of now: tests and screenshots
// that must look the same on any day use it; opts (WithClock) go to the
// server.
func StartSeededAt(ctx context.Context, file, addr string, seedDemo bool, seedTime time.Time, log *slog.Logger, opts ...Option) (*Running, error) {
	st, err := OpenStore(ctx, file, seedDemo, seedTime)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		st.Close()
		return nil, err
	}
	url := "http://" + ln.Addr().String()
	p, err := NewAuth(st, SignIn{Issuer: url, KeyFile: auth.KeyFile(file), TestIdP: seedDemo}, log)
	if err != nil {
		ln.Close()
		st.Close()
		return nil, err
	}
	cs, err := certs.New(st, file, nil)
	if err != nil {
		ln.Close()
		st.Close()
		return nil, err
	}
	r := &Running{URL: url, server: New(st, log, append([]Option{WithAuth(p), WithCertificates(cs)}, opts...)...), store: st, done: make(chan error, 1),
		swept: make(chan struct{})}
	go func() { r.done <- r.server.Serve(ln) }()
	sweepCtx, stop := context.WithCancel(context.Background())
	r.stopSweep = stop
	go func() {
		defer close(r.swept)
		r.server.SweepAppointments(sweepCtx, SweepInterval)
	}()
	return r, nil
}

// Close shuts the server down gracefully and closes its database. Closing
// again does nothing and returns the first Close's error.
func (r *Running) Close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		r.stopSweep()
		<-r.swept
		err := r.server.Shutdown(ctx)
		if serr := <-r.done; err == nil {
			err = serr
		}
		if cerr := r.store.Close(); err == nil {
			err = cerr
		}
		r.closeErr = err
	})
	return r.closeErr
}
