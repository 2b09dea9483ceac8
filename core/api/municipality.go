package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/sportello/sportello/core"
)

// Health checks that the server and its database answer.
func (c *Client) Health(ctx context.Context) error {
	var h struct {
		Status string `json:"status"`
	}
	if _, err := c.get(ctx, "/healthz", &h, nil); err != nil {
		return err
	}
	if h.Status != "ok" {
		return core.ErrBadResponse
	}
	return nil
}

// Municipality fetches the municipality's public description. When etag is
// the ETag of the copy the caller holds and nothing changed, it returns
// notModified and leaves m empty.
func (c *Client) Municipality(ctx context.Context, etag string) (m core.Municipality, newETag string, notModified bool, err error) {
	var header map[string]string
	if etag != "" {
		header = map[string]string{"If-None-Match": etag}
	}
	resp, err := c.get(ctx, "/api/v1/municipality", &m, header)
	if err != nil {
		return m, "", false, err
	}
	if resp.StatusCode() == http.StatusNotModified {
		return m, etag, true, nil
	}
	if m.Name == "" {
		return m, "", false, core.ErrBadResponse
	}
	return m, resp.Header().Get("ETag"), false, nil
}

// Logo fetches the image at the municipality's logo path.
func (c *Client) Logo(ctx context.Context, path string) (data []byte, contentType string, err error) {
	// Only a path on this same server: the app never follows a server's
	// answer to another host.
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return nil, "", core.ErrBadResponse
	}
	resp, err := c.get(ctx, path, nil, map[string]string{"Accept": "image/*"})
	if err != nil {
		return nil, "", err
	}
	return resp.Body(), resp.Header().Get("Content-Type"), nil
}
