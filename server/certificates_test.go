package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/codicefiscale"
	"github.com/sportello/sportello/core/glyph"
	"github.com/sportello/sportello/server/certs"
)

// send makes one request with a body and the headers ("Name: value").
func send(t testing.TB, method, url, body string, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Add(name, strings.TrimSpace(value))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// issue posts a certificate request for the token's citizen; query is
// "" or "?acting_for=CF".
func (e *signInEnv) issue(token, query, body string, headers ...string) answer {
	e.t.Helper()
	headers = append(headers, "Authorization: Bearer "+token, "Content-Type: application/json")
	return send(e.t, http.MethodPost, e.url+"/api/v1/me/certificates"+query, body, headers...)
}

// issued decodes a 201 answer.
func issued(t *testing.T, a answer) []core.Certificate {
	t.Helper()
	if a.status != http.StatusCreated {
		t.Fatalf("status %d, want 201: %s", a.status, a.body)
	}
	var v struct {
		Certificates []core.Certificate `json:"certificates"`
	}
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.Certificates
}

func (e *signInEnv) counts() [3]int {
	e.t.Helper()
	c, d, r, err := e.st.CertificateCounts(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return [3]int{c, d, r}
}

// yesterday is a marca date the server accepts.
func (e *signInEnv) yesterday() string { return core.DateOf(e.clock.Now().AddDate(0, 0, -1)).String() }

func marcaBody(typ, subject string, date string, ids ...string) string {
	var marcas []string
	for _, id := range ids {
		marcas = append(marcas, `{"id":"`+id+`","date":"`+date+`"}`)
	}
	return `{"type":"` + typ + `","subject":"` + subject + `","copies":` + string(rune('0'+len(ids))) +
		`,"stamp_duty":{"marcas":[` + strings.Join(marcas, ",") + `]}}`
}

// trustAnchor is the anchor's public key, as an operator hands it out.
func (e *signInEnv) trustAnchor() *certificates.TrustList {
	e.t.Helper()
	keys, err := e.certs.Keys()
	if err != nil {
		e.t.Fatal(err)
	}
	a := get(e.t, e.url+"/api/v1/trust-list")
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "application/cose") {
		e.t.Fatalf("trust list: %d %s", a.status, a.header.Get("Content-Type"))
	}
	tl, err := certificates.ParseTrustList(a.body, &keys.Anchor.PublicKey)
	if err != nil {
		e.t.Fatal(err)
	}
	return tl
}

func TestIssueCertificates(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	e := newSignInEnv(t, nil)
	tw := newTown()
	marco, elena := tw.person(t, "Marco Colombo"), tw.person(t, "Elena Brambilla")
	tok := e.token(marco.FiscalCode)

	// For himself, with a marca da bollo.
	a := e.issue(tok, "", marcaBody("residenza", "", e.yesterday(), "01234567890123"))
	res := issued(t, a)
	if len(res) != 1 || res[0].Type != "residenza" || res[0].Subject.FiscalCode != marco.FiscalCode || res[0].Copy != 1 ||
		res[0].ValidUntil == nil || res[0].Revoked || res[0].Glyph == "" {
		t.Errorf("issued %+v", res)
	}
	if cc := a.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var v any
	json.Unmarshal(a.body, &v)
	for _, err := range validate(doc, map[string]any{"$ref": "#/components/schemas/IssuedCertificates"}, v, "POST") {
		t.Error(err)
	}

	// For his wife, two copies with an exempt use.
	both := issued(t, e.issue(tok, "", `{"type":"stato_di_famiglia","subject":"`+strings.ToLower(elena.FiscalCode)+
		`","copies":2,"stamp_duty":{"exemption":"sport_dilettantistico"}}`))
	if len(both) != 2 || both[0].Serial == both[1].Serial || both[0].Subject.FiscalCode != elena.FiscalCode ||
		both[0].Copy != 1 || both[1].Copy != 2 {
		t.Fatalf("issued %+v", both)
	}
	// A birth certificate needs no stamp duty and has no end.
	birth := issued(t, e.issue(tok, "", `{"type":"nascita"}`))
	if birth[0].ValidUntil != nil {
		t.Errorf("nascita valid until %v", birth[0].ValidUntil)
	}
	if got := e.counts(); got != [3]int{4, 4, 0} {
		t.Errorf("rows %v, want 4 certificates and documents", got)
	}

	// The dossier lists them, newest first; Elena's own does not (they are
	// Marco's).
	list := decodeStrict[[]core.Certificate](t, e.api("/api/v1/me/certificates", tok))
	var serials []string
	for _, c := range list {
		serials = append(serials, c.Serial)
	}
	if want := []string{birth[0].Serial, both[1].Serial, both[0].Serial, res[0].Serial}; !slices.Equal(serials, want) {
		// Same second: the batch order decides.
		t.Errorf("list %v, want %v", serials, want)
	}
	if d := decodeStrict[core.Dossier](t, e.api("/api/v1/me/dossier", tok)); len(d.Certificates) != 4 {
		t.Errorf("dossier certificates %d", len(d.Certificates))
	}
	if l := decodeStrict[[]core.Certificate](t, e.api("/api/v1/me/certificates", e.token(elena.FiscalCode))); len(l) != 0 {
		t.Errorf("Elena's list %+v", l)
	}

	// The PDF: for Marco, not for Elena.
	pdf := e.api("/api/v1/me/certificates/"+both[0].Serial+"/pdf", tok)
	if pdf.status != http.StatusOK || pdf.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF: %d %s %s", pdf.status, pdf.header.Get("Content-Type"), pdf.body)
	}
	if !bytes.HasPrefix(pdf.body, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimSpace(pdf.body), []byte("%%EOF")) {
		t.Error("not a PDF")
	}
	text := certs.Text(pdf.body)
	for _, want := range []string{certs.MandatorySentence, "CERTIFICATO DI STATO DI FAMIGLIA", both[0].Serial,
		"BRAMBILLA ELENA", "copia 1 di 2", "Attività sportiva dilettantistica", "DPR 642/1972 Tab. B art. 8-bis"} {
		if !strings.Contains(text, want) && !strings.Contains(text, strings.ToLower(want[:1])+want[1:]) {
			t.Errorf("the PDF does not say %q: %s", want, text)
		}
	}
	if cc := pdf.header.Get("Cache-Control"); !strings.Contains(cc, "private") {
		t.Errorf("PDF Cache-Control %q", cc)
	}
	if nm := e.api("/api/v1/me/certificates/"+both[0].Serial+"/pdf", tok, "If-None-Match: "+pdf.header.Get("ETag")); nm.status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", nm.status)
	}
	for _, who := range []string{elena.FiscalCode, tw.person(t, "Giuseppe Ferrari").FiscalCode} {
		checkProblem(t, e.api("/api/v1/me/certificates/"+both[0].Serial+"/pdf", e.token(who)), http.StatusNotFound,
			core.ProblemNotFound, "/api/v1/me/certificates/"+both[0].Serial+"/pdf")
	}
	checkProblem(t, e.api("/api/v1/me/certificates/2026-0000000000/pdf", tok), http.StatusNotFound, core.ProblemNotFound,
		"/api/v1/me/certificates/2026-0000000000/pdf")
	wantUnauthorized(t, e.api("/api/v1/me/certificates/"+both[0].Serial+"/pdf", ""), "/api/v1/me/certificates/"+both[0].Serial+"/pdf")

	// The glyph in the PDF is the certificate's, and verifies with the
	// signer key of the trust list, which verifies with the anchor.
	g, err := certs.GlyphFromPDF(pdf.body)
	if err != nil {
		t.Fatal(err)
	}
	if g != both[0].Glyph {
		t.Error("the PDF's QR code is not the certificate's glyph")
	}
	p, err := glyph.Decode(g)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Verify(e.trustAnchor()); err != nil {
		t.Fatal(err)
	}
	m := tw.ds.Municipality
	if c := p.Claims; c.Issuer != m.ISTAT || c.Serial != both[0].Serial || c.Type != "stato_di_famiglia" ||
		c.Holder.Surname != "Brambilla" || len(c.Family) != 4 || c.StampDuty.ExemptionCode != "sport_dilettantistico" ||
		c.Expires == nil || core.DateOf(*c.Expires) != *both[0].ValidUntil {
		t.Errorf("claims %+v", c)
	}
}

