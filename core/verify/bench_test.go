package verify_test

import (
	"testing"
	"time"

	"github.com/sportello/sportello/core/verify"
)

// BenchmarkVerify is a verifier's work per glyph once the QR code's text is
// read: strict decoding, the signature, the key's window, the revocation
// list (of 10,000 entries) and the dates. The target is 1 ms; the
// fraction of it is printed as target-fraction.
func BenchmarkVerify(b *testing.B) {
	revoked := make([]string, 10000)
	for i := range revoked {
		revoked[i] = "VLD-2025-" + time.Unix(int64(i), 0).UTC().Format("150405")
	}
	f := newFixture(b, revoked...)
	later := issued.AddDate(0, 6, 0)
	text := encode(b, claims("VLD-2026-000318", &later), f.signer)
	b.ReportAllocs()
	for b.Loop() {
		if v := verify.Verify(text, f.td, now, verify.DefaultPolicy()); v.Status != verify.Valid {
			b.Fatal(v.Status, v.Detail)
		}
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perOp*1e3, "ms/glyph")
	b.ReportMetric(perOp/1e-3, "target-fraction")
}
