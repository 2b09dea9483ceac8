package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/pagopa"
	"github.com/sportello/sportello/server/store"
)

// The pagoPA sandbox page: what the real pagoPA Checkout shows the payer,
// reduced to a cart and a test card form. It is reached without a token
// (like the real Checkout, whoever holds the URL may pay); its forms carry
// the checkout's own token against cross-site requests, and every answer
// ends in a 303 to one of the checkout's return URLs, which were checked
// when it was created.

// The test cards of the sandbox.
const (
	TestCardOK       = "4242424242424242"
	TestCardDeclined = "4000000000000002"
)

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// sandboxText is the page in Italian and English.
var sandboxText = map[string]map[string]string{
	"it": {
		"title": "Pagamento pagoPA (ambiente di prova)", "cart": "Il tuo carrello", "notice": "Codice avviso",
		"creditor": "Ente creditore", "amount": "Importo", "total": "Totale", "card": "Numero della carta",
		"expiry": "Scadenza (MM/AA)", "cvv": "Codice di sicurezza (CVV)", "holder": "Titolare della carta",
		"pay": "Paga", "cancel": "Annulla", "tests": "Carte di prova: 4242 4242 4242 4242 il pagamento riesce; " +
			"4000 0000 0000 0002 il pagamento è rifiutato; ogni altro numero non è valido.",
		"sandbox": "Ambiente di prova: nessun addebito reale.", "expired": "Il tempo per pagare è scaduto: torna all'app.",
		"closed": "Questo pagamento è concluso.", "back": "Torna all'app",
		"bad_card": "Il numero della carta non è valido: usa una carta di prova.", "bad_expiry": "La scadenza non è valida (MM/AA, non passata).",
		"bad_cvv": "Il codice di sicurezza ha 3 cifre.", "bad_holder": "Scrivi il nome del titolare.",
	},
	"en": {
		"title": "pagoPA payment (sandbox)", "cart": "Your cart", "notice": "Notice number",
		"creditor": "Creditor", "amount": "Amount", "total": "Total", "card": "Card number",
		"expiry": "Expiry (MM/YY)", "cvv": "Security code (CVV)", "holder": "Cardholder",
		"pay": "Pay", "cancel": "Annulla (cancel)", "tests": "Test cards: 4242 4242 4242 4242 succeeds; " +
			"4000 0000 0000 0002 is declined; any other number is invalid.",
		"sandbox": "Sandbox: nothing is really charged.", "expired": "The time to pay has run out: go back to the app.",
		"closed": "This payment is over.", "back": "Back to the app",
		"bad_card": "The card number is not valid: use a test card.", "bad_expiry": "The expiry is not valid (MM/YY, not past).",
		"bad_cvv": "The security code has 3 digits.", "bad_holder": "Write the cardholder's name.",
	},
}

