package app

import (
	"context"
	"errors"

	"fyne.io/fyne/v2/lang"

	"github.com/sportello/sportello/core"
)

// errorText turns any error from the core into a sentence for a citizen, in
// their language. Raw Go errors never reach the screen; they go to the log.
func errorText(err error) string {
	var p *core.Problem
	switch {
	case err == nil:
		return ""
	case errors.Is(err, core.ErrBadURL):
		return lang.X("error.bad_url", "This is not a valid server address. Write it as https://servizi.comune.example.")
	case errors.Is(err, core.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return lang.X("error.timeout", "The municipality's server did not answer in time. Try again in a moment.")
	case errors.Is(err, core.ErrUnreachable):
		return lang.X("error.unreachable", "The municipality's server cannot be reached. Check your connection or try again later.")
	case errors.Is(err, core.ErrBadResponse):
		return lang.X("error.bad_response", "The server answered in a way Sportello does not understand: is it a Sportello server?")
	case errors.As(err, &p):
		switch p.Type {
		case core.ProblemNotSetUp:
			return lang.X("error.not_set_up", "This municipality's server is not set up yet.")
		case core.ProblemNotFound:
			return lang.X("error.not_found", "The server does not offer this: it may be a different version of Sportello.")
		case core.ProblemUnavailable:
			return lang.X("error.unavailable", "The municipality's service is temporarily unavailable. Try again later.")
		case core.ProblemSlotTaken:
			return lang.X("error.slot_taken", "This time was just taken by someone else. Choose another one.")
		case core.ProblemSlotUnavailable:
			return lang.X("error.slot_unavailable", "This time cannot be booked: it has passed, is less than 30 minutes away, the office is closed or it is more than 90 days ahead. Choose another one.")
		case core.ProblemAlreadyBooked:
			return lang.X("error.already_booked", "You already have a booking for this service: move it or cancel it before booking another.")
		case core.ProblemAppointmentClosed:
			return lang.X("error.appointment_closed", "This booking can no longer be changed: it was cancelled, released or its time has come.")
		}
		return lang.X("error.server", "The municipality's server could not complete the request (error {{.Status}}).",
			map[string]any{"Status": p.Status})
	}
	return lang.X("error.generic", "Something went wrong. Try again; if it keeps happening, contact your municipality.")
}
