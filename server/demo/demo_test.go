package demo

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/codicefiscale"
	"github.com/sportello/sportello/core/pagopa"
	"github.com/sportello/sportello/core/plate"
)

// testNow is a fixed instant for the tests, in the municipality's time zone.
var testNow = time.Date(2026, time.November, 22, 10, 30, 0, 0, time.FixedZone("CET", 3600))

var testToday = core.DateOf(testNow)

func isAdult(c core.Citizen, on core.Date) bool {
	return !c.BirthDate.AddDate(18, 0, 0).After(on.Time)
}

func TestDeterministic(t *testing.T) {
	a, b := Generate(testNow), Generate(testNow)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two datasets generated for the same instant differ")
	}
}

// TestOnlyDatesDependOnNow checks that another instant changes nothing but
// identity-card dates, TARI dates and years, and the dossier's records.
func TestOnlyDatesDependOnNow(t *testing.T) {
	strip := func(ds Dataset) Dataset {
		for i := range ds.Citizens {
			ds.Citizens[i].IDCard = nil
		}
		ds.TARI, ds.Messages, ds.Payments, ds.Fines = nil, nil, nil, nil
		ds.Closures, ds.Appointments = nil, nil
		return ds
	}
	a := Generate(testNow)
	b := Generate(testNow.AddDate(0, 5, 17))
	if !reflect.DeepEqual(strip(a), strip(b)) {
		t.Error("data other than identity cards and TARI depend on now")
	}
	a, b = Generate(testNow), Generate(testNow.AddDate(0, 1, 3))
	for i := range a.Citizens {
		ca, cb := a.Citizens[i].IDCard, b.Citizens[i].IDCard
		if ca != nil && cb != nil && ca.Number != cb.Number {
			t.Errorf("%s: card number changed with now", a.Citizens[i].FiscalCode)
		}
	}
	for i := range a.TARI {
		pa, pb := a.TARI[i], b.TARI[i]
		if pa.AmountCents != pb.AmountCents || pa.SquareMetres != pb.SquareMetres {
			t.Errorf("%s: amount changed with now", pa.ID)
		}
	}
}

func TestMunicipality(t *testing.T) {
	m := Generate(testNow).Municipality
	if m.Name != "Comune di Valdoria" || m.ISTAT != "015999" || m.Belfiore != "M999" ||
		m.Province != "MI" || m.Region != "Lombardia" || !m.Demo {
		t.Errorf("identity: %+v", m)
	}
	if err := pagopa.ValidateCreditorFiscalCode(m.FiscalCode); err != nil {
		t.Errorf("fiscal code %s: %v", m.FiscalCode, err)
	}
	if m.Services != nil || m.LogoURL != "" || m.Population != 0 {
		t.Error("Services, LogoURL and Population are the server's to fill")
	}
	c := m.Contacts
	for _, s := range []string{c.Email, c.PEC, c.Website} {
		if !strings.HasSuffix(strings.TrimSuffix(s, "/"), "valdoria.example") {
			t.Errorf("contact %q is not under valdoria.example", s)
		}
	}
	if c.Address == "" || c.Phone == "" {
		t.Errorf("contacts: %+v", c)
	}
	want := map[string]bool{"Anagrafe e Stato Civile": false, "Ufficio Tributi": false, "Polizia Locale": false, "Ufficio Relazioni con il Pubblico": false}
	afternoon := false
	hhmm := regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)
	for _, o := range m.Offices {
		if _, ok := want[o.Name]; ok {
			want[o.Name] = true
		}
		if o.ID == "" || o.Address == "" || o.Phone == "" || !strings.HasSuffix(o.Email, "valdoria.example") || len(o.Hours) == 0 {
			t.Errorf("office %+v", o)
		}
		for _, h := range o.Hours {
			if h.Weekday < 1 || h.Weekday > 7 || !hhmm.MatchString(h.Opens) || !hhmm.MatchString(h.Closes) || h.Opens >= h.Closes {
				t.Errorf("%s: hours %+v", o.ID, h)
			}
			if h.Opens >= "14:00" {
				afternoon = true
			}
		}
	}
	for name, found := range want {
		if !found {
			t.Errorf("missing office %s", name)
		}
	}
	if !afternoon {
		t.Error("no office opens in the afternoon")
	}
}

