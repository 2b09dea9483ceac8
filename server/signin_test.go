package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/certs"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/store"
)

func TestMain(m *testing.M) {
	// The OpenID Connect library logs refused requests to the default
	// logger, and these tests make many on purpose.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	code := m.Run()
	if apptTemplate.dir != "" {
		os.RemoveAll(apptTemplate.dir)
	}
	os.Exit(code)
}

// clock is a settable clock, safe for the server's goroutines. It starts at
// the wall clock's current second, so that times stored in whole seconds
// compare exactly, and only moves forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signInEnv is a demo server with sign-in, served over real HTTP on
// 127.0.0.1, with its database file and the clock its sessions follow.
type signInEnv struct {
	t        *testing.T
	url      string // base URL and issuer
	file     string // the database
	st       *store.Store
	p        *auth.Provider
	certs    *certs.Service
	clock    *clock
	browser  *http.Client // follows redirects within the server only
	noFollow *http.Client
}

// newSignInEnv starts a server over a freshly seeded demo database with the
// test identity provider. adjust may change the sign-in configuration.
func newSignInEnv(t *testing.T, adjust func(*SignIn)) *signInEnv {
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
	cfg := SignIn{Issuer: base, KeyFile: auth.KeyFile(file), TestIdP: true, Now: c.Now}
	if adjust != nil {
		adjust(&cfg)
	}
	p, err := NewAuth(st, cfg, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	cs, err := certs.New(st, file, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = New(st, discardLog(), WithAuth(p), WithClock(c.Now), WithCertificates(cs)).Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	host := ts.Listener.Addr().String()
	return &signInEnv{t: t, url: base, file: file, st: st, p: p, certs: cs, clock: c,
		browser: &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != host || len(via) > 10 {
				return http.ErrUseLastResponse // never leave the server: the app's redirect URI is not listening
			}
			return nil
		}},
		noFollow: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// adults of the demo registry, the test identities.
func demoAdults(t *testing.T) []core.Citizen {
	t.Helper()
	var out []core.Citizen
	limit := time.Now().AddDate(-18, 0, 0)
	for _, c := range demo.Generate(testNow).Citizens {
		if !c.BirthDate.After(limit) {
			out = append(out, c)
		}
	}
	if len(out) < 2 {
		t.Fatal("the demo has fewer than two adults")
	}
	return out
}

func randomString(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// appRedirect is the app's loopback redirect URI; nothing listens there.
const appRedirect = "http://127.0.0.1:53682/callback"

// flow is one sign-in as the app runs it: discovery, then PKCE S256, state
// and nonce.
type flow struct {
	env      *signInEnv
	provider *oidc.Provider
	config   oauth2.Config
	verifier string
	state    string
	nonce    string
}

func (e *signInEnv) newFlow(redirect string) *flow {
	e.t.Helper()
	p, err := oidc.NewProvider(context.Background(), e.url)
	if err != nil {
		e.t.Fatalf("discovery: %v", err)
	}
	// A public client sends its client_id in the form (RFC 6749 4.1.3). The
	// default, auto-detected style would first try HTTP Basic and, on an
	// error, retry in the form, when the code is already spent.
	endpoint := p.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInParams
	return &flow{env: e, provider: p, verifier: oauth2.GenerateVerifier(), state: randomString(e.t), nonce: randomString(e.t),
		config: oauth2.Config{ClientID: auth.ClientID, Endpoint: endpoint, RedirectURL: redirect, Scopes: auth.Scopes}}
}

func (f *flow) authURL() string {
	return f.config.AuthCodeURL(f.state, oauth2.S256ChallengeOption(f.verifier), oidc.Nonce(f.nonce))
}

// loginForm is the test identity provider's page as a browser sees it.
type loginForm struct {
	heading    string
	action     *url.URL
	hidden     url.Values
	identities []string // the values of the fiscal_code buttons
}

func parseLoginPage(t *testing.T, page *url.URL, body []byte) loginForm {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	f := loginForm{hidden: url.Values{}}
	forms := 0
	var walk func(n *html.Node, inH1 bool)
	walk = func(n *html.Node, inH1 bool) {
		attr := func(name string) string {
			for _, a := range n.Attr {
				if a.Key == name {
					return a.Val
				}
			}
			return ""
		}
		if n.Type == html.TextNode && inH1 {
			f.heading += n.Data
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "h1":
				inH1 = true
			case "form":
				forms++
				if strings.ToLower(attr("method")) != "post" {
					t.Errorf("the form's method is %q", attr("method"))
				}
				a, err := url.Parse(attr("action"))
				if err != nil {
					t.Fatal(err)
				}
				f.action = page.ResolveReference(a)
			case "input":
				if attr("type") == "hidden" {
					f.hidden.Set(attr("name"), attr("value"))
				}
			case "button":
				if attr("name") == "fiscal_code" && attr("type") == "submit" {
					f.identities = append(f.identities, attr("value"))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inH1)
		}
	}
	walk(doc, false)
	if forms != 1 || f.action == nil {
		t.Fatalf("the page has %d forms, want one:\n%s", forms, body)
	}
	return f
}

// loginPage opens the authorization URL in the "browser" and returns the
// identity provider's page it lands on.
func (e *signInEnv) loginPage(authURL string, headers ...string) (loginForm, *http.Response) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, authURL, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := e.browser.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != auth.PathTestLogin {
		e.t.Fatalf("authorize ended at %s with %d, want the login page:\n%s", resp.Request.URL, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		e.t.Errorf("login page Content-Type %q", ct)
	}
	return parseLoginPage(e.t, resp.Request.URL, body), resp
}

// pick submits the login form as the citizen cf and follows the redirects up
// to the app's redirect URI, which it returns without calling it.
func (e *signInEnv) pick(form loginForm, cf string) *url.URL {
	e.t.Helper()
	values := url.Values{}
	for k, v := range form.hidden {
		values[k] = v
	}
	values.Set("fiscal_code", cf)
	resp, err := e.browser.PostForm(form.action.String(), values)
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("after the login form: %d at %s, want a redirect to the app:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	loc, err := resp.Location()
	if err != nil {
		e.t.Fatal(err)
	}
	return loc
}

// code runs the browser part of f as cf and returns the authorization code
// the app's redirect URI receives.
func (f *flow) code(cf string) string {
	t := f.env.t
	t.Helper()
	form, _ := f.env.loginPage(f.authURL())
	cb := f.env.pick(form, cf)
	want, _ := url.Parse(f.config.RedirectURL)
	if cb.Scheme != want.Scheme || cb.Host != want.Host || cb.Path != want.Path {
		t.Fatalf("redirected to %s, want the app's %s", cb, want)
	}
	q := cb.Query()
	if q.Get("state") != f.state {
		t.Fatalf("state %q, want %q", q.Get("state"), f.state)
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		t.Fatalf("callback %s carries no code", cb)
	}
	return q.Get("code")
}

// exchange trades code for tokens with the PKCE verifier.
func (f *flow) exchange(code string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, error) {
	if opts == nil {
		opts = []oauth2.AuthCodeOption{oauth2.VerifierOption(f.verifier)}
	}
	return f.config.Exchange(context.Background(), code, opts...)
}

// signIn runs the whole flow as cf and returns the tokens.
func (e *signInEnv) signIn(cf string) *oauth2.Token {
	e.t.Helper()
	f := e.newFlow(appRedirect)
	tok, err := f.exchange(f.code(cf))
	if err != nil {
		e.t.Fatalf("code exchange: %v", err)
	}
	return tok
}

// api calls a personal endpoint with the access token (none if "").
func (e *signInEnv) api(path, accessToken string, headers ...string) answer {
	e.t.Helper()
	if accessToken != "" {
		headers = append(headers, "Authorization: Bearer "+accessToken)
	}
	return get(e.t, e.url+path, headers...)
}

// wantUnauthorized asserts a is the API's 401 problem with a Bearer challenge.
func wantUnauthorized(t *testing.T, a answer, path string) {
	t.Helper()
	checkProblem(t, a, http.StatusUnauthorized, core.ProblemUnauthorized, path)
	if ch := a.header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer ") {
		t.Errorf("WWW-Authenticate %q, want a Bearer challenge", ch)
	}
}

func decodeCitizen(t *testing.T, a answer) core.Citizen {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", a.status, a.body)
	}
	var c core.Citizen
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("citizen %s: %v", a.body, err)
	}
	return c
}

// jwtPart decodes part i (0 header, 1 claims) of a compact JWT, unverified.
func jwtPart(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a compact JWS", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// postForm posts values to path and decodes the JSON answer, if any.
func (e *signInEnv) postForm(path string, values url.Values) (int, map[string]any) {
	e.t.Helper()
	resp, err := http.PostForm(e.url+path, values)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return resp.StatusCode, m
}

// refresh uses a refresh token at the token endpoint.
func (e *signInEnv) refresh(refreshToken string) (int, map[string]any) {
	e.t.Helper()
	return e.postForm(auth.PathToken, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
		"client_id": {auth.ClientID}})
}

func TestSignInEndToEnd(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	who := demoAdults(t)[3]

	// Discovery: what the app reads.
	disc := get(t, e.url+auth.PathDiscovery)
	if disc.status != http.StatusOK {
		t.Fatalf("discovery: %d", disc.status)
	}
	var meta map[string]any
	if err := json.Unmarshal(disc.body, &meta); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"issuer":                 e.url,
		"authorization_endpoint": e.url + auth.PathAuthorize,
		"token_endpoint":         e.url + auth.PathToken,
		"userinfo_endpoint":      e.url + auth.PathUserinfo,
		"revocation_endpoint":    e.url + auth.PathRevoke,
		"end_session_endpoint":   e.url + auth.PathEndSession,
		"jwks_uri":               e.url + auth.PathKeys,
	} {
		if meta[k] != want {
			t.Errorf("discovery %s = %v, want %v", k, meta[k], want)
		}
	}
	for k, want := range map[string]string{
		"code_challenge_methods_supported":      `["S256"]`,
		"response_types_supported":              `["code"]`,
		"grant_types_supported":                 `["authorization_code","refresh_token"]`,
		"token_endpoint_auth_methods_supported": `["none"]`,
		"id_token_signing_alg_values_supported": `["ES256"]`,
		"scopes_supported":                      `["openid","profile","offline_access"]`,
	} {
		if got, _ := json.Marshal(meta[k]); string(got) != want {
			t.Errorf("discovery %s = %s, want %s", k, got, want)
		}
	}
	for _, k := range []string{"introspection_endpoint", "device_authorization_endpoint"} {
		if _, ok := meta[k]; ok {
			t.Errorf("discovery advertises %s, which is not served", k)
		}
	}

	// The browser part: authorize → the test identity provider's page.
	f := e.newFlow(appRedirect)
	form, _ := e.loginPage(f.authURL())
	if form.heading != "Ambiente di prova — identità di test" {
		t.Errorf("heading %q", form.heading)
	}
	if form.hidden.Get("authRequestID") == "" {
		t.Error("the form carries no authRequestID")
	}
	if len(form.identities) != len(demoAdults(t)) {
		t.Errorf("%d identities offered, want the %d adults", len(form.identities), len(demoAdults(t)))
	}
	cb := e.pick(form, who.FiscalCode)
	if cb.Host != "127.0.0.1:53682" || cb.Path != "/callback" || cb.Query().Get("state") != f.state || cb.Query().Get("code") == "" {
		t.Fatalf("callback %s", cb)
	}

	// The app: code exchange with the verifier, ID token verified with its nonce.
	tok, err := f.exchange(cb.Query().Get("code"))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.RefreshToken == "" || tok.AccessToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token response %+v", tok)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := f.provider.Verifier(&oidc.Config{ClientID: auth.ClientID}).Verify(context.Background(), rawID)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != f.nonce || idt.Subject != who.FiscalCode {
		t.Errorf("ID token nonce %q sub %q, want %q %q", idt.Nonce, idt.Subject, f.nonce, who.FiscalCode)
	}
	var names struct {
		Name       string `json:"name"`
		GivenName  string `json:"given_name"`
		FamilyName string `json:"family_name"`
		SessionID  string `json:"sid"`
		ACR        string `json:"acr"`
	}
	if err := idt.Claims(&names); err != nil {
		t.Fatal(err)
	}
	if names.GivenName != who.Name || names.FamilyName != who.Surname || names.Name != who.Name+" "+who.Surname {
		t.Errorf("ID token names %+v, want %s %s", names, who.Name, who.Surname)
	}
	if names.ACR != auth.ACRTest {
		t.Errorf("acr %q, want %q", names.ACR, auth.ACRTest)
	}

	// The access token: an ES256 JWT for sportello-app, 10 minutes, with sid.
	head, claims := jwtPart(t, tok.AccessToken, 0), jwtPart(t, tok.AccessToken, 1)
	if head["alg"] != "ES256" || head["kid"] == "" {
		t.Errorf("access token header %v", head)
	}
	aud, _ := json.Marshal(claims["aud"])
	if !strings.Contains(string(aud), `"sportello-app"`) || claims["iss"] != e.url || claims["sub"] != who.FiscalCode {
		t.Errorf("access token claims %v", claims)
	}
	if exp, _ := claims["exp"].(float64); time.Unix(int64(exp), 0).Sub(e.clock.Now()) != auth.DefaultAccessTokenTTL {
		t.Errorf("access token exp %v, want now + 10 minutes", claims["exp"])
	}
	if claims["sid"] == "" || claims["sid"] != names.SessionID {
		t.Errorf("access token sid %v, ID token sid %q", claims["sid"], names.SessionID)
	}
	var jwks struct {
		Keys []struct{ Kid, Alg, Kty, Crv, Use string }
	}
	if err := json.Unmarshal(get(t, e.url+auth.PathKeys).body, &jwks); err != nil {
		t.Fatal(err)
	}
	if len(jwks.Keys) != 1 || jwks.Keys[0].Kid != head["kid"] || jwks.Keys[0].Alg != "ES256" || jwks.Keys[0].Crv != "P-256" || jwks.Keys[0].Use != "sig" {
		t.Errorf("JWKS %+v", jwks)
	}

	// The API: /api/v1/me is that citizen.
	a := e.api("/api/v1/me", tok.AccessToken)
	me := decodeCitizen(t, a)
	if me.FiscalCode != who.FiscalCode || me.Surname != who.Surname || me.Name != who.Name || me.Sex != who.Sex ||
		me.BirthDate != who.BirthDate || me.BirthPlace != who.BirthPlace || me.Citizenship != who.Citizenship ||
		me.Email != who.Email || me.Phone != who.Phone {
		t.Errorf("me = %+v, want %+v", me, who)
	}
	// The whole registry record: family, marriage and identity card too.
	if !reflect.DeepEqual(me, who) {
		t.Errorf("me = %+v\nwant the registry record %+v", me, who)
	}
	if cc := a.header.Get("Cache-Control"); !strings.Contains(cc, "private") {
		t.Errorf("me Cache-Control %q, want private", cc)
	}
	if nm := e.api("/api/v1/me", tok.AccessToken, "If-None-Match: "+a.header.Get("ETag")); nm.status != http.StatusNotModified {
		t.Errorf("me with If-None-Match: %d, want 304", nm.status)
	}

	// UserInfo, through go-oidc.
	info, err := f.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var infoNames struct {
		FamilyName string `json:"family_name"`
	}
	if err := info.Claims(&infoNames); err != nil {
		t.Fatal(err)
	}
	if info.Subject != who.FiscalCode || infoNames.FamilyName != who.Surname {
		t.Errorf("userinfo sub %q family_name %q", info.Subject, infoNames.FamilyName)
	}

	// The session: 90 days of inactivity end it before 12 months do.
	var sess struct {
		StartedAt   time.Time `json:"started_at"`
		ExpiresAt   time.Time `json:"expires_at"`
		IdleTimeout int64     `json:"idle_timeout_seconds"`
	}
	sa := e.api("/api/v1/session", tok.AccessToken)
	if sa.status != http.StatusOK {
		t.Fatalf("session: %d %s", sa.status, sa.body)
	}
	if err := json.Unmarshal(sa.body, &sess); err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	if !sess.StartedAt.Equal(now) || !sess.ExpiresAt.Equal(now.Add(auth.DefaultSessionIdle)) ||
		sess.IdleTimeout != int64(auth.DefaultSessionIdle/time.Second) {
		t.Errorf("session %s, want started now (%s), ending in 90 days", sa.body, now)
	}
	if !bytes.Contains(sa.body, []byte(`"started_at":"`+now.UTC().Format(time.RFC3339)+`"`)) {
		t.Errorf("started_at is not RFC 3339 in seconds: %s", sa.body)
	}

	// No secret is in the database in clear: not the refresh token, not the code.
	files, _ := filepath.Glob(e.file + "*")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(tok.RefreshToken)) || bytes.Contains(data, []byte(cb.Query().Get("code"))) {
			t.Errorf("%s holds a refresh token or code in clear", filepath.Base(file))
		}
	}
}

