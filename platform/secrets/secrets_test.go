package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
)

// requireEnv makes the keyring tests fail, instead of skip, when no Secret
// Service is reachable (make test sets it).
const requireEnv = "SPORTELLO_REQUIRE_SECRET_SERVICE"

// keyringForTest returns the OS secret store under a service name of its own,
// and skips the test when there is no usable store, unless requireEnv is set.
func keyringForTest(t *testing.T) (core.SecretStore, string) {
	t.Helper()
	suffix := make([]byte, 6)
	rand.Read(suffix)
	service := "sportello-test-" + hex.EncodeToString(suffix)
	s := Keyring(service)
	if err := secretStoreReachable(); err != nil {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("no Secret Service reachable (%v), and %s is set", err, requireEnv)
		}
		t.Skipf("no Secret Service reachable (%v): run under scripts/with-secret-service, "+
			"or set %s=1 to make this a failure", err, requireEnv)
	}
	// Reachable: from here on, a store that does not work is a failure.
	if err := Probe(s); err != nil {
		t.Fatalf("the Secret Service is there but unusable: %v", err)
	}
	return s, service
}

// contract runs the core.SecretStore contract on s; tidy removes the keys.
func contract(t *testing.T, s core.SecretStore) {
	keys := []string{"token", "binary", "empty"}
	t.Cleanup(func() {
		for _, k := range keys {
			s.Delete(k)
		}
	})

	if _, err := s.Get("token"); !errors.Is(err, core.ErrSecretNotFound) {
		t.Fatalf("missing key: err = %v, want ErrSecretNotFound", err)
	}
	if err := s.Delete("token"); err != nil {
		t.Fatalf("delete of a missing key: %v", err)
	}
	if err := s.Set("token", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get("token"); err != nil || string(got) != "one" {
		t.Fatalf("get = %q, %v", got, err)
	}
	if err := s.Set("token", []byte("two")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get("token"); err != nil || string(got) != "two" {
		t.Fatalf("after overwrite: get = %q, %v", got, err)
	}

	bin := []byte{0, 1, 0, 0, 0xff, 0xfe, '\n', 0, '=', 0x80, 0}
	if err := s.Set("binary", bin); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get("binary"); err != nil || !bytes.Equal(got, bin) {
		t.Fatalf("binary: get = %x, %v; want %x", got, err, bin)
	}
	if err := s.Set("empty", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get("empty"); err != nil || len(got) != 0 {
		t.Fatalf("empty value: get = %q, %v", got, err)
	}

	if err := s.Delete("token"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("token"); !errors.Is(err, core.ErrSecretNotFound) {
		t.Fatalf("after delete: err = %v, want ErrSecretNotFound", err)
	}
	if err := s.Delete("token"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if got, err := s.Get("binary"); err != nil || !bytes.Equal(got, bin) {
		t.Fatalf("delete of one key touched another: %x, %v", got, err)
	}
	if err := Probe(s); err != nil {
		t.Fatalf("probe: %v", err)
	}
}

func TestKeyring(t *testing.T) {
	s, _ := keyringForTest(t)
	contract(t, s)
}

func TestKeyringServicesAreSeparate(t *testing.T) {
	a, _ := keyringForTest(t)
	b, _ := keyringForTest(t)
	t.Cleanup(func() { a.Delete("token"); b.Delete("token") })
	if err := a.Set("token", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get("token"); !errors.Is(err, core.ErrSecretNotFound) {
		t.Fatalf("b sees a's key: err = %v", err)
	}
	if err := b.Set("token", []byte("b")); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Get("token"); string(got) != "a" {
		t.Fatalf("a's value became %q after b.Set", got)
	}
	if err := b.Delete("token"); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Get("token"); err != nil || string(got) != "a" {
		t.Fatalf("b.Delete removed a's key: %q, %v", got, err)
	}
}

func TestOpenPersistent(t *testing.T) {
	_, service := keyringForTest(t)
	s, persistent := Open(service)
	if !persistent {
		t.Fatal("Open: persistent = false with a working Secret Service")
	}
	t.Cleanup(func() { s.Delete("k") })
	if err := s.Set("k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	// Another store over the same service reads it: it is in the OS store.
	if got, err := Keyring(service).Get("k"); err != nil || string(got) != "v" {
		t.Fatalf("through a second store: %q, %v", got, err)
	}
}

func TestMemory(t *testing.T) {
	contract(t, Memory())
}

func TestMemoryCopiesValues(t *testing.T) {
	s := Memory()
	v := []byte("abc")
	s.Set("k", v)
	v[0] = 'X'
	got, _ := s.Get("k")
	got[1] = 'Y'
	if again, _ := s.Get("k"); string(again) != "abc" {
		t.Fatalf("the store shares memory with its callers: %q", again)
	}
}

func TestMemoryConcurrent(t *testing.T) {
	s := Memory()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				key := fmt.Sprintf("k%d", i%10)
				s.Set(key, []byte{byte(g), byte(i)})
				if v, err := s.Get(key); err == nil && len(v) != 2 {
					t.Errorf("torn value %x", v)
				}
				if i%7 == 0 {
					s.Delete(key)
				}
			}
			if err := Probe(s); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// broken is a secret store that fails every call, or hangs.
type broken struct{ hang bool }

func (b broken) Get(string) ([]byte, error) {
	if b.hang {
		select {}
	}
	return nil, errors.New("no secret service")
}
func (b broken) Set(string, []byte) error { _, err := b.Get(""); return err }
func (b broken) Delete(string) error      { _, err := b.Get(""); return err }

// forgetful accepts writes and loses them.
type forgetful struct{}

func (forgetful) Get(string) ([]byte, error) { return nil, core.ErrSecretNotFound }
func (forgetful) Set(string, []byte) error   { return nil }
func (forgetful) Delete(string) error        { return nil }

func TestOpenFallsBackToMemory(t *testing.T) {
	old := ProbeTimeout
	ProbeTimeout = 100 * time.Millisecond
	t.Cleanup(func() { ProbeTimeout = old })
	for name, s := range map[string]core.SecretStore{
		"failing": broken{}, "hanging": broken{hang: true}, "forgetful": forgetful{},
	} {
		if err := Probe(s); err == nil {
			t.Errorf("%s: Probe = nil", name)
		}
		got, persistent := openWith(s)
		if persistent {
			t.Errorf("%s: persistent = true", name)
		}
		if _, isMem := got.(*memoryStore); !isMem {
			t.Errorf("%s: got %T, want the memory store", name, got)
		}
	}
}
