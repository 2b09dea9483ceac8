package certs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/glyph"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/store"
)

var seedTime = time.Date(2026, time.November, 22, 10, 30, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

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

type env struct {
	db    string
	st    *store.Store
	svc   *Service
	clock *clock
	town  demo.Dataset
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	db := filepath.Join(tb.TempDir(), "sportello.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	ds := demo.Generate(seedTime)
	if err := st.Seed(context.Background(), ds); err != nil {
		tb.Fatal(err)
	}
	c := &clock{t: seedTime}
	svc, err := New(st, db, c.Now)
	if err != nil {
		tb.Fatal(err)
	}
	return &env{db: db, st: st, svc: svc, clock: c, town: ds}
}

func (e *env) citizen(tb testing.TB, name string) core.Citizen {
	tb.Helper()
	for _, c := range e.town.Citizens {
		if c.Name+" "+c.Surname == name {
			return c
		}
	}
	tb.Fatalf("no %s in the demo", name)
	return core.Citizen{}
}

// trustList is the service's trust list, verified with its anchor.
func (e *env) trustList(tb testing.TB) *certificates.TrustList {
	tb.Helper()
	data, err := e.svc.TrustList(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	keys, _ := e.svc.Keys()
	tl, err := certificates.ParseTrustList(data, &keys.Anchor.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return tl
}

// checkPDF checks the file's structure: header, binary comment, every
// cross-reference offset at its object, trailer with an ID, the end.
func checkPDF(t *testing.T, pdf []byte) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")) {
		t.Errorf("header %q", pdf[:20])
	}
	if !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Error("no EOF marker at the end")
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref")
	}
	at, _ := strconv.Atoi(string(m[1]))
	lines := strings.Split(string(pdf[at:]), "\n")
	var size int
	fmt.Sscanf(lines[1], "0 %d", &size)
	for i := 1; i < size; i++ {
		off, _ := strconv.Atoi(lines[2+i][:10])
		if !bytes.HasPrefix(pdf[off:], []byte(fmt.Sprintf("%d 0 obj", i))) {
			t.Errorf("object %d is not at offset %d", i, off)
		}
	}
	for _, want := range []string{"/ID [<", "/OutputIntents [", "/Metadata ", "<pdfaid:part>2</pdfaid:part>",
		"<pdfaid:conformance>B</pdfaid:conformance>", "/FontFile2", "/S /GTS_PDFA1"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("no %q in the PDF", want)
		}
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		f := filepath.Join(t.TempDir(), "c.pdf")
		os.WriteFile(f, pdf, 0o600)
		if out, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	}
}