func TestLoginPageInEnglish(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	form, _ := e.loginPage(e.newFlow(appRedirect).authURL(), "Accept-Language: en-GB,en;q=0.9")
	if form.heading != "Test environment — test identities" {
		t.Errorf("heading %q", form.heading)
	}
}

// authorizeURL is a valid authorization request with some parameters
// changed (an empty value removes the parameter).
func authorizeURL(base string, changes map[string]string) string {
	v := url.Values{
		"client_id":             {auth.ClientID},
		"response_type":         {"code"},
		"scope":                 {"openid profile offline_access"},
		"redirect_uri":          {appRedirect},
		"state":                 {"st4te"},
		"nonce":                 {"n0nce"},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
		"code_challenge_method": {"S256"},
	}
	for k, val := range changes {
		if val == "" {
			v.Del(k)
		} else {
			v.Set(k, val)
		}
	}
	return base + auth.PathAuthorize + "?" + v.Encode()
}

func TestAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	loginPrefix := e.url + auth.PathTestLogin + "?"

	// Refused with 400 and no redirect: the redirect URI (or the client) is the problem.
	for _, redirect := range []string{
		"https://evil.example/cb",
		"http://127.0.0.1.evil.example/callback",
		"http://localhost:53682/callback",
		"https://127.0.0.1:53682/callback",
		"http://127.0.0.2:53682/callback",
		"http://127.0.0.1:53682/elsewhere",
		"http://127.0.0.1:53682/callback/",
		"http://127.0.0.1:53682/callback?next=https://evil.example",
		"http://user@127.0.0.1:53682/callback",
		"http://127.0.0.1:0/callback",
		"it.sportello.app://oauth2/callback",
		"it.sportello.app:/oauth2/elsewhere",
		"evil.app:/oauth2/callback",
		"",
	} {
		a := do(t, e.noFollow, http.MethodGet, authorizeURL(e.url, map[string]string{"redirect_uri": redirect}))
		if a.status != http.StatusBadRequest || a.header.Get("Location") != "" {
			t.Errorf("redirect_uri %q: %d to %q, want 400 and no redirect", redirect, a.status, a.header.Get("Location"))
		}
	}
	for _, client := range []string{"other-app", ""} {
		a := do(t, e.noFollow, http.MethodGet, authorizeURL(e.url, map[string]string{"client_id": client}))
		if a.status != http.StatusBadRequest || a.header.Get("Location") != "" {
			t.Errorf("client_id %q: %d to %q, want 400 and no redirect", client, a.status, a.header.Get("Location"))
		}
	}

	// Refused back to the app (the redirect URI is fine, RFC 6749 4.1.2.1).
	for name, tc := range map[string]struct {
		changes map[string]string
		errCode string
	}{
		"plain PKCE":        {map[string]string{"code_challenge": oauth2.GenerateVerifier(), "code_challenge_method": "plain"}, "invalid_request"},
		"no PKCE":           {map[string]string{"code_challenge": "", "code_challenge_method": ""}, "invalid_request"},
		"no method":         {map[string]string{"code_challenge_method": ""}, "invalid_request"},
		"short challenge":   {map[string]string{"code_challenge": "abc"}, "invalid_request"},
		"implicit":          {map[string]string{"response_type": "id_token token"}, "unauthorized_client"},
		"no openid":         {map[string]string{"scope": "profile"}, "invalid_scope"},
		"prompt none":       {map[string]string{"prompt": "none"}, "login_required"},
		"fragment response": {map[string]string{"response_mode": "fragment"}, "invalid_request"},
	} {
		a := do(t, e.noFollow, http.MethodGet, authorizeURL(e.url, tc.changes))
		loc, err := url.Parse(a.header.Get("Location"))
		if a.status != http.StatusFound || err != nil || loc.Scheme+"://"+loc.Host+loc.Path != appRedirect {
			t.Errorf("%s: %d to %q, want a redirect to the app", name, a.status, a.header.Get("Location"))
			continue
		}
		// In the query, or in the fragment when the request asked for it.
		params := loc.RawQuery
		if loc.Fragment != "" {
			params = loc.EscapedFragment()
		}
		if q, _ := url.ParseQuery(params); q.Get("error") != tc.errCode || q.Get("state") != "st4te" || q.Get("code") != "" {
			t.Errorf("%s: redirected with %s, want error=%s and the state", name, params, tc.errCode)
		}
	}

	// Accepted: loopback on any port (IPv4 and IPv6, or none) and the phone's scheme.
	for _, redirect := range []string{appRedirect, "http://127.0.0.1/callback", "http://[::1]:61000/callback", auth.RedirectPhone} {
		a := do(t, e.noFollow, http.MethodGet, authorizeURL(e.url, map[string]string{"redirect_uri": redirect}))
		if a.status != http.StatusFound || !strings.HasPrefix(a.header.Get("Location"), loginPrefix) {
			t.Errorf("redirect_uri %q: %d to %q, want the login page", redirect, a.status, a.header.Get("Location"))
		}
	}
}

