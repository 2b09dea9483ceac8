// Package scenes renders the frames of the scan benchmark (bench/scan): 8-bit
// luminance planes such as a phone or laptop camera gives, of a Sportello
// certificate's glyph (a QR code printed on white paper, lying on a grey
// desk) in the benchmark scenes of the project's reference notes
// (shared/reference.md §6), plus frames with no code, and page images of
// printed certificates.
//
// Everything is deterministic: a frame is a function of its scene, its
// index and the seed only (not of how many frames are asked for, nor of
// the number of cores), so two runs, or two engineers, measure the very
// same pixels.
//
// # Scenes
//
// Frames are 1280x720 except P's. Each frame jitters its position, its
// angle (±2°), its module size (±5%) and the direction of its light
// gradient; the glyph and its error-correction level cycle through Glyphs
// (ECC M, as the certificates print it, and on one frame in four Q).
//
//	A  clean, 5 px/module
//	B  rotated 15°, Gaussian blur sigma 1, noise 8
//	C  rotated 37° and tilted 35° in perspective, blur 1.5, noise 12, light gradient
//	D  3 px/module, rotated 5°, blur 1, noise 6
//	E  2.2 px/module, rotated 10°, blur 0.8
//	F  off-centre, rotated 80°, blur 2, noise 10
//	G  rotated 25°, blur 2.5, noise 15, light gradient
//	N  no code: the desk, or paper with text-like lines, a linear barcode, a
//	   square logo, under varying blur, noise and light
//	P  a page image of a printed certificate (A4 at about 150 dpi,
//	   1240x1754): text-like lines and the glyph at 0.5 mm a module (about
//	   3 px) at the bottom right, rotated 1-3°, blur 0.7, noise 3
//
// Unless a scene says otherwise a code has 5 px a module; a code too large
// to fit the frame at its angle is drawn smaller (Frame.Module says how
// large it was drawn), and no scene uses a larger noise or blur than listed.
//
// # Rendering
//
// The code is printed on a sheet: a white quadrilateral with the code and
// its 4-module quiet zone, a few modules more of paper around it (or a
// whole page), slightly off-white, the ink not quite black. The sheet lies
// on a grey desk with a mild texture. Each output pixel is mapped back
// through the homography of the sheet (a rotation, a scale and, for C, a
// perspective tilt seen by a pinhole camera) and its value is the mean of
// 3x3 samples where the pixel straddles an edge, so edges are anti-aliased
// as a camera's are. Then comes the light gradient, a separable Gaussian
// blur, Gaussian noise, and rounding to 0..255.
package scenes

