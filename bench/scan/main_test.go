package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sportello/sportello/bench/scan/scenes"
)

var summaryLine = regexp.MustCompile(`(?m)^scan: sportello (\d+)/(\d+) zxing-cpp (\d+|-)/(\d+) median-ms [0-9.]+ vs ([0-9.]+|-) misreads (\d+) false-positives (\d+)$`)

func TestRunWithoutZxing(t *testing.T) {
	dir := t.TempDir()
	var out, errs bytes.Buffer
	code := run([]string{"-n", "1", "-scenes", "A,N,P", "-zxing", "", "-frames-dir", dir, "-blackbox", t.TempDir()}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	m := summaryLine.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no summary line in:\n%s", out.String())
	}
	if m[2] != "2" || m[3] != "-" {
		t.Errorf("summary: %s", m[0])
	}
	if !strings.HasSuffix(out.String(), m[0]+"\n") {
		t.Errorf("the summary is not the last line:\n%s", out.String())
	}
	for _, f := range []string{"A-00.pgm", "A-00.png", "N-00.pgm", "P-00.pgm", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestRunWithZxing runs zxing-cpp when it is installed (make bench-scan
// installs it; CI does not).
func TestRunWithZxing(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("no node")
	}
	if _, err := os.Stat("zxing/node_modules/zxing-wasm"); err != nil {
		t.Skip("zxing-wasm not installed: npm ci --prefix bench/scan/zxing")
	}
	var out, errs bytes.Buffer
	code := run([]string{"-n", "1", "-scenes", "A,N", "-zxing", "zxing", "-blackbox", t.TempDir()}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	m := summaryLine.FindStringSubmatch(out.String())
	if m == nil || m[3] != "1" || m[1] != "1" || m[6] != "0" || m[7] != "0" {
		t.Fatalf("summary %q in:\n%s", m, out.String())
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-scenes", "A,Z"}, {"-n", "0"}, {"-n", "1000"}, {"extra"}} {
		var out, errs bytes.Buffer
		if code := run(args, &out, &errs); code != 2 {
			t.Errorf("%q: exit %d", args, code)
		}
	}
}

func TestPGM(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 5, 3))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 10)
	}
	sub := g.SubImage(image.Rect(1, 1, 4, 3)).(*image.Gray)
	b := encodePGM(sub)
	want := "P5\n3 2\n255\n" + string([]byte{60, 70, 80, 110, 120, 130})
	if string(b) != want {
		t.Errorf("PGM %q, want %q", b, want)
	}
}

// TestBlackbox makes a set in the blackbox layout from rendered frames:
// NAME.png and the expected NAME.txt.
func TestBlackbox(t *testing.T) {
	dir := t.TempDir()
	set := filepath.Join(dir, "qrcode-1")
	if err := os.Mkdir(set, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, f := range scenes.Render("A", 2, 5) {
		var b bytes.Buffer
		if err := png.Encode(&b, f.Luma); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(set, fmt.Sprintf("%d.png", i+1)), b.Bytes())
		text := f.Text
		if i == 1 {
			text = "not this\n" // read, but not the expected text
		}
		write(t, filepath.Join(set, fmt.Sprintf("%d.txt", i+1)), []byte(text+"\n"))
	}
	write(t, filepath.Join(set, "3.png"), []byte("no expected text beside it, and no image"))
	var out, errs bytes.Buffer
	if err := runBlackbox(&out, &errs, dir); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "blackbox qrcode-1: sportello 1/3 gozxing 1/3\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
