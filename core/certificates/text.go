package certificates

import "github.com/sportello/sportello/core"

// ValidUntil is the last day a certificate of type t issued on issued is
// valid: six months on (DPR 445/2000 art. 41), or nil for unlimited
// validity.
func (t Type) ValidUntil(issued core.Date) *core.Date {
	if t.Unlimited {
		return nil
	}
	d := core.DateOf(issued.AddDate(0, ValidityMonths, 0))
	return &d
}

// RelationshipIT is a relationship to the head of the registry family as a
// certificate words it, for a person of sex s.
func RelationshipIT(r core.Relationship, s core.Sex) string {
	female := s == core.Female
	switch r {
	case core.Head:
		return pick(female, "intestataria della scheda", "intestatario della scheda")
	case core.Spouse:
		return "coniuge"
	case core.CivilPartner:
		return "unito/a civilmente"
	case core.Child:
		return pick(female, "figlia", "figlio")
	case core.Parent:
		return pick(female, "madre", "padre")
	case core.Sibling:
		return pick(female, "sorella", "fratello")
	case core.Grandchild:
		return "nipote"
	case core.Cohabitant:
		return "convivente"
	}
	return string(r)
}

// MaritalStatusIT is a marital status as a certificate words it, for a
// person of sex s.
func MaritalStatusIT(m core.MaritalStatus, s core.Sex) string {
	female := s == core.Female
	switch m {
	case core.Single:
		return pick(female, "nubile", "celibe")
	case core.Married:
		return pick(female, "coniugata", "coniugato")
	case core.Widowed:
		return pick(female, "vedova", "vedovo")
	case core.Divorced:
		return pick(female, "divorziata", "divorziato")
	case core.CivilUnion:
		return pick(female, "unita civilmente", "unito civilmente")
	}
	return string(m)
}

func pick(female bool, f, m string) string {
	if female {
		return f
	}
	return m
}
