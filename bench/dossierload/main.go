// Command dossierload measures the citizen's dossier under load: it starts
// the reference server in process on 127.0.0.1 over a freshly seeded demo
// database in a temporary directory, signs in (with an operator's token,
// as "sportello-server token" issues them) as the head of the demo's family
// of six, whose dossier is the fullest, and sends GET /api/v1/me/dossier at a
// fixed rate: open loop, each request on its own schedule whatever the
// answers before it, so a slow server meets the load a real one would. Then
// it does the same against a bare net/http handler on the same machine that
// writes the same bytes: the ceiling. It prints, for each, the requests
// sent and answered in full, and the median and 99th percentile of their
// latency (from just before the request is written to the last byte of
// the answer), then the ratios.
//
//	go run ./bench/dossierload [-rate 200] [-duration 5s]
//
// Everything stays on loopback, and both the number of requests and the
// time are bounded. It exits with 1 when a request failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server"
	"github.com/sportello/sportello/server/auth"
)

// Bounds of the flags: the load stays small enough for a laptop and CI.
const (
	maxRate     = 5000
	maxDuration = time.Minute
	maxRequests = 100_000
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	rate        int
	duration    time.Duration
	warmup      time.Duration
	timeout     time.Duration
	maxInFlight int
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dossierload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.IntVar(&cfg.rate, "rate", 200, "requests per second, fixed (open loop)")
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "how long each target is measured")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "load at the same rate before each measurement, not counted")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "the longest a request may take; slower ones count as failed")
	fs.IntVar(&cfg.maxInFlight, "max-in-flight", 256, "requests under way at most; a request due when as many are under way fails")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := cfg.check(); err != nil {
		fmt.Fprintln(stderr, "dossierload:", err)
		return 2
	}
	if err := measure(cfg, stdout); err != nil {
		fmt.Fprintln(stderr, "dossierload:", err)
		return 1
	}
	return 0
}

func (c config) check() error {
	switch {
	case badArgs(c):
		return errors.New("-rate, -duration, -timeout and -max-in-flight must be positive, -warmup not negative")
	case c.rate > maxRate:
		return fmt.Errorf("-rate at most %d", maxRate)
	case c.duration > maxDuration || c.warmup > maxDuration:
		return fmt.Errorf("-duration and -warmup at most %v", maxDuration)
	case requests(c.rate, c.duration) > maxRequests:
		return fmt.Errorf("-rate × -duration at most %d requests", maxRequests)
	case requests(c.rate, c.duration) < 1:
		return errors.New("-rate × -duration makes no request")
	}
	return nil
}

func badArgs(c config) bool {
	return c.rate <= 0 || c.duration <= 0 || c.timeout <= 0 || c.maxInFlight <= 0 || c.warmup < 0
}

func requests(rate int, d time.Duration) int { return int(float64(rate) * d.Seconds()) }

