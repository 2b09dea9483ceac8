package scan

import (
	"image"
	"math"
	"slices"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// From three finder patterns to a read: the geometry of the code (its
// dimension, measured along its own axes; the fourth corner, from the
// bottom-right alignment pattern found in the grey plane), a perspective
// transform from module to pixel coordinates, the grid sampled in the
// grey plane (bilinear, so that a module of two pixels is still read at
// its centre) and thresholded by the local mean of the samples (in module
// space: uneven light and blur), and gozxing's decoder, which checks the
// Reed-Solomon codes.

type pt struct{ x, y float64 }

func (p pt) sub(q pt) pt           { return pt{p.x - q.x, p.y - q.y} }
func (p pt) add(q pt) pt           { return pt{p.x + q.x, p.y + q.y} }
func (p pt) mul(s float64) pt      { return pt{p.x * s, p.y * s} }
func (p pt) norm() float64         { return math.Hypot(p.x, p.y) }
func cross(a, b pt) float64        { return a.x*b.y - a.y*b.x }
func dot(a, b pt) float64          { return a.x*b.x + a.y*b.y }
func unit(p pt) pt                 { return p.mul(1 / p.norm()) }
func fpt(f finder) pt              { return pt{f.x, f.y} }
func angleCos(a, b pt) float64     { return dot(a, b) / (a.norm() * b.norm()) }
func dist(a, b pt) float64         { return a.sub(b).norm() }
func similar(a, b, f float64) bool { return a < b*f && b < a*f }

// tri is a triple of finder patterns as a code's corners.
type tri struct {
	tl, tr, bl finder
	err        float64
}

// codeTriples are the triples of fs that could be one code's finder
// patterns, best first: similar sizes, two sides of similar length at
// about a right angle (perspective allows some of each), tl the corner at
// the right angle and tr, bl in the code's orientation (not mirrored).
func codeTriples(fs []finder, limit int) []tri {
	var out []tri
	for i := range fs {
		for j := i + 1; j < len(fs); j++ {
			if fs[i].light != fs[j].light || !similar(fs[i].size, fs[j].size, 2) {
				continue
			}
			for k := j + 1; k < len(fs); k++ {
				if fs[i].light != fs[k].light || !similar(fs[i].size, fs[k].size, 2) || !similar(fs[j].size, fs[k].size, 2) {
					continue
				}
				if t, ok := asTriple(fs[i], fs[j], fs[k]); ok {
					out = append(out, t)
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b tri) int {
		switch {
		case a.err < b.err:
			return -1
		case a.err > b.err:
			return 1
		}
		return 0
	})
	return out[:min(len(out), limit)]
}

func asTriple(a, b, c finder) (tri, bool) {
	// The corner at the right angle is opposite the longest side.
	ab, bc, ca := dist(fpt(a), fpt(b)), dist(fpt(b), fpt(c)), dist(fpt(c), fpt(a))
	var t tri
	switch {
	case bc >= ab && bc >= ca:
		t = tri{tl: a, tr: b, bl: c}
	case ca >= ab && ca >= bc:
		t = tri{tl: b, tr: c, bl: a}
	default:
		t = tri{tl: c, tr: a, bl: b}
	}
	vx, vy := fpt(t.tr).sub(fpt(t.tl)), fpt(t.bl).sub(fpt(t.tl))
	if cross(vx, vy) < 0 {
		t.tr, t.bl = t.bl, t.tr
		vx, vy = vy, vx
	}
	lx, ly := vx.norm(), vy.norm()
	size := (a.size + b.size + c.size) / 3
	// Modules between the centres: the size is 7 modules or more.
	if lx < 2*size || ly < 2*size || lx > 30*size || ly > 30*size {
		return t, false
	}
	sides := math.Abs(lx-ly) / math.Min(lx, ly)
	cosA := math.Abs(angleCos(vx, vy))
	if sides > 0.5 || cosA > 0.5 {
		return t, false
	}
	t.err = sides + cosA + math.Abs(a.size-b.size)/size + math.Abs(a.size-c.size)/size
	if a.count < 2 || b.count < 2 || c.count < 2 {
		t.err += 0.5 // seen on one row only
	}
	if a.light {
		t.err += 1 // inverted codes are rare
	}
	return t, true
}

// reader holds what the hand-written reading of one plane needs.
type reader struct {
	g        *image.Gray // the grey plane, origin at Rect.Min
	w        int
	h        int
	b        *bitPlane
	dec      *decoder.Decoder
	ok       func(string) bool // the caller's validator
	inv      bool              // the code read is light on dark
	deadline time.Time
	// scratch
	vals  []float64
	sharp []float64
}

func (r *reader) grey(x, y float64) float64 {
	// bilinear, clamped
	x -= 0.5
	y -= 0.5
	x = min(max(x, 0), float64(r.w-1)-1e-9)
	y = min(max(y, 0), float64(r.h-1)-1e-9)
	ix, iy := int(x), int(y)
	fx, fy := x-float64(ix), y-float64(iy)
	s := r.g.Stride
	p := r.g.Pix[iy*s+ix:]
	var a, b, c, d float64
	a = float64(p[0])
	if ix+1 < r.w {
		b = float64(p[1])
	} else {
		b = a
	}
	if iy+1 < r.h {
		c = float64(p[s])
		if ix+1 < r.w {
			d = float64(p[s+1])
		} else {
			d = c
		}
	} else {
		c, d = a, b
	}
	v := (a*(1-fx)+b*fx)*(1-fy) + (c*(1-fx)+d*fx)*fy
	if r.inv {
		return 255 - v
	}
	return v
}

// moduleAlong is the module size of the finder f measured along the unit
// vector u, from its rings in b; 0 when they cannot be measured.
func (r *reader) moduleAlong(f finder, u pt) float64 {
	maxD := f.size * 1.5
	on := uint8(1)
	if f.light {
		on = 0
	}
	a := outerEdge(r.b, on, f.x, f.y, u.x, u.y, maxD)
	c := outerEdge(r.b, on, f.x, f.y, -u.x, -u.y, maxD)
	if a == 0 || c == 0 || !similar(a, c, 1.8) {
		return 0
	}
	return (a + c) / 7
}

// readTriple tries to read the code whose finder patterns are t.
func (r *reader) readTriple(t tri) (Result, bool) {
	r.inv = t.tl.light
	tl, tr, bl := fpt(t.tl), fpt(t.tr), fpt(t.bl)
	ux, uy := unit(tr.sub(tl)), unit(bl.sub(tl))
	est := (t.tl.size + t.tr.size + t.bl.size) / 21
	mx := meanNonZero(r.moduleAlong(t.tl, ux), r.moduleAlong(t.tr, ux), est)
	my := meanNonZero(r.moduleAlong(t.tl, uy), r.moduleAlong(t.bl, uy), est)
	mods := (dist(tl, tr)/mx + dist(tl, bl)/my) / 2
	d0 := int(math.Round((mods+7-1)/4))*4 + 1
	tried := map[int]bool{}
	// Versions 7 and above say their version: a dimension misjudged by a
	// version or two is corrected so, and only that one is tried.
	dims := []int{d0, d0 + 4, d0 - 4}
	// The version information is read where a dimension puts it: seven
	// modules or so from a finder pattern's centre, so a dimension
	// misjudged by two versions (a module size measured some 8% off on a
	// blurred small code) misses it. It is looked for at the dimension
	// measured, then one and two versions either side; a version it says
	// is trusted only near the dimension it was read at.
	if d0 >= 41 {
	search:
		for _, c := range [...]int{d0, d0 + 4, d0 - 4, d0 + 8, d0 - 8} {
			if c < 45 || c > 177 {
				continue
			}
			h, ok := fitHomography([]pt{{3.5, 3.5}, {float64(c) - 3.5, 3.5}, {3.5, float64(c) - 3.5}}, []pt{tl, tr, bl})
			if !ok {
				continue
			}
			if v := r.versionInfo(h, c); v != 0 && iabs(v-c) <= 4 {
				dims = []int{v, d0}
				break search
			}
		}
	}
	for _, d := range dims {
		if d < 21 || d > 177 || tried[d] || time.Now().After(r.deadline) {
			continue
		}
		tried[d] = true
		if res, ok := r.readDim(tl, tr, bl, d); ok {
			return res, true
		}
	}
	return Result{}, false
}

func meanNonZero(a, b, fallback float64) float64 {
	switch {
	case a > 0 && b > 0:
		return (a + b) / 2
	case a > 0:
		return a
	case b > 0:
		return b
	}
	return fallback
}

// readDim reads the code as d modules a side.
func (r *reader) readDim(tl, tr, bl pt, d int) (Result, bool) {
	n := float64(d)
	src := []pt{{3.5, 3.5}, {n - 3.5, 3.5}, {3.5, n - 3.5}}
	dst := []pt{tl, tr, bl}
	h, ok := fitHomography(src, dst)
	if !ok {
		return Result{}, false
	}
	contrast := r.finderContrast(h, d)
	if contrast < 15 {
		return Result{}, false
	}
	// The alignment patterns, nearest the finder patterns first, each
	// looked for where the transform fitted so far puts it; the
	// transform is refitted to all found (perspective).
	ver, err := decoder.Version_GetProvisionalVersionForDimension(d)
	if err == nil && d >= 25 {
		cs := ver.GetAlignmentPatternCenters()
		type al struct{ u, v int }
		var als []al
		for _, a := range cs {
			for _, b := range cs {
				if (a == 6 && b == 6) || (a == 6 && b == d-7) || (a == d-7 && b == 6) {
					continue
				}
				als = append(als, al{a, b})
			}
		}
		slices.SortStableFunc(als, func(x, y al) int {
			if c := max(x.u, x.v) - max(y.u, y.v); c != 0 {
				return c
			}
			return (x.u + x.v) - (y.u + y.v)
		})
		found := 0
		for _, a := range als {
			if time.Now().After(r.deadline) {
				return Result{}, false
			}
			u, v := float64(a.u)+0.5, float64(a.v)+0.5
			p := h.apply(u, v)
			ex, ey := h.apply(u+1, v).sub(p), h.apply(u, v+1).sub(p)
			radius := 2.5
			if found == 0 {
				radius = 5
			}
			if c, ok := r.alignment(p, ex, ey, radius, contrast); ok {
				src = append(src, pt{u, v})
				dst = append(dst, c)
				found++
				if found >= 1 && len(src) >= 4 {
					if nh, ok := fitHomography(src, dst); ok {
						h = nh
					}
				}
			}
		}
	}
	return r.sampleDecode(h, d)
}

// finderContrast is the difference in grey between the light ring and the
// dark centre of the top-left finder pattern.
func (r *reader) finderContrast(h homography, d int) float64 {
	c := h.apply(3.5, 3.5)
	dark := r.grey(c.x, c.y)
	var light float64
	for _, q := range [4]pt{{2, 3.5}, {5, 3.5}, {3.5, 2}, {3.5, 5}} {
		p := h.apply(q.x, q.y)
		light += r.grey(p.x, p.y)
	}
	return light/4 - dark
}

// alignment looks for an alignment pattern around p, the module axes being
// ex, ey: the best match of its 5x5 template (a dark centre, a light ring,
// a dark ring) within radius modules, if its contrast is at least a third
// of the finder patterns'.
func (r *reader) alignment(p, ex, ey pt, radius, contrast float64) (pt, bool) {
	m := (ex.norm() + ey.norm()) / 2
	rad := max(radius*m, 3)
	step := max(1, m/2)
	score := func(c pt) float64 {
		var dark, light float64
		for j := -2; j <= 2; j++ {
			for i := -2; i <= 2; i++ {
				q := c.add(ex.mul(float64(i))).add(ey.mul(float64(j)))
				v := r.grey(q.x, q.y)
				if max(iabs(i), iabs(j)) == 1 {
					light += v
				} else {
					dark += v
				}
			}
		}
		return light/8 - dark/17
	}
	best, bestS := p, math.Inf(-1)
	for dy := -rad; dy <= rad; dy += step {
		for dx := -rad; dx <= rad; dx += step {
			c := pt{p.x + dx, p.y + dy}
			if s := score(c); s > bestS {
				best, bestS = c, s
			}
		}
	}
	// Refine around the best.
	for _, st := range []float64{step / 2, step / 4} {
		c0 := best
		for dy := -2.0; dy <= 2; dy++ {
			for dx := -2.0; dx <= 2; dx++ {
				c := pt{c0.x + dx*st, c0.y + dy*st}
				if s := score(c); s > bestS {
					best, bestS = c, s
				}
			}
		}
	}
	return best, bestS > contrast/3
}

// versionInfo reads the version information next to the top-right finder
// pattern (and then the bottom-left one) and returns the dimension it
// says, or 0.
func (r *reader) versionInfo(h homography, d int) int {
	read := func(at func(i, j int) (float64, float64)) int {
		var k int
		var vals [18]float64
		for i := 5; i >= 0; i-- {
			for j := 2; j >= 0; j-- {
				p := h.apply(at(i, j))
				vals[k] = r.grey(p.x, p.y)
				k++
			}
		}
		lo, hi := slices.Min(vals[:]), slices.Max(vals[:])
		if hi-lo < 20 {
			return 0
		}
		th := (lo + hi) / 2
		bits := 0
		for _, v := range vals {
			bits <<= 1
			if v < th {
				bits |= 1
			}
		}
		ver, err := decoder.Version_decodeVersionInformation(bits)
		if err != nil || ver == nil {
			return 0
		}
		return ver.GetDimensionForVersion()
	}
	n := float64(d)
	// Top right: 3 wide (columns d-11..d-9), 6 tall; bit order as
	// gozxing's parser reads it (copyBit(i, j) for j 5..0, i d-9..d-11).
	if v := read(func(j, i int) (float64, float64) { return n - 11 + float64(i) + 0.5, float64(j) + 0.5 }); v != 0 {
		return v
	}
	return read(func(i, j int) (float64, float64) { return float64(i) + 0.5, n - 11 + float64(j) + 0.5 })
}

// sampleDecode samples the d x d grid through h and decodes it, with a few
// thresholds.
func (r *reader) sampleDecode(h homography, d int) (res Result, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			res, ok = Result{}, false
		}
	}()
	nn := d * d
	if cap(r.vals) < nn {
		r.vals = make([]float64, nn)
	}
	vals := r.vals[:nn]
	var c [4]pt
	for i, q := range [4]pt{{0, 0}, {float64(d), 0}, {0, float64(d)}, {float64(d), float64(d)}} {
		c[i] = h.apply(q.x, q.y)
	}
	// The module size in pixels, for averaging a few samples a module.
	mpx := (dist(c[0], c[1]) + dist(c[0], c[2]) + dist(c[3], c[1]) + dist(c[3], c[2])) / (4 * float64(d))
	off := 0.0
	if mpx >= 3 {
		off = mpx * 0.2
	}
	outside := 0
	for j := range d {
		for i := range d {
			p := h.apply(float64(i)+0.5, float64(j)+0.5)
			x, y := p.x, p.y
			if x < -1 || y < -1 || x > float64(r.w)+1 || y > float64(r.h)+1 {
				outside++
				if outside > nn/20 {
					return Result{}, false
				}
			}
			v := r.grey(x, y)
			if off > 0 {
				v = (2*v + r.grey(x-off, y-off) + r.grey(x+off, y-off) + r.grey(x-off, y+off) + r.grey(x+off, y+off) +
					r.grey(x-off, y) + r.grey(x+off, y) + r.grey(x, y-off) + r.grey(x, y+off)) / 10
			}
			vals[j*d+i] = v
		}
	}
	bits, _ := gozxing.NewSquareBitMatrix(d)
	// Thresholds: the local mean over windows of a few modules (in
	// module space).
	if cap(r.sharp) < nn {
		r.sharp = make([]float64, nn)
	}
	sharp := r.sharp[:nn]
	// The sampled grid sharpened (an unsharp mask in module space: a
	// blurred module takes some of its neighbours' grey).
	for j := range d {
		for i := range d {
			v := vals[j*d+i]
			var s float64
			for _, o := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
				ii, jj := min(max(i+o[0], 0), d-1), min(max(j+o[1], 0), d-1)
				s += vals[jj*d+ii]
			}
			sharp[j*d+i] = v + 0.35*(4*v-s)
		}
	}
	for _, variant := range [...]struct {
		vals []float64
		win  int
	}{{vals, 3}, {sharp, 3}, {vals, 6}} {
		localThreshold(bits, variant.vals, d, variant.win)
		if res, ok := r.decode(bits, c); ok {
			return res, true
		}
	}
	return Result{}, false
}