// retrieveError is the OAuth error of a failed token request.
func retrieveError(t *testing.T, err error) string {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error %v, want an OAuth error answer", err)
	}
	return re.ErrorCode
}

func TestTokenRefusals(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	cf := demoAdults(t)[0].FiscalCode

	t.Run("missing verifier", func(t *testing.T) {
		f := e.newFlow(appRedirect)
		_, err := f.exchange(f.code(cf), oauth2.SetAuthURLParam("code_verifier", ""))
		if got := retrieveError(t, err); got != "invalid_request" {
			t.Errorf("error %q, want invalid_request", got)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		f := e.newFlow(appRedirect)
		_, err := f.exchange(f.code(cf), oauth2.VerifierOption(oauth2.GenerateVerifier()))
		if got := retrieveError(t, err); got != "invalid_grant" {
			t.Errorf("error %q, want invalid_grant", got)
		}
	})
	t.Run("other redirect_uri", func(t *testing.T) {
		f := e.newFlow(appRedirect)
		code := f.code(cf)
		f.config.RedirectURL = "http://127.0.0.1:53683/callback"
		_, err := f.exchange(code)
		if got := retrieveError(t, err); got != "invalid_grant" {
			t.Errorf("error %q, want invalid_grant", got)
		}
	})
	t.Run("unknown client", func(t *testing.T) {
		f := e.newFlow(appRedirect)
		code := f.code(cf)
		f.config.ClientID = "other-app"
		_, err := f.exchange(code)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
			t.Errorf("error %v, want 401 invalid_client", err)
		}
	})
	t.Run("reused code", func(t *testing.T) {
		f := e.newFlow(appRedirect)
		code := f.code(cf)
		tok, err := f.exchange(code)
		if err != nil {
			t.Fatal(err)
		}
		if a := e.api("/api/v1/me", tok.AccessToken); a.status != http.StatusOK {
			t.Fatalf("me: %d", a.status)
		}
		_, err = f.exchange(code)
		if got := retrieveError(t, err); got != "invalid_grant" {
			t.Errorf("error %q, want invalid_grant", got)
		}
		// RFC 6749 4.1.2: the tokens the code bought are revoked.
		wantUnauthorized(t, e.api("/api/v1/me", tok.AccessToken), "/api/v1/me")
		if status, body := e.refresh(tok.RefreshToken); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("refresh after the code's replay: %d %v", status, body)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		env := newSignInEnv(t, nil)
		f := env.newFlow(appRedirect)
		code := f.code(cf)
		env.clock.Advance(10 * time.Minute)
		_, err := f.exchange(code)
		if got := retrieveError(t, err); got != "invalid_grant" {
			t.Errorf("error %q, want invalid_grant", got)
		}
	})
	t.Run("callback answered once", func(t *testing.T) {
		f := e.newFlow(appRedirect)
		form, _ := e.loginPage(f.authURL())
		values := url.Values{"authRequestID": {form.hidden.Get("authRequestID")}, "fiscal_code": {cf}}
		resp, err := e.noFollow.PostForm(form.action.String(), values)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		callback := resp.Header.Get("Location")
		if !strings.HasPrefix(callback, e.url+auth.PathAuthorizeCallback+"?") {
			t.Fatalf("the login redirects to %q, want the callback", callback)
		}
		if a := do(t, e.noFollow, http.MethodGet, callback); a.status != http.StatusFound {
			t.Fatalf("callback: %d", a.status)
		}
		if a := do(t, e.noFollow, http.MethodGet, callback); a.status != http.StatusBadRequest {
			t.Errorf("callback again: %d, want 400 (one code per sign-in)", a.status)
		}
	})
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	tok := e.signIn(demoAdults(t)[1].FiscalCode)

	e.clock.Advance(time.Hour)
	status, body := e.refresh(tok.RefreshToken)
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, body)
	}
	newRefresh, _ := body["refresh_token"].(string)
	newAccess, _ := body["access_token"].(string)
	if newRefresh == "" || newRefresh == tok.RefreshToken || newAccess == "" || newAccess == tok.AccessToken {
		t.Fatalf("refresh answered %v: want a new refresh and access token", body)
	}
	if id, _ := body["id_token"].(string); id == "" {
		t.Error("no ID token on refresh")
	}
	if a := e.api("/api/v1/me", newAccess); a.status != http.StatusOK {
		t.Fatalf("me with the refreshed token: %d", a.status)
	}
	// The refresh restarted the inactivity window.
	var sess struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	_ = json.Unmarshal(e.api("/api/v1/session", newAccess).body, &sess)
	if want := e.clock.Now().Add(auth.DefaultSessionIdle); !sess.ExpiresAt.Equal(want) {
		t.Errorf("session ends %s after a refresh, want %s", sess.ExpiresAt, want)
	}

	// The old refresh token again: refused, and the whole session ends.
	status, body = e.refresh(tok.RefreshToken)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("reused refresh token: %d %v, want invalid_grant", status, body)
	}
	if status, body := e.refresh(newRefresh); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("the newest refresh token after a replay: %d %v, want invalid_grant", status, body)
	}
	wantUnauthorized(t, e.api("/api/v1/me", newAccess), "/api/v1/me")
	wantUnauthorized(t, e.api("/api/v1/session", newAccess), "/api/v1/session")
	sid, _ := jwtPart(t, newAccess, 1)["sid"].(string)
	if s, err := e.st.Session(context.Background(), sid); err != nil || s.RevokedReason != store.RevokedRefreshReused {
		t.Errorf("session %+v, %v: want revoked for reuse", s, err)
	}
}

