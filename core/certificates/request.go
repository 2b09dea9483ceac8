package certificates

import (
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/codicefiscale"
)

// Request is the body of POST /api/v1/me/certificates.
type Request struct {
	Type string `json:"type"`
	// Subject is the codice fiscale of whom the certificate is about; empty
	// for the holder.
	Subject string `json:"subject,omitempty"`
	// Copies is how many copies, 1 to MaxCopies; 0 (absent) means 1.
	Copies    int          `json:"copies,omitempty"`
	StampDuty StampDutyReq `json:"stamp_duty"`
}

// StampDutyReq says how the stamp duty is settled: one marca da bollo per
// copy, or an exempt use, or nothing for a type that is always exempt.
type StampDutyReq struct {
	Marcas    []MarcaReq `json:"marcas,omitempty"`
	Exemption string     `json:"exemption,omitempty"`
}

// MarcaReq is a marca da bollo as the citizen reads it off the stamp.
type MarcaReq struct {
	ID   string `json:"id"`   // 14 digits
	Date string `json:"date"` // issue date, "2006-01-02"
}

// Reason is a stable code for a rule a request breaks. Clients translate
// it; it never changes meaning.
type Reason string

// The reasons, by field.
const (
	// Any field.
	ReasonRequired Reason = "required" // missing or empty

	// type
	ReasonTypeUnknown Reason = "type_unknown"

	// subject (and acting_for)
	ReasonFiscalCodeMalformed Reason = "fiscal_code_malformed"
	ReasonSubjectNotInFamily  Reason = "subject_not_in_family" // not the holder nor in the holder's registry family
	ReasonSubjectSelfOnly     Reason = "subject_self_only"     // the type is for the holder only
	ReasonSubjectNotMarried   Reason = "subject_not_married"   // matrimonio for someone with no marriage
	ReasonSubjectNotFree      Reason = "subject_not_free"      // stato libero for someone married or in a civil union

	// copies
	ReasonCopiesOutOfRange Reason = "copies_out_of_range"

	// stamp_duty
	ReasonStampDutyRequired  Reason = "stamp_duty_required"  // neither marcas nor an exemption for a type that pays
	ReasonStampDutyAmbiguous Reason = "stamp_duty_ambiguous" // both marcas and an exemption
	ReasonTypeAlwaysExempt   Reason = "type_always_exempt"   // marcas or an exemption for a type exempt anyway
	ReasonExemptionUnknown   Reason = "exemption_unknown"
	ReasonMarcaCount         Reason = "marca_count_mismatch" // not one marca per copy
	ReasonMarcaIDMalformed   Reason = "marca_id_malformed"   // not exactly 14 digits
	ReasonMarcaDuplicate     Reason = "marca_duplicate"      // the same marca twice in the request
	ReasonMarcaReused        Reason = "marca_reused"         // already used for a certificate of this municipality
	ReasonMarcaDateMalformed Reason = "marca_date_malformed"
	ReasonMarcaDateFuture    Reason = "marca_date_future"
	ReasonMarcaDateTooOld    Reason = "marca_date_too_old" // before 2005, when the marca telematica began

	// The Idempotency-Key header.
	ReasonIdempotencyKeyMalformed Reason = "idempotency_key_malformed"
)

// Invalid is one field that breaks one rule.
type Invalid struct {
	Field  string // "stamp_duty.marcas[0].id"
	Reason Reason
}

func (e *Invalid) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// Invalids are all the rules a request breaks. It is the error of
// Request.Check and of the server's checks that need the registry.
type Invalids []Invalid

func (v Invalids) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return "invalid certificate request: " + strings.Join(parts, ", ")
}

// Params is v as the invalid_params of a problem document.
func (v Invalids) Params() []core.InvalidParam {
	out := make([]core.InvalidParam, len(v))
	for i, e := range v {
		out[i] = core.InvalidParam{Name: e.Field, Reason: string(e.Reason)}
	}
	return out
}

// Has reports whether v holds the field with the reason.
func (v Invalids) Has(field string, reason Reason) bool {
	for _, e := range v {
		if e.Field == field && e.Reason == reason {
			return true
		}
	}
	return false
}

func invalid(field string, r Reason) *Invalid { return &Invalid{Field: field, Reason: r} }

// ValidateMarcaID checks a marca da bollo's identifier: exactly 14 digits.
func ValidateMarcaID(id string) error {
	if len(id) != 14 || strings.Trim(id, "0123456789") != "" {
		return invalid("id", ReasonMarcaIDMalformed)
	}
	return nil
}

// FirstMarcaDay is the first issue date a marca da bollo may carry: the
// marca telematica (contrassegno) replaced the paper stamps from 2005.
var FirstMarcaDay = core.NewDate(2005, time.January, 1)

// ValidateMarcaDate reads and checks a marca's issue date, "2006-01-02":
// not after today, not before FirstMarcaDay.
func ValidateMarcaDate(s string, today core.Date) (core.Date, error) {
	d, err := core.ParseDate(s)
	switch {
	case err != nil:
		return core.Date{}, invalid("date", ReasonMarcaDateMalformed)
	case d.After(today.Time):
		return core.Date{}, invalid("date", ReasonMarcaDateFuture)
	case d.Before(FirstMarcaDay.Time):
		return core.Date{}, invalid("date", ReasonMarcaDateTooOld)
	}
	return d, nil
}