func TestIssueRefusals(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	tw := newTown()
	now := e.clock.Now()
	marco, elena := tw.person(t, "Marco Colombo"), tw.person(t, "Elena Brambilla")
	tommaso, giulia := tw.person(t, "Tommaso Colombo"), tw.person(t, "Giulia Colombo")
	if !minorOn(tommaso, now) || minorOn(giulia, now) {
		t.Skip("the demo's ages changed")
	}
	ferrari := tw.person(t, "Giuseppe Ferrari")
	unknown := "RSSMRA80A01H501U" // valid, not in the registry
	if codicefiscale.Validate(unknown) != nil {
		t.Fatal("the unknown fiscal code is not valid")
	}
	tok := e.token(marco.FiscalCode)
	day := e.yesterday()
	tomorrow := core.DateOf(now.AddDate(0, 0, 1)).String()

	// One marca is used, to be reused below.
	issued(t, e.issue(tok, "", marcaBody("residenza", "", day, "11111111111111")))
	before := e.counts()

	path := "/api/v1/me/certificates"
	for _, tc := range []struct {
		name, query, body string
		headers           []string
		status            int
		typ               string
		want              []core.InvalidParam
	}{
		{"unknown type", "", `{"type":"porto_d_armi"}`, nil, 400, core.ProblemInvalid,
			[]core.InvalidParam{{Name: "type", Reason: "type_unknown"}}},
		{"no type", "", `{}`, nil, 400, core.ProblemInvalid, []core.InvalidParam{{Name: "type", Reason: "required"}}},
		{"subject not in the family", "", `{"type":"nascita","subject":"` + ferrari.FiscalCode + `"}`, nil, 400,
			core.ProblemInvalid, []core.InvalidParam{{Name: "subject", Reason: "subject_not_in_family"}}},
		{"subject not in the registry", "", `{"type":"nascita","subject":"` + unknown + `"}`, nil, 400,
			core.ProblemInvalid, []core.InvalidParam{{Name: "subject", Reason: "subject_not_in_family"}}},
		{"malformed subject", "", `{"type":"nascita","subject":"CLMMRC74C15F205A"}`, nil, 400,
			core.ProblemInvalid, []core.InvalidParam{{Name: "subject", Reason: "fiscal_code_malformed"}}},
		{"stato libero for another", "", `{"type":"stato_libero","subject":"` + giulia.FiscalCode + `","stamp_duty":{"exemption":"elettorale"}}`,
			nil, 400, core.ProblemInvalid, []core.InvalidParam{{Name: "subject", Reason: "subject_self_only"}}},
		{"stato libero when married", "", `{"type":"stato_libero","stamp_duty":{"exemption":"elettorale"}}`,
			nil, 400, core.ProblemInvalid, []core.InvalidParam{{Name: "subject", Reason: "subject_not_free"}}},
		{"matrimonio when single", "", `{"type":"matrimonio","subject":"` + giulia.FiscalCode + `"}`,
			nil, 400, core.ProblemInvalid, []core.InvalidParam{{Name: "subject", Reason: "subject_not_married"}}},
		{"malformed marca", "", marcaBody("residenza", "", day, "1234567890123"), nil, 400, core.ProblemInvalid,
			[]core.InvalidParam{{Name: "stamp_duty.marcas[0].id", Reason: "marca_id_malformed"}}},
		{"marca from the future", "", marcaBody("residenza", "", tomorrow, "22222222222222"), nil, 400, core.ProblemInvalid,
			[]core.InvalidParam{{Name: "stamp_duty.marcas[0].date", Reason: "marca_date_future"}}},
		{"marca reused", "", marcaBody("residenza", elena.FiscalCode, day, "33333333333333", "11111111111111"), nil, 400,
			core.ProblemInvalid, []core.InvalidParam{{Name: "stamp_duty.marcas[1].id", Reason: "marca_reused"}}},
		{"marca twice", "", marcaBody("residenza", "", day, "44444444444444", "44444444444444"), nil, 400,
			core.ProblemInvalid, []core.InvalidParam{{Name: "stamp_duty.marcas[1].id", Reason: "marca_duplicate"}}},
		{"one marca for two copies", "", `{"type":"residenza","copies":2,"stamp_duty":{"marcas":[{"id":"55555555555555","date":"` + day + `"}]}}`,
			nil, 400, core.ProblemInvalid, []core.InvalidParam{{Name: "stamp_duty.marcas", Reason: "marca_count_mismatch"}}},
		{"no stamp duty", "", `{"type":"residenza"}`, nil, 400, core.ProblemInvalid,
			[]core.InvalidParam{{Name: "stamp_duty", Reason: "stamp_duty_required"}}},
		{"exemption on an exempt type", "", `{"type":"cittadinanza","stamp_duty":{"exemption":"elettorale"}}`, nil, 400,
			core.ProblemInvalid, []core.InvalidParam{{Name: "stamp_duty.exemption", Reason: "type_always_exempt"}}},
		{"unknown exemption", "", `{"type":"residenza","stamp_duty":{"exemption":"ferie"}}`, nil, 400,
			core.ProblemInvalid, []core.InvalidParam{{Name: "stamp_duty.exemption", Reason: "exemption_unknown"}}},
		{"too many copies", "", `{"type":"nascita","copies":4}`, nil, 400, core.ProblemInvalid,
			[]core.InvalidParam{{Name: "copies", Reason: "copies_out_of_range"}}},
		{"bad idempotency key", "", `{"type":"nascita"}`, []string{"Idempotency-Key: a\tb"}, 400, core.ProblemInvalid,
			[]core.InvalidParam{{Name: "Idempotency-Key", Reason: "idempotency_key_malformed"}}},
		{"two idempotency keys", "", `{"type":"nascita"}`, []string{"Idempotency-Key: a", "Idempotency-Key: b"}, 400, core.ProblemInvalid,
			[]core.InvalidParam{{Name: "Idempotency-Key", Reason: "idempotency_key_malformed"}}},
		{"not JSON", "", `type=nascita`, nil, 400, core.ProblemBadRequest, nil},
		{"unknown field", "", `{"type":"nascita","urgent":true}`, nil, 400, core.ProblemBadRequest, nil},
		{"two documents", "", `{"type":"nascita"}{}`, nil, 400, core.ProblemBadRequest, nil},
		{"acting for an adult", "?acting_for=" + giulia.FiscalCode, `{"type":"nascita"}`, nil, 403, core.ProblemForbidden, nil},
		{"acting for a stranger", "?acting_for=" + ferrari.FiscalCode, `{"type":"nascita"}`, nil, 403, core.ProblemForbidden, nil},
		{"acting for a malformed code", "?acting_for=XYZ", `{"type":"nascita"}`, nil, 400, core.ProblemBadRequest, nil},
		{"acting for: the minor's subject outside the family", "?acting_for=" + tommaso.FiscalCode,
			`{"type":"nascita","subject":"` + ferrari.FiscalCode + `"}`, nil, 400, core.ProblemInvalid,
			[]core.InvalidParam{{Name: "subject", Reason: "subject_not_in_family"}}},
	} {
		a := e.issue(tok, tc.query, tc.body, tc.headers...)
		p := checkProblem(t, a, tc.status, tc.typ, path)
		if !slices.Equal(p.InvalidParams, tc.want) {
			t.Errorf("%s: invalid_params %+v, want %+v", tc.name, p.InvalidParams, tc.want)
		}
		if got := e.counts(); got != before {
			t.Errorf("%s: rows %v, want %v: something was left behind", tc.name, got, before)
		}
	}
	wantUnauthorized(t, send(t, http.MethodPost, e.url+path, `{"type":"nascita"}`), path)

	// A parent acting for a minor: issued to the minor, about the minor or
	// a member of the family; the parent downloads it with or without
	// acting_for, the minor's sister not at all.
	act := "?acting_for=" + tommaso.FiscalCode
	mine := issued(t, e.issue(tok, act, `{"type":"residenza","stamp_duty":{"exemption":"scuola_borse_studio"}}`))
	about := issued(t, e.issue(tok, act, `{"type":"nascita","subject":"`+elena.FiscalCode+`"}`))
	if mine[0].Subject.FiscalCode != tommaso.FiscalCode || about[0].Subject.FiscalCode != elena.FiscalCode {
		t.Errorf("acting for: %+v %+v", mine, about)
	}
	if l := decodeStrict[[]core.Certificate](t, e.api("/api/v1/me/certificates"+act, tok)); len(l) != 2 {
		t.Errorf("the minor's list has %d", len(l))
	}
	if l := decodeStrict[[]core.Certificate](t, e.api("/api/v1/me/certificates", tok)); len(l) != 1 {
		t.Errorf("the parent's list has %d", len(l))
	}
	for _, q := range []string{"", act} {
		if a := e.api("/api/v1/me/certificates/"+mine[0].Serial+"/pdf"+q, tok); a.status != http.StatusOK {
			t.Errorf("parent's download%s: %d", q, a.status)
		}
	}
	if a := e.api("/api/v1/me/certificates/"+mine[0].Serial+"/pdf", e.token(giulia.FiscalCode)); a.status != http.StatusNotFound {
		t.Errorf("sister's download: %d", a.status)
	}
	// Acting for the minor does not reach the parent's own certificates.
	own := decodeStrict[[]core.Certificate](t, e.api("/api/v1/me/certificates", tok))[0]
	if a := e.api("/api/v1/me/certificates/"+own.Serial+"/pdf"+act, tok); a.status != http.StatusNotFound {
		t.Errorf("parent's own certificate while acting for the minor: %d", a.status)
	}
}

