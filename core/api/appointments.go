package api

import (
	"context"
	"fmt"
	"net/url"

	"github.com/sportello/sportello/core"
)

// Appointments at municipal offices (docs/appointments.md). The services,
// free days and slots are public and localised with the client's language;
// bookings are the signed-in citizen's own. Errors the app translates are
// *core.Problem of the types core.ProblemSlotTaken (NextFree carries the
// next free slots), ProblemSlotUnavailable, ProblemAlreadyBooked (Code names
// the booking the citizen has), ProblemAppointmentClosed and ProblemInvalid.
//
// Booking, cancelling and moving are sent once: none is idempotent at the
// server (a repeated cancel answers appointment-closed, a repeated booking
// already-booked), so after a lost answer the caller reads the bookings
// again instead. A confirmation is: confirming again keeps the first.

// AppointmentServices lists the services booked at an office counter.
func (c *Client) AppointmentServices(ctx context.Context) ([]core.BookableService, error) {
	var out []core.BookableService
	_, err := c.get(ctx, "/api/v1/appointment-services", &out, nil)
	if err == nil && out == nil {
		err = fmt.Errorf("%w: appointment services", core.ErrBadResponse)
	}
	return out, err
}

// Availability gives every day of month ("2026-12") at office for service:
// the places left, closures, and the first free slot.
func (c *Client) Availability(ctx context.Context, office, service string, month string) (core.MonthAvailability, error) {
	var out core.MonthAvailability
	q := url.Values{"service": {service}, "month": {month}}
	_, err := c.get(ctx, "/api/v1/offices/"+url.PathEscape(office)+"/availability?"+q.Encode(), &out, nil)
	if err == nil && (out.Month != month || len(out.Days) == 0) {
		err = fmt.Errorf("%w: availability", core.ErrBadResponse)
	}
	return out, err
}

// Slots lists the free times of day at office for service, from now on.
func (c *Client) Slots(ctx context.Context, office, service string, day core.Date) ([]core.Slot, error) {
	var out []core.Slot
	q := url.Values{"service": {service}, "date": {day.String()}}
	_, err := c.get(ctx, "/api/v1/offices/"+url.PathEscape(office)+"/slots?"+q.Encode(), &out, nil)
	if err == nil && out == nil {
		err = fmt.Errorf("%w: slots", core.ErrBadResponse)
	}
	return out, err
}

// Appointments lists the citizen's bookings, latest start first, whatever
// their status.
func (c *Client) Appointments(ctx context.Context, auth Authorizer) ([]core.Appointment, error) {
	var out []core.Appointment
	_, err := c.authGet(ctx, auth, "/api/v1/me/appointments", &out, nil)
	if err == nil && out == nil {
		err = fmt.Errorf("%w: appointments", core.ErrBadResponse)
	}
	return out, err
}

// Appointment fetches one of the citizen's bookings by its code.
func (c *Client) Appointment(ctx context.Context, auth Authorizer, code string) (core.Appointment, error) {
	var out core.Appointment
	_, err := c.authGet(ctx, auth, appointmentPath(code, ""), &out, nil)
	return out, checkAppointment(out, err)
}

// Book books an appointment for the citizen.
func (c *Client) Book(ctx context.Context, auth Authorizer, req core.BookingRequest) (core.Appointment, error) {
	var out core.Appointment
	_, err := c.postRetrying(ctx, auth, "/api/v1/me/appointments", req, "", false, &out)
	return out, checkAppointment(out, err)
}

// CancelAppointment cancels a booking; the place goes back to others.
func (c *Client) CancelAppointment(ctx context.Context, auth Authorizer, code string) (core.Appointment, error) {
	var out core.Appointment
	_, err := c.postRetrying(ctx, auth, appointmentPath(code, "/cancel"), nil, "", false, &out)
	return out, checkAppointment(out, err)
}

// Reschedule moves a booking, keeping its code; refused, it stays where it
// was.
func (c *Client) Reschedule(ctx context.Context, auth Authorizer, code string, req core.RescheduleRequest) (core.Appointment, error) {
	var out core.Appointment
	_, err := c.postRetrying(ctx, auth, appointmentPath(code, "/reschedule"), req, "", false, &out)
	return out, checkAppointment(out, err)
}

// ConfirmAppointment re-confirms a booking before its ConfirmBy deadline.
func (c *Client) ConfirmAppointment(ctx context.Context, auth Authorizer, code string) (core.Appointment, error) {
	var out core.Appointment
	_, err := c.postRetrying(ctx, auth, appointmentPath(code, "/confirm"), nil, "", true, &out)
	return out, checkAppointment(out, err)
}

func appointmentPath(code, action string) string {
	return "/api/v1/me/appointments/" + url.PathEscape(code) + action
}

func checkAppointment(a core.Appointment, err error) error {
	if err == nil && (a.Code == "" || a.Start.IsZero()) {
		return fmt.Errorf("%w: appointment", core.ErrBadResponse)
	}
	return err
}
