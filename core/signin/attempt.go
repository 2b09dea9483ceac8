package signin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sportello/sportello/core"
)

// Attempt is one sign-in in progress: a loopback listener waits for the
// browser to come back with the authorization code.
type Attempt struct {
	// AuthURL is the page to open in the system browser (or to copy there).
	AuthURL string

	svc      *Service
	site     string
	backend  *backend
	verifier string
	state    string
	nonce    string
	ln       net.Listener
	srv      *http.Server
	result   chan callback
}

type callback struct {
	code string
	err  error
}

// Begin starts a sign-in to the backend at issuer (its base URL) for site: it
// reads the backend's configuration and listens on 127.0.0.1 at a free port
// for the redirect (RFC 8252 section 7.3). Close the attempt when done.
func (s *Service) Begin(ctx context.Context, site, issuer string) (*Attempt, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	redirect := "http://" + ln.Addr().String() + "/callback"
	b, err := s.discover(ctx, issuer, redirect)
	if err != nil {
		ln.Close()
		return nil, err
	}
	a := &Attempt{svc: s, site: site, backend: b, verifier: oauth2.GenerateVerifier(),
		state: random(), nonce: random(), ln: ln, result: make(chan callback, 1)}
	a.AuthURL = b.config.AuthCodeURL(a.state, oauth2.S256ChallengeOption(a.verifier), oidc.Nonce(a.nonce))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", a.callback)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go a.srv.Serve(ln)
	return a, nil
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// callback receives the browser's redirect. Only the first answer that
// carries this attempt's state counts.
func (a *Attempt) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var cb callback
	switch {
	case q.Get("state") != a.state:
		cb.err = ErrBadCallback
	case q.Get("error") != "":
		cb.err = fmt.Errorf("%w (%s)", ErrDenied, q.Get("error"))
	case q.Get("code") == "":
		cb.err = ErrBadCallback
	default:
		cb.code = q.Get("code")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if cb.err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, page("Accesso non riuscito", "Sign-in failed", "Torna a Sportello e riprova.", "Go back to Sportello and try again."))
	} else {
		fmt.Fprint(w, page("Accesso completato", "Signed in", "Puoi chiudere questa pagina e tornare a Sportello.", "You can close this page and go back to Sportello."))
	}
	if cb.err == ErrBadCallback {
		return // a stray request: keep waiting for the real answer
	}
	select {
	case a.result <- cb:
	default:
	}
}

func page(titleIT, titleEN, bodyIT, bodyEN string) string {
	e := html.EscapeString
	return `<!doctype html><html lang="it"><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
		`<title>Sportello</title><body style="font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em">` +
		`<h1>` + e(titleIT) + `</h1><p>` + e(bodyIT) + `</p><hr><h2 lang="en">` + e(titleEN) + `</h2><p lang="en">` + e(bodyEN) + `</p></body></html>`
}

// Wait blocks until the browser comes back (or ctx ends), then exchanges the
// code with the PKCE verifier, verifies the ID token and its nonce, and saves
// the session in the secret store.
func (a *Attempt) Wait(ctx context.Context) (Session, error) {
	var cb callback
	select {
	case cb = <-a.result:
	case <-ctx.Done():
		return Session{}, ctx.Err()
	}
	if cb.err != nil {
		return Session{}, cb.err
	}
	s := a.svc
	tok, err := a.backend.config.Exchange(s.ctx(ctx), cb.code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		return Session{}, fmt.Errorf("%w: code exchange: %v", ErrDenied, err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" || tok.RefreshToken == "" {
		return Session{}, fmt.Errorf("%w: the server sent no ID token or no refresh token", core.ErrBadResponse)
	}
	idt, err := a.backend.provider.Verifier(&oidc.Config{ClientID: ClientID}).Verify(s.ctx(ctx), rawID)
	if err != nil {
		return Session{}, fmt.Errorf("%w: ID token: %v", ErrDenied, err)
	}
	if idt.Nonce != a.nonce {
		return Session{}, fmt.Errorf("%w: ID token nonce", ErrBadCallback)
	}
	var claims struct {
		Name       string `json:"name"`
		GivenName  string `json:"given_name"`
		FamilyName string `json:"family_name"`
	}
	_ = idt.Claims(&claims)
	name := claims.Name
	if name == "" {
		name = strings.TrimSpace(claims.GivenName + " " + claims.FamilyName)
	}
	sess := Session{Site: a.site, Subject: idt.Subject, Name: name, AccessToken: tok.AccessToken,
		RefreshToken: tok.RefreshToken, Expiry: tok.Expiry, SignedInAt: time.Now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.save(sess); err != nil {
		return Session{}, err
	}
	return sess, nil
}

// Close stops the loopback listener.
func (a *Attempt) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = a.srv.Shutdown(ctx)
}

// Identity is a test identity offered by a backend's test identity provider.
type Identity struct {
	FiscalCode string `json:"fiscal_code"`
	Surname    string `json:"surname"`
	Name       string `json:"name"`
}

// TestIdentities lists the backend's test identities; a backend with no test
// identity provider (a real municipality) answers with none.
func (s *Service) TestIdentities(ctx context.Context, baseURL string) ([]Identity, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/idp/test-identities", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", core.ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: test identities answered %d", core.ErrBadResponse, resp.StatusCode)
	}
	var ids []Identity
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ids); err != nil {
		return nil, fmt.Errorf("%w: %v", core.ErrBadResponse, err)
	}
	return ids, nil
}

// CompleteAsTestIdentity does what a person does in the browser, for a
// machine with none: it opens the authorization URL, picks the test identity
// on the backend's sign-in page and follows the redirects, which end at this
// attempt's loopback listener. Wait then finishes the sign-in as usual.
func (a *Attempt) CompleteAsTestIdentity(ctx context.Context, fiscalCode string) error {
	client := &http.Client{Timeout: 20 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.AuthURL, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", core.ErrUnreachable, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	loginPage := resp.Request.URL
	id := loginPage.Query().Get("authRequestID")
	if resp.StatusCode != http.StatusOK || id == "" {
		return fmt.Errorf("%w: the backend offers no test sign-in page (%d at %s)", core.ErrBadResponse, resp.StatusCode, loginPage.Path)
	}
	form := url.Values{"authRequestID": {id}, "fiscal_code": {fiscalCode}}
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, loginPage.Scheme+"://"+loginPage.Host+loginPage.Path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = client.Do(post)
	if err != nil {
		return fmt.Errorf("%w: %v", core.ErrUnreachable, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Host != a.ln.Addr().String() {
		return fmt.Errorf("%w: the test sign-in did not come back to the app (%d)", ErrDenied, resp.StatusCode)
	}
	return nil
}