func TestIssueEveryType(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	marco := e.citizen(t, "Marco Colombo")
	tl := e.trustList(t)
	dir := os.Getenv("SPORTELLO_PDF_DIR") // to look at them
	for i, ty := range certificates.Types() {
		req := certificates.Request{Type: ty.ID}
		if !ty.AlwaysExempt {
			req.StampDuty.Marcas = []certificates.MarcaReq{{ID: fmt.Sprintf("0100000000%04d", i), Date: "2026-11-20"}}
		}
		if ty.Requesters == certificates.SelfOrFamily && ty.ID != certificates.Matrimonio {
			req.Subject = e.citizen(t, "Elena Brambilla").FiscalCode
		}
		holder := marco
		if ty.ID == certificates.StatoLibero {
			holder = e.citizen(t, "Giulia Colombo")
		}
		got, err := e.svc.Issue(ctx, IssueInput{Caller: holder.FiscalCode, Holder: holder.FiscalCode, Request: req})
		if err != nil {
			t.Fatalf("%s: %v", ty.ID, err)
		}
		if len(got.Certificates) != 1 || got.Replayed {
			t.Fatalf("%s: %+v", ty.ID, got)
		}
		c := got.Certificates[0]
		_, pdf, err := e.st.CertificatePDF(ctx, c.Serial)
		if err != nil {
			t.Fatal(err)
		}
		checkPDF(t, pdf)
		text := Text(pdf)
		for _, want := range []string{MandatorySentence, ty.TitleIT, "N. " + c.Serial, strings.ToUpper(c.Subject.Surname),
			"CERTIFICA", "COMUNE DI VALDORIA", "Codice ISTAT " + e.town.Municipality.ISTAT, "sportello-verify"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the PDF does not say %q:\n%s", ty.ID, want, text)
			}
		}
		if ty.Unlimited != strings.Contains(text, "Validità illimitata") {
			t.Errorf("%s: validity: %s", ty.ID, text)
		}
		if ty.AlwaysExempt != strings.Contains(text, "Esente dall'imposta di bollo: L. 405/1990") {
			t.Errorf("%s: stamp duty: %s", ty.ID, text)
		}
		if !ty.AlwaysExempt && !strings.Contains(text, "marca da bollo) n. "+req.StampDuty.Marcas[0].ID+" del 20/11/2026") {
			t.Errorf("%s: marca: %s", ty.ID, text)
		}
		if ty.Has(certificates.ContentFamily) && (!strings.Contains(text, "COLOMBO Tommaso") || strings.Contains(text, "CLMTMS")) {
			t.Errorf("%s: family: %s", ty.ID, text)
		}

		// The QR code on the page is the glyph, which verifies with the
		// trust list and states the certificate.
		g, err := GlyphFromPDF(pdf)
		if err != nil {
			t.Fatalf("%s: %v", ty.ID, err)
		}
		if g != c.Glyph {
			t.Errorf("%s: the QR code holds %q, the certificate %q", ty.ID, g, c.Glyph)
		}
		p, err := glyph.Decode(g)
		if err != nil {
			t.Fatalf("%s: %v", ty.ID, err)
		}
		if _, err := p.Verify(tl); err != nil {
			t.Errorf("%s: %v", ty.ID, err)
		}
		cl := p.Claims
		if cl.Serial != c.Serial || cl.Type != ty.ID || cl.Issuer != e.town.Municipality.ISTAT ||
			cl.Holder.Surname != c.Subject.Surname || cl.Holder.FiscalCode != "" || cl.Holder.BirthPlace.Name == "" {
			t.Errorf("%s: claims %+v", ty.ID, cl)
		}
		if (cl.Expires == nil) != ty.Unlimited {
			t.Errorf("%s: expires %v", ty.ID, cl.Expires)
		}
		for _, m := range cl.Family {
			if m.FiscalCode != "" {
				t.Errorf("%s: a family member's fiscal code in the glyph", ty.ID)
			}
		}
		if ty.Has(certificates.ContentFamily) && len(cl.Family) != 4 {
			t.Errorf("%s: family %+v", ty.ID, cl.Family)
		}
		if ty.Has(certificates.ContentAddress) && (cl.Address == nil || cl.Address.Street != "Via Roma") {
			t.Errorf("%s: address %+v", ty.ID, cl.Address)
		}
		if ty.AlwaysExempt != cl.StampDuty.ExemptByType {
			t.Errorf("%s: stamp duty %+v", ty.ID, cl.StampDuty)
		}
		if dir != "" {
			os.WriteFile(filepath.Join(dir, ty.ID+".pdf"), pdf, 0o644)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	e := newEnv(t)
	for _, f := range []string{AnchorFile(e.db), SignerFile(e.db, seedTime)} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o", f, fi.Mode().Perm())
		}
	}
	// The same keys again.
	k2, err := LoadKeys(e.db, seedTime, false)
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := e.svc.Keys()
	if !k1.Anchor.Equal(k2.Anchor) || len(k2.Signers) != 1 || !k1.Signers[0].Key.Equal(k2.Signers[0].Key) ||
		!k2.Signers[0].NotBefore.Equal(seedTime) {
		t.Error("the keys read again differ")
	}
	// A key others can read is refused.
	if err := os.Chmod(AnchorFile(e.db), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(e.db, seedTime, true); !errors.Is(err, ErrKeyPermissions) {
		t.Errorf("0644 anchor: %v", err)
	}
	os.Chmod(AnchorFile(e.db), 0o600)
	os.Chmod(SignerFile(e.db, seedTime), 0o640)
	if _, err := LoadKeys(e.db, seedTime, true); !errors.Is(err, ErrKeyPermissions) {
		t.Errorf("0640 signer: %v", err)
	}
	os.Chmod(SignerFile(e.db, seedTime), 0o600)
}

func TestKeysFromEnvironment(t *testing.T) {
	e := newEnv(t)
	anchor, _ := os.ReadFile(AnchorFile(e.db))
	signer, _ := os.ReadFile(SignerFile(e.db, seedTime))
	other := filepath.Join(t.TempDir(), "other.db")
	t.Setenv(EnvTrustAnchorKey, string(anchor))
	t.Setenv(EnvSignerKey, string(signer))
	k, err := LoadKeys(other, seedTime, true)
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := e.svc.Keys()
	if !k.FromEnv || !k.Anchor.Equal(k1.Anchor) || len(k.Signers) != 1 || !k.Signers[0].Key.Equal(k1.Signers[0].Key) {
		t.Error("the keys from the environment differ")
	}
	if files, _ := filepath.Glob(other + "*"); len(files) != 0 {
		t.Errorf("keys from the environment written to %v", files)
	}
	if _, err := RotateSigner(other, seedTime, time.Hour); err == nil {
		t.Error("rotated keys of the environment")
	}
	t.Setenv(EnvSignerKey, "not a key")
	if _, err := LoadKeys(other, seedTime, true); err == nil {
		t.Error("a bad signer in the environment was accepted")
	}
}

