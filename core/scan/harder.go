package scan

import (
	"image"
	"math"
	"slices"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// The harder reading. gozxing's single-code finder stops at the first
// three finder-like patterns it confirms, and the data of a large code can
// hold one: a version 17 glyph, printed cleanly, was missed so. gozxing's
// multi-code reader looks at every row and tries every plausible triple,
// but with no bound: a frame tiled with finder patterns (a poster, a
// forged file) kept it busy for minutes. This is that reader's search with
// bounds, built from gozxing's own pieces (its finder-pattern checks, its
// detector from three patterns, its decoder): every third row is scanned
// for 1:1:3:1:1 runs cross-checked vertically, horizontally and
// diagonally; past maxCandidates patterns the plane is given up (and not
// given to gozxing's finder either: see decodePlane); triples
// that could be a code's corners (similar module sizes, two equal sides
// at a right angle) are tried best first, at most maxTriples of them.

const (
	maxCandidates = 48
	maxTriples    = 64
	// Modules between two finder patterns' centres a code can have.
	minModulesPerEdge, maxModulesPerEdge = 9, 180
)

// readHarder reads a code from the bit matrix m trying every plausible
// triple of its finder patterns cands. A panic of the decoder is no read.
func readHarder(m *gozxing.BitMatrix, cands []*detector.FinderPattern, origin image.Point) (res Result, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			res, ok = Result{}, false
		}
	}()
	dec := decoder.NewDecoder()
	for _, t := range triples(cands) {
		det, err := detector.NewDetector(m).ProcessFinderPatternInfo(detector.NewFinderPatternInfo(t[0], t[1], t[2]))
		if err != nil {
			continue
		}
		r, err := dec.Decode(det.GetBits(), hintsHarder)
		if err != nil || r == nil || r.HasStructuredAppend() {
			continue
		}
		return Result{Text: r.GetText(), Bounds: bounds(det.GetPoints(), m.GetWidth(), m.GetHeight()).Add(origin)}, true
	}
	return Result{}, false
}

// candidates are the finder patterns of the bit matrix; few is false when
// there are more than maxCandidates (and the search stopped there). A
// panic of gozxing's checks is taken as too many.
func candidates(m *gozxing.BitMatrix) (cands []*detector.FinderPattern, few bool) {
	defer func() {
		if p := recover(); p != nil {
			cands, few = nil, false
		}
	}()
	f := detector.NewFinderPatternFinder(m, nil)
	maxI, maxJ := m.GetHeight(), m.GetWidth()
	state := make([]int, 5)
	for i := detector.FinderPatternFinder_MIN_SKIP - 1; i < maxI; i += detector.FinderPatternFinder_MIN_SKIP {
		clear(state)
		cur := 0 // the index in state of the run being counted: even black, odd white
		for j := range maxJ {
			if m.Get(j, i) {
				if cur&1 == 1 {
					cur++
				}
				state[cur]++
				continue
			}
			if cur&1 == 1 {
				state[cur]++
				continue
			}
			if cur < 4 {
				cur++
				state[cur]++
				continue
			}
			if detector.FinderPatternFinder_foundPatternCross(state) && f.HandlePossibleCenter(state, i, j) {
				cur = 0
				clear(state)
			} else {
				detector.FinderPatternFinder_doShiftCounts2(state)
				cur = 3
			}
		}
		if detector.FinderPatternFinder_foundPatternCross(state) {
			f.HandlePossibleCenter(state, i, maxJ)
		}
		if len(f.GetPossibleCenters()) > maxCandidates {
			return nil, false
		}
	}
	return f.GetPossibleCenters(), true
}

// triples are the triples of candidates that could be the corners of one
// code, as (bottom-left, top-left, top-right), best first.
func triples(cs []*detector.FinderPattern) [][3]*detector.FinderPattern {
	type triple struct {
		p   [3]*detector.FinderPattern
		err float64
	}
	var out []triple
	similar := func(a, b *detector.FinderPattern) bool {
		sa, sb := a.GetEstimatedModuleSize(), b.GetEstimatedModuleSize()
		d := math.Abs(sa - sb)
		return d <= 0.5 || d/math.Min(sa, sb) < 0.05
	}
	for i := 0; i < len(cs); i++ {
		for j := i + 1; j < len(cs); j++ {
			if !similar(cs[i], cs[j]) {
				continue
			}
			for k := j + 1; k < len(cs); k++ {
				if !similar(cs[i], cs[k]) || !similar(cs[j], cs[k]) {
					continue
				}
				bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(cs[i], cs[j], cs[k])
				a := gozxing.ResultPoint_Distance(tl, bl)
				b := gozxing.ResultPoint_Distance(tl, tr)
				c := gozxing.ResultPoint_Distance(tr, bl)
				modules := (a + b) / (2 * cs[i].GetEstimatedModuleSize())
				if modules < minModulesPerEdge || modules > maxModulesPerEdge {
					continue
				}
				sides := math.Abs(a-b) / math.Min(a, b)
				hyp := math.Sqrt(a*a + b*b)
				angle := math.Abs(c-hyp) / math.Min(c, hyp)
				if sides >= 0.1 || angle >= 0.1 {
					continue
				}
				out = append(out, triple{[3]*detector.FinderPattern{
					bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern)}, sides + angle})
			}
		}
	}
	slices.SortStableFunc(out, func(x, y triple) int {
		switch {
		case x.err < y.err:
			return -1
		case x.err > y.err:
			return 1
		}
		return 0
	})
	res := make([][3]*detector.FinderPattern, 0, min(len(out), maxTriples))
	for _, t := range out[:min(len(out), maxTriples)] {
		res = append(res, t.p)
	}
	return res
}
