package server

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/pagopa"
	"github.com/sportello/sportello/server/store"
)

// pagoPA payments in the reference server's sandbox, shaped like the real
// pagoPA Checkout (docs/payments.md): verify a notice, create a checkout
// (a cart of 1 to 5 notices, with an Idempotency-Key), pay it on the
// sandbox page (sandbox.go), read its outcome and download the receipts.

// noticeProblems are the problem types, statuses and titles of the states
// of a notice that cannot be paid.
var noticeProblems = []struct {
	err    error
	typ    string
	status int
	reason string
	title  string
}{
	{store.ErrNoticeUnknown, core.ProblemPaymentUnknownNotice, http.StatusNotFound, "unknown", "Unknown notice"},
	{store.ErrNoticePaid, core.ProblemPaymentDuplicated, http.StatusConflict, "duplicated", "Notice already paid"},
	{store.ErrNoticeOngoing, core.ProblemPaymentOngoing, http.StatusConflict, "ongoing", "Payment in progress"},
	{store.ErrNoticeExpired, core.ProblemPaymentExpired, http.StatusConflict, "expired", "Notice expired"},
	{store.ErrNoticeCancelled, core.ProblemPaymentCancelled, http.StatusConflict, "cancelled", "Notice cancelled"},
}

// noticeProblem answers the state err of the notice named field, and
// reports whether err was such a state.
func noticeProblem(w http.ResponseWriter, r *http.Request, field string, err error) bool {
	for _, p := range noticeProblems {
		if !errors.Is(err, p.err) {
			continue
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(p.status)
		detail := fmt.Sprintf("%s: %s.", field, p.err.Error())
		if p.err == store.ErrNoticeOngoing {
			detail += fmt.Sprintf(" A checkout holds it for up to %d minutes.", int(core.CheckoutTTL.Minutes()))
		}
		_ = json.NewEncoder(w).Encode(core.Problem{Type: p.typ, Title: p.title, Status: p.status, Detail: detail,
			Instance: r.URL.Path, InvalidParams: []core.InvalidParam{{Name: field, Reason: p.reason}}})
		return true
	}
	return false
}

// checkNotice validates and normalizes a notice reference, adding what is
// wrong to bad under prefix ("" or "notices[0].").
func checkNotice(ref *core.NoticeRef, prefix string, bad *certificates.Invalids) {
	ref.NoticeNumber = pagopa.NormalizeNoticeNumber(ref.NoticeNumber)
	ref.CreditorFiscalCode = strings.Join(strings.Fields(ref.CreditorFiscalCode), "")
	add := func(field string, reason string) {
		*bad = append(*bad, certificates.Invalid{Field: prefix + field, Reason: certificates.Reason(reason)})
	}
	if ref.NoticeNumber == "" {
		add("notice_number", core.ReasonRequired)
	} else if err := pagopa.ValidateNoticeNumber(ref.NoticeNumber); err != nil {
		switch {
		case errors.Is(err, pagopa.ErrNoticeDigits):
			add("notice_number", core.ReasonNoticeDigits)
		case errors.Is(err, pagopa.ErrNoticeLength):
			add("notice_number", core.ReasonNoticeLength)
		case errors.Is(err, pagopa.ErrNoticeAux):
			add("notice_number", core.ReasonNoticeAux)
		default:
			add("notice_number", core.ReasonNoticeCheck)
		}
	}
	if ref.CreditorFiscalCode == "" {
		add("creditor_fiscal_code", core.ReasonRequired)
	} else if err := pagopa.ValidateCreditorFiscalCode(ref.CreditorFiscalCode); err != nil {
		switch {
		case errors.Is(err, pagopa.ErrFiscalCodeDigits):
			add("creditor_fiscal_code", core.ReasonCreditorDigits)
		case errors.Is(err, pagopa.ErrFiscalCodeLength):
			add("creditor_fiscal_code", core.ReasonCreditorLength)
		default:
			add("creditor_fiscal_code", core.ReasonCreditorCheck)
		}
	}
}

// verifyNotice says what paying a notice costs now (pagoPA's verify).
func (s *Server) verifyNotice(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.adult(w, r); !ok {
		return
	}
	var ref core.NoticeRef
	if !decodeBody(w, r, &ref, "notice reference") {
		return
	}
	var bad certificates.Invalids
	checkNotice(&ref, "", &bad)
	if len(bad) > 0 {
		invalidRequest(w, r, bad)
		return
	}
	v, err := s.store.VerifyNotice(r.Context(), ref, s.now())
	if noticeProblem(w, r, "notice_number", err) || s.storeFailed(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	respond(w, r, v)
}

// allowedReturnURL: a loopback http URL (127.0.0.1 or [::1], any port) or
// the app's own scheme, never anywhere else: the sandbox is no open
// redirect.
func allowedReturnURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || len(raw) > 2000 {
		return false
	}
	switch u.Scheme {
	case "http":
		h := u.Hostname()
		return (h == "127.0.0.1" || h == "::1") && (u.Port() == "" || validPort(u.Port()))
	case "it.sportello.app":
		return u.Host == "" && u.Opaque == "" && strings.HasPrefix(raw, "it.sportello.app:/")
	}
	return false
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}

// createCheckout creates a checkout of 1 to 5 notices: the Idempotency-Key
// is required; the same key and request answer the first answer again.
func (s *Server) createCheckout(w http.ResponseWriter, r *http.Request) {
	cf, ok := s.adult(w, r)
	if !ok {
		return
	}
	key := r.Header.Get(IdempotencyKeyHeader)
	switch {
	case key == "":
		invalidRequest(w, r, certificates.Invalids{{Field: IdempotencyKeyHeader, Reason: core.ReasonIdempotencyKeyRequired}})
		return
	case !validIdempotencyKey(key) || len(r.Header.Values(IdempotencyKeyHeader)) > 1:
		invalidRequest(w, r, certificates.Invalids{{Field: IdempotencyKeyHeader, Reason: core.ReasonIdempotencyKeyBad}})
		return
	}
	var req core.CheckoutRequest
	if !decodeBody(w, r, &req, "checkout request") {
		return
	}
	var bad certificates.Invalids
	if n := len(req.Notices); n == 0 || n > core.MaxCartNotices {
		bad = append(bad, certificates.Invalid{Field: "notices", Reason: core.ReasonNoticeCount})
	}
	seen := map[core.NoticeRef]bool{}
	for i := range req.Notices {
		prefix := fmt.Sprintf("notices[%d].", i)
		before := len(bad)
		checkNotice(&req.Notices[i], prefix, &bad)
		if len(bad) == before && seen[req.Notices[i]] {
			bad = append(bad, certificates.Invalid{Field: prefix + "notice_number", Reason: core.ReasonNoticeRepeated})
		}
		seen[req.Notices[i]] = true
	}
	for field, u := range map[string]string{"ok": req.ReturnURLs.OK, "cancel": req.ReturnURLs.Cancel, "error": req.ReturnURLs.Error} {
		switch {
		case u == "":
			bad = append(bad, certificates.Invalid{Field: "return_urls." + field, Reason: core.ReasonRequired})
		case !allowedReturnURL(u):
			bad = append(bad, certificates.Invalid{Field: "return_urls." + field, Reason: core.ReasonReturnURLNotAllowed})
		}
	}
	if len(bad) > 0 {
		invalidRequest(w, r, bad)
		return
	}
	normalized, _ := json.Marshal(req)
	hash := sha256.Sum256(normalized)
	now := s.now()
	id := "chk_" + randomToken(16)
	created := core.CheckoutCreated{ID: id, URL: s.baseURL(r) + "/pagopa/checkout/" + id,
		ExpiresAt: now.Add(core.CheckoutTTL).UTC().Truncate(1e9)}
	body, _ := json.Marshal(created)
	earlier, replayed, err := s.store.CreateCheckout(r.Context(), store.NewCheckout{ID: id, Caller: cf, Key: key,
		RequestHash: hash[:], Response: body, CSRF: randomToken(16), Return: req.ReturnURLs, Notices: req.Notices, Now: now})
	var ne *store.NoticeError
	switch {
	case errors.Is(err, store.ErrIdempotencyConflict):
		problem(w, r, http.StatusUnprocessableEntity, core.ProblemIdempotencyKeyReused, "Idempotency key reused",
			"This Idempotency-Key was used for a different request: use a new key for a new checkout.")
		return
	case errors.As(err, &ne):
		noticeProblem(w, r, fmt.Sprintf("notices[%d]", ne.Index), ne.Err)
		return
	case s.storeFailed(w, r, err):
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json")
	if replayed {
		h.Set("Idempotent-Replayed", "true")
		body = earlier
	} else {
		s.log.Info("checkout created", "notices", len(req.Notices))
	}
	var c core.CheckoutCreated
	if json.Unmarshal(body, &c) == nil {
		h.Set("Location", "/api/v1/payments/checkouts/"+c.ID)
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(body)
}

// baseURL is the server's address as the client reached it.
func (s *Server) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// checkout is the status of the caller's own checkout; anyone else's is as
// unknown as one that does not exist.
func (s *Server) checkout(w http.ResponseWriter, r *http.Request) {
	cf, ok := s.adult(w, r)
	if !ok {
		return
	}
	c, err := s.store.Checkout(r.Context(), r.PathValue("id"), s.now())
	if err == nil && c.Caller != cf {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found", "There is no such checkout.")
		return
	}
	if s.storeFailed(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	respond(w, r, c.Checkout)
}

// receipt is the PDF receipt of a payment, for its payer only.
func (s *Server) receipt(w http.ResponseWriter, r *http.Request) {
	cf, ok := s.adult(w, r)
	if !ok {
		return
	}
	payer, p, err := s.store.Payment(r.Context(), r.PathValue("id"))
	if err == nil && payer != cf {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found", "There is no such payment.")
		return
	}
	if s.storeFailed(w, r, err) {
		return
	}
	m, err := s.store.Municipality(r.Context(), "it")
	if s.storeFailed(w, r, err) {
		return
	}
	who, err := s.store.CitizenRecord(r.Context(), payer)
	if errors.Is(err, store.ErrNotFound) {
		subjectGone(w, r)
		return
	}
	if s.storeFailed(w, r, err) {
		return
	}
	pdf, err := receiptPDF(m, who, p)
	if err != nil {
		s.log.Error("receipt", "err", err)
		internalError(w, r)
		return
	}
	personal(w)
	w.Header().Set("Content-Disposition", `attachment; filename="ricevuta-`+p.Receipt+`.pdf"`)
	sendBytes(w, r, "application/pdf", pdf)
}
