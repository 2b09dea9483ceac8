// Package auth is the municipality backend's OAuth 2.0 / OpenID Connect
// authorization server: citizens sign in here, and the app, a public native
// client (RFC 8252), gets tokens for the personal endpoints of the API.
//
// # Why the zitadel op package
//
// The protocol is not hand-written. The endpoints (discovery, JWKS,
// authorize, token, userinfo, revocation, end_session), their parameter
// parsing, error responses, PKCE verification and token signing are those of
// the op package of github.com/zitadel/oidc/v3, a maintained and
// OpenID-certified provider library. This package implements its Storage
// over the server's SQLite database (package server/store, migration
// 0002_auth.sql) and adds the policy the library leaves to its users:
//
//   - one registered client, "sportello-app": public (no secret, auth method
//     none), authorization code with PKCE S256 only (plain and missing
//     challenges are refused), refresh tokens, scopes openid, profile and
//     offline_access;
//   - redirect URIs per RFC 8252: the loopback http://127.0.0.1/callback or
//     http://[::1]/callback with any port (section 7.3), and the private-use
//     scheme it.sportello.app:/oauth2/callback (section 7.1); nothing else,
//     not even "localhost";
//   - access tokens are ES256 JWTs for 10 minutes (audience sportello-app,
//     private claim sid naming the session); ID tokens carry the citizen's
//     name; refresh tokens are opaque, stored as SHA-256 hashes and rotated on
//     every use, and presenting a used one revokes the whole session
//     (OAuth 2.0 Security BCP, refresh token rotation);
//   - sessions end when revoked, 12 months after sign-in at the latest, or
//     after 90 days without a refresh (Config.SessionMax, SessionIdle);
//   - the signing key lives in a PEM file next to the database, mode 0600
//     (see LoadOrCreateKey), never in the database.
//
// The API checks access tokens with Provider.Verify: signature, issuer,
// audience, expiry, and then the session, on every request, so that revoking
// a session takes effect at once rather than when its access tokens expire.
//
// # Identity providers
//
// The authorization server does not authenticate anyone itself: an
// IdentityProvider does, behind it. The authorization endpoint sends the
// browser to IdentityProvider.LoginURL; the identity provider's pages
// (IdentityProvider.Handler) authenticate the citizen and report the result
// with Authenticator.Complete, which answers with the URL to send the browser
// back to; from there the library finishes the flow to the app's redirect URI.
//
// TestIdP is the one implementation today: like AgID's SPID demo identity
// provider, it lists test identities (the adult citizens of the demo
// registry) and signs in whichever one is picked. It is for demonstrations
// and tests only.
//
// A real deployment puts a SPID/CIE relying party behind the same interface
// (documented here, not built): LoginURL is its "Entra con SPID" page with the
// list of accredited identity providers (and the CIE button); picking one
// sends a signed SAML AuthnRequest (SPID, SpidL2 or above) or starts the
// CIE OpenID Connect flow, carrying the auth request ID in RelayState or
// state; its assertion consumer service verifies the response (signature
// against the federation metadata, audience, InResponseTo, validity window,
// replay), reads the fiscalNumber attribute ("TINIT-" followed by the codice
// fiscale) and calls Complete with Identity{FiscalCode, ACR: the SPID level,
// AMR}. Its metadata, its ACS and SLO endpoints are its own routes, added to
// the server's route table next to the test identity provider's.
package auth
