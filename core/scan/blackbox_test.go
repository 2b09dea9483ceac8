package scan

import (
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// TestBlackbox reads ZXing's blackbox images that gozxing ships (qrcode-1
// and qrcode-6, in its module's testdata) with Image and with gozxing's
// own reader: Image must read every image gozxing reads, and no other
// text.
func TestBlackbox(t *testing.T) {
	if testing.Short() || budgetScale > 1 {
		t.Skip("slow under the race detector")
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skip("no go command")
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "github.com/makiuchi-d/gozxing@v0.1.1/qrcode/testdata")
	files, _ := filepath.Glob(filepath.Join(dir, "qrcode-*", "*.png"))
	if len(files) == 0 {
		t.Skip("gozxing's testdata not in the module cache")
	}
	ours, theirs := 0, 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(strings.NewReader(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
		want, gerr := qrcode.NewQRCodeReader().Decode(bmp, hintsHarder)
		res, err := Image(data)
		if gerr == nil {
			theirs++
			if err != nil || res.Text != want.GetText() {
				t.Errorf("%s: gozxing reads %q, Image %q, %v", file, want.GetText(), res.Text, err)
			}
		}
		if err == nil {
			ours++
		}
	}
	t.Logf("%d images: Image reads %d, gozxing (TRY_HARDER) %d", len(files), ours, theirs)
}
