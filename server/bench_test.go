package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/schedule"
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

// denseTemplate is the demo database with a year of bookings at the
// registry office, built once for BenchmarkMonthAvailability.
var denseTemplate struct {
	once sync.Once
	data []byte
	n    int
	err  error
}

// denseDatabase writes a year of bookings (six months back, six ahead) of
// every service of the registry office into a demo database seeded at
// testNow: the next three weeks full, then nine places in ten taken, the
// past all done. Each booking ahead is a different newcomer's (one active
// booking per citizen and service).
func denseDatabase(b *testing.B) string {
	b.Helper()
	denseTemplate.once.Do(func() {
		dir, err := os.MkdirTemp("", "sportello-bench-")
		if err != nil {
			denseTemplate.err = err
			return
		}
		defer os.RemoveAll(dir)
		file := filepath.Join(dir, "dense.db")
		st, err := OpenStore(context.Background(), file, true, testNow)
		if err != nil {
			denseTemplate.err = err
			return
		}
		st.Close()
		denseTemplate.n, denseTemplate.err = fillYear(file)
		if denseTemplate.err == nil {
			denseTemplate.data, denseTemplate.err = os.ReadFile(file)
		}
	})
	if denseTemplate.err != nil {
		b.Fatal(denseTemplate.err)
	}
	file := filepath.Join(b.TempDir(), "dense.db")
	if err := os.WriteFile(file, denseTemplate.data, 0o600); err != nil {
		b.Fatal(err)
	}
	return file
}

func fillYear(file string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	ds := demo.Generate(testNow)
	var hours []core.OpeningHours
	for _, o := range ds.Municipality.Offices {
		if o.ID == "anagrafe" {
			hours = o.Hours
		}
	}
	minutes := map[string]int{}
	for _, s := range ds.AppointmentServices {
		minutes[s.ID] = s.SlotMinutes
	}
	if _, err := tx.Exec(`INSERT INTO families (id, street, number, postal_code, town, province, resident_since)
		VALUES ('FBENCH', 'Via Nuova', '1', '20099', 'Valdoria', 'MI', '2020-01-01')`); err != nil {
		return 0, err
	}
	// The demo's own bookings go: the year is the benchmark's.
	if _, err := tx.Exec(`DELETE FROM appointments WHERE office_id = 'anagrafe'`); err != nil {
		return 0, err
	}
	citizens := map[int]bool{}
	citizen := func(i int) (string, error) {
		cf := fmt.Sprintf("BENCH%011d", i)
		if !citizens[i] {
			citizens[i] = true
			if _, err := tx.Exec(`INSERT INTO citizens (fiscal_code, surname, name, sex, birth_date, birth_place_name,
				birth_place_province, birth_place_belfiore, citizenship, family_id, relationship, marital_status)
				VALUES (?, 'Panca', 'Prova', 'M', '1970-01-01', 'Milano', 'MI', 'F205', 'italiana', 'FBENCH', 'cohabitant', 'single')`, cf); err != nil {
				return "", err
			}
		}
		return cf, nil
	}
	ins, err := tx.Prepare(`INSERT INTO appointments (code, fiscal_code, service_id, office_id, start_at, end_at, status,
		name, surname, email, booked_at, confirmed_at, updated_at) VALUES (?, ?, ?, 'anagrafe', ?, ?, ?, 'Prova', 'Panca', 'p@example.com', ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	r := rand.New(rand.NewPCG(9, 9))
	n := 0
	today := core.DateOf(testNow.In(schedule.Rome))
	for _, off := range ds.OfficeServices {
		if off.Office != "anagrafe" {
			continue
		}
		h := off.Hours
		if h == nil {
			h = hours
		}
		week, err := schedule.WeekOf(h)
		if err != nil {
			return 0, err
		}
		slot := time.Duration(minutes[off.Service]) * time.Minute
		next := 0 // the newcomer for the next booking ahead
		for d := today.AddDate(0, -6, 0); d.Before(today.AddDate(0, 6, 0)); d = d.AddDate(0, 0, 1) {
			day := core.DateOf(d)
			if schedule.IsHoliday(day) {
				continue
			}
			for _, start := range week.Starts(day, slot, nil) {
				for range off.Capacity {
					ahead := start.After(testNow)
					if ahead && day.After(today.AddDate(0, 0, 21)) && r.IntN(10) == 0 {
						continue // a place left
					}
					status, who := "done", n%5000
					if ahead {
						status, who = "booked", next
						next++
					}
					cf, err := citizen(who)
					if err != nil {
						return 0, err
					}
					booked := start.Add(-10 * 24 * time.Hour).Unix()
					if _, err := ins.Exec(fmt.Sprintf("BEN-%08d", n), cf, off.Service, start.Unix(), start.Add(slot).Unix(), status,
						booked, booked, booked); err != nil {
						return 0, err
					}
					n++
				}
			}
		}
	}
	return n, tx.Commit()
}

// BenchmarkMonthAvailability is the app's calendar: an office's month for
// one service, computed from its hours, the closures and the places taken,
// with a year of bookings at that office (the three weeks ahead full, so
// the first free slot is searched for), over loopback.
func BenchmarkMonthAvailability(b *testing.B) {
	file := denseDatabase(b)
	st, err := OpenStore(context.Background(), file, false, testNow)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	ts := httptest.NewServer(New(st, discardLog(), WithClock(func() time.Time { return testNow })).Handler())
	b.Cleanup(ts.Close)
	req := newGet(b, ts.URL+"/api/v1/offices/anagrafe/availability?service=id_card_renewal&month=2026-12", "Accept-Language", "it")
	resp, err := benchClient(b).Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var m core.MonthAvailability
	err = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if err != nil || m.FirstFree == nil || !m.FirstFree.Start.After(testNow.AddDate(0, 0, 21)) {
		b.Fatalf("month %+v, %v", m.FirstFree, err)
	}
	benchGets(b, benchClient(b), req, http.StatusOK)
	b.ReportMetric(float64(denseTemplate.n), "bookings")
}
