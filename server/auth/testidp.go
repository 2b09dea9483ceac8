package auth

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/sportello/sportello/core"
)

// The test identity provider's paths.
const (
	PathTestLogin      = "/idp/login"
	PathTestIdentities = "/idp/test-identities"
)

// Registry is where the test identity provider finds its identities.
// *store.Store is one.
type Registry interface {
	Citizens(ctx context.Context) ([]core.Citizen, error)
}

// TestIdP is a test identity provider, like AgID's SPID demo identity
// provider: it offers the adult citizens of the registry as test identities
// and signs in whichever one is picked, with no credential. It is for the
// demo municipality and for tests, never for a real one.
//
// GET /idp/login?authRequestID=ID is the page (Italian, or English after
// Accept-Language) with one button per identity in a single form; POST
// /idp/login with authRequestID and fiscal_code signs in and redirects to
// the authorization server's callback. GET /idp/test-identities lists the
// identities as JSON, for a machine with no browser that completes the same
// flow itself.
type TestIdP struct {
	registry Registry
	now      func() time.Time
	log      *slog.Logger
}

var _ IdentityProvider = (*TestIdP)(nil)

// NewTestIdP returns a test identity provider over registry; now is the
// clock that decides who is an adult (nil: time.Now), log may be nil.
func NewTestIdP(registry Registry, now func() time.Time, log *slog.Logger) *TestIdP {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &TestIdP{registry: registry, now: now, log: log}
}

// LoginURL implements IdentityProvider.
func (t *TestIdP) LoginURL(authRequestID string) string {
	return PathTestLogin + "?authRequestID=" + url.QueryEscape(authRequestID)
}

// TestIdentity is one identity the test identity provider offers.
type TestIdentity struct {
	FiscalCode string `json:"fiscal_code"`
	Surname    string `json:"surname"`
	Name       string `json:"name"`
}

// Identities lists the adults of the registry, by surname and name.
func (t *TestIdP) Identities(ctx context.Context) ([]TestIdentity, error) {
	citizens, err := t.registry.Citizens(ctx)
	if err != nil {
		return nil, err
	}
	adultsBornBy := core.DateOf(t.now().AddDate(-18, 0, 0))
	out := []TestIdentity{}
	for _, c := range citizens {
		if !c.BirthDate.After(adultsBornBy.Time) {
			out = append(out, TestIdentity{FiscalCode: c.FiscalCode, Surname: c.Surname, Name: c.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Surname != out[j].Surname {
			return out[i].Surname < out[j].Surname
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].FiscalCode < out[j].FiscalCode
	})
	return out, nil
}

// Handler implements IdentityProvider.
func (t *TestIdP) Handler(a Authenticator) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathTestLogin, func(w http.ResponseWriter, r *http.Request) { t.loginPage(w, r, a) })
	mux.HandleFunc("POST "+PathTestLogin, func(w http.ResponseWriter, r *http.Request) { t.login(w, r, a) })
	mux.HandleFunc("GET "+PathTestIdentities, t.identities)
	return mux
}

func (t *TestIdP) identities(w http.ResponseWriter, r *http.Request) {
	ids, err := t.Identities(r.Context())
	if err != nil {
		t.log.Error("test identities", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(ids)
}

func (t *TestIdP) loginPage(w http.ResponseWriter, r *http.Request, a Authenticator) {
	txt := pageText(r)
	id := r.URL.Query().Get("authRequestID")
	if err := a.Pending(r.Context(), id); err != nil {
		t.fail(w, txt, err)
		return
	}
	ids, err := t.Identities(r.Context())
	if err != nil {
		t.fail(w, txt, err)
		return
	}
	t.render(w, http.StatusOK, loginPage{text: txt, AuthRequestID: id, Identities: ids})
}

func (t *TestIdP) login(w http.ResponseWriter, r *http.Request, a Authenticator) {
	txt := pageText(r)
	id, cf := r.PostFormValue("authRequestID"), strings.ToUpper(strings.TrimSpace(r.PostFormValue("fiscal_code")))
	if err := a.Pending(r.Context(), id); err != nil {
		t.fail(w, txt, err)
		return
	}
	ids, err := t.Identities(r.Context())
	if err != nil {
		t.fail(w, txt, err)
		return
	}
	offered := false
	for _, i := range ids {
		offered = offered || i.FiscalCode == cf
	}
	if !offered {
		t.fail(w, txt, ErrUnknownCitizen)
		return
	}
	next, err := a.Complete(r.Context(), id, Identity{FiscalCode: cf, ACR: ACRTest})
	if err != nil {
		t.fail(w, txt, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, next, http.StatusFound)
}

// fail answers 400 with a page that says what is wrong, or 500.
func (t *TestIdP) fail(w http.ResponseWriter, txt text, err error) {
	p := errorPage{text: txt}
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, ErrUnknownRequest):
		p.Message = txt.UnknownRequest
	case errors.Is(err, ErrUnknownCitizen):
		p.Message = txt.UnknownCitizen
	default:
		t.log.Error("test identity provider", "err", err)
		status, p.Message = http.StatusInternalServerError, txt.Internal
	}
	t.render(w, status, p)
}

func (t *TestIdP) render(w http.ResponseWriter, status int, page interface{ name() string }) {
	renderPage(w, status, page, t.log)
}

// renderPage writes one of the HTML pages of this package.
func renderPage(w http.ResponseWriter, status int, page interface{ name() string }, log *slog.Logger) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// No form-action: browsers apply it to the redirects after the login
	// form too, and those end at the app's loopback or private-use URI.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, page.name(), page); err != nil {
		log.Error("sign-in page", "page", page.name(), "err", err)
	}
}

