package pagopa

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A paper pagoPA notice (avviso di pagamento) carries the payment twice in
// machine-readable form: a QR code for apps and, on notices payable at the
// post office, a Poste Italiane Data Matrix. Both give the notice number,
// the creditor's fiscal code and the amount; the payment is identified by
// the first two together.

// Notice is the payment a paper notice asks for.
type Notice struct {
	Number      string // numero avviso, 18 digits, valid check digits
	Creditor    string // the creditor body's fiscal code, 11 digits
	AmountCents int64  // as printed; the amount due now comes from pagoPA's verify step
}

// ID identifies the payment: creditor fiscal code and notice number.
func (n Notice) ID() string { return n.Creditor + "-" + n.Number }

// Check validates the notice number and the creditor's fiscal code.
func (n Notice) Check() error {
	if err := ValidateNoticeNumber(n.Number); err != nil {
		return &PayloadError{Part: PartNoticeNumber, Err: err}
	}
	if err := ValidateCreditorFiscalCode(n.Creditor); err != nil {
		return &PayloadError{Part: PartCreditor, Err: err}
	}
	if n.AmountCents < 0 || n.AmountCents > MaxAmountCents {
		return &PayloadError{Part: PartAmount, Err: ErrAmount}
	}
	return nil
}

// MaxAmountCents is the largest amount a QR payload can carry: 12 digits.
const MaxAmountCents = 999_999_999_999

// Part names the part of a payload that is wrong, for a precise message.
type Part string

const (
	PartPrefix       Part = "prefix"        // not "PAGOPA" / "codfase=NBPA;"
	PartVersion      Part = "version"       // not "002"
	PartFields       Part = "fields"        // wrong number of fields or length
	PartNoticeNumber Part = "notice_number" // ValidateNoticeNumber's errors
	PartCreditor     Part = "creditor"      // ValidateCreditorFiscalCode's errors
	PartAmount       Part = "amount"        // not 1 to 12 digits
)

// ErrNotANotice: the payload is no pagoPA notice at all (another code).
var ErrNotANotice = errors.New("pagopa: not a pagoPA notice")

// ErrAmount: the amount is not 1 to 12 digits of euro cents.
var ErrAmount = errors.New("pagopa: the amount is 1 to 12 digits of euro cents")

// PayloadError says which part of a notice's payload is wrong; Err is one
// of this package's sentinel errors (errors.Is works through it).
type PayloadError struct {
	Part Part
	Err  error
}

func (e *PayloadError) Error() string { return fmt.Sprintf("pagopa: %s: %v", e.Part, e.Err) }
func (e *PayloadError) Unwrap() error { return e.Err }

const (
	qrPrefix  = "PAGOPA"
	qrVersion = "002"
)

// ParseQR reads the payload of a notice's QR code,
// "PAGOPA|002|<notice number>|<creditor fiscal code>|<amount in cents>".
// The amount has 1 to 12 digits (some notices print a single 0).
func ParseQR(payload string) (Notice, error) {
	fields := strings.Split(strings.TrimSpace(payload), "|")
	if fields[0] != qrPrefix {
		return Notice{}, ErrNotANotice
	}
	if len(fields) < 2 || fields[1] != qrVersion {
		return Notice{}, &PayloadError{Part: PartVersion, Err: fmt.Errorf("version %q, want %s", at(fields, 1), qrVersion)}
	}
	if len(fields) != 5 {
		return Notice{}, &PayloadError{Part: PartFields, Err: fmt.Errorf("%d fields, want 5", len(fields))}
	}
	amount, err := parseAmount(fields[4])
	if err != nil {
		return Notice{}, err
	}
	n := Notice{Number: fields[2], Creditor: fields[3], AmountCents: amount}
	return n, n.Check()
}

func at(fields []string, i int) string {
	if i < len(fields) {
		return fields[i]
	}
	return ""
}

func parseAmount(s string) (int64, error) {
	if len(s) < 1 || len(s) > 12 || !allDigits(s) {
		return 0, &PayloadError{Part: PartAmount, Err: ErrAmount}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, &PayloadError{Part: PartAmount, Err: ErrAmount}
	}
	return v, nil
}

