// Command scan is the scan benchmark: it renders the camera-like frames of
// bench/scan/scenes (a Sportello glyph on paper on a desk in the scenes A-G
// of the project's reference notes, shared/reference.md §6, frames with no
// code, page images), writes them as PGM files with a manifest, and has
// two decoders read the very same frames: Sportello's pipeline (core/scan,
// in process, on one core: a camera frame by a fresh Scanner, a page image
// — a still — by scan.Still, as the app reads a still image) and zxing-cpp (the npm
// package zxing-wasm, zxing-cpp compiled to WebAssembly, run by Node:
// bench/scan/zxing/read.mjs). It prints, for each scene, how many frames
// each read to the frame's text, misread, or read where there is no code,
// and the median time a frame; then the same for the ZXing "blackbox"
// images when they are at hand; and last one summary line:
//
//	scan: sportello X/Y zxing-cpp Z/Y median-ms A vs B misreads M false-positives F
//
// with Y the frames that show a code, the medians over all frames, and M
// and F Sportello's misreads and false positives.
//
//	go run ./bench/scan [-n 10] [-seed 1] [-scenes A,B,...] [-frames-dir DIR] [-v]
//
// make bench-scan installs what zxing-wasm needs and runs it. The run is
// bounded: at most maxFrames frames, and Node is stopped after
// zxingTimeout.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/sportello/sportello/bench/scan/scenes"
	"github.com/sportello/sportello/core/scan"
)

