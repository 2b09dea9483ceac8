// Package demo generates the data of the reference server's demonstration
// municipality, the Comune di Valdoria: a fictional but plausible small town
// in the province of Milano (Lombardia), with its town hall, offices,
// services, families, citizens, vehicles and waste-tax (TARI) positions.
//
// Valdoria does not exist. Its ISTAT code, 015999, and its Belfiore
// (cadastral) code, M999, are deliberately codes that no real comune uses,
// and every web address and e-mail is under the reserved .example top-level
// domain, so nothing in the demo can be mistaken for, or reach, a real
// person or office. The people are hand-written in this package, as no
// library generates Italian registry data; their codici fiscali are computed
// with package codicefiscale and the pagoPA notice numbers with package
// pagopa. The coat of arms, logo.svg, is hand-drawn too.
//
// Generate is deterministic: the same instant always gives the same
// Dataset. Only identity-card dates and TARI due and payment dates depend on
// it, so that the demo always shows documents about to expire and
// instalments due soon; everything else is fixed.
package demo

import (
	_ "embed"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/codicefiscale"
)

// The demo municipality's identity.
const (
	Name       = "Comune di Valdoria"
	Town       = "Valdoria"
	ISTAT      = "015999" // province of Milano (015), a number no comune has
	Belfiore   = "M999"   // unused by any real comune
	Province   = "MI"
	Region     = "Lombardia"
	PostalCode = "20099"
	// FiscalCode is the comune's invented 11-digit fiscal code, the pagoPA
	// creditor; its last digit is a valid check digit.
	FiscalCode = "80099990154"
	// SegregationCode is the pagoPA segregation code of the TARI notices.
	SegregationCode = "47"
)

// ServiceInfo describes a service in both languages the app speaks; the
// server picks one into a core.Service.
type ServiceInfo struct {
	ID, NameIT, NameEN, DescriptionIT, DescriptionEN string
	Online                                           bool
}

// Dataset is everything the demo server serves.
type Dataset struct {
	// Municipality has no Services, LogoURL or Population: the server
	// fills them.
	Municipality core.Municipality
	Services     []ServiceInfo
	Families     []core.Family
	Citizens     []core.Citizen
	Vehicles     []core.Vehicle
	TARI         []core.TARIPosition
	Logo         []byte // the coat of arms, SVG
}

//go:embed logo.svg
var logo []byte

// seed makes the generated details (phone numbers, plates, ...) fixed.
const seed = 0x56616c646f726961 // "Valdoria"

// Generate returns the demo dataset as of now.
func Generate(now time.Time) Dataset {
	fixed := rand.New(rand.NewPCG(seed, 1))
	timed := rand.New(rand.NewPCG(seed, 2))
	today := core.DateOf(now)

	ds := Dataset{
		Municipality: municipality(),
		Services:     services(),
		Logo:         append([]byte(nil), logo...),
	}

	byName := map[string]string{} // "Name Surname" to fiscal code
	heads := make([]string, len(families))
	used := usedCodes{}
	for i, fs := range families {
		fam := core.Family{
			ID: familyID(i),
			Address: core.Address{
				Street: fs.street, Number: fs.number,
				PostalCode: PostalCode, Town: Town, Province: Province,
			},
			ResidentSince: fs.since,
		}
		ds.Families = append(ds.Families, fam)
		for _, p := range fs.members {
			c := citizen(p, fam.ID, fixed, used)
			if p.rel == core.Head {
				heads[i] = c.FiscalCode
			}
			byName[c.Name+" "+c.Surname] = c.FiscalCode
			ds.Citizens = append(ds.Citizens, c)
		}
	}
	start := 0
	for _, fs := range families {
		members := ds.Citizens[start : start+len(fs.members)]
		if u := fs.union; u != nil {
			a, b := &members[0], &members[1]
			a.Marriage = &core.Marriage{SpouseFiscalCode: b.FiscalCode, Date: u.date, Place: u.place, CivilUnion: u.civil}
			b.Marriage = &core.Marriage{SpouseFiscalCode: a.FiscalCode, Date: u.date, Place: u.place, CivilUnion: u.civil}
		}
		start += len(fs.members)
	}

	for i := range ds.Citizens {
		c := &ds.Citizens[i]
		c.IDCard = idCard(c, today, fixed, timed, used)
	}

	plates := map[string]bool{}
	for _, v := range vehicles {
		owner, ok := byName[v.owner]
		if !ok {
			panic("demo: unknown vehicle owner " + v.owner)
		}
		plate := newPlate(v.kind, v.era, fixed, plates)
		ds.Vehicles = append(ds.Vehicles, core.Vehicle{
			Plate: plate, Type: v.kind, Make: v.make, Model: v.model,
			OwnerFiscalCode: owner,
		})
	}

	sqm := make([]int, len(families))
	for i, fs := range families {
		sqm[i] = 45 + 12*len(fs.members) + fixed.IntN(45)
	}
	for _, year := range []int{today.Year() - 1, today.Year()} {
		for i, fs := range families {
			ds.TARI = append(ds.TARI, tariPosition(i, year, heads[i], ds.Families[i].Address, sqm[i], len(fs.members), today, timed))
		}
	}
	return ds
}

func familyID(i int) string { return fmt.Sprintf("F%04d", i+1) }

