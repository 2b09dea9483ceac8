package core

import "errors"

// SecretStore keeps small secrets (tokens, keys, the unlock-code hash) in the
// operating system's secret store. The core only sees this interface;
// platform/ implements it for each OS.
type SecretStore interface {
	// Get returns the secret under key, or ErrSecretNotFound.
	Get(key string) ([]byte, error)
	// Set stores value under key, replacing any previous value.
	Set(key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key string) error
}

// ErrSecretNotFound is returned by SecretStore.Get for a key never set.
var ErrSecretNotFound = errors.New("secret not found")
