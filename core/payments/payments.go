// Package payments pays pagoPA notices from the app (docs/payments.md): it
// verifies a notice (what it costs now, or why it cannot be paid), starts a
// checkout that the system browser pays on the pagoPA page, waits for the
// browser to come back on a loopback listener, and settles the outcome:
// receipts downloaded and kept sealed on the device (core/documents).
//
// A checkout is written down on the device, sealed with the vault, before
// the server is asked to create it, and struck off only once its outcome is
// known. If the app dies mid-payment, Resume at the next start asks the
// server how each recorded checkout ended: nothing is paid twice (pagoPA and
// the server refuse a paid or held notice) and nothing paid goes unseen.
package payments

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/documents"
	"github.com/sportello/sportello/core/loopback"
	"github.com/sportello/sportello/core/pagopa"
	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
)

// Why a notice cannot be paid: Verify and Begin wrap the server's
// *core.Problem with one of these.
var (
	ErrDuplicated = errors.New("payments: the notice is already paid")
	ErrOngoing    = errors.New("payments: another payment of the notice is under way")
	ErrExpired    = errors.New("payments: the notice can no longer be paid")
	ErrCancelled  = errors.New("payments: the notice was cancelled")
	ErrUnknown    = errors.New("payments: no such notice")
	// ErrCartSize: a checkout pays 1 to core.MaxCartNotices notices.
	ErrCartSize = errors.New("payments: a payment holds 1 to 5 notices")
)

// Service pays notices for the signed-in citizen of one municipality
// (Site), keeping pending checkouts in Store sealed with Vault and receipts
// in Documents.
type Service struct {
	Client    *api.Client
	Auth      api.Authorizer
	Store     *store.Store
	Vault     *vault.Vault
	Site      string
	Documents documents.Folder
	// Now is the clock; nil for time.Now.
	Now func() time.Time
}

// mu serialises the read-modify-write of the pending records.
var mu sync.Mutex

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Normalize strips the spaces a notice number and a fiscal code are
// printed with and checks both (pagoPA's rules): the errors are
// *pagopa.PayloadError naming the part, wrapping pagopa.ErrNotice* or
// pagopa.ErrFiscalCode*.
func Normalize(ref core.NoticeRef) (core.NoticeRef, error) {
	ref.NoticeNumber = pagopa.NormalizeNoticeNumber(ref.NoticeNumber)
	ref.CreditorFiscalCode = strings.Join(strings.Fields(ref.CreditorFiscalCode), "")
	if err := pagopa.ValidateNoticeNumber(ref.NoticeNumber); err != nil {
		return ref, &pagopa.PayloadError{Part: pagopa.PartNoticeNumber, Err: err}
	}
	if err := pagopa.ValidateCreditorFiscalCode(ref.CreditorFiscalCode); err != nil {
		return ref, &pagopa.PayloadError{Part: pagopa.PartCreditor, Err: err}
	}
	return ref, nil
}

// notPayable wraps the server's refusal of a notice with the error that
// names its state.
func notPayable(err error) error {
	var p *core.Problem
	if !errors.As(err, &p) {
		return err
	}
	var state error
	switch p.Type {
	case core.ProblemPaymentDuplicated:
		state = ErrDuplicated
	case core.ProblemPaymentOngoing:
		state = ErrOngoing
	case core.ProblemPaymentExpired:
		state = ErrExpired
	case core.ProblemPaymentCancelled:
		state = ErrCancelled
	case core.ProblemPaymentUnknownNotice:
		state = ErrUnknown
	default:
		return err
	}
	return fmt.Errorf("%w: %w", state, err)
}

// Verify says what paying the notice costs now, or why it cannot be paid
// (ErrDuplicated, ErrOngoing, ErrExpired, ErrCancelled, ErrUnknown; a
// malformed reference is a *pagopa.PayloadError, found before any call).
func (s *Service) Verify(ctx context.Context, ref core.NoticeRef) (core.NoticeVerification, error) {
	ref, err := Normalize(ref)
	if err != nil {
		return core.NoticeVerification{}, err
	}
	v, err := s.Client.VerifyNotice(ctx, s.Auth, ref)
	return v, notPayable(err)
}

