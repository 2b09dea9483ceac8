package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/store"
)

// dossierPaths are the GET endpoints of the dossier's parts.
var dossierPaths = []string{
	"/api/v1/me/dossier", "/api/v1/me/residence", "/api/v1/me/family", "/api/v1/me/id-card", "/api/v1/me/tari",
	"/api/v1/me/vehicles", "/api/v1/me/fines", "/api/v1/me/payments", "/api/v1/me/certificates",
	"/api/v1/me/appointments", "/api/v1/me/messages",
}

// listPaths are the endpoints that answer a JSON array.
var listPaths = []string{
	"/api/v1/me/family", "/api/v1/me/tari", "/api/v1/me/vehicles", "/api/v1/me/fines", "/api/v1/me/payments",
	"/api/v1/me/certificates", "/api/v1/me/appointments", "/api/v1/me/messages",
}

// token is an access token for cf, as the token command issues them.
func (e *signInEnv) token(cf string) string {
	e.t.Helper()
	tok, err := e.p.IssueAccessToken(context.Background(), cf, time.Hour)
	if err != nil {
		e.t.Fatalf("token for %s: %v", cf, err)
	}
	return tok
}

// post sends a POST to a personal endpoint with the access token.
func (e *signInEnv) post(path, accessToken string) answer {
	e.t.Helper()
	var headers []string
	if accessToken != "" {
		headers = append(headers, "Authorization: Bearer "+accessToken)
	}
	return do(e.t, nil, http.MethodPost, e.url+path, headers...)
}

// decodeStrict decodes a 200 answer into T, refusing unknown fields.
func decodeStrict[T any](t *testing.T, a answer) T {
	t.Helper()
	var v T
	if a.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", a.status, a.body)
	}
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%T from %s: %v", v, a.body, err)
	}
	return v
}

// town is the demo dataset the test servers are seeded with, indexed.
type town struct {
	ds       demo.Dataset
	byCF     map[string]core.Citizen
	families map[string][]core.Citizen
	byName   map[string]core.Citizen
}

func newTown() town {
	tw := town{ds: demo.Generate(testNow), byCF: map[string]core.Citizen{}, families: map[string][]core.Citizen{}, byName: map[string]core.Citizen{}}
	for _, c := range tw.ds.Citizens {
		tw.byCF[c.FiscalCode] = c
		tw.families[c.FamilyID] = append(tw.families[c.FamilyID], c)
		tw.byName[c.Name+" "+c.Surname] = c
	}
	return tw
}

func (tw town) person(t *testing.T, name string) core.Citizen {
	t.Helper()
	c, ok := tw.byName[name]
	if !ok {
		t.Fatalf("no %s in the demo", name)
	}
	return c
}

// bigFamily is the family of six, head first.
func (tw town) bigFamily(t *testing.T) []core.Citizen {
	t.Helper()
	for _, members := range tw.families {
		if len(members) == 6 {
			return members
		}
	}
	t.Fatal("the demo has no family of six")
	return nil
}

func minorOn(c core.Citizen, now time.Time) bool { return isMinor(c.BirthDate, core.DateOf(now)) }

