package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// respond writes v as JSON with a strong ETag over the body, and answers 304
// Not Modified when the client already holds that version: the app refreshes
// its cache with conditional requests.
func respond(w http.ResponseWriter, r *http.Request, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		internalError(w, r)
		return
	}
	sendBytes(w, r, "application/json", body)
}

// sendBytes writes body with content type typ, an ETag and conditional GET.
func sendBytes(w http.ResponseWriter, r *http.Request, typ string, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache") // may be stored, must be revalidated
	}
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", typ)
	_, _ = w.Write(body)
}

func etagMatches(ifNoneMatch, etag string) bool {
	for _, candidate := range strings.Split(ifNoneMatch, ",") {
		c := strings.TrimSpace(candidate)
		if c == "*" || strings.TrimPrefix(c, "W/") == etag {
			return true
		}
	}
	return false
}