func TestServices(t *testing.T) {
	s := Generate(testNow).Services
	ids := []string{"dossier", "certificates", "fines", "tari", "appointments", "id_card", "change_of_residence"}
	if len(s) != len(ids) {
		t.Fatalf("%d services", len(s))
	}
	for i, id := range ids {
		if s[i].ID != id {
			t.Errorf("service %d is %q, want %q", i, s[i].ID, id)
		}
		if s[i].Online != (i < 5) {
			t.Errorf("%s: online %v", id, s[i].Online)
		}
		if s[i].NameIT == "" || s[i].NameEN == "" || !strings.HasSuffix(s[i].DescriptionIT, ".") || !strings.HasSuffix(s[i].DescriptionEN, ".") {
			t.Errorf("%s: %+v", id, s[i])
		}
	}
}

func TestPopulation(t *testing.T) {
	ds := Generate(testNow)
	if len(ds.Families) < 24 || len(ds.Citizens) < 66 {
		t.Fatalf("%d families, %d citizens", len(ds.Families), len(ds.Citizens))
	}
	families := map[string]core.Family{}
	for i, f := range ds.Families {
		if want := familyID(i); f.ID != want {
			t.Errorf("family %d has ID %s", i, f.ID)
		}
		a := f.Address
		if a.Street == "" || a.Number == "" || a.PostalCode != "20099" || a.Town != "Valdoria" || a.Province != "MI" {
			t.Errorf("%s: address %+v", f.ID, a)
		}
		if f.ResidentSince.IsZero() || f.ResidentSince.After(testNow) {
			t.Errorf("%s: resident since %v", f.ID, f.ResidentSince)
		}
		families[f.ID] = f
	}

	byCF := map[string]core.Citizen{}
	heads := map[string]int{}
	emails, phones := map[string]bool{}, map[string]bool{}
	email := regexp.MustCompile(`^[a-z]+\.[a-z]+[0-9]*@mail\.example$`)
	phone := regexp.MustCompile(`^\+39 3\d\d \d{3} \d{4}$`)
	minors, adultChildren := 0, 0
	rels := map[core.Relationship]int{}
	statuses := map[core.MaritalStatus]int{}
	for _, c := range ds.Citizens {
		if err := codicefiscale.Validate(c.FiscalCode); err != nil {
			t.Errorf("%s %s: %v", c.Name, c.Surname, err)
		}
		for _, p := range []int{6, 7, 9, 10, 12, 13, 14} {
			if c.FiscalCode[p] < '0' || c.FiscalCode[p] > '9' {
				t.Errorf("%s: omocodic", c.FiscalCode)
			}
		}
		if want, _ := codicefiscale.Compute(c.Surname, c.Name, c.Sex, c.BirthDate, c.BirthPlace.Belfiore); want != c.FiscalCode {
			t.Errorf("%s: fiscal code %s, computed %s", c.Name, c.FiscalCode, want)
		}
		if _, dup := byCF[c.FiscalCode]; dup {
			t.Errorf("duplicate fiscal code %s", c.FiscalCode)
		}
		byCF[c.FiscalCode] = c
		if _, ok := families[c.FamilyID]; !ok {
			t.Errorf("%s: unknown family %s", c.FiscalCode, c.FamilyID)
		}
		if c.Relationship == core.Head {
			heads[c.FamilyID]++
		}
		rels[c.Relationship]++
		statuses[c.MaritalStatus]++
		if c.Citizenship == "" || c.BirthPlace.Name == "" || c.BirthPlace.Province == "" {
			t.Errorf("%s: birth place or citizenship missing", c.FiscalCode)
		}
		if (c.BirthPlace.Province == "EE") != strings.HasPrefix(c.BirthPlace.Belfiore, "Z") {
			t.Errorf("%s: foreign place %+v", c.FiscalCode, c.BirthPlace)
		}
		if isAdult(c, testToday) {
			if !email.MatchString(c.Email) || !phone.MatchString(c.Phone) {
				t.Errorf("%s: adult without good contacts: %q %q", c.FiscalCode, c.Email, c.Phone)
			}
			if c.Relationship == core.Child {
				adultChildren++
			}
		} else {
			minors++
			if c.Relationship != core.Child && c.Relationship != core.Grandchild {
				t.Errorf("%s: a minor is %s", c.FiscalCode, c.Relationship)
			}
		}
		if c.Email != "" {
			if emails[c.Email] {
				t.Errorf("duplicate email %s", c.Email)
			}
			emails[c.Email] = true
		}
		if c.Phone != "" {
			if phones[c.Phone] {
				t.Errorf("duplicate phone %s", c.Phone)
			}
			phones[c.Phone] = true
		}
		if c.BirthDate.After(testNow) || c.BirthDate.Year() < 1920 {
			t.Errorf("%s: born %v", c.FiscalCode, c.BirthDate)
		}
	}
	for _, f := range ds.Families {
		if heads[f.ID] != 1 {
			t.Errorf("%s has %d heads", f.ID, heads[f.ID])
		}
	}
	if minors < 5 || adultChildren < 5 {
		t.Errorf("%d minors, %d adult children", minors, adultChildren)
	}
	for _, r := range []core.Relationship{core.Spouse, core.CivilPartner, core.Child, core.Parent, core.Sibling, core.Grandchild, core.Cohabitant} {
		if rels[r] == 0 {
			t.Errorf("no %s", r)
		}
	}
	for _, s := range []core.MaritalStatus{core.Single, core.Married, core.Widowed, core.Divorced, core.CivilUnion} {
		if statuses[s] == 0 {
			t.Errorf("nobody %s", s)
		}
	}

	// Births: abroad, in Valdoria and in the listed real comuni.
	places := map[string]bool{}
	foreigners := 0
	for _, c := range ds.Citizens {
		places[c.BirthPlace.Belfiore] = true
		if c.Citizenship != "italiana" {
			foreigners++
		}
	}
	for _, b := range []string{"M999", "F205", "H501", "L219", "F839", "A944", "D612", "G273", "A662", "F704", "A794", "B157", "C933", "G388", "Z110", "Z129", "Z330"} {
		if !places[b] {
			t.Errorf("nobody born in %s", b)
		}
	}
	if foreigners == 0 {
		t.Error("no foreign citizens")
	}
}