// expected is what the dossier of cf holds, from the dataset.
func (tw town) expected(cf string, now time.Time) core.Dossier {
	c := tw.byCF[cf]
	d := core.Dossier{Person: c, Family: []core.FamilyMember{}, TARI: []core.TARIPosition{}, Vehicles: []core.Vehicle{},
		Fines: []core.Fine{}, Payments: []core.Payment{}, Certificates: []core.Certificate{}, Appointments: []core.Appointment{},
		Messages: []core.Message{}, Delegations: []core.Person{}}
	for _, f := range tw.ds.Families {
		if f.ID == c.FamilyID {
			d.Residence = core.Residence{Address: f.Address, Since: f.ResidentSince}
		}
	}
	members := slices.Clone(tw.families[c.FamilyID])
	slices.SortStableFunc(members, func(a, b core.Citizen) int {
		if (a.Relationship == core.Head) != (b.Relationship == core.Head) {
			if a.Relationship == core.Head {
				return -1
			}
			return 1
		}
		return a.BirthDate.Compare(b.BirthDate.Time)
	})
	for _, m := range members {
		if m.FiscalCode == cf {
			continue
		}
		p := core.Person{FiscalCode: m.FiscalCode, Surname: m.Surname, Name: m.Name, BirthDate: m.BirthDate}
		d.Family = append(d.Family, core.FamilyMember{Person: p, Relationship: m.Relationship})
		if mayActFor(c, m, core.DateOf(now)) {
			d.Delegations = append(d.Delegations, p)
		}
	}
	for _, p := range tw.ds.TARI {
		if p.HolderFiscalCode == cf {
			d.TARI = append(d.TARI, p)
		}
	}
	slices.SortStableFunc(d.TARI, func(a, b core.TARIPosition) int { return b.Year - a.Year })
	plates := map[string]bool{}
	for _, v := range tw.ds.Vehicles {
		if v.OwnerFiscalCode == cf {
			d.Vehicles = append(d.Vehicles, v)
			plates[v.Plate] = true
		}
	}
	slices.SortFunc(d.Vehicles, func(a, b core.Vehicle) int { return strings.Compare(a.Plate, b.Plate) })
	for _, f := range tw.ds.Fines {
		if plates[f.Plate] {
			d.Fines = append(d.Fines, f)
		}
	}
	slices.SortFunc(d.Fines, func(a, b core.Fine) int { return b.CommittedAt.Compare(a.CommittedAt) })
	for _, p := range tw.ds.Payments {
		if p.Payer == cf {
			d.Payments = append(d.Payments, p.Payment)
		}
	}
	slices.SortFunc(d.Payments, func(a, b core.Payment) int { return b.PaidAt.Compare(a.PaidAt) })
	for _, m := range tw.ds.Messages {
		if m.FiscalCode == cf {
			d.Messages = append(d.Messages, m.Message)
		}
	}
	slices.SortFunc(d.Messages, func(a, b core.Message) int { return b.SentAt.Compare(a.SentAt) })
	d.Appointments = tw.appointments(cf, now, "it")
	return d
}

