package plate

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in, want string
		kind     Kind
		err      error
	}{
		{"AB123CD", "AB123CD", Car, nil},
		{" ab 123 cd ", "AB123CD", Car, nil},
		{"fz-512-xk", "FZ512XK", Car, nil},
		{"AB 12345", "AB12345", Motorcycle, nil},
		{"", "", "", ErrEmpty},
		{"  -", "", "", ErrEmpty},
		{"AB123C", "", "", ErrFormat},
		{"AB1234CD", "", "", ErrFormat},
		{"123ABCD", "", "", ErrFormat},
		{"AB123CÈ", "", "", ErrFormat},
		{"MI 123456", "", "", ErrFormat}, // the provincial series before 1994
		{"AO123CD", "", "", ErrLetters},
		{"AB123QU", "", "", ErrLetters},
		{"IA12345", "", "", ErrLetters},
	} {
		got, kind, err := Parse(c.in)
		if got != c.want || kind != c.kind || !errors.Is(err, c.err) {
			t.Errorf("Parse(%q) = %q %q %v, want %q %q %v", c.in, got, kind, err, c.want, c.kind, c.err)
		}
	}
	if _, err := Check("AB12345", Car); !errors.Is(err, ErrKind) {
		t.Errorf("a motorcycle plate as a car's: %v", err)
	}
	if p, err := Check("ab123cd", Car); err != nil || p != "AB123CD" {
		t.Errorf("Check: %q %v", p, err)
	}
	if Format("AB123CD") != "AB 123 CD" || Format("AB12345") != "AB 12345" {
		t.Errorf("Format: %q %q", Format("AB123CD"), Format("AB12345"))
	}
}
