package server

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/sportello/sportello/core"
)

// middleware wraps every request: recovery from panics (a problem document,
// never a dropped connection), the request-size limit, security headers and
// one structured log line. Bodies and headers are never logged: they may hold
// tokens and personal data.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if !rec.wrote {
					internalError(rec, r)
				}
			}
			level := slog.LevelInfo
			if rec.status >= 500 {
				level = slog.LevelError
			}
			s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "bytes", rec.bytes, "duration", time.Since(start))
		}()
		if r.ContentLength > MaxRequestBody {
			problem(rec, r, http.StatusRequestEntityTooLarge, core.ProblemTooLarge,
				"Request too large", "The request body exceeds the server's limit.")
			return
		}
		// The limit goes on a shallow copy's body. After the handler, net/http
		// inspects the original request's body to decide whether to drain it
		// or close the connection: replacing it there hides its type, and the
		// server then waits for a body nobody reads, even one it never asked
		// for with Expect: 100-continue.
		r = r.WithContext(r.Context())
		r.Body = http.MaxBytesReader(rec, r.Body, MaxRequestBody)
		h := rec.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}
