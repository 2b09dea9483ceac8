package auth

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// IdentityProvider authenticates citizens for the authorization server. The
// authorization endpoint, once it has validated a request, sends the browser
// to LoginURL; the identity provider's own pages, served by Handler,
// authenticate the citizen and report who it is with Authenticator.Complete,
// then send the browser to the URL Complete returns, from where the flow
// goes back to the app.
//
// TestIdP implements it for demonstrations; a SPID/CIE relying party would
// implement it in production (see the package documentation).
type IdentityProvider interface {
	// LoginURL is the page that starts authentication for the pending
	// authorization request authRequestID: a path relative to the issuer
	// ("/idp/login?authRequestID=..."), or an absolute URL.
	LoginURL(authRequestID string) string
	// Handler serves the identity provider's pages; a reports the outcome.
	// The server routes the identity provider's paths to it.
	Handler(a Authenticator) http.Handler
}

// Authenticator is the authorization server as an identity provider sees it.
// Provider implements it.
type Authenticator interface {
	// Pending returns nil when authRequestID is an authorization request
	// waiting for its citizen, ErrUnknownRequest when it is not (never
	// issued, expired, already signed in).
	Pending(ctx context.Context, authRequestID string) error
	// Complete records that the identity provider authenticated who for the
	// pending request authRequestID, and returns the URL to redirect the
	// browser to. It fails with ErrUnknownRequest or ErrUnknownCitizen
	// (nobody with that fiscal code in the registry).
	Complete(ctx context.Context, authRequestID string, who Identity) (redirectURL string, err error)
}

// Identity is what an identity provider asserts about the citizen it
// authenticated.
type Identity struct {
	FiscalCode string    // the codice fiscale, 16 characters (SPID's fiscalNumber without "TINIT-")
	AuthTime   time.Time // when they authenticated; zero for now
	ACR        string    // authentication context class: the SPID level, or ACRTest
	AMR        []string  // authentication methods (RFC 8176), if the provider says
}

// ACRTest marks sign-ins through the test identity provider in the tokens'
// acr claim, so nothing mistakes them for a real identification.
const ACRTest = "urn:sportello:acr:test"

// ACROperator marks access tokens minted by an operator with the command
// line (Provider.IssueAccessToken).
const ACROperator = "urn:sportello:acr:operator"

var (
	// ErrUnknownRequest: no pending authorization request has that ID.
	ErrUnknownRequest = errors.New("no pending sign-in has that ID: it was never started, has expired or is finished")
	// ErrUnknownCitizen: nobody in the registry has that fiscal code.
	ErrUnknownCitizen = errors.New("nobody in the population registry has that fiscal code")
)