// usedCodes keeps generated identifiers unique.
type usedCodes map[string]bool

func (u usedCodes) unique(gen func() string) string {
	for {
		s := gen()
		if !u[s] {
			u[s] = true
			return s
		}
	}
}

func citizen(p person, familyID string, r *rand.Rand, used usedCodes) core.Citizen {
	cf, err := codicefiscale.Compute(p.surname, p.name, p.sex, p.born, p.place.Belfiore)
	if err != nil {
		panic("demo: " + err.Error())
	}
	if used[cf] {
		panic("demo: duplicate codice fiscale " + cf + "; change a name")
	}
	used[cf] = true
	citizenship := p.citizenship
	if citizenship == "" {
		citizenship = "italiana"
	}
	c := core.Citizen{
		FiscalCode:    cf,
		Surname:       p.surname,
		Name:          p.name,
		Sex:           p.sex,
		BirthDate:     p.born,
		BirthPlace:    p.place,
		Citizenship:   citizenship,
		FamilyID:      familyID,
		Relationship:  p.rel,
		MaritalStatus: p.status,
	}
	// Contacts for everyone born before 2010, the adults and older
	// teenagers of the present day; fixed, so they do not depend on now.
	phone := used.unique(func() string {
		prefixes := [...]string{"320", "328", "329", "333", "338", "339", "340", "342", "347", "348", "349", "351", "366", "380", "389", "391", "393"}
		return fmt.Sprintf("+39 %s %03d %04d", prefixes[r.IntN(len(prefixes))], r.IntN(1000), r.IntN(10000))
	})
	if p.born.Before(contactsBornBefore.Time) {
		c.Phone = phone
		local := ascii(p.name) + "." + ascii(p.surname)
		c.Email = local + "@mail.example"
		for n := 2; used[c.Email]; n++ {
			c.Email = fmt.Sprintf("%s%d@mail.example", local, n)
		}
		used[c.Email] = true
	}
	return c
}

var contactsBornBefore = core.NewDate(2010, time.January, 1)

// ascii lower-cases s and keeps only the letters a-z, folding the accents
// found in the demo's names.
func ascii(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'à', 'á', 'â', 'ă':
			r = 'a'
		case 'è', 'é', 'ê', 'ë':
			r = 'e'
		case 'ì', 'í', 'î':
			r = 'i'
		case 'ò', 'ó', 'ô':
			r = 'o'
		case 'ù', 'ú':
			r = 'u'
		case 'ș', 'ş':
			r = 's'
		case 'ț', 'ţ':
			r = 't'
		case 'ç':
			r = 'c'
		}
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// idCard returns the citizen's electronic identity card as of today, or nil
// for a child under three. The card number is fixed; the dates are placed
// relative to today: the people in idCardExpiry have theirs expire at the
// given distance, everyone else's expires more than 200 days from today.
// Validity follows the CIE rules: 10 years for adults, 5 for children
// aged 3 to 17 at issue.
func idCard(c *core.Citizen, today core.Date, fixed, timed *rand.Rand, used usedCodes) *core.IDCard {
	number := used.unique(func() string {
		return fmt.Sprintf("CA%05d%c%c", fixed.IntN(100000), plateLetters[fixed.IntN(len(plateLetters))], plateLetters[fixed.IntN(len(plateLetters))])
	})
	u := timed.Float64() // always drawn, so every card gets the same draws whatever today is
	key := c.Name + " " + c.Surname
	if days, ok := idCardExpiry[key]; ok {
		issue := addYears(addDays(today, days), -10)
		// Recomputed from the issue date: 29 February has no twin ten years on.
		return &core.IDCard{Number: number, IssueDate: issue, Expiry: addYears(issue, 10)}
	}
	latest := addDays(today, -30)
	if addYears(addDays(c.BirthDate, 60), 3).After(latest.Time) {
		return nil // a toddler
	}
	years := 10
	earliest := addYears(c.BirthDate, 18)
	if earliest.After(latest.Time) { // a minor when the card was issued
		years = 5
		earliest = addYears(c.BirthDate, 3)
	}
	if e := addDays(addYears(today, -years), 200); e.After(earliest.Time) {
		earliest = e
	}
	span := int(latest.Sub(earliest.Time).Hours() / 24)
	issue := addDays(earliest, int(u*float64(span+1)))
	return &core.IDCard{Number: number, IssueDate: issue, Expiry: addYears(issue, years)}
}

// plateLetters are the letters of Italian plates: no I, O, Q or U.
const plateLetters = "ABCDEFGHJKLMNPRSTVWXYZ"

func newPlate(kind core.VehicleType, era byte, r *rand.Rand, used map[string]bool) string {
	letter := func() byte { return plateLetters[r.IntN(len(plateLetters))] }
	for {
		var p string
		if kind == core.Motorcycle {
			p = fmt.Sprintf("%c%c%05d", era, letter(), r.IntN(100000))
		} else {
			p = fmt.Sprintf("%c%c%03d%c%c", era, letter(), r.IntN(1000), letter(), letter())
		}
		if !used[p] {
			used[p] = true
			return p
		}
	}
}

func addDays(d core.Date, n int) core.Date  { return core.DateOf(d.AddDate(0, 0, n)) }
func addYears(d core.Date, n int) core.Date { return core.DateOf(d.AddDate(n, 0, 0)) }
