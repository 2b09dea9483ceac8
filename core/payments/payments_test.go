package payments_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/documents"
	"github.com/sportello/sportello/core/pagopa"
	"github.com/sportello/sportello/core/payments"
	"github.com/sportello/sportello/core/signin"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
	"github.com/sportello/sportello/platform/secrets"
	"github.com/sportello/sportello/server"
)

const (
	marco  = "CLMMRC74C15F205P" // owns vehicles with fines in the demo
	fatima = "BNLFMZ89L70Z330L"
)

var seedDay = time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)

type env struct {
	ctx     context.Context
	srv     *server.Running
	keys    core.SecretStore
	svc     *signin.Service
	dataDir string
}

func startServer(t *testing.T) *server.Running {
	t.Helper()
	ctx := context.Background()
	srv, err := server.StartSeededAt(ctx, filepath.Join(t.TempDir(), "server.db"), "127.0.0.1:0", true, seedDay, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(ctx) })
	return srv
}

// device signs fiscalCode in on a new device of srv.
func device(t *testing.T, srv *server.Running, fiscalCode string) *env {
	t.Helper()
	ctx := context.Background()
	keys := secrets.Memory()
	svc := signin.New(keys)
	a, err := svc.Begin(ctx, "site", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.CompleteAsTestIdentity(ctx, fiscalCode); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	return &env{ctx: ctx, srv: srv, keys: keys, svc: svc, dataDir: t.TempDir()}
}

type tokens struct {
	svc    *signin.Service
	issuer string
}

func (t tokens) Token(ctx context.Context, force bool) (string, error) {
	return t.svc.Token(ctx, "site", t.issuer, force)
}

// open is the app's payments service over the device's data, as at one
// start of the app: a restart opens it again.
func (e *env) open(t *testing.T) *payments.Service {
	t.Helper()
	st, err := store.Open(e.ctx, filepath.Join(e.dataDir, "device.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.Open(e.keys)
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.New(e.srv.URL, api.Options{Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return &payments.Service{Client: c, Auth: tokens{e.svc, e.srv.URL}, Store: st, Vault: v, Site: "site",
		Documents: documents.Folder{Dir: filepath.Join(e.dataDir, "documents"), Vault: v}}
}

// payableFines are Marco's fines that can be paid.
func payableFines(t *testing.T, s *payments.Service) []core.FineNotice {
	t.Helper()
	list, err := s.Client.Fines(context.Background(), s.Auth)
	if err != nil {
		t.Fatal(err)
	}
	var out []core.FineNotice
	for _, f := range list.Fines {
		if f.Status == core.FineToPay || f.Status == core.FineOverdue {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatal("the demo gives no payable fine")
	}
	return out
}

// tariNotice is an unpaid TARI instalment of the citizen.
func tariNotice(t *testing.T, s *payments.Service, creditor string) core.NoticeRef {
	t.Helper()
	d, _, _, err := s.Client.Dossier(context.Background(), s.Auth, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range d.TARI {
		for _, in := range p.Instalments {
			if in.PaidOn == nil {
				return core.NoticeRef{NoticeNumber: in.NoticeNumber, CreditorFiscalCode: creditor}
			}
		}
	}
	t.Fatal("no TARI instalment to pay")
	return core.NoticeRef{}
}

func ref(f core.FineNotice) core.NoticeRef {
	return core.NoticeRef{NoticeNumber: f.NoticeNumber, CreditorFiscalCode: f.CreditorFiscalCode}
}

func TestPayAFineOnceWithItsReceipt(t *testing.T) {
	e := device(t, startServer(t), marco)
	s := e.open(t)
	ctx := e.ctx
	fine := payableFines(t, s)[0]

	v, err := s.Verify(ctx, ref(fine))
	if err != nil || v.AmountCents != fine.AmountDueCents || v.Kind != core.NoticeFine {
		t.Fatalf("verify: %+v %v; fine due %d", v, err, fine.AmountDueCents)
	}
	a, err := s.Begin(ctx, []core.NoticeRef{ref(fine)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// Recorded before the outcome, sealed.
	pending, err := s.Pending(ctx)
	if err != nil || len(pending) != 1 || pending[0].CheckoutID == "" || pending[0].Key == "" {
		t.Fatalf("pending %+v %v", pending, err)
	}
	db, _ := os.ReadFile(filepath.Join(e.dataDir, "device.db-wal"))
	db2, _ := os.ReadFile(filepath.Join(e.dataDir, "device.db"))
	if bytes.Contains(append(db, db2...), []byte(fine.NoticeNumber)) {
		t.Fatal("the pending checkout is on the device in clear")
	}
	// While it is pending, the notice is held: another device is told.
	other := device(t, e.srv, fatima).open(t)
	if _, err := other.Verify(ctx, ref(fine)); !errors.Is(err, payments.ErrOngoing) {
		t.Fatalf("verify while held: %v", err)
	}

	if err := payments.CompleteInSandbox(ctx, a.URL, payments.TestCardOK); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := a.Wait(wctx)
	if err != nil || !r.Paid() || r.Outcome != core.OutcomeOK || len(r.Receipts) != 1 {
		t.Fatalf("result %+v %v", r, err)
	}
	pdf, err := s.Documents.Load(r.Receipts[0])
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("receipt on the device: %v", err)
	}
	if pending, _ := s.Pending(ctx); len(pending) != 0 {
		t.Fatalf("still pending: %+v", pending)
	}
	// Never twice.
	if _, err := s.Verify(ctx, ref(fine)); !errors.Is(err, payments.ErrDuplicated) {
		t.Fatalf("verify a paid notice: %v", err)
	}
	if _, err := s.Begin(ctx, []core.NoticeRef{ref(fine)}); !errors.Is(err, payments.ErrDuplicated) {
		t.Fatalf("pay a paid notice: %v", err)
	}
	if pending, _ := s.Pending(ctx); len(pending) != 0 {
		t.Fatalf("a refused checkout stays recorded: %+v", pending)
	}
	if got, err := s.Receipt(ctx, r.Checkout.Payments[0].ID); err != nil || !bytes.Equal(got, pdf) {
		t.Fatalf("receipt again: %v", err)
	}
}

// The app dies after the browser opened the page; the citizen pays; at the
// next start the payment is found, its receipt kept.
func TestResumeAfterTheAppDied(t *testing.T) {
	e := device(t, startServer(t), marco)
	s := e.open(t)
	ctx := e.ctx
	fine := payableFines(t, s)[0]
	a, err := s.Begin(ctx, []core.NoticeRef{ref(fine), tariNotice(t, s, fine.CreditorFiscalCode)})
	if err != nil {
		t.Fatal(err)
	}
	a.Close() // the app is gone: the browser's return finds no one
	if err := payments.CompleteInSandbox(ctx, a.URL, payments.TestCardOK); err == nil {
		t.Fatal("the return reached a closed app")
	}

	again := e.open(t)
	results, err := again.Resume(ctx)
	if err != nil || len(results) != 1 || !results[0].Paid() || len(results[0].Receipts) != 2 {
		t.Fatalf("resume: %+v %v", results, err)
	}
	for _, name := range results[0].Receipts {
		if !again.Documents.Has(name) {
			t.Errorf("receipt %s not kept", name)
		}
	}
	if results, err := again.Resume(ctx); err != nil || len(results) != 0 {
		t.Fatalf("resumed twice: %+v %v", results, err)
	}
}

func TestCancelledAndDeclined(t *testing.T) {
	e := device(t, startServer(t), marco)
	s := e.open(t)
	ctx := e.ctx
	fine := payableFines(t, s)[0]
	for _, tc := range []struct {
		card    string
		status  core.CheckoutStatus
		outcome core.CheckoutOutcome
	}{{"", core.CheckoutCancelled, core.OutcomeCancel}, {payments.TestCardDeclined, core.CheckoutDeclined, core.OutcomeError}} {
		a, err := s.Begin(ctx, []core.NoticeRef{ref(fine)})
		if err != nil {
			t.Fatal(err)
		}
		if err := payments.CompleteInSandbox(ctx, a.URL, tc.card); err != nil {
			t.Fatal(err)
		}
		r, err := a.Wait(ctx)
		a.Close()
		if err != nil || r.Checkout.Status != tc.status || r.Outcome != tc.outcome || r.Paid() {
			t.Fatalf("%q: %+v %v", tc.card, r, err)
		}
		if pending, _ := s.Pending(ctx); len(pending) != 0 {
			t.Fatalf("still pending: %+v", pending)
		}
		// Released: it can be verified (and paid) again.
		if _, err := s.Verify(ctx, ref(fine)); err != nil {
			t.Fatal(err)
		}
	}
}

// Still pending at restart: it stays recorded, and the notice is held.
func TestResumeKeepsAPendingCheckout(t *testing.T) {
	e := device(t, startServer(t), marco)
	s := e.open(t)
	ctx := e.ctx
	a, err := s.Begin(ctx, []core.NoticeRef{ref(payableFines(t, s)[0])})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	results, err := e.open(t).Resume(ctx)
	if err != nil || len(results) != 1 || results[0].Checkout.Status != core.CheckoutPending {
		t.Fatalf("resume: %+v %v", results, err)
	}
	if pending, _ := s.Pending(ctx); len(pending) != 1 {
		t.Fatalf("pending %+v", pending)
	}
}

func TestMalformedNoticesAreRefusedHere(t *testing.T) {
	s := (&env{ctx: context.Background()}).offline(t)
	for _, tc := range []struct {
		ref  core.NoticeRef
		part pagopa.Part
		want error
	}{
		{core.NoticeRef{NoticeNumber: "1234", CreditorFiscalCode: "80099990154"}, pagopa.PartNoticeNumber, pagopa.ErrNoticeLength},
		{core.NoticeRef{NoticeNumber: "3 47 2026 0200 0001 2X", CreditorFiscalCode: "80099990154"}, pagopa.PartNoticeNumber, pagopa.ErrNoticeDigits},
		{core.NoticeRef{NoticeNumber: "347202602000001299", CreditorFiscalCode: "80099990154"}, pagopa.PartNoticeNumber, pagopa.ErrNoticeCheck},
		{core.NoticeRef{NoticeNumber: "947202602000001200", CreditorFiscalCode: "80099990154"}, pagopa.PartNoticeNumber, pagopa.ErrNoticeAux},
		{core.NoticeRef{NoticeNumber: validNotice(t), CreditorFiscalCode: "8009999015"}, pagopa.PartCreditor, pagopa.ErrFiscalCodeLength},
		{core.NoticeRef{NoticeNumber: validNotice(t), CreditorFiscalCode: "80099990155"}, pagopa.PartCreditor, pagopa.ErrFiscalCodeCheck},
	} {
		_, err := s.Verify(context.Background(), tc.ref)
		var pe *pagopa.PayloadError
		if !errors.As(err, &pe) || pe.Part != tc.part || !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v", tc.ref, err)
		}
		if _, err := s.Begin(context.Background(), []core.NoticeRef{tc.ref}); !errors.Is(err, tc.want) {
			t.Errorf("begin %+v: %v", tc.ref, err)
		}
	}
	if _, err := s.Begin(context.Background(), nil); !errors.Is(err, payments.ErrCartSize) {
		t.Errorf("empty cart: %v", err)
	}
}

func validNotice(t *testing.T) string {
	n, err := pagopa.NewNoticeNumber("47", "2026020000001")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// offline is a service whose server is never reached.
func (e *env) offline(t *testing.T) *payments.Service {
	c, err := api.New("http://127.0.0.1:1", api.Options{Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return &payments.Service{Client: c}
}
