// Package verifier is the offline certificate verifier as the app and
// sportello-verify use it: a camera frame, an image, a PDF or the glyph's
// text in, a verify.Verdict out, against the trust data core/trust keeps.
// It ties core/scan (reading the code), core/verify (the decision) and
// core/trust (the data) together so both front ends do the same thing.
//
// Nothing scanned is stored, logged or sent: the only I/O is reading the
// trust store and, when asked, syncing it.
package verifier

import (
	"context"
	"errors"
	"image"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sportello/sportello/core/api"
	"github.com/sportello/sportello/core/glyph"
	"github.com/sportello/sportello/core/scan"
	"github.com/sportello/sportello/core/trust"
	"github.com/sportello/sportello/core/verify"
)

// Verifier verifies glyphs. Safe for concurrent use.
type Verifier struct {
	store  *trust.Store
	policy verify.Policy
	now    func() time.Time

	mu   sync.Mutex
	data *verify.TrustData
}

// New is a verifier over store with policy; now is the clock (nil:
// time.Now). Call Reload (or Sync) before verifying.
func New(store *trust.Store, policy verify.Policy, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{store: store, policy: policy, now: now}
}

// Policy is the verifier's policy.
func (v *Verifier) Policy() verify.Policy { return v.policy }

// Now is the verifier's clock.
func (v *Verifier) Now() time.Time { return v.now() }

// Store is the trust store.
func (v *Verifier) Store() *trust.Store { return v.store }

// Reload reads the trust data again from the store.
func (v *Verifier) Reload(ctx context.Context) error {
	td, err := v.store.Load(ctx)
	if err != nil {
		return err
	}
	v.mu.Lock()
	v.data = td
	v.mu.Unlock()
	return nil
}

// Sync syncs one municipality's trust data (see trust.Store.Sync) and
// reloads.
func (v *Verifier) Sync(ctx context.Context, site string, client *api.Client, anchorPEM []byte) (trust.SyncResult, error) {
	res, err := v.store.Sync(ctx, site, client, anchorPEM)
	if err != nil {
		return res, err
	}
	return res, v.Reload(ctx)
}

// Text verifies a glyph's text.
func (v *Verifier) Text(text string) verify.Verdict {
	v.mu.Lock()
	td := v.data
	v.mu.Unlock()
	return verify.Verify(text, td, v.now(), v.policy)
}

// Frame reads a code in a camera frame with scanner and verifies it;
// scan.ErrNotFound when the frame shows no readable code.
func (v *Verifier) Frame(scanner *scan.Scanner, luma *image.Gray) (verify.Verdict, error) {
	r, err := scanner.Frame(luma)
	if err != nil {
		return verify.Verdict{}, err
	}
	return v.Text(r.Text), nil
}

// maxTextFile bounds a text file taken as a glyph's text.
const maxTextFile = 4 * glyph.MaxText

// File reads a PNG, JPEG or PDF (a photo or scan of the paper, or the
// certificate's PDF), or a text file holding a glyph's text, and verifies
// the code in it. The errors are core/scan's: ErrNotFound,
// ErrUnsupportedFile, ErrUnreadableFile, ErrTooLarge, or the file's.
func (v *Verifier) File(path string) (verify.Verdict, error) {
	info, err := os.Stat(path)
	if err != nil {
		return verify.Verdict{}, err
	}
	if info.Size() <= maxTextFile {
		data, err := os.ReadFile(path)
		if err != nil {
			return verify.Verdict{}, err
		}
		return v.Bytes(data)
	}
	r, err := scan.File(path)
	if err != nil {
		return verify.Verdict{}, err
	}
	return v.Text(r.Text), nil
}

// Bytes is File for content in memory.
func (v *Verifier) Bytes(data []byte) (verify.Verdict, error) {
	r, err := scan.Bytes(data)
	if errors.Is(err, scan.ErrUnsupportedFile) {
		if text, ok := glyphText(data); ok {
			return v.Text(text), nil
		}
	}
	if err != nil {
		return verify.Verdict{}, err
	}
	return v.Text(r.Text), nil
}

// glyphText takes a small text file as a code's content: one line, its
// surrounding white space trimmed (an editor's final newline).
func glyphText(data []byte) (string, bool) {
	if len(data) > maxTextFile || !utf8.Valid(data) {
		return "", false
	}
	text := strings.TrimSpace(string(data))
	if text == "" || strings.ContainsAny(text, "\n\r\x00") {
		return "", false
	}
	return text, true
}
