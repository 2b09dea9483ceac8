// Package vault encrypts personal data kept on the device (AES-256-GCM) with a
// data key that lives in the OS secret store, never next to the data. Signing
// out destroys the key, which leaves everything sealed with it unreadable.
//
// A sealed value is: one version byte (1), a random 12-byte nonce, then the
// GCM ciphertext with its 16-byte tag. The associated data is authenticated but
// not stored: callers pass what the value belongs to (the row key of the
// personal cache), so a value moved to another place fails to open.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/sportello/sportello/core"
)

// KeyName is the secret store entry that holds the 32-byte data key.
const KeyName = "vault-data-key"

const (
	version   = 1
	keySize   = 32
	nonceSize = 12
	overhead  = 1 + nonceSize + 16 // version, nonce, GCM tag
)

// ErrTampered is returned by Vault.Open for a value that was altered, sealed
// with another key or other associated data, truncated, or written in an
// unknown format.
var ErrTampered = errors.New("vault: sealed data is damaged or was not sealed with this key")

// Vault seals and opens values with the data key. It is safe for concurrent
// use.
type Vault struct {
	aead cipher.AEAD
}

// Open loads the data key from s, creating a random one the first time.
func Open(s core.SecretStore) (*Vault, error) {
	key, err := s.Get(KeyName)
	if errors.Is(err, core.ErrSecretNotFound) {
		key = make([]byte, keySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("vault: new key: %w", err)
		}
		if err := s.Set(KeyName, key); err != nil {
			return nil, fmt.Errorf("vault: store the new key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("vault: load the key: %w", err)
	}
	if len(key) != keySize {
		// Not replaced silently: the caller decides (Destroy, then Open).
		return nil, fmt.Errorf("vault: the stored key has %d bytes, want %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	clear(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Vault{aead: aead}, nil
}

// Seal encrypts plaintext and authenticates it together with associatedData.
func (v *Vault) Seal(plaintext, associatedData []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, overhead+len(plaintext))
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("vault: nonce: %w", err)
	}
	return v.aead.Seal(out, out[1:1+nonceSize], plaintext, associatedData), nil
}

// Open decrypts what Seal returned, given the same associatedData; any other
// input gives ErrTampered.
func (v *Vault) Open(sealed, associatedData []byte) ([]byte, error) {
	if len(sealed) < overhead || sealed[0] != version {
		return nil, ErrTampered
	}
	plain, err := v.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], associatedData)
	if err != nil {
		return nil, ErrTampered
	}
	return plain, nil
}

// Destroy deletes the data key from s: everything sealed with it becomes
// unreadable, and the next Open makes a new key.
func Destroy(s core.SecretStore) error {
	if err := s.Delete(KeyName); err != nil {
		return fmt.Errorf("vault: delete the key: %w", err)
	}
	return nil
}
