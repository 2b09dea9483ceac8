package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/store"
)

// testNow is the fixed instant the demo is seeded at.
var testNow = time.Date(2026, time.November, 22, 10, 30, 0, 0, time.UTC)

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openStore opens a store on a fresh file in a temporary directory, seeded
// with the demo when seed is set, and closes it when the test ends.
func openStore(tb testing.TB, seed bool) *store.Store {
	tb.Helper()
	file := filepath.Join(tb.TempDir(), "sportello.db")
	st, err := OpenStore(context.Background(), file, seed, testNow)
	if err != nil {
		tb.Fatalf("OpenStore: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// serveStore serves st on loopback until the test ends. Registered after the
// store's cleanup, the server's runs first.
func serveStore(tb testing.TB, st *store.Store) *httptest.Server {
	tb.Helper()
	ts := httptest.NewServer(New(st, discardLog()).Handler())
	tb.Cleanup(ts.Close)
	return ts
}

// seededServer is a server over a freshly seeded demo database.
func seededServer(tb testing.TB) (*httptest.Server, *store.Store) {
	tb.Helper()
	st := openStore(tb, true)
	return serveStore(tb, st), st
}

// answer is a response read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request with the given headers ("Name: value") and reads the
// whole answer.
func do(t testing.TB, client *http.Client, method, url string, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			t.Fatalf("bad header %q", h)
		}
		req.Header.Set(name, strings.TrimSpace(value))
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return answer{resp.StatusCode, resp.Header, body}
}

func get(t testing.TB, url string, headers ...string) answer {
	t.Helper()
	return do(t, nil, http.MethodGet, url, headers...)
}

// checkProblem asserts that a is a problem document of the given status and
// type about path, and returns it.
func checkProblem(t *testing.T, a answer, status int, typ, path string) core.Problem {
	t.Helper()
	if a.status != status {
		t.Errorf("status %d, want %d; body %s", a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	if cc := a.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store on an error", cc)
	}
	var p core.Problem
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem document %s: %v", a.body, err)
	}
	if p.Type != typ {
		t.Errorf("problem type %q, want %q", p.Type, typ)
	}
	if p.Status != status {
		t.Errorf("problem status %d, want %d", p.Status, status)
	}
	if p.Title == "" || p.Detail == "" {
		t.Errorf("problem without title or detail: %+v", p)
	}
	if p.Instance != path {
		t.Errorf("problem instance %q, want %q", p.Instance, path)
	}
	return p
}

func decodeMunicipality(t *testing.T, a answer) core.Municipality {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", a.status, a.body)
	}
	var m core.Municipality
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("municipality %s: %v", a.body, err)
	}
	return m
}

func TestHealth(t *testing.T) {
	t.Parallel()
	ts, _ := seededServer(t)
	a := get(t, ts.URL+"/healthz")
	if a.status != http.StatusOK {
		t.Fatalf("status %d, want 200", a.status)
	}
	var v map[string]any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v, map[string]any{"status": "ok"}) {
		t.Errorf("body %s, want {\"status\":\"ok\"}", a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := a.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store: health must never come from a cache", cc)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	ts, _ := seededServer(t)
	for _, path := range []string{"/healthz", "/api/v1/municipality", "/nowhere"} {
		a := get(t, ts.URL+path)
		if got := a.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", path, got)
		}
		if got := a.header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q", path, got)
		}
	}
}

