package api

import (
	"context"
	"net/http"

	"github.com/go-resty/resty/v2"

	"github.com/sportello/sportello/core"
)

// Authorizer hands out the citizen's access token; force asks for a fresh one
// because the server refused the last (expired early, session rotated, server
// restarted with a new issuer).
type Authorizer interface {
	Token(ctx context.Context, force bool) (string, error)
}

// authGet is get with the citizen's bearer token. A 401 gets one retry with a
// freshly refreshed token; a second 401 is the server's last word.
func (c *Client) authGet(ctx context.Context, auth Authorizer, path string, result any, header map[string]string) (*resty.Response, error) {
	for attempt := 0; ; attempt++ {
		token, err := auth.Token(ctx, attempt > 0)
		if err != nil {
			return nil, err
		}
		h := map[string]string{"Authorization": "Bearer " + token}
		for k, v := range header {
			h[k] = v
		}
		resp, err := c.get(ctx, path, result, h)
		if attempt == 0 && resp != nil && resp.StatusCode() == http.StatusUnauthorized {
			continue
		}
		return resp, err
	}
}

// Me fetches the signed-in citizen's identity. With etag set and nothing
// changed, it returns notModified.
func (c *Client) Me(ctx context.Context, auth Authorizer, etag string) (me core.Citizen, newETag string, notModified bool, err error) {
	var header map[string]string
	if etag != "" {
		header = map[string]string{"If-None-Match": etag}
	}
	resp, err := c.authGet(ctx, auth, "/api/v1/me", &me, header)
	if err != nil {
		return me, "", false, err
	}
	if resp.StatusCode() == http.StatusNotModified {
		return me, etag, true, nil
	}
	if me.FiscalCode == "" {
		return me, "", false, core.ErrBadResponse
	}
	return me, resp.Header().Get("ETag"), false, nil
}

// Session fetches when the signed-in session began and when it will end.
func (c *Client) Session(ctx context.Context, auth Authorizer) (core.SessionInfo, error) {
	var s core.SessionInfo
	_, err := c.authGet(ctx, auth, "/api/v1/session", &s, nil)
	if err == nil && s.ExpiresAt.IsZero() {
		err = core.ErrBadResponse
	}
	return s, err
}
