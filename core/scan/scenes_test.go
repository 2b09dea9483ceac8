package scan_test

// The benchmark scenes (bench/scan/scenes: the frames the decoders are
// compared on) read by Scanner.Frame on one core, as a phone gives the
// scanner one core, the page images (P, stills) by Still as the app reads
// a still image: per scene, how many frames read and the median time a
// frame. The test fails on a misread, a read of a frame with no code, or
// fewer reads than the floors below (what the pipeline reliably reaches).

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/bench/scan/scenes"
	"github.com/sportello/sportello/core/scan"
)

// sceneFloors are the fewest frames of ten each scene must read.
var sceneFloors = map[string]int{
	"A": 10, "B": 10, "C": 7, "D": 10, "E": 9, "F": 9, "G": 9, "N": 0, "P": 10,
}

func TestScenes(t *testing.T) {
	n := 10
	if testing.Short() || raceEnabled {
		n = 1 // the floors scale down to n frames
	}
	all := map[string][]scenes.Frame{}
	for _, name := range scenes.Scenes() {
		all[name] = scenes.Render(name, n, 1)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, name := range scenes.Scenes() {
		read, ample := 0, 0
		var times []time.Duration
		for _, f := range all[name] {
			start := time.Now()
			var res scan.Result
			var err error
			if name == "P" {
				// A page image is a still, read as the app reads one.
				res, err = scan.Still(f.Luma)
			} else {
				res, err = scan.NewScanner().Frame(f.Luma)
			}
			times = append(times, time.Since(start))
			if err != nil && f.Text != "" && name != "P" {
				// Missed in the frame budget: with time enough? (The
				// floors are on this count, so that a loaded machine
				// does not fail the test.)
				s := scan.NewScanner()
				s.SetBudget(2 * time.Second)
				res, err = s.Frame(f.Luma)
			} else if err == nil {
				read++
			}
			switch {
			case err == nil && res.Text == f.Text:
				ample++
			case err == nil && f.Text == "":
				t.Errorf("scene %s frame %d: read %.20q... in a frame with no code", name, f.Index, res.Text)
			case err == nil:
				t.Errorf("scene %s frame %d: read %.20q..., want %.20q...", name, f.Index, res.Text, f.Text)
			}
		}
		slices.Sort(times)
		t.Logf("scene %s: %d/%d read (%d with time enough), median %.1f ms, max %.1f ms", name, read, len(all[name]), ample,
			float64(times[len(times)/2].Microseconds())/1000, float64(times[len(times)-1].Microseconds())/1000)
		if floor := sceneFloors[name] * len(all[name]) / 10; ample < floor {
			t.Errorf("scene %s: %d/%d read, want at least %d", name, ample, len(all[name]), floor)
		}
	}
}

func BenchmarkScene(b *testing.B) {
	for _, name := range []string{"N", "G", "B"} {
		frames := scenes.Render(name, 10, 1)
		b.Run(name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				scan.NewScanner().Frame(frames[i%len(frames)].Luma)
			}
		})
	}
}
