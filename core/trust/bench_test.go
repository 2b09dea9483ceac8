package trust_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/sportello/sportello/core/trust"
	"github.com/sportello/sportello/server"
)

// BenchmarkSync10000 is a verifier's first sync of a municipality that
// revoked 10,000 certificates (two chunks), from the reference server over
// loopback into a fresh trust store, and the incremental sync of one more
// revocation after it.
func BenchmarkSync10000(b *testing.B) {
	ctx := context.Background()
	dbFile := filepath.Join(b.TempDir(), "municipality.db")
	srv, err := server.Start(ctx, dbFile, "127.0.0.1:0", true, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close(ctx)
	const n = 10000
	revokeMany(b, dbFile, 0, n)
	c := client(b, srv.URL)

	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			st, err := trust.Open(ctx, filepath.Join(b.TempDir(), trust.FileName))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			res, err := st.Sync(ctx, "bench", c, nil)
			if err != nil || res.Added != n {
				b.Fatal(res, err)
			}
			b.StopTimer()
			st.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/sync")
	})
	b.Run("incremental", func(b *testing.B) {
		st := openStore(b)
		if _, err := st.Sync(ctx, "bench", c, nil); err != nil {
			b.Fatal(err)
		}
		next := n
		for b.Loop() {
			b.StopTimer()
			revokeMany(b, dbFile, next, 1)
			next++
			b.StartTimer()
			if res, err := st.Sync(ctx, "bench", c, nil); err != nil || res.Added != 1 {
				b.Fatal(res, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/sync")
	})
	b.Run("load", func(b *testing.B) {
		st := openStore(b)
		if _, err := st.Sync(ctx, "bench", c, nil); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := st.Load(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
