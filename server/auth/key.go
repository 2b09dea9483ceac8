package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sportello/sportello/server/keyfile"
)

// KeyFile is where the signing key of the database file db lives: next to
// it, "<db>.oidc-key.pem".
func KeyFile(db string) string { return db + ".oidc-key.pem" }

// SigningKey is the key the authorization server signs its tokens with:
// ECDSA on P-256, for ES256. Its ID (the JWT header's kid) is its RFC 7638
// thumbprint, so the same key always has the same ID.
type SigningKey struct {
	id  string
	key *ecdsa.PrivateKey
}

// GenerateKey returns a fresh key that lives only in memory.
func GenerateKey() (*SigningKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return newSigningKey(k)
}

func newSigningKey(k *ecdsa.PrivateKey) (*SigningKey, error) {
	jwk := jose.JSONWebKey{Key: &k.PublicKey}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return &SigningKey{id: base64.RawURLEncoding.EncodeToString(thumb), key: k}, nil
}

// ID is the key's ID, its RFC 7638 thumbprint.
func (k *SigningKey) ID() string { return k.id }

// Public is the key's public half, the one published in the JWKS.
func (k *SigningKey) Public() *ecdsa.PublicKey { return &k.key.PublicKey }

// Private is the key itself, for tests that sign tokens of their own.
func (k *SigningKey) Private() *ecdsa.PrivateKey { return k.key }

// ErrKeyPermissions means the key file can be read by others than its owner.
var ErrKeyPermissions = keyfile.ErrPermissions

// LoadKey reads the signing key in file, which must exist, be a PEM
// "PRIVATE KEY" (PKCS #8) or "EC PRIVATE KEY" of a P-256 key, and be readable
// by its owner only (mode 0600 or stricter; not checked on Windows, whose
// files have no such mode).
func LoadKey(file string) (*SigningKey, error) {
	data, err := keyfile.Read(file)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	k, err := keyfile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", file, err)
	}
	return newSigningKey(k)
}

// LoadOrCreateKey reads the signing key in file (see LoadKey), creating it
// with mode 0600 when there is none yet: on the first start of a server.
func LoadOrCreateKey(file string) (*SigningKey, error) {
	k, err := LoadKey(file)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	fresh, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(fresh.key)
	if err != nil {
		return nil, err
	}
	err = keyfile.WriteNew(file, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if errors.Is(err, fs.ErrExist) {
		return LoadKey(file) // another process created it meanwhile: use theirs
	}
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", file, err)
	}
	return fresh, nil
}
