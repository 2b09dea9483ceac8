package scan

import (
	"image"
	"math"
	"slices"
)

// The hand-written detector, for the frames gozxing's own detector misses
// (small modules, blur, uneven light, rotation and tilt). It binarises the
// plane itself, with a local mean threshold over an integral image (a
// Bradley threshold: the light falls unevenly over a page, and gozxing's
// 8x8-block binariser loses the rings of a blurred finder pattern), and
// finds finder patterns as runs of 1:1:3:1:1 along rows, cross-checked
// along columns: a line through the centre of a finder pattern crosses its
// rings in those proportions whatever the code's rotation. The sampling of
// the grid and the decoding are in sample.go.

// bitPlane is a binarised plane: 1 for dark, row after row, w a row.
type bitPlane struct {
	w, h int
	pix  []uint8
}

func (b *bitPlane) at(x, y int) uint8 {
	if x < 0 || y < 0 || x >= b.w || y >= b.h {
		return 0
	}
	return b.pix[y*b.w+x]
}

// integral is the summed-area table of a plane: sums[(y)*(w+1)+x] is the
// sum of the pixels above and left of (x, y).
type integral struct {
	w, h int
	sums []uint32
}

func (ii *integral) build(g *image.Gray) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	ii.w, ii.h = w, h
	n := (w + 1) * (h + 1)
	if cap(ii.sums) < n {
		ii.sums = make([]uint32, n)
	}
	ii.sums = ii.sums[:n]
	clear(ii.sums[:w+1])
	for y := range h {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		prev := ii.sums[y*(w+1) : (y+1)*(w+1)]
		cur := ii.sums[(y+1)*(w+1) : (y+2)*(w+1)]
		cur[0] = 0
		var s uint32
		for x, v := range row {
			s += uint32(v)
			cur[x+1] = prev[x+1] + s
		}
	}
}

// binarise sets b to the dark pixels of g: those darker than the mean of
// the win x win window around them by a fraction k of it, and by at least
// minDiff (flat regions and noise stay light). With smooth > 0 a pixel is
// taken as the mean of the box of that radius around it (noise). inverted
// swaps dark and light.
func binarise(b *bitPlane, g *image.Gray, ii *integral, win int, k float64, minDiff int, inverted bool, smooth int) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	b.w, b.h = w, h
	if cap(b.pix) < w*h {
		b.pix = make([]uint8, w*h)
	}
	b.pix = b.pix[:w*h]
	r := win / 2
	kf := int(k * 1024)
	W := w + 1
	sums := ii.sums
	for y := range h {
		y0, y1 := max(y-r, 0), min(y+r+1, h)
		top, bot := sums[y0*W:(y0+1)*W], sums[y1*W:(y1+1)*W]
		sy0, sy1 := max(y-smooth, 0), min(y+smooth+1, h)
		stop, sbot := sums[sy0*W:(sy0+1)*W], sums[sy1*W:(sy1+1)*W]
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		out := b.pix[y*w : (y+1)*w]
		// dark says whether a pixel of grey sum vs over ns pixels is dark
		// against a window of sum s over n pixels: with m = s/n and
		// v = vs/ns, m - v > k m and m - v >= minDiff, in integers.
		dark := func(vs, ns, s, n int) uint8 {
			d := s*ns - vs*n // n*ns*(m - v)
			if inverted {
				d = -d
			}
			if d*1024 > kf*s*ns && d >= minDiff*n*ns {
				return 1
			}
			return 0
		}
		lo, hi := min(max(r, smooth), w), max(min(w-r-1, w-smooth-1), 0)
		edge := func(x int) {
			x0, x1 := max(x-r, 0), min(x+r+1, w)
			s := int(bot[x1] + top[x0] - top[x1] - bot[x0])
			n := (x1 - x0) * (y1 - y0)
			vs, ns := int(row[x]), 1
			if smooth > 0 {
				sx0, sx1 := max(x-smooth, 0), min(x+smooth+1, w)
				vs = int(sbot[sx1] + stop[sx0] - stop[sx1] - sbot[sx0])
				ns = (sx1 - sx0) * (sy1 - sy0)
			}
			out[x] = dark(vs, ns, s, n)
		}
		for x := 0; x < min(lo, w); x++ {
			edge(x)
		}
		n := win * (y1 - y0)
		if r*2+1 != win {
			n = (2*r + 1) * (y1 - y0)
		}
		if smooth == 0 {
			for x := lo; x < hi; x++ {
				s := int(bot[x+r+1] + top[x-r] - top[x+r+1] - bot[x-r])
				d := s - int(row[x])*n
				if inverted {
					d = -d
				}
				if d*1024 > kf*s && d >= minDiff*n {
					out[x] = 1
				} else {
					out[x] = 0
				}
			}
		} else {
			ns := (2*smooth + 1) * (sy1 - sy0)
			for x := lo; x < hi; x++ {
				s := int(bot[x+r+1] + top[x-r] - top[x+r+1] - bot[x-r])
				vs := int(sbot[x+smooth+1] + stop[x-smooth] - stop[x+smooth+1] - sbot[x-smooth])
				d := s*ns - vs*n
				if inverted {
					d = -d
				}
				if d*1024 > kf*s*ns && d >= minDiff*n*ns {
					out[x] = 1
				} else {
					out[x] = 0
				}
			}
		}
		for x := max(hi, lo); x < w; x++ {
			edge(x)
		}
	}
}