var sandboxPage = template.Must(template.New("checkout").Funcs(template.FuncMap{"euro": pagopa.FormatEuro}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;color:#17324d;background:#fff;line-height:1.5}
h1{font-size:1.4rem}table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #c5c7c9;vertical-align:top}
td.n{text-align:right;white-space:nowrap}label{display:block;margin-top:.8rem;font-weight:600}
input{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;border:1px solid #5c6f82;border-radius:4px}
button{font-size:1rem;padding:.6rem 1.2rem;margin:1rem .5rem 0 0;border-radius:4px;border:2px solid #0066cc;cursor:pointer}
.pay{background:#0066cc;color:#fff}.cancel{background:#fff;color:#0066cc}
.err{color:#a00;font-weight:600}.note{font-size:.9rem;color:#455b71}:focus{outline:3px solid #ff9900;outline-offset:2px}
</style></head><body><main>
<h1>{{.T.title}}</h1>
<p class="note">{{.T.sandbox}}</p>
<h2>{{.T.cart}}</h2>
<table><thead><tr><th scope="col">{{.T.notice}}</th><th scope="col">{{.T.creditor}}</th><th scope="col" class="n">{{.T.amount}}</th></tr></thead><tbody>
{{range .Checkout.Notices}}<tr><td>{{.NoticeNumber}}<br><span class="note">{{.Description}}</span></td><td>{{$.Creditor}}<br><span class="note">{{.CreditorFiscalCode}}</span></td><td class="n">{{euro .AmountCents}}</td></tr>
{{end}}</tbody><tfoot><tr><th scope="row" colspan="2">{{.T.total}}</th><td class="n"><strong>{{euro .Checkout.TotalCents}}</strong></td></tr></tfoot></table>
{{if .Pending}}
{{range .Errors}}<p class="err" role="alert">{{.}}</p>{{end}}
<form method="post" action="/pagopa/checkout/{{.Checkout.ID}}/pay">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="card">{{.T.card}}</label><input id="card" name="card_number" inputmode="numeric" autocomplete="cc-number" required value="{{.Card}}">
<label for="expiry">{{.T.expiry}}</label><input id="expiry" name="expiry" autocomplete="cc-exp" placeholder="MM/AA" required value="{{.Expiry}}">
<label for="cvv">{{.T.cvv}}</label><input id="cvv" name="cvv" inputmode="numeric" autocomplete="cc-csc" required>
<label for="holder">{{.T.holder}}</label><input id="holder" name="holder" autocomplete="cc-name" required value="{{.Holder}}">
<p class="note">{{.T.tests}}</p>
<button type="submit" class="pay">{{.T.pay}} {{euro .Checkout.TotalCents}}</button>
</form>
<form method="post" action="/pagopa/checkout/{{.Checkout.ID}}/cancel">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit" class="cancel">{{.T.cancel}}</button>
</form>
{{else}}
<p>{{if .Expired}}{{.T.expired}}{{else}}{{.T.closed}}{{end}}</p>
<p><a href="{{.Back}}">{{.T.back}}</a></p>
{{end}}
</main></body></html>
`))

type sandboxView struct {
	Lang, Creditor, CSRF string
	T                    map[string]string
	Checkout             core.Checkout
	Pending, Expired     bool
	Back                 template.URL
	Errors               []string
	Card, Expiry, Holder string
}

// outcomeURL is the return URL for c's final status, with ?outcome= and
// &checkout=.
func outcomeURL(c store.CheckoutRecord) string {
	raw, outcome := c.Return.Error, core.OutcomeError
	switch c.Status {
	case core.CheckoutPaid:
		raw, outcome = c.Return.OK, core.OutcomeOK
	case core.CheckoutCancelled:
		raw, outcome = c.Return.Cancel, core.OutcomeCancel
	}
	u, err := url.Parse(raw)
	if err != nil { // checked at creation
		return "about:blank"
	}
	q := u.Query()
	q.Set("outcome", string(outcome))
	q.Set("checkout", c.ID)
	u.RawQuery = q.Encode()
	return u.String()
}

// sandboxCheckout reads the checkout of the path; false when it has
// answered (404).
func (s *Server) sandboxCheckout(w http.ResponseWriter, r *http.Request) (store.CheckoutRecord, bool) {
	c, err := s.store.Checkout(r.Context(), r.PathValue("id"), s.now())
	if errors.Is(err, store.ErrNotFound) {
		problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found", "There is no such checkout.")
		return c, false
	}
	if s.storeFailed(w, r, err) {
		return c, false
	}
	return c, true
}

func (s *Server) renderSandbox(w http.ResponseWriter, r *http.Request, c store.CheckoutRecord, status int, errs []string, form url.Values) {
	lang := requestLanguage(r)
	m, err := s.store.Municipality(r.Context(), lang)
	if s.storeFailed(w, r, err) {
		return
	}
	v := sandboxView{Lang: lang, Creditor: m.Name, CSRF: c.CSRF, T: sandboxText[lang], Checkout: c.Checkout,
		Pending: c.Status == core.CheckoutPending, Expired: c.Status == core.CheckoutExpired,
		Back: template.URL(outcomeURL(c)), Errors: errs}
	if form != nil {
		v.Card, v.Expiry, v.Holder = form.Get("card_number"), form.Get("expiry"), form.Get("holder")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", lang)
	h.Set("Vary", "Accept-Language")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := sandboxPage.Execute(w, v); err != nil {
		s.log.Error("sandbox page", "err", err)
	}
}

// sandboxShow is the page of a checkout.
func (s *Server) sandboxShow(w http.ResponseWriter, r *http.Request) {
	c, ok := s.sandboxCheckout(w, r)
	if !ok {
		return
	}
	s.renderSandbox(w, r, c, http.StatusOK, nil, nil)
}

// sandboxForm checks the form's token; false when it has answered (403).
func (s *Server) sandboxForm(w http.ResponseWriter, r *http.Request) (store.CheckoutRecord, bool) {
	c, ok := s.sandboxCheckout(w, r)
	if !ok {
		return c, false
	}
	if err := r.ParseForm(); err != nil {
		problem(w, r, http.StatusBadRequest, core.ProblemBadRequest, "Bad request", "The form could not be read.")
		return c, false
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(c.CSRF)) != 1 {
		problem(w, r, http.StatusForbidden, core.ProblemForbidden, "Forbidden", "The form's token is missing or wrong: reload the page.")
		return c, false
	}
	return c, true
}

func seeOther(w http.ResponseWriter, c store.CheckoutRecord) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", outcomeURL(c))
	w.WriteHeader(http.StatusSeeOther)
}

// cardErrors checks the test card form at now: the messages' keys.
func cardErrors(form url.Values, now time.Time) (declined bool, errs []string) {
	card := strings.Join(strings.Fields(form.Get("card_number")), "")
	switch card {
	case TestCardOK:
	case TestCardDeclined:
		declined = true
	default:
		errs = append(errs, "bad_card")
	}
	mm, yy, ok := strings.Cut(strings.TrimSpace(form.Get("expiry")), "/")
	month, err1 := strconv.Atoi(strings.TrimSpace(mm))
	year, err2 := strconv.Atoi(strings.TrimSpace(yy))
	if !ok || err1 != nil || err2 != nil || month < 1 || month > 12 || year < 0 || year > 99 ||
		time.Date(2000+year, time.Month(month)+1, 1, 0, 0, 0, 0, time.UTC).Before(now) {
		errs = append(errs, "bad_expiry")
	}
	if cvv := strings.TrimSpace(form.Get("cvv")); len(cvv) != 3 || strings.Trim(cvv, "0123456789") != "" {
		errs = append(errs, "bad_cvv")
	}
	if strings.TrimSpace(form.Get("holder")) == "" {
		errs = append(errs, "bad_holder")
	}
	return declined && len(errs) == 0, errs
}

// sandboxPay pays the checkout with a test card: all its notices in one
// transaction. A checkout no longer pending is not paid again: the answer
// is its outcome.
func (s *Server) sandboxPay(w http.ResponseWriter, r *http.Request) {
	c, ok := s.sandboxForm(w, r)
	if !ok {
		return
	}
	if c.Status != core.CheckoutPending {
		seeOther(w, c)
		return
	}
	declined, errs := cardErrors(r.PostForm, s.now())
	if len(errs) > 0 {
		lang := requestLanguage(r)
		msgs := make([]string, len(errs))
		for i, k := range errs {
			msgs[i] = sandboxText[lang][k]
		}
		s.renderSandbox(w, r, c, http.StatusUnprocessableEntity, msgs, r.PostForm)
		return
	}
	var err error
	if declined {
		c, err = s.store.CloseCheckout(r.Context(), c.ID, core.CheckoutDeclined, s.now())
	} else {
		c, err = s.store.PayCheckout(r.Context(), c.ID, s.now())
	}
	if s.storeFailed(w, r, err) {
		return
	}
	s.log.Info("checkout closed", "status", c.Status)
	seeOther(w, c)
}

// sandboxCancel cancels the checkout, which releases its notices.
func (s *Server) sandboxCancel(w http.ResponseWriter, r *http.Request) {
	c, ok := s.sandboxForm(w, r)
	if !ok {
		return
	}
	c, err := s.store.CloseCheckout(r.Context(), c.ID, core.CheckoutCancelled, s.now())
	if s.storeFailed(w, r, err) {
		return
	}
	seeOther(w, c)
}

// crossOrigin refuses the browser's cross-origin form posts (Sec-Fetch-Site,
// Origin): a second line behind the form's token.
var crossOrigin = http.NewCrossOriginProtection()

func sameOrigin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := crossOrigin.Check(r); err != nil {
			problem(w, r, http.StatusForbidden, core.ProblemForbidden, "Forbidden", "Cross-origin form posts are refused.")
			return
		}
		h(w, r)
	}
}