// appointments are cf's bookings in the dataset as the server shows them
// at now in lang: the latest start first, named, released or done when due.
func (tw town) appointments(cf string, now time.Time, lang string) []core.Appointment {
	out := []core.Appointment{}
	for _, a := range tw.ds.Appointments {
		if a.Applicant.FiscalCode != cf {
			continue
		}
		for _, s := range tw.ds.AppointmentServices {
			if s.ID == a.ServiceID {
				a.Service = s.NameIT
				if lang == "en" {
					a.Service = s.NameEN
				}
			}
		}
		for _, o := range tw.ds.Municipality.Offices {
			if o.ID == a.OfficeID {
				a.Office, a.Address = o.Name, o.Address
			}
		}
		if a.Status == core.AppointmentBooked {
			switch {
			case a.ConfirmedAt == nil && a.ConfirmBy != nil && !now.Before(*a.ConfirmBy):
				a.Status = core.AppointmentReleased
			case !now.Before(a.End):
				a.Status = core.AppointmentDone
			}
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b core.Appointment) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	return out
}

// jsonOf is v as JSON, for comparisons that ignore time zones and
// pointer identities.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkDossier fetches every part of the dossier of the subject (with
// query, e.g. "?acting_for=..."), compares each with want, and checks ETag,
// 304 and the private Cache-Control.
func checkDossier(t *testing.T, e *signInEnv, token, query string, want core.Dossier) {
	t.Helper()
	parts := map[string]any{
		"/api/v1/me/dossier": want, "/api/v1/me/residence": want.Residence, "/api/v1/me/family": want.Family,
		"/api/v1/me/tari": want.TARI, "/api/v1/me/vehicles": want.Vehicles, "/api/v1/me/fines": want.Fines,
		"/api/v1/me/payments": want.Payments, "/api/v1/me/certificates": want.Certificates,
		"/api/v1/me/appointments": want.Appointments, "/api/v1/me/messages": want.Messages,
	}
	if want.Person.IDCard != nil {
		parts["/api/v1/me/id-card"] = *want.Person.IDCard
	}
	for path, v := range parts {
		a := e.api(path+query, token)
		if a.status != http.StatusOK {
			t.Errorf("GET %s%s: %d %s", path, query, a.status, a.body)
			continue
		}
		var got any
		switch v.(type) {
		case core.Dossier:
			got = decodeStrict[core.Dossier](t, a)
		case core.Residence:
			got = decodeStrict[core.Residence](t, a)
		case core.IDCard:
			got = decodeStrict[core.IDCard](t, a)
		case []core.FamilyMember:
			got = decodeStrict[[]core.FamilyMember](t, a)
		case []core.TARIPosition:
			got = decodeStrict[[]core.TARIPosition](t, a)
		case []core.Vehicle:
			got = decodeStrict[[]core.Vehicle](t, a)
		case []core.Fine:
			got = decodeStrict[[]core.Fine](t, a)
		case []core.Payment:
			got = decodeStrict[[]core.Payment](t, a)
		case []core.Certificate:
			got = decodeStrict[[]core.Certificate](t, a)
		case []core.Appointment:
			got = decodeStrict[[]core.Appointment](t, a)
		case []core.Message:
			got = decodeStrict[[]core.Message](t, a)
		}
		if g, w := jsonOf(t, got), jsonOf(t, v); g != w {
			t.Errorf("GET %s%s\n got %s\nwant %s", path, query, g, w)
		}
		if bytes.Contains(a.body, []byte("null")) {
			t.Errorf("GET %s%s: null in %s", path, query, a.body)
		}
		if cc := a.header.Get("Cache-Control"); !strings.Contains(cc, "private") {
			t.Errorf("GET %s: Cache-Control %q", path, cc)
		}
		etag := a.header.Get("ETag")
		if nm := e.api(path+query, token, "If-None-Match: "+etag); etag == "" || nm.status != http.StatusNotModified || len(nm.body) != 0 {
			t.Errorf("GET %s%s with If-None-Match %q: %d", path, query, etag, nm.status)
		}
		if nm := e.api(path+query, token, `If-None-Match: "other"`); nm.status != http.StatusOK {
			t.Errorf("GET %s%s with another ETag: %d", path, query, nm.status)
		}
	}
}

// TestDossier: every part, for citizens of every kind, is theirs and only
// theirs, as the store and the demo dataset say.
func TestDossier(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	tw := newTown()
	big := tw.bigFamily(t)
	for _, c := range []core.Citizen{
		big[0], big[1], big[2], // the head, the spouse, the adult child
		tw.person(t, "Marco Colombo"),    // fines to pay, a card about to expire
		tw.person(t, "Roberto Crippa"),   // two vehicles, a fine unpaid after 60 days
		tw.person(t, "Teresa Gatti"),     // no vehicles
		tw.person(t, "Giuseppe Ferrari"), // alone, a card expired
		tw.person(t, "Luigia Perego"),    // a spouse, nothing held
		tw.person(t, "Léa Mauri"),        // a minor, with her own token
		tw.person(t, "Leonardo Beretta"), // a toddler: no identity card
		tw.person(t, "Michele Caruso"),   // a sibling of the head
		tw.person(t, "Angela Longoni"),   // a parent of the head
		tw.person(t, "Francesca Riva"),   // TARI in arrears
		tw.person(t, "Fatima Zahra Benali"),
	} {
		t.Run(c.Name+" "+c.Surname, func(t *testing.T) {
			want := tw.expected(c.FiscalCode, e.clock.Now())
			// The store says the same as the dataset.
			got, err := e.st.DossierAt(context.Background(), c.FiscalCode, "it", e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			got.Delegations = want.Delegations
			if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
				t.Errorf("store\n got %s\nwant %s", g, w)
			}
			tok := e.token(c.FiscalCode)
			checkDossier(t, e, tok, "", want)
			if c.IDCard == nil {
				checkProblem(t, e.api("/api/v1/me/id-card", tok), http.StatusNotFound, core.ProblemNotFound, "/api/v1/me/id-card")
			}
			// /me is the person of the dossier.
			if me := decodeCitizen(t, e.api("/api/v1/me", tok)); jsonOf(t, me) != jsonOf(t, want.Person) {
				t.Errorf("me = %+v, want %+v", me, want.Person)
			}
		})
	}

	// Only theirs: nobody's dossier shows anything of anyone else.
	for _, c := range tw.ds.Citizens {
		d, err := e.st.Dossier(context.Background(), c.FiscalCode)
		if err != nil {
			t.Fatal(err)
		}
		if d.Person.FiscalCode != c.FiscalCode {
			t.Errorf("%s: person %s", c.FiscalCode, d.Person.FiscalCode)
		}
		for _, v := range d.Vehicles {
			if v.OwnerFiscalCode != c.FiscalCode {
				t.Errorf("%s: vehicle %s of %s", c.FiscalCode, v.Plate, v.OwnerFiscalCode)
			}
		}
		for _, p := range d.TARI {
			if p.HolderFiscalCode != c.FiscalCode {
				t.Errorf("%s: TARI %s of %s", c.FiscalCode, p.ID, p.HolderFiscalCode)
			}
		}
		for _, m := range d.Family {
			if m.FiscalCode == c.FiscalCode || tw.byCF[m.FiscalCode].FamilyID != c.FamilyID {
				t.Errorf("%s: family member %s", c.FiscalCode, m.FiscalCode)
			}
		}
		if len(d.Family) != len(tw.families[c.FamilyID])-1 {
			t.Errorf("%s: %d family members", c.FiscalCode, len(d.Family))
		}
		if want := tw.expected(c.FiscalCode, e.clock.Now()); len(d.Messages) != len(want.Messages) ||
			len(d.Payments) != len(want.Payments) || len(d.Fines) != len(want.Fines) {
			t.Errorf("%s: %d messages, %d payments, %d fines; want %d, %d, %d", c.FiscalCode, len(d.Messages),
				len(d.Payments), len(d.Fines), len(want.Messages), len(want.Payments), len(want.Fines))
		}
	}

	// Without a token, or with a bad one: 401 on every endpoint.
	for _, path := range append(slices.Clone(dossierPaths), "/api/v1/me/messages/x/read") {
		a, b := e.api(path, ""), e.api(path+"?acting_for="+big[5].FiscalCode, "x.y.z")
		if strings.HasSuffix(path, "/read") {
			a, b = e.post(path, ""), e.post(path+"?acting_for="+big[5].FiscalCode, "x.y.z")
		}
		wantUnauthorized(t, a, path)
		wantUnauthorized(t, b, path)
	}
}

// TestDossierEmptyStates: empty lists are [], never null.
func TestDossierEmptyStates(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	tw := newTown()
	gatti := tw.person(t, "Teresa Gatti")
	tok := e.token(gatti.FiscalCode)
	for _, path := range []string{"/api/v1/me/vehicles", "/api/v1/me/fines", "/api/v1/me/certificates", "/api/v1/me/appointments"} {
		if a := e.api(path, tok); a.status != http.StatusOK || string(a.body) != "[]" {
			t.Errorf("GET %s: %d %s, want []", path, a.status, a.body)
		}
	}
	a := e.api("/api/v1/me/dossier", tok)
	for _, part := range []string{`"vehicles":[]`, `"fines":[]`, `"certificates":[]`, `"appointments":[]`, `"delegations":[]`} {
		if !bytes.Contains(a.body, []byte(part)) {
			t.Errorf("the dossier has no %s: %s", part, a.body)
		}
	}
	// Nobody's certificates are issued yet, the test identities have no
	// bookings (a new user books); every list is an array.
	for _, c := range []core.Citizen{tw.bigFamily(t)[0], tw.person(t, "Marco Colombo")} {
		tok := e.token(c.FiscalCode)
		for _, path := range listPaths {
			a := e.api(path, tok)
			if a.status != http.StatusOK || !bytes.HasPrefix(a.body, []byte("[")) {
				t.Errorf("%s GET %s: %d %s", c.FiscalCode, path, a.status, a.body)
			}
			if (path == "/api/v1/me/certificates" || path == "/api/v1/me/appointments" && c.Surname == "Colombo") && string(a.body) != "[]" {
				t.Errorf("%s GET %s: %s", c.FiscalCode, path, a.body)
			}
		}
	}
	// A minor has no messages, payments, TARI or vehicles.
	lea := tw.person(t, "Léa Mauri")
	tok = e.token(lea.FiscalCode)
	for _, path := range []string{"/api/v1/me/messages", "/api/v1/me/payments", "/api/v1/me/tari", "/api/v1/me/vehicles", "/api/v1/me/fines"} {
		if a := e.api(path, tok); string(a.body) != "[]" {
			t.Errorf("a minor's %s: %s", path, a.body)
		}
	}
}

// TestDelegation: parents act for their minor children, nobody else for
// anyone.
func TestDelegation(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	tw := newTown()
	now := e.clock.Now()
	big := tw.bigFamily(t)
	head, spouse, adultChild := big[0], big[1], big[2]
	var minors []core.Citizen
	for _, c := range big {
		if minorOn(c, now) {
			minors = append(minors, c)
		}
	}
	if len(minors) == 0 || minorOn(adultChild, now) || adultChild.Relationship != core.Child {
		t.Fatalf("the family of six: minors %v, first child %+v", minors, adultChild)
	}
	minor := minors[len(minors)-1]
	headTok, spouseTok, childTok := e.token(head.FiscalCode), e.token(spouse.FiscalCode), e.token(adultChild.FiscalCode)

	// The head's own dossier lists the minors.
	d := decodeStrict[core.Dossier](t, e.api("/api/v1/me/dossier", headTok))
	var wantDelegations []string
	for _, m := range minors {
		wantDelegations = append(wantDelegations, m.FiscalCode)
	}
	var got []string
	for _, p := range d.Delegations {
		got = append(got, p.FiscalCode)
		if c := tw.byCF[p.FiscalCode]; p.Surname != c.Surname || p.Name != c.Name || p.BirthDate != c.BirthDate {
			t.Errorf("delegation %+v", p)
		}
	}
	slices.Sort(got)
	slices.Sort(wantDelegations)
	if !slices.Equal(got, wantDelegations) {
		t.Errorf("delegations %v, want %v", got, wantDelegations)
	}
	// Nobody else in the family has any, but the spouse.
	if d := decodeStrict[core.Dossier](t, e.api("/api/v1/me/dossier", spouseTok)); len(d.Delegations) != len(minors) {
		t.Errorf("the spouse's delegations: %v", d.Delegations)
	}
	if d := decodeStrict[core.Dossier](t, e.api("/api/v1/me/dossier", childTok)); len(d.Delegations) != 0 {
		t.Errorf("the adult child's delegations: %v", d.Delegations)
	}

	// Acting for the minor: the minor's data, no delegations; the same for
	// the spouse, and with the code in lower case.
	want := tw.expected(minor.FiscalCode, now)
	want.Delegations = []core.Person{}
	checkDossier(t, e, headTok, "?acting_for="+minor.FiscalCode, want)
	checkDossier(t, e, spouseTok, "?acting_for="+strings.ToLower(minor.FiscalCode), want)
	if d := decodeStrict[core.Dossier](t, e.api("/api/v1/me/dossier?acting_for="+minor.FiscalCode, headTok)); d.Person.FiscalCode != minor.FiscalCode {
		t.Errorf("acting for %s: person %s", minor.FiscalCode, d.Person.FiscalCode)
	}
	// A toddler of another family, through their parent: no identity card.
	beretta, leonardo := tw.person(t, "Andrea Beretta"), tw.person(t, "Leonardo Beretta")
	checkProblem(t, e.api("/api/v1/me/id-card?acting_for="+leonardo.FiscalCode, e.token(beretta.FiscalCode)),
		http.StatusNotFound, core.ProblemNotFound, "/api/v1/me/id-card")

	// Refused, with the same answer whatever the reason.
	var otherMinor core.Citizen
	for _, c := range tw.ds.Citizens {
		if c.FamilyID != head.FamilyID && c.Relationship == core.Child && minorOn(c, now) {
			otherMinor = c
		}
	}
	caruso, michele := tw.person(t, "Ilaria Caruso"), tw.person(t, "Michele Caruso")
	refusals := []struct {
		name, token, cf string
	}{
		{"an adult child", headTok, adultChild.FiscalCode},
		{"a minor of another family", headTok, otherMinor.FiscalCode},
		{"a sibling, an adult", e.token(caruso.FiscalCode), michele.FiscalCode},
		{"a sibling, a minor", childTok, minor.FiscalCode},
		{"an unknown fiscal code", headTok, "RSSMRA80A01H501U"},
		{"a child for a parent", childTok, head.FiscalCode},
		{"a minor for a parent", e.token(minor.FiscalCode), head.FiscalCode},
		{"a spouse for the head", spouseTok, head.FiscalCode},
		{"oneself", headTok, head.FiscalCode},
	}
	var detail string
	for _, r := range refusals {
		for _, path := range dossierPaths {
			p := checkProblem(t, e.api(path+"?acting_for="+url.QueryEscape(r.cf), r.token), http.StatusForbidden, core.ProblemForbidden, path)
			if detail == "" {
				detail = p.Detail
			}
			if p.Detail != detail || strings.Contains(p.Detail, r.cf) {
				t.Errorf("%s: %s: detail %q", r.name, path, p.Detail)
			}
		}
		checkProblem(t, e.post("/api/v1/me/messages/x/read?acting_for="+r.cf, r.token), http.StatusForbidden, core.ProblemForbidden,
			"/api/v1/me/messages/x/read")
	}

	// Malformed: 400.
	good := minor.FiscalCode
	wrongCheck := good[:15] + string(rune('A'+(good[15]-'A'+1)%26))
	for _, q := range []string{"?acting_for=", "?acting_for=ABC", "?acting_for=" + wrongCheck, "?acting_for=" + good + "&acting_for=" + good,
		"?acting_for=" + url.QueryEscape(good+"!")} {
		for _, path := range dossierPaths {
			checkProblem(t, e.api(path+q, headTok), http.StatusBadRequest, core.ProblemBadRequest, path)
		}
	}
}

// TestMessagesRead: marking read is idempotent, the unread count drops,
// and nobody can touch, or learn of, anyone else's messages.
func TestMessagesRead(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	tw := newTown()
	big := tw.bigFamily(t)
	head, spouse := big[0], big[1]
	tok := e.token(head.FiscalCode)
	unread := func(list []core.Message) (n int, first string) {
		for _, m := range list {
			if !m.Read {
				if n == 0 {
					first = m.ID
				}
				n++
			}
		}
		return n, first
	}
	a := e.api("/api/v1/me/messages", tok)
	before, id := unread(decodeStrict[[]core.Message](t, a))
	if before == 0 {
		t.Fatal("the head has no unread message")
	}
	path := "/api/v1/me/messages/" + id + "/read"
	for range 2 {
		if r := e.post(path, tok); r.status != http.StatusNoContent || len(r.body) != 0 {
			t.Fatalf("POST %s: %d %s", path, r.status, r.body)
		}
	}
	b := e.api("/api/v1/me/messages", tok)
	after, _ := unread(decodeStrict[[]core.Message](t, b))
	if after != before-1 {
		t.Errorf("unread %d, then %d", before, after)
	}
	if a.header.Get("ETag") == b.header.Get("ETag") {
		t.Error("the ETag of the messages did not change")
	}
	d := decodeStrict[core.Dossier](t, e.api("/api/v1/me/dossier", tok))
	if n, _ := unread(d.Messages); n != after {
		t.Errorf("the dossier has %d unread, the list %d", n, after)
	}

	// Someone else's message (of the same family, of another), an unknown
	// one, and one seen acting for a minor: 404, the same for all, and the
	// others' stay as they were.
	var other core.Citizen
	var theirs string
	for _, m := range tw.ds.Messages {
		if !m.Read && m.FiscalCode != head.FiscalCode && m.FiscalCode != spouse.FiscalCode {
			other, theirs = tw.byCF[m.FiscalCode], m.ID
		}
	}
	spouseMessages, err := e.st.Messages(context.Background(), spouse.FiscalCode)
	if err != nil || len(spouseMessages) == 0 {
		t.Fatalf("the spouse's messages: %v, %v", spouseMessages, err)
	}
	others, err := e.st.Messages(context.Background(), other.FiscalCode)
	if err != nil {
		t.Fatal(err)
	}
	var minor core.Citizen
	for _, c := range big {
		if minorOn(c, e.clock.Now()) {
			minor = c
		}
	}
	for _, p := range []string{
		"/api/v1/me/messages/" + theirs + "/read",
		"/api/v1/me/messages/" + spouseMessages[0].ID + "/read",
		"/api/v1/me/messages/nonexistent/read",
		"/api/v1/me/messages/" + id + "/read?acting_for=" + minor.FiscalCode,
	} {
		checkProblem(t, e.post(p, tok), http.StatusNotFound, core.ProblemNotFound, strings.Split(p, "?")[0])
	}
	if again, err := e.st.Messages(context.Background(), other.FiscalCode); err != nil || !reflect.DeepEqual(again, others) {
		t.Errorf("%s's messages changed (%v)", other.FiscalCode, err)
	}
	if again, err := e.st.Messages(context.Background(), spouse.FiscalCode); err != nil || !reflect.DeepEqual(again, spouseMessages) {
		t.Errorf("the spouse's messages changed (%v)", err)
	}
	// GET is not allowed there.
	checkProblem(t, e.api(path, tok), http.StatusMethodNotAllowed, core.ProblemMethodNotAllowed, path)
}

// TestDemoTopUp starts the demo over a database the previous version of the
// demo seeded: the new rows appear once.
func TestDemoTopUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "old.db")
	st, err := store.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	old := demo.GenerateVersion(time.Now().AddDate(0, -2, 0), 1)
	if err := st.Seed(ctx, old); err != nil {
		t.Fatal(err)
	}
	if v, err := st.DemoVersion(ctx); v != 1 || err != nil {
		t.Fatalf("the old database's version %d, %v", v, err)
	}
	st.Close()

	type counts struct{ citizens, messages, payments, fines, version int }
	count := func() counts {
		t.Helper()
		st, err := store.Open(ctx, file)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var c counts
		list, err := st.Citizens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.citizens = len(list)
		for _, p := range list {
			d, err := st.Dossier(ctx, p.FiscalCode)
			if err != nil {
				t.Fatal(err)
			}
			c.messages += len(d.Messages)
			c.payments += len(d.Payments)
			c.fines += len(d.Fines)
		}
		if c.version, err = st.DemoVersion(ctx); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := count(); c != (counts{citizens: len(old.Citizens), version: 1}) {
		t.Fatalf("before: %+v", c)
	}
	start := func() {
		t.Helper()
		r, err := Start(ctx, file, "127.0.0.1:0", true, discardLog())
		if err != nil {
			t.Fatal(err)
		}
		if a := get(t, r.URL+"/api/v1/municipality"); a.status != http.StatusOK {
			t.Errorf("municipality: %d", a.status)
		}
		if err := r.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	start()
	first := count()
	fresh := demo.Generate(time.Now())
	if first.version != demo.Version || first.citizens != len(fresh.Citizens) || first.messages == 0 || first.payments == 0 || first.fines != len(fresh.Fines) {
		t.Errorf("after the first start: %+v; a fresh seed has %d citizens, %d messages, %d payments, %d fines",
			first, len(fresh.Citizens), len(fresh.Messages), len(fresh.Payments), len(fresh.Fines))
	}
	start()
	if again := count(); again != first {
		t.Errorf("a second start changed the database: %+v, then %+v", first, again)
	}
}

// TestDossierResponsesMatchSchemas checks the dossier's real answers, and
// its refusals, against openapi.json, whose objects are closed.
func TestDossierResponsesMatchSchemas(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	e := newSignInEnv(t, nil)
	tw := newTown()
	big := tw.bigFamily(t)
	var minor core.Citizen
	for _, c := range big {
		if minorOn(c, e.clock.Now()) {
			minor = c
		}
	}
	beretta, leonardo := tw.person(t, "Andrea Beretta"), tw.person(t, "Leonardo Beretta")
	tokens := map[string]string{}
	for _, c := range []core.Citizen{big[0], tw.person(t, "Marco Colombo"), tw.person(t, "Roberto Crippa"), tw.person(t, "Luca Sala"), beretta} {
		tokens[c.FiscalCode] = e.token(c.FiscalCode)
	}
	type call struct {
		path, query, token string
		status             int
	}
	var calls []call
	for _, path := range dossierPaths {
		for cf, tok := range tokens {
			status := http.StatusOK
			if path == "/api/v1/me/id-card" && tw.byCF[cf].IDCard == nil {
				status = http.StatusNotFound
			}
			calls = append(calls, call{path, "", tok, status})
		}
		head := tokens[big[0].FiscalCode]
		calls = append(calls,
			call{path, "?acting_for=" + minor.FiscalCode, head, http.StatusOK},
			call{path, "", "", http.StatusUnauthorized},
			call{path, "?acting_for=nope", head, http.StatusBadRequest},
			call{path, "?acting_for=" + big[1].FiscalCode, head, http.StatusForbidden})
	}
	calls = append(calls, call{"/api/v1/me/id-card", "?acting_for=" + leonardo.FiscalCode, tokens[beretta.FiscalCode], http.StatusNotFound})
	sawFine, sawPaidFine := false, false
	for _, c := range calls {
		a := e.api(c.path+c.query, c.token)
		if a.status != c.status {
			t.Errorf("GET %s%s: %d, want %d", c.path, c.query, a.status, c.status)
			continue
		}
		mediaType, _, _ := strings.Cut(a.header.Get("Content-Type"), ";")
		var v any
		if err := json.Unmarshal(a.body, &v); err != nil {
			t.Fatalf("GET %s: %v", c.path, err)
		}
		for _, err := range validate(doc, responseSchema(t, doc, c.path, c.status, mediaType), v, "GET "+c.path+c.query) {
			t.Error(err)
		}
		if c.path == "/api/v1/me/fines" && c.status == http.StatusOK {
			sawFine = sawFine || bytes.Contains(a.body, []byte(`"to_pay"`))
			sawPaidFine = sawPaidFine || bytes.Contains(a.body, []byte(`"paid_on"`))
		}
	}
	if !sawFine || !sawPaidFine {
		t.Errorf("the schemas met no fine to pay (%v) or no paid one (%v)", sawFine, sawPaidFine)
	}
	// The document rejects what the types do not have.
	fine := map[string]any{"$ref": "#/components/schemas/Fine"}
	if errs := validate(doc, fine, map[string]any{"notice_number": "1", "nickname": "x"}, "fine"); len(errs) == 0 {
		t.Error("a made-up fine was accepted")
	}
}
