package documents

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sportello/sportello/core/vault"
	"github.com/sportello/sportello/platform/secrets"
)

func TestSealedOnDiskPlainOnExport(t *testing.T) {
	v, err := vault.Open(secrets.Memory())
	if err != nil {
		t.Fatal(err)
	}
	f := Folder{Dir: filepath.Join(t.TempDir(), "documents"), Vault: v}
	pdf := []byte("%PDF-1.4 Marco Colombo CLMMRC74C15F205P %%EOF")
	if err := f.Save("2026-000123", pdf); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(f.Dir, "2026-000123.sealed"))
	if len(raw) == 0 || bytes.Contains(raw, []byte("CLMMRC74C15F205P")) || bytes.Contains(raw, []byte("%PDF")) {
		t.Fatal("the document is not sealed on disk")
	}
	if !f.Has("2026-000123") || f.Has("other") {
		t.Fatal("Has is wrong")
	}
	got, err := f.Load("2026-000123")
	if err != nil || !bytes.Equal(got, pdf) {
		t.Fatalf("load: %v", err)
	}
	out, err := f.Export("2026-000123", filepath.Join(t.TempDir(), "open"), "certificato.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, pdf) {
		t.Fatal("export differs")
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Fatalf("export mode %v", st.Mode().Perm())
	}
	if _, err := f.Load("missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	for _, bad := range []string{"../x", "a/b", "", ".."} {
		if err := f.Save(bad, pdf); err == nil && bad != ".." {
			t.Errorf("unsafe name %q accepted", bad)
		}
	}
	// Renamed files cannot be passed off as another document.
	os.Rename(filepath.Join(f.Dir, "2026-000123.sealed"), filepath.Join(f.Dir, "2026-000999.sealed"))
	if _, err := f.Load("2026-000999"); err == nil {
		t.Fatal("a renamed document opened")
	}
}
