package app

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/codicefiscale"
	"github.com/sportello/sportello/core/glyph"
	"github.com/sportello/sportello/core/verify"
	"github.com/sportello/sportello/platform/camera"
	"github.com/sportello/sportello/platform/secrets"
)

// The verifier is tested with real glyphs: claims signed with a key the
// test makes, checked against trust data that publishes it, served (for
// the flows) by a fake municipality server with signed lists.

// Collerosso is the invented municipality the glyphs of these tests come
// from; the demo one is Valdoria (015999).
const (
	testISTAT = "048999"
	testTown  = "Comune di Collerosso"
)

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testClaims is a stato di famiglia as Collerosso would sign it.
func testClaims() glyph.Claims {
	exp := fixedNow.AddDate(0, 6, -3)
	head := glyph.Person{Surname: "Rinaldi", Name: "Chiara", BirthDate: core.NewDate(1981, time.May, 4),
		BirthPlace: core.Place{Name: "Firenze", Province: "FI"}, Relationship: core.Head}
	holder := head
	holder.FiscalCode, _ = codicefiscale.Compute("Rinaldi", "Chiara", core.Female, head.BirthDate, "D612") // Firenze
	return glyph.Claims{
		Issuer:   testISTAT,
		IssuedAt: time.Date(2026, time.November, 19, 9, 12, 0, 0, time.UTC),
		Expires:  &exp,
		Serial:   "CLR-2026-004211",
		Type:     glyph.TypeStatoDiFamiglia,
		Holder:   holder,
		Address:  &core.Address{Street: "Via dei Castagni", Number: "7", PostalCode: "50030", Town: "Collerosso", Province: "FI"},
		Family: []glyph.Person{head,
			{Surname: "Bruni", Name: "Davide", BirthDate: core.NewDate(1979, time.February, 11), BirthPlace: core.Place{Name: "Prato", Province: "PO"}, Relationship: core.Spouse},
			{Surname: "Bruni", Name: "Elena", BirthDate: core.NewDate(2012, time.September, 30), BirthPlace: core.Place{Name: "Firenze", Province: "FI"}, Relationship: core.Child},
		},
		Citizenship:   "italiana",
		MaritalStatus: core.Married,
		StampDuty:     glyph.StampDuty{ExemptionCode: "sport_dilettantistico", ExemptionLaw: "DPR 642/1972 Tab. B art. 8-bis"},
	}
}

func encodeGlyph(t testing.TB, c glyph.Claims, key *ecdsa.PrivateKey) string {
	t.Helper()
	text, err := glyph.Encode(c, key)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// signer is the trust list entry of key.
func signer(key *ecdsa.PrivateKey) certificates.SignerKey {
	return certificates.SignerKey{KeyID: glyph.KeyID(&key.PublicKey), Public: &key.PublicKey, NotBefore: fixedNow.AddDate(-1, 0, 0)}
}

// trustData publishes key for Collerosso, signed age before fixedNow, with
// the serials revoked.
func trustData(key *ecdsa.PrivateKey, age time.Duration, revoked ...string) *verify.TrustData {
	at := fixedNow.Add(-age)
	rl := &certificates.RevocationList{Issuer: testISTAT, IssuedAt: at, Sequence: uint64(len(revoked)), Latest: uint64(len(revoked))}
	for _, s := range revoked {
		rl.Hashes = append(rl.Hashes, certificates.RevocationHash(s))
	}
	td := &verify.TrustData{}
	td.Add(&verify.Issuer{ISTAT: testISTAT, Name: testTown, Source: "https://servizi.collerosso.example",
		Signers:     &certificates.TrustList{Issuer: testISTAT, IssuedAt: at, Signers: []certificates.SignerKey{signer(key)}},
		Revocations: rl, SyncedAt: at})
	return td
}

// Base45 (RFC 9285), to alter a glyph the way a forger would: change the
// signed content, keep the signature.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

func base45Decode(t testing.TB, s string) []byte {
	t.Helper()
	var out []byte
	for i := 0; i < len(s); i += 3 {
		n, mul := 0, 1
		for j := i; j < min(i+3, len(s)); j++ {
			n += strings.IndexByte(base45Alphabet, s[j]) * mul
			mul *= 45
		}
		if i+3 <= len(s) {
			out = append(out, byte(n>>8), byte(n))
		} else {
			out = append(out, byte(n))
		}
	}
	return out
}

func base45Encode(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); i += 2 {
		if i+1 < len(b) {
			n := int(b[i])<<8 | int(b[i+1])
			sb.WriteByte(base45Alphabet[n%45])
			sb.WriteByte(base45Alphabet[n/45%45])
			sb.WriteByte(base45Alphabet[n/2025])
		} else {
			n := int(b[i])
			sb.WriteByte(base45Alphabet[n%45])
			sb.WriteByte(base45Alphabet[n/45])
		}
	}
	return sb.String()
}

