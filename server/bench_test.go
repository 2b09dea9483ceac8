package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/store"
)

// benchClient is a keep-alive client of its own, so benchmarks do not share
// connections with each other or with the tests.
func benchClient(b *testing.B) *http.Client {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	b.Cleanup(c.CloseIdleConnections)
	return c
}

// benchGets sends b.N requests one after another, reads each answer in full,
// checks its status, and reports the latency percentiles of the round trips
// (client and server together, over loopback) besides the usual ns/op.
func benchGets(b *testing.B, client *http.Client, req *http.Request, wantStatus int) {
	b.Helper()
	// One warm-up request opens the connection outside the measurement.
	if resp, err := client.Do(req); err != nil {
		b.Fatal(err)
	} else {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	durations := make([]time.Duration, b.N)
	var bytes int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		durations[i] = time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if resp.StatusCode != wantStatus {
			b.Fatalf("status %d, want %d", resp.StatusCode, wantStatus)
		}
		bytes += n
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p int) float64 {
		i := (len(durations)*p+99)/100 - 1 // nearest rank
		return float64(durations[max(i, 0)]) / float64(time.Microsecond)
	}
	b.ReportMetric(pct(50), "p50-µs")
	b.ReportMetric(pct(99), "p99-µs")
	b.ReportMetric(float64(bytes)/float64(b.N), "body-B/op")
}

func newGet(b *testing.B, url string, headers ...string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// BenchmarkMunicipality is the app's first call: the whole municipality in
// JSON, read from SQLite, serialised and hashed for its ETag on every request.
func BenchmarkMunicipality(b *testing.B) {
	ts, _ := seededServer(b)
	benchGets(b, benchClient(b), newGet(b, ts.URL+"/api/v1/municipality", "Accept-Language", "it"), http.StatusOK)
}

// BenchmarkMunicipalityNotModified is the app's refresh of a cached copy. The
// server still builds the answer to compare ETags; only the body is saved.
func BenchmarkMunicipalityNotModified(b *testing.B) {
	ts, _ := seededServer(b)
	client := benchClient(b)
	resp, err := client.Get(ts.URL + "/api/v1/municipality")
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if etag == "" {
		b.Fatal("no ETag")
	}
	benchGets(b, client, newGet(b, ts.URL+"/api/v1/municipality", "Accept-Language", "it", "If-None-Match", etag), http.StatusNotModified)
}

// BenchmarkBareHandler is the ceiling: a net/http handler that writes a
// prepared body of the municipality's size, over the same loopback transport.
func BenchmarkBareHandler(b *testing.B) {
	ts, _ := seededServer(b)
	resp, err := http.Get(ts.URL + "/api/v1/municipality")
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("municipality: %d %v", resp.StatusCode, err)
	}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	b.Cleanup(bare.Close)
	benchGets(b, benchClient(b), newGet(b, bare.URL+"/api/v1/municipality"), http.StatusOK)
}

