package server

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes the whole API; TestOpenAPIMatchesRoutes keeps it
// honest against routeTable.
//
//go:embed openapi.json
var openAPIDocument []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	sendBytes(w, r, "application/json", openAPIDocument)
}
