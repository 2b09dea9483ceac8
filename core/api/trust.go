package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
)

// The public trust data an offline verifier of glyphs syncs (docs/trust.md).
// The client only fetches bytes: core/trust checks them against the pinned
// trust anchor before anything else reads them.

// TrustAnchor is the municipality's trust anchor as PEM, for a verifier
// that pins it on first use.
func (c *Client) TrustAnchor(ctx context.Context) ([]byte, error) {
	return c.signedBytes(ctx, "/api/v1/trust-anchor", "application/x-pem-file")
}

// TrustList is the signed list of the keys that sign glyphs.
func (c *Client) TrustList(ctx context.Context) ([]byte, error) {
	return c.signedBytes(ctx, "/api/v1/trust-list", certificates.MediaType)
}

// RevocationsSince is one chunk of the signed revocation list: the
// revocations after sequence since.
func (c *Client) RevocationsSince(ctx context.Context, since uint64) ([]byte, error) {
	return c.signedBytes(ctx, "/api/v1/revocations?since="+strconv.FormatUint(since, 10), certificates.MediaType)
}

func (c *Client) signedBytes(ctx context.Context, path, accept string) ([]byte, error) {
	resp, err := c.get(ctx, path, nil, map[string]string{"Accept": accept})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode() != http.StatusOK || len(resp.Body()) == 0 {
		return nil, fmt.Errorf("%w: %s answered %d with %d bytes", core.ErrBadResponse, path, resp.StatusCode(), len(resp.Body()))
	}
	return resp.Body(), nil
}