const (
	maxFrames    = 2000 // frames in one run, all scenes together
	zxingTimeout = 4 * time.Minute
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// frame is one frame of the run and what each decoder made of it.
type frame struct {
	scenes.Frame
	File string // the PGM file, relative to the frames' directory

	Sportello result
	Zxing     result
}

type result struct {
	Text  string
	Read  bool // something was read (Text), right or wrong
	Ms    float64
	Error string // an error other than "no code"
}

// manifestEntry is a line of manifest.json.
type manifestEntry struct {
	File    string  `json:"file"`
	Scene   string  `json:"scene"`
	Index   int     `json:"index"`
	Text    string  `json:"text"`
	Module  float64 `json:"px_per_module"`
	Version int     `json:"qr_version,omitempty"`
	Level   string  `json:"ecc_level,omitempty"`
	Width   int     `json:"width"`
	Height  int     `json:"height"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10, "frames per scene (P, the page images, gets half as many, at least 1)")
	seed := fs.Int64("seed", 1, "seed of the frames' geometry, light and noise")
	sceneList := fs.String("scenes", strings.Join(scenes.Scenes(), ","), "scenes to run, comma-separated")
	framesDir := fs.String("frames-dir", "", "keep the frames (PGM and PNG) and the manifest in this directory (default: a temporary one, removed)")
	zxingDir := fs.String("zxing", filepath.Join("bench", "scan", "zxing"), "directory of read.mjs and its node_modules; empty to skip zxing-cpp")
	node := fs.String("node", "node", "the Node.js executable")
	blackbox := fs.String("blackbox", "", "directory of ZXing blackbox sets (qrcode-1 ...); default: gozxing's in the Go module cache, when there")
	verbose := fs.Bool("v", false, "print every frame's outcome")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scan: unexpected arguments %q\n", fs.Args())
		return 2
	}
	names, err := parseScenes(*sceneList)
	if err != nil {
		fmt.Fprintln(stderr, "scan:", err)
		return 2
	}
	counts := map[string]int{}
	total := 0
	for _, s := range names {
		c := *n
		if s == "P" {
			c = max(*n/2, 1)
		}
		counts[s] = c
		total += c
	}
	if *n < 1 || total > maxFrames {
		fmt.Fprintf(stderr, "scan: -n %d: between 1 and %d frames in all, please\n", *n, maxFrames)
		return 2
	}

	dir := *framesDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "sportello-scan-bench-"); err != nil {
			fmt.Fprintln(stderr, "scan:", err)
			return 1
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "scan:", err)
		return 1
	}

	// Render and write the frames.
	var frames []*frame
	for _, s := range names {
		start := time.Now()
		for _, f := range scenes.Render(s, counts[s], *seed) {
			frames = append(frames, &frame{Frame: f, File: fmt.Sprintf("%s-%02d.pgm", f.Scene, f.Index)})
		}
		fmt.Fprintf(stderr, "rendered scene %s: %d frames in %.2f s\n", s, counts[s], time.Since(start).Seconds())
	}
	if err := writeFrames(dir, frames, *framesDir != ""); err != nil {
		fmt.Fprintln(stderr, "scan:", err)
		return 1
	}
	fmt.Fprintf(stderr, "wrote %d frames and manifest.json to %s\n", len(frames), dir)

	// Sportello, in process, on one core.
	readSportello(frames, stderr)

	// zxing-cpp, on the same files.
	zxingInfo := "zxing-cpp skipped"
	zxingRan := false
	if *zxingDir != "" {
		info, err := readZxing(*node, *zxingDir, dir, frames, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "scan: zxing-cpp:", err)
			fmt.Fprintln(stderr, "scan: install it with: npm ci --prefix bench/scan/zxing (make bench-scan does)")
			return 1
		}
		zxingInfo, zxingRan = info, true
	}

	report(stdout, frames, *seed, zxingInfo, zxingRan, *verbose)

	// The blackbox images, when at hand.
	bbDir := *blackbox
	if bbDir == "" {
		bbDir = findBlackbox()
	}
	if bbDir == "" {
		fmt.Fprintln(stdout, "blackbox: skipped: gozxing's qrcode/testdata is not in the Go module cache; give -blackbox DIR with qrcode-N folders")
	} else if err := runBlackbox(stdout, stderr, bbDir); err != nil {
		fmt.Fprintln(stderr, "scan: blackbox:", err)
		return 1
	}

	sum := summarize(frames)
	zx := "-"
	if zxingRan {
		zx = fmt.Sprintf("%d", sum.zxRead)
	}
	zxMs := "-"
	if zxingRan {
		zxMs = fmt.Sprintf("%.1f", sum.zxMedian)
	}
	fmt.Fprintf(stdout, "scan: sportello %d/%d zxing-cpp %s/%d median-ms %.1f vs %s misreads %d false-positives %d\n",
		sum.spRead, sum.withCode, zx, sum.withCode, sum.spMedian, zxMs, sum.spMisreads, sum.spFalse)
	return 0
}

func parseScenes(list string) ([]string, error) {
	known := scenes.Scenes()
	var out []string
	for s := range strings.SplitSeq(list, ",") {
		s = strings.ToUpper(strings.TrimSpace(s))
		if s == "" {
			continue
		}
		if !slices.Contains(known, s) {
			return nil, fmt.Errorf("unknown scene %q (scenes: %s)", s, strings.Join(known, ","))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no scene")
	}
	return out, nil
}

// writeFrames writes each frame as a binary PGM (and, to keep, as PNG),
// and manifest.json.
func writeFrames(dir string, frames []*frame, withPNG bool) error {
	var manifest []manifestEntry
	for _, f := range frames {
		if err := os.WriteFile(filepath.Join(dir, f.File), encodePGM(f.Luma), 0o644); err != nil {
			return err
		}
		if withPNG {
			var b bytes.Buffer
			if err := png.Encode(&b, f.Luma); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, strings.TrimSuffix(f.File, ".pgm")+".png"), b.Bytes(), 0o644); err != nil {
				return err
			}
		}
		manifest = append(manifest, manifestEntry{
			File: f.File, Scene: f.Scene, Index: f.Index, Text: f.Text, Module: math.Round(f.Module*100) / 100,
			Version: f.Version, Level: f.Level, Width: f.Luma.Rect.Dx(), Height: f.Luma.Rect.Dy(),
		})
	}
	js, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), append(js, '\n'), 0o644)
}

// encodePGM returns g as a binary 8-bit PGM (P5).
func encodePGM(g *image.Gray) []byte {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var b bytes.Buffer
	fmt.Fprintf(&b, "P5\n%d %d\n255\n", w, h)
	for y := range h {
		off := g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y)
		b.Write(g.Pix[off : off+w])
	}
	return b.Bytes()
}

// readSportello reads every frame as the app would (readOne: a camera
// frame with a fresh Scanner, no tracking state from the frame before; a
// page image as a still), on one core, timing each call.
func readSportello(frames []*frame, stderr io.Writer) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	// One read outside the measure, so that first-use costs are not a
	// frame's.
	_, _ = scan.NewScanner().Frame(frames[0].Luma)
	runtime.GC()
	scene, count, read := "", 0, 0
	progress := func() {
		if scene != "" {
			fmt.Fprintf(stderr, "sportello: scene %s: %d frames, %d read\n", scene, count, read)
		}
	}
	for _, f := range frames {
		if f.Scene != scene {
			progress()
			scene, count, read = f.Scene, 0, 0
		}
		start := time.Now()
		res, err := readOne(f)
		f.Sportello.Ms = float64(time.Since(start).Nanoseconds()) / 1e6
		switch {
		case err == nil:
			f.Sportello.Read, f.Sportello.Text = true, res.Text
			read++
		case !errors.Is(err, scan.ErrNotFound):
			f.Sportello.Error = err.Error()
		}
		count++
	}
	progress()
}

// readOne reads a frame as the app reads it: a camera frame by a fresh
// Scanner (DefaultFrameBudget), a page image (scene P: a photo or scan of
// a whole certificate page, a still image the app reads through
// scan.Image or scan.File) by scan.Still, within StillBudget.
func readOne(f *frame) (scan.Result, error) {
	if f.Scene == stillScene {
		return scan.Still(f.Luma)
	}
	return scan.NewScanner().Frame(f.Luma)
}

// stillScene is the scene of still images (pages), read as stills.
const stillScene = "P"

// zxingLine is a line of read.mjs's output.
type zxingLine struct {
	File  string  `json:"file"`
	Text  *string `json:"text"`
	Ms    float64 `json:"ms"`
	Error string  `json:"error"`

	ZxingWasm string `json:"zxing_wasm"`
	ZxingCpp  string `json:"zxing_cpp_commit"`
	Node      string `json:"node"`
}

// readZxing runs read.mjs on the frames' files and returns a description
// of the versions run.
func readZxing(node, zxingDir, framesDir string, frames []*frame, stderr io.Writer) (string, error) {
	script, err := filepath.Abs(filepath.Join(zxingDir, "read.mjs"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(zxingDir, "node_modules", "zxing-wasm")); err != nil {
		return "", fmt.Errorf("zxing-wasm is not installed in %s/node_modules", zxingDir)
	}
	list := filepath.Join(framesDir, "files.txt")
	var b strings.Builder
	byFile := map[string]*frame{}
	for _, f := range frames {
		path := filepath.Join(framesDir, f.File)
		b.WriteString(path + "\n")
		byFile[path] = f
	}
	if err := os.WriteFile(list, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	// Node's stderr and the progress lines go to stderr from two
	// goroutines.
	stderr = &lockedWriter{w: stderr}
	ctx, cancel := context.WithTimeout(context.Background(), zxingTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, "--list", list)
	cmd.Dir = zxingDir
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	info := ""
	done := map[string]int{}
	seen := 0
	for sc.Scan() {
		var l zxingLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return "", fmt.Errorf("read.mjs printed %q: %v", sc.Text(), err)
		}
		if l.ZxingWasm != "" {
			commit := l.ZxingCpp
			if len(commit) > 12 {
				commit = commit[:12]
			}
			info = fmt.Sprintf("zxing-wasm %s (zxing-cpp %s) on Node %s", l.ZxingWasm, commit, l.Node)
			continue
		}
		f := byFile[l.File]
		if f == nil {
			return "", fmt.Errorf("read.mjs read an unknown file %q", l.File)
		}
		f.Zxing.Ms, f.Zxing.Error = l.Ms, l.Error
		if l.Text != nil {
			f.Zxing.Read, f.Zxing.Text = true, *l.Text
		}
		seen++
		done[f.Scene]++
		if done[f.Scene] == countScene(frames, f.Scene) {
			fmt.Fprintf(stderr, "zxing-cpp: scene %s done (%d of %d frames)\n", f.Scene, seen, len(frames))
		}
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("stopped after %v", zxingTimeout)
		}
		return "", err
	}
	if seen != len(frames) {
		return "", fmt.Errorf("read.mjs answered for %d frames of %d", seen, len(frames))
	}
	return info, nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func countScene(frames []*frame, scene string) (n int) {
	for _, f := range frames {
		if f.Scene == scene {
			n++
		}
	}
	return n
}

// tally counts one decoder's outcomes on some frames.
type tally struct {
	frames, withCode        int
	read, misread, falsePos int
	ms                      []float64
}

func (t *tally) add(f *frame, r result) {
	t.frames++
	t.ms = append(t.ms, r.Ms)
	switch {
	case f.Text == "":
		if r.Read {
			t.falsePos++
		}
	case !r.Read:
	case r.Text == f.Text:
		t.read++
	default:
		t.misread++
	}
	if f.Text != "" {
		t.withCode++
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type summary struct {
	withCode, spRead, zxRead int
	spMisreads, spFalse      int
	spMedian, zxMedian       float64
}

func summarize(frames []*frame) summary {
	var sp, zx tally
	for _, f := range frames {
		sp.add(f, f.Sportello)
		zx.add(f, f.Zxing)
	}
	return summary{
		withCode: sp.withCode, spRead: sp.read, zxRead: zx.read,
		spMisreads: sp.misread, spFalse: sp.falsePos,
		spMedian: median(sp.ms), zxMedian: median(zx.ms),
	}
}

// report prints the table of scenes.
func report(w io.Writer, frames []*frame, seed int64, zxingInfo string, zxingRan, verbose bool) {
	fmt.Fprintf(w, "Scan benchmark: %d frames, seed %d. Sportello: core/scan in process, GOMAXPROCS=1; camera frames (A-G, N) by a fresh Scanner a frame (scan.NewScanner().Frame, budget %v), page images (%s, stills) as the app reads a still image (scan.Still, budget %v). zxing-cpp: %s.\n",
		len(frames), seed, scan.DefaultFrameBudget, stillScene, scan.StillBudget, zxingInfo)
	fmt.Fprintln(w, "read: decoded to the frame's text; ms: median per frame. zxing-cpp runs as WebAssembly, slower than native zxing-cpp: its ms are the wasm's.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scene\tframes\tpx/module\tQR versions\tsportello read\tzxing-cpp read\tsportello ms\tzxing-wasm ms\tratio\tmisreads s/z\tfalse positives s/z\t")
	var order []string
	for _, f := range frames {
		if !slices.Contains(order, f.Scene) {
			order = append(order, f.Scene)
		}
	}
	dash := func(ok bool, s string) string {
		if !ok {
			return "-"
		}
		return s
	}
	for _, s := range order {
		var sp, zx tally
		var modules []float64
		minV, maxV := 0, 0
		for _, f := range frames {
			if f.Scene != s {
				continue
			}
			sp.add(f, f.Sportello)
			zx.add(f, f.Zxing)
			if f.Text != "" {
				modules = append(modules, f.Module)
				if minV == 0 || f.Version < minV {
					minV = f.Version
				}
				maxV = max(maxV, f.Version)
			}
		}
		code := sp.withCode > 0
		spMs, zxMs := median(sp.ms), median(zx.ms)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t\n",
			s, sp.frames,
			dash(code, fmt.Sprintf("%.1f", median(modules))),
			dash(code, fmt.Sprintf("%d-%d", minV, maxV)),
			dash(code, fmt.Sprintf("%d/%d", sp.read, sp.withCode)),
			dash(code && zxingRan, fmt.Sprintf("%d/%d", zx.read, zx.withCode)),
			spMs,
			dash(zxingRan, fmt.Sprintf("%.1f", zxMs)),
			dash(zxingRan, fmt.Sprintf("%.2f", spMs/zxMs)),
			dash(code, fmt.Sprintf("%d/%s", sp.misread, dash(zxingRan, fmt.Sprint(zx.misread)))),
			dash(!code, fmt.Sprintf("%d/%s", sp.falsePos, dash(zxingRan, fmt.Sprint(zx.falsePos)))),
		)
	}
	tw.Flush()
	sum := summarize(frames)
	fmt.Fprintln(w)
	if zxingRan {
		fmt.Fprintf(w, "median ms a frame, all frames: sportello %.1f, zxing-wasm %.1f: ratio sportello/zxing-wasm %.2f (zxing-wasm is zxing-cpp compiled to WebAssembly, slower than native)\n",
			sum.spMedian, sum.zxMedian, sum.spMedian/sum.zxMedian)
	}
	if verbose {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "file\tQR\tpx/module\tsportello\tms\tzxing-cpp\tms\t")
		for _, f := range frames {
			qr := "-"
			if f.Text != "" {
				qr = fmt.Sprintf("%d-%s", f.Version, f.Level)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%.1f\t%s\t%.1f\t\n", f.File, qr, f.Module,
				outcome(f, f.Sportello), f.Sportello.Ms, dash(zxingRan, outcome(f, f.Zxing)), f.Zxing.Ms)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
}

func outcome(f *frame, r result) string {
	switch {
	case r.Error != "":
		return "error: " + r.Error
	case !r.Read:
		return "-"
	case f.Text == "":
		return "FALSE POSITIVE"
	case r.Text == f.Text:
		return "read"
	default:
		return "MISREAD"
	}
}
