package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/appointments"
	"github.com/sportello/sportello/server/store"
)

// Appointments at the municipal offices (docs/appointments.md). Public:
// the bookable services, an office's month for a service and the free
// slots of a day, computed here from the offices' hours, the closures and
// the places taken. Signed in: the citizen's bookings, and booking,
// cancelling, moving and re-confirming one, always their own (acting_for
// is refused on writes).

// The invalid_params reasons of a booking.
const (
	reasonInvalidEmail = "invalid_email"
	reasonInvalidPhone = "invalid_phone"
	reasonTooLong      = "too_long"
	reasonUnknown      = "unknown"
)

// problemDoc writes p, an RFC 9457 problem document, for r.
func problemDoc(w http.ResponseWriter, r *http.Request, p core.Problem) {
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// invalidBooking answers 422 with the fields of the request at fault.
func invalidBooking(w http.ResponseWriter, r *http.Request, bad []core.InvalidParam) {
	parts := make([]string, len(bad))
	for i, b := range bad {
		parts[i] = b.Name + ": " + b.Reason
	}
	problemDoc(w, r, core.Problem{Type: core.ProblemInvalid, Title: "Invalid request", Status: http.StatusUnprocessableEntity,
		Detail: "The request breaks the rules: " + strings.Join(parts, "; ") + ".", InvalidParams: bad})
}

// appointmentProblem answers for an error of the store's bookings and
// reports whether there was one.
func (s *Server) appointmentProblem(w http.ResponseWriter, r *http.Request, err error) bool {
	var taken *store.SlotTakenError
	var already *store.AlreadyBookedError
	switch {
	case err == nil:
		return false
	case errors.As(err, &taken):
		problemDoc(w, r, core.Problem{Type: core.ProblemSlotTaken, Title: "Slot taken", Status: http.StatusConflict,
			Detail: "Every place of that time is taken: next_free lists the next free times of this office.", NextFree: taken.NextFree})
	case errors.As(err, &already):
		problemDoc(w, r, core.Problem{Type: core.ProblemAlreadyBooked, Title: "Already booked", Status: http.StatusConflict,
			Detail: "You already have a booking for this service (" + already.Code + "): move or cancel it first.", Code: already.Code})
	case errors.Is(err, store.ErrSlotUnavailable):
		problem(w, r, http.StatusUnprocessableEntity, core.ProblemSlotUnavailable, "Slot unavailable", capitalise(err.Error())+".")
	case errors.Is(err, store.ErrAppointmentClosed):
		problem(w, r, http.StatusConflict, core.ProblemAppointmentClosed, "Appointment closed", capitalise(err.Error())+".")
	case errors.Is(err, store.ErrNotFound):
		problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found", "You have no booking with this code.")
	case errors.Is(err, store.ErrUnknownService):
		invalidBooking(w, r, []core.InvalidParam{{Name: "service", Reason: reasonUnknown}})
	case errors.Is(err, store.ErrNotOffered):
		invalidBooking(w, r, []core.InvalidParam{{Name: "office", Reason: reasonUnknown}})
	default:
		return s.storeFailed(w, r, err)
	}
	return true
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// validPhone: optional; digits with spaces, dots, dashes, slashes or
// brackets between them and an optional leading +, 6 to 15 digits (E.164).
func validPhone(p string) bool {
	if p == "" {
		return true
	}
	digits := 0
	for i, c := range p {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' && i == 0:
		case strings.ContainsRune(" .-/()", c):
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 15 && len(p) <= 30
}

// appointmentServices lists the bookable services, localised.
func (s *Server) appointmentServices(w http.ResponseWriter, r *http.Request) {
	lang := requestLanguage(r)
	list, err := s.store.AppointmentServices(r.Context(), lang)
	if s.storeFailed(w, r, err) {
		return
	}
	localised(w, lang)
	respond(w, r, list)
}

func localised(w http.ResponseWriter, lang string) {
	w.Header().Set("Content-Language", lang)
	w.Header().Set("Vary", "Accept-Language")
}

// offeringProblem answers 404 for an office that does not offer the
// service, or does not exist, and reports whether err was an error.
func (s *Server) offeringProblem(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrUnknownService), errors.Is(err, store.ErrNotOffered):
		problem(w, r, http.StatusNotFound, core.ProblemNotFound, "Not found",
			"This office does not offer this service by appointment (see /api/v1/appointment-services).")
		return true
	}
	return s.storeFailed(w, r, err)
}

// serviceParam is the ?service= every calendar query needs.
func serviceParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	v := r.URL.Query()["service"]
	if len(v) != 1 || v[0] == "" {
		problem(w, r, http.StatusBadRequest, core.ProblemBadRequest, "Bad request", "service must name one bookable service.")
		return "", false
	}
	return v[0], true
}

