package signin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/loopback"
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
	rcv      *loopback.Receiver
}

// Begin starts a sign-in to the backend at issuer (its base URL) for site: it
// reads the backend's configuration and listens on 127.0.0.1 at a free port
// for the redirect (RFC 8252 section 7.3). Close the attempt when done.
func (s *Service) Begin(ctx context.Context, site, issuer string) (*Attempt, error) {
	a := &Attempt{svc: s, site: site, verifier: oauth2.GenerateVerifier(), state: random(), nonce: random()}
	rcv, err := loopback.Listen("/callback", a.callback)
	if err != nil {
		return nil, err
	}
	b, err := s.discover(ctx, issuer, rcv.URL())
	if err != nil {
		rcv.Close()
		return nil, err
	}
	a.backend, a.rcv = b, rcv
	a.AuthURL = b.config.AuthCodeURL(a.state, oauth2.S256ChallengeOption(a.verifier), oidc.Nonce(a.nonce))
	return a, nil
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// check reads the browser's redirect: the code, or why there is none.
func (a *Attempt) check(q url.Values) (string, error) {
	switch {
	case q.Get("state") != a.state:
		return "", ErrBadCallback
	case q.Get("error") != "":
		return "", fmt.Errorf("%w (%s)", ErrDenied, q.Get("error"))
	case q.Get("code") == "":
		return "", ErrBadCallback
	}
	return q.Get("code"), nil
}

// callback answers the browser's redirect. Only the first answer that
// carries this attempt's state counts; a stray request keeps the wait going.
func (a *Attempt) callback(q url.Values) loopback.Answer {
	_, err := a.check(q)
	if err != nil {
		return loopback.Answer{Status: http.StatusBadRequest, Done: err != ErrBadCallback,
			Page: loopback.Page("Accesso non riuscito", "Sign-in failed", "Torna a Sportello e riprova.", "Go back to Sportello and try again.")}
	}
	return loopback.Answer{Done: true,
		Page: loopback.Page("Accesso completato", "Signed in", "Puoi chiudere questa pagina e tornare a Sportello.", "You can close this page and go back to Sportello.")}
}

// Wait blocks until the browser comes back (or ctx ends), then exchanges the
// code with the PKCE verifier, verifies the ID token and its nonce, and saves
// the session in the secret store.
func (a *Attempt) Wait(ctx context.Context) (Session, error) {
	q, err := a.rcv.Wait(ctx)
	if err != nil {
		return Session{}, err
	}
	code, err := a.check(q)
	if err != nil {
		return Session{}, err
	}
	s := a.svc
	tok, err := a.backend.config.Exchange(s.ctx(ctx), code, oauth2.VerifierOption(a.verifier))
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
func (a *Attempt) Close() { a.rcv.Close() }

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
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Host != a.rcv.Addr() {
		return fmt.Errorf("%w: the test sign-in did not come back to the app (%d)", ErrDenied, resp.StatusCode)
	}
	return nil
}