func TestMunicipality(t *testing.T) {
	t.Parallel()
	ts, st := seededServer(t)
	ds := demo.Generate(testNow)
	citizens, err := st.Citizens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(citizens) == 0 {
		t.Fatal("the seeded store has no citizens")
	}

	it := get(t, ts.URL+"/api/v1/municipality")
	if ct := it.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if cl := it.header.Get("Content-Language"); cl != "it" {
		t.Errorf("Content-Language %q, want it by default", cl)
	}
	if v := it.header.Get("Vary"); !strings.Contains(v, "Accept-Language") {
		t.Errorf("Vary %q does not name Accept-Language", v)
	}
	if cc := it.header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", cc)
	}
	m := decodeMunicipality(t, it)
	if m.Name != "Comune di Valdoria" || m.ISTAT != demo.ISTAT || m.Belfiore != demo.Belfiore ||
		m.Province != demo.Province || m.Region != demo.Region || m.FiscalCode != demo.FiscalCode || !m.Demo {
		t.Errorf("identity: %+v", m)
	}
	if m.Contacts != ds.Municipality.Contacts {
		t.Errorf("contacts %+v, want %+v", m.Contacts, ds.Municipality.Contacts)
	}
	if m.LogoURL != "/api/v1/municipality/logo" {
		t.Errorf("logo_url %q", m.LogoURL)
	}
	if m.Population != len(citizens) {
		t.Errorf("population %d, the store has %d citizens", m.Population, len(citizens))
	}
	if len(m.Offices) == 0 {
		t.Fatal("no offices")
	}
	for _, o := range m.Offices {
		if len(o.Hours) == 0 {
			t.Errorf("office %s has no opening hours", o.ID)
		}
	}
	if !reflect.DeepEqual(m.Offices, ds.Municipality.Offices) {
		t.Errorf("offices differ from the demo's:\n got %+v\nwant %+v", m.Offices, ds.Municipality.Offices)
	}
	if len(m.Services) != len(ds.Services) {
		t.Fatalf("%d services, want %d", len(m.Services), len(ds.Services))
	}
	for i, sv := range m.Services {
		want := ds.Services[i]
		if sv.ID != want.ID || sv.Name != want.NameIT || sv.Description != want.DescriptionIT || sv.Online != want.Online {
			t.Errorf("service %d: %+v, want the Italian %+v", i, sv, want)
		}
	}

	en := get(t, ts.URL+"/api/v1/municipality", "Accept-Language: en-GB,en;q=0.9")
	if cl := en.header.Get("Content-Language"); cl != "en" {
		t.Errorf("Content-Language %q, want en", cl)
	}
	me := decodeMunicipality(t, en)
	for i, sv := range me.Services {
		want := ds.Services[i]
		if sv.ID != want.ID || sv.Name != want.NameEN || sv.Description != want.DescriptionEN {
			t.Errorf("service %d: %+v, want the English %+v", i, sv, want)
		}
	}
	// Only the services are localised.
	me.Services, m.Services = nil, nil
	if !reflect.DeepEqual(me, m) {
		t.Errorf("the English answer differs beyond the services:\n it %+v\n en %+v", m, me)
	}
}