func TestIssueIdempotency(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	tw := newTown()
	marco, elena := tw.person(t, "Marco Colombo"), tw.person(t, "Elena Brambilla")
	tok := e.token(marco.FiscalCode)
	body := marcaBody("stato_di_famiglia", "", e.yesterday(), "66666666666666", "77777777777777")
	key := "Idempotency-Key: 5f0c6d1e-8a43-4c1b-9d0e-2b7f1e3a9c44"

	first := e.issue(tok, "", body, key)
	certsFirst := issued(t, first)
	after := e.counts()
	if after != [3]int{2, 2, 1} {
		t.Fatalf("rows %v", after)
	}
	// The same request again, even spelt differently: the same answer.
	again := e.issue(tok, "", strings.Replace(body, `"subject":""`, `"subject":"`+strings.ToLower(marco.FiscalCode)+`"`, 1), key)
	if again.status != http.StatusCreated || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %s", again.status, again.body)
	}
	if got := e.counts(); got != after {
		t.Errorf("replay issued again: %v", got)
	}
	// Another request with the key: 409, nothing issued.
	other := e.issue(tok, "", marcaBody("residenza", "", e.yesterday(), "88888888888888"), key)
	checkProblem(t, other, http.StatusConflict, core.ProblemIdempotencyKeyReused, "/api/v1/me/certificates")
	if got := e.counts(); got != after {
		t.Errorf("conflict issued: %v", got)
	}
	// Without the key, the same body is a new request: the marcas are used.
	p := checkProblem(t, e.issue(tok, "", body), http.StatusBadRequest, core.ProblemInvalid, "/api/v1/me/certificates")
	if len(p.InvalidParams) != 2 || p.InvalidParams[0].Reason != "marca_reused" {
		t.Errorf("without the key: %+v", p.InvalidParams)
	}
	// Another citizen's key space is their own.
	elenaTok := e.token(elena.FiscalCode)
	if a := e.issue(elenaTok, "", `{"type":"nascita"}`, key); a.status != http.StatusCreated {
		t.Errorf("Elena with the same key: %d %s", a.status, a.body)
	}

	// Concurrent repeats of one request issue it once.
	key2 := "Idempotency-Key: concurrent-1"
	var wg sync.WaitGroup
	answers := make([]answer, 8)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = e.issue(tok, "", `{"type":"nascita","copies":2}`, key2)
		}()
	}
	wg.Wait()
	for _, a := range answers {
		if a.status != http.StatusCreated || !bytes.Equal(a.body, answers[0].body) {
			t.Errorf("concurrent: %d %s", a.status, a.body)
		}
	}
	if got := e.counts(); got[0] != after[0]+1+2 {
		t.Errorf("concurrent repeats issued %d certificates", got[0]-after[0]-1)
	}
	_ = certsFirst
}

