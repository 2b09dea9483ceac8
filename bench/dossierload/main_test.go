package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRun runs a short measurement end to end.
func TestRun(t *testing.T) {
	var out, errs strings.Builder
	if code := run([]string{"-rate", "100", "-duration", "300ms", "-warmup", "100ms"}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errs.String(), out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	target := regexp.MustCompile(`^(dossier|bare net/http) +sent 30 ok 30 p50 \d+ µs p99 \d+ µs$`)
	for _, l := range lines[1:3] {
		if !target.MatchString(l) {
			t.Errorf("line %q", l)
		}
	}
	final := regexp.MustCompile(`^dossier: p50 \d+ µs p99 \d+ µs; bare net/http p50 \d+ µs p99 \d+ µs; ratio p50 [0-9.]+ p99 [0-9.]+$`)
	if !final.MatchString(lines[3]) {
		t.Errorf("last line %q", lines[3])
	}
}

func TestBounds(t *testing.T) {
	for _, args := range [][]string{
		{"-rate", "0"}, {"-rate", "100000"}, {"-duration", "2h"}, {"-rate", "5000", "-duration", "50s"},
		{"-duration", "1ms", "-rate", "10"}, {"-max-in-flight", "0"}, {"-warmup", "-1s"}, {"-nope"},
	} {
		var out, errs strings.Builder
		if code := run(args, &out, &errs); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestPercentile(t *testing.T) {
	d := []time.Duration{5 * time.Microsecond, time.Microsecond, 3 * time.Microsecond, 2 * time.Microsecond, 4 * time.Microsecond}
	if p := percentile(d, 50); p != 3 {
		t.Errorf("p50 %v", p)
	}
	if p := percentile(d, 99); p != 5 {
		t.Errorf("p99 %v", p)
	}
	if p := percentile(nil, 50); p != 0 {
		t.Errorf("p50 of nothing %v", p)
	}
}
