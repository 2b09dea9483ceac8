package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/codicefiscale"
	"github.com/sportello/sportello/server"
	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/store"
)

var testNow = time.Date(2026, time.November, 22, 10, 30, 0, 0, time.UTC)

// syncBuffer is a bytes.Buffer safe for the server's goroutines to log into
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runCmd runs the command line and returns its exit code and output.
func runCmd(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncBuffer
	code = run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// seededDB writes a demo database and returns its path.
func seededDB(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "sportello.db")
	st, err := server.OpenStore(context.Background(), file, true, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestCitizens(t *testing.T) {
	t.Parallel()
	file := seededDB(t)
	code, stdout, stderr := runCmd(t, context.Background(), "citizens", "--db", file)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	records, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatalf("the output is not CSV: %v\n%s", err, stdout)
	}
	if len(records) == 0 || strings.Join(records[0], ",") != "fiscal_code,surname,name,family_id" {
		t.Fatalf("header %v", records[:min(1, len(records))])
	}
	rows := records[1:]
	if len(rows) < 60 {
		t.Errorf("%d citizens, want at least 60", len(rows))
	}
	if want := len(demo.Generate(testNow).Citizens); len(rows) != want {
		t.Errorf("%d rows, the demo has %d citizens", len(rows), want)
	}
	families := map[string]bool{}
	codes := map[string]bool{}
	lastFamily := ""
	for i, r := range rows {
		if len(r) != 4 {
			t.Fatalf("row %d has %d fields: %v", i+1, len(r), r)
		}
		cf, surname, name, family := r[0], r[1], r[2], r[3]
		if err := codicefiscale.Validate(cf); err != nil {
			t.Errorf("row %d: fiscal code %s: %v", i+1, cf, err)
		}
		if codes[cf] {
			t.Errorf("row %d: fiscal code %s listed twice", i+1, cf)
		}
		codes[cf] = true
		if surname == "" || name == "" || family == "" {
			t.Errorf("row %d has an empty field: %v", i+1, r)
		}
		if family < lastFamily {
			t.Errorf("row %d: family %s after %s", i+1, family, lastFamily)
		}
		lastFamily = family
		families[family] = true
	}
	if len(families) < 20 {
		t.Errorf("%d distinct families, want at least 20", len(families))
	}
}

func TestCitizensMissingDatabase(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "missing.db")
	code, stdout, stderr := runCmd(t, context.Background(), "citizens", "--db", file)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	if !strings.Contains(stderr, "missing.db") {
		t.Errorf("stderr %q does not name the file", stderr)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the missing database was created (stat: %v)", err)
	}
}

func TestCitizensEmptyDatabase(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "empty.db")
	st, err := store.Open(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, stdout, stderr := runCmd(t, context.Background(), "citizens", "--db", file)
	if code != 1 || stdout != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout)
	}
	if !strings.Contains(stderr, store.ErrNoMunicipality.Error()) {
		t.Errorf("stderr %q does not say the database is not set up", stderr)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		args        []string
		code        int
		wantStdout  string
		wantStderr  string
		emptyStdout bool
	}{
		{name: "no command", args: nil, code: 2, wantStderr: "usage: sportello-server", emptyStdout: true},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, wantStderr: `unknown command "frobnicate"`, emptyStdout: true},
		{name: "help", args: []string{"help"}, code: 0, wantStdout: "usage: sportello-server"},
		{name: "--help", args: []string{"--help"}, code: 0, wantStdout: "usage: sportello-server"},
		{name: "serve unknown flag", args: []string{"serve", "--bogus"}, code: 2, wantStderr: "bogus", emptyStdout: true},
		{name: "serve extra argument", args: []string{"serve", "now"}, code: 2, wantStderr: "unexpected arguments", emptyStdout: true},
		{name: "citizens unknown flag", args: []string{"citizens", "--bogus"}, code: 2, wantStderr: "bogus", emptyStdout: true},
		{name: "citizens -h", args: []string{"citizens", "-h"}, code: 0, wantStderr: "-db", emptyStdout: true},
		{name: "serve -h", args: []string{"serve", "-h"}, code: 0, wantStderr: "-addr", emptyStdout: true},
		{name: "serve -h shows sign-in", args: []string{"serve", "-h"}, code: 0, wantStderr: "-session-idle", emptyStdout: true},
		{name: "token -h", args: []string{"token", "-h"}, code: 0, wantStderr: "-holder", emptyStdout: true},
		{name: "token extra argument", args: []string{"token", "--holder", "X", "now"}, code: 2, wantStderr: "unexpected arguments", emptyStdout: true},
	} {
		code, stdout, stderr := runCmd(t, ctx, tc.args...)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tc.name, code, tc.code, stderr)
		}
		if !strings.Contains(stdout, tc.wantStdout) {
			t.Errorf("%s: stdout %q does not contain %q", tc.name, stdout, tc.wantStdout)
		}
		if !strings.Contains(stderr, tc.wantStderr) {
			t.Errorf("%s: stderr %q does not contain %q", tc.name, stderr, tc.wantStderr)
		}
		if tc.emptyStdout && stdout != "" {
			t.Errorf("%s: stdout %q, want nothing", tc.name, stdout)
		}
	}
}

