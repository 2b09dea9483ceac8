package server

import (
	"net/http"
	"strings"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/auth"
)

// route is one operation of the API. The table is the single list of what the
// server answers: the mux is built from it, and a test checks it against the
// OpenAPI document both ways.
type route struct {
	method  string
	path    string // a net/http pattern path: "/api/v1/municipality"
	handler http.HandlerFunc
}

func (s *Server) routeTable() []route {
	return []route{
		{"GET", "/healthz", s.health},
		{"GET", "/api/v1/openapi.json", s.openAPI},
		{"GET", "/api/v1/municipality", s.municipality},
		{"GET", "/api/v1/municipality/logo", s.municipalityLogo},

		// The citizen's own data: a bearer access token of the authorization server.
		{"GET", "/api/v1/me", s.me},
		{"GET", "/api/v1/session", s.session},

		// The OAuth 2.0 / OpenID Connect authorization server (package auth).
		{"GET", auth.PathDiscovery, s.oauth},
		{"GET", auth.PathKeys, s.oauth},
		{"GET", auth.PathAuthorize, s.oauth},
		{"POST", auth.PathAuthorize, s.oauth},
		{"GET", auth.PathAuthorizeCallback, s.oauth},
		{"POST", auth.PathToken, s.oauth},
		{"GET", auth.PathUserinfo, s.oauth},
		{"POST", auth.PathUserinfo, s.oauth},
		{"POST", auth.PathRevoke, s.oauth},
		{"GET", auth.PathEndSession, s.oauth},
		{"POST", auth.PathEndSession, s.oauth},
		{"GET", auth.PathSignedOut, s.signedOut},

		// The test identity provider, when it is on (demo and tests).
		{"GET", auth.PathTestLogin, s.identityProvider},
		{"POST", auth.PathTestLogin, s.identityProvider},
		{"GET", auth.PathTestIdentities, s.identityProvider},
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	methods := map[string][]string{}
	for _, rt := range s.routeTable() {
		mux.HandleFunc(rt.method+" "+rt.path, rt.handler)
		methods[rt.path] = append(methods[rt.path], rt.method)
	}
	// A known path asked with another method gets a problem document instead
	// of net/http's plain-text 405.
	for path, allowed := range methods {
		allow := strings.Join(append(allowed, "HEAD"), ", ")
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			problem(w, r, http.StatusMethodNotAllowed, core.ProblemMethodNotAllowed, "Method not allowed",
				r.Method+" is not allowed here; use "+allow+".")
		})
	}
	mux.HandleFunc("/", notFound)
	return mux
}