// finder is a finder-pattern candidate, dark on light or (for an inverted
// code) light on dark: its centre, its size (the mean
// of its horizontal and vertical extents, seven modules and more when
// rotated) and how many rows confirmed it.
type finder struct {
	x, y  float64
	size  float64
	count int
	light bool // light on dark: the pattern of an inverted code
}

// ratioOK says whether five runs are in the proportions 1:1:3:1:1.
func ratioOK(r *[5]int) bool {
	tot := r[0] + r[1] + r[2] + r[3] + r[4]
	if tot < 7 {
		return false
	}
	// Each of the four outer runs within 0.7 modules of one module, the
	// middle one within 1.4 of three: |7 r - tot| <= 0.7 tot.
	for _, i := range [4]int{0, 1, 3, 4} {
		if d := 7*r[i] - tot; 10*max(d, -d) > 7*tot {
			return false
		}
	}
	d := 7*r[2] - 3*tot
	return 10*max(d, -d) < 14*tot && r[2] >= r[0] && r[2] >= r[4]
}

// crossCheck counts the runs through (x, y) along (dx, dy) in b: the dark
// run holding (x, y), then light, then dark, each way. It returns the five
// runs and the offset (in steps) of the centre of the middle one, ok when
// they are in proportion and no run is longer than maxRun.
func crossCheck(b *bitPlane, on uint8, x, y, dx, dy, maxRun int) (runs [5]int, centre float64, ok bool) {
	if x < 0 || y < 0 || x >= b.w || y >= b.h || b.at(x, y) != on {
		return runs, 0, false
	}
	// Forward.
	var fwd, back [3]int
	walk := func(sx, sy int, out *[3]int) bool {
		cx, cy, stage := x, y, 0
		want := on
		for stage < 3 {
			if cx < 0 || cy < 0 || cx >= b.w || cy >= b.h {
				return stage == 2 && out[2] > 0
			}
			if b.pix[cy*b.w+cx] == want {
				out[stage]++
				if out[stage] > maxRun {
					return false
				}
				cx += sx
				cy += sy
				continue
			}
			stage++
			want ^= 1
		}
		return true
	}
	if !walk(dx, dy, &fwd) || !walk(-dx, -dy, &back) {
		return runs, 0, false
	}
	runs = [5]int{back[2], back[1], fwd[0] + back[0] - 1, fwd[1], fwd[2]}
	if !ratioOK(&runs) {
		return runs, 0, false
	}
	// The middle run spans offsets -back[0]+1 .. fwd[0]-1.
	return runs, float64(fwd[0]-back[0]) / 2, true
}

