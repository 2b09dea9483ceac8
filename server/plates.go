package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
	"github.com/sportello/sportello/core/plate"
	"github.com/sportello/sportello/server/store"
)

// Plates the citizen registers to see their fines (GET/POST
// /api/v1/me/plates, .../{plate}/confirm, DELETE .../{plate}) and the
// detailed list of fines (GET /api/v1/me/fines/notices). Plates belong to
// adults: acting_for is refused. Every call is naturally idempotent (see
// docs/payments.md): registering a registered plate renews it, confirming
// twice confirms, removing a plate that is not there is a 204.

// adult authenticates a plates or fines request: the token's citizen, never
// someone they act for.
func (s *Server) adult(w http.ResponseWriter, r *http.Request) (string, bool) {
	cf, _, ok := s.citizen(w, r)
	if !ok {
		return "", false
	}
	if _, present := r.URL.Query()[actingForParam]; present {
		problem(w, r, http.StatusForbidden, core.ProblemForbidden, "Forbidden",
			"Plates and their fines belong to adults: acting_for does not apply here.")
		return "", false
	}
	return cf, true
}

// decodeBody reads one JSON object into v, answering 400 or 413 when it
// cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, what string) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(new(json.RawMessage)) != io.EOF {
		err = errors.New("data after the JSON object")
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		problem(w, r, http.StatusRequestEntityTooLarge, core.ProblemTooLarge, "Request too large",
			"The request body exceeds the server's limit.")
		return false
	case err != nil:
		problem(w, r, http.StatusBadRequest, core.ProblemBadRequest, "Bad request",
			fmt.Sprintf("The body must be one JSON %s: %v.", what, err))
		return false
	}
	return true
}

// plateReason is the invalid_params reason of a plate core/plate refused.
func plateReason(err error) certificates.Reason {
	switch {
	case errors.Is(err, plate.ErrEmpty):
		return core.ReasonRequired
	case errors.Is(err, plate.ErrLetters):
		return core.ReasonPlateLetters
	}
	return core.ReasonPlateFormat
}

func (s *Server) plates(w http.ResponseWriter, r *http.Request) {
	cf, ok := s.adult(w, r)
	if !ok {
		return
	}
	list, err := s.store.Plates(r.Context(), cf, s.now())
	if s.storeFailed(w, r, err) {
		return
	}
	personal(w)
	respond(w, r, list)
}

func (s *Server) registerPlate(w http.ResponseWriter, r *http.Request) {
	cf, ok := s.adult(w, r)
	if !ok {
		return
	}
	var req core.PlateRegistration
	if !decodeBody(w, r, &req, "plate registration") {
		return
	}
	var bad certificates.Invalids
	p, kind, err := plate.Parse(req.Plate)
	if err != nil {
		bad = append(bad, certificates.Invalid{Field: "plate", Reason: plateReason(err)})
	}
	switch req.Relation {
	case core.PlateOwner:
	case core.PlateUser:
		if !req.Declaration {
			bad = append(bad, certificates.Invalid{Field: "declaration", Reason: core.ReasonDeclarationRequired})
		}
	case "":
		bad = append(bad, certificates.Invalid{Field: "relation", Reason: core.ReasonRequired})
	default:
		bad = append(bad, certificates.Invalid{Field: "relation", Reason: core.ReasonPlateRelation})
	}
	if len(bad) > 0 {
		invalidRequest(w, r, bad)
		return
	}
	reg, created, err := s.store.RegisterPlate(r.Context(), cf, p, core.VehicleType(kind), req.Relation, s.now())
	if errors.Is(err, store.ErrPlateLimit) {
		problem(w, r, http.StatusConflict, core.ProblemPlateLimit, "Too many plates",
			fmt.Sprintf("A citizen may register up to %d plates: remove one first.", core.MaxPlates))
		return
	}
	if s.storeFailed(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", "/api/v1/me/plates/"+p)
	w.Header().Set("Content-Type", "application/json")
	if created {
		w.WriteHeader(http.StatusCreated)
	}
	_ = json.NewEncoder(w).Encode(reg)
}

// platePath reads the {plate} of the path; false when it has answered.
func platePath(w http.ResponseWriter, r *http.Request) (string, bool) {
	p, _, err := plate.Parse(r.PathValue("plate"))
	if err != nil {
		invalidRequest(w, r, certificates.Invalids{{Field: "plate", Reason: plateReason(err)}})
		return "", false
	}
	return p, true
}

func (s *Server) confirmPlate(w http.ResponseWriter, r *http.Request) {
	cf, ok := s.adult(w, r)
	if !ok {
		return
	}
	p, ok := platePath(w, r)
	if !ok {
		return
	}
	reg, err := s.store.ConfirmPlate(r.Context(), cf, p, s.now())
	if errors.Is(err, store.ErrNotFound) {
		problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found", "You have not registered this plate.")
		return
	}
	if s.storeFailed(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	respond(w, r, reg)
}

func (s *Server) removePlate(w http.ResponseWriter, r *http.Request) {
	cf, ok := s.adult(w, r)
	if !ok {
		return
	}
	p, ok := platePath(w, r)
	if !ok {
		return
	}
	_, err := s.store.RemovePlate(r.Context(), cf, p)
	if s.storeFailed(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// fineNotices is the detailed list of the citizen's fines.
func (s *Server) fineNotices(w http.ResponseWriter, r *http.Request) {
	cf, ok := s.adult(w, r)
	if !ok {
		return
	}
	list, err := s.store.FineNotices(r.Context(), cf, s.now())
	if s.storeFailed(w, r, err) {
		return
	}
	personal(w)
	respond(w, r, list)
}