// alter replaces old with new (of the same length) in the glyph's signed
// content and packs it again, signature untouched.
func alter(t testing.TB, text, old, new string) string {
	t.Helper()
	z, err := zlib.NewReader(bytes.NewReader(base45Decode(t, strings.TrimPrefix(text, glyph.Prefix))))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(msg, []byte(old)) || len(old) != len(new) {
		t.Fatalf("cannot alter %q", old)
	}
	msg = bytes.Replace(msg, []byte(old), []byte(new), 1)
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(msg)
	w.Close()
	return glyph.Prefix + base45Encode(buf.Bytes())
}

// testVerdicts gives a real verdict of every status, by name.
func testVerdicts(t testing.TB) map[string]verify.Verdict {
	key, stranger := newKey(t), newKey(t)
	policy := verify.DefaultPolicy()
	c := testClaims()
	text := encodeGlyph(t, c, key)
	fresh := trustData(key, 2*time.Hour)
	expired := testClaims()
	expired.IssuedAt = time.Date(2026, time.April, 2, 11, 5, 0, 0, time.UTC)
	end := time.Date(2026, time.October, 2, 0, 0, 0, 0, time.UTC)
	expired.Expires = &end
	out := map[string]verify.Verdict{
		"valid":              verify.Verify(text, fresh, fixedNow, policy),
		"invalid_signature":  verify.Verify(alter(t, text, "Rinaldi", "Rinalda"), fresh, fixedNow, policy),
		"unknown_issuer":     verify.Verify(encodeGlyph(t, c, stranger), fresh, fixedNow, policy),
		"expired":            verify.Verify(encodeGlyph(t, expired, key), trustData(key, 30*time.Hour), fixedNow, policy),
		"revoked":            verify.Verify(text, trustData(key, 2*time.Hour, c.Serial), fixedNow, policy),
		"not_sportello":      verify.Verify("https://example.org", fresh, fixedNow, policy),
		"malformed":          verify.Verify("TD1:!!!", fresh, fixedNow, policy),
		"trust_data_missing": verify.Verify(text, nil, fixedNow, policy),
		"trust_data_stale":   verify.Verify(text, trustData(key, 8*24*time.Hour), fixedNow, policy),
	}
	for name, v := range out {
		if string(v.Status) != name {
			t.Fatalf("the %s glyph is %s: %s", name, v.Status, v.Detail)
		}
	}
	if out["invalid_signature"].Reason != verify.ReasonBadSignature {
		t.Fatalf("altered glyph: %s", out["invalid_signature"].Reason)
	}
	return out
}

// fakeTown is a municipality server with only what a verifier syncs: its
// trust anchor, the signed lists and its name.
type fakeTown struct {
	srv *httptest.Server

	mu       sync.Mutex
	name     string
	istat    string
	anchor   *ecdsa.PrivateKey
	signers  []certificates.SignerKey
	issuedAt time.Time
	revoked  []string
}

