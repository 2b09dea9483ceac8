// Package unlock is the optional 6-digit code that unlocks the app on the
// device. Only an argon2id hash of the code is kept, in the OS secret store,
// together with the count of consecutive wrong codes: after MaxAttempts wrong
// codes in a row Verify answers ErrLockedOut and the caller signs out and
// wipes the personal data. The count is in the secret store too, so
// restarting the app does not reset it.
//
// A 6-digit code has a million values: the hash alone would not resist an
// attacker who could read it. What protects the code is that the hash stays in
// the secret store and that guesses through the app are limited.
package unlock

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"

	"github.com/sportello/sportello/core"
)

// Entries in the secret store.
const (
	CodeKey     = "unlock-code"
	FailuresKey = "unlock-failures"
)

// MaxAttempts is how many consecutive wrong codes lock the app out.
const MaxAttempts = 5

// CodeLength is the number of digits of a code.
const CodeLength = 6

// Why Validate rejects a code; the UI translates each.
var (
	ErrFormat     = errors.New("unlock: the code must be exactly 6 digits")
	ErrAllEqual   = errors.New("unlock: the code must not repeat one digit")
	ErrSequential = errors.New("unlock: the code must not be a run of consecutive digits")
)

var (
	// ErrNotEnabled is returned by Verify when no code is set.
	ErrNotEnabled = errors.New("unlock: no unlock code is set")
	// ErrWrongCode is what every *WrongCodeError is (errors.Is).
	ErrWrongCode = errors.New("unlock: wrong code")
	// ErrLockedOut is returned once MaxAttempts wrong codes were given in a
	// row, for that attempt and every later one: the caller signs out and
	// wipes the device data (which calls Disable).
	ErrLockedOut = errors.New("unlock: too many wrong codes")
)

// WrongCodeError is a wrong code with attempts left before the lock-out.
type WrongCodeError struct {
	Remaining int
}

func (e *WrongCodeError) Error() string {
	return fmt.Sprintf("unlock: wrong code, %d attempts left", e.Remaining)
}

// Unwrap makes errors.Is(err, ErrWrongCode) true.
func (e *WrongCodeError) Unwrap() error { return ErrWrongCode }

// Validate checks a new code: exactly 6 ASCII digits, not one digit repeated
// (000000), not a straight run up or down (123456, 876543).
func Validate(code string) error {
	if len(code) != CodeLength {
		return ErrFormat
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return ErrFormat
		}
	}
	up, down, same := true, true, true
	for i := 1; i < len(code); i++ {
		d := int(code[i]) - int(code[i-1])
		up = up && d == 1
		down = down && d == -1
		same = same && d == 0
	}
	switch {
	case same:
		return ErrAllEqual
	case up, down:
		return ErrSequential
	}
	return nil
}

// Argon2id parameters for new hashes: modest enough for a phone (64 MiB,
// about 0.15 s on a laptop core). Verify reads the parameters from the stored
// hash, so they can change without invalidating codes already set.
const (
	argonMemory  = 64 * 1024 // KiB
	argonTime    = 1
	argonThreads = 2
	saltLen      = 16
	hashLen      = 32
)

// Lock is the unlock code over a secret store. Its methods are safe for
// concurrent use within the process.
type Lock struct {
	mu sync.Mutex
	s  core.SecretStore
}

// New returns the Lock kept in s.
func New(s core.SecretStore) *Lock { return &Lock{s: s} }

// Enabled reports whether a code is set.
func (l *Lock) Enabled() (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.s.Get(CodeKey)
	if errors.Is(err, core.ErrSecretNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Set validates code and makes it the unlock code, replacing any previous one
// and clearing the count of wrong codes.
func (l *Lock) Set(code string) error {
	if err := Validate(code); err != nil {
		return err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	p := params{memory: argonMemory, time: argonTime, threads: argonThreads}
	phc := p.encode(salt, p.hash(code, salt, hashLen))
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.s.Set(CodeKey, []byte(phc)); err != nil {
		return err
	}
	return l.s.Delete(FailuresKey)
}

// Disable removes the code and the count of wrong codes.
func (l *Lock) Disable() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.s.Delete(CodeKey); err != nil {
		return err
	}
	return l.s.Delete(FailuresKey)
}

// Verify checks code against the unlock code. It returns nil on a match, and
// clears the count of wrong codes; a *WrongCodeError (errors.Is ErrWrongCode)
// with the attempts left on a mismatch; ErrLockedOut on the MaxAttempts-th
// wrong code in a row and on every call after it; ErrFormat, without counting
// an attempt, for input that is not 6 digits; ErrNotEnabled when no code is
// set.
//
// The attempt is counted in the secret store before the code is checked, and
// uncounted on a match, so stopping the app in the middle of a check does not
// give a free guess.
func (l *Lock) Verify(code string) error {
	if len(code) != CodeLength || strings.Trim(code, "0123456789") != "" {
		return ErrFormat
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	stored, err := l.s.Get(CodeKey)
	if errors.Is(err, core.ErrSecretNotFound) {
		return ErrNotEnabled
	}
	if err != nil {
		return err
	}
	failures, err := l.failures()
	if err != nil {
		return err
	}
	if failures >= MaxAttempts {
		return ErrLockedOut
	}
	p, salt, want, err := decode(string(stored))
	if err != nil {
		return err
	}
	failures++
	if err := l.s.Set(FailuresKey, []byte(strconv.Itoa(failures))); err != nil {
		return err
	}
	got := p.hash(code, salt, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) == 1 {
		return l.s.Delete(FailuresKey)
	}
	if failures >= MaxAttempts {
		return ErrLockedOut
	}
	return &WrongCodeError{Remaining: MaxAttempts - failures}
}

// failures is the stored count of consecutive wrong codes. A value that is
// not a count is taken as a lock-out: failing closed.
func (l *Lock) failures() (int, error) {
	b, err := l.s.Get(FailuresKey)
	if errors.Is(err, core.ErrSecretNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 0 {
		return MaxAttempts, nil
	}
	return n, nil
}

// params are argon2id's cost parameters.
type params struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

func (p params) hash(code string, salt []byte, n uint32) []byte {
	return argon2.IDKey([]byte(code), salt, p.time, p.memory, p.threads, n)
}

// encode writes the PHC string format:
// $argon2id$v=19$m=65536,t=1,p=2$<salt>$<hash>, base64 without padding.
func (p params) encode(salt, hash []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(hash))
}

var errBadHash = errors.New("unlock: the stored code hash is not an argon2id PHC string")

// decode parses what encode wrote, with bounds on the parameters so a damaged
// entry cannot make Verify allocate without limit.
func decode(phc string) (p params, salt, hash []byte, err error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, errBadHash
	}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &threads); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", p.memory, p.time, threads) != parts[3] {
		return p, nil, nil, errBadHash
	}
	if p.memory < 8 || p.memory > 1<<20 || p.time < 1 || p.time > 16 || threads < 1 || threads > 16 {
		return p, nil, nil, errBadHash
	}
	p.threads = uint8(threads)
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	if hash, err = b64.DecodeString(parts[5]); err != nil || len(hash) < 16 || len(hash) > 64 {
		return p, nil, nil, errBadHash
	}
	return p, salt, hash, nil
}
