package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/go-resty/resty/v2"

	"github.com/sportello/sportello/core"
)

// Authorizer hands out the citizen's access token; force asks for a fresh one
// because the server refused the last (expired early, session rotated, server
// restarted with a new issuer).
type Authorizer interface {
	Token(ctx context.Context, force bool) (string, error)
}

// withToken runs send with the citizen's access token. A 401 gets one retry
// with a freshly refreshed token; a second 401 is the server's last word.
func withToken(ctx context.Context, auth Authorizer, send func(token string) (*resty.Response, error)) (*resty.Response, error) {
	for attempt := 0; ; attempt++ {
		token, err := auth.Token(ctx, attempt > 0)
		if err != nil {
			return nil, err
		}
		resp, err := send(token)
		if attempt == 0 && resp != nil && resp.StatusCode() == http.StatusUnauthorized {
			continue
		}
		return resp, err
	}
}

// authGet is get with the citizen's bearer token.
func (c *Client) authGet(ctx context.Context, auth Authorizer, path string, result any, header map[string]string) (*resty.Response, error) {
	return withToken(ctx, auth, func(token string) (*resty.Response, error) {
		h := map[string]string{"Authorization": "Bearer " + token}
		for k, v := range header {
			h[k] = v
		}
		return c.get(ctx, path, result, h)
	})
}

// authDo sends a request without a body with the citizen's bearer token.
func (c *Client) authDo(ctx context.Context, auth Authorizer, method, path string) (*resty.Response, error) {
	return withToken(ctx, auth, func(token string) (*resty.Response, error) {
		resp, err := c.r.R().SetContext(ctx).SetHeader("Authorization", "Bearer "+token).Execute(method, path)
		if err != nil {
			return resp, transportError(ctx, err)
		}
		return resp, statusError(resp)
	})
}

// actingFor adds the delegation parameter to path when set.
func actingFor(path, fiscalCode string) string {
	if fiscalCode == "" {
		return path
	}
	return path + "?acting_for=" + url.QueryEscape(fiscalCode)
}

// Dossier fetches the whole dossier of the signed-in citizen, or of the minor
// they act for (actingFor, a fiscal code; "" for themself). With etag set and
// nothing changed, it returns notModified.
func (c *Client) Dossier(ctx context.Context, auth Authorizer, actingForCF, etag string) (d core.Dossier, newETag string, notModified bool, err error) {
	var header map[string]string
	if etag != "" {
		header = map[string]string{"If-None-Match": etag}
	}
	resp, err := c.authGet(ctx, auth, actingFor("/api/v1/me/dossier", actingForCF), &d, header)
	if err != nil {
		return d, "", false, err
	}
	if resp.StatusCode() == http.StatusNotModified {
		return d, etag, true, nil
	}
	if d.Person.FiscalCode == "" {
		return d, "", false, core.ErrBadResponse
	}
	return d, resp.Header().Get("ETag"), false, nil
}

// MarkMessageRead marks a message of the dossier as read (idempotent at the
// server).
func (c *Client) MarkMessageRead(ctx context.Context, auth Authorizer, actingForCF, id string) error {
	path := actingFor("/api/v1/me/messages/"+url.PathEscape(id)+"/read", actingForCF)
	_, err := c.authDo(ctx, auth, http.MethodPost, path)
	return err
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
