package pagopa

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
)

// mod93 is an independent reference for CheckDigits, using math/big.
func mod93(digits string) string {
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		panic(digits)
	}
	return fmt.Sprintf("%02d", new(big.Int).Mod(n, big.NewInt(93)).Int64())
}

func TestCheckDigits(t *testing.T) {
	tests := []struct {
		aux        byte
		code, base string
		want       string
	}{
		// Worked out by hand: 3470000000000001 = 93 × 37311827956989 + 24.
		{3, "47", "0000000000001", "24"},
		{0, "00", "0000000000000", "00"},
		{0, "12", "3456789012300", ""},
		{3, "47", "2026010001001", ""},
		{2, "", "123456789012345", ""},
		{3, "99", "9999999999999", ""},
	}
	for _, tc := range tests {
		want := mod93(fmt.Sprintf("%d%s%s", tc.aux, tc.code, tc.base))
		if tc.want != "" && tc.want != want {
			t.Fatalf("reference disagrees: %s, want %s", want, tc.want)
		}
		if got := CheckDigits(tc.aux, tc.code, tc.base); got != want {
			t.Errorf("CheckDigits(%d, %s, %s) = %s, want %s", tc.aux, tc.code, tc.base, got, want)
		}
		if got := CheckDigits('0'+tc.aux, tc.code, tc.base); got != want {
			t.Errorf("CheckDigits(%q, %s, %s) = %s, want %s", '0'+tc.aux, tc.code, tc.base, got, want)
		}
	}
	if got := CheckDigits(3, "4a", "0000000000001"); got != "" {
		t.Errorf("non-digit code: %q", got)
	}
	if got := CheckDigits('x', "47", "0000000000001"); got != "" {
		t.Errorf("non-digit aux: %q", got)
	}
}

func TestCheckDigitsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		aux := byte(r.IntN(4))
		code := fmt.Sprintf("%02d", r.IntN(100))
		base := fmt.Sprintf("%013d", r.Int64N(1e13))
		want := mod93(fmt.Sprintf("%d%s%s", aux, code, base))
		if got := CheckDigits(aux, code, base); got != want {
			t.Fatalf("CheckDigits(%d, %s, %s) = %s, want %s", aux, code, base, got, want)
		}
	}
}

func TestNewNoticeNumber(t *testing.T) {
	n, err := NewNoticeNumber("47", "0000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if n != "347000000000000124" {
		t.Errorf("NewNoticeNumber = %s", n)
	}
	if err := ValidateNoticeNumber(n); err != nil {
		t.Errorf("ValidateNoticeNumber(%s): %v", n, err)
	}
	for _, tc := range []struct {
		seg, base string
		want      error
	}{
		{"4", "0000000000001", ErrSegregationCode},
		{"4x", "0000000000001", ErrSegregationCode},
		{"47", "000000000001", ErrIUVBase},
		{"47", "00000000000012", ErrIUVBase},
		{"47", "00000000000a1", ErrIUVBase},
	} {
		if _, err := NewNoticeNumber(tc.seg, tc.base); !errors.Is(err, tc.want) {
			t.Errorf("NewNoticeNumber(%q, %q) = %v, want %v", tc.seg, tc.base, err, tc.want)
		}
	}
}

func TestValidateNoticeNumber(t *testing.T) {
	valid := []string{
		"347000000000000124",
		"3470 0000 0000 0001 24",
		"0" + "12" + "3456789012300" + mod93("0123456789012300"),
		"1" + "12345678901234567", // aux 1 has no check digits
		"2" + "123456789012345" + mod93("2123456789012345"),
	}
	for _, n := range valid {
		if err := ValidateNoticeNumber(n); err != nil {
			t.Errorf("ValidateNoticeNumber(%q): %v", n, err)
		}
	}
	invalid := []struct {
		n    string
		want error
	}{
		{"", ErrNoticeLength},
		{"34700000000000012", ErrNoticeLength},
		{"3470000000000001240", ErrNoticeLength},
		{"34700000000000012A", ErrNoticeDigits},
		{"-47000000000000124", ErrNoticeDigits},
		{"447000000000000124", ErrNoticeAux},
		{"947000000000000124", ErrNoticeAux},
		{"347000000000000125", ErrNoticeCheck},
		{"347000000000000224", ErrNoticeCheck},
		{"047000000000000124", ErrNoticeCheck}, // the aux digit is part of the number
		{"2123456789012345" + "00", ErrNoticeCheck},
	}
	for _, tc := range invalid {
		if err := ValidateNoticeNumber(tc.n); !errors.Is(err, tc.want) {
			t.Errorf("ValidateNoticeNumber(%q) = %v, want %v", tc.n, err, tc.want)
		}
	}
}

func TestFiscalCodeCheckDigit(t *testing.T) {
	// Fiscal codes of public bodies (Milano, Roma, Torino) and one more, all
	// checked by hand.
	for _, cf := range []string{
		"01199250158", // Comune di Milano
		"02438750586", // Roma Capitale
		"00514490010", // Comune di Torino
		"80012000826", // check digit 6, worked out by hand
	} {
		if got := FiscalCodeCheckDigit(cf[:10]); got != cf[10] {
			t.Errorf("FiscalCodeCheckDigit(%s) = %c, want %c", cf[:10], got, cf[10])
		}
		if err := ValidateCreditorFiscalCode(cf); err != nil {
			t.Errorf("ValidateCreditorFiscalCode(%s): %v", cf, err)
		}
	}
	if got := FiscalCodeCheckDigit("123"); got != 0 {
		t.Errorf("short input: %q", got)
	}
	if got := FiscalCodeCheckDigit("01199a5015"); got != 0 {
		t.Errorf("non-digit input: %q", got)
	}
}

func TestValidateCreditorFiscalCode(t *testing.T) {
	for _, tc := range []struct {
		cf   string
		want error
	}{
		{"", ErrFiscalCodeLength},
		{"0119925015", ErrFiscalCodeLength},
		{"011992501580", ErrFiscalCodeLength},
		{"0119925015X", ErrFiscalCodeDigits},
		{"01199250157", ErrFiscalCodeCheck},
		{"10199250158", ErrFiscalCodeCheck}, // swapped digits
	} {
		if err := ValidateCreditorFiscalCode(tc.cf); !errors.Is(err, tc.want) {
			t.Errorf("ValidateCreditorFiscalCode(%q) = %v, want %v", tc.cf, err, tc.want)
		}
	}
	if err := ValidateCreditorFiscalCode(" 011 9925 0158 "); err != nil {
		t.Errorf("spaces: %v", err)
	}
}