// localThreshold sets bits to the modules darker than the mean of the
// modules within win of them.
func localThreshold(bits *gozxing.BitMatrix, vals []float64, d, win int) {
	// Integral over the module grid.
	W := d + 1
	ii := make([]float64, W*W)
	for j := range d {
		s := 0.0
		for i := range d {
			s += vals[j*d+i]
			ii[(j+1)*W+i+1] = ii[j*W+i+1] + s
		}
	}
	bits.Clear()
	for j := range d {
		j0, j1 := max(j-win, 0), min(j+win+1, d)
		for i := range d {
			i0, i1 := max(i-win, 0), min(i+win+1, d)
			s := ii[j1*W+i1] + ii[j0*W+i0] - ii[j0*W+i1] - ii[j1*W+i0]
			mean := s / float64((j1-j0)*(i1-i0))
			if vals[j*d+i] < mean {
				bits.Set(i, j)
			}
		}
	}
}

// decode decodes the sampled bits; corners are the code's corners in
// pixels, for its bounds.
func (r *reader) decode(bits *gozxing.BitMatrix, c [4]pt) (Result, bool) {
	dr, err := r.dec.Decode(bits, nil)
	if err != nil || dr == nil || dr.HasStructuredAppend() {
		return Result{}, false
	}
	text := dr.GetText()
	if r.ok != nil && !r.ok(text) {
		return Result{}, false
	}
	minX, minY := min(c[0].x, c[1].x, c[2].x, c[3].x), min(c[0].y, c[1].y, c[2].y, c[3].y)
	maxX, maxY := max(c[0].x, c[1].x, c[2].x, c[3].x), max(c[0].y, c[1].y, c[2].y, c[3].y)
	b := image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY))).Intersect(image.Rect(0, 0, r.w, r.h))
	return Result{Text: text, Bounds: b.Add(r.g.Rect.Min)}, true
}

func iabs(v int) int { return max(v, -v) }