import (
	_ "embed"
	"fmt"
	"hash/fnv"
	"image"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// Frame is one rendered frame.
type Frame struct {
	Scene string
	Index int
	// Luma is the 8-bit luminance plane.
	Luma *image.Gray
	// Text is the code's content exactly, "" for a frame with no code.
	Text string
	// Module is how many pixels a module of the code measures (at the
	// code's centre, for a tilted code); 0 for a frame with no code.
	Module float64
	// Version is the code's QR version and Level its error correction
	// level ("M" or "Q"); 0 and "" for a frame with no code.
	Version int
	Level   string
}

// Scenes returns the names of the scenes, in order.
func Scenes() []string { return []string{"A", "B", "C", "D", "E", "F", "G", "N", "P"} }

//go:embed glyphs.txt
var glyphsTxt string

// Glyphs returns the texts of the glyphs the frames show, smallest first:
// real glyphs ("TD1:" + Base45) of a nascita, a residenza, a stato di
// famiglia of 3, of 5 (with the holder's codice fiscale) and of 6 members,
// and a cumulative residenza, cittadinanza and stato di famiglia of 6,
// signed by glyph.Encode with a fixed key (QR versions 10 to 18 at ECC M,
// 12 to 22 at Q). They are kept in glyphs.txt, because a signature is
// random and the frames must not change from run to run; the package's
// test checks they still decode and verify, and `go test -run TestGlyphs
// -update` signs them anew.
func Glyphs() []string {
	return strings.Split(strings.TrimSuffix(glyphsTxt, "\n"), "\n")
}

// params are a scene's settings.
type params struct {
	w, h      int
	module    float64 // nominal pixels per module; 0 for no code
	angle     float64 // degrees
	tilt      float64 // degrees of perspective tilt of the sheet
	blur      float64 // Gaussian sigma, pixels
	noise     float64 // Gaussian sigma, grey levels
	gradient  float64 // light fall-off across the frame, as a fraction
	offCentre bool
	page      bool // P: a whole printed page
}

var sceneParams = map[string]params{
	"A": {w: 1280, h: 720, module: 5},
	"B": {w: 1280, h: 720, module: 5, angle: 15, blur: 1, noise: 8},
	"C": {w: 1280, h: 720, module: 5, angle: 37, tilt: 35, blur: 1.5, noise: 12, gradient: 0.3},
	"D": {w: 1280, h: 720, module: 3, angle: 5, blur: 1, noise: 6},
	"E": {w: 1280, h: 720, module: 2.2, angle: 10, blur: 0.8},
	"F": {w: 1280, h: 720, module: 5, angle: 80, blur: 2, noise: 10, offCentre: true},
	"G": {w: 1280, h: 720, module: 5, angle: 25, blur: 2.5, noise: 15, gradient: 0.3},
	"N": {w: 1280, h: 720},
	"P": {w: 1240, h: 1754, module: 150 / 25.4 * 0.5, blur: 0.7, noise: 3, page: true},
}

// Render returns frames 0 to n-1 of scene, for seed. Frame i is the same
// whatever n. The frames are rendered in parallel on GOMAXPROCS cores. It
// panics on an unknown scene.
func Render(scene string, n int, seed int64) []Frame {
	if _, ok := sceneParams[scene]; !ok {
		panic(fmt.Sprintf("scenes: unknown scene %q", scene))
	}
	frames := make([]Frame, max(n, 0))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(frames)) {
		wg.Go(func() {
			for i := range next {
				frames[i] = plan(scene, i, seed, false).render()
			}
		})
	}
	for i := range frames {
		next <- i
	}
	close(next)
	wg.Wait()
	return frames
}

// frameRand returns the random source of one frame: a function of the
// scene, the index and the seed only.
func frameRand(scene string, index int, seed int64, stream string) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d/%d/%s", scene, index, seed, stream)
	return rand.New(rand.NewPCG(h.Sum64(), uint64(seed)^0x9e3779b97f4a7c15))
}

// qrMatrix returns the modules of text's QR code (1 for dark), row by row,
// and its version; codes are kept, each taking about a millisecond to
// build.
func qrMatrix(text string, level decoder.ErrorCorrectionLevel) ([]uint8, int, int) {
	key := qrKey{text, level}
	if c, ok := qrCache.Load(key); ok {
		c := c.(qrCode)
		return c.modules, c.dim, c.version
	}
	code, err := encoder.Encoder_encode(text, level, nil)
	if err != nil {
		panic(fmt.Sprintf("scenes: QR encoding: %v", err))
	}
	m := code.GetMatrix()
	dim := m.GetWidth()
	modules := make([]uint8, dim*dim)
	for y := range dim {
		for x := range dim {
			if m.Get(x, y) == 1 {
				modules[y*dim+x] = 1
			}
		}
	}
	c := qrCode{modules, dim, code.GetVersion().GetVersionNumber()}
	qrCache.Store(key, c)
	return c.modules, c.dim, c.version
}

type qrKey struct {
	text  string
	level decoder.ErrorCorrectionLevel
}

type qrCode struct {
	modules      []uint8
	dim, version int
}

var qrCache sync.Map

// frameSpec is everything a frame is made of, drawn from its random
// source: render turns it into pixels.
type frameSpec struct {
	scene   string
	index   int
	seed    int64
	p       params
	text    string
	level   string
	version int
	sheet   *sheet
	h       homography // sheet units to pixels
	m       float64    // pixels per sheet unit at the sheet's centre
	desk    desk
	gradDir float64 // radians
}