func newFakeTown(t *testing.T, name, istat string, age time.Duration, signers ...*ecdsa.PrivateKey) *fakeTown {
	f := &fakeTown{name: name, istat: istat, anchor: newKey(t), issuedAt: fixedNow.Add(-age)}
	for _, k := range signers {
		f.signers = append(f.signers, signer(k))
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTown) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var body []byte
	var err error
	switch r.URL.Path {
	case "/api/v1/trust-anchor":
		w.Header().Set("Content-Type", "application/x-pem-file")
		body, err = certificates.PublicKeyPEM(&f.anchor.PublicKey)
	case "/api/v1/trust-list":
		w.Header().Set("Content-Type", certificates.MediaType)
		tl := certificates.TrustList{Issuer: f.istat, IssuedAt: f.issuedAt, Signers: f.signers}
		body, err = tl.Sign(f.anchor)
	case "/api/v1/revocations":
		w.Header().Set("Content-Type", certificates.MediaType)
		since, _ := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
		seq := uint64(len(f.revoked))
		rl := certificates.RevocationList{Issuer: f.istat, IssuedAt: f.issuedAt, Sequence: seq, Latest: seq, Since: min(since, seq)}
		for _, s := range f.revoked[min(since, seq):] {
			rl.Hashes = append(rl.Hashes, certificates.RevocationHash(s))
		}
		body, err = rl.Sign(f.anchor)
	case "/api/v1/municipality":
		w.Header().Set("Content-Type", "application/json")
		body, err = json.Marshal(core.Municipality{Name: f.name, ISTAT: f.istat})
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write(body)
}

// noCamera makes the verifier find no camera, as on a machine without one.
func noCamera(t *testing.T) {
	setCamera(t, func() (camera.Stream, error) { return nil, camera.ErrNoCamera })
}

func setCamera(t *testing.T, open func() (camera.Stream, error)) {
	old := openCamera
	openCamera = open
	t.Cleanup(func() { openCamera = old })
}

// fakeStream plays frames, then calls idle (if set) and waits for the
// camera to be stopped.
type fakeStream struct {
	frames []*image.Gray
	idle   func()
	closed atomic.Bool
}

func (f *fakeStream) Next(ctx context.Context) (*image.Gray, error) {
	if len(f.frames) == 0 {
		if f.idle != nil {
			f.idle()
			f.idle = nil
		}
		if ctx.Err() == nil {
			return nil, camera.ErrClosed
		}
		return nil, ctx.Err()
	}
	g := f.frames[0]
	f.frames = f.frames[1:]
	return g, nil
}

func (f *fakeStream) Size() image.Point { return image.Pt(640, 360) }
func (f *fakeStream) Close() error      { f.closed.Store(true); return nil }

// qrImage draws text as a QR code of side pixels.
func qrImage(t testing.TB, text string, side int) image.Image {
	t.Helper()
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, side, side, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// frame is a small camera frame (640×360; a camera gives 1280×720, but
// scanning under the race detector is slow): a desk, a sheet of paper and,
// if qr is not nil, the code on it.
func frame(qr image.Image) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 640, 360))
	for y := range 360 {
		for x := range 640 {
			g.Pix[y*g.Stride+x] = uint8(60 + (x+y)/20)
		}
	}
	draw.Draw(g, image.Rect(150, 5, 490, 355), image.NewUniform(color.Gray{Y: 235}), image.Point{}, draw.Src)
	if qr != nil {
		b := qr.Bounds()
		draw.Draw(g, image.Rect(160, 10, 160+b.Dx(), 10+b.Dy()), qr, b.Min, draw.Src)
	}
	return g
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// openVerifierFromHome taps the entry point on the home screen.
func openVerifierFromHome(t *testing.T, u *ui) *verifierScreen {
	t.Helper()
	for _, o := range test.LaidOutObjects(u.home.object()) {
		if tl, ok := o.(*tile); ok && strings.Contains(labels(tl.content), "Verifica un certificato") {
			test.Tap(tl)
			s := u.verif.screen
			if s == nil || !s.current() {
				t.Fatal("the verifier did not open")
			}
			return s
		}
	}
	t.Fatal("no entry point on the home screen")
	return nil
}

// addTown adds a municipality by its server address, as a person would.
func addTown(t *testing.T, s *verifierScreen, address string) {
	t.Helper()
	if !s.addForm.Visible() {
		test.Tap(s.showAddForm)
	}
	s.address.SetText("")
	test.Type(s.address, address)
	test.Tap(s.addButton)
}

func contentLabels(u *ui) string { return labels(u.win.Content()) }

