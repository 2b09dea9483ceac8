package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/core/glyph"
	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/keyfile"
)

// The keys of the certificates, next to the database like the token key
// (server/auth), never in it, each in a PEM file of mode 0600:
//
//	<db>.trust-anchor.pem          the trust anchor, which signs the trust
//	                               and revocation lists; verifiers pin its
//	                               public key
//	<db>.signer-<UTC time>.pem     a signer, which signs glyphs; its PEM
//	                               headers Not-Before and Not-After (RFC
//	                               3339) give its window in the trust list
//
// They are created on the first start. Instead of files, the environment
// may hold them as PEM text: SPORTELLO_TRUST_ANCHOR_KEY, and
// SPORTELLO_SIGNER_KEY with one or more signer blocks (with the same
// headers); a key from the environment is never written to disk.

// Environment variables that hold keys as PEM.
const (
	EnvTrustAnchorKey = "SPORTELLO_TRUST_ANCHOR_KEY"
	EnvSignerKey      = "SPORTELLO_SIGNER_KEY"
)

// PEM headers of a signer key.
const (
	headerNotBefore = "Not-Before"
	headerNotAfter  = "Not-After"
)

// ErrKeyPermissions means a key file can be read by others than its owner;
// it is auth.ErrKeyPermissions.
var ErrKeyPermissions = auth.ErrKeyPermissions

// AnchorFile is where the trust anchor of database db lives.
func AnchorFile(db string) string { return db + ".trust-anchor.pem" }

// signerPattern matches the signer files of database db.
func signerPattern(db string) string { return escapeGlob(db) + ".signer-*.pem" }

// SignerFile is the file of a signer of database db that begins at t.
func SignerFile(db string, t time.Time) string {
	return db + ".signer-" + t.UTC().Format("20060102T150405Z") + ".pem"
}

func escapeGlob(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

// Signer is a key that signs glyphs.
type Signer struct {
	Key       *ecdsa.PrivateKey
	KID       []byte // glyph.KeyID
	NotBefore time.Time
	NotAfter  *time.Time // nil: no end yet
	File      string     // "" for a key from the environment
}

// KIDHex is the signer's kid in hexadecimal.
func (s *Signer) KIDHex() string { return hex.EncodeToString(s.KID) }

// published reports whether s is in the trust list at t.
func (s *Signer) published(t time.Time) bool { return s.NotAfter == nil || t.Before(*s.NotAfter) }

// Keys are the trust anchor and the signers of a municipality.
type Keys struct {
	Anchor  *ecdsa.PrivateKey
	Signers []Signer // by NotBefore
	FromEnv bool     // the signers come from the environment
}

// Current is the signer of new glyphs at t: the one that began last, not
// after t, and is still published.
func (k *Keys) Current(t time.Time) (*Signer, error) {
	for i := len(k.Signers) - 1; i >= 0; i-- {
		s := &k.Signers[i]
		if !s.NotBefore.After(t) && s.published(t) {
			return s, nil
		}
	}
	return nil, errors.New("certificates: no signer key is valid now (rotate-signer adds one)")
}

// Published are the signers of the trust list at t: those whose window has
// not ended.
func (k *Keys) Published(t time.Time) []Signer {
	var out []Signer
	for _, s := range k.Signers {
		if s.published(t) {
			out = append(out, s)
		}
	}
	return out
}

// LoadKeys reads the keys of database db from the environment or the
// files next to it, creating at now, with mode 0600, those that are
// missing when create is set.
func LoadKeys(db string, now time.Time, create bool) (*Keys, error) {
	k := &Keys{}
	var err error
	if v := os.Getenv(EnvTrustAnchorKey); v != "" {
		if k.Anchor, err = keyfile.Parse([]byte(v)); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvTrustAnchorKey, err)
		}
	} else if k.Anchor, err = loadOrCreateAnchor(AnchorFile(db), create); err != nil {
		return nil, err
	}
	if v := os.Getenv(EnvSignerKey); v != "" {
		k.FromEnv = true
		rest := []byte(v)
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			s, err := signerFromBlock(block, "")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", EnvSignerKey, err)
			}
			k.Signers = append(k.Signers, s)
		}
		if len(k.Signers) == 0 {
			return nil, fmt.Errorf("%s: no PEM block", EnvSignerKey)
		}
	} else {
		files, err := filepath.Glob(signerPattern(db))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			s, err := loadSigner(f)
			if err != nil {
				return nil, err
			}
			k.Signers = append(k.Signers, s)
		}
		if len(k.Signers) == 0 && create {
			s, err := createSigner(db, now)
			if err != nil {
				return nil, err
			}
			k.Signers = append(k.Signers, s)
		}
	}
	// By start; of two that start together, the one whose window is open
	// is the newer.
	slices.SortStableFunc(k.Signers, func(a, b Signer) int {
		if c := a.NotBefore.Compare(b.NotBefore); c != 0 {
			return c
		}
		switch {
		case a.NotAfter == nil && b.NotAfter != nil:
			return 1
		case a.NotAfter != nil && b.NotAfter == nil:
			return -1
		}
		return 0
	})
	if len(k.Signers) == 0 {
		return nil, fmt.Errorf("certificates: no signer key for %s (the server creates one on its first start)", db)
	}
	return k, nil
}