// availability is an office's month for a service: ?service=ID&month=YYYY-MM
// (default the current month, Europe/Rome).
func (s *Server) availability(w http.ResponseWriter, r *http.Request) {
	service, ok := serviceParam(w, r)
	if !ok {
		return
	}
	now := s.now()
	month := now
	if v, present := r.URL.Query()["month"]; present {
		m, err := time.ParseInLocation("2006-01", strings.Join(v, ","), store.Rome)
		if err != nil || len(v) != 1 || m.Year() < 2000 || m.Year() > 2199 {
			problem(w, r, http.StatusBadRequest, core.ProblemBadRequest, "Bad request", "month must be one month, YYYY-MM.")
			return
		}
		month = m
	}
	lang := requestLanguage(r)
	a, err := s.store.Availability(r.Context(), r.PathValue("office"), service, month, lang, now)
	if s.offeringProblem(w, r, err) {
		return
	}
	localised(w, lang)
	respond(w, r, a)
}

// slots lists the free slots of a day: ?service=ID&date=YYYY-MM-DD.
func (s *Server) slots(w http.ResponseWriter, r *http.Request) {
	service, ok := serviceParam(w, r)
	if !ok {
		return
	}
	v := r.URL.Query()["date"]
	var day core.Date
	var err error
	if len(v) == 1 {
		day, err = core.ParseDate(v[0])
	}
	if len(v) != 1 || err != nil || day.Year() < 2000 || day.Year() > 2199 {
		problem(w, r, http.StatusBadRequest, core.ProblemBadRequest, "Bad request", "date must be one day, YYYY-MM-DD.")
		return
	}
	list, err := s.store.Slots(r.Context(), r.PathValue("office"), service, day, s.now())
	if s.offeringProblem(w, r, err) {
		return
	}
	respond(w, r, list)
}

// booker authenticates a booking write: the token's citizen, never
// someone they act for.
func (s *Server) booker(w http.ResponseWriter, r *http.Request) (string, bool) {
	cf, _, ok := s.citizen(w, r)
	if !ok {
		return "", false
	}
	if _, present := r.URL.Query()[actingForParam]; present {
		problem(w, r, http.StatusForbidden, core.ProblemForbidden, "Forbidden",
			"A booking is always the signed-in citizen's own: acting_for does not apply here.")
		return "", false
	}
	return cf, true
}

// myAppointments lists the subject's bookings, the latest start first.
func (s *Server) myAppointments(w http.ResponseWriter, r *http.Request) {
	cf, _, ok := s.subject(w, r)
	if !ok {
		return
	}
	lang := requestLanguage(r)
	list, err := s.store.AppointmentsAt(r.Context(), cf, lang, s.now())
	if s.storeFailed(w, r, err) {
		return
	}
	personal(w)
	w.Header().Set("Content-Language", lang)
	w.Header().Add("Vary", "Accept-Language")
	respond(w, r, list)
}

// myAppointment is one of the subject's bookings; anyone else's is as
// unknown as one that does not exist.
func (s *Server) myAppointment(w http.ResponseWriter, r *http.Request) {
	cf, _, ok := s.subject(w, r)
	if !ok {
		return
	}
	lang := requestLanguage(r)
	a, err := s.store.Appointment(r.Context(), cf, r.PathValue("code"), lang, s.now())
	if s.appointmentProblem(w, r, err) {
		return
	}
	personal(w)
	w.Header().Set("Content-Language", lang)
	w.Header().Add("Vary", "Accept-Language")
	respond(w, r, a)
}

