package auth

import (
	"net"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// ClientID is the app's registration: the one client this server knows.
const ClientID = "sportello-app"

// The app's redirect URIs (RFC 8252). The loopback ones are registered without
// a port and match any port (section 7.3); the private-use scheme one is for
// phones (section 7.1) and matches exactly.
const (
	RedirectLoopbackV4 = "http://127.0.0.1/callback"
	RedirectLoopbackV6 = "http://[::1]/callback"
	RedirectPhone      = "it.sportello.app:/oauth2/callback"
)

// Where RP-initiated logout may send the browser back to, on the same terms.
const (
	logoutLoopbackV4 = "http://127.0.0.1/signed-out"
	logoutLoopbackV6 = "http://[::1]/signed-out"
	logoutPhone      = "it.sportello.app:/oauth2/signed-out"
)

// Scopes the client may ask for. offline_access brings a refresh token.
var Scopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeOfflineAccess}

// idTokenLifetime: the ID token is read once, at sign-in.
const idTokenLifetime = 10 * time.Minute

// client is the app's registration as op.Client.
type client struct {
	loginURL func(authRequestID string) string
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string { return ClientID }
func (c *client) RedirectURIs() []string {
	return []string{RedirectLoopbackV4, RedirectLoopbackV6, RedirectPhone}
}
func (c *client) PostLogoutRedirectURIs() []string {
	return []string{logoutLoopbackV4, logoutLoopbackV6, logoutPhone}
}
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeNative }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodNone }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) LoginURL(id string) string            { return c.loginURL(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *client) IDTokenLifetime() time.Duration       { return idTokenLifetime }
func (c *client) DevMode() bool                        { return false }
func (c *client) IsScopeAllowed(scope string) bool     { return slices.Contains(Scopes, scope) }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true } // names in the ID token
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

// redirectAllowed is the strict redirect URI policy, applied on top of the
// library's: the library lets a native client's loopback redirect through on
// any loopback host and scheme (localhost, https), RFC 8252 wants the literal
// loopback IP over plain http with only the port free (sections 7.3 and 8.3).
func redirectAllowed(uri string) bool {
	if uri == RedirectPhone {
		return true
	}
	return loopbackMatches(uri, RedirectLoopbackV4, RedirectLoopbackV6)
}

func postLogoutRedirectAllowed(uri string) bool {
	return uri == logoutPhone || loopbackMatches(uri, logoutLoopbackV4, logoutLoopbackV6)
}

// loopbackMatches reports whether uri is one of the registered loopback URIs
// with a port, or none, added: same scheme, host, path; no user, query or
// fragment.
func loopbackMatches(uri string, registered ...string) bool {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || u.Opaque != "" {
		return false
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return false
		}
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return false
	}
	for _, r := range registered {
		ru, _ := url.Parse(r)
		if ru.Hostname() == host && ru.EscapedPath() == u.EscapedPath() {
			return true
		}
	}
	return false
}