// measure runs the whole measurement and prints it.
func measure(cfg config, out io.Writer) error {
	// The bound on time: every phase, with room for the slowest requests.
	limit := 2*(cfg.warmup+cfg.duration) + 2*cfg.timeout + 30*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)
	slog.SetDefault(quiet) // the OpenID Connect library logs to the default logger

	dir, err := os.MkdirTemp("", "dossierload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "sportello.db")

	// The reference server, as "sportello-server serve --demo" runs it.
	st, err := server.OpenStore(ctx, file, true, time.Now())
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	p, err := server.NewAuth(st, server.SignIn{Issuer: base, KeyFile: auth.KeyFile(file)}, quiet)
	if err != nil {
		ln.Close()
		return err
	}
	srv := server.New(st, quiet, server.WithAuth(p))
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	head, err := bigFamilyHead(ctx, st)
	if err != nil {
		return err
	}
	token, err := p.IssueAccessToken(ctx, head, limit)
	if err != nil {
		return err
	}
	dossierURL := base + "/api/v1/me/dossier"
	body, err := fetch(ctx, dossierURL, token)
	if err != nil {
		return err
	}

	// The ceiling: net/http writing the same bytes, as the server does.
	bareLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}), ReadHeaderTimeout: 5 * time.Second}
	go bare.Serve(bareLn)
	defer bare.Shutdown(context.Background())
	bareURL := "http://" + bareLn.Addr().String() + "/api/v1/me/dossier"

	fmt.Fprintf(out, "dossierload: GET /api/v1/me/dossier as %s (%d bytes), %d req/s for %v per target after %v of warm-up, on loopback\n",
		head, len(body), cfg.rate, cfg.duration, cfg.warmup)
	targets := []struct {
		name, url, token string
	}{
		{"dossier", dossierURL, token},
		{"bare net/http", bareURL, ""},
	}
	results := make([]result, len(targets))
	failed := false
	for i, t := range targets {
		client := &http.Client{Transport: &http.Transport{
			MaxIdleConns: cfg.maxInFlight, MaxIdleConnsPerHost: cfg.maxInFlight, DisableCompression: true,
		}}
		l := loader{client: client, url: t.url, token: t.token, size: int64(len(body)), cfg: cfg}
		l.load(ctx, requests(cfg.rate, cfg.warmup)) // not counted
		results[i] = l.load(ctx, requests(cfg.rate, cfg.duration))
		client.CloseIdleConnections()
		r := results[i]
		fmt.Fprintf(out, "%-14s sent %d ok %d p50 %.0f µs p99 %.0f µs\n", t.name, r.sent, r.ok, r.p50, r.p99)
		failed = failed || r.ok < r.sent || r.sent < r.scheduled
	}
	d, b := results[0], results[1]
	fmt.Fprintf(out, "dossier: p50 %.0f µs p99 %.0f µs; bare net/http p50 %.0f µs p99 %.0f µs; ratio p50 %.2f p99 %.2f\n",
		d.p50, d.p99, b.p50, b.p99, d.p50/b.p50, d.p99/b.p99)
	if failed {
		return errors.New("some requests failed or could not be sent")
	}
	return ctx.Err()
}

// bigFamilyHead is the head of the demo's family of six.
func bigFamilyHead(ctx context.Context, st interface {
	Citizens(context.Context) ([]core.Citizen, error)
}) (string, error) {
	list, err := st.Citizens(ctx)
	if err != nil {
		return "", err
	}
	size := map[string]int{}
	for _, c := range list {
		size[c.FamilyID]++
	}
	for _, c := range list {
		if c.Relationship == core.Head && size[c.FamilyID] == 6 {
			return c.FiscalCode, nil
		}
	}
	return "", errors.New("the demo has no family of six")
}

// fetch GETs url with the token and returns the body of a 200 answer.
func fetch(ctx context.Context, url, token string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return body, nil
}

// loader sends requests to one target on a fixed schedule.
type loader struct {
	client *http.Client
	url    string
	token  string
	size   int64 // of a whole answer
	cfg    config
}

type result struct {
	scheduled, sent, ok int
	p50, p99            float64 // µs, of the requests answered in full
}

// load sends n requests, the i-th at start + i/rate, each from its own
// goroutine (open loop), waits for them all and sums them up.
func (l loader) load(ctx context.Context, n int) result {
	if n == 0 {
		return result{}
	}
	interval := time.Second / time.Duration(l.cfg.rate)
	latencies := make([]time.Duration, n)
	okays := make([]bool, n)
	inFlight := make(chan struct{}, l.cfg.maxInFlight)
	var wg sync.WaitGroup
	res := result{scheduled: n}
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case inFlight <- struct{}{}:
		default:
			continue // as many under way as allowed: this one fails
		}
		res.sent++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-inFlight }()
			latencies[i], okays[i] = l.one(ctx)
		}()
	}
	wg.Wait()
	var got []time.Duration
	for i, ok := range okays {
		if ok {
			got = append(got, latencies[i])
		}
	}
	res.ok = len(got)
	res.p50, res.p99 = percentile(got, 50), percentile(got, 99)
	return res
}

// one sends a request and reads the answer in full; it reports how long
// that took and whether the answer was a whole 200.
func (l loader) one(ctx context.Context) (time.Duration, bool) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.url, nil)
	if err != nil {
		return 0, false
	}
	if l.token != "" {
		req.Header.Set("Authorization", "Bearer "+l.token)
	}
	begin := time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, false
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return time.Since(begin), err == nil && resp.StatusCode == http.StatusOK && n == l.size
}

// percentile is the nearest-rank p-th percentile of d in µs; 0 for none.
func percentile(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := (len(d)*p+99)/100 - 1
	return float64(d[max(i, 0)]) / float64(time.Microsecond)
}