// plan draws frame index of scene. clean keeps the glyph, its level and
// the layout of the sheet but draws it plainly: 5 px a module or more,
// upright, with no tilt, blur, noise nor light gradient (the renderer's
// own test reads those).
func plan(scene string, index int, seed int64, clean bool) *frameSpec {
	p := sceneParams[scene]
	r := frameRand(scene, index, seed, "plan")
	f := &frameSpec{scene: scene, index: index, seed: seed, p: p}
	f.desk = newDesk(r, p.w, p.h)
	f.gradDir = r.Float64() * 2 * math.Pi

	switch {
	case p.page:
		f.planPage(r, clean)
	case p.module > 0:
		f.planCode(r, clean)
	default:
		f.planNone(r)
	}
	if clean {
		f.p.angle, f.p.tilt, f.p.blur, f.p.noise, f.p.gradient = 0, 0, 0, 0, 0
	}
	return f
}

// pickGlyph chooses the frame's glyph and level: they cycle with the
// index, Q on one frame in four when its version stays at most 21.
func (f *frameSpec) pickGlyph(always string) (modules []uint8, dim int) {
	glyphs := Glyphs()
	sceneOffset := strings.Index("ABCDEFGNP", f.scene)
	f.text = glyphs[(f.index+sceneOffset)%len(glyphs)]
	f.level = "M"
	level := decoder.ErrorCorrectionLevel_M
	if always != "M" && f.index%4 == 3 {
		if _, _, v := qrMatrix(f.text, decoder.ErrorCorrectionLevel_Q); v <= 21 {
			f.level, level = "Q", decoder.ErrorCorrectionLevel_Q
		}
	}
	modules, dim, f.version = qrMatrix(f.text, level)
	return modules, dim
}

// planCode lays out a code on a small sheet of paper over the desk.
func (f *frameSpec) planCode(r *rand.Rand, clean bool) {
	p := f.p
	modules, dim := f.pickGlyph("")
	s := newSheet(r)
	s.code, s.dim = modules, dim
	// Paper: the quiet zone and a few modules more, unevenly.
	s.u0 = -4 - 2 - 8*r.Float64()
	s.v0 = -4 - 2 - 8*r.Float64()
	s.u1 = float64(dim) + 4 + 2 + 8*r.Float64()
	s.v1 = float64(dim) + 4 + 2 + 8*r.Float64()
	s.index()
	f.sheet = s

	m := p.module * (1 + 0.05*(2*r.Float64()-1))
	angle := p.angle + 2*(2*r.Float64()-1)
	tiltAxis := r.Float64() * math.Pi
	tilt := p.tilt
	if tilt != 0 {
		tilt += 2 * (2*r.Float64() - 1)
	}
	jx, jy := 40*(2*r.Float64()-1), 30*(2*r.Float64()-1)
	pick := [2]float64{r.Float64(), r.Float64()}
	if clean {
		m, angle, tilt = max(m, 5), 0, 0
	}

	// The code and its quiet zone must fit the frame: a code too large
	// for it at this angle is drawn smaller.
	c := float64(dim) / 2
	quiet := [4][2]float64{{-4, -4}, {float64(dim) + 4, -4}, {float64(dim) + 4, float64(dim) + 4}, {-4, float64(dim) + 4}}
	const margin = 6
	var h homography
	var minX, minY, maxX, maxY float64
	for range 8 {
		h = sheetHomography(c, c, m, angle, tilt, tiltAxis, 0, 0)
		minX, minY, maxX, maxY = h.bounds(quiet[:])
		fit := math.Min(float64(p.w-2*margin)/(maxX-minX), float64(p.h-2*margin)/(maxY-minY))
		if fit >= 1 {
			break
		}
		m *= fit * 0.995
	}
	// Where: the centre of the frame and a jitter, or for an off-centre
	// code near two edges of the frame, as far as it fits.
	loX, hiX := margin-minX, float64(p.w-margin)-maxX
	loY, hiY := margin-minY, float64(p.h-margin)-maxY
	var cx, cy float64
	if p.offCentre && !clean {
		cx = edgeward(loX, hiX, pick[0])
		cy = edgeward(loY, hiY, pick[1])
	} else {
		cx = clamp(float64(p.w)/2+jx, loX, hiX)
		cy = clamp(float64(p.h)/2+jy, loY, hiY)
	}
	f.h = sheetHomography(c, c, m, angle, tilt, tiltAxis, cx, cy)
	f.m = m
}

