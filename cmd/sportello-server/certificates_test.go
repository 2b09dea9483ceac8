package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/glyph"
	"github.com/sportello/sportello/server/certs"
	"github.com/sportello/sportello/server/demo"
)

func demoPerson(t *testing.T, name string) core.Citizen {
	t.Helper()
	for _, c := range demo.Generate(testNow).Citizens {
		if c.Name+" "+c.Surname == name {
			return c
		}
	}
	t.Fatalf("no %s in the demo", name)
	return core.Citizen{}
}

func fetch(t *testing.T, client *http.Client, url string) []byte {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

func TestCertificateCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := seededDB(t)
	dir := t.TempDir()
	marco, elena := demoPerson(t, "Marco Colombo"), demoPerson(t, "Elena Brambilla")
	serialRE := regexp.MustCompile(`^\d{4}-[0-9A-Z]{10}\n$`)

	// The anchor, created on first use, the same the second time.
	code, anchorPEM, stderr := runCmd(t, ctx, "trust-anchor", "--db", file)
	if code != 0 || !strings.HasPrefix(anchorPEM, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("trust-anchor: %d %q %s", code, anchorPEM, stderr)
	}
	anchor, err := certificates.ParsePublicKeyPEM([]byte(anchorPEM))
	if err != nil {
		t.Fatal(err)
	}
	if _, again, _ := runCmd(t, ctx, "trust-anchor", "--db", file); again != anchorPEM {
		t.Error("trust-anchor printed another key")
	}
	for _, f := range []string{certs.AnchorFile(file)} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v", f, err)
		}
	}

	// Issue: with a marca, about a family member, exempt by type.
	day := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	out1 := filepath.Join(dir, "residenza.pdf")
	code, serial1, stderr := runCmd(t, ctx, "issue", "--db", file, "--holder", strings.ToLower(marco.FiscalCode),
		"--type", "residenza", "--marca", "01234567890123", "--marca-date", day, "--out", out1)
	if code != 0 || !serialRE.MatchString(serial1) {
		t.Fatalf("issue: %d %q %s", code, serial1, stderr)
	}
	serial1 = strings.TrimSpace(serial1)
	pdf, err := os.ReadFile(out1)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) || !strings.Contains(certs.Text(pdf), certs.MandatorySentence) {
		t.Fatalf("the PDF: %v", err)
	}
	out2 := filepath.Join(dir, "nascita.pdf")
	code, serial2, stderr := runCmd(t, ctx, "issue", "--db", file, "--holder", marco.FiscalCode, "--type", "nascita",
		"--subject", elena.FiscalCode, "--out", out2)
	if code != 0 || !serialRE.MatchString(serial2) {
		t.Fatalf("issue nascita: %d %q %s", code, serial2, stderr)
	}
	code, _, stderr = runCmd(t, ctx, "issue", "--db", file, "--holder", marco.FiscalCode, "--type", "stato_di_famiglia",
		"--exemption", "carta_identita", "--out", filepath.Join(dir, "famiglia.pdf"))
	if code != 0 {
		t.Fatalf("issue with an exemption: %d %s", code, stderr)
	}

	// Refusals.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--holder", marco.FiscalCode, "--type", "residenza", "--marca", "01234567890123", "--marca-date", day}, 1, "marca_reused"},
		{[]string{"--holder", marco.FiscalCode, "--type", "cittadinanza", "--exemption", "elettorale"}, 1, "type_always_exempt"},
		{[]string{"--holder", marco.FiscalCode, "--type", "porto_d_armi"}, 1, "type_unknown"},
		{[]string{"--holder", "RSSMRA80A01H501U", "--type", "nascita"}, 1, "not in the population registry"},
		{[]string{"--holder", marco.FiscalCode, "--type", "residenza", "--marca", "1"}, 2, "go together"},
		{[]string{"--holder", marco.FiscalCode, "--type", "residenza", "--marca", "1", "--marca-date", day, "--exemption", "x"}, 2, "not both"},
		{[]string{"--type", "nascita"}, 2, "required"},
	} {
		out := filepath.Join(dir, "refused.pdf")
		code, stdout, stderr := runCmd(t, ctx, append([]string{"issue", "--db", file, "--out", out}, tc.args...)...)
		if code != tc.code || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("issue %v: %d %q %q", tc.args, code, stdout, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("issue %v wrote a PDF", tc.args)
		}
	}
	if code, _, stderr := runCmd(t, ctx, "issue", "--db", filepath.Join(dir, "missing.db"), "--holder", marco.FiscalCode,
		"--type", "nascita", "--out", filepath.Join(dir, "x.pdf")); code != 1 || !strings.Contains(stderr, "missing.db") {
		t.Errorf("issue on a missing database: %d %s", code, stderr)
	}

	// Revoke.
	if code, stdout, stderr := runCmd(t, ctx, "revoke", "--db", file, "--serial", serial1); code != 0 || !strings.Contains(stdout, serial1) {
		t.Errorf("revoke: %d %q %s", code, stdout, stderr)
	}
	if code, _, stderr := runCmd(t, ctx, "revoke", "--db", file, "--serial", "2026-0000000000"); code != 1 || !strings.Contains(stderr, "no certificate") {
		t.Errorf("revoke an unknown serial: %d %s", code, stderr)
	}
	if code, _, _ := runCmd(t, ctx, "revoke", "--db", file); code != 2 {
		t.Errorf("revoke without --serial: %d", code)
	}

	// Rotate, then serve: the lists verify with the pinned anchor, the
	// revoked certificate is listed, the PDF's glyph verifies with the old
	// signer still in the trust list.
	code, stdout, stderr := runCmd(t, ctx, "rotate-signer", "--db", file, "--overlap", "7d")
	if code != 0 || !strings.Contains(stdout, "new signer") {
		t.Fatalf("rotate-signer: %d %q %s", code, stdout, stderr)
	}
	if code, _, _ := runCmd(t, ctx, "rotate-signer", "--db", file, "--overlap", "-1d"); code != 2 {
		t.Errorf("negative overlap: %d", code)
	}
	code, log := serveUntilCancelled(t, []string{"--db", file, "--demo"}, func(client *http.Client, url string) {
		tl, err := certificates.ParseTrustList(fetch(t, client, url+"/api/v1/trust-list"), anchor)
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Signers) != 2 || tl.Signers[0].NotAfter == nil || tl.Signers[1].NotAfter != nil {
			t.Errorf("trust list after rotation: %+v", tl.Signers)
		}
		rl, err := certificates.ParseRevocationList(fetch(t, client, url+"/api/v1/revocations"), anchor)
		if err != nil {
			t.Fatal(err)
		}
		if !rl.Revoked(serial1) || rl.Revoked(strings.TrimSpace(serial2)) || rl.Sequence != 1 {
			t.Errorf("revocations %+v", rl)
		}
		g, err := certs.GlyphFromPDF(pdf)
		if err != nil {
			t.Fatal(err)
		}
		p, err := glyph.Decode(g)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Verify(tl); err != nil || p.Claims.Serial != serial1 {
			t.Errorf("the issued glyph: %v, serial %s", err, p.Claims.Serial)
		}
	})
	if code != 0 {
		t.Errorf("serve: %d\n%s", code, log)
	}

	// glyph-sizes prints the Markdown table.
	code, table, stderr := runCmd(t, ctx, "glyph-sizes", "--db", file)
	if code != 0 || !strings.Contains(table, "| stato_di_famiglia | Cattaneo Stefano | 5 |") {
		t.Errorf("glyph-sizes: %d %s %s", code, table, stderr)
	}
}

func TestCertificateKeyPermissions(t *testing.T) {
	t.Parallel()
	file := seededDB(t)
	ctx := context.Background()
	if code, _, stderr := runCmd(t, ctx, "trust-anchor", "--db", file); code != 0 {
		t.Fatal(stderr)
	}
	if err := os.Chmod(certs.AnchorFile(file), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, ctx, "issue", "--db", file, "--holder", demoPerson(t, "Marco Colombo").FiscalCode,
		"--type", "nascita", "--out", filepath.Join(t.TempDir(), "x.pdf"))
	if code != 1 || !strings.Contains(stderr, "chmod 600") {
		t.Errorf("a 0644 anchor: %d %s", code, stderr)
	}
}
