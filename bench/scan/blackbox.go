package main

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // some blackbox images are GIF
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/sportello/sportello/core/scan"
)

const gozxingPath = "github.com/makiuchi-d/gozxing"

// findBlackbox returns the folder of gozxing's copies of ZXing's blackbox
// sets (qrcode/testdata/qrcode-1 and qrcode-6, in the Go module cache), or
// "" when it is not there.
func findBlackbox() string {
	version := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == gozxingPath {
				version = d.Version
			}
		}
	}
	if version == "" {
		return ""
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		out, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			return ""
		}
		cache = strings.TrimSpace(string(out))
	}
	dir := filepath.Join(cache, gozxingPath+"@"+version, "qrcode", "testdata")
	if sets, _ := filepath.Glob(filepath.Join(dir, "qrcode-*")); len(sets) == 0 {
		return ""
	}
	return dir
}

// runBlackbox reads every image of each qrcode-N set of dir with Sportello
// (scan.Bytes, as the app reads an image file) and with gozxing alone (its
// QR reader with TRY_HARDER on a HybridBinarizer), and prints the counts
// read right. An image with its expected text beside it (NAME.txt) counts
// when read to that text; gozxing's copies have none (its tests hold the
// texts), so there a read counts, and the two must agree where both read.
func runBlackbox(w, stderr io.Writer, dir string) error {
	sets, err := filepath.Glob(filepath.Join(dir, "qrcode-*"))
	if err != nil {
		return err
	}
	slices.SortFunc(sets, func(a, b string) int { return setNumber(a) - setNumber(b) })
	for _, set := range sets {
		start := time.Now()
		images, err := blackboxImages(set)
		if err != nil {
			return err
		}
		sp, gz, disagree := 0, 0, 0
		for _, img := range images {
			data, err := os.ReadFile(img)
			if err != nil {
				return err
			}
			want, err := os.ReadFile(strings.TrimSuffix(img, filepath.Ext(img)) + ".txt")
			known := err == nil
			res, serr := scan.Bytes(data)
			text, gok := readGozxing(data)
			if serr == nil && (!known || sameText(res.Text, string(want))) {
				sp++
			}
			if gok && (!known || sameText(text, string(want))) {
				gz++
			}
			if serr == nil && gok && res.Text != text {
				disagree++
			}
		}
		fmt.Fprintf(stderr, "blackbox %s: %d images in %.1f s\n", filepath.Base(set), len(images), time.Since(start).Seconds())
		fmt.Fprintf(w, "blackbox %s: sportello %d/%d gozxing %d/%d", filepath.Base(set), sp, len(images), gz, len(images))
		if disagree > 0 {
			fmt.Fprintf(w, " DISAGREE %d", disagree)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func setNumber(path string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(path), "qrcode-"))
	if err != nil {
		return 1 << 30
	}
	return n
}

// blackboxImages returns the images of set.
func blackboxImages(set string) ([]string, error) {
	entries, err := os.ReadDir(set)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg", ".gif":
		default:
			continue
		}
		out = append(out, filepath.Join(set, e.Name()))
	}
	return out, nil
}

// sameText compares a read with the expected text, which may end with a
// line break in its file.
func sameText(got, want string) bool {
	return got == want || got == strings.TrimRight(want, "\r\n")
}

func readGozxing(data []byte) (string, bool) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", false
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(img)))
	if err != nil {
		return "", false
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", false
	}
	return res.GetText(), true
}