func TestAcceptLanguage(t *testing.T) {
	t.Parallel()
	ts, _ := seededServer(t)
	for _, tc := range []struct{ header, want string }{
		{"", "it"},
		{"it-IT,it;q=0.9,en;q=0.8", "it"},
		{"en", "en"},
		{"en-US", "en"},
		{"en-GB,en;q=0.9", "en"},
		{"de-DE, en;q=0.5", "en"},
		{"fr", "it"},
		{"it;q=0.2, en;q=0.8", "en"},
		{"!!not a language!!", "it"},
	} {
		var headers []string
		if tc.header != "" {
			headers = append(headers, "Accept-Language: "+tc.header)
		}
		a := get(t, ts.URL+"/api/v1/municipality", headers...)
		if a.status != http.StatusOK {
			t.Errorf("Accept-Language %q: status %d", tc.header, a.status)
			continue
		}
		if got := a.header.Get("Content-Language"); got != tc.want {
			t.Errorf("Accept-Language %q: Content-Language %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestMunicipalityETag(t *testing.T) {
	t.Parallel()
	ts, _ := seededServer(t)
	url := ts.URL + "/api/v1/municipality"
	first := get(t, url)
	etag := first.header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 3 {
		t.Fatalf("ETag %q is not a strong entity tag", etag)
	}
	if again := get(t, url); again.header.Get("ETag") != etag || !bytes.Equal(again.body, first.body) {
		t.Error("the same resource asked twice has another ETag or body")
	}

	for _, inm := range []string{etag, `"other", ` + etag, "W/" + etag, "*"} {
		a := get(t, url, "If-None-Match: "+inm)
		if a.status != http.StatusNotModified {
			t.Errorf("If-None-Match %s: status %d, want 304", inm, a.status)
		}
		if len(a.body) != 0 {
			t.Errorf("If-None-Match %s: 304 with a %d-byte body", inm, len(a.body))
		}
		if got := a.header.Get("ETag"); got != etag {
			t.Errorf("If-None-Match %s: 304 carries ETag %q, want %q", inm, got, etag)
		}
	}
	for _, inm := range []string{`"something-else"`, `W/"something-else"`, strings.Trim(etag, `"`)} {
		a := get(t, url, "If-None-Match: "+inm)
		if a.status != http.StatusOK || !bytes.Equal(a.body, first.body) {
			t.Errorf("If-None-Match %s: status %d, want 200 with the full body", inm, a.status)
		}
	}

	en := get(t, url, "Accept-Language: en-GB,en;q=0.9")
	enTag := en.header.Get("ETag")
	if enTag == "" || enTag == etag {
		t.Fatalf("Italian and English answers share the ETag %q", etag)
	}
	// A client that switched language must not be told its Italian copy is current.
	if a := get(t, url, "Accept-Language: en", "If-None-Match: "+etag); a.status != http.StatusOK {
		t.Errorf("English request with the Italian ETag: status %d, want 200", a.status)
	}
	if a := get(t, url, "Accept-Language: en", "If-None-Match: "+enTag); a.status != http.StatusNotModified {
		t.Errorf("English request with the English ETag: status %d, want 304", a.status)
	}
}

func TestHead(t *testing.T) {
	t.Parallel()
	ts, _ := seededServer(t)
	g := get(t, ts.URL+"/api/v1/municipality")
	h := do(t, nil, http.MethodHead, ts.URL+"/api/v1/municipality")
	if h.status != http.StatusOK || len(h.body) != 0 {
		t.Errorf("HEAD: status %d, %d-byte body", h.status, len(h.body))
	}
	if h.header.Get("ETag") != g.header.Get("ETag") {
		t.Errorf("HEAD ETag %q, GET ETag %q", h.header.Get("ETag"), g.header.Get("ETag"))
	}
}

func TestLogo(t *testing.T) {
	t.Parallel()
	ts, _ := seededServer(t)
	url := ts.URL + "/api/v1/municipality/logo"
	a := get(t, url)
	if a.status != http.StatusOK {
		t.Fatalf("status %d", a.status)
	}
	if ct := a.header.Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("Content-Type %q, want image/svg+xml", ct)
	}
	if cc := a.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
		t.Errorf("Cache-Control %q: the logo should be cacheable", cc)
	}
	if !bytes.Equal(a.body, demo.Generate(testNow).Logo) {
		t.Error("the logo differs from the demo's")
	}
	dec := xml.NewDecoder(bytes.NewReader(a.body))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the logo is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("root element %q, want svg", root)
	}

	etag := a.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	nm := get(t, url, "If-None-Match: "+etag)
	if nm.status != http.StatusNotModified || len(nm.body) != 0 {
		t.Errorf("If-None-Match: status %d with %d bytes, want 304 and no body", nm.status, len(nm.body))
	}
}

func TestLogoMissing(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "nologo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ds := demo.Generate(testNow)
	ds.Logo = nil
	if err := st.Seed(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	ts := serveStore(t, st)
	checkProblem(t, get(t, ts.URL+"/api/v1/municipality/logo"), http.StatusNotFound, core.ProblemNotFound, "/api/v1/municipality/logo")
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	t.Parallel()
	ts, _ := seededServer(t)
	for _, path := range []string{"/", "/nowhere", "/api/v1/", "/api/v1/municipality/", "/api/v2/municipality", "/api/v1/municipality/logo/x"} {
		checkProblem(t, get(t, ts.URL+path), http.StatusNotFound, core.ProblemNotFound, path)
	}

	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/api/v1/municipality"},
		{http.MethodPut, "/api/v1/municipality"},
		{http.MethodDelete, "/api/v1/municipality/logo"},
		{http.MethodPatch, "/healthz"},
		{http.MethodPost, "/api/v1/openapi.json"},
	} {
		a := do(t, nil, tc.method, ts.URL+tc.path)
		checkProblem(t, a, http.StatusMethodNotAllowed, core.ProblemMethodNotAllowed, tc.path)
		allow := map[string]bool{}
		for _, m := range strings.Split(a.header.Get("Allow"), ",") {
			allow[strings.TrimSpace(m)] = true
		}
		if !allow["GET"] || !allow["HEAD"] || allow[tc.method] {
			t.Errorf("%s %s: Allow %q", tc.method, tc.path, a.header.Get("Allow"))
		}
	}
}