// Two refreshes racing with the same token: one wins, the other is a reuse,
// which ends the session; either way never two fresh token pairs.
func TestRefreshRace(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	tok := e.signIn(demoAdults(t)[2].FiscalCode)
	statuses := make(chan int, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			status, _ := e.refresh(tok.RefreshToken)
			statuses <- status
		})
	}
	wg.Wait()
	close(statuses)
	ok := 0
	for s := range statuses {
		if s == http.StatusOK {
			ok++
		} else if s != http.StatusBadRequest {
			t.Errorf("status %d", s)
		}
	}
	if ok != 1 {
		t.Errorf("%d refreshes succeeded, want exactly one", ok)
	}
	wantUnauthorized(t, e.api("/api/v1/me", tok.AccessToken), "/api/v1/me")
}

func TestSessionIdleTimeout(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, func(c *SignIn) { c.SessionIdle, c.SessionMax = 5*time.Minute, 8*time.Minute })
	tok := e.signIn(demoAdults(t)[0].FiscalCode)
	e.clock.Advance(5*time.Minute - time.Second)
	if a := e.api("/api/v1/me", tok.AccessToken); a.status != http.StatusOK {
		t.Fatalf("me before the idle timeout: %d", a.status)
	}
	e.clock.Advance(time.Second)
	// The access token is valid for 10 minutes, but its session is over.
	wantUnauthorized(t, e.api("/api/v1/me", tok.AccessToken), "/api/v1/me")
	if status, body := e.refresh(tok.RefreshToken); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("refresh after the idle timeout: %d %v, want invalid_grant", status, body)
	}
}

