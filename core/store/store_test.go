package store

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "device.db")
	st, err := Open(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, file
}

func TestSettingsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	st, file := open(t)
	if _, ok, err := st.Setting(ctx, "k"); ok || err != nil {
		t.Fatalf("unset key: ok=%v err=%v", ok, err)
	}
	if err := st.SetSetting(ctx, "k", "one"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetSetting(ctx, "k", "two"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st2, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if v, ok, err := st2.Setting(ctx, "k"); v != "two" || !ok || err != nil {
		t.Fatalf("after reopen: %q %v %v", v, ok, err)
	}
	if err := st2.DeleteSetting(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st2.Setting(ctx, "k"); ok {
		t.Fatal("deleted setting still there")
	}
}

func TestCache(t *testing.T) {
	ctx := context.Background()
	st, _ := open(t)
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	if err := st.CachePut(ctx, "a", Cached{Data: []byte("x"), ETag: `"e1"`, MediaType: "application/json", FetchedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := st.CachePut(ctx, "a", Cached{Data: []byte("y"), ETag: `"e2"`, MediaType: "application/json", FetchedAt: t0}); err != nil {
		t.Fatal(err)
	}
	c, ok, err := st.CacheGet(ctx, "a")
	if !ok || err != nil || !bytes.Equal(c.Data, []byte("y")) || c.ETag != `"e2"` || !c.FetchedAt.Equal(t0) {
		t.Fatalf("got %+v %v %v", c, ok, err)
	}
	t1 := t0.Add(time.Hour)
	if err := st.CacheTouch(ctx, "a", t1); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := st.CacheGet(ctx, "a"); !c.FetchedAt.Equal(t1) || string(c.Data) != "y" {
		t.Fatalf("after touch: %+v", c)
	}
	if _, ok, err := st.CacheGet(ctx, "missing"); ok || err != nil {
		t.Fatalf("missing key: %v %v", ok, err)
	}
}