// ValidateCopies checks the number of copies: 1 to MaxCopies.
func ValidateCopies(n int) error {
	if n < 1 || n > MaxCopies {
		return invalid("copies", ReasonCopiesOutOfRange)
	}
	return nil
}

// ValidateExemption checks an exempt use for type t: a known code, and a
// type that is not exempt anyway.
func ValidateExemption(t Type, code string) (Exemption, error) {
	if t.AlwaysExempt {
		return Exemption{}, invalid("exemption", ReasonTypeAlwaysExempt)
	}
	e, ok := LookupExemption(code)
	if !ok {
		return Exemption{}, invalid("exemption", ReasonExemptionUnknown)
	}
	return e, nil
}

// CheckSubject applies type t's rule on whom holder may ask about: subject
// must be the holder or, for SelfOrFamily types, in the holder's registry
// family, and fit the type's eligibility. The error is an *Invalid about
// the field "subject".
func CheckSubject(t Type, holder, subject core.Citizen) error {
	self := subject.FiscalCode == holder.FiscalCode
	if !self {
		if holder.FamilyID == "" || subject.FamilyID != holder.FamilyID {
			return invalid("subject", ReasonSubjectNotInFamily)
		}
		if t.Requesters == SelfOnly {
			return invalid("subject", ReasonSubjectSelfOnly)
		}
	}
	switch t.Eligibility {
	case Married:
		if subject.Marriage == nil || subject.Marriage.CivilUnion || subject.MaritalStatus != core.Married {
			return invalid("subject", ReasonSubjectNotMarried)
		}
	case NotMarried:
		if subject.MaritalStatus == core.Married || subject.MaritalStatus == core.CivilUnion {
			return invalid("subject", ReasonSubjectNotFree)
		}
	}
	return nil
}

// Order is a request that passed Check: what to issue, with the stamp
// duty of each copy.
type Order struct {
	Type Type
	// Subject is the normalised codice fiscale of the subject; empty for
	// the holder.
	Subject   string
	Copies    int
	Marcas    []Marca    // one per copy when stamp duty is paid
	Exemption *Exemption // the exempt use, if declared
}

// Marca is a marca da bollo that passed its checks.
type Marca struct {
	ID   string
	Date core.Date
}

// Check applies every rule that needs no registry to r, as of today, and
// returns the order, or Invalids listing every field at fault.
func (r Request) Check(today core.Date) (Order, error) {
	var bad Invalids
	add := func(field string, err error) {
		if e, ok := err.(*Invalid); ok {
			bad = append(bad, Invalid{Field: field, Reason: e.Reason})
		}
	}
	o := Order{Copies: r.Copies}
	t, known := Lookup(r.Type)
	switch {
	case r.Type == "":
		bad = append(bad, Invalid{"type", ReasonRequired})
	case !known:
		bad = append(bad, Invalid{"type", ReasonTypeUnknown})
	}
	o.Type = t
	if r.Subject != "" {
		if err := codicefiscale.Validate(r.Subject); err != nil {
			bad = append(bad, Invalid{"subject", ReasonFiscalCodeMalformed})
		} else {
			o.Subject = codicefiscale.Normalize(r.Subject)
		}
	}
	if o.Copies == 0 {
		o.Copies = 1
	}
	add("copies", ValidateCopies(o.Copies))

	sd := r.StampDuty
	switch {
	case !known:
		// The rules of the stamp duty depend on the type.
	case t.AlwaysExempt:
		if len(sd.Marcas) > 0 {
			bad = append(bad, Invalid{"stamp_duty.marcas", ReasonTypeAlwaysExempt})
		}
		if sd.Exemption != "" {
			bad = append(bad, Invalid{"stamp_duty.exemption", ReasonTypeAlwaysExempt})
		}
	case len(sd.Marcas) > 0 && sd.Exemption != "":
		bad = append(bad, Invalid{"stamp_duty", ReasonStampDutyAmbiguous})
	case sd.Exemption != "":
		e, err := ValidateExemption(t, sd.Exemption)
		add("stamp_duty.exemption", err)
		if err == nil {
			o.Exemption = &e
		}
	case len(sd.Marcas) == 0:
		bad = append(bad, Invalid{"stamp_duty", ReasonStampDutyRequired})
	default:
		if len(sd.Marcas) != o.Copies {
			bad = append(bad, Invalid{"stamp_duty.marcas", ReasonMarcaCount})
		}
		seen := map[string]bool{}
		for i, m := range sd.Marcas {
			at := fmt.Sprintf("stamp_duty.marcas[%d]", i)
			idErr := ValidateMarcaID(m.ID)
			add(at+".id", idErr)
			if idErr == nil && seen[m.ID] {
				bad = append(bad, Invalid{at + ".id", ReasonMarcaDuplicate})
			}
			seen[m.ID] = true
			d, err := ValidateMarcaDate(m.Date, today)
			add(at+".date", err)
			o.Marcas = append(o.Marcas, Marca{ID: m.ID, Date: d})
		}
	}
	if len(bad) > 0 {
		return Order{}, bad
	}
	return o, nil
}