func TestSessionMaximumLength(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, func(c *SignIn) { c.SessionIdle, c.SessionMax = 5*time.Minute, 8*time.Minute })
	start := e.clock.Now()
	tok := e.signIn(demoAdults(t)[0].FiscalCode)
	e.clock.Advance(4 * time.Minute)
	status, body := e.refresh(tok.RefreshToken)
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, body)
	}
	access, refresh := body["access_token"].(string), body["refresh_token"].(string)
	// Idle would end at 4+5 minutes; the maximum comes first.
	var sess struct {
		ExpiresAt   time.Time `json:"expires_at"`
		IdleTimeout int64     `json:"idle_timeout_seconds"`
	}
	_ = json.Unmarshal(e.api("/api/v1/session", access).body, &sess)
	if !sess.ExpiresAt.Equal(start.Add(8*time.Minute)) || sess.IdleTimeout != 300 {
		t.Errorf("session %+v, want the end at the maximum, %s", sess, start.Add(8*time.Minute))
	}
	e.clock.Advance(4 * time.Minute)
	wantUnauthorized(t, e.api("/api/v1/me", access), "/api/v1/me")
	if status, body := e.refresh(refresh); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("refresh past the maximum: %d %v, want invalid_grant", status, body)
	}
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	cf := demoAdults(t)[0].FiscalCode
	revoke := func(token, hint string) (int, map[string]any) {
		return e.postForm(auth.PathRevoke, url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {auth.ClientID}})
	}

	// RFC 7009 on the refresh token: the session ends.
	tok := e.signIn(cf)
	if status, body := revoke(tok.RefreshToken, "refresh_token"); status != http.StatusOK {
		t.Fatalf("revoke: %d %v", status, body)
	}
	wantUnauthorized(t, e.api("/api/v1/me", tok.AccessToken), "/api/v1/me")
	if status, _ := e.refresh(tok.RefreshToken); status != http.StatusBadRequest {
		t.Errorf("refresh after revocation: %d", status)
	}

	// On the access token, with or without the hint: the session ends too.
	for _, hint := range []string{"access_token", ""} {
		tok = e.signIn(cf)
		if status, body := revoke(tok.AccessToken, hint); status != http.StatusOK {
			t.Fatalf("revoke access token: %d %v", status, body)
		}
		wantUnauthorized(t, e.api("/api/v1/me", tok.AccessToken), "/api/v1/me")
		if status, _ := e.refresh(tok.RefreshToken); status != http.StatusBadRequest {
			t.Errorf("refresh after revoking the access token: %d", status)
		}
	}

	// An expired access token still names its session.
	tok = e.signIn(cf)
	e.clock.Advance(11 * time.Minute)
	if status, _ := revoke(tok.AccessToken, "access_token"); status != http.StatusOK {
		t.Errorf("revoke an expired access token: %d", status)
	}
	if status, _ := e.refresh(tok.RefreshToken); status != http.StatusBadRequest {
		t.Errorf("refresh after revoking its expired access token: %d", status)
	}

	// Unknown tokens are fine (section 2.2); unknown clients are not.
	if status, _ := revoke("not-a-token", "refresh_token"); status != http.StatusOK {
		t.Errorf("revoke garbage: %d, want 200", status)
	}
	if status, body := e.postForm(auth.PathRevoke, url.Values{"token": {"x"}, "client_id": {"other-app"}}); status != http.StatusUnauthorized {
		t.Errorf("revoke by an unknown client: %d %v, want 401", status, body)
	}
}