// RotateSigner adds a new signer for database db, which signs from now
// on, and ends the window of the signers that had none at now + overlap:
// they stay in the trust list until then, so that what they signed still
// verifies meanwhile.
func RotateSigner(db string, now time.Time, overlap time.Duration) (*Signer, error) {
	if os.Getenv(EnvSignerKey) != "" {
		return nil, fmt.Errorf("the signer keys come from %s: rotate them there", EnvSignerKey)
	}
	if overlap < 0 {
		return nil, errors.New("the overlap cannot be negative")
	}
	k, err := LoadKeys(db, now, false)
	if err != nil {
		return nil, err
	}
	fresh, err := createSigner(db, now)
	if err != nil {
		return nil, err
	}
	end := now.Add(overlap).UTC().Truncate(time.Second)
	for _, s := range k.Signers {
		if s.NotAfter != nil && !s.NotAfter.After(end) {
			continue
		}
		s.NotAfter = &end
		if err := writeSigner(s.File, s, true); err != nil {
			return nil, err
		}
	}
	return &fresh, nil
}

func generate() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

// readKeyFile reads a key file that must be readable by its owner only.
func readKeyFile(file string) ([]byte, error) {
	data, err := keyfile.Read(file)
	if err != nil {
		return nil, fmt.Errorf("certificate key: %w", err)
	}
	return data, nil
}

func loadOrCreateAnchor(file string, create bool) (*ecdsa.PrivateKey, error) {
	data, err := readKeyFile(file)
	if err == nil {
		k, err := keyfile.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("trust anchor %s: %w", file, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) || !create {
		return nil, err
	}
	k, err := generate()
	if err != nil {
		return nil, err
	}
	block, err := keyBlock(k, nil)
	if err != nil {
		return nil, err
	}
	if err := keyfile.WriteNew(file, block); errors.Is(err, fs.ErrExist) {
		return loadOrCreateAnchor(file, false) // another process made it meanwhile
	} else if err != nil {
		return nil, fmt.Errorf("trust anchor: %w", err)
	}
	return k, nil
}

func loadSigner(file string) (Signer, error) {
	data, err := readKeyFile(file)
	if err != nil {
		return Signer{}, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return Signer{}, fmt.Errorf("signer key %s: no PEM block", file)
	}
	s, err := signerFromBlock(block, file)
	if err != nil {
		return Signer{}, fmt.Errorf("signer key %s: %w", file, err)
	}
	return s, nil
}

func signerFromBlock(block *pem.Block, file string) (Signer, error) {
	k, err := keyfile.ParseBlock(block)
	if err != nil {
		return Signer{}, err
	}
	s := Signer{Key: k, KID: glyph.KeyID(&k.PublicKey), File: file}
	if v := block.Headers[headerNotBefore]; v != "" {
		if s.NotBefore, err = time.Parse(time.RFC3339, v); err != nil {
			return Signer{}, fmt.Errorf("%s: %w", headerNotBefore, err)
		}
	}
	if v := block.Headers[headerNotAfter]; v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return Signer{}, fmt.Errorf("%s: %w", headerNotAfter, err)
		}
		s.NotAfter = &t
	}
	return s, nil
}

func createSigner(db string, now time.Time) (Signer, error) {
	k, err := generate()
	if err != nil {
		return Signer{}, err
	}
	now = now.UTC().Truncate(time.Second)
	s := Signer{Key: k, KID: glyph.KeyID(&k.PublicKey), NotBefore: now, File: SignerFile(db, now)}
	for i := 2; ; i++ {
		err := writeSigner(s.File, s, false)
		if !errors.Is(err, fs.ErrExist) || i > 100 {
			return s, err
		}
		// Another signer began in the same second.
		s.File = strings.TrimSuffix(SignerFile(db, now), ".pem") + "-" + strconv.Itoa(i) + ".pem"
	}
}

func keyBlock(k *ecdsa.PrivateKey, headers map[string]string) (*pem.Block, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return &pem.Block{Type: "PRIVATE KEY", Headers: headers, Bytes: der}, nil
}

// writeSigner writes s to file: a new file, or in place of the old one.
func writeSigner(file string, s Signer, replace bool) error {
	headers := map[string]string{headerNotBefore: s.NotBefore.UTC().Format(time.RFC3339)}
	if s.NotAfter != nil {
		headers[headerNotAfter] = s.NotAfter.UTC().Format(time.RFC3339)
	}
	block, err := keyBlock(s.Key, headers)
	if err != nil {
		return err
	}
	if !replace {
		return keyfile.WriteNew(file, block)
	}
	tmp := file + ".tmp"
	os.Remove(tmp)
	if err := keyfile.WriteNew(tmp, block); err != nil {
		return fmt.Errorf("signer key: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("signer key: %w", err)
	}
	return nil
}