// freeAddr finds a loopback port nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitHealthy polls /healthz until it answers 200, for at most about five
// seconds, and reports whether it did. It gives up early if run has ended.
func waitHealthy(t *testing.T, client *http.Client, url string, done <-chan int) bool {
	t.Helper()
	for range 100 {
		select {
		case code := <-done:
			t.Fatalf("serve ended with %d before answering", code)
		default:
		}
		resp, err := client.Get(url + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// serveUntilCancelled runs serve with args, calls check once it is healthy,
// then cancels it and returns its exit code and log.
func serveUntilCancelled(t *testing.T, args []string, check func(client *http.Client, url string)) (int, string) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve", "--addr", addr}, args...), &stdout, &stderr) }()

	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	url := "http://" + addr
	if !waitHealthy(t, client, url, done) {
		cancel()
		<-done
		t.Fatalf("serve never answered /healthz; log:\n%s", stderr.String())
	}
	check(client, url)

	cancel()
	select {
	case code := <-done:
		if stdout.String() != "" {
			t.Errorf("serve wrote to stdout: %q", stdout.String())
		}
		return code, stderr.String()
	case <-time.After(30 * time.Second): // a hang guard, not a measure
		t.Fatalf("serve did not return after its context was cancelled; log:\n%s", stderr.String())
		return 0, ""
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "serve.db")
	code, log := serveUntilCancelled(t, []string{"--db", file, "--demo"}, func(client *http.Client, url string) {
		resp, err := client.Get(url + "/api/v1/municipality")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("municipality: status %d", resp.StatusCode)
		}
		var m core.Municipality
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		if m.Name != demo.Name || !m.Demo || m.Population < 60 {
			t.Errorf("municipality %s, demo %v, population %d", m.Name, m.Demo, m.Population)
		}
	})
	if code != 0 {
		t.Errorf("serve exited %d after a graceful shutdown, want 0; log:\n%s", code, log)
	}
	for _, want := range []string{"serving", "shutting down", "path=/api/v1/municipality"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}

	// The database it seeded is there for the operator commands.
	code, stdout, stderr := runCmd(t, context.Background(), "citizens", "--db", file)
	if code != 0 || strings.Count(stdout, "\n") < 61 {
		t.Errorf("citizens after serve: exit %d, %d lines; stderr %s", code, strings.Count(stdout, "\n"), stderr)
	}
}

func TestServeWithoutDemo(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "empty.db")
	code, log := serveUntilCancelled(t, []string{"--db", file, "--json-logs"}, func(client *http.Client, url string) {
		resp, err := client.Get(url + "/api/v1/municipality")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p core.Problem
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || p.Type != core.ProblemNotSetUp {
			t.Errorf("municipality on an empty database: %d %s", resp.StatusCode, p.Type)
		}
	})
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	// --json-logs: every line is a JSON object, and one warns about the empty database.
	warned := false
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("log line %q is not JSON: %v", line, err)
			continue
		}
		if entry["level"] == "WARN" && strings.Contains(entry["msg"].(string), "no municipality") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning about the empty database in:\n%s", log)
	}
}

func TestServeAddressInUse(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	file := filepath.Join(t.TempDir(), "busy.db")
	code, _, stderr := runCmd(t, context.Background(), "serve", "--addr", busy.Addr().String(), "--db", file, "--demo")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)) {
		t.Errorf("stderr %q does not name the address", stderr)
	}
}

// adult returns the fiscal code of an adult of the demo.
func adult(t *testing.T) string {
	t.Helper()
	for _, c := range demo.Generate(testNow).Citizens {
		if c.BirthDate.Before(time.Now().AddDate(-18, 0, 0)) {
			return c.FiscalCode
		}
	}
	t.Fatal("no adult in the demo")
	return ""
}

// me calls /api/v1/me with token and returns the status and fiscal code.
func me(t *testing.T, client *http.Client, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/api/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c core.Citizen
	_ = json.NewDecoder(resp.Body).Decode(&c)
	return resp.StatusCode, c.FiscalCode
}

func TestToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "token.db")
	cf := adult(t)
	code, log := serveUntilCancelled(t, []string{"--db", file, "--demo"}, func(client *http.Client, url string) {
		// The issuer is the default, http:// + --addr: the token names it.
		code, stdout, stderr := runCmd(t, ctx, "token", "--db", file, "--holder", strings.ToLower(cf), "--issuer", url)
		if code != 0 {
			t.Fatalf("token: exit %d, stderr %s", code, stderr)
		}
		token := strings.TrimSpace(stdout)
		if strings.Count(token, ".") != 2 || strings.Count(stdout, "\n") != 1 {
			t.Fatalf("token printed %q, want one JWT on a line", stdout)
		}
		if status, got := me(t, client, url, token); status != http.StatusOK || got != cf {
			t.Errorf("me with the command's token: %d %q, want 200 %s", status, got, cf)
		}
		// A token for another issuer is not this server's.
		_, stdout, _ = runCmd(t, ctx, "token", "--db", file, "--holder", cf, "--issuer", "https://sportello.example")
		if status, _ := me(t, client, url, strings.TrimSpace(stdout)); status != http.StatusUnauthorized {
			t.Errorf("me with another issuer's token: %d, want 401", status)
		}
	})
	if code != 0 {
		t.Errorf("serve exited %d; log:\n%s", code, log)
	}
	if !strings.Contains(log, "test identity provider is on") {
		t.Errorf("--demo did not warn about the test identity provider:\n%s", log)
	}

	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"unknown citizen": {[]string{"--db", file, "--holder", "RSSMRA80A01H501U"}, 1, "registry"},
		"missing db":      {[]string{"--db", filepath.Join(t.TempDir(), "none.db"), "--holder", cf}, 1, "none.db"},
		"no holder":       {[]string{"--db", file}, 2, "--holder"},
		"ttl too long":    {[]string{"--db", file, "--holder", cf, "--ttl", "48h"}, 2, "--ttl"},
		"bad issuer":      {[]string{"--db", file, "--holder", cf, "--issuer", "ftp://x"}, 2, "issuer"},
	} {
		code, stdout, stderr := runCmd(t, ctx, append([]string{"token"}, tc.args...)...)
		if code != tc.code || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d and %q", name, code, stdout, stderr, tc.code, tc.want)
		}
	}

	// A database whose key is missing, or readable by others: refused.
	noKey := seededDB(t)
	if code, _, stderr := runCmd(t, ctx, "token", "--db", noKey, "--holder", cf); code != 1 || !strings.Contains(stderr, "signing key") {
		t.Errorf("without a key file: exit %d, %s", code, stderr)
	}
	if err := os.Chmod(auth.KeyFile(file), 0o644); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if code, _, stderr := runCmd(t, ctx, "token", "--db", file, "--holder", cf); code != 1 || !strings.Contains(stderr, "0644") {
			t.Errorf("with a 0644 key file: exit %d, %s", code, stderr)
		}
	}
}

func TestServeSignInFlags(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "flags.db")
	code, log := serveUntilCancelled(t, []string{"--db", file, "--issuer", "https://sportello.comune.example/", "--test-idp",
		"--session-max", "30d", "--session-idle", "72h"}, func(client *http.Client, url string) {
		resp, err := client.Get(url + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var meta struct {
			Issuer string `json:"issuer"`
			Token  string `json:"token_endpoint"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
			t.Fatal(err)
		}
		if meta.Issuer != "https://sportello.comune.example" || meta.Token != "https://sportello.comune.example/oauth/token" {
			t.Errorf("discovery %+v", meta)
		}
		if resp, err := client.Get(url + "/idp/test-identities"); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("--test-idp: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
	})
	if code != 0 {
		t.Errorf("exit %d; log:\n%s", code, log)
	}
	if !strings.Contains(log, "session_max=720h0m0s") || !strings.Contains(log, "session_idle=72h0m0s") {
		t.Errorf("the log does not show the session limits:\n%s", log)
	}
	if fi, err := os.Stat(auth.KeyFile(file)); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Errorf("key file: %v %v", fi, err)
	}

	// Without --test-idp or --demo the identity provider is off.
	code, _ = serveUntilCancelled(t, []string{"--db", file}, func(client *http.Client, url string) {
		resp, err := client.Get(url + "/idp/test-identities")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("test identities without --test-idp: %d", resp.StatusCode)
		}
	})
	if code != 0 {
		t.Errorf("exit %d", code)
	}

	for _, args := range [][]string{
		{"--session-idle", "400d"},
		{"--session-max", "0"},
		{"--session-max", "x"},
		{"--issuer", "sportello.example"},
		{"--issuer", "https://sportello.example/?x=1"},
	} {
		if code, _, stderr := runCmd(t, context.Background(), append([]string{"serve", "--db", file}, args...)...); code != 2 {
			t.Errorf("serve %v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}

	// A key file others can read stops the server.
	if runtime.GOOS != "windows" {
		if err := os.Chmod(auth.KeyFile(file), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCmd(t, context.Background(), "serve", "--addr", freeAddr(t), "--db", file)
		if code != 1 || !strings.Contains(stderr, "chmod 600") {
			t.Errorf("serve with a 0644 key: exit %d, %s", code, stderr)
		}
	}
}