func TestRotateSigner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	marco := e.citizen(t, "Marco Colombo")
	issue := func() core.Certificate {
		got, err := e.svc.Issue(ctx, IssueInput{Caller: marco.FiscalCode, Holder: marco.FiscalCode,
			Request: certificates.Request{Type: certificates.Nascita}})
		if err != nil {
			t.Fatal(err)
		}
		return got.Certificates[0]
	}
	old := issue()
	e.clock.Advance(24 * time.Hour)
	fresh, err := RotateSigner(e.db, e.clock.Now(), 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(fresh.File); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new signer file: %v", err)
	}
	e.clock.Advance(keyReload) // the service reads the files again
	tl := e.trustList(t)
	if len(tl.Signers) != 2 || tl.Signers[0].NotAfter == nil || !tl.Signers[0].NotAfter.Equal(e.clock.Now().Add(30*24*time.Hour-keyReload)) ||
		tl.Signers[1].NotAfter != nil {
		t.Fatalf("trust list after rotation: %+v", tl.Signers)
	}
	newer := issue()
	for _, c := range []core.Certificate{old, newer} {
		p, _ := glyph.Decode(c.Glyph)
		k, err := p.Verify(tl)
		if err != nil {
			t.Fatal(err)
		}
		want := tl.Signers[0].Public
		if c == newer {
			want = &fresh.Key.PublicKey
		}
		if !k.Equal(want) {
			t.Errorf("%s signed by the wrong key", c.Serial)
		}
	}
	// After the overlap, only the new key is published.
	e.clock.Advance(31 * 24 * time.Hour)
	tl = e.trustList(t)
	if len(tl.Signers) != 1 || !tl.Signers[0].Public.Equal(fresh.Key.Public()) {
		t.Errorf("trust list after the overlap: %+v", tl.Signers)
	}
}

func TestRevocationList(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	keys, _ := e.svc.Keys()
	list := func() *certificates.RevocationList {
		data, err := e.svc.Revocations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rl, err := certificates.ParseRevocationList(data, &keys.Anchor.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return rl
	}
	if rl := list(); rl.Sequence != 0 || len(rl.Hashes) != 0 || rl.Issuer != e.town.Municipality.ISTAT {
		t.Errorf("empty list %+v", rl)
	}
	marco := e.citizen(t, "Marco Colombo")
	got, err := e.svc.Issue(ctx, IssueInput{Caller: marco.FiscalCode, Holder: marco.FiscalCode,
		Request: certificates.Request{Type: certificates.Nascita, Copies: 2}})
	if err != nil {
		t.Fatal(err)
	}
	serial := got.Certificates[1].Serial
	if err := e.svc.Revoke(ctx, serial); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Revoke(ctx, serial); err != nil {
		t.Errorf("revoke again: %v", err)
	}
	if err := e.svc.Revoke(ctx, "2026-NOSUCHSERIAL"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown serial: %v", err)
	}
	rl := list()
	if rl.Sequence != 1 || !rl.Revoked(serial) || rl.Revoked(got.Certificates[0].Serial) {
		t.Errorf("list %+v", rl)
	}
}

func TestSerial(t *testing.T) {
	re := regexp.MustCompile(`^2026-[0-9A-HJKMNP-TV-Z]{10}$`)
	seen := map[string]bool{}
	for range 1000 {
		s := NewSerial(seedTime)
		if !re.MatchString(s) || seen[s] {
			t.Fatalf("serial %q", s)
		}
		seen[s] = true
	}
}

func TestICCProfile(t *testing.T) {
	p := iccSRGB()
	if len(p)%4 != 0 || string(p[36:40]) != "acsp" || string(p[12:24]) != "mntrRGB XYZ " ||
		int(p[0])<<24|int(p[1])<<16|int(p[2])<<8|int(p[3]) != len(p) {
		t.Errorf("profile header % x", p[:40])
	}
}

func TestGlyphSizes(t *testing.T) {
	e := newEnv(t)
	rows, err := e.svc.GlyphSizes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < len(certificates.Types())+2 {
		t.Fatalf("%d rows", len(rows))
	}
	fives := 0
	for _, r := range rows {
		if r.Family == 5 {
			fives++
			if r.VersionM > 17 {
				t.Errorf("a stato di famiglia of five needs QR version %d at M: %+v", r.VersionM, r)
			}
		}
		if r.VersionM > 20 || r.VersionQ < r.VersionM || r.Chars < 100 {
			t.Errorf("row %+v", r)
		}
	}
	if fives < 3 {
		t.Errorf("%d rows with a family of five", fives)
	}
	var b strings.Builder
	if err := WriteGlyphSizes(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| stato_di_famiglia |") {
		t.Error(b.String())
	}
	t.Log("\n" + b.String())
}
