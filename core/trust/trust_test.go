package trust_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/glyph"
	"github.com/sportello/sportello/core/trust"
	"github.com/sportello/sportello/server"
	_ "modernc.org/sqlite"
)

func openStore(t testing.TB) *trust.Store {
	st, err := trust.Open(context.Background(), filepath.Join(t.TempDir(), trust.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func client(t testing.TB, url string) *api.Client {
	c, err := api.New(url, api.Options{Timeout: 5 * time.Second, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// revokeMany records n revoked certificates in a reference server's
// database, as n runs of sportello-server revoke would, in one transaction.
func revokeMany(t testing.TB, dbFile string, from, n int) {
	db, err := sql.Open("sqlite", dbFile+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := tx.Prepare(`INSERT INTO certificates (serial, fiscal_code, type, subject_fiscal_code, subject_surname,
		subject_name, subject_birth_date, issued_on, revoked, revoked_at, revoked_seq)
		VALUES (?, 'CLMMRC74C15F205P', 'residenza', 'CLMMRC74C15F205P', 'Colombo', 'Marco', '1974-03-15', '2026-01-02', 1, 0, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < from+n; i++ {
		if _, err := stmt.Exec(serial(i), i+1); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func serial(i int) string { return fmt.Sprintf("2026-T%09d", i) }

// TestSyncWithReferenceServer syncs from the real reference server over
// loopback: pinning on first use, a snapshot in chunks, then increments.
func TestSyncWithReferenceServer(t *testing.T) {
	ctx := context.Background()
	dbFile := filepath.Join(t.TempDir(), "municipality.db")
	srv, err := server.Start(ctx, dbFile, "127.0.0.1:0", true, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	st := openStore(t)
	c := client(t, srv.URL)

	res, err := st.Sync(ctx, "demo", c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.PinnedNow || res.Source.ISTAT != "015999" || res.Source.Name == "" || res.Source.Revocations != 0 || res.Chunks != 1 {
		t.Fatalf("first sync: %+v", res)
	}

	const n = 2*5000 + 123
	revokeMany(t, dbFile, 0, n)
	if res, err = st.Sync(ctx, "demo", c, nil); err != nil {
		t.Fatal(err)
	}
	if res.PinnedNow || res.Added != n || res.Chunks != 3 || res.Source.Sequence != n || res.Source.Revocations != n {
		t.Fatalf("sync of %d revocations: %+v", n, res)
	}
	revokeMany(t, dbFile, n, 1)
	if res, err = st.Sync(ctx, "demo", c, nil); err != nil {
		t.Fatal(err)
	}
	if res.Added != 1 || res.Chunks != 1 || res.Snapshot || res.Source.Revocations != n+1 {
		t.Fatalf("incremental sync: %+v", res)
	}
	td, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	iss := td.Issuers["015999"]
	if iss == nil || len(iss.Revocations.Hashes) != n+1 || !iss.Revocations.Revoked(serial(0)) ||
		!iss.Revocations.Revoked(serial(n)) || iss.Revocations.Revoked(serial(n+1)) || len(iss.Signers.Signers) == 0 {
		t.Fatalf("loaded: %+v", iss)
	}

	// The operator's key matches what was pinned; another key does not.
	anchorPEM, err := c.TrustAnchor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sync(ctx, "demo", c, anchorPEM); err != nil {
		t.Errorf("with the operator's anchor: %v", err)
	}
	otherPEM, _ := certificates.PublicKeyPEM(&newKey(t).PublicKey)
	if _, err := st.Sync(ctx, "demo", c, otherPEM); !errors.Is(err, trust.ErrAnchorMismatch) {
		t.Errorf("with another anchor: %v", err)
	}

	// Another municipality database (another anchor) at the same site is
	// refused, and the data held stays.
	other, err := server.Start(ctx, filepath.Join(t.TempDir(), "other.db"), "127.0.0.1:0", true, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	if _, err := st.Sync(ctx, "demo", client(t, other.URL), nil); !errors.Is(err, trust.ErrAnchorMismatch) {
		t.Errorf("a server with another anchor: %v", err)
	}
	// The server is down: nothing changes.
	srv.Close(ctx)
	if _, err := st.Sync(ctx, "demo", c, nil); !errors.Is(err, core.ErrUnreachable) {
		t.Errorf("server down: %v", err)
	}
	srcs, err := st.Sources(ctx)
	if err != nil || len(srcs) != 1 || srcs[0].Revocations != n+1 {
		t.Fatalf("after refused syncs: %+v %v", srcs, err)
	}
	if err := st.Remove(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	if err := st.Remove(ctx, "demo"); !errors.Is(err, trust.ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}
	if td, err := st.Load(ctx); err != nil || len(td.Issuers) != 0 {
		t.Errorf("after remove: %+v %v", td, err)
	}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fakeMunicipality serves hand-made signed lists on loopback, to play the
// servers that misbehave.
type fakeMunicipality struct {
	mu        sync.Mutex
	anchor    *ecdsa.PrivateKey // publishes this one
	listKey   *ecdsa.PrivateKey // signs with this one
	istat     string
	revIstat  string
	seq       uint64
	since     func(asked uint64) uint64 // the since the chunk states
	issuedAt  time.Time
	trustList []byte // when set, served as is
}

func (f *fakeMunicipality) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var body []byte
	var err error
	switch r.URL.Path {
	case "/api/v1/municipality":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"name":"Comune di Prova","istat":"`+f.istat+`"}`)
		return
	case "/api/v1/trust-anchor":
		body, err = certificates.PublicKeyPEM(&f.anchor.PublicKey)
	case "/api/v1/trust-list":
		if f.trustList != nil {
			body = f.trustList
			break
		}
		signer := newKeyNoT()
		tl := certificates.TrustList{Issuer: f.istat, IssuedAt: f.issuedAt, Signers: []certificates.SignerKey{{
			KeyID: glyph.KeyID(&signer.PublicKey), Public: &signer.PublicKey, NotBefore: f.issuedAt.AddDate(-1, 0, 0)}}}
		body, err = tl.Sign(f.listKey)
	case "/api/v1/revocations":
		asked, _ := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
		rl := certificates.RevocationList{Issuer: f.revIstat, IssuedAt: f.issuedAt, Sequence: f.seq, Latest: f.seq, Since: asked}
		if f.since != nil {
			rl.Since = f.since(asked)
		}
		for i := rl.Since; i < f.seq; i++ {
			rl.Hashes = append(rl.Hashes, certificates.RevocationHash(serial(int(i))))
		}
		body, err = rl.Sign(f.listKey)
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Write(body)
}

func newKeyNoT() *ecdsa.PrivateKey {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return k
}

func TestMisbehavingServers(t *testing.T) {
	ctx := context.Background()
	anchor := newKey(t)
	f := &fakeMunicipality{anchor: anchor, listKey: anchor, istat: "015146", revIstat: "015146", seq: 3,
		issuedAt: time.Now().UTC().Truncate(time.Second)}
	ts := httptest.NewServer(f)
	defer ts.Close()
	c := client(t, ts.URL)
	st := openStore(t)
	if res, err := st.Sync(ctx, "x", c, nil); err != nil || res.Added != 3 || !res.PinnedNow {
		t.Fatalf("first sync: %+v %v", res, err)
	}
	held := func() trust.Source {
		srcs, err := st.Sources(ctx)
		if err != nil || len(srcs) != 1 {
			t.Fatalf("sources: %+v %v", srcs, err)
		}
		return srcs[0]
	}
	before := held()

	refuse := func(name string, change func(), want error) {
		t.Helper()
		f.mu.Lock()
		saved := fakeMunicipality{anchor: f.anchor, listKey: f.listKey, istat: f.istat, revIstat: f.revIstat,
			seq: f.seq, since: f.since, trustList: f.trustList}
		change()
		f.mu.Unlock()
		_, err := st.Sync(ctx, "x", c, nil)
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
		if now := held(); now.Sequence != before.Sequence || now.Revocations != before.Revocations || !now.SyncedAt.Equal(before.SyncedAt) {
			t.Errorf("%s changed the data held: %+v", name, now)
		}
		f.mu.Lock()
		f.anchor, f.listKey, f.istat, f.revIstat, f.seq, f.since, f.trustList = saved.anchor, saved.listKey, saved.istat,
			saved.revIstat, saved.seq, saved.since, saved.trustList
		f.mu.Unlock()
	}
	intruder := newKey(t)
	refuse("lists signed by another key", func() { f.listKey = intruder }, trust.ErrAnchorMismatch)
	refuse("a new anchor published and used", func() { f.anchor, f.listKey = intruder, intruder }, trust.ErrAnchorMismatch)
	refuse("a trust list that is not COSE", func() { f.trustList = []byte("garbage") }, certificates.ErrListMalformed)
	refuse("another municipality", func() { f.istat, f.revIstat = "015999", "015999" }, trust.ErrIssuerMismatch)
	refuse("revocations of another municipality", func() { f.revIstat = "015999" }, trust.ErrIssuerMismatch)
	refuse("a sequence gone back", func() { f.seq, f.since = 1, func(uint64) uint64 { return 0 } }, trust.ErrRollback)
	refuse("a chunk from elsewhere", func() { f.seq, f.since = 5, func(uint64) uint64 { return 1 } }, core.ErrBadResponse)

	// A pinned anchor keeps working when the server is honest again.
	f.mu.Lock()
	f.seq = 4
	f.mu.Unlock()
	if res, err := st.Sync(ctx, "x", c, nil); err != nil || res.Added != 1 || res.Source.Revocations != 4 {
		t.Errorf("honest again: %+v %v", res, err)
	}
}
