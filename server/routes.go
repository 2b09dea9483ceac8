package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/auth"
	"github.com/sportello/sportello/server/store"
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

		// Registry certificates: the catalogue and what verifiers of glyphs
		// download (server/certificates.go).
		{"GET", "/api/v1/certificate-types", s.certificateTypes},
		{"GET", "/api/v1/stamp-duty-exemptions", s.stampDutyExemptions},
		{"GET", "/api/v1/trust-list", s.trustList},
		{"GET", "/api/v1/revocations", s.revocations},
		{"GET", "/api/v1/trust-anchor", s.trustAnchor},

		// The citizen's own data: a bearer access token of the authorization server.
		{"GET", "/api/v1/me", s.me},
		{"GET", "/api/v1/session", s.session},

		// The citizen's dossier; each takes ?acting_for=CF (server/dossier.go).
		{"GET", "/api/v1/me/dossier", s.dossier},
		{"GET", "/api/v1/me/residence", dossierPart(s, (*store.Store).Residence)},
		{"GET", "/api/v1/me/family", dossierPart(s, (*store.Store).Family)},
		{"GET", "/api/v1/me/id-card", s.idCard},
		{"GET", "/api/v1/me/tari", dossierPart(s, (*store.Store).TARI)},
		{"GET", "/api/v1/me/vehicles", dossierPart(s, (*store.Store).Vehicles)},
		{"GET", "/api/v1/me/fines", dossierPart(s, (*store.Store).Fines)},
		{"GET", "/api/v1/me/payments", dossierPart(s, (*store.Store).Payments)},
		{"GET", "/api/v1/me/certificates", dossierPart(s, (*store.Store).Certificates)},
		{"POST", "/api/v1/me/certificates", s.issueCertificates},
		{"GET", "/api/v1/me/certificates/{serial}/pdf", s.certificatePDF},
		// Fines by registered plate and pagoPA payments (server/plates.go,
		// server/payments.go, the sandbox page in server/sandbox.go).
		{"GET", "/api/v1/me/plates", s.plates},
		{"POST", "/api/v1/me/plates", s.registerPlate},
		{"POST", "/api/v1/me/plates/{plate}/confirm", s.confirmPlate},
		{"DELETE", "/api/v1/me/plates/{plate}", s.removePlate},
		{"GET", "/api/v1/me/fines/notices", s.fineNotices},
		{"GET", "/api/v1/me/payments/{id}/receipt", s.receipt},
		{"POST", "/api/v1/payments/verify", s.verifyNotice},
		{"POST", "/api/v1/payments/checkouts", s.createCheckout},
		{"GET", "/api/v1/payments/checkouts/{id}", s.checkout},
		{"GET", "/pagopa/checkout/{id}", s.sandboxShow},
		{"POST", "/pagopa/checkout/{id}/pay", sameOrigin(s.sandboxPay)},
		{"POST", "/pagopa/checkout/{id}/cancel", sameOrigin(s.sandboxCancel)},
		// Appointments at the offices (server/appointments.go): the public
		// calendars, then the citizen's own bookings.
		{"GET", "/api/v1/appointment-services", s.appointmentServices},
		{"GET", "/api/v1/offices/{office}/availability", s.availability},
		{"GET", "/api/v1/offices/{office}/slots", s.slots},
		{"GET", "/api/v1/me/appointments", s.myAppointments},
		{"POST", "/api/v1/me/appointments", s.bookAppointment},
		{"GET", "/api/v1/me/appointments/{code}", s.myAppointment},
		{"POST", "/api/v1/me/appointments/{code}/cancel", s.cancelAppointment},
		{"POST", "/api/v1/me/appointments/{code}/reschedule", s.rescheduleAppointment},
		{"POST", "/api/v1/me/appointments/{code}/confirm", s.confirmAppointment},
		{"GET", "/api/v1/me/messages", dossierPart(s, (*store.Store).Messages)},
		{"POST", "/api/v1/me/messages/{id}/read", s.readMessage},

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
		if slices.Contains(allowed, "GET") {
			allowed = append(allowed, "HEAD") // net/http answers HEAD with GET's handler
		}
		allow := strings.Join(allowed, ", ")
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			problem(w, r, http.StatusMethodNotAllowed, core.ProblemMethodNotAllowed, "Method not allowed",
				r.Method+" is not allowed here; use "+allow+".")
		})
	}
	mux.HandleFunc("/", notFound)
	return mux
}
