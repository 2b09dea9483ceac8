// Package codicefiscale computes, normalises and validates the Italian
// codice fiscale of a natural person, as defined by D.M. 23 dicembre 1976
// and its later amendments: 16 characters made of three letters from the
// surname, three from the name, the last two digits of the birth year, a
// month letter, the day of birth (plus 40 for women), the four-character
// Belfiore code of the place of birth and a check character.
//
// The algorithm is hand-written here because no standard-library package
// implements it and the project keeps its core free of third-party
// dependencies. It also handles omocodia: when two people would get the
// same code, the Agenzia delle Entrate replaces digits, from the right, with
// the letters LMNPQRSTUV; Validate accepts such codes.
package codicefiscale

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sportello/sportello/core"
)

// Errors returned by Validate, each wrapped with details; test with errors.Is.
var (
	ErrLength    = errors.New("codicefiscale: a codice fiscale has 16 characters")
	ErrFormat    = errors.New("codicefiscale: malformed codice fiscale")
	ErrMonth     = errors.New("codicefiscale: invalid month letter")
	ErrDay       = errors.New("codicefiscale: invalid day of birth")
	ErrCheckChar = errors.New("codicefiscale: wrong check character")
)

// Errors returned by Compute, each wrapped with details; test with errors.Is.
var (
	ErrSurname   = errors.New("codicefiscale: the surname has no letters")
	ErrName      = errors.New("codicefiscale: the name has no letters")
	ErrSex       = errors.New("codicefiscale: sex must be M or F")
	ErrBirthDate = errors.New("codicefiscale: missing date of birth")
	ErrBelfiore  = errors.New("codicefiscale: a Belfiore code is a letter and three digits")
)

// monthLetters are the letters for January..December.
const monthLetters = "ABCDEHLMPRST"

// omocodiaLetters replace the digits 0..9 in an omocodic code.
const omocodiaLetters = "LMNPQRSTUV"

// omocodiaPositions are the 0-based indices of the characters that are
// digits in a plain code and may be letters in an omocodic one.
var omocodiaPositions = [...]int{6, 7, 9, 10, 12, 13, 14}

// oddValues are the check-character values of 0..9 and A..Z in odd
// (1st, 3rd, ...) positions; a digit counts as the letter of the same index.
var oddValues = [26]int{
	1, 0, 5, 7, 9, 13, 15, 17, 19, 21, // A..J (0..9)
	2, 4, 18, 20, 11, 3, 6, 8, 12, 14, // K..T
	16, 10, 22, 25, 24, 23, // U..Z
}

// Normalize upper-cases cf and removes every space, as people type codes
// with spaces or in lower case.
func Normalize(cf string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, cf)
}

// Compute returns the codice fiscale of a person born on birth in the place
// with the given Belfiore code ("H501" for Roma, "Z110" for France). Accents
// are removed and apostrophes, spaces and other non-letters ignored, so
// "D'Angelo" gives DNG and "Nicolò" gives NCL. The result is the plain code:
// omocodia is decided by the Agenzia delle Entrate, not computable.
func Compute(surname, name string, sex core.Sex, birth core.Date, belfiore string) (string, error) {
	s := letters(surname)
	if s == "" {
		return "", fmt.Errorf("%w: %q", ErrSurname, surname)
	}
	n := letters(name)
	if n == "" {
		return "", fmt.Errorf("%w: %q", ErrName, name)
	}
	if sex != core.Male && sex != core.Female {
		return "", fmt.Errorf("%w: %q", ErrSex, sex)
	}
	if birth.IsZero() {
		return "", ErrBirthDate
	}
	place := strings.ToUpper(strings.TrimSpace(belfiore))
	if !isBelfiore(place) {
		return "", fmt.Errorf("%w: %q", ErrBelfiore, belfiore)
	}

	var b strings.Builder
	b.Grow(16)
	b.WriteString(surnameCode(s))
	b.WriteString(nameCode(n))
	y, m, d := birth.Date()
	if sex == core.Female {
		d += 40
	}
	fmt.Fprintf(&b, "%02d%c%02d%s", y%100, monthLetters[m-1], d, place)
	c, err := CheckChar(b.String())
	if err != nil {
		return "", err // cannot happen: every part was checked above
	}
	b.WriteByte(c)
	return b.String(), nil
}

// CheckChar returns the check character (A..Z) of the first 15 characters of
// a codice fiscale, which must be digits or upper-case letters.
func CheckChar(first15 string) (byte, error) {
	if len(first15) != 15 {
		return 0, fmt.Errorf("%w: the check character needs 15 characters, got %d", ErrLength, len(first15))
	}
	sum := 0
	for i := 0; i < 15; i++ {
		c := first15[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c - 'A')
		default:
			return 0, fmt.Errorf("%w: character %q at position %d", ErrFormat, c, i+1)
		}
		if i%2 == 0 { // 1st, 3rd, ... position (1-based): odd
			sum += oddValues[v]
		} else {
			sum += v
		}
	}
	return byte('A' + sum%26), nil
}

