package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sportello/sportello/core/store"
	"github.com/sportello/sportello/core/vault"
	"github.com/sportello/sportello/platform/secrets"
)

// onDisk returns the bytes of the database file and of its write-ahead log.
func onDisk(t *testing.T, file string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range []string{file, file + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func assertNotOnDisk(t *testing.T, file, when string, secrets ...[]byte) {
	t.Helper()
	for name, b := range onDisk(t, file) {
		for _, s := range secrets {
			if bytes.Contains(b, s) {
				t.Errorf("%s: %s contains %q", when, name, s)
			}
		}
	}
}

func TestPersonalCacheIsSealedAndWiped(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "device.db")
	st, err := store.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := vault.Open(secrets.Memory())
	if err != nil {
		t.Fatal(err)
	}
	name, cf := []byte("Marco Colombo"), []byte("CLMMRC74C15F205P")
	// A public answer, which a wipe must leave alone.
	if err := st.CachePut(ctx, "municipality", store.Cached{Data: []byte("Comune di Valdoria"), FetchedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	const key = "citizen/me"
	plain, _ := json.Marshal(map[string]string{"name": string(name), "codice_fiscale": string(cf)})
	sealed, err := v.Seal(plain, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 10, 30, 0, 123, time.UTC)
	if err := st.PersonalPut(ctx, key, sealed, `"e1"`, t0); err != nil {
		t.Fatal(err)
	}

	disk := onDisk(t, file)
	if !bytes.Contains(append(disk["device.db"], disk["device.db-wal"]...), sealed) {
		t.Fatal("the sealed value is in neither the database nor its log: the test reads the wrong files")
	}
	assertNotOnDisk(t, file, "after PersonalPut", name, cf)

	got, etag, fetched, ok, err := st.PersonalGet(ctx, key)
	if err != nil || !ok || etag != `"e1"` || !fetched.Equal(t0) {
		t.Fatalf("PersonalGet: ok=%v etag=%q fetched=%v err=%v", ok, etag, fetched, err)
	}
	opened, err := v.Open(got, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]string
	if err := json.Unmarshal(opened, &back); err != nil || back["name"] != string(name) || back["codice_fiscale"] != string(cf) {
		t.Fatalf("opened %q, %v", opened, err)
	}
	// The row key is the associated data: under another key it does not open.
	if _, err := v.Open(got, []byte("citizen/other")); err == nil {
		t.Fatal("a sealed row opened under another key")
	}

	// Replace, then wipe.
	sealed2, _ := v.Seal(plain, []byte(key))
	if err := st.PersonalPut(ctx, key, sealed2, `"e2"`, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, etag, _, _, _ := st.PersonalGet(ctx, key); !bytes.Equal(got, sealed2) || etag != `"e2"` {
		t.Fatalf("after replace: etag %q", etag)
	}
	if err := st.WipePersonal(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok, err := st.PersonalGet(ctx, key); ok || err != nil {
		t.Fatalf("after wipe: ok=%v err=%v", ok, err)
	}
	assertNotOnDisk(t, file, "after WipePersonal", name, cf, sealed, sealed2)
	if c, ok, err := st.CacheGet(ctx, "municipality"); !ok || err != nil || string(c.Data) != "Comune di Valdoria" {
		t.Fatalf("the wipe touched the public cache: %v %v", ok, err)
	}

	// Still usable after the wipe, and again after reopening.
	if err := st.PersonalPut(ctx, key, sealed2, "", t0); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st2, err := store.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if got, _, _, ok, err := st2.PersonalGet(ctx, key); !ok || err != nil || !bytes.Equal(got, sealed2) {
		t.Fatalf("after reopen: ok=%v err=%v", ok, err)
	}
}

func TestPersonalGetMissing(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "device.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if sealed, etag, at, ok, err := st.PersonalGet(context.Background(), "nothing"); ok || err != nil || sealed != nil || etag != "" || !at.IsZero() {
		t.Fatalf("missing key: %v %q %v %v %v", sealed, etag, at, ok, err)
	}
}

// TestSealedJSON: a value kept with PutSealed comes back with GetSealed,
// sealed on disk; under another key, or with another data key, it is as
// good as absent.
func TestSealedJSON(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "device.db")
	st, err := store.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := vault.Open(secrets.Memory())
	if err != nil {
		t.Fatal(err)
	}
	type plate struct{ Plate, Holder string }
	at := time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)
	if err := st.PutSealed(ctx, v, "fines|demo", []plate{{"GH482LM", "Fatima Benali"}}, `"e1"`, at); err != nil {
		t.Fatal(err)
	}
	var got []plate
	etag, fetched, ok, err := st.GetSealed(ctx, v, "fines|demo", &got)
	if err != nil || !ok || etag != `"e1"` || !fetched.Equal(at) || len(got) != 1 || got[0].Holder != "Fatima Benali" {
		t.Fatalf("%v %q %v %v %+v", err, etag, fetched, ok, got)
	}
	for name, b := range onDisk(t, file) {
		if bytes.Contains(b, []byte("Fatima")) {
			t.Errorf("%s holds the plain value", name)
		}
	}
	sealed, _, _, _, _ := st.PersonalGet(ctx, "fines|demo")
	if err := st.PersonalPut(ctx, "fines|other", sealed, "", at); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := st.GetSealed(ctx, v, "fines|other", &got); ok || err != nil {
		t.Errorf("a row copied under another key opened: %v %v", ok, err)
	}
	other, _ := vault.Open(secrets.Memory())
	if _, _, ok, err := st.GetSealed(ctx, other, "fines|demo", &got); ok || err != nil {
		t.Errorf("another data key opened it: %v %v", ok, err)
	}
}
