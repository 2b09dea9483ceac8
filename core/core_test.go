package core

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestDateJSON(t *testing.T) {
	type wrap struct {
		D Date  `json:"d"`
		P *Date `json:"p,omitempty"`
	}
	in := wrap{D: NewDate(1980, time.January, 1)}
	b, err := json.Marshal(in)
	if err != nil || string(b) != `{"d":"1980-01-01"}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var out wrap
	if err := json.Unmarshal(b, &out); err != nil || !out.D.Equal(in.D.Time) {
		t.Fatalf("unmarshal: %+v %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"1980-13-01"}`), &out); err == nil {
		t.Fatal("a month 13 was accepted")
	}
	if err := json.Unmarshal([]byte(`{"d":""}`), &out); err != nil || !out.D.IsZero() || out.D.String() != "" {
		t.Fatalf("empty date: %+v %v", out.D, err)
	}
	if got := DateOf(time.Date(2026, 11, 22, 23, 59, 0, 0, time.UTC)); got != NewDate(2026, time.November, 22) {
		t.Fatalf("DateOf: %v", got)
	}
}

func TestProblemIsAnError(t *testing.T) {
	var err error = &Problem{Type: ProblemNotFound, Title: "Not found", Status: 404, Detail: "nothing"}
	wrapped := errors.Join(errors.New("context"), err)
	if !IsProblem(wrapped, ProblemNotFound) || IsProblem(wrapped, ProblemInternal) || IsProblem(errors.New("x"), ProblemNotFound) {
		t.Fatal("IsProblem does not follow wrapping or type")
	}
	if err.Error() != "Not found (404): nothing" {
		t.Fatalf("Error() = %q", err.Error())
	}
}

func TestFineAmountDue(t *testing.T) {
	f := Fine{NotifiedOn: NewDate(2026, time.November, 1), ReducedCents: 2940, MinimumCents: 4200, LateCents: 8400}
	for _, tc := range []struct {
		day   Date
		cents int64
		tier  FineTier
	}{
		{NewDate(2026, time.November, 1), 2940, FineReduced},
		{NewDate(2026, time.November, 6), 2940, FineReduced},
		{NewDate(2026, time.November, 7), 4200, FineMinimum},
		{NewDate(2026, time.December, 31), 4200, FineMinimum},
		{NewDate(2027, time.January, 1), 8400, FineLate},
	} {
		if c, tier := f.AmountDue(tc.day); c != tc.cents || tier != tc.tier {
			t.Errorf("%s: %d %s, want %d %s", tc.day, c, tier, tc.cents, tc.tier)
		}
	}
}