// FormatQR is the QR payload of a notice, as printed on paper notices.
func FormatQR(n Notice) (string, error) {
	if err := n.Check(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s|%s|%s|%s|%d", qrPrefix, qrVersion, n.Number, n.Creditor, n.AmountCents), nil
}

// The Poste Italiane Data Matrix of a notice (reference.md §7): fixed
// positions after the "codfase=NBPA;" prefix, each field preceded by its
// length: "18" + notice number, "12" + postal account, "10" + amount in
// cents, "3" + "896" (the bollettino type), "1P1", then the creditor's
// fiscal code (11), the debtor's fiscal code (16), the debtor's name (40)
// and the reason (110), space-padded, 12 filler spaces and a final "A".
const (
	dmPrefix      = "codfase=NBPA;"
	dmMinLength   = 77 // up to the creditor's fiscal code
	dmFullLength  = dmMinLength + 16 + 40 + 110 + 12 + 1
	dmDebtorWidth = 16
	dmNameWidth   = 40
	dmReasonWidth = 110
)

// ParseDataMatrix reads the payload of a notice's Poste Data Matrix: the
// notice number at characters 15-33, the amount in cents at 49-59 and the
// creditor's fiscal code at 66-77 (0-based, end excluded).
func ParseDataMatrix(payload string) (Notice, error) {
	if !strings.HasPrefix(payload, dmPrefix) {
		return Notice{}, ErrNotANotice
	}
	if len(payload) < dmMinLength {
		return Notice{}, &PayloadError{Part: PartFields, Err: fmt.Errorf("%d characters, want at least %d", len(payload), dmMinLength)}
	}
	if payload[13:15] != "18" || payload[33:35] != "12" || payload[47:49] != "10" {
		return Notice{}, &PayloadError{Part: PartFields, Err: errors.New("the field lengths 18, 12 and 10 are not where they belong")}
	}
	amount, err := parseAmount(payload[49:59])
	if err != nil {
		return Notice{}, err
	}
	n := Notice{Number: payload[15:33], Creditor: payload[66:77], AmountCents: amount}
	return n, n.Check()
}

// DataMatrixFields are the parts of a Data Matrix payload beyond the
// notice: optional, space-padded or cut to their widths.
type DataMatrixFields struct {
	PostalAccount string // 12 digits; zeros when the creditor has none
	DebtorCode    string // the debtor's fiscal code
	DebtorName    string
	Reason        string // causale
}

// FormatDataMatrix is the Poste Data Matrix payload of a notice.
func FormatDataMatrix(n Notice, f DataMatrixFields) (string, error) {
	if err := n.Check(); err != nil {
		return "", err
	}
	if n.AmountCents > 9_999_999_999 {
		return "", &PayloadError{Part: PartAmount, Err: ErrAmount}
	}
	account := f.PostalAccount
	if account == "" {
		account = strings.Repeat("0", 12)
	}
	if len(account) != 12 || !allDigits(account) {
		return "", &PayloadError{Part: PartFields, Err: errors.New("a postal account has 12 digits")}
	}
	var b strings.Builder
	b.Grow(dmFullLength)
	fmt.Fprintf(&b, "%s18%s12%s10%010d38961P1%s", dmPrefix, n.Number, account, n.AmountCents, n.Creditor)
	b.WriteString(pad(strings.ToUpper(f.DebtorCode), dmDebtorWidth))
	b.WriteString(pad(f.DebtorName, dmNameWidth))
	b.WriteString(pad(f.Reason, dmReasonWidth))
	b.WriteString(strings.Repeat(" ", 12))
	b.WriteString("A")
	return b.String(), nil
}

// pad cuts or space-pads s to width bytes of printable ASCII, the Data
// Matrix's character set: an accented vowel becomes its base letter, any
// other character '?'.
func pad(s string, width int) string {
	out := make([]byte, 0, width)
	for _, r := range s {
		if len(out) == width {
			break
		}
		switch {
		case r >= 0x20 && r < 0x7f:
			out = append(out, byte(r))
		case strings.ContainsRune("àáâä", r):
			out = append(out, 'a')
		case strings.ContainsRune("èéêë", r):
			out = append(out, 'e')
		case strings.ContainsRune("ìíîï", r):
			out = append(out, 'i')
		case strings.ContainsRune("òóôö", r):
			out = append(out, 'o')
		case strings.ContainsRune("ùúûü", r):
			out = append(out, 'u')
		default:
			out = append(out, '?')
		}
	}
	for len(out) < width {
		out = append(out, ' ')
	}
	return string(out)
}

// SpacedNoticeNumber groups a notice number by four digits, as notices
// print it for reading: "3472 0260 3000 0001 43".
func SpacedNoticeNumber(n string) string {
	var b strings.Builder
	for i, r := range n {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FormatEuro writes an amount in cents as Italian notices and receipts do:
// "1.234,56 €".
func FormatEuro(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole, frac := cents/100, cents%100
	s := strconv.FormatInt(whole, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return fmt.Sprintf("%s%s,%02d €", sign, s, frac)
}
