// Package secrets implements core.SecretStore, where tokens, keys and the
// unlock-code hash live: never in plain files, logs or preferences.
//
// Keyring uses the operating system's secret store through
// github.com/zalando/go-keyring: on desktop Linux the Secret Service over
// D-Bus (gnome-keyring, KWallet), on macOS the Keychain, on Windows the
// Credential Manager. Android and iOS need a Keystore/Keychain backend that
// plugs in behind core.SecretStore; it is not built yet, so there Open falls
// back to Memory.
//
// Memory keeps secrets in the process only, for platforms and sessions with no
// usable secret store: nothing is persisted, so the user signs in again at
// every start. Open picks between the two and says which one it picked.
package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/zalando/go-keyring"
)

// Keyring returns the OS secret store; service names the application's entries
// in it (each key is one entry of that service). Values are bytes, stored
// base64-encoded since the OS stores hold strings.
func Keyring(service string) core.SecretStore {
	return keyringStore{service: service}
}

type keyringStore struct{ service string }

func (k keyringStore) Get(key string) ([]byte, error) {
	v, err := keyring.Get(k.service, key)
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, core.ErrSecretNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("secret store: get %q: %w", key, err)
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		// The value itself is never part of an error.
		return nil, fmt.Errorf("secret store: %q is not base64", key)
	}
	return b, nil
}

func (k keyringStore) Set(key string, value []byte) error {
	if err := keyring.Set(k.service, key, base64.StdEncoding.EncodeToString(value)); err != nil {
		return fmt.Errorf("secret store: set %q: %w", key, err)
	}
	return nil
}

func (k keyringStore) Delete(key string) error {
	err := keyring.Delete(k.service, key)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("secret store: delete %q: %w", key, err)
	}
	return nil
}

// Memory returns a secret store that lives in this process only. It is safe
// for concurrent use.
func Memory() core.SecretStore {
	return &memoryStore{m: map[string][]byte{}}
}

type memoryStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memoryStore) Get(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return nil, core.ErrSecretNotFound
	}
	return bytes.Clone(v), nil
}

func (s *memoryStore) Set(key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := bytes.Clone(value)
	if v == nil {
		v = []byte{}
	}
	s.m[key] = v
	return nil
}

func (s *memoryStore) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// probeKeyPrefix starts the entry Probe writes and removes again; a random
// suffix keeps two probes at once (two app instances) apart.
const probeKeyPrefix = "sportello-probe-"

// ProbeTimeout bounds Probe: a secret store that waits for a prompt nobody
// answers (a locked keyring with no display) counts as unusable.
var ProbeTimeout = 20 * time.Second

// Probe writes a random value under a probe key, reads it back and deletes it.
// An error means the store is unusable.
func Probe(s core.SecretStore) error {
	done := make(chan error, 1)
	go func() { done <- probe(s) }()
	select {
	case err := <-done:
		return err
	case <-time.After(ProbeTimeout):
		return fmt.Errorf("secret store: no answer within %v", ProbeTimeout)
	}
}

func probe(s core.SecretStore) error {
	want := make([]byte, 16)
	if _, err := rand.Read(want); err != nil {
		return err
	}
	probeKey := probeKeyPrefix + hex.EncodeToString(want[:4])
	if err := s.Set(probeKey, want); err != nil {
		return err
	}
	got, err := s.Get(probeKey)
	if err != nil {
		s.Delete(probeKey)
		return err
	}
	if !bytes.Equal(got, want) {
		s.Delete(probeKey)
		return errors.New("secret store: read back a different value than written")
	}
	if err := s.Delete(probeKey); err != nil {
		return err
	}
	if _, err := s.Get(probeKey); !errors.Is(err, core.ErrSecretNotFound) {
		return fmt.Errorf("secret store: probe key still there after delete (%v)", err)
	}
	return nil
}

// Open returns the OS secret store under service and true when it works (see
// Probe), else Memory and false: the app then tells the user that the session
// is kept in memory only and ends with the app.
func Open(service string) (store core.SecretStore, persistent bool) {
	return openWith(Keyring(service))
}

func openWith(s core.SecretStore) (core.SecretStore, bool) {
	if err := Probe(s); err != nil {
		return Memory(), false
	}
	return s, true
}
