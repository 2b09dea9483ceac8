package pagopa

import (
	"errors"
	"strings"
	"testing"
)

const demoCreditor = "80099990154" // the demo municipality's fiscal code

func demoNotice(t *testing.T) Notice {
	t.Helper()
	n, err := NewNoticeNumber("47", "0000000004711")
	if err != nil {
		t.Fatal(err)
	}
	return Notice{Number: n, Creditor: demoCreditor, AmountCents: 11625}
}

func TestQRRoundTrip(t *testing.T) {
	n := demoNotice(t)
	payload, err := FormatQR(n)
	if err != nil {
		t.Fatal(err)
	}
	if payload != "PAGOPA|002|"+n.Number+"|80099990154|11625" {
		t.Errorf("payload %q", payload)
	}
	got, err := ParseQR(payload)
	if err != nil || got != n {
		t.Fatalf("%+v %v", got, err)
	}
	if got.ID() != "80099990154-"+n.Number {
		t.Errorf("ID %q", got.ID())
	}
	// A single-digit amount, as some notices print, and a trailing newline.
	if got, err := ParseQR("PAGOPA|002|" + n.Number + "|80099990154|0\n"); err != nil || got.AmountCents != 0 {
		t.Errorf("single digit: %+v %v", got, err)
	}
}

func TestQRErrors(t *testing.T) {
	n := demoNotice(t)
	wrongCheck := n.Number[:16] + "00"
	if wrongCheck == n.Number {
		wrongCheck = n.Number[:16] + "01"
	}
	for _, c := range []struct {
		payload string
		part    Part
		is      error
	}{
		{"https://example.org", "", ErrNotANotice},
		{"TD1:ABC", "", ErrNotANotice},
		{"", "", ErrNotANotice},
		{"PAGOPA|001|" + n.Number + "|80099990154|100", PartVersion, nil},
		{"PAGOPA", PartVersion, nil},
		{"PAGOPA|002|" + n.Number + "|80099990154", PartFields, nil},
		{"PAGOPA|002|" + n.Number + "|80099990154|100|x", PartFields, nil},
		{"PAGOPA|002|" + wrongCheck + "|80099990154|100", PartNoticeNumber, ErrNoticeCheck},
		{"PAGOPA|002|" + n.Number[:17] + "|80099990154|100", PartNoticeNumber, ErrNoticeLength},
		{"PAGOPA|002|9" + n.Number[1:] + "|80099990154|100", PartNoticeNumber, ErrNoticeAux},
		{"PAGOPA|002|" + n.Number + "|80099990155|100", PartCreditor, ErrFiscalCodeCheck},
		{"PAGOPA|002|" + n.Number + "|8009999015|100", PartCreditor, ErrFiscalCodeLength},
		{"PAGOPA|002|" + n.Number + "|80099990154|", PartAmount, ErrAmount},
		{"PAGOPA|002|" + n.Number + "|80099990154|12.50", PartAmount, ErrAmount},
		{"PAGOPA|002|" + n.Number + "|80099990154|1234567890123", PartAmount, ErrAmount},
		{"PAGOPA|002|" + n.Number + "|80099990154|-5", PartAmount, ErrAmount},
	} {
		_, err := ParseQR(c.payload)
		var pe *PayloadError
		switch {
		case err == nil:
			t.Errorf("%q: accepted", c.payload)
		case c.part == "" && !errors.Is(err, c.is):
			t.Errorf("%q: %v, want %v", c.payload, err, c.is)
		case c.part != "" && (!errors.As(err, &pe) || pe.Part != c.part || (c.is != nil && !errors.Is(err, c.is))):
			t.Errorf("%q: %v, want part %s %v", c.payload, err, c.part, c.is)
		}
	}
}

func TestDataMatrix(t *testing.T) {
	n := demoNotice(t)
	payload, err := FormatDataMatrix(n, DataMatrixFields{DebtorCode: "clmmrc74c15f205p", DebtorName: "Colombo Marco",
		Reason: "TARI 2026 rata 2 - Comune di Valdoria, città"})
	if err != nil {
		t.Fatal(err)
	}
	if len(payload) != dmFullLength || payload[15:33] != n.Number || payload[49:59] != "0000011625" || payload[66:77] != demoCreditor {
		t.Fatalf("layout: %d %q", len(payload), payload)
	}
	if !strings.Contains(payload, "CLMMRC74C15F205PColombo Marco") || !strings.Contains(payload, "citta") || !strings.HasSuffix(payload, "A") {
		t.Errorf("tail %q", payload[77:])
	}
	got, err := ParseDataMatrix(payload)
	if err != nil || got != n {
		t.Fatalf("%+v %v", got, err)
	}
	for _, c := range []struct {
		payload string
		part    Part
		is      error
	}{
		{"PAGOPA|002|x", "", ErrNotANotice},
		{payload[:60], PartFields, nil},
		{payload[:13] + "19" + payload[15:], PartFields, nil},
		{payload[:49] + "00000116x5" + payload[59:], PartAmount, ErrAmount},
		{payload[:66] + "80099990155" + payload[77:], PartCreditor, ErrFiscalCodeCheck},
		{payload[:31] + "99" + payload[33:], PartNoticeNumber, ErrNoticeCheck},
	} {
		_, err := ParseDataMatrix(c.payload)
		var pe *PayloadError
		switch {
		case err == nil:
			t.Errorf("%q: accepted", c.payload)
		case c.part == "" && !errors.Is(err, c.is):
			t.Errorf("%q: %v", c.payload, err)
		case c.part != "" && (!errors.As(err, &pe) || pe.Part != c.part || (c.is != nil && !errors.Is(err, c.is))):
			t.Errorf("%q: %v, want part %s", c.payload[:20], err, c.part)
		}
	}
	if _, err := FormatDataMatrix(Notice{Number: n.Number, Creditor: demoCreditor, AmountCents: 10_000_000_000}, DataMatrixFields{}); err == nil {
		t.Error("an 11-digit amount in a 10-digit field")
	}
}

func FuzzParseQR(f *testing.F) {
	f.Add("PAGOPA|002|347000000000471125|80099990154|11625")
	f.Add("codfase=NBPA;18")
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseQR(s); err == nil {
			if n.Check() != nil {
				t.Fatalf("parsed an invalid notice %+v", n)
			}
			again, err := FormatQR(n)
			if err != nil {
				t.Fatal(err)
			}
			if back, err := ParseQR(again); err != nil || back != n {
				t.Fatalf("round trip %+v %v", back, err)
			}
		}
		_, _ = ParseDataMatrix(s)
	})
}

func TestFormatting(t *testing.T) {
	if got := SpacedNoticeNumber("347202603000000143"); got != "3472 0260 3000 0001 43" {
		t.Errorf("spaced %q", got)
	}
	for cents, want := range map[int64]string{0: "0,00 €", 2940: "29,40 €", 123456: "1.234,56 €", 100000000: "1.000.000,00 €", -5: "-0,05 €"} {
		if got := FormatEuro(cents); got != want {
			t.Errorf("FormatEuro(%d) = %q, want %q", cents, got, want)
		}
	}
}
