package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestKeyFile(t *testing.T) {
	t.Parallel()
	if got := KeyFile("/srv/sportello.db"); got != "/srv/sportello.db.oidc-key.pem" {
		t.Errorf("KeyFile = %q", got)
	}
	file := KeyFile(filepath.Join(t.TempDir(), "sportello.db"))
	if _, err := LoadKey(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadKey of a missing file: %v, want ErrNotExist", err)
	}

	// First start: created, mode 0600, a P-256 PKCS #8 key.
	k, err := LoadOrCreateKey(file)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("created with mode %04o, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(file)
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("the file is not a PEM PRIVATE KEY:\n%s", data)
	}
	if k.Public().Curve != elliptic.P256() || k.ID() == "" {
		t.Errorf("key curve %v, id %q", k.Public().Curve, k.ID())
	}

	// Later starts: the same key, the same ID.
	again, err := LoadOrCreateKey(file)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != k.ID() || !again.Public().Equal(k.Public()) {
		t.Error("a second start made another key")
	}
}

func TestKeyFileTooOpen(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	file := filepath.Join(t.TempDir(), "db.oidc-key.pem")
	k, err := LoadOrCreateKey(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(file, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKey(file); !errors.Is(err, ErrKeyPermissions) {
			t.Errorf("mode %04o: LoadKey %v, want ErrKeyPermissions", mode, err)
		}
		// Refused, not replaced.
		if _, err := LoadOrCreateKey(file); !errors.Is(err, ErrKeyPermissions) {
			t.Errorf("mode %04o: LoadOrCreateKey %v, want ErrKeyPermissions", mode, err)
		}
	}
	if err := os.Chmod(file, 0o400); err != nil {
		t.Fatal(err)
	}
	if k2, err := LoadKey(file); err != nil || k2.ID() != k.ID() {
		t.Errorf("mode 0400: %v", err)
	}
}

func TestKeyFileContents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	for name, data := range map[string][]byte{
		"empty":       nil,
		"garbage":     []byte("not a key"),
		"certificate": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}),
		"rsa":         pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER}),
		"p384":        pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p384DER}),
	} {
		if _, err := LoadKey(write(name, data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// SEC 1 ("EC PRIVATE KEY"), as openssl ecparam writes it, is fine.
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(p256)
	if _, err := LoadKey(write("sec1", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}))); err != nil {
		t.Errorf("SEC 1 key: %v", err)
	}
}

func TestRedirectPolicy(t *testing.T) {
	t.Parallel()
	for uri, want := range map[string]bool{
		"http://127.0.0.1/callback":                  true,
		"http://127.0.0.1:1/callback":                true,
		"http://127.0.0.1:65535/callback":            true,
		"http://[::1]:8080/callback":                 true,
		"http://[::1]/callback":                      true,
		"it.sportello.app:/oauth2/callback":          true,
		"http://127.0.0.1:65536/callback":            false,
		"http://127.0.0.1:0/callback":                false,
		"http://127.0.0.1:080/callback":              false,
		"http://127.0.0.1:/callback":                 true, // an empty port is no port (RFC 3986 3.2.3)
		"http://localhost:8080/callback":             false,
		"https://127.0.0.1:8080/callback":            false,
		"http://127.0.0.2:8080/callback":             false,
		"http://[::2]:8080/callback":                 false,
		"http://[::ffff:127.0.0.1]:8080/callback":    false,
		"http://127.1:8080/callback":                 false,
		"http://2130706433/callback":                 false,
		"http://127.0.0.1.evil.example/callback":     false,
		"http://evil.example#@127.0.0.1/callback":    false,
		"http://127.0.0.1:8080/callback?x=1":         false,
		"http://127.0.0.1:8080/callback?":            false,
		"http://127.0.0.1:8080/callback#x":           false,
		"http://127.0.0.1:8080/Callback":             false,
		"http://127.0.0.1:8080/callback/../callback": false,
		"http://127.0.0.1:8080/%63allback":           false,
		"http://a@127.0.0.1:8080/callback":           false,
		"it.sportello.app:/oauth2/callback?x=1":      false,
		"it.sportello.app://oauth2/callback":         false,
		"IT.SPORTELLO.APP:/oauth2/callback":          false,
		"https://evil.example/cb":                    false,
		"":                                           false,
	} {
		if got := redirectAllowed(uri); got != want {
			t.Errorf("redirectAllowed(%q) = %v, want %v", uri, got, want)
		}
	}
	for uri, want := range map[string]bool{
		"http://127.0.0.1:5000/signed-out":    true,
		"it.sportello.app:/oauth2/signed-out": true,
		"http://127.0.0.1:5000/callback":      false,
		"http://localhost:5000/signed-out":    false,
		"https://evil.example/signed-out":     false,
	} {
		if got := postLogoutRedirectAllowed(uri); got != want {
			t.Errorf("postLogoutRedirectAllowed(%q) = %v, want %v", uri, got, want)
		}
	}
}
