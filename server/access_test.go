package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/demo"
)

// forge signs claims with key (ES256) and kid; extra are private claims.
func forge(t *testing.T, key *ecdsa.PrivateKey, kid string, claims jwt.Claims, extra map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Claims(extra).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// flip changes one character of part i (0 header, 1 payload, 2 signature).
func flip(token string, i int) string {
	parts := strings.Split(token, ".")
	p := []byte(parts[i])
	at := len(p) / 2
	if p[at] == 'A' {
		p[at] = 'B'
	} else {
		p[at] = 'A'
	}
	parts[i] = string(p)
	return strings.Join(parts, ".")
}

func unsigned(t *testing.T, header string, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc(payload) + "."
}

func TestAPIRefusesBadTokens(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	cf := demoAdults(t)[0].FiscalCode
	tok := e.signIn(cf)
	good := tok.AccessToken
	sid := jwtPart(t, good, 1)["sid"].(string)
	ours, err := auth.LoadKey(auth.KeyFile(e.file))
	if err != nil {
		t.Fatal(err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	valid := jwt.Claims{Issuer: e.url, Subject: cf, Audience: jwt.Audience{auth.ClientID},
		Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)), IssuedAt: jwt.NewNumericDate(now)}
	with := func(change func(*jwt.Claims)) jwt.Claims {
		c := valid
		change(&c)
		return c
	}
	sidClaim := map[string]any{"sid": sid}

	// The forging works: with our key and the right claims the API says yes.
	if a := e.api("/api/v1/me", forge(t, ours.Private(), ours.ID(), valid, sidClaim)); a.status != http.StatusOK {
		t.Fatalf("a well-formed token signed with our key: %d %s", a.status, a.body)
	}

	for name, header := range map[string]string{
		"no token":        "",
		"empty bearer":    "Authorization: Bearer ",
		"basic":           "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("sportello-app:")),
		"not a JWT":       "Authorization: Bearer not-a-jwt",
		"signature flip":  "Authorization: Bearer " + flip(good, 2),
		"payload flip":    "Authorization: Bearer " + flip(good, 1),
		"header flip":     "Authorization: Bearer " + flip(good, 0),
		"token in query":  "",
		"wrong audience":  "Authorization: Bearer " + forge(t, ours.Private(), ours.ID(), with(func(c *jwt.Claims) { c.Audience = jwt.Audience{"other"} }), sidClaim),
		"no audience":     "Authorization: Bearer " + forge(t, ours.Private(), ours.ID(), with(func(c *jwt.Claims) { c.Audience = nil }), sidClaim),
		"wrong issuer":    "Authorization: Bearer " + forge(t, ours.Private(), ours.ID(), with(func(c *jwt.Claims) { c.Issuer = "https://evil.example" }), sidClaim),
		"no expiry":       "Authorization: Bearer " + forge(t, ours.Private(), ours.ID(), with(func(c *jwt.Claims) { c.Expiry = nil }), sidClaim),
		"other subject":   "Authorization: Bearer " + forge(t, ours.Private(), ours.ID(), with(func(c *jwt.Claims) { c.Subject = demoAdults(t)[1].FiscalCode }), sidClaim),
		"no session":      "Authorization: Bearer " + forge(t, ours.Private(), ours.ID(), valid, nil),
		"unknown session": "Authorization: Bearer " + forge(t, ours.Private(), ours.ID(), valid, map[string]any{"sid": "nope"}),
		"another key":     "Authorization: Bearer " + forge(t, other, ours.ID(), valid, sidClaim),
		"alg none": "Authorization: Bearer " + unsigned(t, `{"alg":"none","typ":"JWT"}`,
			map[string]any{"iss": e.url, "sub": cf, "aud": auth.ClientID, "exp": now.Add(time.Minute).Unix(), "sid": sid}),
	} {
		path := "/api/v1/me"
		if name == "token in query" {
			path += "?access_token=" + url.QueryEscape(good) // RFC 6750 2.3 is not supported
		}
		var headers []string
		if header != "" {
			headers = append(headers, header)
		}
		a := get(t, e.url+path, headers...)
		if a.status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, a.status)
			continue
		}
		wantUnauthorized(t, a, "/api/v1/me")
		if strings.Contains(string(a.body), cf) {
			t.Errorf("%s: the refusal names the citizen", name)
		}
	}

	// HS256 with the public key as the secret (the algorithm confusion attack).
	pub, err := json.Marshal(jose.JSONWebKey{Key: ours.Public()})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pub}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hsToken, err := jwt.Signed(hs).Claims(valid).Claims(sidClaim).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	wantUnauthorized(t, e.api("/api/v1/me", hsToken), "/api/v1/me")

	// Expired by the clock; the token is good until then.
	if a := e.api("/api/v1/me", good); a.status != http.StatusOK {
		t.Fatalf("the good token: %d", a.status)
	}
	e.clock.Advance(auth.DefaultAccessTokenTTL)
	a := e.api("/api/v1/me", good)
	wantUnauthorized(t, a, "/api/v1/me")
	if ch := a.header.Get("WWW-Authenticate"); !strings.Contains(ch, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q for an expired token", ch)
	}
	if a := e.api("/api/v1/session", good); a.status != http.StatusUnauthorized {
		t.Errorf("session with an expired token: %d", a.status)
	}
}

