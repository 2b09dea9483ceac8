package vault_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sportello/sportello/core/vault"
	"github.com/sportello/sportello/platform/secrets"
)

func open(t *testing.T) *vault.Vault {
	t.Helper()
	v, err := vault.Open(secrets.Memory())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRoundTrip(t *testing.T) {
	v := open(t)
	for _, plain := range [][]byte{nil, {}, []byte("Marco Colombo"), bytes.Repeat([]byte{0, 1, 2}, 10000)} {
		sealed, err := v.Seal(plain, []byte("dossier"))
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) > 4 && bytes.Contains(sealed, plain) {
			t.Fatal("the plaintext is in the sealed value")
		}
		got, err := v.Open(sealed, []byte("dossier"))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("open = %q, %v", got, err)
		}
	}
	a, _ := v.Seal([]byte("x"), nil)
	b, _ := v.Seal([]byte("x"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are equal: the nonce is not random")
	}
	if a[0] != 1 {
		t.Fatalf("version byte = %d, want 1", a[0])
	}
}

func TestTamperAnyByte(t *testing.T) {
	v := open(t)
	sealed, err := v.Seal([]byte("CLMMRC74C15F205P"), []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		for _, flip := range []byte{0x01, 0x80} {
			bad := bytes.Clone(sealed)
			bad[i] ^= flip
			if _, err := v.Open(bad, []byte("k")); !errors.Is(err, vault.ErrTampered) {
				t.Fatalf("byte %d ^ %#x: err = %v, want ErrTampered", i, flip, err)
			}
		}
	}
	for n := range sealed {
		if _, err := v.Open(sealed[:n], []byte("k")); !errors.Is(err, vault.ErrTampered) {
			t.Fatalf("truncated to %d: err = %v", n, err)
		}
	}
	if _, err := v.Open(append(bytes.Clone(sealed), 0), []byte("k")); !errors.Is(err, vault.ErrTampered) {
		t.Fatalf("extended: err = %v", err)
	}
}

func TestWrongAssociatedData(t *testing.T) {
	v := open(t)
	sealed, _ := v.Seal([]byte("secret"), []byte("row-a"))
	for _, ad := range [][]byte{[]byte("row-b"), nil, []byte("row-a ")} {
		if _, err := v.Open(sealed, ad); !errors.Is(err, vault.ErrTampered) {
			t.Fatalf("associated data %q: err = %v", ad, err)
		}
	}
}

func TestKeyPersistsAndDestroy(t *testing.T) {
	store := secrets.Memory()
	v1, err := vault.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := v1.Seal([]byte("hello"), nil)
	key, err := store.Get(vault.KeyName)
	if err != nil || len(key) != 32 {
		t.Fatalf("stored key: %d bytes, %v", len(key), err)
	}

	v2, err := vault.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v2.Open(sealed, nil); err != nil || string(got) != "hello" {
		t.Fatalf("second Open on the same store: %q, %v", got, err)
	}

	if err := vault.Destroy(store); err != nil {
		t.Fatal(err)
	}
	if err := vault.Destroy(store); err != nil {
		t.Fatalf("second Destroy: %v", err)
	}
	v3, err := vault.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	if newKey, _ := store.Get(vault.KeyName); bytes.Equal(newKey, key) {
		t.Fatal("the key after Destroy is the old one")
	}
	if _, err := v3.Open(sealed, nil); !errors.Is(err, vault.ErrTampered) {
		t.Fatalf("old value after Destroy: err = %v, want ErrTampered", err)
	}
}

func TestBadStoredKey(t *testing.T) {
	store := secrets.Memory()
	store.Set(vault.KeyName, []byte("short"))
	if _, err := vault.Open(store); err == nil {
		t.Fatal("Open accepted a 5-byte key")
	}
}
