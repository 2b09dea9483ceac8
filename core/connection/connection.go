// Package connection decides which municipality the app talks to and keeps
// the API client for it. With no municipality configured it runs the
// reference server in process on loopback with the seeded demo municipality,
// so a fresh install shows a working app; a configured municipality URL
// replaces it, and switching back starts it again.
package connection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/server"
)

const urlSetting = "municipality_url"

// Current describes the municipality the app talks to.
type Current struct {
	Demo bool   // the demo municipality served in process
	URL  string // the server's base URL (for the demo, its loopback address)
}

// Site names the municipality for the device cache: the demo keeps one name
// although its loopback port changes at every start.
func (c Current) Site() string {
	if c.Demo {
		return "demo"
	}
	return c.URL
}

// Manager owns the device store, the API client and the in-process demo
// server. Its methods are safe for concurrent use.
type Manager struct {
	dataDir string
	store   *store.Store
	log     *slog.Logger

	mu        sync.Mutex
	seedTime  time.Time        // zero: the demo's dates are relative to now
	demoClock func() time.Time // nil: the demo server runs on the real time
	language  string
	client    *api.Client
	current   Current
	demo      *server.Running
}

// Open opens the device store under dataDir. Call Connect next.
func Open(ctx context.Context, dataDir, language string, log *slog.Logger) (*Manager, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, filepath.Join(dataDir, "sportello.db"))
	if err != nil {
		return nil, err
	}
	return &Manager{dataDir: dataDir, store: st, log: log, language: language}, nil
}

// SetDemoSeedTime makes the demo municipality's dates relative to t instead
// of the day it is first started (for tests and screenshots). Call it before
// Connect.
func (m *Manager) SetDemoSeedTime(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seedTime = t
}

// SetDemoClock makes now the demo server's clock (free appointment slots,
// who is a minor) instead of the real time, for tests and screenshots that
// must look the same on any day. Call it before Connect.
func (m *Manager) SetDemoClock(now func() time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.demoClock = now
}

// Store is the device store.
func (m *Manager) Store() *store.Store { return m.store }

// Connect starts talking to the configured municipality, or to the demo one
// when none is configured. A configured server that does not answer is not an
// error here: the client is ready and screens show cached data with the
// reason.
func (m *Manager) Connect(ctx context.Context) error {
	url, ok, err := m.store.Setting(ctx, urlSetting)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !ok {
		return m.startDemoLocked(ctx)
	}
	c, err := api.New(url, m.options())
	if err != nil {
		return err
	}
	m.client, m.current = c, Current{URL: c.BaseURL()}
	return nil
}

// Client is the API client for the current municipality; nil before Connect.
func (m *Manager) Client() *api.Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.client
}

// Current says which municipality the app talks to.
func (m *Manager) Current() Current {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.current
}

// SetLanguage sets the language ("it" or "en") the client asks the server
// for, from the next request on.
func (m *Manager) SetLanguage(language string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.language = language
	if m.client == nil {
		return nil
	}
	c, err := api.New(m.client.BaseURL(), m.options())
	if err == nil {
		m.client = c
	}
	return err
}

// UseURL switches to the municipality server at raw after checking that it
// answers as a Sportello server. On any error nothing changes.
func (m *Manager) UseURL(ctx context.Context, raw string) error {
	m.mu.Lock()
	opt := m.options()
	m.mu.Unlock()
	c, err := api.New(raw, opt)
	if err != nil {
		return err
	}
	if err := c.Health(ctx); err != nil {
		return err
	}
	if _, _, _, err := c.Municipality(ctx, ""); err != nil {
		return err
	}
	if err := m.store.SetSetting(ctx, urlSetting, c.BaseURL()); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.client, m.current = c, Current{URL: c.BaseURL()}
	return m.stopDemoLocked(ctx)
}

// UseDemo switches back to the demo municipality served in process.
func (m *Manager) UseDemo(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.current.Demo && m.demo != nil {
		return nil
	}
	if err := m.startDemoLocked(ctx); err != nil {
		return err
	}
	return m.store.DeleteSetting(ctx, urlSetting)
}

// Close stops the demo server, if running, and closes the store.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	err := m.stopDemoLocked(ctx)
	m.mu.Unlock()
	return errors.Join(err, m.store.Close())
}

func (m *Manager) options() api.Options {
	return api.Options{Language: m.language}
}

// DemoDatabase is where the demo municipality's server keeps its data.
func (m *Manager) DemoDatabase() string { return filepath.Join(m.dataDir, "demo-municipality.db") }

func (m *Manager) startDemoLocked(ctx context.Context) error {
	if m.demo == nil {
		start := time.Now()
		seed := m.seedTime
		if seed.IsZero() {
			seed = time.Now()
		}
		var opts []server.Option
		if m.demoClock != nil {
			opts = append(opts, server.WithClock(m.demoClock))
		}
		r, err := server.StartSeededAt(ctx, m.DemoDatabase(), "127.0.0.1:0", true, seed, m.log.With("component", "demo-server"), opts...)
		if err != nil {
			return fmt.Errorf("start the demo municipality: %w", err)
		}
		m.demo = r
		m.log.Info("demo municipality started", "url", r.URL, "took", time.Since(start))
	}
	c, err := api.New(m.demo.URL, m.options())
	if err != nil {
		return err
	}
	m.client, m.current = c, Current{Demo: true, URL: m.demo.URL}
	return nil
}

func (m *Manager) stopDemoLocked(ctx context.Context) error {
	if m.demo == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := m.demo.Close(ctx)
	m.demo = nil
	return err
}
