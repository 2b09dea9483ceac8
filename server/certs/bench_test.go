package certs

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/sportello/sportello/core/certificates"
)

// Certificates issued per second, each the whole way: rules, registry
// reads, glyph signature, PDF, one transaction on a real SQLite file.
// Each one pays with its own marca da bollo.

var marcaSeq atomic.Int64

func benchRequest(b *testing.B, e *env) (string, func() certificates.Request) {
	b.Helper()
	holder := e.citizen(b, "Stefano Cattaneo").FiscalCode
	return holder, func() certificates.Request {
		return certificates.Request{Type: certificates.StatoDiFamiglia, StampDuty: certificates.StampDutyReq{
			Marcas: []certificates.MarcaReq{{ID: fmt.Sprintf("%014d", marcaSeq.Add(1)), Date: "2026-11-20"}}}}
	}
}

func BenchmarkIssue(b *testing.B) {
	e := newEnv(b)
	holder, req := benchRequest(b, e)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.svc.Issue(ctx, IssueInput{Caller: holder, Holder: holder, Request: req()}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "certs/s")
}

func BenchmarkIssueParallel(b *testing.B) {
	e := newEnv(b)
	holder, req := benchRequest(b, e)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.svc.Issue(ctx, IssueInput{Caller: holder, Holder: holder, Request: req()}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "certs/s")
}

// The two costly steps alone.

func BenchmarkSignGlyph(b *testing.B) {
	e := newEnv(b)
	holder, req := benchRequest(b, e)
	contents, err := e.svc.DryRun(context.Background(), holder, req())
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := e.svc.Keys()
	for b.Loop() {
		if err := contents[0].Sign(&keys.Signers[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderPDF(b *testing.B) {
	e := newEnv(b)
	holder, req := benchRequest(b, e)
	contents, err := e.svc.DryRun(context.Background(), holder, req())
	if err != nil {
		b.Fatal(err)
	}
	var size int
	for b.Loop() {
		pdf, err := RenderPDF(contents[0], RenderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf)
	}
	b.ReportMetric(float64(size), "bytes/pdf")
}
