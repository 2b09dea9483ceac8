package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/sportello/sportello/core"
)

// pagoPA payments (docs/payments.md): verify a notice, create a checkout
// (the cart the browser pays on the returned URL), read its outcome and
// download receipts. Errors the app translates are *core.Problem of the
// types core.ProblemPayment*, core.ProblemIdempotencyKeyReused and
// core.ProblemInvalid (InvalidParams name the fields).

// postRetrying posts body as JSON to path with the citizen's token. The
// client's retry policy retries idempotent methods only; a POST is repeated
// here when it is safe: it carries an Idempotency-Key (the server answers
// the first answer again), or the operation is naturally idempotent
// (retrySafe). It is repeated on transport failures and on 429, 502, 503
// and 504, with the client's retry count and backoff.
func (c *Client) postRetrying(ctx context.Context, auth Authorizer, path string, body any, idempotencyKey string, retrySafe bool, result any) (*resty.Response, error) {
	attempts := 1
	if idempotencyKey != "" || retrySafe {
		attempts += c.r.RetryCount
	}
	wait := c.r.RetryWaitTime
	if wait <= 0 {
		wait = 200 * time.Millisecond
	}
	for attempt := 1; ; attempt++ {
		resp, err := withToken(ctx, auth, func(token string) (*resty.Response, error) {
			req := c.r.R().SetContext(ctx).
				SetHeader("Authorization", "Bearer "+token).
				SetHeader("Content-Type", "application/json").
				SetBody(body)
			if idempotencyKey != "" {
				req.SetHeader("Idempotency-Key", idempotencyKey)
			}
			resp, err := req.Post(path)
			if err != nil {
				return resp, transportError(ctx, err)
			}
			return resp, statusError(resp)
		})
		if err == nil {
			if result != nil {
				if jerr := json.Unmarshal(resp.Body(), result); jerr != nil {
					return resp, fmt.Errorf("%w: %v", core.ErrBadResponse, jerr)
				}
			}
			return resp, nil
		}
		if attempt >= attempts || ctx.Err() != nil || !retryAgain(resp, err) {
			return resp, err
		}
		select {
		case <-ctx.Done():
			return resp, ctx.Err()
		case <-time.After(wait):
		}
		if wait *= 2; c.r.RetryMaxWaitTime > 0 && wait > c.r.RetryMaxWaitTime {
			wait = c.r.RetryMaxWaitTime
		}
	}
}

// retryAgain: the failures a repeated request may cure.
func retryAgain(resp *resty.Response, err error) bool {
	if errors.Is(err, core.ErrUnreachable) || errors.Is(err, core.ErrTimeout) {
		return true
	}
	if resp != nil {
		switch resp.StatusCode() {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
	}
	return false
}

// VerifyNotice asks what paying a notice costs now (pagoPA's verify). A
// notice that cannot be paid is a *core.Problem of type
// core.ProblemPaymentDuplicated, Ongoing, Expired, Cancelled or
// UnknownNotice; a malformed one core.ProblemInvalid.
func (c *Client) VerifyNotice(ctx context.Context, auth Authorizer, ref core.NoticeRef) (core.NoticeVerification, error) {
	var v core.NoticeVerification
	_, err := c.postRetrying(ctx, auth, "/api/v1/payments/verify", ref, "", true, &v)
	if err == nil && v.AmountCents <= 0 {
		err = fmt.Errorf("%w: verify answer", core.ErrBadResponse)
	}
	return v, err
}

// CreateCheckout creates a checkout of 1 to 5 notices; open the returned
// URL in the browser. idempotencyKey (required, a new UUID per cart)
// makes the request safe to repeat: after a lost answer it is sent again
// and the server gives the same checkout. Reusing a key for another cart is
// core.ProblemIdempotencyKeyReused.
func (c *Client) CreateCheckout(ctx context.Context, auth Authorizer, req core.CheckoutRequest, idempotencyKey string) (core.CheckoutCreated, error) {
	var out core.CheckoutCreated
	if idempotencyKey == "" {
		return out, errors.New("api: a checkout needs an idempotency key")
	}
	_, err := c.postRetrying(ctx, auth, "/api/v1/payments/checkouts", req, idempotencyKey, true, &out)
	if err == nil && (out.ID == "" || out.URL == "") {
		err = fmt.Errorf("%w: checkout answer", core.ErrBadResponse)
	}
	return out, err
}

// Checkout fetches a checkout's status and, once paid, its payments.
func (c *Client) Checkout(ctx context.Context, auth Authorizer, id string) (core.Checkout, error) {
	var out core.Checkout
	_, err := c.authGet(ctx, auth, "/api/v1/payments/checkouts/"+url.PathEscape(id), &out, nil)
	if err == nil && out.Status == "" {
		err = fmt.Errorf("%w: checkout", core.ErrBadResponse)
	}
	return out, err
}

// Receipt downloads the PDF receipt of one of the citizen's payments.
func (c *Client) Receipt(ctx context.Context, auth Authorizer, paymentID string) ([]byte, error) {
	resp, err := c.authGet(ctx, auth, "/api/v1/me/payments/"+url.PathEscape(paymentID)+"/receipt", nil,
		map[string]string{"Accept": "application/pdf"})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode() != http.StatusOK || len(resp.Body()) < 5 || string(resp.Body()[:5]) != "%PDF-" {
		return nil, fmt.Errorf("%w: not a PDF", core.ErrBadResponse)
	}
	return resp.Body(), nil
}