func TestNotSetUp(t *testing.T) {
	t.Parallel()
	st := openStore(t, false)
	ts := serveStore(t, st)
	for _, path := range []string{"/api/v1/municipality", "/api/v1/municipality/logo"} {
		checkProblem(t, get(t, ts.URL+path), http.StatusServiceUnavailable, core.ProblemNotSetUp, path)
	}
	if a := get(t, ts.URL+"/healthz"); a.status != http.StatusOK {
		t.Errorf("healthz on an empty database: status %d, want 200", a.status)
	}
	if a := get(t, ts.URL+"/api/v1/openapi.json"); a.status != http.StatusOK {
		t.Errorf("openapi.json on an empty database: status %d, want 200", a.status)
	}
}

// TestDatabaseGone closes the store under a running server: the API must
// answer with problem documents, not hang or drop the connection.
func TestDatabaseGone(t *testing.T) {
	t.Parallel()
	st := openStore(t, true)
	ts := serveStore(t, st)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	checkProblem(t, get(t, ts.URL+"/healthz"), http.StatusServiceUnavailable, core.ProblemUnavailable, "/healthz")
	for _, path := range []string{"/api/v1/municipality", "/api/v1/municipality/logo"} {
		p := checkProblem(t, get(t, ts.URL+path), http.StatusInternalServerError, core.ProblemInternal, path)
		if strings.Contains(strings.ToLower(p.Detail), "sql") {
			t.Errorf("the problem leaks the database error: %q", p.Detail)
		}
	}
}

// rawRequest writes head (the request line and headers, without the blank
// line) on a fresh connection and reads one response.
func rawRequest(t *testing.T, serverURL, head string) answer {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(serverURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A guard against a server that never answers, not a measure of speed.
	if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, head+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to %q: %v (is the server waiting for a body it does not read?)", strings.SplitN(head, "\r\n", 2)[0], err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, body}
}

func TestRequestTooLarge(t *testing.T) {
	t.Parallel()
	ts, _ := seededServer(t)
	// The limit is enforced on the declared length, before any body is read:
	// the client announces 2 MiB and sends none of it.
	for _, path := range []string{"/api/v1/municipality", "/healthz", "/nowhere"} {
		a := rawRequest(t, ts.URL, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: sportello.test\r\nContent-Type: application/json\r\nContent-Length: %d", path, 2<<20))
		checkProblem(t, a, http.StatusRequestEntityTooLarge, core.ProblemTooLarge, path)
	}
	// Exactly the limit is not too large: that request goes on to routing.
	a := rawRequest(t, ts.URL, fmt.Sprintf("GET /healthz HTTP/1.1\r\nHost: sportello.test\r\nContent-Length: %d", MaxRequestBody))
	if a.status != http.StatusOK {
		t.Errorf("a body of exactly MaxRequestBody: status %d, want 200", a.status)
	}
}

// TestUnreadBodyDoesNotStall sends requests whose bodies no handler reads and
// withholds the bodies: the server must answer at once and drop the
// connection instead of waiting for them. With Expect: 100-continue the
// client is entitled to wait for the server's go-ahead, which never comes
// from a handler that does not read.
func TestUnreadBodyDoesNotStall(t *testing.T) {
	t.Parallel()
	ts, _ := seededServer(t)
	for _, tc := range []struct {
		head   string
		status int
	}{
		{"POST /api/v1/municipality HTTP/1.1\r\nHost: sportello.test\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 20", http.StatusMethodNotAllowed},
		{"GET /api/v1/municipality HTTP/1.1\r\nHost: sportello.test\r\nExpect: 100-continue\r\nContent-Length: 20", http.StatusOK},
		{"POST /nowhere HTTP/1.1\r\nHost: sportello.test\r\nExpect: 100-continue\r\nContent-Length: 20", http.StatusNotFound},
		{"PUT /healthz HTTP/1.1\r\nHost: sportello.test\r\nContent-Length: 524288", http.StatusMethodNotAllowed},
	} {
		a := rawRequest(t, ts.URL, tc.head)
		if a.status != tc.status {
			t.Errorf("%q: status %d, want %d", strings.SplitN(tc.head, "\r\n", 2)[0], a.status, tc.status)
		}
	}
}

func TestPanicRecovery(t *testing.T) {
	t.Parallel()
	s := New(openStore(t, false), discardLog())
	const secret = "secret-panic-value"
	ts := httptest.NewServer(s.middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(secret)
	})))
	t.Cleanup(ts.Close)
	for range 3 { // the server survives and keeps answering
		a := get(t, ts.URL+"/boom")
		checkProblem(t, a, http.StatusInternalServerError, core.ProblemInternal, "/boom")
		if bytes.Contains(a.body, []byte(secret)) {
			t.Errorf("the problem leaks the panic value: %s", a.body)
		}
	}
}

