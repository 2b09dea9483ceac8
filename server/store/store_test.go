package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/core"
	"github.com/sportello/sportello/server/demo"
	"github.com/sportello/sportello/server/store"
)

var testNow = time.Date(2026, time.November, 22, 10, 30, 0, 0, time.UTC)

func open(t *testing.T, file string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), file)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func fresh(t *testing.T) *store.Store {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "store.db"))
}

func seeded(t *testing.T) (*store.Store, demo.Dataset) {
	t.Helper()
	st := fresh(t)
	ds := demo.Generate(testNow)
	if err := st.Seed(context.Background(), ds); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	return st, ds
}

func TestEmpty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := fresh(t)
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	has, err := st.HasMunicipality(ctx)
	if err != nil || has {
		t.Errorf("HasMunicipality on a fresh database = %v, %v; want false, nil", has, err)
	}
	if _, err := st.Municipality(ctx, "it"); !errors.Is(err, store.ErrNoMunicipality) {
		t.Errorf("Municipality: %v, want ErrNoMunicipality", err)
	}
	if _, _, err := st.Logo(ctx); !errors.Is(err, store.ErrNoMunicipality) {
		t.Errorf("Logo: %v, want ErrNoMunicipality", err)
	}
	if list, err := st.Citizens(ctx); err != nil || len(list) != 0 {
		t.Errorf("Citizens: %d, %v; want none", len(list), err)
	}
}

func TestMunicipality(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, ds := seeded(t)
	has, err := st.HasMunicipality(ctx)
	if err != nil || !has {
		t.Fatalf("HasMunicipality after Seed = %v, %v", has, err)
	}

	it, err := st.Municipality(ctx, "it")
	if err != nil {
		t.Fatal(err)
	}
	want := ds.Municipality
	if it.Name != want.Name || it.ISTAT != want.ISTAT || it.Belfiore != want.Belfiore || it.Province != want.Province ||
		it.Region != want.Region || it.FiscalCode != want.FiscalCode || it.Demo != want.Demo || it.Contacts != want.Contacts {
		t.Errorf("identity %+v, want %+v", it, want)
	}
	if it.LogoURL != "" {
		t.Errorf("LogoURL %q: the store leaves it to the HTTP layer", it.LogoURL)
	}
	if it.Population != len(ds.Citizens) {
		t.Errorf("population %d, want %d", it.Population, len(ds.Citizens))
	}
	if !reflect.DeepEqual(it.Offices, want.Offices) {
		t.Errorf("offices\n got %+v\nwant %+v", it.Offices, want.Offices)
	}

	en, err := st.Municipality(ctx, "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(it.Services) != len(ds.Services) || len(en.Services) != len(ds.Services) {
		t.Fatalf("%d Italian and %d English services, want %d", len(it.Services), len(en.Services), len(ds.Services))
	}
	for i, sv := range ds.Services {
		if got, want := it.Services[i], (core.Service{ID: sv.ID, Name: sv.NameIT, Description: sv.DescriptionIT, Online: sv.Online}); got != want {
			t.Errorf("Italian service %d: %+v, want %+v", i, got, want)
		}
		if got, want := en.Services[i], (core.Service{ID: sv.ID, Name: sv.NameEN, Description: sv.DescriptionEN, Online: sv.Online}); got != want {
			t.Errorf("English service %d: %+v, want %+v", i, got, want)
		}
	}
	it.Services, en.Services = nil, nil
	if !reflect.DeepEqual(it, en) {
		t.Error("the languages differ beyond the services")
	}

	// Any other language falls back to Italian.
	for _, lang := range []string{"", "fr", "EN", "it-IT"} {
		m, err := st.Municipality(ctx, lang)
		if err != nil {
			t.Fatal(err)
		}
		if m.Services[0].Name != ds.Services[0].NameIT {
			t.Errorf("lang %q: service %q, want the Italian %q", lang, m.Services[0].Name, ds.Services[0].NameIT)
		}
	}
}

func TestLogo(t *testing.T) {
	t.Parallel()
	st, ds := seeded(t)
	data, typ, err := st.Logo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if typ != "image/svg+xml" {
		t.Errorf("type %q", typ)
	}
	if len(data) == 0 || !slices.Equal(data, ds.Logo) {
		t.Errorf("logo: %d bytes, want the demo's %d", len(data), len(ds.Logo))
	}
}