func TestTestIdentityProvider(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, nil)
	adults := demoAdults(t)

	// The identities: the adults, as JSON.
	a := get(t, e.url+auth.PathTestIdentities)
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("test identities: %d %s", a.status, a.header.Get("Content-Type"))
	}
	var ids []map[string]string
	if err := json.Unmarshal(a.body, &ids); err != nil {
		t.Fatal(err)
	}
	offered := map[string]bool{}
	for _, id := range ids {
		if len(id) != 3 || id["fiscal_code"] == "" || id["surname"] == "" || id["name"] == "" {
			t.Errorf("identity %v", id)
		}
		offered[id["fiscal_code"]] = true
	}
	for _, c := range adults {
		if !offered[c.FiscalCode] {
			t.Errorf("adult %s %s is not offered", c.Name, c.Surname)
		}
	}
	if len(ids) != len(adults) {
		t.Errorf("%d identities, want the %d adults", len(ids), len(adults))
	}
	var minor string
	for _, c := range demoCitizens() {
		if !offered[c.FiscalCode] {
			minor = c.FiscalCode
		}
	}
	if minor == "" {
		t.Fatal("the demo has no minor")
	}

	// Unknown sign-in: a 400 page that says so, in the reader's language.
	for lang, want := range map[string]string{"it": "non esiste", "en": "does not exist"} {
		a := get(t, e.url+auth.PathTestLogin+"?authRequestID=nope", "Accept-Language: "+lang)
		if a.status != http.StatusBadRequest || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(string(a.body), want) {
			t.Errorf("%s: unknown sign-in: %d %q", lang, a.status, a.body)
		}
	}
	resp, err := http.PostForm(e.url+auth.PathTestLogin, url.Values{"authRequestID": {"nope"}, "fiscal_code": {adults[0].FiscalCode}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST for an unknown sign-in: %d", resp.StatusCode)
	}

	// Unknown citizen, or a minor: refused, and the sign-in still pending.
	f := e.newFlow(appRedirect)
	form, _ := e.loginPage(f.authURL())
	for _, cf := range []string{"RSSMRA80A01H501U", minor, ""} {
		resp, err := e.noFollow.PostForm(form.action.String(), url.Values{"authRequestID": {form.hidden.Get("authRequestID")}, "fiscal_code": {cf}})
		if err != nil {
			t.Fatal(err)
		}
		body := make([]byte, 4096)
		n, _ := resp.Body.Read(body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body[:n]), "Nessuna identità di test") {
			t.Errorf("fiscal code %q: %d %s", cf, resp.StatusCode, body[:n])
		}
	}
	cb := e.pick(form, adults[0].FiscalCode)
	if cb.Query().Get("code") == "" {
		t.Errorf("the sign-in did not go on after refusals: %s", cb)
	}
	// Finished: the same sign-in cannot be used again.
	if a := get(t, e.url+auth.PathTestLogin+"?authRequestID="+url.QueryEscape(form.hidden.Get("authRequestID"))); a.status != http.StatusBadRequest {
		t.Errorf("the login page of a finished sign-in: %d", a.status)
	}
}

