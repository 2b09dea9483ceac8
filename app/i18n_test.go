package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/sportello/sportello/assets"
	"github.com/sportello/sportello/core"
)

func bundle(t *testing.T, language string) map[string]string {
	t.Helper()
	data, err := assets.Translations.ReadFile("translations/" + language + ".json")
	if err != nil {
		t.Fatal(err)
	}
	raw := map[string]json.RawMessage{}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s.json: %v", language, err)
	}
	m := map[string]string{}
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			m[k] = s
			continue
		}
		var plural struct{ One, Other string }
		if err := json.Unmarshal(v, &plural); err != nil || plural.One == "" || plural.Other == "" {
			t.Fatalf("%s.json: %q is neither a string nor a plural with one and other", language, k)
		}
		m[k] = plural.Other
	}
	return m
}

// Every key the code asks for is in both languages, and neither bundle has
// keys the other lacks: applyLanguage relies on that to switch completely.
func TestTranslationsAreComplete(t *testing.T) {
	it, en := bundle(t, "it"), bundle(t, "en")
	for k := range it {
		if _, ok := en[k]; !ok {
			t.Errorf("key %q is in it.json but not in en.json", k)
		}
	}
	for k := range en {
		if _, ok := it[k]; !ok {
			t.Errorf("key %q is in en.json but not in it.json", k)
		}
	}
	used := regexp.MustCompile(`lang\.X\("([^"]+)"`)
	files, _ := filepath.Glob("*.go")
	var missing []string
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllSubmatch(src, -1) {
			if _, ok := it[string(m[1])]; !ok {
				missing = append(missing, fmt.Sprintf("%s: %s", f, m[1]))
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("untranslated key %s", m)
	}
}

func TestLanguageChoice(t *testing.T) {
	if defaultLanguage("it-IT") != "it" || defaultLanguage("it") != "it" || defaultLanguage("en-GB") != "en" || defaultLanguage("de") != "en" {
		t.Fatal("Italian must be the default for Italian locales only")
	}
	t.Cleanup(func() { applyLanguage("it") })
	applyLanguage("en")
	if currentLanguage() != "en" || errorText(core.ErrTimeout) != bundle(t, "en")["error.timeout"] {
		t.Fatalf("English not applied: %q", errorText(core.ErrTimeout))
	}
	applyLanguage("it")
	if currentLanguage() != "it" || errorText(core.ErrTimeout) != bundle(t, "it")["error.timeout"] {
		t.Fatalf("Italian not applied: %q", errorText(core.ErrTimeout))
	}
}

// Each kind of failure gets its own sentence, never a raw Go error.
func TestErrorTextsAreTranslatedAndDistinct(t *testing.T) {
	applyLanguage("it")
	it := bundle(t, "it")
	cases := map[string]error{
		"error.bad_url":      fmt.Errorf("x: %w", core.ErrBadURL),
		"error.timeout":      fmt.Errorf("x: %w", core.ErrTimeout),
		"error.unreachable":  fmt.Errorf("dial tcp: %w", core.ErrUnreachable),
		"error.bad_response": core.ErrBadResponse,
		"error.not_set_up":   &core.Problem{Type: core.ProblemNotSetUp, Status: 503},
		"error.not_found":    &core.Problem{Type: core.ProblemNotFound, Status: 404},
		"error.unavailable":  &core.Problem{Type: core.ProblemUnavailable, Status: 503},
		"error.generic":      errors.New("open /x: permission denied"),
	}
	for key, err := range cases {
		if got := errorText(err); got != it[key] {
			t.Errorf("errorText(%v) = %q, want %s: %q", err, got, key, it[key])
		}
	}
	if got := errorText(&core.Problem{Type: "urn:other", Status: 418}); got != "Il server del Comune non ha potuto completare la richiesta (errore 418)." {
		t.Errorf("unknown problem: %q", got)
	}
}

func TestPluralCounts(t *testing.T) {
	applyLanguage("it")
	d := &dossierScreen{}
	if got := d.count(1, "dossier.vehicles_none", "", "dossier.vehicles_n", "{{.N}} vehicles"); got != "1 veicolo" {
		t.Errorf("one vehicle: %q", got)
	}
	if got := d.count(3, "dossier.vehicles_none", "", "dossier.vehicles_n", "{{.N}} vehicles"); got != "3 veicoli" {
		t.Errorf("three vehicles: %q", got)
	}
	if got := d.count(0, "dossier.vehicles_none", "", "dossier.vehicles_n", "{{.N}} vehicles"); got != "Nessun veicolo intestato" {
		t.Errorf("no vehicle: %q", got)
	}
}
