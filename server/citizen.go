package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/store"
)

// oauth hands the authorization server's endpoints to package auth.
func (s *Server) oauth(w http.ResponseWriter, r *http.Request) {
	if s.auth == nil {
		notFound(w, r)
		return
	}
	s.auth.Handler().ServeHTTP(w, r)
}

func (s *Server) signedOut(w http.ResponseWriter, r *http.Request) {
	if s.auth == nil {
		notFound(w, r)
		return
	}
	s.auth.SignedOut(w, r)
}

// identityProvider serves the identity provider's pages; with none (a
// server without the test identity provider) they are not there.
func (s *Server) identityProvider(w http.ResponseWriter, r *http.Request) {
	var h http.Handler
	if s.auth != nil {
		h = s.auth.IdentityProviderHandler()
	}
	if h == nil {
		notFound(w, r)
		return
	}
	h.ServeHTTP(w, r)
}

// citizen authenticates the request for a personal endpoint: a bearer access
// token of this server (signature, issuer, audience, expiry) whose session
// is still active, checked on every request. It returns the citizen's fiscal
// code and the session; when ok is false it has answered already: 401 with
// WWW-Authenticate (RFC 6750), or 500 if the database failed.
func (s *Server) citizen(w http.ResponseWriter, r *http.Request) (fiscalCode, sessionID string, ok bool) {
	token, found := bearerToken(r)
	if !found {
		unauthorized(w, r, `Bearer realm="sportello"`, "Sign in: this needs an access token (Authorization: Bearer).")
		return "", "", false
	}
	if s.auth == nil {
		unauthorized(w, r, `Bearer realm="sportello", error="invalid_token"`, "This server does not sign anyone in.")
		return "", "", false
	}
	who, err := s.auth.Verify(r.Context(), token)
	switch {
	case errors.Is(err, auth.ErrSessionEnded):
		s.log.Info("access refused", "path", r.URL.Path, "reason", err)
		unauthorized(w, r, `Bearer realm="sportello", error="invalid_token", error_description="the session has ended"`,
			"The session has ended: sign in again.")
		return "", "", false
	case errors.Is(err, auth.ErrInvalidToken):
		s.log.Info("access refused", "path", r.URL.Path, "reason", err)
		unauthorized(w, r, `Bearer realm="sportello", error="invalid_token"`,
			"The access token is not valid (expired, altered or not from this server): refresh it or sign in again.")
		return "", "", false
	case err != nil:
		s.log.Error("verify access token", "path", r.URL.Path, "err", err)
		internalError(w, r)
		return "", "", false
	}
	return who.FiscalCode, who.SessionID, true
}

// bearerToken reads "Authorization: Bearer <token>" (RFC 6750 section 2.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

func unauthorized(w http.ResponseWriter, r *http.Request, challenge, detail string) {
	w.Header().Set("WWW-Authenticate", challenge)
	problem(w, r, http.StatusUnauthorized, core.ProblemUnauthorized, "Unauthorized", detail)
}

// personal marks an answer as the citizen's own: never shared by caches.
func personal(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "private, no-cache")
	w.Header().Add("Vary", "Authorization")
}

// me is the signed-in citizen's registry record: identity, family and
// relationship, marriage and identity card. It answers for the token's
// subject only: there is no parameter naming anyone else.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	cf, _, ok := s.citizen(w, r)
	if !ok {
		return
	}
	c, err := s.store.CitizenRecord(r.Context(), cf)
	if errors.Is(err, store.ErrNotFound) {
		problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found",
			"The population registry no longer has the signed-in citizen.")
		return
	}
	if s.storeFailed(w, r, err) {
		return
	}
	personal(w)
	respond(w, r, c)
}

// sessionInfo is the answer of GET /api/v1/session.
type sessionInfo struct {
	StartedAt          time.Time `json:"started_at"`
	ExpiresAt          time.Time `json:"expires_at"` // the earlier of the maximum length and the end of the inactivity window, as of now
	IdleTimeoutSeconds int64     `json:"idle_timeout_seconds"`
}

// session tells the app about the token's session, so it can say "your
// session ends in 3 days".
func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	_, sid, ok := s.citizen(w, r)
	if !ok {
		return
	}
	info, err := s.auth.Session(r.Context(), sid)
	if errors.Is(err, auth.ErrSessionEnded) { // ended since citizen() looked
		unauthorized(w, r, `Bearer realm="sportello", error="invalid_token"`, "The session has ended: sign in again.")
		return
	}
	if err != nil {
		s.log.Error("session", "err", err)
		internalError(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	respond(w, r, sessionInfo{StartedAt: info.StartedAt.UTC().Truncate(time.Second),
		ExpiresAt:          info.ExpiresAt.UTC().Truncate(time.Second),
		IdleTimeoutSeconds: int64(info.IdleTimeout / time.Second)})
}
