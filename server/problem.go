package server

import (
	"encoding/json"
	"net/http"

	"github.com/sportello/sportello/core"
)

// problem writes an RFC 9457 problem document.
func problem(w http.ResponseWriter, r *http.Request, status int, typ, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(core.Problem{Type: typ, Title: title, Status: status, Detail: detail, Instance: r.URL.Path})
}

func notFound(w http.ResponseWriter, r *http.Request) {
	problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found", "There is nothing at "+r.URL.Path+".")
}

func internalError(w http.ResponseWriter, r *http.Request) {
	problem(w, r, http.StatusInternalServerError, core.ProblemInternal, "Internal error",
		"The server could not answer; the error has been logged.")
}