func TestTrustAndRevocationLists(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	tw := newTown()
	tok := e.token(tw.person(t, "Marco Colombo").FiscalCode)
	keys, _ := e.certs.Keys()
	anchor := &keys.Anchor.PublicKey

	tl := e.trustAnchor()
	if tl.Issuer != tw.ds.Municipality.ISTAT || len(tl.Signers) != 1 || !tl.Signers[0].Public.Equal(&keys.Signers[0].Key.PublicKey) {
		t.Errorf("trust list %+v", tl)
	}
	a := get(t, e.url+"/api/v1/trust-list")
	if nm := get(t, e.url+"/api/v1/trust-list", "If-None-Match: "+a.header.Get("ETag")); nm.status != http.StatusNotModified {
		t.Errorf("trust list If-None-Match: %d", nm.status)
	}
	if cc := a.header.Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
		t.Errorf("Cache-Control %q", cc)
	}

	revs := func() (*certificates.RevocationList, answer) {
		a := get(t, e.url+"/api/v1/revocations")
		if a.status != http.StatusOK || a.header.Get("Content-Type") != certificates.MediaType {
			t.Fatalf("revocations: %d %q", a.status, a.header.Get("Content-Type"))
		}
		rl, err := certificates.ParseRevocationList(a.body, anchor)
		if err != nil {
			t.Fatal(err)
		}
		return rl, a
	}
	rl, first := revs()
	if rl.Sequence != 0 || len(rl.Hashes) != 0 {
		t.Errorf("revocations %+v", rl)
	}
	c := issued(t, e.issue(tok, "", `{"type":"nascita"}`))[0]
	if err := e.certs.Revoke(context.Background(), c.Serial); err != nil {
		t.Fatal(err)
	}
	rl, second := revs()
	if rl.Sequence != 1 || !rl.Revoked(c.Serial) || second.header.Get("ETag") == first.header.Get("ETag") {
		t.Errorf("after revoking: %+v", rl)
	}
	if l := decodeStrict[[]core.Certificate](t, e.api("/api/v1/me/certificates", tok)); !l[0].Revoked {
		t.Error("the list does not say revoked")
	}
	// An hour on, the lists are signed again with a fresh time.
	e.clock.Advance(2 * time.Hour)
	if rl2, _ := revs(); !rl2.IssuedAt.After(rl.IssuedAt) || rl2.Sequence != 1 {
		t.Errorf("an hour on: %+v", rl2)
	}

	// Incremental sync: the chunk after a sequence, and a new snapshot for
	// a sequence the server never reached.
	tok = e.token(tw.person(t, "Marco Colombo").FiscalCode) // the first one expired with the clock
	c2 := issued(t, e.issue(tok, "", `{"type":"nascita"}`))[0]
	if err := e.certs.Revoke(context.Background(), c2.Serial); err != nil {
		t.Fatal(err)
	}
	chunk := func(since string) *certificates.RevocationList {
		a := get(t, e.url+"/api/v1/revocations?since="+since)
		if a.status != http.StatusOK {
			t.Fatalf("since=%s: %d %s", since, a.status, a.body)
		}
		rl, err := certificates.ParseRevocationList(a.body, anchor)
		if err != nil {
			t.Fatal(err)
		}
		return rl
	}
	for _, c := range []struct {
		since                   string
		wantSince, wantSeq, len uint64
	}{{"0", 0, 2, 2}, {"1", 1, 2, 1}, {"2", 2, 2, 0}, {"9", 0, 2, 2}} {
		rl := chunk(c.since)
		if rl.Since != c.wantSince || rl.Sequence != c.wantSeq || rl.Latest != 2 || uint64(len(rl.Hashes)) != c.len {
			t.Errorf("since=%s: since %d sequence %d latest %d, %d entries", c.since, rl.Since, rl.Sequence, rl.Latest, len(rl.Hashes))
		}
	}
	if rl := chunk("1"); !rl.Revoked(c2.Serial) || rl.Revoked(c.Serial) {
		t.Error("the chunk after 1 holds the wrong revocation")
	}
	for _, bad := range []string{"-1", "x", "1.5", ""} {
		checkProblem(t, get(t, e.url+"/api/v1/revocations?since="+bad), http.StatusBadRequest, core.ProblemInvalid, "/api/v1/revocations")
	}

	// The anchor as verifiers pin it.
	pa := get(t, e.url+"/api/v1/trust-anchor")
	pinned, err := certificates.ParsePublicKeyPEM(pa.body)
	if pa.status != http.StatusOK || err != nil || !pinned.Equal(anchor) || pa.header.Get("Content-Type") != "application/x-pem-file" {
		t.Errorf("trust anchor: %d %q %v", pa.status, pa.header.Get("Content-Type"), err)
	}
}

