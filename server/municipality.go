package server

import (
	"errors"
	"net/http"

	"golang.org/x/text/language"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/store"
)

const logoPath = "/api/v1/municipality/logo"

// languages the server localises to; the first is the fallback.
var languages = language.NewMatcher([]language.Tag{language.Italian, language.English})

// requestLanguage picks "it" or "en" from the request's Accept-Language.
func requestLanguage(r *http.Request) string {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, _ := languages.Match(tags...)
	if i == 1 {
		return "en"
	}
	return "it"
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := s.store.Ping(r.Context()); err != nil {
		s.log.Error("health: database", "err", err)
		problem(w, r, http.StatusServiceUnavailable, core.ProblemUnavailable, "Unavailable", "The database does not answer.")
		return
	}
	respond(w, r, map[string]string{"status": "ok"})
}

func (s *Server) municipality(w http.ResponseWriter, r *http.Request) {
	lang := requestLanguage(r)
	m, err := s.store.Municipality(r.Context(), lang)
	if s.storeFailed(w, r, err) {
		return
	}
	m.LogoURL = logoPath
	w.Header().Set("Content-Language", lang)
	w.Header().Set("Vary", "Accept-Language")
	respond(w, r, m)
}

func (s *Server) municipalityLogo(w http.ResponseWriter, r *http.Request) {
	data, typ, err := s.store.Logo(r.Context())
	if s.storeFailed(w, r, err) {
		return
	}
	if len(data) == 0 {
		notFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	sendBytes(w, r, typ, data)
}

// storeFailed answers for a store error and reports whether there was one.
func (s *Server) storeFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNoMunicipality):
		problem(w, r, http.StatusServiceUnavailable, core.ProblemNotSetUp, "Municipality not set up",
			"This server has no municipality yet: an operator must set it up (or start it with --demo).")
	default:
		s.log.Error("store", "path", r.URL.Path, "err", err)
		internalError(w, r)
	}
	return true
}
