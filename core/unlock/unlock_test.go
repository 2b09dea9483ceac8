package unlock_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/unlock"
	"github.com/sportello/sportello/platform/secrets"
)

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		code string
		want error
	}{
		{"", unlock.ErrFormat},
		{"12345", unlock.ErrFormat},
		{"1234567", unlock.ErrFormat},
		{"12a456", unlock.ErrFormat},
		{" 12456", unlock.ErrFormat},
		{"١٢٣٤٥٦", unlock.ErrFormat}, // Arabic-Indic digits: not ASCII
		{"１２３４５６", unlock.ErrFormat}, // full-width digits
		{"-12345", unlock.ErrFormat},
		{"000000", unlock.ErrAllEqual},
		{"111111", unlock.ErrAllEqual},
		{"999999", unlock.ErrAllEqual},
		{"012345", unlock.ErrSequential},
		{"123456", unlock.ErrSequential},
		{"234567", unlock.ErrSequential},
		{"345678", unlock.ErrSequential},
		{"456789", unlock.ErrSequential},
		{"987654", unlock.ErrSequential},
		{"876543", unlock.ErrSequential},
		{"765432", unlock.ErrSequential},
		{"654321", unlock.ErrSequential},
		{"543210", unlock.ErrSequential},
		{"890123", nil}, // no wrap-around
		{"123457", nil},
		{"112233", nil},
		{"000001", nil},
		{"135790", nil},
		{"482915", nil},
		{"024680", nil},
	} {
		if got := unlock.Validate(c.code); !errors.Is(got, c.want) {
			t.Errorf("Validate(%q) = %v, want %v", c.code, got, c.want)
		}
	}
}

func TestSetVerifyDisable(t *testing.T) {
	store := secrets.Memory()
	l := unlock.New(store)
	if on, err := l.Enabled(); on || err != nil {
		t.Fatalf("Enabled before Set: %v, %v", on, err)
	}
	if err := l.Verify("482915"); !errors.Is(err, unlock.ErrNotEnabled) {
		t.Fatalf("Verify with no code: %v", err)
	}
	if err := l.Set("123456"); !errors.Is(err, unlock.ErrSequential) {
		t.Fatalf("Set of a sequence: %v", err)
	}
	if on, _ := l.Enabled(); on {
		t.Fatal("a rejected code was set")
	}
	if err := l.Set("482915"); err != nil {
		t.Fatal(err)
	}
	if on, err := l.Enabled(); !on || err != nil {
		t.Fatalf("Enabled after Set: %v, %v", on, err)
	}
	if err := l.Verify("482915"); err != nil {
		t.Fatalf("right code: %v", err)
	}

	stored, err := store.Get(unlock.CodeKey)
	if err != nil {
		t.Fatal(err)
	}
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.Match(stored) {
		t.Fatalf("stored value %q is not an argon2id PHC string with a 16-byte salt and 32-byte hash", stored)
	}
	if strings.Contains(string(stored), "482915") {
		t.Fatal("the stored value contains the code")
	}

	// A second Set makes a new salt.
	if err := l.Set("482915"); err != nil {
		t.Fatal(err)
	}
	if again, _ := store.Get(unlock.CodeKey); string(again) == string(stored) {
		t.Fatal("two hashes of the same code are equal: the salt is not random")
	}

	if err := l.Disable(); err != nil {
		t.Fatal(err)
	}
	if on, _ := l.Enabled(); on {
		t.Fatal("Enabled after Disable")
	}
	for _, k := range []string{unlock.CodeKey, unlock.FailuresKey} {
		if _, err := store.Get(k); !errors.Is(err, core.ErrSecretNotFound) {
			t.Fatalf("%s after Disable: %v", k, err)
		}
	}
}

func wrong(t *testing.T, l *unlock.Lock, remaining int) {
	t.Helper()
	err := l.Verify("111112")
	var w *unlock.WrongCodeError
	if !errors.As(err, &w) || !errors.Is(err, unlock.ErrWrongCode) || w.Remaining != remaining {
		t.Fatalf("wrong code: err = %v, want %d attempts left", err, remaining)
	}
}

func TestCountdownAndLockOut(t *testing.T) {
	store := secrets.Memory()
	l := unlock.New(store)
	if err := l.Set("482915"); err != nil {
		t.Fatal(err)
	}
	for _, left := range []int{4, 3, 2, 1} {
		wrong(t, l, left)
	}
	if err := l.Verify("111112"); !errors.Is(err, unlock.ErrLockedOut) {
		t.Fatalf("5th wrong code: %v", err)
	}
	// Locked out for good, even with the right code, also after a restart.
	if err := l.Verify("482915"); !errors.Is(err, unlock.ErrLockedOut) {
		t.Fatalf("right code after the lock-out: %v", err)
	}
	if err := unlock.New(store).Verify("482915"); !errors.Is(err, unlock.ErrLockedOut) {
		t.Fatalf("right code after the lock-out and a restart: %v", err)
	}
	// Sign-out wipes: Disable, then a new code starts afresh.
	if err := l.Disable(); err != nil {
		t.Fatal(err)
	}
	if err := l.Set("482915"); err != nil {
		t.Fatal(err)
	}
	if err := l.Verify("482915"); err != nil {
		t.Fatalf("after Disable and Set: %v", err)
	}
}

func TestRightCodeResetsCounter(t *testing.T) {
	l := unlock.New(secrets.Memory())
	if err := l.Set("482915"); err != nil {
		t.Fatal(err)
	}
	wrong(t, l, 4)
	wrong(t, l, 3)
	if err := l.Verify("482915"); err != nil {
		t.Fatal(err)
	}
	wrong(t, l, 4)
}

func TestCounterSurvivesRestart(t *testing.T) {
	store := secrets.Memory()
	if err := unlock.New(store).Set("482915"); err != nil {
		t.Fatal(err)
	}
	wrong(t, unlock.New(store), 4)
	wrong(t, unlock.New(store), 3)
	wrong(t, unlock.New(store), 2)
}

func TestMalformedInputIsNotAnAttempt(t *testing.T) {
	l := unlock.New(secrets.Memory())
	if err := l.Set("482915"); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := l.Verify("12ab"); !errors.Is(err, unlock.ErrFormat) {
			t.Fatalf("malformed: %v", err)
		}
	}
	wrong(t, l, 4)
}

func TestDamagedEntries(t *testing.T) {
	store := secrets.Memory()
	l := unlock.New(store)
	if err := l.Set("482915"); err != nil {
		t.Fatal(err)
	}
	// A counter that is not a number counts as a lock-out (fail closed).
	store.Set(unlock.FailuresKey, []byte("many"))
	if err := l.Verify("482915"); !errors.Is(err, unlock.ErrLockedOut) {
		t.Fatalf("damaged counter: %v", err)
	}
	store.Delete(unlock.FailuresKey)
	// A hash that is not a PHC string, or asks for absurd costs, is an error,
	// never a match.
	for _, bad := range []string{
		"482915",
		"$argon2i$v=19$m=65536,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=99999999,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=65536,t=1,p=2$$",
	} {
		store.Set(unlock.CodeKey, []byte(bad))
		if err := l.Verify("482915"); err == nil || errors.Is(err, unlock.ErrWrongCode) {
			t.Fatalf("hash %q: %v", bad, err)
		}
	}
}
