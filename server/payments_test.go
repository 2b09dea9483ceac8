package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/certs"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/store"
)

// staticToken is an Authorizer with one access token.
type staticToken string

func (s staticToken) Token(context.Context, bool) (string, error) { return string(s), nil }

// faulty lets the server handle a request, commit and answer into the
// void, then closes the connection: for a share of the requests the client
// never learns the outcome.
type faulty struct {
	h       http.Handler
	percent atomic.Int64
	mu      sync.Mutex
	rnd     *rand.Rand
	dropped atomic.Int64
	served  atomic.Int64
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.served.Add(1)
	f.mu.Lock()
	drop := f.rnd.IntN(100) < int(f.percent.Load())
	f.mu.Unlock()
	if !drop {
		f.h.ServeHTTP(w, r)
		return
	}
	f.h.ServeHTTP(httptest.NewRecorder(), r) // the server does all its work
	f.dropped.Add(1)
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		conn.Close()
	}
}

// payEnv is a demo server with sign-in behind the faulty middleware.
type payEnv struct {
	t      testing.TB
	url    string
	st     *store.Store
	p      *auth.Provider
	clock  *clock
	fault  *faulty
	client *api.Client
	cf     string
	tok    staticToken
}

func newPayEnv(t testing.TB) *payEnv {
	t.Helper()
	file := filepath.Join(t.TempDir(), "sportello.db")
	st, err := OpenStore(context.Background(), file, true, testNow)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	c := newClock()
	p, err := NewAuth(st, SignIn{Issuer: base, KeyFile: auth.KeyFile(file), TestIdP: true, Now: c.Now}, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	cs, err := certs.New(st, file, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	f := &faulty{h: New(st, discardLog(), WithAuth(p), WithClock(c.Now), WithCertificates(cs)).Handler(), rnd: rand.New(rand.NewPCG(8, 8))}
	ts.Config.Handler = f
	ts.Start()
	t.Cleanup(ts.Close)
	client, err := api.New(base, api.Options{Timeout: 10 * time.Second, Retries: 8})
	if err != nil {
		t.Fatal(err)
	}
	e := &payEnv{t: t, url: base, st: st, p: p, clock: c, fault: f, client: client}
	e.cf = demoAdultCF(t, 0)
	e.tok = staticToken(e.token(e.cf))
	return e
}

func demoAdultCF(t testing.TB, i int) string {
	limit := time.Now().AddDate(-18, 0, 0)
	for _, c := range demo.Generate(testNow).Citizens {
		if !c.BirthDate.After(limit) {
			if i == 0 {
				return c.FiscalCode
			}
			i--
		}
	}
	t.Fatal("not enough adults")
	return ""
}

func (e *payEnv) token(cf string) string {
	e.t.Helper()
	tok, err := e.p.IssueAccessToken(context.Background(), cf, 24*time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// newFine records a fine for plate notified today.
func (e *payEnv) newFine(plate string) core.Fine {
	e.t.Helper()
	now := e.clock.Now()
	f, err := e.st.RecordFine(context.Background(), store.NewFine{Plate: plate, VehicleType: core.Car, CommittedAt: now.Add(-time.Hour),
		NotifiedOn: core.DateOf(now), Place: "Via Roma 1, Valdoria", Article: "art. 7 c. 1 CdS", Description: "Sosta vietata",
		ReducedCents: 2940, MinimumCents: 4200, LateCents: 8650}, demo.SegregationCode)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

func ref(notice string) core.NoticeRef {
	return core.NoticeRef{NoticeNumber: notice, CreditorFiscalCode: demo.FiscalCode}
}

var loopbackReturn = core.ReturnURLs{OK: "http://127.0.0.1:5555/pay?x=1", Cancel: "http://[::1]:5555/cancel", Error: "it.sportello.app:/payment/error"}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// browser is the payer's browser: no redirects followed, each request
// repeated (up to tries) when the connection drops.
func browser(t testing.TB, method, u string, form url.Values, tries int) (int, http.Header, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for attempt := 1; ; attempt++ {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, u, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := client.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil {
				return resp.StatusCode, resp.Header, string(b)
			}
			err = rerr
		}
		if attempt >= tries {
			t.Fatalf("%s %s: %v", method, u, err)
		}
	}
}

// csrfOf opens the checkout page and reads its form's token.
func csrfOf(t testing.TB, pageURL string, tries int) string {
	t.Helper()
	status, _, page := browser(t, http.MethodGet, pageURL, nil, tries)
	m := csrfField.FindStringSubmatch(page)
	if status != http.StatusOK || m == nil {
		t.Fatalf("GET %s: %d, no form token: %s", pageURL, status, page)
	}
	return m[1]
}

// postPay posts the card form: the redirect's Location, or the page.
func postPay(t testing.TB, pageURL, csrf, card string, tries int) (int, string) {
	t.Helper()
	form := url.Values{"csrf": {csrf}, "card_number": {card}, "expiry": {"12/39"}, "cvv": {"123"}, "holder": {"Mario Rossi"}}
	status, h, body := browser(t, http.MethodPost, pageURL+"/pay", form, tries)
	if status == http.StatusSeeOther {
		return status, h.Get("Location")
	}
	return status, body
}

// payInBrowser opens the checkout page and pays with card.
func payInBrowser(t testing.TB, pageURL, card string, tries int) (int, string) {
	t.Helper()
	return postPay(t, pageURL, csrfOf(t, pageURL, tries), card, tries)
}

func TestPlates(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	ctx := context.Background()
	doc := loadOpenAPI(t)
	// Malformed plates, a missing declaration: invalid_params with reasons.
	for _, tc := range []struct {
		reg    core.PlateRegistration
		field  string
		reason string
	}{
		{core.PlateRegistration{Plate: "AB12CD", Relation: core.PlateOwner}, "plate", core.ReasonPlateFormat},
		{core.PlateRegistration{Plate: "AO 123 CD", Relation: core.PlateOwner}, "plate", core.ReasonPlateLetters},
		{core.PlateRegistration{Plate: "", Relation: core.PlateOwner}, "plate", core.ReasonRequired},
		{core.PlateRegistration{Plate: "AB 123 CD", Relation: "thief"}, "relation", core.ReasonPlateRelation},
		{core.PlateRegistration{Plate: "AB 123 CD", Relation: core.PlateUser}, "declaration", core.ReasonDeclarationRequired},
	} {
		_, err := e.client.RegisterPlate(ctx, e.tok, tc.reg)
		var p *core.Problem
		if !errors.As(err, &p) || p.Type != core.ProblemInvalid || len(p.InvalidParams) != 1 ||
			p.InvalidParams[0] != (core.InvalidParam{Name: tc.field, Reason: tc.reason}) {
			t.Errorf("%+v: %v (%+v)", tc.reg, err, p)
		}
	}
	// Five plates, the sixth refused; registering one again renews it.
	plates := []string{"AB 123 CD", "EF 456 GH", "LM 789 NP", "RS 12345", "TV 321 ZA"}
	for i, pl := range plates {
		rel, decl := core.PlateOwner, false
		if i%2 == 1 {
			rel, decl = core.PlateUser, true
		}
		got, err := e.client.RegisterPlate(ctx, e.tok, core.PlateRegistration{Plate: pl, Relation: rel, Declaration: decl})
		if err != nil {
			t.Fatal(err)
		}
		if (got.ExpiresAt != nil) != (rel == core.PlateUser) || got.Expired {
			t.Errorf("%s: %+v", pl, got)
		}
	}
	if got, _ := e.client.Plates(ctx, e.tok); len(got) != 5 || got[3].Plate != "RS12345" || got[3].VehicleType != core.Motorcycle {
		t.Errorf("plates %+v", got)
	}
	_, err := e.client.RegisterPlate(ctx, e.tok, core.PlateRegistration{Plate: "ZZ 999 ZZ", Relation: core.PlateOwner})
	if !core.IsProblem(err, core.ProblemPlateLimit) {
		t.Errorf("sixth plate: %v", err)
	}
	if _, err := e.client.RegisterPlate(ctx, e.tok, core.PlateRegistration{Plate: "ab-123-cd", Relation: core.PlateOwner}); err != nil {
		t.Errorf("again: %v", err)
	}
	// acting_for is refused: plates belong to adults.
	a := send(t, http.MethodGet, e.url+"/api/v1/me/plates?acting_for="+e.cf, "", "Authorization: Bearer "+string(e.tok))
	checkProblem(t, a, http.StatusForbidden, core.ProblemForbidden, "/api/v1/me/plates")
	// Answers follow the document.
	for _, path := range []string{"/api/v1/me/plates", "/api/v1/me/fines/notices"} {
		a := get(t, e.url+path, "Authorization: Bearer "+string(e.tok))
		var v any
		if err := json.Unmarshal(a.body, &v); err != nil {
			t.Fatal(err)
		}
		for _, err := range validate(doc, responseSchema(t, doc, path, a.status, "application/json"), v, path) {
			t.Error(err)
		}
	}

	// A fine for a used plate shows; once the declaration lapses, new fines
	// do not, until it is confirmed again.
	f1 := e.newFine("EF456GH")
	list, err := e.client.Fines(ctx, e.tok)
	if err != nil {
		t.Fatal(err)
	}
	var found *core.FineNotice
	for i := range list.Fines {
		if list.Fines[i].NoticeNumber == f1.NoticeNumber {
			found = &list.Fines[i]
		}
	}
	if found == nil || found.Source != "registered" || found.AmountDueCents != 2940 || found.Tier != core.FineReduced ||
		found.Status != core.FineToPay || found.CreditorFiscalCode != demo.FiscalCode || len(list.ExpiredPlates) != 0 {
		t.Fatalf("fine of a registered plate: %+v in %+v", found, list)
	}
	a = get(t, e.url+"/api/v1/me/fines/notices", "Authorization: Bearer "+string(e.tok))
	var v any
	_ = json.Unmarshal(a.body, &v)
	for _, err := range validate(doc, responseSchema(t, doc, "/api/v1/me/fines/notices", 200, "application/json"), v, "fines") {
		t.Error(err)
	}
	// The dossier agrees.
	dossierFines := get(t, e.url+"/api/v1/me/fines", "Authorization: Bearer "+string(e.tok))
	if !strings.Contains(string(dossierFines.body), f1.NoticeNumber) {
		t.Errorf("the dossier's fines miss %s", f1.NoticeNumber)
	}

	e.clock.Advance(366 * 24 * time.Hour)
	e.tok = staticToken(e.token(e.cf))
	f2 := e.newFine("EF456GH")
	list, err = e.client.Fines(ctx, e.tok)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(list.ExpiredPlates, ",") != "EF456GH,RS12345" {
		t.Errorf("expired plates %v", list.ExpiredPlates)
	}
	for _, f := range list.Fines {
		if f.NoticeNumber == f2.NoticeNumber {
			t.Error("a fine after the declaration lapsed is listed")
		}
		if f.NoticeNumber == f1.NoticeNumber && (f.Status != core.FineOverdue || f.AmountDueCents != 8650) {
			t.Errorf("a year later: %+v", f)
		}
	}
	if p, err := e.client.ConfirmPlate(ctx, e.tok, "EF 456 GH"); err != nil || p.Expired {
		t.Fatalf("confirm: %+v %v", p, err)
	}
	list, _ = e.client.Fines(ctx, e.tok)
	if !strings.Contains(fmt.Sprint(list), f2.NoticeNumber) {
		t.Error("confirmed again, the new fine is not listed")
	}
	if _, err := e.client.ConfirmPlate(ctx, e.tok, "ZZ 999 ZZ"); !core.IsProblem(err, core.ProblemNotFound) {
		t.Errorf("confirm an unregistered plate: %v", err)
	}
	// Removing is idempotent.
	for range 2 {
		if err := e.client.RemovePlate(ctx, e.tok, "EF456GH"); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := e.client.Plates(ctx, e.tok); len(got) != 4 {
		t.Errorf("after removal %d plates", len(got))
	}
}

func TestVerifyAndCheckout(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	ctx := context.Background()
	doc := loadOpenAPI(t)
	f := e.newFine("AB123CD")
	v, err := e.client.VerifyNotice(ctx, e.tok, ref(f.NoticeNumber))
	if err != nil || v.AmountCents != 2940 || v.Kind != core.NoticeFine {
		t.Fatalf("verify: %+v %v", v, err)
	}
	// Malformed references: invalid_params reasons.
	good := ref(f.NoticeNumber)
	for _, tc := range []struct {
		r             core.NoticeRef
		field, reason string
	}{
		{core.NoticeRef{NoticeNumber: "12345", CreditorFiscalCode: good.CreditorFiscalCode}, "notice_number", core.ReasonNoticeLength},
		{core.NoticeRef{NoticeNumber: "3471234567890123AB", CreditorFiscalCode: good.CreditorFiscalCode}, "notice_number", core.ReasonNoticeDigits},
		{core.NoticeRef{NoticeNumber: "947123456789012345", CreditorFiscalCode: good.CreditorFiscalCode}, "notice_number", core.ReasonNoticeAux},
		{core.NoticeRef{NoticeNumber: f.NoticeNumber[:16] + "00", CreditorFiscalCode: good.CreditorFiscalCode}, "notice_number", core.ReasonNoticeCheck},
		{core.NoticeRef{NoticeNumber: f.NoticeNumber, CreditorFiscalCode: "80099990155"}, "creditor_fiscal_code", core.ReasonCreditorCheck},
		{core.NoticeRef{NoticeNumber: f.NoticeNumber, CreditorFiscalCode: "8009999015"}, "creditor_fiscal_code", core.ReasonCreditorLength},
	} {
		_, err := e.client.VerifyNotice(ctx, e.tok, tc.r)
		var p *core.Problem
		if !errors.As(err, &p) || p.Type != core.ProblemInvalid || len(p.InvalidParams) == 0 ||
			p.InvalidParams[0] != (core.InvalidParam{Name: tc.field, Reason: tc.reason}) {
			t.Errorf("%+v: %v (%+v)", tc.r, err, p)
		}
	}
	// Unknown notices: another creditor's, or none of this one.
	unknown := "347" + f.NoticeNumber[3:9] + "9999999"
	unknown += checkDigitsFor(unknown)
	for _, r := range []core.NoticeRef{{NoticeNumber: f.NoticeNumber, CreditorFiscalCode: "00000000000"}, ref(unknown)} {
		if _, err := e.client.VerifyNotice(ctx, e.tok, r); !core.IsProblem(err, core.ProblemPaymentUnknownNotice) {
			t.Errorf("%+v: %v", r, err)
		}
	}
	// Cancelled and expired fines.
	cancelled := e.newFine("AB123CD")
	if err := e.st.CancelFine(ctx, cancelled.NoticeNumber, core.DateOf(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.VerifyNotice(ctx, e.tok, ref(cancelled.NoticeNumber)); !core.IsProblem(err, core.ProblemPaymentCancelled) {
		t.Errorf("cancelled: %v", err)
	}
	old, err := e.st.RecordFine(ctx, store.NewFine{Plate: "AB123CD", VehicleType: core.Car, CommittedAt: e.clock.Now().AddDate(-6, 0, 0),
		NotifiedOn: core.DateOf(e.clock.Now().AddDate(-6, 0, 10)), Place: "x", Article: "art. 7", Description: "x",
		ReducedCents: 70, MinimumCents: 100, LateCents: 200}, demo.SegregationCode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.VerifyNotice(ctx, e.tok, ref(old.NoticeNumber)); !core.IsProblem(err, core.ProblemPaymentExpired) {
		t.Errorf("expired: %v", err)
	}
	// A seeded TARI instalment to pay, and a paid one.
	var tariToPay, tariPaid string
	for _, p := range demo.Generate(testNow).TARI {
		for _, in := range p.Instalments {
			if in.PaidOn == nil && tariToPay == "" {
				tariToPay = in.NoticeNumber
			}
			if in.PaidOn != nil && tariPaid == "" {
				tariPaid = in.NoticeNumber
			}
		}
	}
	if v, err := e.client.VerifyNotice(ctx, e.tok, ref(tariToPay)); err != nil || v.Kind != core.NoticeTARI {
		t.Errorf("TARI: %+v %v", v, err)
	}
	if _, err := e.client.VerifyNotice(ctx, e.tok, ref(tariPaid)); !core.IsProblem(err, core.ProblemPaymentDuplicated) {
		t.Errorf("paid TARI: %v", err)
	}

	// Checkout: refusals first.
	key := "key-1"
	req := core.CheckoutRequest{Notices: []core.NoticeRef{ref(f.NoticeNumber), ref(tariToPay)}, ReturnURLs: loopbackReturn}
	for name, bad := range map[string]core.ReturnURLs{
		"open redirect": {OK: "https://evil.example/", Cancel: loopbackReturn.Cancel, Error: loopbackReturn.Error},
		"other host":    {OK: "http://127.0.0.2:80/", Cancel: loopbackReturn.Cancel, Error: loopbackReturn.Error},
		"userinfo":      {OK: "http://evil.example@127.0.0.1/", Cancel: loopbackReturn.Cancel, Error: loopbackReturn.Error},
		"app host":      {OK: "it.sportello.app://evil.example/", Cancel: loopbackReturn.Cancel, Error: loopbackReturn.Error},
	} {
		_, err := e.client.CreateCheckout(ctx, e.tok, core.CheckoutRequest{Notices: req.Notices, ReturnURLs: bad}, "k-"+name)
		var p *core.Problem
		if !errors.As(err, &p) || p.Type != core.ProblemInvalid || p.InvalidParams[0] != (core.InvalidParam{Name: "return_urls.ok", Reason: core.ReasonReturnURLNotAllowed}) {
			t.Errorf("%s: %v", name, err)
		}
	}
	a := send(t, http.MethodPost, e.url+"/api/v1/payments/checkouts", `{"notices":[],"return_urls":{"ok":"","cancel":"","error":""}}`,
		"Authorization: Bearer "+string(e.tok), "Content-Type: application/json")
	if p := checkProblem(t, a, http.StatusBadRequest, core.ProblemInvalid, "/api/v1/payments/checkouts"); p.InvalidParams[0].Reason != core.ReasonIdempotencyKeyRequired {
		t.Errorf("no key: %+v", p)
	}
	six := core.CheckoutRequest{ReturnURLs: loopbackReturn}
	for range 6 {
		six.Notices = append(six.Notices, ref(f.NoticeNumber))
	}
	if _, err := e.client.CreateCheckout(ctx, e.tok, six, "six"); !core.IsProblem(err, core.ProblemInvalid) {
		t.Errorf("six notices: %v", err)
	}

	created, err := e.client.CreateCheckout(ctx, e.tok, req, key)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.client.CreateCheckout(ctx, e.tok, req, key)
	if err != nil || again != created {
		t.Errorf("same key: %+v %v, want %+v", again, err, created)
	}
	other := core.CheckoutRequest{Notices: req.Notices[:1], ReturnURLs: loopbackReturn}
	if _, err := e.client.CreateCheckout(ctx, e.tok, other, key); !core.IsProblem(err, core.ProblemIdempotencyKeyReused) {
		t.Errorf("same key, other body: %v", err)
	} else if p := (*core.Problem)(nil); errors.As(err, &p) && p.Status != http.StatusUnprocessableEntity {
		t.Errorf("same key, other body: status %d", p.Status)
	}
	// The notices are held.
	if _, err := e.client.VerifyNotice(ctx, e.tok, ref(f.NoticeNumber)); !core.IsProblem(err, core.ProblemPaymentOngoing) {
		t.Errorf("held notice: %v", err)
	}
	other2 := e.token(demoAdultCF(t, 1))
	if _, err := e.client.CreateCheckout(ctx, staticToken(other2), other, "k2"); !core.IsProblem(err, core.ProblemPaymentOngoing) {
		t.Errorf("second checkout: %v", err)
	}
	// Someone else's checkout is unknown.
	if _, err := e.client.Checkout(ctx, staticToken(other2), created.ID); !core.IsProblem(err, core.ProblemNotFound) {
		t.Errorf("someone else's checkout: %v", err)
	}
	c, err := e.client.Checkout(ctx, e.tok, created.ID)
	if err != nil || c.Status != core.CheckoutPending || len(c.Notices) != 2 || c.TotalCents != c.Notices[0].AmountCents+c.Notices[1].AmountCents {
		t.Fatalf("checkout %+v %v", c, err)
	}

	// The page, in both languages, then a wrong token, an invalid card, and
	// the test card that pays.
	for lang, word := range map[string]string{"it": "Annulla", "en": "Cardholder"} {
		a := get(t, created.URL, "Accept-Language: "+lang)
		if a.status != http.StatusOK || !strings.Contains(string(a.body), word) || !strings.Contains(string(a.body), "4242 4242 4242 4242") ||
			strings.Contains(string(a.body), "http://") && !strings.Contains(string(a.body), "http://127.0.0.1:5555") {
			t.Errorf("page %s: %d", lang, a.status)
		}
	}
	status, _, _ := browser(t, http.MethodPost, created.URL+"/pay", url.Values{"csrf": {"nope"}, "card_number": {TestCardOK}}, 1)
	if status != http.StatusForbidden {
		t.Errorf("wrong token: %d", status)
	}
	status, body := payInBrowser(t, created.URL, "1234 5678 9012 3456", 1)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "carta di prova") {
		t.Errorf("invalid card: %d", status)
	}
	token := csrfOf(t, created.URL, 1)
	status, loc := postPay(t, created.URL, token, "4242 4242 4242 4242", 1)
	want := "http://127.0.0.1:5555/pay?checkout=" + created.ID + "&outcome=ok&x=1"
	if status != http.StatusSeeOther || loc != want {
		t.Errorf("pay: %d %s, want %s", status, loc, want)
	}
	// Paying again pays nothing, and tells the outcome.
	if status, loc2 := postPay(t, created.URL, token, TestCardOK, 1); status != http.StatusSeeOther || loc2 != want {
		t.Errorf("pay again: %d %s", status, loc2)
	}
	c, err = e.client.Checkout(ctx, e.tok, created.ID)
	if err != nil || c.Status != core.CheckoutPaid || len(c.Payments) != 2 {
		t.Fatalf("paid checkout %+v %v", c, err)
	}
	a = get(t, e.url+"/api/v1/payments/checkouts/"+created.ID, "Authorization: Bearer "+string(e.tok))
	var cv any
	_ = json.Unmarshal(a.body, &cv)
	for _, err := range validate(doc, responseSchema(t, doc, "/api/v1/payments/checkouts/{id}", 200, "application/json"), cv, "checkout") {
		t.Error(err)
	}
	for _, p := range c.Payments {
		pdf, err := e.client.Receipt(ctx, e.tok, p.ID)
		if err != nil || len(pdf) < 500 {
			t.Errorf("receipt %s: %d bytes, %v", p.ID, len(pdf), err)
		}
		if _, err := e.client.Receipt(ctx, staticToken(other2), p.ID); !core.IsProblem(err, core.ProblemNotFound) {
			t.Errorf("someone else's receipt: %v", err)
		}
	}
	if _, err := e.client.VerifyNotice(ctx, e.tok, ref(f.NoticeNumber)); !core.IsProblem(err, core.ProblemPaymentDuplicated) {
		t.Errorf("paid notice: %v", err)
	}
	if _, err := e.client.CreateCheckout(ctx, e.tok, other, "k3"); !core.IsProblem(err, core.ProblemPaymentDuplicated) {
		t.Errorf("checkout of a paid notice: %v", err)
	}
	list, _ := e.client.Fines(ctx, staticToken(e.token(demoAdultCF(t, 0))))
	_ = list

	// Cancel and decline release the notices.
	g := e.newFine("AB123CD")
	cc, err := e.client.CreateCheckout(ctx, e.tok, core.CheckoutRequest{Notices: []core.NoticeRef{ref(g.NoticeNumber)}, ReturnURLs: loopbackReturn}, "k4")
	if err != nil {
		t.Fatal(err)
	}
	_, _, page := browser(t, http.MethodGet, cc.URL, nil, 1)
	status, h, _ := browser(t, http.MethodPost, cc.URL+"/cancel", url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}}, 1)
	if status != http.StatusSeeOther || h.Get("Location") != "http://[::1]:5555/cancel?checkout="+cc.ID+"&outcome=cancel" {
		t.Errorf("cancel: %d %s", status, h.Get("Location"))
	}
	cd, err := e.client.CreateCheckout(ctx, e.tok, core.CheckoutRequest{Notices: []core.NoticeRef{ref(g.NoticeNumber)}, ReturnURLs: loopbackReturn}, "k5")
	if err != nil {
		t.Fatalf("after cancel: %v", err)
	}
	if status, loc := payInBrowser(t, cd.URL, TestCardDeclined, 1); status != http.StatusSeeOther || loc != "it.sportello.app:/payment/error?checkout="+cd.ID+"&outcome=error" {
		t.Errorf("declined: %d %s", status, loc)
	}
	if c, _ := e.client.Checkout(ctx, e.tok, cd.ID); c.Status != core.CheckoutDeclined || len(c.Payments) != 0 {
		t.Errorf("declined checkout %+v", c)
	}
	// A checkout expires after 30 minutes and releases its notices.
	ce, err := e.client.CreateCheckout(ctx, e.tok, core.CheckoutRequest{Notices: []core.NoticeRef{ref(g.NoticeNumber)}, ReturnURLs: loopbackReturn}, "k6")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(31 * time.Minute)
	if c, _ := e.client.Checkout(ctx, e.tok, ce.ID); c.Status != core.CheckoutExpired {
		t.Errorf("expired checkout %+v", c)
	}
	if status, _, page := browser(t, http.MethodGet, ce.URL, nil, 1); status != http.StatusOK || strings.Contains(page, "csrf") ||
		!strings.Contains(page, "outcome=error") {
		t.Errorf("the page of an expired checkout: %d %s", status, page)
	}
	if _, err := e.client.VerifyNotice(ctx, e.tok, ref(g.NoticeNumber)); err != nil {
		t.Errorf("after expiry: %v", err)
	}
}

// checkDigitsFor completes a 16-digit aux-3 prefix.
func checkDigitsFor(prefix16 string) string {
	r := 0
	for i := 0; i < len(prefix16); i++ {
		r = (r*10 + int(prefix16[i]-'0')) % 93
	}
	return fmt.Sprintf("%02d", r)
}

// TestExactlyOnce drops the answer of a share of the requests after the
// server committed them; the client repeats what is safe to repeat. Over
// hundreds of carts no notice is paid twice and no receipt is lost.
func TestExactlyOnce(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	e.fault.percent.Store(20)
	const trials, workers = 300, 8
	deadline := time.Now().Add(25 * time.Second)
	var done, notices atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var expected []string
	jobs := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := range jobs {
				var refs []core.NoticeRef
				for j := 0; j <= i%3; j++ {
					refs = append(refs, ref(e.newFine("AB123CD").NoticeNumber))
				}
				created, err := e.client.CreateCheckout(ctx, e.tok, core.CheckoutRequest{Notices: refs, ReturnURLs: loopbackReturn}, fmt.Sprintf("trial-%d", i))
				if err != nil {
					t.Errorf("trial %d: checkout: %v", i, err)
					continue
				}
				status, loc := payInBrowser(t, created.URL, TestCardOK, 20)
				if status != http.StatusSeeOther || !strings.Contains(loc, "outcome=ok") {
					t.Errorf("trial %d: pay: %d %s", i, status, loc)
					continue
				}
				c, err := e.client.Checkout(ctx, e.tok, created.ID)
				if err != nil || c.Status != core.CheckoutPaid || len(c.Payments) != len(refs) {
					t.Errorf("trial %d: %+v %v", i, c, err)
					continue
				}
				for _, p := range c.Payments {
					if pdf, err := e.client.Receipt(ctx, e.tok, p.ID); err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
						t.Errorf("trial %d: receipt %s: %v", i, p.ID, err)
					}
				}
				mu.Lock()
				for _, r := range refs {
					expected = append(expected, r.CreditorFiscalCode+"-"+r.NoticeNumber)
				}
				mu.Unlock()
				notices.Add(int64(len(refs)))
				done.Add(1)
			}
		}()
	}
	for i := 0; i < trials && time.Now().Before(deadline); i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	counts, err := e.st.NoticePayments(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	duplicates := 0
	for _, n := range counts {
		if n != 1 {
			duplicates++
		}
	}
	lost := 0
	for _, k := range expected {
		if counts[k] != 1 {
			lost++
		}
	}
	t.Logf("%d trials, %d notices paid, %d requests, %d answers dropped; notices paid more than once: %d; lost: %d",
		done.Load(), notices.Load(), e.fault.served.Load(), e.fault.dropped.Load(), duplicates, lost)
	if duplicates != 0 || lost != 0 || len(counts) != int(notices.Load()) {
		t.Errorf("duplicates %d, lost %d, %d notices with payments, want %d", duplicates, lost, len(counts), notices.Load())
	}
	if done.Load() < 20 || e.fault.dropped.Load() == 0 { // -race on a busy machine runs far fewer
		t.Errorf("only %d trials, %d drops", done.Load(), e.fault.dropped.Load())
	}
}

// TestTwoDevices: two devices pay the same notice at once; exactly one
// succeeds, the other is told ongoing or duplicated.
func TestTwoDevices(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	other := staticToken(e.token(demoAdultCF(t, 1)))
	for round := 0; round < 20; round++ {
		f := e.newFine("AB123CD")
		var wg sync.WaitGroup
		var paid, refused atomic.Int64
		for d, tok := range []staticToken{e.tok, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				created, err := e.client.CreateCheckout(context.Background(), tok,
					core.CheckoutRequest{Notices: []core.NoticeRef{ref(f.NoticeNumber)}, ReturnURLs: loopbackReturn}, fmt.Sprintf("r%d-d%d", round, d))
				if core.IsProblem(err, core.ProblemPaymentOngoing) || core.IsProblem(err, core.ProblemPaymentDuplicated) {
					refused.Add(1)
					return
				}
				if err != nil {
					t.Errorf("round %d device %d: %v", round, d, err)
					return
				}
				if status, loc := payInBrowser(t, created.URL, TestCardOK, 1); status == http.StatusSeeOther && strings.Contains(loc, "outcome=ok") {
					paid.Add(1)
				}
			}()
		}
		wg.Wait()
		if paid.Load() != 1 || refused.Load() != 1 {
			t.Errorf("round %d: %d paid, %d refused", round, paid.Load(), refused.Load())
		}
	}
	counts, _ := e.st.NoticePayments(context.Background())
	for k, n := range counts {
		if n != 1 {
			t.Errorf("%s paid %d times", k, n)
		}
	}
}
