package payments

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/sportello/sportello/core"
)

// The test cards of the reference server's pagoPA sandbox.
const (
	TestCardOK       = "4242 4242 4242 4242"
	TestCardDeclined = "4000 0000 0000 0002"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// CompleteInSandbox does what a person does in the browser on the reference
// server's pagoPA sandbox page, for a machine with none (tests, demos): it
// opens the page, pays with card (or cancels when card is "") and follows
// the redirect back to the app's return URL.
func CompleteInSandbox(ctx context.Context, pageURL, card string) error {
	client := &http.Client{Timeout: 20 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pageURL, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", core.ErrUnreachable, err)
	}
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		return fmt.Errorf("%w: no sandbox page at %s (%d)", core.ErrBadResponse, pageURL, resp.StatusCode)
	}
	form := url.Values{"csrf": {string(m[1])}}
	action := pageURL + "/cancel"
	if card != "" {
		action = pageURL + "/pay"
		form.Set("card_number", card)
		form.Set("expiry", "12/39")
		form.Set("cvv", "123")
		form.Set("holder", "Mario Rossi")
	}
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, action, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = client.Do(post)
	if err != nil {
		return fmt.Errorf("%w: %v", core.ErrUnreachable, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Host == req.URL.Host {
		return fmt.Errorf("%w: the sandbox did not send the browser back to the app (%d)", core.ErrBadResponse, resp.StatusCode)
	}
	return nil
}