func demoCitizens() []core.Citizen { return demo.Generate(testNow).Citizens }

func TestWithoutTestIdentityProvider(t *testing.T) {
	t.Parallel()
	e := newSignInEnv(t, func(c *SignIn) { c.TestIdP = false })
	for _, rt := range []struct{ method, path string }{
		{http.MethodGet, auth.PathTestLogin + "?authRequestID=x"},
		{http.MethodPost, auth.PathTestLogin},
		{http.MethodGet, auth.PathTestIdentities},
	} {
		a := do(t, nil, rt.method, e.url+rt.path)
		checkProblem(t, a, http.StatusNotFound, core.ProblemNotFound, strings.Split(rt.path, "?")[0])
	}
	// Nobody can sign in: the app hears access_denied.
	a := do(t, e.noFollow, http.MethodGet, authorizeURL(e.url, nil))
	loc, _ := url.Parse(a.header.Get("Location"))
	if a.status != http.StatusFound || loc == nil || loc.Query().Get("error") != "access_denied" {
		t.Errorf("authorize without an identity provider: %d to %q", a.status, a.header.Get("Location"))
	}
}

func TestWithoutSignIn(t *testing.T) {
	t.Parallel()
	ts, _ := seededServer(t) // New without WithAuth
	for _, path := range []string{auth.PathDiscovery, auth.PathKeys, auth.PathTestIdentities, auth.PathSignedOut} {
		checkProblem(t, get(t, ts.URL+path), http.StatusNotFound, core.ProblemNotFound, path)
	}
	wantUnauthorized(t, get(t, ts.URL+"/api/v1/me", "Authorization: Bearer x.y.z"), "/api/v1/me")
	wantUnauthorized(t, get(t, ts.URL+"/api/v1/session"), "/api/v1/session")
}

func TestStartSignIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, withDemo := range []bool{true, false} {
		file := filepath.Join(t.TempDir(), "start.db")
		r, err := Start(ctx, file, "127.0.0.1:0", withDemo, discardLog())
		if err != nil {
			t.Fatal(err)
		}
		// The issuer is the address it listens on.
		var meta struct {
			Issuer string `json:"issuer"`
			Token  string `json:"token_endpoint"`
		}
		if err := json.Unmarshal(get(t, r.URL+auth.PathDiscovery).body, &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Issuer != r.URL || meta.Token != r.URL+auth.PathToken {
			t.Errorf("issuer %q, token endpoint %q; want %s", meta.Issuer, meta.Token, r.URL)
		}
		// The key is next to the database, readable by its owner only.
		fi, err := os.Stat(auth.KeyFile(file))
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
		}
		// The demo has the test identity provider; the rest do not.
		want := http.StatusNotFound
		if withDemo {
			want = http.StatusOK
		}
		if a := get(t, r.URL+auth.PathTestIdentities); a.status != want {
			t.Errorf("demo %v: test identities %d, want %d", withDemo, a.status, want)
		}
		if err := r.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// The personal endpoints' answers follow the schemas of openapi.json.
func TestPersonalResponsesMatchSchemas(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	e := newSignInEnv(t, nil)
	tok := e.signIn(demoAdults(t)[0].FiscalCode)
	for _, tc := range []struct {
		path, token string
		status      int
	}{
		{"/api/v1/me", tok.AccessToken, http.StatusOK},
		{"/api/v1/me", "", http.StatusUnauthorized},
		{"/api/v1/session", tok.AccessToken, http.StatusOK},
		{"/api/v1/session", "x", http.StatusUnauthorized},
		{auth.PathTestIdentities, "", http.StatusOK},
	} {
		a := e.api(tc.path, tc.token)
		if a.status != tc.status {
			t.Errorf("GET %s: %d, want %d", tc.path, a.status, tc.status)
			continue
		}
		mediaType, _, _ := strings.Cut(a.header.Get("Content-Type"), ";")
		var v any
		if err := json.Unmarshal(a.body, &v); err != nil {
			t.Fatalf("GET %s: %v", tc.path, err)
		}
		for _, err := range validate(doc, responseSchema(t, doc, tc.path, tc.status, mediaType), v, "GET "+tc.path) {
			t.Error(err)
		}
	}
}