// /api/v1/me answers for the token's subject, whatever the request says.
func TestMeIsTheTokenSubject(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	adults := demoAdults(t)
	a, b := adults[0], adults[len(adults)-1]
	tokA, tokB := e.signIn(a.FiscalCode), e.signIn(b.FiscalCode)
	for _, tc := range []struct {
		token, want string
		path        string
	}{
		{tokA.AccessToken, a.FiscalCode, "/api/v1/me"},
		{tokB.AccessToken, b.FiscalCode, "/api/v1/me"},
		{tokA.AccessToken, a.FiscalCode, "/api/v1/me?fiscal_code=" + b.FiscalCode},
		{tokA.AccessToken, a.FiscalCode, "/api/v1/me?sub=" + b.FiscalCode + "&id=" + b.FiscalCode},
	} {
		me := decodeCitizen(t, e.api(tc.path, tc.token))
		if me.FiscalCode != tc.want || me.FiscalCode != jwtPart(t, tc.token, 1)["sub"] {
			t.Errorf("%s answered %s, want the token's subject %s", tc.path, me.FiscalCode, tc.want)
		}
	}
	// A's token stays A's after B's session ends.
	if st, _ := e.postForm(auth.PathRevoke, url.Values{"token": {tokB.RefreshToken}, "client_id": {auth.ClientID}}); st != http.StatusOK {
		t.Fatal(st)
	}
	if me := decodeCitizen(t, e.api("/api/v1/me", tokA.AccessToken)); me.FiscalCode != a.FiscalCode {
		t.Errorf("me = %s", me.FiscalCode)
	}
}

