package certificates

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
)

var today = core.NewDate(2026, time.November, 22)

func TestCatalogue(t *testing.T) {
	ids := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	want := []string{Residenza, StatoDiFamiglia, Cittadinanza, EsistenzaInVita, StatoCivile, StatoLibero, Nascita,
		Matrimonio, ResidenzaCittadinanzaStatoDiFamiglia}
	var got []string
	for _, ty := range Types() {
		got = append(got, ty.ID)
		if !ids.MatchString(ty.ID) {
			t.Errorf("id %q is not snake_case", ty.ID)
		}
		if ty.NameIT == "" || ty.NameEN == "" || ty.DescriptionIT == "" || ty.DescriptionEN == "" || ty.TitleIT == "" {
			t.Errorf("%s: missing text", ty.ID)
		}
		if ty.AlwaysExempt != (ty.ExemptionLaw != "") {
			t.Errorf("%s: always exempt %v with law %q", ty.ID, ty.AlwaysExempt, ty.ExemptionLaw)
		}
		if !ty.Has(ContentBirth) || len(ty.Contents) < 1 {
			t.Errorf("%s: contents %v", ty.ID, ty.Contents)
		}
		if l, ok := Lookup(ty.ID); !ok || l.ID != ty.ID {
			t.Errorf("Lookup(%s)", ty.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("types %v, want %v", got, want)
	}
	if _, ok := Lookup("porto_d_armi"); ok {
		t.Error("an unknown type was found")
	}
	// The rules the reference states.
	for id, exempt := range map[string]bool{Nascita: true, Matrimonio: true, Cittadinanza: true, Residenza: false,
		StatoDiFamiglia: false, StatoLibero: false, StatoCivile: false, EsistenzaInVita: false,
		ResidenzaCittadinanzaStatoDiFamiglia: false} {
		if ty, _ := Lookup(id); ty.AlwaysExempt != exempt {
			t.Errorf("%s: always exempt %v, want %v", id, ty.AlwaysExempt, exempt)
		}
	}
	issued := core.NewDate(2026, time.January, 15)
	if ty, _ := Lookup(Nascita); ty.ValidUntil(issued) != nil {
		t.Error("nascita: limited validity")
	}
	if ty, _ := Lookup(Residenza); ty.ValidUntil(issued) == nil || *ty.ValidUntil(issued) != core.NewDate(2026, time.July, 15) {
		t.Errorf("residenza: valid until %v", ty.ValidUntil(issued))
	}
	if ty, _ := Lookup(StatoLibero); ty.Requesters != SelfOnly {
		t.Error("stato libero is not for oneself only")
	}

	for _, lang := range []string{"it", "en"} {
		infos := TypeInfos(lang)
		if len(infos) != len(want) {
			t.Fatalf("%s: %d infos", lang, len(infos))
		}
		for _, i := range infos {
			ty, _ := Lookup(i.ID)
			if i.Name != ty.Name(lang) || i.MaxCopies != MaxCopies {
				t.Errorf("%s: %+v", lang, i)
			}
			if (i.ValidityMonths == 0) != ty.Unlimited || (i.StampDutyCents == 0) != ty.AlwaysExempt {
				t.Errorf("%s: %+v", lang, i)
			}
		}
	}
}

func TestExemptions(t *testing.T) {
	codes := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := map[string]bool{}
	for _, e := range Exemptions() {
		if !codes.MatchString(e.Code) || seen[e.Code] {
			t.Errorf("code %q", e.Code)
		}
		seen[e.Code] = true
		if e.DescriptionIT == "" || e.DescriptionEN == "" || e.Law == "" {
			t.Errorf("%s: missing text", e.Code)
		}
		if got, ok := LookupExemption(e.Code); !ok || got != e {
			t.Errorf("LookupExemption(%s)", e.Code)
		}
	}
	if len(seen) != 16 {
		t.Errorf("%d exemptions, want the 16 uses of the reference", len(seen))
	}
	if infos := ExemptionInfos("en"); infos[5].Code != "sport_dilettantistico" || infos[5].Description != "Amateur sport" ||
		infos[5].Law != "DPR 642/1972 Tab. B art. 8-bis" {
		t.Errorf("info %+v", infos[5])
	}
}

func reasonOf(err error) Reason {
	var e *Invalid
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func TestValidators(t *testing.T) {
	for id, want := range map[string]Reason{
		"01234567890123": "", "0123456789012": ReasonMarcaIDMalformed, "012345678901234": ReasonMarcaIDMalformed,
		"0123456789012a": ReasonMarcaIDMalformed, "": ReasonMarcaIDMalformed, "0123456789012٣": ReasonMarcaIDMalformed,
		" 1234567890123": ReasonMarcaIDMalformed,
	} {
		if got := reasonOf(ValidateMarcaID(id)); got != want {
			t.Errorf("ValidateMarcaID(%q) = %q, want %q", id, got, want)
		}
	}
	for date, want := range map[string]Reason{
		"2026-11-22": "", "2005-01-01": "", "2026-11-23": ReasonMarcaDateFuture, "2004-12-31": ReasonMarcaDateTooOld,
		"22/11/2026": ReasonMarcaDateMalformed, "": ReasonMarcaDateMalformed, "2026-02-30": ReasonMarcaDateMalformed,
	} {
		d, err := ValidateMarcaDate(date, today)
		if got := reasonOf(err); got != want {
			t.Errorf("ValidateMarcaDate(%q) = %q, want %q", date, got, want)
		}
		if err == nil && d.String() != date {
			t.Errorf("ValidateMarcaDate(%q) = %v", date, d)
		}
	}
	for n, want := range map[int]Reason{0: ReasonCopiesOutOfRange, 1: "", 3: "", 4: ReasonCopiesOutOfRange, -1: ReasonCopiesOutOfRange} {
		if got := reasonOf(ValidateCopies(n)); got != want {
			t.Errorf("ValidateCopies(%d) = %q, want %q", n, got, want)
		}
	}
	res, _ := Lookup(Residenza)
	nascita, _ := Lookup(Nascita)
	if _, err := ValidateExemption(res, "elettorale"); err != nil {
		t.Error(err)
	}
	if _, err := ValidateExemption(res, "vacanze"); reasonOf(err) != ReasonExemptionUnknown {
		t.Errorf("unknown exemption: %v", err)
	}
	if _, err := ValidateExemption(nascita, "elettorale"); reasonOf(err) != ReasonTypeAlwaysExempt {
		t.Errorf("exemption on an exempt type: %v", err)
	}
}

func TestCheckSubject(t *testing.T) {
	head := core.Citizen{FiscalCode: "CLMMRC74C15F205P", FamilyID: "F0001", Relationship: core.Head,
		MaritalStatus: core.Married, Marriage: &core.Marriage{SpouseFiscalCode: "BRMLNE77P42F704H"}}
	spouse := core.Citizen{FiscalCode: "BRMLNE77P42F704H", FamilyID: "F0001", Relationship: core.Spouse,
		MaritalStatus: core.Married, Marriage: &core.Marriage{SpouseFiscalCode: head.FiscalCode}}
	child := core.Citizen{FiscalCode: "CLMTMS11E08F205L", FamilyID: "F0001", Relationship: core.Child, MaritalStatus: core.Single}
	stranger := core.Citizen{FiscalCode: "FRRGPP49A20M999R", FamilyID: "F0002", Relationship: core.Head, MaritalStatus: core.Widowed}
	partner := core.Citizen{FiscalCode: "SLALCU82T01A944X", FamilyID: "F0006", MaritalStatus: core.CivilUnion,
		Marriage: &core.Marriage{CivilUnion: true}}
	for _, tc := range []struct {
		typ             string
		holder, subject core.Citizen
		want            Reason
	}{
		{Residenza, head, head, ""},
		{Residenza, head, child, ""},
		{Nascita, child, head, ""},
		{Residenza, head, stranger, ReasonSubjectNotInFamily},
		{Residenza, core.Citizen{FiscalCode: "X"}, core.Citizen{FiscalCode: "Y"}, ReasonSubjectNotInFamily},
		{StatoLibero, head, child, ReasonSubjectSelfOnly},
		{StatoLibero, child, child, ""},
		{StatoLibero, stranger, stranger, ""},
		{StatoLibero, head, head, ReasonSubjectNotFree},
		{StatoLibero, partner, partner, ReasonSubjectNotFree},
		{Matrimonio, head, spouse, ""},
		{Matrimonio, head, child, ReasonSubjectNotMarried},
		{Matrimonio, partner, partner, ReasonSubjectNotMarried},
	} {
		ty, _ := Lookup(tc.typ)
		if got := reasonOf(CheckSubject(ty, tc.holder, tc.subject)); got != tc.want {
			t.Errorf("%s by %s about %s: %q, want %q", tc.typ, tc.holder.FiscalCode, tc.subject.FiscalCode, got, tc.want)
		}
	}
}

func TestRequestCheck(t *testing.T) {
	marca := func(id, date string) MarcaReq { return MarcaReq{ID: id, Date: date} }
	good := marca("01234567890123", "2026-11-01")
	for _, tc := range []struct {
		name string
		req  Request
		want Invalids // nil: accepted
	}{
		{"marca", Request{Type: Residenza, StampDuty: StampDutyReq{Marcas: []MarcaReq{good}}}, nil},
		{"exemption", Request{Type: StatoDiFamiglia, Copies: 3, StampDuty: StampDutyReq{Exemption: "carta_identita"}}, nil},
		{"exempt type", Request{Type: Nascita, Subject: "clmtms11e08f205l"}, nil},
		{"no type", Request{}, Invalids{{"type", ReasonRequired}}},
		{"unknown type", Request{Type: "porto_d_armi"}, Invalids{{"type", ReasonTypeUnknown}}},
		{"bad subject", Request{Type: Nascita, Subject: "CLMTMS11E08F205A"}, Invalids{{"subject", ReasonFiscalCodeMalformed}}},
		{"copies", Request{Type: Nascita, Copies: 4}, Invalids{{"copies", ReasonCopiesOutOfRange}}},
		{"no stamp duty", Request{Type: Residenza}, Invalids{{"stamp_duty", ReasonStampDutyRequired}}},
		{"both", Request{Type: Residenza, StampDuty: StampDutyReq{Marcas: []MarcaReq{good}, Exemption: "elettorale"}},
			Invalids{{"stamp_duty", ReasonStampDutyAmbiguous}}},
		{"exemption on exempt type", Request{Type: Cittadinanza, StampDuty: StampDutyReq{Exemption: "elettorale"}},
			Invalids{{"stamp_duty.exemption", ReasonTypeAlwaysExempt}}},
		{"marca on exempt type", Request{Type: Matrimonio, StampDuty: StampDutyReq{Marcas: []MarcaReq{good}}},
			Invalids{{"stamp_duty.marcas", ReasonTypeAlwaysExempt}}},
		{"unknown exemption", Request{Type: Residenza, StampDuty: StampDutyReq{Exemption: "ferie"}},
			Invalids{{"stamp_duty.exemption", ReasonExemptionUnknown}}},
		{"marca count", Request{Type: Residenza, Copies: 2, StampDuty: StampDutyReq{Marcas: []MarcaReq{good}}},
			Invalids{{"stamp_duty.marcas", ReasonMarcaCount}}},
		{"bad marcas", Request{Type: Residenza, Copies: 3, StampDuty: StampDutyReq{Marcas: []MarcaReq{
			marca("1234", "2026-11-01"), good, marca("01234567890123", "2027-01-01")}}},
			Invalids{{"stamp_duty.marcas[0].id", ReasonMarcaIDMalformed}, {"stamp_duty.marcas[2].id", ReasonMarcaDuplicate},
				{"stamp_duty.marcas[2].date", ReasonMarcaDateFuture}}},
		{"everything", Request{Type: "x", Subject: "x", Copies: 9}, Invalids{{"type", ReasonTypeUnknown},
			{"subject", ReasonFiscalCodeMalformed}, {"copies", ReasonCopiesOutOfRange}}},
	} {
		o, err := tc.req.Check(today)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var got Invalids
		if !errors.As(err, &got) || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if len(got) > 0 && o.Type.ID != "" {
			t.Errorf("%s: an order with the error", tc.name)
		}
	}
	o, err := Request{Type: Nascita, Subject: "clmtms11e08f205l"}.Check(today)
	if err != nil || o.Subject != "CLMTMS11E08F205L" || o.Copies != 1 || o.Exemption != nil || o.Marcas != nil {
		t.Errorf("order %+v, %v", o, err)
	}
	o, _ = Request{Type: Residenza, Copies: 2, StampDuty: StampDutyReq{Marcas: []MarcaReq{good, marca("99999999999999", "2025-01-02")}}}.Check(today)
	if len(o.Marcas) != 2 || o.Marcas[1].Date != core.NewDate(2025, time.January, 2) {
		t.Errorf("marcas %+v", o.Marcas)
	}
	params := Invalids{{"type", ReasonTypeUnknown}}.Params()
	if len(params) != 1 || params[0] != (core.InvalidParam{Name: "type", Reason: "type_unknown"}) {
		t.Errorf("params %+v", params)
	}
}

func TestLabels(t *testing.T) {
	if MaritalStatusIT(core.Single, core.Female) != "nubile" || MaritalStatusIT(core.Single, core.Male) != "celibe" {
		t.Error("single")
	}
	if RelationshipIT(core.Child, core.Female) != "figlia" || RelationshipIT(core.Head, core.Male) == "" {
		t.Error("relationship")
	}
}

func TestLists(t *testing.T) {
	anchor, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Date(2026, time.November, 22, 10, 0, 0, 0, time.UTC)
	end := now.Add(30 * 24 * time.Hour)
	tl := TrustList{Issuer: "015999", IssuedAt: now, Signers: []SignerKey{
		{Public: &s1.PublicKey, NotBefore: now.AddDate(-1, 0, 0), NotAfter: &end},
		{Public: &s2.PublicKey, NotBefore: now},
	}}
	data, err := tl.Sign(anchor)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseTrustList(data, &anchor.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if got.Issuer != "015999" || !got.IssuedAt.Equal(now) || len(got.Signers) != 2 || !got.Signers[0].NotAfter.Equal(end) ||
		got.Signers[1].NotAfter != nil || !got.Signers[1].Public.Equal(&s2.PublicKey) {
		t.Errorf("trust list %+v", got)
	}
	kid, _ := keyID(&s1.PublicKey)
	if keys := got.Keys(kid); len(keys) != 1 || !keys[0].Equal(&s1.PublicKey) {
		t.Errorf("Keys: %v", keys)
	}
	if _, err := ParseTrustList(data, &other.PublicKey); !errors.Is(err, ErrListSignature) {
		t.Errorf("another anchor: %v", err)
	}
	bad := append([]byte(nil), data...)
	bad[len(bad)-70] ^= 1
	if _, err := ParseTrustList(bad, &anchor.PublicKey); err == nil {
		t.Error("an altered list verified")
	}

	rl := RevocationList{Issuer: "015999", IssuedAt: now, Sequence: 7,
		Hashes: [][16]byte{RevocationHash("2026-B"), RevocationHash("2026-A"), RevocationHash("2026-B")}}
	data, err = rl.Sign(anchor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTrustList(data, &anchor.PublicKey); !errors.Is(err, ErrListMalformed) {
		t.Errorf("a revocation list read as a trust list: %v", err)
	}
	rev, err := ParseRevocationList(data, &anchor.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Sequence != 7 || len(rev.Hashes) != 2 || !rev.Revoked("2026-A") || !rev.Revoked("2026-B") || rev.Revoked("2026-C") {
		t.Errorf("revocations %+v", rev)
	}

	pemBytes, _ := PublicKeyPEM(&anchor.PublicKey)
	if pub, err := ParsePublicKeyPEM(pemBytes); err != nil || !pub.Equal(&anchor.PublicKey) {
		t.Errorf("PEM round trip: %v", err)
	}
}

// TestRevocationChunks: a chunk of an incremental sync keeps since and
// latest through signing, and inconsistent ones are refused both ways.
func TestRevocationChunks(t *testing.T) {
	anchor, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	chunk := RevocationList{Issuer: "015999", IssuedAt: at, Since: 5000, Sequence: 10000, Latest: 12345,
		Hashes: [][RevocationHashSize]byte{RevocationHash("x")}}
	b, err := chunk.Sign(anchor)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseRevocationList(b, &anchor.PublicKey)
	if err != nil || got.Since != 5000 || got.Sequence != 10000 || got.Latest != 12345 || !got.Revoked("x") {
		t.Fatalf("%+v %v", got, err)
	}
	// A snapshot: since 0 and latest equal to the sequence, both left out.
	snap := RevocationList{Issuer: "015999", IssuedAt: at, Sequence: 7}
	if b, err = snap.Sign(anchor); err != nil {
		t.Fatal(err)
	}
	if got, err = ParseRevocationList(b, &anchor.PublicKey); err != nil || got.Latest != 7 || got.Since != 0 {
		t.Fatalf("snapshot %+v %v", got, err)
	}
	for _, bad := range []RevocationList{{Issuer: "015999", Since: 9, Sequence: 8}, {Issuer: "015999", Sequence: 8, Latest: 7}} {
		if _, err := bad.Sign(anchor); err == nil {
			t.Errorf("signed %+v", bad)
		}
	}
	// Latest written equal to the sequence is not the canonical form.
	w := wireRevocations{Format: ListFormat, Issuer: "015999", IssuedAt: at.Unix(), Sequence: 3, Latest: 3, Hashes: [][]byte{}}
	payload, _ := listEnc.Marshal(&w)
	if b, err = signList(payload, RevocationsContentType, anchor); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseRevocationList(b, &anchor.PublicKey); !errors.Is(err, ErrListMalformed) {
		t.Errorf("latest = sequence written out: %v", err)
	}
}
