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
// Dataset. Only identity-card dates, TARI due and payment dates, the
// dossier's records (messages, payments, fines: dates, and which of them
// exist) and the appointments' closures and bookings depend on it, so that
// the demo always shows documents about to expire, instalments due soon, a
// fine just notified, recent messages and the offices' next weeks booked;
// everything else is fixed.
package demo

import (
	_ "embed"
	"fmt"
	"math/rand/v2"
	"slices"
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

// Version is the version of the demo seed that Generate writes. Version 1
// was the registry: families 1 to 27 with their identity cards, vehicles and
// TARI. Version 2 added the Brivio family (familiesV2) and the records of
// the citizen's dossier: messages, payments and traffic fines. Version 3
// added appointments: the bookable services, the offices offering them,
// closures, the re-confirmation window and other citizens' bookings. A
// database seeded by an older version is brought up to date by Upgrade.
const Version = 3

// Dataset is everything the demo server serves.
type Dataset struct {
	// Version is the version of the demo seed the dataset is (Generate),
	// or holds (what a database read back holds, for Upgrade).
	Version int
	// Municipality has no Services, LogoURL or Population: the server
	// fills them.
	Municipality core.Municipality
	Services     []ServiceInfo
	Families     []core.Family
	Citizens     []core.Citizen
	Vehicles     []core.Vehicle
	TARI         []core.TARIPosition
	Logo         []byte // the coat of arms, SVG

	// The dossier's records (version 2).
	Messages []Message
	Payments []Payment
	Fines    []core.Fine // for the plates of Vehicles; Status and VehicleType filled

	// Appointments (version 3).
	AppointmentServices []AppointmentService
	OfficeServices      []OfficeService
	Closures            []Closure
	ReconfirmDays       int // 0: no re-confirmation
	// Appointments are bookings: Applicant.FiscalCode is the citizen's,
	// ServiceID and OfficeID name the service and office (Service, Office
	// and Address are the server's to fill).
	Appointments []core.Appointment
}

// Message is a message of the municipality to one citizen.
type Message struct {
	FiscalCode string // the addressee
	core.Message
	ReadAt time.Time // zero while unread; Read says the same
}

// Payment is a payment made through pagoPA, with its payer.
type Payment struct {
	Payer string // fiscal code
	core.Payment
}

// Add appends more's rows to d and takes its version: what Upgrade returns
// added to what the database held is what Generate gives.
func (d *Dataset) Add(more Dataset) {
	d.Version = more.Version
	d.Families = append(d.Families, more.Families...)
	d.Citizens = append(d.Citizens, more.Citizens...)
	d.Vehicles = append(d.Vehicles, more.Vehicles...)
	d.TARI = append(d.TARI, more.TARI...)
	d.Messages = append(d.Messages, more.Messages...)
	d.Payments = append(d.Payments, more.Payments...)
	d.Fines = append(d.Fines, more.Fines...)
	d.AppointmentServices = append(d.AppointmentServices, more.AppointmentServices...)
	d.OfficeServices = append(d.OfficeServices, more.OfficeServices...)
	d.Closures = append(d.Closures, more.Closures...)
	if more.ReconfirmDays != 0 {
		d.ReconfirmDays = more.ReconfirmDays
	}
	d.Appointments = append(d.Appointments, more.Appointments...)
}

//go:embed logo.svg
var logo []byte

// seed makes the generated details (phone numbers, plates, ...) fixed.
const seed = 0x56616c646f726961 // "Valdoria"

// Generate returns the demo dataset as of now, at the current Version.
func Generate(now time.Time) Dataset { return GenerateVersion(now, Version) }

// GenerateVersion returns the dataset that version (1 or more) of the demo
// seed wrote as of now: version 1 is what databases seeded before the
// dossier hold, version 2 before appointments, for tests of Upgrade.
func GenerateVersion(now time.Time, version int) Dataset {
	ds := registryV1(now)
	if version >= 2 {
		add, err := Upgrade(now, ds)
		if err != nil {
			panic("demo: " + err.Error())
		}
		ds.Add(onlyVersion(add, min(version, Version)))
	}
	return ds
}

// onlyVersion keeps of an upgrade what version v added.
func onlyVersion(add Dataset, v int) Dataset {
	if v < 3 {
		add.AppointmentServices, add.OfficeServices, add.Closures, add.ReconfirmDays, add.Appointments = nil, nil, nil, 0, nil
	}
	add.Version = v
	return add
}

// Upgrade returns the rows that a database seeded by an older version of
// the demo lacks, as of now. have is what the database holds: its Version,
// families, citizens with their identity cards, vehicles and TARI positions
// (the order does not matter). The answer holds only new rows, with Version
// set; with nothing to add it holds none. Generate is version 1 plus what
// Upgrade adds to it, so an upgraded database has what a fresh one gets.
func Upgrade(now time.Time, have Dataset) (Dataset, error) {
	add := Dataset{Version: have.Version}
	if have.Version < 1 {
		return add, fmt.Errorf("not a demo dataset (version %d)", have.Version)
	}
	whole := have // the registry with what this upgrade adds
	if have.Version < 2 {
		fams, err := familiesOfV2(now, have)
		if err != nil {
			return add, err
		}
		whole.Families = slices.Concat(have.Families, fams.Families)
		whole.Citizens = slices.Concat(have.Citizens, fams.Citizens)
		whole.Vehicles = slices.Concat(have.Vehicles, fams.Vehicles)
		whole.TARI = slices.Concat(have.TARI, fams.TARI)
		add.Add(fams)
		add.Messages, add.Payments, add.Fines = dossierRecords(now, whole)
		add.Version = 2
	}
	if have.Version < 3 {
		add.Add(appointmentsOf(now, whole))
	}
	return add, nil
}

// registryV1 is version 1 of the demo seed: the municipality and families 1
// to 27. It must not change, or the databases it seeded would no longer be
// what Upgrade expects.
func registryV1(now time.Time) Dataset {
	fixed := rand.New(rand.NewPCG(seed, 1))
	timed := rand.New(rand.NewPCG(seed, 2))
	today := core.DateOf(now)

	ds := Dataset{
		Version:      1,
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
	marry(ds.Citizens, families)

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

// marry records the unions of specs on citizens, which hold the members of
// specs in order.
func marry(citizens []core.Citizen, specs []familySpec) {
	start := 0
	for _, fs := range specs {
		members := citizens[start : start+len(fs.members)]
		if u := fs.union; u != nil {
			a, b := &members[0], &members[1]
			a.Marriage = &core.Marriage{SpouseFiscalCode: b.FiscalCode, Date: u.date, Place: u.place, CivilUnion: u.civil}
			b.Marriage = &core.Marriage{SpouseFiscalCode: a.FiscalCode, Date: u.date, Place: u.place, CivilUnion: u.civil}
		}
		start += len(fs.members)
	}
}

// familiesOfV2 generates familiesV2, with their identity cards, vehicles and
// TARI, next to the registry have. Their random streams are their own, and
// the identifiers already taken are read from have, so the result is the
// same for a fresh dataset and for a database seeded by version 1.
func familiesOfV2(now time.Time, have Dataset) (Dataset, error) {
	fixed := rand.New(rand.NewPCG(seed, 3))
	timed := rand.New(rand.NewPCG(seed, 4))
	today := core.DateOf(now)
	var out Dataset

	used := usedCodes{}
	byName := map[string]string{}
	for _, c := range have.Citizens {
		for _, s := range []string{c.FiscalCode, c.Phone, c.Email} {
			if s != "" {
				used[s] = true
			}
		}
		if c.IDCard != nil {
			used[c.IDCard.Number] = true
		}
	}
	taken := map[string]bool{}
	for _, f := range have.Families {
		taken[f.ID] = true
	}
	plates := map[string]bool{}
	for _, v := range have.Vehicles {
		plates[v.Plate] = true
	}

	heads := make([]string, len(familiesV2))
	for i, fs := range familiesV2 {
		fam := core.Family{
			ID: familyID(len(families) + i),
			Address: core.Address{
				Street: fs.street, Number: fs.number,
				PostalCode: PostalCode, Town: Town, Province: Province,
			},
			ResidentSince: fs.since,
		}
		if taken[fam.ID] {
			return out, fmt.Errorf("family %s exists already", fam.ID)
		}
		out.Families = append(out.Families, fam)
		for _, p := range fs.members {
			if cf, err := codicefiscale.Compute(p.surname, p.name, p.sex, p.born, p.place.Belfiore); err != nil || used[cf] {
				return out, fmt.Errorf("%s %s: codice fiscale %s taken or wrong (%v)", p.name, p.surname, cf, err)
			}
			c := citizen(p, fam.ID, fixed, used)
			if p.rel == core.Head {
				heads[i] = c.FiscalCode
			}
			byName[c.Name+" "+c.Surname] = c.FiscalCode
			out.Citizens = append(out.Citizens, c)
		}
	}
	marry(out.Citizens, familiesV2)
	for i := range out.Citizens {
		c := &out.Citizens[i]
		c.IDCard = idCard(c, today, fixed, timed, used)
	}
	for _, v := range vehiclesV2 {
		owner, ok := byName[v.owner]
		if !ok {
			panic("demo: unknown vehicle owner " + v.owner)
		}
		out.Vehicles = append(out.Vehicles, core.Vehicle{
			Plate: newPlate(v.kind, v.era, fixed, plates), Type: v.kind, Make: v.make, Model: v.model,
			OwnerFiscalCode: owner,
		})
	}
	sqm := make([]int, len(familiesV2))
	for i, fs := range familiesV2 {
		sqm[i] = 45 + 12*len(fs.members) + fixed.IntN(30)
	}
	for _, year := range []int{today.Year() - 1, today.Year()} {
		for i, fs := range familiesV2 {
			fi := len(families) + i
			out.TARI = append(out.TARI, tariPosition(fi, year, heads[i], out.Families[i].Address, sqm[i], len(fs.members), today, timed))
		}
	}
	return out, nil
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