func TestEndSession(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	cf := demoAdults(t)[0].FiscalCode

	tok := e.signIn(cf)
	idToken := tok.Extra("id_token").(string)
	q := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"http://127.0.0.1:53682/signed-out"}, "state": {"bye"}}
	a := do(t, e.noFollow, http.MethodGet, e.url+auth.PathEndSession+"?"+q.Encode())
	if a.status != http.StatusFound || a.header.Get("Location") != "http://127.0.0.1:53682/signed-out?state=bye" {
		t.Errorf("end_session: %d to %q", a.status, a.header.Get("Location"))
	}
	wantUnauthorized(t, e.api("/api/v1/me", tok.AccessToken), "/api/v1/me")

	// No redirect of the app's: the server's own page.
	tok = e.signIn(cf)
	resp, err := http.Get(e.url + auth.PathEndSession + "?" + url.Values{"id_token_hint": {tok.Extra("id_token").(string)}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != auth.PathSignedOut || !bytes.Contains(body, []byte("Sei uscito")) {
		t.Errorf("end_session without a redirect: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	wantUnauthorized(t, e.api("/api/v1/me", tok.AccessToken), "/api/v1/me")

	// A redirect nobody registered is refused, and the session lives on.
	tok = e.signIn(cf)
	q.Set("id_token_hint", tok.Extra("id_token").(string))
	q.Set("post_logout_redirect_uri", "https://evil.example/out")
	if a := do(t, e.noFollow, http.MethodGet, e.url+auth.PathEndSession+"?"+q.Encode()); a.status != http.StatusBadRequest {
		t.Errorf("end_session to evil.example: %d to %q", a.status, a.header.Get("Location"))
	}
	if a := e.api("/api/v1/me", tok.AccessToken); a.status != http.StatusOK {
		t.Errorf("me after a refused logout: %d", a.status)
	}
}
