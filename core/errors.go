package core

import (
	"errors"
	"fmt"
)

// Errors of the conversation with a municipality's server that are not the
// server's own answer. The app maps each to a translated message.
var (
	ErrUnreachable = errors.New("the municipality's server cannot be reached")
	ErrTimeout     = errors.New("the municipality's server did not answer in time")
	ErrBadURL      = errors.New("not a valid server address")
	ErrBadResponse = errors.New("the server's answer could not be understood")
)

// Problem is an error answer of the API, an RFC 9457 problem document
// (application/problem+json). Type is stable and machine-readable: clients
// decide on Type, never on Title or Detail, which are for people.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// InvalidParams says, for a ProblemInvalid, which fields of the request
	// break which rule; the app translates each Reason.
	InvalidParams []InvalidParam `json:"invalid_params,omitempty"`
	// NextFree are, for a ProblemSlotTaken, the next free slots of the
	// same office and service.
	NextFree []Slot `json:"next_free,omitempty"`
	// Code names, for a ProblemAlreadyBooked, the booking the citizen
	// already has.
	Code string `json:"code,omitempty"`
}

// InvalidParam is one field of a request and the rule it breaks: Name is
// the field's path in the request ("type", "stamp_duty.marcas[0].id") and
// Reason a stable code ("marca_reused"); see core/certificates.
type InvalidParam struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("%s (%d): %s", p.Title, p.Status, p.Detail)
	}
	return fmt.Sprintf("%s (%d)", p.Title, p.Status)
}

// The stable problem types of the Sportello API.
const (
	ProblemBadRequest       = "urn:sportello:problem:bad-request"
	ProblemNotFound         = "urn:sportello:problem:not-found"
	ProblemMethodNotAllowed = "urn:sportello:problem:method-not-allowed"
	ProblemTooLarge         = "urn:sportello:problem:request-too-large"
	ProblemNotSetUp         = "urn:sportello:problem:municipality-not-set-up"
	ProblemUnavailable      = "urn:sportello:problem:unavailable"
	ProblemInternal         = "urn:sportello:problem:internal"
	// ProblemUnauthorized: the request carries no valid access token (missing,
	// malformed, expired, or its session has ended); sign in again.
	ProblemUnauthorized = "urn:sportello:problem:unauthorized"
	// ProblemForbidden: the citizen is signed in but may not do this.
	ProblemForbidden = "urn:sportello:problem:forbidden"
	// ProblemInvalid: the request is well formed but breaks the rules of
	// the operation; InvalidParams says which fields and why.
	ProblemInvalid = "urn:sportello:problem:invalid"
	// ProblemIdempotencyKeyReused: the Idempotency-Key was already used for
	// a different request; use a new key for a new request.
	ProblemIdempotencyKeyReused = "urn:sportello:problem:idempotency-key-reused"
)

// IsProblem reports whether err is, or wraps, a Problem of the given type.
func IsProblem(err error, problemType string) bool {
	var p *Problem
	return errors.As(err, &p) && p.Type == problemType
}
