package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/codicefiscale"
	"github.com/sportello/sportello/server/store"
)

// The citizen's dossier (Fascicolo del Cittadino): GET /api/v1/me/dossier
// answers the whole of it, the other GET /api/v1/me/... one part each. Every
// answer is about one subject: the token's citizen, or, with
// ?acting_for=CF, a minor child of their registry family they may act for.

// actingForParam names the person the signed-in citizen acts for.
const actingForParam = "acting_for"

// mayActFor is the delegation rule: the head of a registry family, or the
// head's spouse or civil partner, may act for a minor (under 18 on today)
// of the same family who is the head's child or grandchild.
func mayActFor(actor, other core.Citizen, today core.Date) bool {
	switch actor.Relationship {
	case core.Head, core.Spouse, core.CivilPartner:
	default:
		return false
	}
	if other.FamilyID != actor.FamilyID || other.FamilyID == "" || other.FiscalCode == actor.FiscalCode {
		return false
	}
	if other.Relationship != core.Child && other.Relationship != core.Grandchild {
		return false
	}
	return isMinor(other.BirthDate, today)
}

// isMinor reports whether someone born on birth is under 18 on today.
func isMinor(birth, today core.Date) bool {
	return birth.AddDate(18, 0, 0).After(today.Time)
}

// delegations lists the people of family whom person may act for.
func delegations(person core.Citizen, family []core.FamilyMember, today core.Date) []core.Person {
	out := []core.Person{}
	for _, m := range family {
		other := core.Citizen{FiscalCode: m.FiscalCode, FamilyID: person.FamilyID, Relationship: m.Relationship, BirthDate: m.BirthDate}
		if mayActFor(person, other, today) {
			out = append(out, m.Person)
		}
	}
	return out
}

func (s *Server) today() core.Date { return core.DateOf(s.now()) }

// subject authenticates a request for the dossier and names its subject:
// the token's citizen, or the person of ?acting_for=CF when the citizen
// may act for them. A malformed CF is a 400; anyone they may not act for,
// known to the registry or not, a 403 that tells nothing about them. When
// ok is false it has answered already.
func (s *Server) subject(w http.ResponseWriter, r *http.Request) (fiscalCode string, actingFor, ok bool) {
	_, fiscalCode, actingFor, ok = s.subjectOf(w, r)
	return fiscalCode, actingFor, ok
}

// subjectOf is subject that also names the signed-in citizen, self.
func (s *Server) subjectOf(w http.ResponseWriter, r *http.Request) (self, fiscalCode string, actingFor, ok bool) {
	self, _, ok = s.citizen(w, r)
	if !ok {
		return "", "", false, false
	}
	values, present := r.URL.Query()[actingForParam]
	if !present {
		return self, self, false, true
	}
	if len(values) != 1 || codicefiscale.Validate(values[0]) != nil {
		problem(w, r, http.StatusBadRequest, core.ProblemBadRequest, "Bad request",
			"acting_for must be one valid codice fiscale.")
		return "", "", false, false
	}
	other := codicefiscale.Normalize(values[0])
	allowed, err := s.actsFor(r.Context(), self, other)
	if err != nil {
		s.log.Error("delegation", "path", r.URL.Path, "err", err)
		internalError(w, r)
		return "", "", false, false
	}
	if !allowed {
		s.log.Info("delegation refused", "path", r.URL.Path)
		problem(w, r, http.StatusForbidden, core.ProblemForbidden, "Forbidden",
			"You may act only for the minor children of your registry family.")
		return "", "", false, false
	}
	return self, other, true, true
}

// actsFor reports whether the citizen self may act for other today.
func (s *Server) actsFor(ctx context.Context, self, other string) (bool, error) {
	actor, err := s.store.Citizen(ctx, self)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	minor, err := s.store.Citizen(ctx, other)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return mayActFor(actor, minor, s.today()), nil
}

// subjectGone answers for a subject the registry no longer has.
func subjectGone(w http.ResponseWriter, r *http.Request) {
	problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found",
		"The population registry no longer has this citizen.")
}

// dossierPart serves one part of the subject's dossier, read by load.
func dossierPart[T any](s *Server, load func(st *store.Store, ctx context.Context, fiscalCode string) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cf, _, ok := s.subject(w, r)
		if !ok {
			return
		}
		v, err := load(s.store, r.Context(), cf)
		if errors.Is(err, store.ErrNotFound) {
			subjectGone(w, r)
			return
		}
		if s.storeFailed(w, r, err) {
			return
		}
		personal(w)
		respond(w, r, v)
	}
}

// dossier is the whole dossier of the subject in one answer, the app's
// first screen. Delegations are the signed-in citizen's only: empty when
// acting for someone.
func (s *Server) dossier(w http.ResponseWriter, r *http.Request) {
	cf, actingFor, ok := s.subject(w, r)
	if !ok {
		return
	}
	lang := requestLanguage(r)
	d, err := s.store.DossierAt(r.Context(), cf, lang, s.now())
	if errors.Is(err, store.ErrNotFound) {
		subjectGone(w, r)
		return
	}
	if s.storeFailed(w, r, err) {
		return
	}
	if !actingFor {
		d.Delegations = delegations(d.Person, d.Family, s.today())
	}
	personal(w)
	w.Header().Set("Content-Language", lang) // the appointments' services
	w.Header().Add("Vary", "Accept-Language")
	respond(w, r, d)
}

// idCard is the subject's identity card; 404 when they have none.
func (s *Server) idCard(w http.ResponseWriter, r *http.Request) {
	cf, _, ok := s.subject(w, r)
	if !ok {
		return
	}
	card, err := s.store.IDCard(r.Context(), cf)
	if errors.Is(err, store.ErrNotFound) {
		problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found",
			"The registry records no identity card for this citizen.")
		return
	}
	if s.storeFailed(w, r, err) {
		return
	}
	personal(w)
	respond(w, r, card)
}

// readMessage marks one of the subject's messages read; marking it again
// changes nothing. Someone else's message is as unknown as one that does
// not exist.
func (s *Server) readMessage(w http.ResponseWriter, r *http.Request) {
	cf, _, ok := s.subject(w, r)
	if !ok {
		return
	}
	err := s.store.MarkMessageRead(r.Context(), cf, r.PathValue("id"), s.now())
	if errors.Is(err, store.ErrNotFound) {
		problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found", "There is no such message.")
		return
	}
	if s.storeFailed(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