func TestCertificateCatalogue(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	ts, _ := seededServer(t)
	for _, path := range []string{"/api/v1/certificate-types", "/api/v1/stamp-duty-exemptions"} {
		it := get(t, ts.URL+path)
		en := get(t, ts.URL+path, "Accept-Language: en-GB,en;q=0.9")
		if it.status != 200 || en.status != 200 || bytes.Equal(it.body, en.body) {
			t.Fatalf("%s: %d %d", path, it.status, en.status)
		}
		if it.header.Get("Content-Language") != "it" || en.header.Get("Content-Language") != "en" ||
			!strings.Contains(en.header.Get("Vary"), "Accept-Language") {
			t.Errorf("%s: headers %v", path, en.header)
		}
		if nm := get(t, ts.URL+path, "Accept-Language: en", "If-None-Match: "+en.header.Get("ETag")); nm.status != http.StatusNotModified {
			t.Errorf("%s: If-None-Match: %d", path, nm.status)
		}
		for _, a := range []answer{it, en} {
			var v any
			json.Unmarshal(a.body, &v)
			for _, err := range validate(doc, responseSchema(t, doc, path, 200, "application/json"), v, path) {
				t.Error(err)
			}
		}
	}
	types := decodeStrict[[]certificates.TypeInfo](t, get(t, ts.URL+"/api/v1/certificate-types", "Accept-Language: en"))
	if len(types) != 9 || types[0].Name != "Certificate of residence" || types[6].ValidityMonths != 0 || !types[6].AlwaysExempt {
		t.Errorf("types %+v", types)
	}
	// Without a certificate service the lists are not there.
	checkProblem(t, get(t, ts.URL+"/api/v1/trust-list"), http.StatusNotFound, core.ProblemNotFound, "/api/v1/trust-list")
}
