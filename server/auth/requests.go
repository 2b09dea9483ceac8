package auth

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/sportello/sportello/server/store"
)

// authRequest is a stored authorization request as op.AuthRequest. Once its
// code is redeemed, sessionID names the session the tokens belong to.
type authRequest struct {
	store.AuthRequest
	sessionID string
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string          { return a.ID }
func (a *authRequest) GetACR() string         { return a.ACR }
func (a *authRequest) GetAMR() []string       { return a.AMR }
func (a *authRequest) GetAudience() []string  { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.AuthTime }
func (a *authRequest) GetClientID() string    { return a.ClientID }
func (a *authRequest) GetNonce() string       { return a.Nonce }
func (a *authRequest) GetRedirectURI() string { return a.RedirectURI }
func (a *authRequest) GetScopes() []string    { return a.Scopes }
func (a *authRequest) GetState() string       { return a.State }
func (a *authRequest) GetSubject() string     { return a.FiscalCode }
func (a *authRequest) Done() bool             { return a.FiscalCode != "" }
func (a *authRequest) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(a.ResponseType)
}
func (a *authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.ResponseMode)
}
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	// Every stored request has one: CreateAuthRequest refuses the others.
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: oidc.CodeChallengeMethod(a.CodeChallengeMethod)}
}

// refreshRequest is a valid refresh token presented at the token endpoint,
// as op.RefreshTokenRequest.
type refreshRequest struct {
	session   store.Session
	tokenHash string
	scopes    []string // as asked for this refresh: the session's or fewer
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string            { return r.session.AMR }
func (r *refreshRequest) GetAudience() []string       { return []string{r.session.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.session.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.session.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.session.FiscalCode }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// issuedRequest is an access token minted by the operator command, outside
// any flow (Provider.IssueAccessToken).
type issuedRequest struct {
	subject, sessionID string
	scopes             []string
}

var _ op.TokenRequest = (*issuedRequest)(nil)

func (r *issuedRequest) GetSubject() string    { return r.subject }
func (r *issuedRequest) GetAudience() []string { return []string{ClientID} }
func (r *issuedRequest) GetScopes() []string   { return r.scopes }

// sessionOf names the session a token request belongs to, for the sid claim.
func sessionOf(request any) string {
	switch r := request.(type) {
	case *authRequest:
		return r.sessionID
	case *refreshRequest:
		return r.session.ID
	case *issuedRequest:
		return r.sessionID
	}
	return ""
}