// BenchmarkDemoStart is the app's first start on the demo: a new database
// file created, migrated and seeded, the server listening, then shut down.
func BenchmarkDemoStart(b *testing.B) {
	ctx := context.Background()
	log := discardLog()
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		file := filepath.Join(dir, "demo-"+strconv.Itoa(i)+".db")
		r, err := Start(ctx, file, "127.0.0.1:0", true, log)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMunicipalityVsBare measures the municipality endpoint and its
// ceiling, a bare net/http handler writing the same body, in one run with
// their requests interleaved, so both see the same machine load; it reports
// both percentiles and their ratio (1.0 would be no cost over net/http).
func BenchmarkMunicipalityVsBare(b *testing.B) {
	ts, _ := seededServer(b)
	client := benchClient(b)
	real := newGet(b, ts.URL+"/api/v1/municipality", "Accept-Language", "it")
	resp, err := client.Do(real)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	b.Cleanup(bare.Close)
	ceiling := newGet(b, bare.URL+"/api/v1/municipality")
	roundTrip := func(req *http.Request) time.Duration {
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return time.Since(start)
	}
	roundTrip(ceiling) // open both connections outside the measurement
	realTimes, bareTimes := make([]time.Duration, b.N), make([]time.Duration, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		realTimes[i] = roundTrip(real)
		bareTimes[i] = roundTrip(ceiling)
	}
	b.StopTimer()
	pct := func(d []time.Duration, p int) float64 {
		slices.Sort(d)
		i := (len(d)*p+99)/100 - 1
		return float64(d[max(i, 0)]) / float64(time.Microsecond)
	}
	rp50, rp99, bp50, bp99 := pct(realTimes, 50), pct(realTimes, 99), pct(bareTimes, 50), pct(bareTimes, 99)
	b.ReportMetric(rp50, "sportello-p50-µs")
	b.ReportMetric(rp99, "sportello-p99-µs")
	b.ReportMetric(bp50, "bare-p50-µs")
	b.ReportMetric(bp99, "bare-p99-µs")
	b.ReportMetric(rp50/bp50, "ratio-p50")
	b.ReportMetric(rp99/bp99, "ratio-p99")
}

// dossierServer is a server with sign-in over a freshly seeded demo
// database, and an access token of the head of its family of six, whose
// dossier is the fullest.
func dossierServer(b *testing.B) (*httptest.Server, *store.Store, string, string) {
	b.Helper()
	file := filepath.Join(b.TempDir(), "sportello.db")
	st, err := OpenStore(context.Background(), file, true, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	p, err := NewAuth(st, SignIn{Issuer: base, KeyFile: auth.KeyFile(file)}, discardLog())
	if err != nil {
		b.Fatal(err)
	}
	ts.Config.Handler = New(st, discardLog(), WithAuth(p)).Handler()
	ts.Start()
	b.Cleanup(ts.Close)
	list, err := st.Citizens(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	size := map[string]int{}
	for _, c := range list {
		size[c.FamilyID]++
	}
	head := ""
	for _, c := range list {
		if c.Relationship == core.Head && size[c.FamilyID] == 6 {
			head = c.FiscalCode
		}
	}
	if head == "" {
		b.Fatal("no family of six")
	}
	tok, err := p.IssueAccessToken(context.Background(), head, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return ts, st, head, tok
}

// BenchmarkDossier is the app's first screen for a signed-in citizen: the
// whole dossier of the head of the largest family, read with a dozen
// queries, after the access token is verified (signature and session).
func BenchmarkDossier(b *testing.B) {
	ts, _, _, tok := dossierServer(b)
	benchGets(b, benchClient(b), newGet(b, ts.URL+"/api/v1/me/dossier", "Authorization", "Bearer "+tok), http.StatusOK)
}

// BenchmarkDossierNotModified is the refresh of a cached dossier.
func BenchmarkDossierNotModified(b *testing.B) {
	ts, _, _, tok := dossierServer(b)
	client := benchClient(b)
	resp, err := client.Do(newGet(b, ts.URL+"/api/v1/me/dossier", "Authorization", "Bearer "+tok))
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	benchGets(b, client, newGet(b, ts.URL+"/api/v1/me/dossier", "Authorization", "Bearer "+tok, "If-None-Match", etag), http.StatusNotModified)
}

// BenchmarkDossierQuery is the dossier's queries alone, without HTTP.
func BenchmarkDossierQuery(b *testing.B) {
	_, st, head, _ := dossierServer(b)
	ctx := context.Background()
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		d, err := st.Dossier(ctx, head)
		durations = append(durations, time.Since(start))
		if err != nil || len(d.Payments) == 0 {
			b.Fatalf("dossier: %d payments, %v", len(d.Payments), err)
		}
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p int) float64 {
		i := (len(durations)*p+99)/100 - 1
		return float64(durations[max(i, 0)]) / float64(time.Microsecond)
	}
	b.ReportMetric(pct(50), "p50-µs")
	b.ReportMetric(pct(99), "p99-µs")
}