func TestStatusRecorder(t *testing.T) {
	rr := httptest.NewRecorder()
	rec := &statusRecorder{ResponseWriter: rr, status: http.StatusOK}
	rec.WriteHeader(http.StatusTeapot)
	rec.WriteHeader(http.StatusOK) // superfluous: the first one counts
	n, _ := rec.Write([]byte("hello"))
	if rec.status != http.StatusTeapot || !rec.wrote || rec.bytes != 5 || n != 5 {
		t.Errorf("recorder: status %d wrote %v bytes %d", rec.status, rec.wrote, rec.bytes)
	}
}

func TestEtagMatches(t *testing.T) {
	const tag = `"abc"`
	for _, tc := range []struct {
		inm  string
		want bool
	}{
		{``, false},
		{`"abc"`, true},
		{`W/"abc"`, true},
		{`"x", "abc"`, true},
		{`"x","abc"`, true},
		{`*`, true},
		{`"abcd"`, false},
		{`abc`, false},
		{`"x"`, false},
	} {
		if got := etagMatches(tc.inm, tag); got != tc.want {
			t.Errorf("etagMatches(%q, %q) = %v, want %v", tc.inm, tag, got, tc.want)
		}
	}
}

func citizenCount(t *testing.T, file string) int {
	t.Helper()
	st, err := store.Open(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	has, err := st.HasMunicipality(context.Background())
	if err != nil || !has {
		t.Fatalf("HasMunicipality = %v, %v; want true", has, err)
	}
	list, err := st.Citizens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestStartClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "sportello.db")

	startAndCheck := func() (population int, etag string) {
		t.Helper()
		r, err := Start(ctx, file, "127.0.0.1:0", true, discardLog())
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		if !strings.HasPrefix(r.URL, "http://127.0.0.1:") {
			t.Errorf("URL %q", r.URL)
		}
		client := &http.Client{Transport: &http.Transport{}}
		defer client.CloseIdleConnections()
		if a := do(t, client, http.MethodGet, r.URL+"/healthz"); a.status != http.StatusOK {
			t.Errorf("healthz: status %d", a.status)
		}
		a := do(t, client, http.MethodGet, r.URL+"/api/v1/municipality")
		m := decodeMunicipality(t, a)

		if err := r.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		conn, err := net.Dial("tcp", strings.TrimPrefix(r.URL, "http://"))
		if err == nil {
			conn.Close()
			t.Fatalf("%s still accepts connections after Close", r.URL)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Logf("dial after Close: %v (not ECONNREFUSED)", err)
		}
		return m.Population, a.header.Get("ETag")
	}

	pop1, etag1 := startAndCheck()
	n1 := citizenCount(t, file)
	if want := len(demo.Generate(time.Now()).Citizens); n1 != want || pop1 != want {
		t.Errorf("after the first start: %d citizens, population %d; want %d", n1, pop1, want)
	}
	pop2, etag2 := startAndCheck()
	if n2 := citizenCount(t, file); n2 != n1 || pop2 != pop1 {
		t.Errorf("a second start reseeded: %d citizens (population %d), was %d", n2, pop2, n1)
	}
	if etag2 != etag1 {
		t.Errorf("the municipality changed across restarts: ETag %s, then %s", etag1, etag2)
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "sportello.db")

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if r, err := Start(ctx, file, busy.Addr().String(), true, discardLog()); err == nil {
		r.Close(ctx)
		t.Fatal("Start on an address in use succeeded")
	}
	// The failed start released the database: another start works.
	r, err := Start(ctx, file, "127.0.0.1:0", false, discardLog())
	if err != nil {
		t.Fatalf("Start after a failed start: %v", err)
	}
	a := get(t, r.URL+"/api/v1/municipality")
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// The failed start had seeded the database already; that is kept.
	decodeMunicipality(t, a)

	// Without the demo a fresh database answers 503.
	r, err = Start(ctx, filepath.Join(t.TempDir(), "empty.db"), "127.0.0.1:0", false, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	checkProblem(t, get(t, r.URL+"/api/v1/municipality"), http.StatusServiceUnavailable, core.ProblemNotSetUp, "/api/v1/municipality")

	if _, err := Start(ctx, filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), "127.0.0.1:0", true, discardLog()); err == nil {
		t.Error("Start with a database in a missing directory succeeded")
	}
}