// Validate checks a codice fiscale, accepting lower case and spaces (see
// Normalize) and omocodic codes. The error wraps ErrLength, ErrFormat,
// ErrMonth, ErrDay or ErrCheckChar.
func Validate(cf string) error {
	c := Normalize(cf)
	if n := utf8.RuneCountInString(c); n != 16 {
		return fmt.Errorf("%w: got %d", ErrLength, n)
	}
	if len(c) != 16 {
		return fmt.Errorf("%w: only letters and digits are allowed", ErrFormat)
	}
	for i := 0; i < 16; i++ {
		ch := c[i]
		ok := isLetter(ch)
		if isOmocodiaPosition(i) {
			ok = isDigit(ch) || strings.IndexByte(omocodiaLetters, ch) >= 0
		}
		if !ok {
			return fmt.Errorf("%w: unexpected %q at position %d", ErrFormat, ch, i+1)
		}
	}
	if strings.IndexByte(monthLetters, c[8]) < 0 {
		return fmt.Errorf("%w: %q", ErrMonth, c[8])
	}
	day := digitValue(c[9])*10 + digitValue(c[10])
	if (day < 1 || day > 31) && (day < 41 || day > 71) {
		return fmt.Errorf("%w: %d", ErrDay, day)
	}
	want, err := CheckChar(c[:15])
	if err != nil {
		return err
	}
	if c[15] != want {
		return fmt.Errorf("%w: got %c, want %c", ErrCheckChar, c[15], want)
	}
	return nil
}

// surnameCode takes the consonants, then the vowels, then X, up to three.
func surnameCode(s string) string {
	cons, vows := split(s)
	return pad3(cons + vows)
}

// nameCode is like surnameCode, except that a name with four or more
// consonants takes the first, third and fourth.
func nameCode(n string) string {
	cons, vows := split(n)
	if len(cons) >= 4 {
		return cons[:1] + cons[2:4]
	}
	return pad3(cons + vows)
}

func pad3(s string) string {
	s += "XXX"
	return s[:3]
}

func split(s string) (consonants, vowels string) {
	var c, v strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte("AEIOU", s[i]) >= 0 {
			v.WriteByte(s[i])
		} else {
			c.WriteByte(s[i])
		}
	}
	return c.String(), v.String()
}

// letters upper-cases s, folds accented Latin letters to their base letter
// and drops everything else (apostrophes, spaces, hyphens, digits).
func letters(s string) string {
	var b strings.Builder
	for _, r := range s {
		r = unicode.ToUpper(r)
		if f, ok := fold[r]; ok {
			b.WriteString(f)
			continue
		}
		if r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fold maps the accented capitals found in Italian and in the names of
// residents born abroad to ASCII. The standard library has no Unicode
// decomposition, hence the table.
var fold = map[rune]string{
	'À': "A", 'Á': "A", 'Â': "A", 'Ã': "A", 'Ä': "A", 'Å': "A", 'Ā': "A", 'Ă': "A", 'Ą': "A",
	'Æ': "AE", 'Ç': "C", 'Ć': "C", 'Č': "C", 'Ď': "D", 'Đ': "D", 'Ð': "D",
	'È': "E", 'É': "E", 'Ê': "E", 'Ë': "E", 'Ē': "E", 'Ė': "E", 'Ę': "E", 'Ě': "E",
	'Ğ': "G", 'Ì': "I", 'Í': "I", 'Î': "I", 'Ï': "I", 'Ī': "I", 'İ': "I", 'Ł': "L",
	'Ñ': "N", 'Ń': "N", 'Ň': "N", 'Ò': "O", 'Ó': "O", 'Ô': "O", 'Õ': "O", 'Ö': "O", 'Ø': "O", 'Ő': "O",
	'Œ': "OE", 'Ř': "R", 'Ś': "S", 'Ş': "S", 'Ș': "S", 'Š': "S", 'ẞ': "SS", 'Ţ': "T", 'Ț': "T", 'Ť': "T",
	'Ù': "U", 'Ú': "U", 'Û': "U", 'Ü': "U", 'Ū': "U", 'Ů': "U", 'Ű': "U",
	'ß': "SS", 'Ý': "Y", 'Ÿ': "Y", 'Ź': "Z", 'Ż': "Z", 'Ž': "Z",
}

func isBelfiore(s string) bool {
	return len(s) == 4 && isLetter(s[0]) && isDigit(s[1]) && isDigit(s[2]) && isDigit(s[3])
}

func isOmocodiaPosition(i int) bool {
	for _, p := range omocodiaPositions {
		if p == i {
			return true
		}
	}
	return false
}

// digitValue reads a digit or its omocodia letter.
func digitValue(c byte) int {
	if isDigit(c) {
		return int(c - '0')
	}
	return strings.IndexByte(omocodiaLetters, c)
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