// edgeward returns a point of [lo, hi] within its outer 15%, on the side
// t (in [0, 1)) chooses.
func edgeward(lo, hi, t float64) float64 {
	if hi <= lo {
		return (lo + hi) / 2
	}
	if t < 0.5 {
		return lo + (hi-lo)*0.3*t
	}
	return hi - (hi-lo)*0.3*(t-0.5)
}

func clamp(x, lo, hi float64) float64 {
	if hi < lo {
		return (lo + hi) / 2
	}
	return math.Max(lo, math.Min(hi, x))
}

// planNone lays out a frame with no code: the bare desk, or a sheet with
// text-like lines and maybe a linear barcode and a square logo, under
// light and optics drawn at random within the code scenes' range.
func (f *frameSpec) planNone(r *rand.Rand) {
	f.p.blur = []float64{0, 0.8, 1, 1.5, 2}[r.IntN(5)]
	f.p.noise = []float64{0, 6, 8, 12}[r.IntN(4)]
	if r.IntN(3) == 0 {
		f.p.gradient = 0.3
	}
	if f.index%5 == 4 {
		return // the desk alone
	}
	s := newSheet(r)
	// A sheet of 60-110 x 80-140 units at 3-6 px a unit.
	w, h := 60+50*r.Float64(), 80+60*r.Float64()
	s.u0, s.v0, s.u1, s.v1 = 0, 0, w, h
	y := 4 + 4*r.Float64()
	capH := 3 + 2*r.Float64()
	pitch := capH * (1.8 + 0.4*r.Float64())
	barcode := f.index%3 == 1
	logo := f.index%3 == 2
	for y+capH < h-4 {
		if barcode && y > h*0.55 {
			// A linear barcode, such as a postal or pagoPA notice has.
			height := 12 + 6*r.Float64()
			if y+height < h-4 {
				s.addBarcode(r, 5, y, math.Min(w-5, 5+70), y+height)
			}
			y += height + pitch
			barcode = false
			continue
		}
		if logo && y > h*0.3 {
			size := 10 + 6*r.Float64()
			s.addLogo(w-5-size, y, size)
			s.addText(r, 5, y, w-5-size-4, capH, pitch, int(size/pitch))
			y += size + pitch
			logo = false
			continue
		}
		if r.IntN(6) > 0 {
			s.addText(r, 5, y, w-5, capH, pitch, 1)
		}
		y += pitch
	}
	s.index()
	f.sheet = s
	m := 3 + 3*r.Float64()
	angle := 360 * r.Float64()
	tilt := 0.0
	if r.IntN(3) == 0 {
		tilt = 30 * r.Float64()
	}
	f.h = sheetHomography(w/2, h/2, m, angle, tilt, r.Float64()*math.Pi,
		float64(f.p.w)/2+200*(2*r.Float64()-1), float64(f.p.h)/2+100*(2*r.Float64()-1))
	f.m = m
}

// planPage lays out an A4 certificate in units of 0.5 mm (a module) with
// its glyph at the bottom right, photographed or scanned slightly askew.
func (f *frameSpec) planPage(r *rand.Rand, clean bool) {
	modules, dim := f.pickGlyph("M")
	s := newSheet(r)
	const pw, ph = 420, 594 // A4 in 0.5 mm
	s.u0, s.v0, s.u1, s.v1 = 0, 0, pw, ph
	// The code: 20 mm from the right edge, 25 mm from the bottom.
	qu, qv := float64(pw-40-dim), float64(ph-50-dim)
	s.code, s.dim, s.cu, s.cv = modules, dim, qu, qv
	// Text: a header, then the body, and a signature block left of the
	// code, never within 6 modules of it.
	y := 40.0
	s.addText(r, 40, y, 300, 7, 14, 2) // the municipality's header, larger
	y += 40
	for y < ph-60 {
		right := float64(pw - 40)
		if y+5 > qv-6 && y < qv+float64(dim)+6 {
			right = qu - 6
		}
		if r.IntN(7) > 0 {
			s.addText(r, 40, y, right, 5, 11, 1)
		}
		y += 11
	}
	s.index()
	f.sheet = s

	scale := f.p.module * (0.94 + 0.03*r.Float64()) // px per 0.5 mm
	angle := (1 + 2*r.Float64())
	if r.IntN(2) == 0 {
		angle = -angle
	}
	if clean {
		scale, angle = 5, 0
		// Only the code's corner of the page fits at 5 px a module.
		f.h = sheetHomography(qu+float64(dim)/2, qv+float64(dim)/2, scale, 0, 0, 0, float64(f.p.w)/2, float64(f.p.h)/2)
	} else {
		f.h = sheetHomography(pw/2, ph/2, scale, angle, 0, 0,
			float64(f.p.w)/2+8*(2*r.Float64()-1), float64(f.p.h)/2+8*(2*r.Float64()-1))
	}
	f.m = scale
}