// Pending is a checkout the device started and whose outcome it has not
// seen yet.
type Pending struct {
	Key        string           `json:"key"` // the Idempotency-Key of its creation
	Notices    []core.NoticeRef `json:"notices"`
	ReturnURLs core.ReturnURLs  `json:"return_urls"`
	Created    time.Time        `json:"created"`
	// CheckoutID, URL and ExpiresAt: the server's answer, once it came.
	CheckoutID string    `json:"checkout_id,omitempty"`
	URL        string    `json:"url,omitempty"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
}

func (s *Service) key() string { return "payments|pending|" + s.Site }

// Pending lists the checkouts awaiting their outcome.
func (s *Service) Pending(ctx context.Context) ([]Pending, error) {
	var list []Pending
	if _, _, ok, err := s.Store.GetSealed(ctx, s.Vault, s.key(), &list); err != nil || !ok {
		return nil, err
	}
	return list, nil
}

// update rewrites the pending records through f.
func (s *Service) update(ctx context.Context, f func([]Pending) []Pending) error {
	mu.Lock()
	defer mu.Unlock()
	list, err := s.Pending(ctx)
	if err != nil {
		return err
	}
	return s.Store.PutSealed(ctx, s.Vault, s.key(), f(list), "", s.now())
}

func (s *Service) put(ctx context.Context, p Pending) error {
	return s.update(ctx, func(list []Pending) []Pending {
		for i := range list {
			if list[i].Key == p.Key {
				list[i] = p
				return list
			}
		}
		return append(list, p)
	})
}

func (s *Service) drop(ctx context.Context, key string) error {
	return s.update(ctx, func(list []Pending) []Pending {
		out := list[:0]
		for _, p := range list {
			if p.Key != key {
				out = append(out, p)
			}
		}
		return out
	})
}

// Attempt is a checkout under way: open URL in the browser, then Wait.
type Attempt struct {
	URL     string
	Pending Pending

	svc *Service
	rcv *loopback.Receiver
	mu  sync.Mutex
	id  string
}

// Begin starts paying refs (1 to 5 notices): it records the checkout on the
// device, creates it at the server with return URLs on a loopback listener
// and gives the page to open. Close the attempt when done.
func (s *Service) Begin(ctx context.Context, refs []core.NoticeRef) (*Attempt, error) {
	if len(refs) == 0 || len(refs) > core.MaxCartNotices {
		return nil, ErrCartSize
	}
	clean := make([]core.NoticeRef, len(refs))
	for i, r := range refs {
		var err error
		if clean[i], err = Normalize(r); err != nil {
			return nil, err
		}
	}
	a := &Attempt{svc: s}
	rcv, err := loopback.Listen("/payment", a.returned)
	if err != nil {
		return nil, err
	}
	a.rcv = rcv
	back := rcv.URL()
	p := Pending{Key: newKey(), Notices: clean, Created: s.now().UTC(),
		ReturnURLs: core.ReturnURLs{OK: back, Cancel: back, Error: back}}
	// Written down before the server hears of it: if the app dies after the
	// server created the checkout, Resume finds it by its key.
	if err := s.put(ctx, p); err != nil {
		rcv.Close()
		return nil, err
	}
	created, err := s.Client.CreateCheckout(ctx, s.Auth, core.CheckoutRequest{Notices: clean, ReturnURLs: p.ReturnURLs}, p.Key)
	if err != nil {
		rcv.Close()
		if refused(err) {
			// The server answered no: no checkout exists under this key.
			_ = s.drop(ctx, p.Key)
		}
		return nil, notPayable(err)
	}
	p.CheckoutID, p.URL, p.ExpiresAt = created.ID, created.URL, created.ExpiresAt
	if err := s.put(ctx, p); err != nil {
		rcv.Close()
		return nil, err
	}
	a.mu.Lock()
	a.id = created.ID
	a.mu.Unlock()
	a.URL, a.Pending = created.URL, p
	return a, nil
}

// refused reports an answer of the server that created nothing (a 4xx
// problem other than an ended session).
func refused(err error) bool {
	var p *core.Problem
	return errors.As(err, &p) && p.Status >= 400 && p.Status < 500 &&
		p.Status != http.StatusUnauthorized && p.Status != http.StatusTooManyRequests
}

// newKey is a random UUID (version 4), the Idempotency-Key of one checkout.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// returned answers the browser coming back from the pagoPA page.
func (a *Attempt) returned(q url.Values) loopback.Answer {
	a.mu.Lock()
	id := a.id
	a.mu.Unlock()
	if id == "" || q.Get("checkout") != id {
		return loopback.Answer{Status: http.StatusBadRequest,
			Page: loopback.Page("Pagamento sconosciuto", "Unknown payment", "Questa pagina non corrisponde al pagamento in corso.", "This page does not belong to the payment under way.")}
	}
	return loopback.Answer{Done: true,
		Page: loopback.Page("Torna a Sportello", "Go back to Sportello", "Puoi chiudere questa pagina: Sportello mostra l'esito del pagamento.", "You can close this page: Sportello shows the outcome of the payment.")}
}

// Result is how a checkout ended, as far as the server says.
type Result struct {
	// Outcome is the return URL's hint ("" when there was none: Resume,
	// Check); the status is the truth.
	Outcome  core.CheckoutOutcome
	Checkout core.Checkout
	Pending  Pending
	// Receipts are the document names of the receipts kept on the device,
	// one per payment (ReceiptName).
	Receipts []string
}

// Paid reports a paid checkout.
func (r Result) Paid() bool { return r.Checkout.Status == core.CheckoutPaid }

// Wait blocks until the browser comes back to the app (or ctx ends), then
// settles the checkout.
func (a *Attempt) Wait(ctx context.Context) (Result, error) {
	q, err := a.rcv.Wait(ctx)
	if err != nil {
		return Result{Pending: a.Pending}, err
	}
	r, err := a.svc.settle(ctx, a.Pending)
	r.Outcome = core.CheckoutOutcome(q.Get("outcome"))
	return r, err
}

// Check settles the checkout without waiting for the browser (the citizen
// says they are done, or the return did not reach the app).
func (a *Attempt) Check(ctx context.Context) (Result, error) { return a.svc.settle(ctx, a.Pending) }

// Close stops the loopback listener; the record stays until settled.
func (a *Attempt) Close() { a.rcv.Close() }

// ReceiptName is the document name of a payment's receipt.
func ReceiptName(paymentID string) string { return "receipt-" + paymentID }

// settle asks the server how the checkout stands; once it is over the
// record is struck off, after the receipts of a paid one are on the device.
func (s *Service) settle(ctx context.Context, p Pending) (Result, error) {
	r := Result{Pending: p}
	if p.CheckoutID == "" {
		// The creation's answer was lost: asking again with the same key
		// and body gives the same checkout (or creates it, if it never
		// reached the server).
		created, err := s.Client.CreateCheckout(ctx, s.Auth, core.CheckoutRequest{Notices: p.Notices, ReturnURLs: p.ReturnURLs}, p.Key)
		if err != nil {
			if refused(err) {
				_ = s.drop(ctx, p.Key)
			}
			return r, notPayable(err)
		}
		p.CheckoutID, p.URL, p.ExpiresAt = created.ID, created.URL, created.ExpiresAt
		r.Pending = p
		if err := s.put(ctx, p); err != nil {
			return r, err
		}
	}
	c, err := s.Client.Checkout(ctx, s.Auth, p.CheckoutID)
	if err != nil {
		var pr *core.Problem
		if errors.As(err, &pr) && pr.Status == http.StatusNotFound {
			_ = s.drop(ctx, p.Key) // not this citizen's, or gone: nothing to wait for
		}
		return r, err
	}
	r.Checkout = c
	switch c.Status {
	case core.CheckoutPending:
		return r, nil
	case core.CheckoutPaid:
		for _, pay := range c.Payments {
			name := ReceiptName(pay.ID)
			if !s.Documents.Has(name) {
				pdf, err := s.Client.Receipt(ctx, s.Auth, pay.ID)
				if err != nil {
					return r, err
				}
				if err := s.Documents.Save(name, pdf); err != nil {
					return r, err
				}
			}
			r.Receipts = append(r.Receipts, name)
		}
	}
	return r, s.drop(ctx, p.Key)
}

// Resume settles every checkout recorded on the device, for the outcomes
// the app did not see (it closed mid-payment). Checkouts still pending stay
// recorded; the error joins what could not be asked.
func (s *Service) Resume(ctx context.Context) ([]Result, error) {
	list, err := s.Pending(ctx)
	if err != nil {
		return nil, err
	}
	var out []Result
	var errs []error
	for _, p := range list {
		r, err := s.settle(ctx, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

// Receipt gives the receipt of one of the citizen's payments: from the
// device, or downloaded and kept there.
func (s *Service) Receipt(ctx context.Context, paymentID string) ([]byte, error) {
	name := ReceiptName(paymentID)
	if s.Documents.Has(name) {
		return s.Documents.Load(name)
	}
	pdf, err := s.Client.Receipt(ctx, s.Auth, paymentID)
	if err != nil {
		return nil, err
	}
	return pdf, s.Documents.Save(name, pdf)
}
