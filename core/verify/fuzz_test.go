package verify_test

import (
	"testing"
	"time"

	"github.com/sportello/sportello/core/verify"
)

// FuzzVerify: any text gives one of the statuses without panicking, claims
// only with a verified signature, and only the glyphs signed in the seed
// corpus verify.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f, "VLD-2026-000999")
	later := issued.AddDate(0, 6, 0)
	valid := map[string]bool{}
	for _, serial := range []string{"VLD-2026-000318", "VLD-2026-000999"} {
		text := encode(f, claims(serial, &later), fx.signer)
		valid[text] = true
		f.Add(text)
	}
	f.Add("TD1:")
	f.Add("TD1:6BF")
	f.Add("TD9:ABC")
	f.Add("https://example.org")
	known := map[verify.Status]bool{}
	for _, s := range verify.Statuses {
		known[s] = true
	}
	f.Fuzz(func(t *testing.T, text string) {
		v := verify.Verify(text, fx.td, now, verify.DefaultPolicy())
		if !known[v.Status] {
			t.Fatalf("unknown status %q", v.Status)
		}
		if v.Status == verify.Valid && !valid[text] {
			t.Fatalf("a text not signed here verifies: %q", text)
		}
		if v.Genuine() != (v.Status == verify.Valid || v.Status == verify.Expired || v.Status == verify.Revoked) {
			t.Fatalf("claims given with status %s", v.Status)
		}
		_ = verify.Verify(text, nil, time.Time{}, verify.DefaultPolicy())
	})
}
