// Package keyfile keeps the server's private keys (the token-signing key, the
// certificate trust anchor and signers) in PEM files readable by their owner
// only, next to the database and never in it. One place reads, parses and
// creates them, so every key gets the same checks.
package keyfile

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"runtime"
)

// ErrPermissions means a key file can be read by others than its owner.
var ErrPermissions = errors.New("the key file can be read by others than its owner")

// Read reads a key file, which must be a regular file readable by its owner
// only (mode 0600 or stricter; not checked on Windows, whose files have no
// such mode).
func Read(file string) ([]byte, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", file)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; make it 0600 (chmod 600 %s)", ErrPermissions, file, perm, file)
	}
	return os.ReadFile(file)
}

// Parse reads the first PEM block of data as a P-256 private key.
func Parse(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	return ParseBlock(block)
}

// ParseBlock reads a PEM "PRIVATE KEY" (PKCS #8) or "EC PRIVATE KEY" block of
// a P-256 key (ES256).
func ParseBlock(block *pem.Block) (*ecdsa.PrivateKey, error) {
	var parsed any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("a PEM %q block, want PRIVATE KEY", block.Type)
	}
	if err != nil {
		return nil, err
	}
	k, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, errors.New("not an ECDSA P-256 key (ES256)")
	}
	return k, nil
}

// WriteNew writes block to file, which must not exist yet (O_EXCL: two
// processes creating the same key at once end up with one), with mode 0600.
// A failed write leaves no file behind.
func WriteNew(file string, block *pem.Block) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = pem.Encode(f, block)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(file)
	}
	return err
}
