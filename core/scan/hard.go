package scan

import (
	"image"
	"sync"
	"time"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// binarisation is one way of binarising a plane for the hand-written
// finder search: a local mean threshold over a window of win pixels, a
// pixel dark when a fraction k and minDiff grey levels below the mean,
// after a box filter of radius smooth (against noise).
type binarisation struct {
	win     int
	k       float64
	minDiff int
	smooth  int
}

var (
	// Blur, noise, uneven light (the smoothing keeps the rings of a
	// blurred finder pattern whole).
	binSmooth = binarisation{41, 0.05, 4, 1}
	// Small modules: no smoothing, a wide window and a firm threshold.
	binWide = binarisation{81, 0.12, 8, 0}
	// Others, for the frames with finder patterns that the two first
	// did not read.
	binPlain  = binarisation{41, 0.08, 6, 0}
	binNarrow = binarisation{21, 0.04, 4, 0}
	binSoft   = binarisation{41, 0.04, 3, 2}
)

// scratch is what a Scanner keeps between frames to spare allocations.
type scratch struct {
	ii      integral
	iiFor   *image.Gray // the plane ii was built for
	b       bitPlane
	fs      []finder
	dec     *decoder.Decoder
	vals    []float64
	sharp   []float64
	strong  int // the most finder patterns seen twice or more in one pass
	stopped bool
}

// planes are the large buffers of a scratch (the integral image and the
// bit plane, some 5 MB for a 1280x720 frame), pooled: a Scanner borrows
// them for a frame, so that a new Scanner (or a still image) does not
// allocate and fault them in anew, nor leave them to the collector.
type planes struct {
	sums []uint32
	pix  []uint8
}

var planePool = sync.Pool{New: func() any { return new(planes) }}

// borrow gives sc pooled buffers; release returns them.
func (sc *scratch) borrow() {
	p := planePool.Get().(*planes)
	sc.ii.sums, sc.b.pix, sc.iiFor = p.sums, p.pix, nil
}

func (sc *scratch) release() {
	planePool.Put(&planes{sums: sc.ii.sums, pix: sc.b.pix})
	sc.ii.sums, sc.b.pix, sc.iiFor = nil, nil, nil
}

// How many triples of finder patterns one pass tries: a cheap pass, on
// every frame, a few; a pass on a frame with finder patterns, more.
const (
	cheapTriples = 6
	handTriples  = 24
)

// readHand reads g with the hand-written detector after the binarisation
// bz, trying at most limit triples of finder patterns, until the deadline. It records in sc.strong how many finder
// patterns it saw confirmed (whether the frame is worth more work).
func (sc *scratch) readHand(g *image.Gray, bz binarisation, limit int, accept func(string) bool, deadline time.Time) (Result, bool) {
	if g.Rect.Dx() < 21 || g.Rect.Dy() < 21 {
		return Result{}, false
	}
	if sc.dec == nil {
		sc.dec = decoder.NewDecoder()
	}
	if sc.iiFor != g {
		sc.ii.build(g)
		sc.iiFor = g
	}
	r := &reader{g: g, w: g.Rect.Dx(), h: g.Rect.Dy(), b: &sc.b, dec: sc.dec, ok: accept, vals: sc.vals, sharp: sc.sharp, deadline: deadline}
	defer func() { sc.vals, sc.sharp = r.vals, r.sharp }()
	binarise(&sc.b, g, &sc.ii, bz.win, bz.k, bz.minDiff, false, bz.smooth)
	sc.fs = findFinders(&sc.b, 1, sc.fs)
	strong := 0
	for _, f := range sc.fs {
		if f.count >= 2 {
			strong++
		}
	}
	sc.strong = max(sc.strong, strong)
	if len(sc.fs) < 3 {
		return Result{}, false
	}
	for _, t := range codeTriples(sc.fs, limit) {
		if time.Now().After(deadline) {
			sc.stopped = true
			break
		}
		if res, ok := r.readTriple(t); ok {
			return res, true
		}
	}
	return Result{}, false
}
