package dossier

import (
	"sort"
	"time"

	"github.com/sportello/sportello/core"
)

// PromptKind says what a prompt asks the citizen to do.
type PromptKind string

const (
	// RenewIDCard: the identity card expires within IDCardNotice, or has.
	RenewIDCard PromptKind = "renew_id_card"
	// PayTARI: a waste-tax instalment is due within TARINotice, or overdue.
	PayTARI PromptKind = "pay_tari"
)

// How early the prompts appear.
const (
	IDCardNotice = 180 * 24 * time.Hour
	TARINotice   = 30 * 24 * time.Hour
)

// Prompt is a deadline the dossier brings to the citizen's attention.
type Prompt struct {
	Kind        PromptKind
	Due         core.Date // expiry or due date
	Overdue     bool
	AmountCents int64  // for payments
	Reference   string // card number, or notice number
	Year        int    // TARI year
}

// Prompts finds the deadlines in d as of today, the most urgent first.
func Prompts(d core.Dossier, today core.Date) []Prompt {
	var out []Prompt
	if c := d.Person.IDCard; c != nil && !c.Expiry.IsZero() {
		if c.Expiry.Sub(today.Time) <= IDCardNotice {
			out = append(out, Prompt{Kind: RenewIDCard, Due: c.Expiry, Overdue: c.Expiry.Before(today.Time), Reference: c.Number})
		}
	}
	for _, p := range d.TARI {
		for _, in := range p.Instalments {
			if in.PaidOn != nil || in.DueDate.IsZero() {
				continue
			}
			if in.DueDate.Sub(today.Time) <= TARINotice {
				out = append(out, Prompt{Kind: PayTARI, Due: in.DueDate, Overdue: in.DueDate.Before(today.Time),
					AmountCents: in.AmountCents, Reference: in.NoticeNumber, Year: p.Year})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Due.Before(out[j].Due.Time) })
	return out
}