// text is a page's words in one language.
type text struct {
	Lang, Title, Intro, Notice, Surname, Name, FiscalCode, Choose string
	ErrorTitle, UnknownRequest, UnknownCitizen, Internal          string
	SignedOutTitle, SignedOut                                     string
}

var (
	italian = text{
		Lang:           "it",
		Title:          "Ambiente di prova — identità di test",
		Intro:          "Scegli con quale identità di test entrare. Nessuna password: è un ambiente dimostrativo con persone inventate.",
		Notice:         "Questa pagina sostituisce SPID e CIE solo nel comune dimostrativo. Un comune reale usa i veri fornitori di identità.",
		Surname:        "Cognome",
		Name:           "Nome",
		FiscalCode:     "Codice fiscale",
		Choose:         "Entra",
		ErrorTitle:     "Accesso non possibile",
		UnknownRequest: "Questa richiesta di accesso non esiste o è scaduta. Torna all'app e riprova.",
		UnknownCitizen: "Nessuna identità di test ha questo codice fiscale.",
		Internal:       "Il server non ha potuto rispondere. Riprova tra poco.",
		SignedOutTitle: "Sei uscito",
		SignedOut:      "La sessione è terminata. Puoi chiudere questa pagina.",
	}
	english = text{
		Lang:           "en",
		Title:          "Test environment — test identities",
		Intro:          "Choose the test identity to sign in as. No password: this is a demonstration with invented people.",
		Notice:         "This page stands in for SPID and CIE in the demo municipality only. A real municipality uses the real identity providers.",
		Surname:        "Surname",
		Name:           "Name",
		FiscalCode:     "Fiscal code",
		Choose:         "Sign in",
		ErrorTitle:     "Cannot sign in",
		UnknownRequest: "This sign-in request does not exist or has expired. Go back to the app and try again.",
		UnknownCitizen: "No test identity has this fiscal code.",
		Internal:       "The server could not answer. Try again shortly.",
		SignedOutTitle: "Signed out",
		SignedOut:      "The session has ended. You can close this page.",
	}
)

var pageLanguages = language.NewMatcher([]language.Tag{language.Italian, language.English})

func pageText(r *http.Request) text {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if _, i, _ := pageLanguages.Match(tags...); i == 1 {
		return english
	}
	return italian
}

type loginPage struct {
	text
	AuthRequestID string
	Identities    []TestIdentity
}

func (loginPage) name() string        { return "login" }
func (p loginPage) HeadTitle() string { return p.Title }

type errorPage struct {
	text
	Message string
}

func (errorPage) name() string        { return "error" }
func (p errorPage) HeadTitle() string { return p.ErrorTitle }

type signedOutPage struct{ text }

func (signedOutPage) name() string        { return "signedout" }
func (p signedOutPage) HeadTitle() string { return p.SignedOutTitle }

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.HeadTitle}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em;color:#1a1a1a}
.banner{background:#fff3cd;border:1px solid #e0c060;padding:.6em 1em;border-radius:4px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4em;border-bottom:1px solid #ddd}
button{font:inherit;padding:.3em 1em;cursor:pointer}
</style></head>
<body>{{end}}
{{define "login"}}{{template "head" .}}
<h1>{{.Title}}</h1>
<p class="banner">{{.Notice}}</p>
<p>{{.Intro}}</p>
<form method="post" action="login">
<input type="hidden" name="authRequestID" value="{{.AuthRequestID}}">
<table>
<thead><tr><th>{{.Name}}</th><th>{{.Surname}}</th><th>{{.FiscalCode}}</th><th></th></tr></thead>
<tbody>
{{- range .Identities}}
<tr><td>{{.Name}}</td><td>{{.Surname}}</td><td><code>{{.FiscalCode}}</code></td><td><button type="submit" name="fiscal_code" value="{{.FiscalCode}}">{{$.Choose}}</button></td></tr>
{{- end}}
</tbody>
</table>
</form>
</body></html>
{{end}}
{{define "signedout"}}{{template "head" .}}
<h1>{{.SignedOutTitle}}</h1>
<p>{{.SignedOut}}</p>
</body></html>
{{end}}
{{define "error"}}{{template "head" .}}
<h1>{{.ErrorTitle}}</h1>
<p>{{.Message}}</p>
</body></html>
{{end}}`))
