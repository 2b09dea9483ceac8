package keyfile

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReadParse(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	file := filepath.Join(t.TempDir(), "k.pem")
	if err := WriteNew(file, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		t.Fatal(err)
	}
	if err := WriteNew(file, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("a second WriteNew replaced the key: %v", err)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %04o", st.Mode().Perm())
	}
	data, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data)
	if err != nil || !got.Equal(k) {
		t.Fatalf("parse: %v", err)
	}
	os.Chmod(file, 0o644)
	if _, err := Read(file); !errors.Is(err, ErrPermissions) {
		t.Fatalf("a 0644 key file was read: %v", err)
	}
	if _, err := Parse([]byte("not pem")); err == nil {
		t.Fatal("garbage parsed")
	}
	k384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der384, _ := x509.MarshalPKCS8PrivateKey(k384)
	if _, err := ParseBlock(&pem.Block{Type: "PRIVATE KEY", Bytes: der384}); err == nil {
		t.Fatal("a P-384 key was accepted for ES256")
	}
}