func TestMarriages(t *testing.T) {
	ds := Generate(testNow)
	byCF := map[string]core.Citizen{}
	for _, c := range ds.Citizens {
		byCF[c.FiscalCode] = c
	}
	unions := 0
	for _, c := range ds.Citizens {
		switch c.MaritalStatus {
		case core.Married, core.CivilUnion:
			if c.Marriage == nil {
				t.Errorf("%s is %s without a marriage", c.FiscalCode, c.MaritalStatus)
				continue
			}
		default:
			if c.Marriage != nil {
				t.Errorf("%s is %s with a marriage", c.FiscalCode, c.MaritalStatus)
			}
			continue
		}
		m := c.Marriage
		if m.CivilUnion != (c.MaritalStatus == core.CivilUnion) {
			t.Errorf("%s: civil union flag %v", c.FiscalCode, m.CivilUnion)
		}
		s, ok := byCF[m.SpouseFiscalCode]
		if !ok {
			t.Errorf("%s: spouse %s is not a resident", c.FiscalCode, m.SpouseFiscalCode)
			continue
		}
		if s.Marriage == nil || s.Marriage.SpouseFiscalCode != c.FiscalCode || s.Marriage.Date != m.Date ||
			s.Marriage.Place != m.Place || s.Marriage.CivilUnion != m.CivilUnion || s.MaritalStatus != c.MaritalStatus {
			t.Errorf("%s and %s: marriages differ", c.FiscalCode, s.FiscalCode)
		}
		if s.FamilyID != c.FamilyID {
			t.Errorf("%s and %s live apart", c.FiscalCode, s.FiscalCode)
		}
		if c.Relationship == core.Head {
			want := core.Spouse
			if m.CivilUnion {
				want = core.CivilPartner
			}
			if s.Relationship != want {
				t.Errorf("%s: spouse is %s", c.FiscalCode, s.Relationship)
			}
		} else if c.Relationship != core.Spouse && c.Relationship != core.CivilPartner {
			t.Errorf("%s: married as %s", c.FiscalCode, c.Relationship)
		}
		if m.Date.Before(c.BirthDate.AddDate(18, 0, 0)) || m.Date.After(testNow) {
			t.Errorf("%s: married on %v", c.FiscalCode, m.Date)
		}
		if m.Place.Belfiore == "" {
			t.Errorf("%s: marriage place %+v", c.FiscalCode, m.Place)
		}
		unions++
	}
	if unions < 20 {
		t.Errorf("%d married people", unions)
	}
}