func TestCitizens(t *testing.T) {
	t.Parallel()
	st, ds := seeded(t)
	list, err := st.Citizens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(ds.Citizens) {
		t.Fatalf("%d citizens, want %d", len(list), len(ds.Citizens))
	}

	byCode := map[string]core.Citizen{}
	for _, c := range ds.Citizens {
		c.Marriage, c.IDCard = nil, nil // Citizens lists the registry entry only
		byCode[c.FiscalCode] = c
	}
	seen := map[string]bool{}
	heads := map[string]int{}
	for i, c := range list {
		want, ok := byCode[c.FiscalCode]
		if !ok {
			t.Errorf("citizen %s is not in the dataset", c.FiscalCode)
			continue
		}
		if seen[c.FiscalCode] {
			t.Errorf("citizen %s is listed twice", c.FiscalCode)
		}
		seen[c.FiscalCode] = true
		if !reflect.DeepEqual(c, want) {
			t.Errorf("citizen %s\n got %+v\nwant %+v", c.FiscalCode, c, want)
		}
		if c.Relationship == core.Head {
			heads[c.FamilyID]++
		}
		if i == 0 {
			if c.Relationship != core.Head {
				t.Errorf("the first citizen, %s, is not a head of family", c.FiscalCode)
			}
			continue
		}
		prev := list[i-1]
		switch {
		case prev.FamilyID > c.FamilyID:
			t.Errorf("family %s listed after %s", c.FamilyID, prev.FamilyID)
		case prev.FamilyID < c.FamilyID:
			if c.Relationship != core.Head {
				t.Errorf("family %s starts with %s, a %s, not its head", c.FamilyID, c.FiscalCode, c.Relationship)
			}
		default:
			if c.Relationship == core.Head {
				t.Errorf("family %s: head %s comes after %s", c.FamilyID, c.FiscalCode, prev.FiscalCode)
			} else if prev.Relationship != core.Head && c.BirthDate.Before(prev.BirthDate.Time) {
				t.Errorf("family %s: %s (born %s) after %s (born %s)", c.FamilyID, c.FiscalCode, c.BirthDate, prev.FiscalCode, prev.BirthDate)
			}
		}
	}
	if len(heads) != len(ds.Families) {
		t.Errorf("%d families have a head, want all %d", len(heads), len(ds.Families))
	}
	for f, n := range heads {
		if n != 1 {
			t.Errorf("family %s has %d heads", f, n)
		}
	}
}

func TestPersists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "store.db")
	st, err := store.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Seed(ctx, demo.Generate(testNow)); err != nil {
		t.Fatal(err)
	}
	before, err := st.Municipality(ctx, "it")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	again := open(t, file) // migrations run again: they must be a no-op
	after, err := again.Municipality(ctx, "it")
	if err != nil {
		t.Fatalf("after reopening: %v", err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Error("the municipality changed across a reopen")
	}
}

// TestSeedAllOrNothing seeds datasets that fail part-way: nothing of them may
// stay behind, and the database stays usable.
func TestSeedAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := fresh(t)

	broken := map[string]func(*demo.Dataset){
		"duplicate fiscal code": func(d *demo.Dataset) {
			d.Citizens = append(d.Citizens, d.Citizens[len(d.Citizens)/2])
		},
		"unknown family": func(d *demo.Dataset) {
			d.Citizens[len(d.Citizens)-1].FamilyID = "F9999"
		},
		"bad TARI instalment": func(d *demo.Dataset) {
			last := &d.TARI[len(d.TARI)-1]
			last.Instalments[0].NoticeNumber = "123"
		},
	}
	for name, breakIt := range broken {
		ds := demo.Generate(testNow)
		breakIt(&ds)
		if err := st.Seed(ctx, ds); err == nil {
			t.Fatalf("%s: Seed succeeded", name)
		}
		if has, err := st.HasMunicipality(ctx); err != nil || has {
			t.Errorf("%s: HasMunicipality = %v, %v after a failed seed", name, has, err)
		}
		if list, err := st.Citizens(ctx); err != nil || len(list) != 0 {
			t.Errorf("%s: %d citizens (%v) after a failed seed", name, len(list), err)
		}
		if _, err := st.Municipality(ctx, "it"); !errors.Is(err, store.ErrNoMunicipality) {
			t.Errorf("%s: Municipality: %v, want ErrNoMunicipality", name, err)
		}
	}

	// A good dataset still goes in, and a second seed is refused whole.
	ds := demo.Generate(testNow)
	if err := st.Seed(ctx, ds); err != nil {
		t.Fatalf("Seed after failed seeds: %v", err)
	}
	if err := st.Seed(ctx, demo.Generate(testNow.AddDate(0, 2, 0))); err == nil {
		t.Error("a second Seed over a seeded database succeeded")
	}
	list, err := st.Citizens(ctx)
	if err != nil || len(list) != len(ds.Citizens) {
		t.Errorf("%d citizens (%v) after a refused second seed, want %d", len(list), err, len(ds.Citizens))
	}
}

func TestSeedCancelled(t *testing.T) {
	t.Parallel()
	st := fresh(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := st.Seed(ctx, demo.Generate(testNow)); err == nil {
		t.Fatal("Seed with a cancelled context succeeded")
	}
	if has, err := st.HasMunicipality(context.Background()); err != nil || has {
		t.Errorf("HasMunicipality = %v, %v after a cancelled seed", has, err)
	}
}

func TestOpenBadPath(t *testing.T) {
	t.Parallel()
	if st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "missing", "dir", "store.db")); err == nil {
		st.Close()
		t.Error("Open in a directory that does not exist succeeded")
	}
}
