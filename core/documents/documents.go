// Package documents keeps the citizen's downloaded documents (certificate
// PDFs, receipts) on the device, sealed with the vault like every other
// piece of personal data, in the account's documents folder that sign-out
// removes. Opening one writes a plain copy to a private temporary file for
// the system viewer, which the app removes when it closes.
package documents

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/sportello/sportello/core/vault"
)

// Folder is a documents folder sealed with a vault.
type Folder struct {
	Dir   string
	Vault *vault.Vault
}

// ErrNotFound means the document was never saved on this device.
var ErrNotFound = errors.New("document not on this device")

var safeName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,80}$`)

func (f Folder) path(name string) (string, error) {
	if !safeName.MatchString(name) {
		return "", fmt.Errorf("document name %q", name)
	}
	return filepath.Join(f.Dir, name+".sealed"), nil
}

// Save seals data and stores it under name (a serial number, say).
func (f Folder) Save(name string, data []byte) error {
	p, err := f.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return err
	}
	sealed, err := f.Vault.Seal(data, []byte(name))
	if err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, sealed, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// Has reports whether name is on the device.
func (f Folder) Has(name string) bool {
	p, err := f.path(name)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// Load opens the document saved under name.
func (f Folder) Load(name string) ([]byte, error) {
	p, err := f.path(name)
	if err != nil {
		return nil, err
	}
	sealed, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return f.Vault.Open(sealed, []byte(name))
}

// Export writes the plain document to a new private file in dir (mode 0600,
// in a 0700 folder) named file, for the system viewer or to be saved
// elsewhere, and returns its path.
func (f Folder) Export(name, dir, file string) (string, error) {
	data, err := f.Load(name)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	out := filepath.Join(dir, filepath.Base(file))
	return out, os.WriteFile(out, data, 0o600)
}
