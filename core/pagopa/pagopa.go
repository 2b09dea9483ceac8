// Package pagopa implements the parts of the pagoPA specifications
// (Specifiche Attuative dei Codici Identificativi di Versamento, Riversamento
// e Rendicontazione) that Sportello needs: the 18-digit notice number
// (numero avviso) with its modulo-93 check digits, and the check digit of the
// 11-digit fiscal code of the creditor body (codice fiscale numerico, the
// same algorithm as the partita IVA); and the payloads of a paper notice's
// QR code and Poste Data Matrix (notice.go), with an error naming the part
// that is wrong.
//
// The arithmetic is hand-written because no standard-library package knows
// these codes; the check digits are computed by long division on the digit
// string, so no big-number library is needed.
package pagopa

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Errors returned by ValidateNoticeNumber and NewNoticeNumber, wrapped with
// details; test with errors.Is.
var (
	ErrNoticeLength = errors.New("pagopa: a notice number has 18 digits")
	ErrNoticeDigits = errors.New("pagopa: a notice number has only digits")
	ErrNoticeAux    = errors.New("pagopa: unknown aux digit")
	ErrNoticeCheck  = errors.New("pagopa: wrong notice number check digits")
)

// Errors returned by NewNoticeNumber for its arguments.
var (
	ErrSegregationCode = errors.New("pagopa: a segregation code has 2 digits")
	ErrIUVBase         = errors.New("pagopa: an IUV base has 13 digits")
)

// Errors returned by ValidateCreditorFiscalCode, wrapped with details.
var (
	ErrFiscalCodeLength = errors.New("pagopa: a numeric fiscal code has 11 digits")
	ErrFiscalCodeDigits = errors.New("pagopa: a numeric fiscal code has only digits")
	ErrFiscalCodeCheck  = errors.New("pagopa: wrong fiscal code check digit")
)

// CheckDigits returns the two check digits of a notice number: the number
// formed by the aux digit, code (the 2-digit application or segregation
// code; empty for aux digit 2) and iuvBase, modulo 93, as two digits. aux may
// be given as a value (3) or as an ASCII digit ('3'). It returns "" if any
// argument holds something other than decimal digits.
func CheckDigits(aux byte, code string, iuvBase string) string {
	if aux >= '0' && aux <= '9' {
		aux -= '0'
	}
	if aux > 9 {
		return ""
	}
	r := int(aux) % 93
	for _, s := range [...]string{code, iuvBase} {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return ""
			}
			r = (r*10 + int(c-'0')) % 93
		}
	}
	return fmt.Sprintf("%02d", r)
}

// NewNoticeNumber returns the aux-digit-3 notice number of a creditor that
// uses segregation codes: "3", the 2-digit segregation code, the 13-digit IUV
// base and the two check digits.
func NewNoticeNumber(segregationCode, iuvBase string) (string, error) {
	if len(segregationCode) != 2 || !allDigits(segregationCode) {
		return "", fmt.Errorf("%w: %q", ErrSegregationCode, segregationCode)
	}
	if len(iuvBase) != 13 || !allDigits(iuvBase) {
		return "", fmt.Errorf("%w: %q", ErrIUVBase, iuvBase)
	}
	return "3" + segregationCode + iuvBase + CheckDigits(3, segregationCode, iuvBase), nil
}

// NormalizeNoticeNumber removes the spaces with which notice numbers are
// often printed and typed ("3012 3456 7890 1234 56").
func NormalizeNoticeNumber(n string) string { return stripSpaces(n) }

func stripSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// ValidateNoticeNumber checks an 18-digit notice number, ignoring spaces.
// By aux digit it is made of:
//
//	0: aux, application code (2), IUV base (13), check digits (2)
//	1: aux, IUV (17), no check digits
//	2: aux, IUV base (15), check digits (2) over aux and IUV base
//	3: aux, segregation code (2), IUV base (13), check digits (2)
//
// The error wraps ErrNoticeLength, ErrNoticeDigits, ErrNoticeAux or
// ErrNoticeCheck.
func ValidateNoticeNumber(n string) error {
	n = NormalizeNoticeNumber(n)
	if !allDigits(n) {
		return fmt.Errorf("%w: %q", ErrNoticeDigits, n)
	}
	if len(n) != 18 {
		return fmt.Errorf("%w: got %d", ErrNoticeLength, len(n))
	}
	var want string
	switch aux := n[0]; aux {
	case '0', '3':
		want = CheckDigits(aux, n[1:3], n[3:16])
	case '1':
		return nil
	case '2':
		want = CheckDigits(aux, "", n[1:16])
	default:
		return fmt.Errorf("%w: %c", ErrNoticeAux, aux)
	}
	if got := n[16:]; got != want {
		return fmt.Errorf("%w: got %s, want %s", ErrNoticeCheck, got, want)
	}
	return nil
}

// FiscalCodeCheckDigit returns the check digit, as an ASCII digit, of the
// first 10 digits of a numeric fiscal code or partita IVA: the digits in odd
// positions (1st, 3rd, ...) are summed, those in even positions doubled (less
// 9 when over 9) and added, and the check digit is (10 - sum%10) % 10. It
// returns 0 if first10 is not 10 digits.
func FiscalCodeCheckDigit(first10 string) byte {
	if len(first10) != 10 || !allDigits(first10) {
		return 0
	}
	sum := 0
	for i := 0; i < 10; i++ {
		d := int(first10[i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// ValidateCreditorFiscalCode checks the 11-digit fiscal code of a legal
// person, such as the municipality receiving pagoPA payments, ignoring
// spaces. The error wraps ErrFiscalCodeLength, ErrFiscalCodeDigits or
// ErrFiscalCodeCheck.
func ValidateCreditorFiscalCode(cf string) error {
	cf = stripSpaces(cf)
	if !allDigits(cf) {
		return fmt.Errorf("%w: %q", ErrFiscalCodeDigits, cf)
	}
	if len(cf) != 11 {
		return fmt.Errorf("%w: got %d", ErrFiscalCodeLength, len(cf))
	}
	if want := FiscalCodeCheckDigit(cf[:10]); cf[10] != want {
		return fmt.Errorf("%w: got %c, want %c", ErrFiscalCodeCheck, cf[10], want)
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
