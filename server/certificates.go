package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/server/certs"
	"github.com/sportello/sportello/server/store"
)

// Registry certificates: the public catalogue and the trust lists, issuing
// (POST /api/v1/me/certificates) and the download of the PDF. The rules
// are core/certificates', the issuing server/certs'.

// certificateTypes is the catalogue in the caller's language.
func (s *Server) certificateTypes(w http.ResponseWriter, r *http.Request) {
	lang := requestLanguage(r)
	w.Header().Set("Content-Language", lang)
	w.Header().Set("Vary", "Accept-Language")
	respond(w, r, certificates.TypeInfos(lang))
}

// stampDutyExemptions are the exempt uses in the caller's language.
func (s *Server) stampDutyExemptions(w http.ResponseWriter, r *http.Request) {
	lang := requestLanguage(r)
	w.Header().Set("Content-Language", lang)
	w.Header().Set("Vary", "Accept-Language")
	respond(w, r, certificates.ExemptionInfos(lang))
}

// IdempotencyKeyHeader makes a request for certificates safe to repeat
// (draft-ietf-httpapi-idempotency-key-header).
const IdempotencyKeyHeader = "Idempotency-Key"

// validIdempotencyKey: 1 to 255 printable ASCII characters (a space
// included, for keys in quotes).
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// invalidRequest answers 400 with the fields at fault.
func invalidRequest(w http.ResponseWriter, r *http.Request, bad certificates.Invalids) {
	parts := make([]string, len(bad))
	for i, b := range bad {
		parts[i] = b.Field + ": " + string(b.Reason)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(core.Problem{Type: core.ProblemInvalid, Title: "Invalid request",
		Status: http.StatusBadRequest, Detail: "The request breaks the rules: " + strings.Join(parts, "; ") + ".",
		Instance: r.URL.Path, InvalidParams: bad.Params()})
}

// issueCertificates issues certificates to the subject (the signed-in
// citizen, or the minor they act for), one per copy, all or none. With an
// Idempotency-Key, repeating the request gives the first answer again.
func (s *Server) issueCertificates(w http.ResponseWriter, r *http.Request) {
	self, holder, _, ok := s.subjectOf(w, r)
	if !ok {
		return
	}
	if s.certs == nil {
		notFound(w, r)
		return
	}
	// An empty key is no key.
	key := r.Header.Get(IdempotencyKeyHeader)
	if key != "" && (!validIdempotencyKey(key) || len(r.Header.Values(IdempotencyKeyHeader)) > 1) {
		invalidRequest(w, r, certificates.Invalids{{Field: IdempotencyKeyHeader, Reason: certificates.ReasonIdempotencyKeyMalformed}})
		return
	}
	var req certificates.Request
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil && dec.Decode(new(json.RawMessage)) != io.EOF {
		err = errors.New("data after the JSON object")
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		problem(w, r, http.StatusRequestEntityTooLarge, core.ProblemTooLarge, "Request too large",
			"The request body exceeds the server's limit.")
		return
	case err != nil:
		problem(w, r, http.StatusBadRequest, core.ProblemBadRequest, "Bad request",
			fmt.Sprintf("The body must be one JSON certificate request: %v.", err))
		return
	}

	res, err := s.certs.Issue(r.Context(), certs.IssueInput{Caller: self, Holder: holder, Request: req, IdempotencyKey: key})
	var bad certificates.Invalids
	switch {
	case errors.As(err, &bad):
		s.log.Info("certificate request refused", "reasons", bad.Error())
		invalidRequest(w, r, bad)
		return
	case errors.Is(err, certs.ErrIdempotencyConflict):
		problem(w, r, http.StatusConflict, core.ProblemIdempotencyKeyReused, "Idempotency key reused",
			"This Idempotency-Key was used for a different request: use a new key for a new request.")
		return
	case errors.Is(err, certs.ErrHolderNotFound):
		subjectGone(w, r)
		return
	case s.storeFailed(w, r, err):
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json")
	if res.Replayed {
		h.Set("Idempotent-Replayed", "true")
	} else {
		s.log.Info("certificates issued", "type", req.Type, "copies", len(res.Certificates))
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(res.Body)
}

// certificatePDF is a certificate's PDF, for its holder or a parent who
// acts for the holder. Anyone else's certificate is as unknown as one that
// does not exist.
func (s *Server) certificatePDF(w http.ResponseWriter, r *http.Request) {
	cf, actingFor, ok := s.subject(w, r)
	if !ok {
		return
	}
	serial := r.PathValue("serial")
	holder, pdf, err := s.store.CertificatePDF(r.Context(), serial)
	if err == nil && holder != cf {
		allowed := false
		if !actingFor {
			allowed, err = s.actsFor(r.Context(), cf, holder)
		}
		if err == nil && !allowed {
			err = store.ErrNotFound
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found", "There is no such certificate.")
		return
	}
	if s.storeFailed(w, r, err) {
		return
	}
	personal(w)
	w.Header().Set("Content-Disposition", `attachment; filename="certificato-`+serial+`.pdf"`)
	sendBytes(w, r, "application/pdf", pdf)
}

// trustList is the signed list of the keys that sign glyphs.
func (s *Server) trustList(w http.ResponseWriter, r *http.Request) {
	s.signedList(w, r, (*certs.Service).TrustList)
}

// revocations is the signed list of revoked certificates; with ?since=N,
// one chunk of an incremental sync.
func (s *Server) revocations(w http.ResponseWriter, r *http.Request) {
	raw, incremental := r.URL.Query()["since"]
	if !incremental {
		s.signedList(w, r, (*certs.Service).Revocations)
		return
	}
	since, err := strconv.ParseUint(raw[0], 10, 64)
	if err != nil || len(raw) != 1 {
		invalidRequest(w, r, certificates.Invalids{{Field: "since", Reason: "since_malformed"}})
		return
	}
	s.signedList(w, r, func(c *certs.Service, ctx context.Context) ([]byte, error) { return c.RevocationsSince(ctx, since) })
}

// trustAnchor is the trust anchor's public key (PEM): verifiers pin it on
// their first sync unless the operator handed it to them.
func (s *Server) trustAnchor(w http.ResponseWriter, r *http.Request) {
	if s.certs == nil {
		notFound(w, r)
		return
	}
	body, err := s.certs.TrustAnchorPEM()
	if s.storeFailed(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	sendBytes(w, r, "application/x-pem-file", body)
}

func (s *Server) signedList(w http.ResponseWriter, r *http.Request, list func(*certs.Service, context.Context) ([]byte, error)) {
	if s.certs == nil {
		notFound(w, r)
		return
	}
	body, err := list(s.certs, r.Context())
	if s.storeFailed(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	sendBytes(w, r, certificates.MediaType, body)
}