// The verifier on a phone, in Italian, from the home screen: trust data,
// files, the camera, the result screen of every verdict, in one app.
func TestVerifierOnAPhone(t *testing.T) {
	noCamera(t)
	key := newKey(t)
	colle := newFakeTown(t, testTown, testISTAT, 2*time.Hour, key)
	pietralta := newFakeTown(t, "Comune di Pietralta", "048998", 30*time.Hour, newKey(t))
	vallescura := newFakeTown(t, "Comune di Vallescura", "048997", 8*24*time.Hour, newKey(t))
	u := startTestUI(t, true, "it", t.TempDir(), secrets.Memory())

	// Opening it synced the current (demo) municipality: no sign-in needed.
	s := openVerifierFromHome(t, u)
	if text := labels(s.page); !strings.Contains(text, "Comune di Valdoria") || !strings.Contains(text, "Nessuna fotocamera disponibile") {
		t.Fatalf("verifier screen:\n%s", text)
	}
	if !s.trustIssue.Hidden {
		t.Fatalf("sync of the demo municipality: %s", s.trustIssue.Text)
	}

	// A wrong address is refused and stays, to be corrected.
	addTown(t, s, "not an address")
	if s.trustIssue.Hidden || !strings.Contains(s.trustIssue.Text, "non è un indirizzo valido") || s.address.Text != "not an address" {
		t.Fatalf("bad address: %q, entry %q", s.trustIssue.Text, s.address.Text)
	}
	for _, town := range []*fakeTown{colle, pietralta, vallescura} {
		addTown(t, s, town.srv.URL)
		if !s.trustIssue.Hidden {
			t.Fatalf("adding %s: %s", town.name, s.trustIssue.Text)
		}
	}
	text := labels(s.page)
	for _, want := range []string{testTown, "ISTAT 048999 · aggiornati 2 ore fa · nessun certificato revocato", "Comune di Pietralta", "Vecchi di più di un giorno",
		"Comune di Vallescura", "Troppo vecchi"} {
		if !strings.Contains(text, want) {
			t.Fatalf("trust data lacks %q:\n%s", want, text)
		}
	}
	golden(t, u, "verifier_phone_it")

	// The glyph's text in a file.
	c := testClaims()
	glyphText := encodeGlyph(t, c, key)
	s.verifyFile(writeFile(t, "timbro.txt", []byte(glyphText+"\n")))
	if u.win.Content() != s.result || !strings.Contains(contentLabels(u), "Rinaldi") || !strings.Contains(contentLabels(u), "Certificato valido") {
		t.Fatalf("result of a text file:\n%s", contentLabels(u))
	}
	tapButton(t, s.result, "Verifica un altro")
	if u.win.Content() != s.page || s.result != nil {
		t.Fatal("Verifica un altro does not go back to the verifier")
	}

	// A photo of the code, dropped on the window.
	var buf bytes.Buffer
	if err := png.Encode(&buf, frame(qrImage(t, glyphText, 340))); err != nil {
		t.Fatal(err)
	}
	s.dropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(writeFile(t, "foto.png", buf.Bytes()))})
	if u.win.Content() != s.result || !strings.Contains(contentLabels(u), "Chiara") {
		t.Fatalf("result of a photo:\n%s", contentLabels(u))
	}
	s.again()

	// Files that give no verdict say why, on the verifier screen.
	buf.Reset()
	png.Encode(&buf, frame(nil))
	for file, want := range map[string]string{
		"vuota.png":   "non c'è un codice QR leggibile",
		"lettera.doc": "Questo tipo di file non si può leggere",
	} {
		data := buf.Bytes()
		if strings.HasSuffix(file, ".doc") {
			data = append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, bytes.Repeat([]byte{0, 0xff}, 9000)...)
		}
		s.verifyFile(writeFile(t, file, data))
		if u.win.Content() != s.page || s.problem.Hidden || !strings.Contains(s.problem.Text, want) {
			t.Errorf("%s: %q", file, s.problem.Text)
		}
	}

	// The camera: frames without a code, then one with it. The verdict
	// stops the camera.
	stream := &fakeStream{frames: []*image.Gray{frame(nil), frame(qrImage(t, glyphText, 340))}}
	setCamera(t, func() (camera.Stream, error) { return stream, nil })
	tapButton(t, s.page, "Indietro")
	if u.win.Content() != u.tabs {
		t.Fatal("Indietro does not go back to the sections")
	}
	s = openVerifierFromHome(t, u)
	if u.win.Content() != s.result || !strings.Contains(contentLabels(u), "Rinaldi") || !stream.closed.Load() || s.cam != nil {
		t.Fatalf("camera: closed %v, screen:\n%s", stream.closed.Load(), contentLabels(u))
	}

	// The live preview, with its guide.
	stream = &fakeStream{frames: []*image.Gray{frame(nil)}}
	stream.idle = func() { golden(t, u, "verifier_camera_phone_it") }
	s.again()
	if !stream.closed.Load() {
		t.Fatal("the camera was not released")
	}
	noCamera(t)
	s.leave()

	// A revoked certificate, once the municipality's list says so; then
	// the municipality's keys change: refused, and nothing is lost.
	colle.mu.Lock()
	colle.revoked = []string{"CLR-2026-000001", c.Serial}
	colle.mu.Unlock()
	s = openVerifierFromHome(t, u)
	tapButton(t, s.page, "Aggiorna")
	if !s.trustIssue.Hidden {
		t.Fatalf("refresh: %s", s.trustIssue.Text)
	}
	if !strings.Contains(labels(s.page), "2 certificati revocati") {
		t.Fatalf("revocations not synced:\n%s", labels(s.page))
	}
	s.verifyFile(writeFile(t, "timbro.txt", []byte(glyphText)))
	if !strings.Contains(contentLabels(u), "Il Comune ha revocato questo certificato") {
		t.Fatalf("revoked:\n%s", contentLabels(u))
	}
	s.again()
	colle.mu.Lock()
	colle.anchor = newKey(t)
	colle.mu.Unlock()
	tapButton(t, s.page, "Aggiorna")
	if !strings.Contains(s.trustIssue.Text, testTown+": aggiornamento non riuscito. Rifiutato") || !strings.Contains(labels(s.page), "2 certificati revocati") {
		t.Fatalf("anchor change: %q\n%s", s.trustIssue.Text, labels(s.page))
	}

	// Removing a municipality forgets it: its stamps are then of an
	// unknown issuer.
	s.remove(colle.srv.URL)
	if strings.Contains(labels(s.sources), testTown) || !s.trustIssue.Hidden {
		t.Fatal("removed municipality still listed")
	}
	s.verifyFile(writeFile(t, "timbro.txt", []byte(glyphText)))
	if !strings.Contains(contentLabels(u), "Emittente sconosciuto") {
		t.Fatalf("after removal:\n%s", contentLabels(u))
	}

	// Every verdict, on a phone in Italian; two in English.
	verdicts := testVerdicts(t)
	for _, st := range verify.Statuses {
		s.showVerdict(verdicts[string(st)])
		golden(t, u, "verdict_"+string(st)+"_phone_it")
		if size := u.win.Canvas().Size(); size != phoneSize {
			t.Fatalf("the %s result is wider than a phone: %v", st, size)
		}
	}
	applyLanguage("en")
	t.Cleanup(func() { applyLanguage("it") })
	for _, st := range []string{"valid", "revoked"} {
		s.showVerdict(verdicts[st])
		golden(t, u, "verdict_"+st+"_phone_en")
	}
	applyLanguage("it")

	// Leaving drops the verdict and the drop target.
	s.showVerdict(verdicts["valid"])
	tapButton(t, s.result, "Fine")
	if u.win.Content() != u.tabs || u.verif.screen != nil || s.result != nil {
		t.Fatal("Fine does not close the verifier")
	}
}

// The verifier on a desktop: results in Italian, the screen in English.
func TestVerifierOnADesktop(t *testing.T) {
	noCamera(t)
	colle := newFakeTown(t, testTown, testISTAT, 2*time.Hour, newKey(t))
	u := startTestUI(t, false, "it", t.TempDir(), secrets.Memory())
	s := openVerifierFromHome(t, u)
	verdicts := testVerdicts(t)
	for _, st := range []string{"valid", "revoked"} {
		s.showVerdict(verdicts[st])
		golden(t, u, "verdict_"+st+"_desktop_it")
	}
	applyLanguage("en")
	t.Cleanup(func() { applyLanguage("it") })
	u.showVerifier()
	s = u.verif.screen
	addTown(t, s, colle.srv.URL)
	if !strings.Contains(labels(s.page), "updated 2 h ago") {
		t.Fatalf("trust data:\n%s", labels(s.page))
	}
	golden(t, u, "verifier_desktop_en")

	// The file dialog opens over the verifier (a Resize before Show once
	// crashed the app in a real window).
	s.chooseFile()
	if overlays := u.win.Canvas().Overlays().List(); len(overlays) == 0 {
		t.Error("no file dialog shown")
	}
}
