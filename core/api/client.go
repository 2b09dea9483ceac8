// Package api is the app's client of a municipality's Sportello API, on
// go-resty. It owns timeouts, retries (with backoff, for idempotent requests
// only: a retried POST could pay a fine twice) and the translation of
// transport failures and problem documents into core's typed errors.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/sportello/sportello/core"
)

// Client talks to one municipality's server.
type Client struct {
	base string
	r    *resty.Client
}

// Options tune a Client; the zero value gives the defaults.
type Options struct {
	Timeout  time.Duration // per attempt; default 15 s
	Retries  int           // extra attempts for idempotent requests; default 2, -1 for none
	Language string        // "it" or "en", sent as Accept-Language
}

// New returns a client of the server at baseURL ("https://comune.example"),
// or core.ErrBadURL when baseURL is not an http(s) URL with a host.
func New(baseURL string, opt Options) (*Client, error) {
	base, err := NormalizeURL(baseURL)
	if err != nil {
		return nil, err
	}
	if opt.Timeout == 0 {
		opt.Timeout = 15 * time.Second
	}
	switch {
	case opt.Retries == 0:
		opt.Retries = 2
	case opt.Retries < 0:
		opt.Retries = 0
	}
	r := resty.New().
		SetBaseURL(base).
		SetTimeout(opt.Timeout).
		SetRetryCount(opt.Retries).
		SetRetryWaitTime(200*time.Millisecond).
		SetRetryMaxWaitTime(2*time.Second).
		AddRetryCondition(retryable).
		SetHeader("Accept", "application/json").
		SetHeader("User-Agent", "Sportello")
	r.SetLogger(quietLogger{})
	if opt.Language != "" {
		r.SetHeader("Accept-Language", opt.Language)
	}
	return &Client{base: base, r: r}, nil
}

// BaseURL is the server's address as the client uses it.
func (c *Client) BaseURL() string { return c.base }

// NormalizeURL checks and tidies a server address typed by a person: it adds
// https:// when no scheme is given and drops a trailing slash.
func NormalizeURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", core.ErrBadURL
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(u.Host, " \t") {
		return "", core.ErrBadURL
	}
	if u.Port() != "" {
		if _, err := net.LookupPort("tcp", u.Port()); err != nil {
			return "", core.ErrBadURL
		}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// retryable decides retries: only idempotent methods, and only on failures a
// second attempt can cure (the network, an overloaded or restarting server).
func retryable(resp *resty.Response, err error) bool {
	if resp == nil || resp.Request == nil {
		return false
	}
	switch resp.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
	default:
		return false
	}
	if err != nil {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch resp.StatusCode() {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// get fetches path into result (when not nil) and returns the response for
// its headers. Errors are core's typed errors.
func (c *Client) get(ctx context.Context, path string, result any, header map[string]string) (*resty.Response, error) {
	req := c.r.R().SetContext(ctx).SetHeaders(header)
	resp, err := req.Get(path)
	if err != nil {
		return resp, transportError(ctx, err)
	}
	if err := statusError(resp); err != nil {
		return resp, err
	}
	if result != nil && resp.StatusCode() != http.StatusNotModified {
		if err := json.Unmarshal(resp.Body(), result); err != nil {
			return resp, fmt.Errorf("%w: %v", core.ErrBadResponse, err)
		}
	}
	return resp, nil
}

// statusError turns a non-2xx/304 answer into an error: the server's problem
// document when it sent one, otherwise a generic Problem.
func statusError(resp *resty.Response) error {
	code := resp.StatusCode()
	if code < 300 || code == http.StatusNotModified {
		return nil
	}
	if strings.HasPrefix(resp.Header().Get("Content-Type"), "application/problem+json") {
		var p core.Problem
		if err := json.Unmarshal(resp.Body(), &p); err == nil && p.Type != "" {
			if p.Status == 0 {
				p.Status = code
			}
			return &p
		}
	}
	if code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout {
		return fmt.Errorf("%w: HTTP %d", core.ErrUnreachable, code)
	}
	return fmt.Errorf("%w: HTTP %d without a problem document", core.ErrBadResponse, code)
}

// transportError classifies a failure to get any answer.
func transportError(ctx context.Context, err error) error {
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Errorf("%w: %v", core.ErrTimeout, err)
	default:
		return fmt.Errorf("%w: %v", core.ErrUnreachable, err)
	}
}

// quietLogger drops resty's own log lines: they would print URLs and errors
// to stderr outside the app's logging, and may one day carry personal data.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
