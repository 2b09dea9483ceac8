package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/server"
	"github.com/sportello/sportello/server/certs"
	"github.com/sportello/sportello/server/store"
)

const holder = "CLMMRC74C15F205P" // Marco Colombo, in the demo

// municipality is the reference server with the demo seed on loopback, and
// the certificate service of its database, as an operator's desk uses it.
type municipality struct {
	url  string
	svc  *certs.Service
	st   *store.Store
	stop func()
}

func startMunicipality(t *testing.T) *municipality {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "comune.db")
	srv, err := server.Start(ctx, file, "127.0.0.1:0", true, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := server.OpenStore(ctx, file, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := certs.New(st, file, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &municipality{url: srv.URL, svc: svc, st: st, stop: func() { srv.Close(ctx) }}
	t.Cleanup(func() { srv.Close(ctx); st.Close() })
	return m
}

// issue issues a certificate to the demo holder and writes it three ways:
// its PDF, a PNG of its QR code as a scan would show it, and the glyph's
// text.
func (m *municipality) issue(t *testing.T, dir string) (serial, pdfFile, pngFile, txtFile string) {
	ctx := context.Background()
	res, err := m.svc.Issue(ctx, certs.IssueInput{Caller: holder, Holder: holder,
		Request: certificates.Request{Type: "residenza", StampDuty: certificates.StampDutyReq{Exemption: "sport_dilettantistico"}}})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Certificates[0]
	_, pdf, err := m.st.CertificatePDF(ctx, c.Serial)
	if err != nil {
		t.Fatal(err)
	}
	pdfFile = filepath.Join(dir, "certificato.pdf")
	pngFile = filepath.Join(dir, "foto.png")
	txtFile = filepath.Join(dir, "glyph.txt")
	write(t, pdfFile, pdf)
	write(t, txtFile, []byte(c.Glyph+"\n"))
	qr, err := qrcode.NewQRCodeWriter().Encode(c.Glyph, gozxing.BarcodeFormat_QR_CODE, 600, 600, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, qr); err != nil {
		t.Fatal(err)
	}
	write(t, pngFile, buf.Bytes())
	return c.Serial, pdfFile, pngFile, txtFile
}

func write(t *testing.T, file string, data []byte) {
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func verifyCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func results(t *testing.T, stdout string) map[string]result {
	out := map[string]result{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r result
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out[filepath.Base(r.File)] = r
	}
	return out
}

// TestDoneMeans walks the issue's acceptance: a certificate issued in the
// demo is valid as PDF, image and text; one character changed is refused
// with a reason; after revoking, revoked.
func TestDoneMeans(t *testing.T) {
	m := startMunicipality(t)
	dir, trustDir := t.TempDir(), filepath.Join(t.TempDir(), "trust")
	serial, pdfFile, pngFile, txtFile := m.issue(t, dir)

	code, stdout, stderr := verifyCmd("--json", "--trust", trustDir, "--server", m.url, pdfFile, pngFile, txtFile)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "trust on first use") {
		t.Errorf("no word about pinning on first use: %s", stderr)
	}
	got := results(t, stdout)
	for _, f := range []string{"certificato.pdf", "foto.png", "glyph.txt"} {
		r := got[f]
		if r.Status != "valid" || r.Data == nil || r.Data.Serial != serial || r.Data.Holder.Surname != "Colombo" ||
			r.Data.Issuer != "015999" || r.Data.IssuerName == "" || r.Data.Address == nil {
			t.Errorf("%s: %+v %+v", f, r, r.Data)
		}
	}

	// One character changed in the text: refused, offline, with a reason.
	text, _ := os.ReadFile(txtFile)
	i := bytes.LastIndexAny(text[:len(text)-1], "ABCDEFGHIJ")
	text[i]++
	tampered := filepath.Join(dir, "tampered.txt")
	write(t, tampered, text)
	notes := filepath.Join(dir, "notes.txt")
	write(t, notes, []byte("https://example.org/not-a-certificate\n"))
	code, stdout, _ = verifyCmd("--json", "--trust", trustDir, txtFile, tampered, notes)
	got = results(t, stdout)
	if code != 1 || got["glyph.txt"].Status != "valid" {
		t.Fatalf("exit %d: %s", code, stdout)
	}
	if r := got["tampered.txt"]; (r.Status != "malformed" && r.Status != "invalid_signature") || r.Reason == "" || r.Data != nil {
		t.Errorf("tampered: %+v", r)
	}
	if r := got["notes.txt"]; r.Status != "not_sportello" || r.Reason != "not_a_glyph" {
		t.Errorf("a link: %+v", r)
	}

	// Revoked at the desk: after a sync, revoked, and the data still shown.
	if err := m.svc.Revoke(context.Background(), serial); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = verifyCmd("--trust", trustDir, "--server", m.url, pdfFile)
	if code != 1 || !strings.Contains(stdout, "REVOKED") || !strings.Contains(stdout, "Colombo") || !strings.Contains(stderr, "revocations (+1)") {
		t.Errorf("after revoking: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Offline, from the directory alone, and from standard input.
	m.stop()
	var out bytes.Buffer
	code = run(context.Background(), []string{"--json", "--trust", trustDir, "-"}, bytes.NewReader(text), &out, io.Discard)
	if r := results(t, out.String())["-"]; code != 1 || r.Status == "valid" {
		t.Errorf("stdin: %d %+v", code, r)
	}
	if code, stdout, _ = verifyCmd("--trust", trustDir, pngFile); code != 1 || !strings.Contains(stdout, "REVOKED") {
		t.Errorf("offline: %d %s", code, stdout)
	}
}

func TestUsageAndTrustErrors(t *testing.T) {
	empty := t.TempDir()
	junk := filepath.Join(empty, "junk.bin")
	write(t, junk, []byte{0, 1, 2, 3, 0xff})
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no files", []string{"--trust", empty}, 2, "no files"},
		{"no trust", []string{junk}, 2, "no trust data"},
		{"never synced", []string{"--trust", empty, junk}, 2, "sync first"},
		{"server down", []string{"--server", "http://127.0.0.1:1", junk}, 2, "sync http://127.0.0.1:1"},
		{"bad url", []string{"--server", "ftp://x", junk}, 2, "sync ftp://x"},
		{"anchor first", []string{"--anchor", "a.pem", "--server", "http://127.0.0.1:1", junk}, 2, "--anchor goes after"},
		{"unknown flag", []string{"--frobnicate", junk}, 2, "flag provided but not defined"},
		{"limits", []string{"--trust", empty, "--warn-after", "48h", "--refuse-after", "24h", junk}, 2, "--warn-after"},
	} {
		code, _, stderr := verifyCmd(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q", c.name, code, stderr)
		}
	}
	if code, stdout, _ := verifyCmd("-h"); code != 0 || !strings.Contains(stdout, "usage:") {
		t.Errorf("-h: %d", code)
	}
}

// TestFilesThatHoldNoCertificate: a file per failure, one line each, and
// exit status 1.
func TestFilesThatHoldNoCertificate(t *testing.T) {
	m := startMunicipality(t)
	dir, trustDir := t.TempDir(), filepath.Join(t.TempDir(), "trust")
	_, _, pngFile, _ := m.issue(t, dir)
	blank := filepath.Join(dir, "blank.png")
	var buf bytes.Buffer
	qr, _ := qrcode.NewQRCodeWriter().Encode("x", gozxing.BarcodeFormat_QR_CODE, 200, 200, nil)
	for i := range 200 {
		for j := range 200 {
			qr.Unset(i, j)
		}
	}
	png.Encode(&buf, qr)
	write(t, blank, buf.Bytes())
	truncated := filepath.Join(dir, "truncated.png")
	full, _ := os.ReadFile(pngFile)
	write(t, truncated, full[:len(full)/2])
	junk := filepath.Join(dir, "junk.bin")
	write(t, junk, bytes.Repeat([]byte{0, 0xff}, 5000))
	code, stdout, stderr := verifyCmd("--json", "--server", m.url, "--trust", trustDir, pngFile, blank, truncated, junk,
		filepath.Join(dir, "missing.pdf"))
	got := results(t, stdout)
	if code != 1 || len(got) != 5 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for f, want := range map[string]string{"foto.png": "valid", "blank.png": "no_code", "truncated.png": "unreadable_file",
		"junk.bin": "unreadable_file", "missing.pdf": "unreadable_file"} {
		if got[f].Status != want || got[f].Detail == "" && want != "valid" {
			t.Errorf("%s: %+v, want %s", f, got[f], want)
		}
	}
}
