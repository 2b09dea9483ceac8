// Package plate checks Italian vehicle registration plates (targhe) as a
// citizen types them when registering a vehicle for fines: the car series
// in use since 1994, two letters, three digits, two letters ("AB 123 CD"),
// and the motorcycle series since 1999, two letters and five digits
// ("AB 12345"). Letters exclude I, O, Q and U, which the series never use
// (they read as digits or each other). Hand-written: a few lines of rules
// no library holds.
package plate

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrEmpty: nothing was typed.
	ErrEmpty = errors.New("plate: empty")
	// ErrFormat: neither AB 123 CD (car) nor AB 12345 (motorcycle).
	ErrFormat = errors.New("plate: not an Italian plate: AB 123 CD for a car, AB 12345 for a motorcycle")
	// ErrLetters: the letters I, O, Q and U are never on a plate.
	ErrLetters = errors.New("plate: I, O, Q and U are never on a plate (did you mean 1 or 0?)")
	// ErrKind: a valid plate of the other kind of vehicle.
	ErrKind = errors.New("plate: a plate of the other kind of vehicle")
)

// Kind is the kind of vehicle a plate format belongs to.
type Kind string

const (
	Car        Kind = "car"
	Motorcycle Kind = "motorcycle"
)

// Normalize upper-cases a plate and drops spaces, dots and hyphens.
func Normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case ' ', '\t', '-', '.':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Parse normalizes a plate and tells its kind. Errors: ErrEmpty,
// ErrLetters, ErrFormat.
func Parse(s string) (string, Kind, error) {
	p := Normalize(s)
	if p == "" {
		return "", "", ErrEmpty
	}
	pattern := ""
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= '0' && c <= '9':
			pattern += "9"
		case c >= 'A' && c <= 'Z':
			pattern += "A"
		default:
			return "", "", fmt.Errorf("%w: %q", ErrFormat, s)
		}
	}
	var kind Kind
	switch pattern {
	case "AA999AA":
		kind = Car
	case "AA99999":
		kind = Motorcycle
	default:
		return "", "", fmt.Errorf("%w: %q", ErrFormat, s)
	}
	if strings.ContainsAny(p, "IOQU") {
		return "", "", fmt.Errorf("%w: %q", ErrLetters, s)
	}
	return p, kind, nil
}

// Check is Parse for a plate that must be of kind.
func Check(s string, kind Kind) (string, error) {
	p, k, err := Parse(s)
	if err != nil {
		return "", err
	}
	if k != kind {
		return "", fmt.Errorf("%w: %s is a %s plate", ErrKind, p, k)
	}
	return p, nil
}

// Format spaces a normalized plate as it is printed: "AB 123 CD",
// "AB 12345".
func Format(p string) string {
	switch len(p) {
	case 7:
		if p[6] >= 'A' {
			return p[:2] + " " + p[2:5] + " " + p[5:]
		}
		return p[:2] + " " + p[2:]
	}
	return p
}