// planes keeps the float planes of rendering: a frame's take 4 MB each,
// and allocating them anew keeps the garbage collector busy.
var planes = sync.Pool{New: func() any { return new([]float32) }}

// getPlane returns a plane of n values, not cleared; putPlane gives it
// back.
func getPlane(n int) []float32 {
	p := *planes.Get().(*[]float32)
	if cap(p) < n {
		return make([]float32, n)
	}
	return p[:n]
}

func putPlane(p []float32) { planes.Put(&p) }

// render draws the frame.
func (f *frameSpec) render() Frame {
	p := f.p
	w, h := p.w, p.h
	buf := getPlane(w * h)
	defer putPlane(buf)
	inv := f.h.inverse()
	s := f.sheet
	gx, gy := math.Cos(f.gradDir), math.Sin(f.gradDir)
	span := math.Abs(gx)*float64(w) + math.Abs(gy)*float64(h)
	// Only pixels near the paper's image map back to the sheet.
	bx0, by0, bx1, by1 := w, h, 0, 0
	if s != nil {
		x0, y0, x1, y1 := f.h.bounds([][2]float64{{s.u0, s.v0}, {s.u1, s.v0}, {s.u1, s.v1}, {s.u0, s.v1}})
		bx0, by0 = max(int(x0)-2, 0), max(int(y0)-2, 0)
		bx1, by1 = min(int(x1)+3, w), min(int(y1)+3, h)
	}
	const sub = 3
	for y := range h {
		row := buf[y*w : (y+1)*w]
		py := float64(y) + 0.5
		for x := range w {
			px := float64(x) + 0.5
			if y < by0 || y >= by1 || x < bx0 || x >= bx1 {
				row[x] = f.desk.at(px, py)
				continue
			}
			u, vv, ru, rv := inv.mapJ(px, py)
			val, ok := s.uniform(u-ru, u+ru, vv-rv, vv+rv)
			if ok {
				if val < 0 {
					val = f.desk.at(px, py)
				}
				row[x] = val
				continue
			}
			var sum, desk float32 = 0, -1
			for j := range sub {
				sy := float64(y) + (float64(j)+0.5)/sub
				for i := range sub {
					sx := float64(x) + (float64(i)+0.5)/sub
					su, sv := inv.apply(sx, sy)
					val := s.at(su, sv)
					if val < 0 {
						if desk < 0 {
							desk = f.desk.at(px, py)
						}
						val = desk
					}
					sum += val
				}
			}
			row[x] = sum / (sub * sub)
		}
		if p.gradient != 0 {
			// Light: a linear gain across the frame, 1 ± gradient/2.
			t0 := ((0.5-float64(w)/2)*gx + (py-float64(h)/2)*gy) / span
			dt := gx / span
			for x := range row {
				row[x] *= float32(1 + p.gradient*(t0+float64(x)*dt))
			}
		}
	}
	if p.blur > 0 {
		scratch := getPlane(w * h)
		gaussianBlur(buf, scratch, w, h, p.blur)
		putPlane(scratch)
	}
	luma := image.NewGray(image.Rect(0, 0, w, h))
	noise := frameRand(f.scene, f.index, f.seed, "noise")
	sigma := float32(p.noise)
	var bits uint64
	for i, v := range buf {
		if sigma > 0 {
			if i%4 == 0 {
				bits = noise.Uint64()
			}
			v += sigma * normals[uint16(bits)]
			bits >>= 16
		}
		luma.Pix[i] = uint8(min(max(v, 0), 255) + 0.5)
	}
	out := Frame{Scene: f.scene, Index: f.index, Luma: luma, Text: f.text, Version: f.version, Level: f.level}
	if f.text != "" {
		out.Module = f.m
	}
	return out
}
