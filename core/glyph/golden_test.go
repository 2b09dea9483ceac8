package glyph

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "write the format v1 glyphs in testdata anew")

// goldenGlyphs are glyphs made once, with testKey(1), and kept: every later
// version of this package must still decode and verify them to the same
// claims, since printed certificates outlive the code that made them.
func goldenGlyphs(tb testing.TB) map[string]Claims {
	return map[string]Claims{
		"residenza.v1.txt":         residenza(tb),
		"stato_di_famiglia.v1.txt": statoDiFamiglia(tb, false),
	}
}

func TestGolden(t *testing.T) {
	key := testKey(t, 1)
	for name, c := range goldenGlyphs(t) {
		path := filepath.Join("testdata", name)
		if *updateGolden {
			if err := os.WriteFile(path, []byte(encode(t, c, key)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := decodeVerify(strings.TrimSuffix(string(b), "\n"), keysOf(key))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(p.Claims, c) {
			t.Errorf("%s: claims differ:\n got %+v\nwant %+v", name, p.Claims, c)
		}
	}
}