func TestIDCards(t *testing.T) {
	ds := Generate(testNow)
	number := regexp.MustCompile(`^CA\d{5}[A-Z]{2}$`)
	numbers := map[string]bool{}
	expired, soon := 0, 0
	limit := testToday.AddDate(0, 0, 180)
	for _, c := range ds.Citizens {
		card := c.IDCard
		if card == nil {
			if isAdult(c, testToday) || !c.BirthDate.AddDate(3, 3, 0).After(testNow) {
				t.Errorf("%s has no identity card", c.FiscalCode)
			}
			continue
		}
		if !number.MatchString(card.Number) || numbers[card.Number] {
			t.Errorf("%s: card number %q", c.FiscalCode, card.Number)
		}
		numbers[card.Number] = true
		if card.IssueDate.After(testNow) || card.IssueDate.Before(c.BirthDate.Time) {
			t.Errorf("%s: issued %v", c.FiscalCode, card.IssueDate)
		}
		adultAtIssue := !c.BirthDate.AddDate(18, 0, 0).After(card.IssueDate.Time)
		years := 5
		if adultAtIssue {
			years = 10
		}
		if card.Expiry != core.DateOf(card.IssueDate.AddDate(years, 0, 0)) {
			t.Errorf("%s: issued %v (adult %v), expires %v", c.FiscalCode, card.IssueDate, adultAtIssue, card.Expiry)
		}
		switch {
		case card.Expiry.Before(testToday.Time):
			expired++
		case !card.Expiry.After(limit):
			soon++
		}
	}
	names := map[string]bool{}
	for _, c := range ds.Citizens {
		names[c.Name+" "+c.Surname] = true
	}
	for name := range idCardExpiry {
		if !names[name] {
			t.Errorf("idCardExpiry names %q, who does not live in Valdoria", name)
		}
	}
	if expired < 2 || soon < 5 {
		t.Errorf("%d expired cards, %d expiring within 180 days", expired, soon)
	}
}

func TestVehicles(t *testing.T) {
	ds := Generate(testNow)
	if len(ds.Vehicles) < 20 {
		t.Fatalf("%d vehicles", len(ds.Vehicles))
	}
	byCF := map[string]core.Citizen{}
	for _, c := range ds.Citizens {
		byCF[c.FiscalCode] = c
	}
	plates := map[string]bool{}
	kinds := map[core.VehicleType]int{}
	for _, v := range ds.Vehicles {
		if p, err := plate.Check(v.Plate, plate.Kind(v.Type)); err != nil || p != v.Plate {
			t.Errorf("%s plate %q: %v", v.Type, v.Plate, err)
		}
		kinds[v.Type]++
		if plates[v.Plate] {
			t.Errorf("duplicate plate %s", v.Plate)
		}
		plates[v.Plate] = true
		if v.Make == "" || v.Model == "" {
			t.Errorf("%s: %+v", v.Plate, v)
		}
		owner, ok := byCF[v.OwnerFiscalCode]
		if !ok || !isAdult(owner, testToday) {
			t.Errorf("%s: owner %s is not an adult resident", v.Plate, v.OwnerFiscalCode)
		}
	}
	if kinds[core.Car] == 0 || kinds[core.Motorcycle] == 0 {
		t.Errorf("vehicle types %v", kinds)
	}
}

func TestTARI(t *testing.T) {
	ds := Generate(testNow)
	year := testNow.Year()
	if len(ds.TARI) != 2*len(ds.Families) {
		t.Fatalf("%d TARI positions for %d families", len(ds.TARI), len(ds.Families))
	}
	heads := map[string]core.Citizen{}
	occupants := map[string]int{}
	for _, c := range ds.Citizens {
		occupants[c.FamilyID]++
		if c.Relationship == core.Head {
			heads[c.FiscalCode] = c
		}
	}
	type key struct {
		family string
		year   int
	}
	seen := map[key]bool{}
	notices := map[string]bool{}
	arrears, dueSoon := map[string]bool{}, 0
	for _, p := range ds.TARI {
		h, ok := heads[p.HolderFiscalCode]
		if !ok {
			t.Errorf("%s: holder %s is not a family head", p.ID, p.HolderFiscalCode)
			continue
		}
		k := key{h.FamilyID, p.Year}
		if seen[k] {
			t.Errorf("%s: two positions for %v", p.ID, k)
		}
		seen[k] = true
		if p.Year != year && p.Year != year-1 {
			t.Errorf("%s: year %d", p.ID, p.Year)
		}
		if p.Occupants != occupants[h.FamilyID] || p.SquareMetres < 40 || p.SquareMetres > 200 {
			t.Errorf("%s: %d occupants, %d m²", p.ID, p.Occupants, p.SquareMetres)
		}
		if p.AmountCents < 15000 || p.AmountCents > 45000 {
			t.Errorf("%s: amount %d cents", p.ID, p.AmountCents)
		}
		if n := len(p.Instalments); n != 3 && n != 4 {
			t.Errorf("%s: %d instalments", p.ID, n)
		}
		var sum int64
		for i, in := range p.Instalments {
			sum += in.AmountCents
			if in.Number != i+1 || in.DueDate.Year() != p.Year || (i > 0 && !in.DueDate.After(p.Instalments[i-1].DueDate.Time)) {
				t.Errorf("%s: instalment %+v", p.ID, in)
			}
			if err := pagopa.ValidateNoticeNumber(in.NoticeNumber); err != nil || in.NoticeNumber[:3] != "347" {
				t.Errorf("%s: notice %s: %v", p.ID, in.NoticeNumber, err)
			}
			if notices[in.NoticeNumber] {
				t.Errorf("duplicate notice number %s", in.NoticeNumber)
			}
			notices[in.NoticeNumber] = true
			if in.PaidOn != nil && (in.PaidOn.After(testNow) || in.PaidOn.Year() != p.Year) {
				t.Errorf("%s: paid on %v", p.ID, in.PaidOn)
			}
			pastDue := in.DueDate.Before(testToday.Time)
			switch {
			case p.Year < year && in.PaidOn == nil:
				t.Errorf("%s: last year's instalment %d unpaid", p.ID, in.Number)
			case p.Year == year && pastDue && in.PaidOn == nil:
				arrears[h.FamilyID] = true
			case p.Year == year && !pastDue && !in.DueDate.After(testToday.AddDate(0, 0, 30)) && in.PaidOn == nil:
				dueSoon++
			}
		}
		if sum != p.AmountCents {
			t.Errorf("%s: instalments add up to %d, not %d", p.ID, sum, p.AmountCents)
		}
	}
	if len(arrears) < 3 || len(arrears) > len(ds.Families)/2 {
		t.Errorf("%d families in arrears", len(arrears))
	}
	if dueSoon == 0 {
		t.Error("no instalment due within 30 days")
	}
}

