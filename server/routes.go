package server

import (
	"net/http"
	"strings"

	"github.com/sportello/sportello/core"
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
