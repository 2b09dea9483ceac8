package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/go-resty/resty/v2"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/core/certificates"
)

// RequestCertificates asks the municipality to issue a certificate (one per
// copy). idempotencyKey identifies this request: sending it again with the
// same key (after a lost answer) returns the same certificates instead of
// issuing new ones. A refused request is a *core.Problem of type
// core.ProblemInvalid whose InvalidParams say which fields and why.
func (c *Client) RequestCertificates(ctx context.Context, auth Authorizer, actingForCF string, req certificates.Request, idempotencyKey string) ([]core.Certificate, error) {
	var out struct {
		Certificates []core.Certificate `json:"certificates"`
	}
	_, err := withToken(ctx, auth, func(token string) (*resty.Response, error) {
		resp, err := c.r.R().SetContext(ctx).
			SetHeader("Authorization", "Bearer "+token).
			SetHeader("Idempotency-Key", idempotencyKey).
			SetHeader("Content-Type", "application/json").
			SetBody(req).
			Post(actingFor("/api/v1/me/certificates", actingForCF))
		if err != nil {
			return resp, transportError(ctx, err)
		}
		if err := statusError(resp); err != nil {
			return resp, err
		}
		if err := json.Unmarshal(resp.Body(), &out); err != nil || len(out.Certificates) == 0 {
			return resp, fmt.Errorf("%w: certificates answer", core.ErrBadResponse)
		}
		return resp, nil
	})
	return out.Certificates, err
}

// CertificatePDF downloads the PDF of an issued certificate.
func (c *Client) CertificatePDF(ctx context.Context, auth Authorizer, actingForCF, serial string) ([]byte, error) {
	resp, err := c.authGet(ctx, auth, actingFor("/api/v1/me/certificates/"+url.PathEscape(serial)+"/pdf", actingForCF), nil,
		map[string]string{"Accept": "application/pdf"})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode() != http.StatusOK || len(resp.Body()) < 5 || string(resp.Body()[:5]) != "%PDF-" {
		return nil, fmt.Errorf("%w: not a PDF", core.ErrBadResponse)
	}
	return resp.Body(), nil
}