// bookAppointment books a place for the signed-in citizen.
func (s *Server) bookAppointment(w http.ResponseWriter, r *http.Request) {
	cf, ok := s.booker(w, r)
	if !ok {
		return
	}
	var req core.BookingRequest
	if !decodeBody(w, r, &req, "booking request") {
		return
	}
	req.Details, req.Email, req.Phone = strings.TrimSpace(req.Details), strings.TrimSpace(req.Email), strings.TrimSpace(req.Phone)
	var bad []core.InvalidParam
	if req.Service == "" {
		bad = append(bad, core.InvalidParam{Name: "service", Reason: reasonUnknown})
	}
	if req.Office == "" {
		bad = append(bad, core.InvalidParam{Name: "office", Reason: reasonUnknown})
	}
	if utf8.RuneCountInString(req.Details) > store.MaxDetails {
		bad = append(bad, core.InvalidParam{Name: "details", Reason: reasonTooLong})
	}
	if !appointments.ValidEmail(req.Email) {
		bad = append(bad, core.InvalidParam{Name: "email", Reason: reasonInvalidEmail})
	}
	if !validPhone(req.Phone) {
		bad = append(bad, core.InvalidParam{Name: "phone", Reason: reasonInvalidPhone})
	}
	if len(bad) > 0 {
		invalidBooking(w, r, bad)
		return
	}
	lang := requestLanguage(r)
	a, err := s.store.Book(r.Context(), store.NewBooking{FiscalCode: cf, Service: req.Service, Office: req.Office,
		Start: req.Start, Details: req.Details, Email: req.Email, Phone: req.Phone}, lang, s.now())
	if errors.Is(err, store.ErrNotFound) {
		subjectGone(w, r)
		return
	}
	if s.appointmentProblem(w, r, err) {
		return
	}
	s.log.Info("appointment booked", "service", a.ServiceID, "office", a.OfficeID)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Location", "/api/v1/me/appointments/"+a.Code)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(a)
}

// changeAppointment answers a change of one of the citizen's bookings made
// by change.
func (s *Server) changeAppointment(w http.ResponseWriter, r *http.Request,
	change func(ctx context.Context, cf, code, lang string, now time.Time) (core.Appointment, error)) {
	cf, ok := s.booker(w, r)
	if !ok {
		return
	}
	s.answerChange(w, r, cf, change)
}

func (s *Server) answerChange(w http.ResponseWriter, r *http.Request, cf string,
	change func(ctx context.Context, cf, code, lang string, now time.Time) (core.Appointment, error)) {
	a, err := change(r.Context(), cf, r.PathValue("code"), requestLanguage(r), s.now())
	if s.appointmentProblem(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(a)
}

func (s *Server) cancelAppointment(w http.ResponseWriter, r *http.Request) {
	s.changeAppointment(w, r, s.store.Cancel)
}

func (s *Server) confirmAppointment(w http.ResponseWriter, r *http.Request) {
	s.changeAppointment(w, r, s.store.Confirm)
}

// rescheduleAppointment moves a booking: all or nothing.
func (s *Server) rescheduleAppointment(w http.ResponseWriter, r *http.Request) {
	cf, ok := s.booker(w, r)
	if !ok {
		return
	}
	var req core.RescheduleRequest
	if !decodeBody(w, r, &req, "reschedule request") {
		return
	}
	if req.Office == "" {
		invalidBooking(w, r, []core.InvalidParam{{Name: "office", Reason: reasonUnknown}})
		return
	}
	s.answerChange(w, r, cf, func(ctx context.Context, cf, code, lang string, now time.Time) (core.Appointment, error) {
		return s.store.Reschedule(ctx, cf, code, req.Office, req.Start, lang, now)
	})
}

// SweepAppointments marks, now and then every interval until ctx ends,
// the bookings not re-confirmed in time released (writing their e-mails)
// and those over done. Every booking write does it first too, and reads
// already count a released booking's place free: the sweep keeps the
// outbox timely when nobody books. serve runs it.
func (s *Server) SweepAppointments(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.store.SweepAppointments(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Error("appointments sweep", "err", err)
		} else if n > 0 {
			s.log.Info("appointments released", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