func TestLogo(t *testing.T) {
	logo := Generate(testNow).Logo
	dec := xml.NewDecoder(bytes.NewReader(logo))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("logo.svg: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
				for _, a := range se.Attr {
					if a.Name.Local == "viewBox" && a.Value != "0 0 256 300" {
						t.Errorf("viewBox %q", a.Value)
					}
				}
			}
			if se.Name.Local == "text" {
				t.Error("the logo has text")
			}
		}
	}
	if root != "svg" {
		t.Errorf("root element %q", root)
	}
}

// TestManyDates generates the dataset for a date every few days over six
// years and checks what depends on now: the identity cards, the TARI
// payments and the dossier's records.
func TestManyDates(t *testing.T) {
	for now := time.Date(2025, time.January, 1, 12, 0, 0, 0, time.UTC); now.Year() < 2031; now = now.AddDate(0, 0, 5) {
		ds := Generate(now)
		today := core.DateOf(now)
		expired, soon := 0, 0
		for _, c := range ds.Citizens {
			card := c.IDCard
			if card == nil {
				continue
			}
			if card.IssueDate.After(now) || card.IssueDate.Before(c.BirthDate.AddDate(3, 0, 0)) {
				t.Fatalf("%v: %s's card issued on %v", today, c.FiscalCode, card.IssueDate)
			}
			years := 5
			if !c.BirthDate.AddDate(18, 0, 0).After(card.IssueDate.Time) {
				years = 10
			}
			if card.Expiry != core.DateOf(card.IssueDate.AddDate(years, 0, 0)) {
				t.Fatalf("%v: %s's card issued %v expires %v", today, c.FiscalCode, card.IssueDate, card.Expiry)
			}
			switch {
			case card.Expiry.Before(today.Time):
				expired++
			case !card.Expiry.After(today.AddDate(0, 0, 180)):
				soon++
			}
		}
		if expired < 2 || soon < 5 {
			t.Fatalf("%v: %d expired cards, %d expiring soon", today, expired, soon)
		}
		for _, p := range ds.TARI {
			for _, in := range p.Instalments {
				if in.PaidOn != nil && !in.PaidOn.Before(now) {
					t.Fatalf("%v: %s instalment %d paid on %v", today, p.ID, in.Number, in.PaidOn)
				}
			}
		}
		checkMessages(t, ds, now)
		for _, p := range ds.Payments {
			if !p.PaidAt.Before(now) {
				t.Fatalf("%v: payment %s at %v", today, p.ID, p.PaidAt)
			}
		}
		for _, f := range ds.Fines {
			if f.NotifiedOn.After(now) || (f.PaidOn != nil && !f.PaidOn.Before(now)) {
				t.Fatalf("%v: fine %s notified %v, paid %v", today, f.NoticeNumber, f.NotifiedOn, f.PaidOn)
			}
		}
		if len(ds.Fines) != len(fineSpecs) {
			t.Fatalf("%v: %d fines", today, len(ds.Fines))
		}
	}
}