// findFinders scans the rows of b (every step-th) for finder patterns and
// returns them, most confirmed first; nil when there are more than
// maxFinders (a plane tiled with them is not read).
func findFinders(b *bitPlane, step int, out []finder) []finder {
	out = out[:0]
	var r5 [5]int
	for y := step / 2; y < b.h; y += step {
		row := b.pix[y*b.w : (y+1)*b.w]
		// Run lengths with their end positions, the last five dark-led.
		var lens [5]int
		var n int // how many runs in lens are valid (up to 5)
		x := 0
		for x < len(row) {
			c := row[x]
			s := x
			for x < len(row) && row[x] == c {
				x++
			}
			// shift in the run
			copy(lens[:], lens[1:])
			lens[4] = x - s
			n = min(n+1, 5)
			if n < 5 {
				continue
			}
			r5 = lens
			if !ratioOK(&r5) {
				continue
			}
			tot := r5[0] + r5[1] + r5[2] + r5[3] + r5[4]
			cx := x - r5[4] - r5[3] - r5[2] + r5[2]/2
			vr, off, ok := crossCheck(b, c, cx, y, 0, 1, tot)
			if !ok {
				continue
			}
			vtot := vr[0] + vr[1] + vr[2] + vr[3] + vr[4]
			if vtot*2 < tot || vtot > 2*tot {
				continue
			}
			cy := y + int(math.Round(off))
			hr, hoff, ok := crossCheck(b, c, cx, cy, 1, 0, tot*2)
			if !ok {
				continue
			}
			htot := hr[0] + hr[1] + hr[2] + hr[3] + hr[4]
			fx, fy := float64(cx)+hoff+0.5, float64(y)+off+0.5
			size := float64(htot+vtot) / 2
			// A diagonal check weeds out patterns of lines.
			if _, _, ok := crossCheck(b, c, int(fx), int(fy), 1, 1, tot*2); !ok {
				if _, _, ok := crossCheck(b, c, int(fx), int(fy), 1, -1, tot*2); !ok {
					continue
				}
			}
			out = addFinder(out, finder{fx, fy, size, 1, c == 0})
			if len(out) > maxFinders {
				return nil
			}
		}
	}
	slices.SortStableFunc(out, func(a, b finder) int { return b.count - a.count })
	return out
}

const maxFinders = 120

// addFinder merges f with a candidate it is a new sighting of, or adds it.
func addFinder(fs []finder, f finder) []finder {
	for i := range fs {
		c := &fs[i]
		d := math.Hypot(c.x-f.x, c.y-f.y)
		if c.light == f.light && d < c.size/5 && f.size < c.size*1.5 && c.size < f.size*1.5 {
			n := float64(c.count)
			c.x = (c.x*n + f.x) / (n + 1)
			c.y = (c.y*n + f.y) / (n + 1)
			c.size = (c.size*n + f.size) / (n + 1)
			c.count++
			return fs
		}
	}
	return append(fs, f)
}

// outerEdge walks from the centre of a finder pattern along the unit
// vector (ux, uy) to the outer edge of its dark ring, returning the
// distance (3.5 modules), or 0 when the rings are not met in order within
// maxDist.
func outerEdge(b *bitPlane, on uint8, x, y, ux, uy, maxDist float64) float64 {
	stage := 0 // 0 centre dark, 1 light ring, 2 dark ring
	for t := 0.0; t < maxDist; t += 0.5 {
		px, py := int(x+ux*t), int(y+uy*t)
		if px < 0 || py < 0 || px >= b.w || py >= b.h {
			return 0
		}
		dark := b.pix[py*b.w+px] == on
		switch stage {
		case 0:
			if !dark {
				stage = 1
			}
		case 1:
			if dark {
				stage = 2
			}
		case 2:
			if !dark {
				return t
			}
		}
	}
	return 0
}
