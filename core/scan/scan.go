package scan

import (
	"errors"
	"fmt"
	"image"
	"math"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Result is one code read.
type Result struct {
	// Text is the code's content, exactly.
	Text string
	// Bounds is where the code was found, in the coordinates of the frame
	// or image given: for Image, of the image as displayed (after its EXIF
	// orientation) at its full resolution; for PDF, of the rasterised page
	// region or of the embedded image the code was read from. It may be
	// empty when the decoder gives no position.
	Bounds image.Rectangle
}

var (
	// ErrNotFound is returned when there is no readable code.
	ErrNotFound = errors.New("scan: no readable code")
	// ErrUnsupportedFile is returned for content that is neither PNG, JPEG
	// nor PDF (sniffed from the content, not from a file name).
	ErrUnsupportedFile = errors.New("scan: not a PNG, JPEG or PDF file")
	// ErrUnreadableFile is returned for a PNG, JPEG or PDF that cannot be
	// decoded (corrupt, truncated).
	ErrUnreadableFile = errors.New("scan: the file cannot be decoded")
	// ErrTooLarge is returned for input beyond the limits: a file above
	// MaxFileBytes, an image above MaxPixels.
	ErrTooLarge = errors.New("scan: the input is too large")
)

// Limits of the input.
const (
	// MaxFileBytes is the largest file read.
	MaxFileBytes = 40 << 20
	// MaxPixels is the largest image decoded, by its declared size: a
	// guard against decompression bombs.
	MaxPixels = 50_000_000
	// MaxPDFPages is how many pages of a PDF are examined.
	MaxPDFPages = 20
)

// Scanner reads codes from successive frames of a live camera. It keeps
// state between frames — where the code was last read, whether it was
// light on dark, which attempt read it — so there is one Scanner per
// camera stream. A Scanner is not safe for concurrent use.
type Scanner struct {
	last     image.Rectangle // where the last frame's code was, in frame coordinates
	inverted bool            // the last code read was light on dark
	strategy int             // the attempt that read the last code, plus one; 0 for none
	budget   time.Duration   // 0 for DefaultFrameBudget
	accept   func(text string) bool
	sc       scratch
}

// Budgets of time: a frame's reading stops when its budget is spent (the
// camera gives the next one), a still image's, PDF's or file's too.
const (
	DefaultFrameBudget = 60 * time.Millisecond
	StillBudget        = 1500 * time.Millisecond
)

// NewScanner returns a Scanner for a new camera stream.
func NewScanner() *Scanner { return &Scanner{} }

// SetAccept sets a validator of the texts read: a read whose text it
// refuses is passed over and the search goes on (a code of another kind
// in view, read exactly, is not the one wanted). nil accepts every text,
// as a new Scanner does.
func (s *Scanner) SetAccept(accept func(text string) bool) { s.accept = accept }

// SetBudget sets how long Frame may work on one frame before it gives up
// with ErrNotFound; 0 restores DefaultFrameBudget. A frame with nothing
// like a code in it is given up far sooner.
func (s *Scanner) SetBudget(d time.Duration) { s.budget = max(d, 0) }

// Frame reads a code from one camera frame: luma is its 8-bit luminance
// plane (the Y of YUV), for example 1280x720. Stride and Rect are honoured,
// so a sub-image (a crop of a larger plane) can be given as it is, and the
// bounds found are in its coordinates. When the last frame had a code,
// the region around it is tried first, by the attempt that read it. Frame
// returns ErrNotFound when the frame shows no readable code or its budget
// (SetBudget) is spent, ErrTooLarge for a plane above MaxPixels, and
// another error for a nil plane or one whose Pix is shorter than its Rect
// and Stride say.
func (s *Scanner) Frame(luma *image.Gray) (Result, error) {
	if err := checkPlane(luma); err != nil {
		return Result{}, err
	}
	budget := s.budget
	if budget == 0 {
		budget = DefaultFrameBudget
	}
	deadline := time.Now().Add(budget * budgetScale)
	s.sc.borrow()
	defer s.sc.release()
	r := luma.Rect
	tracked := !s.last.Empty()
	if tracked {
		// The code moves little from one frame to the next: the region
		// around it is small, so its reading is quick and its
		// binarisation local. Tried once: a miss forgets the region.
		w, h := s.last.Dx(), s.last.Dy()
		crop := image.Rect(s.last.Min.X-w/2, s.last.Min.Y-h/2, s.last.Max.X+w/2, s.last.Max.Y+h/2).Intersect(r)
		s.last = image.Rectangle{}
		if area(crop)*2 <= area(r) {
			sub := luma.SubImage(crop).(*image.Gray)
			first := max(s.strategy-1, 0)
			if res, inv, ok := s.try(sub, first, deadline); ok {
				s.remember(res, inv, first)
				return res, nil
			}
		}
	}
	s.sc.strong, s.sc.stopped = 0, false
	for i := range liveStrategies {
		if i == len(cheapStrategies) && !tracked && s.sc.strong < 3 {
			// Nothing like a code's three finder patterns: no more work
			// on this frame.
			break
		}
		if time.Now().After(deadline) {
			break
		}
		if res, inv, ok := s.try(luma, i, deadline); ok {
			s.remember(res, inv, i)
			return res, nil
		}
	}
	return Result{}, ErrNotFound
}

// try reads g by the strategy i.
func (s *Scanner) try(g *image.Gray, i int, deadline time.Time) (Result, bool, bool) {
	return liveStrategies[i](&s.sc, g, s.inverted, s.accept, deadline)
}

func (s *Scanner) remember(res Result, inverted bool, strategy int) {
	s.last, s.inverted, s.strategy = res.Bounds, inverted, strategy+1
}

// A strategy is one attempt at reading a plane; it says whether the code
// it read was inverted.
type strategy func(sc *scratch, g *image.Gray, invertedFirst bool, accept func(string) bool, deadline time.Time) (Result, bool, bool)

func hand(bz binarisation, limit int) strategy {
	return func(sc *scratch, g *image.Gray, _ bool, accept func(string) bool, deadline time.Time) (Result, bool, bool) {
		res, ok := sc.readHand(g, bz, limit, accept, deadline)
		return res, false, ok
	}
}

func gozxingRead(a attempts) strategy {
	return func(sc *scratch, g *image.Gray, invertedFirst bool, accept func(string) bool, _ time.Time) (Result, bool, bool) {
		a.invertedFirst = invertedFirst
		res, inv, ok := decodePlane(g, a)
		if ok && accept != nil && !accept(res.Text) {
			return Result{}, false, false
		}
		return res, inv, ok
	}
}

var (
	// cheapStrategies are tried on every frame: the hand-written detector
	// after two binarisations (between them they read the frames of every
	// kind measured), about 5 ms each on one core for a 1280x720 frame.
	cheapStrategies = []strategy{hand(binSmooth, cheapTriples), hand(binWide, cheapTriples)}
	// liveStrategies go on, while the budget lasts, for a frame that
	// shows finder patterns: gozxing (its own binariser and detector, fast,
	// also inverted), the hand-written detector after other
	// binarisations, gozxing with TRY_HARDER and every triple.
	liveStrategies = append(cheapStrategies[:len(cheapStrategies):len(cheapStrategies)],
		gozxingRead(attempts{inverted: true}),
		hand(binSmooth, handTriples), hand(binWide, handTriples),
		hand(binPlain, handTriples), hand(binNarrow, handTriples), hand(binSoft, handTriples),
		gozxingRead(attempts{tryHarder: true, inverted: true}),
	)
)

// Frame reads a code from one frame, with no state: NewScanner().Frame.
func Frame(luma *image.Gray) (Result, error) { return NewScanner().Frame(luma) }

// checkPlane refuses a nil, malformed or oversized plane.
func checkPlane(g *image.Gray) error {
	if g == nil {
		return errors.New("scan: no luminance plane")
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w <= 0 || h <= 0 {
		return ErrNotFound
	}
	if int64(w)*int64(h) > MaxPixels {
		return fmt.Errorf("%w: a %dx%d plane", ErrTooLarge, w, h)
	}
	if g.Stride < w || len(g.Pix) < (h-1)*g.Stride+w {
		return fmt.Errorf("scan: malformed luminance plane: %dx%d, stride %d, %d bytes", w, h, g.Stride, len(g.Pix))
	}
	return nil
}

func area(r image.Rectangle) int64 { return int64(r.Dx()) * int64(r.Dy()) }

// attempts say which readings decodePlane tries, in order: fast; harder;
// on the inverted bit matrix (fast, then harder when invertedHard); and as
// a pure barcode (an image of the code alone, as a rasterised PDF region
// may be). Harder is gozxing with TRY_HARDER, then every plausible triple
// of finder patterns (readHarder).
type attempts struct {
	tryHarder     bool
	inverted      bool
	invertedHard  bool
	invertedFirst bool // a light code on dark was seen last: try it first
	pure          bool
}

var (
	hintsHarder = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	hintsPure   = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
)

// decodePlane reads a QR code from the plane g, trying what a asks; it
// says whether the code read was inverted. The bounds are in g's
// coordinates (its Rect).
//
// gozxing's finder keeps every finder-like pattern it meets and weighs
// every triple of them, with no bound: a plane tiled with small finder
// patterns kept it busy for seconds. So the patterns are first counted
// (candidates), and a bit matrix with more than maxCandidates is not given
// to gozxing's finder at all.
func decodePlane(g *image.Gray, a attempts) (res Result, inverted bool, ok bool) {
	if g.Rect.Dx() < 21 || g.Rect.Dy() < 21 {
		return Result{}, false, false
	}
	src := newGraySource(g)
	bmp, _ := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	matrix, err := blackMatrix(bmp)
	if err != nil {
		return Result{}, false, false
	}
	reader := qrcode.NewQRCodeReader()
	// attempt reads the bit matrix of bmp: fast, then harder if asked.
	attempt := func(bmp *gozxing.BinaryBitmap, m *gozxing.BitMatrix, harder bool) bool {
		cands, few := candidates(m)
		if !few {
			return false
		}
		if res, ok = read(reader, bmp, nil, g.Rect.Min); ok {
			return true
		}
		if !harder {
			return false
		}
		if res, ok = read(reader, bmp, hintsHarder, g.Rect.Min); ok {
			return true
		}
		res, ok = readHarder(m, cands, g.Rect.Min)
		return ok
	}
	normal := func() bool {
		if attempt(bmp, matrix, a.tryHarder) {
			return true
		}
		if a.pure { // no finder search: bounded whatever the plane
			res, ok = read(reader, bmp, hintsPure, g.Rect.Min)
		}
		return ok
	}
	invertedRead := func() bool {
		if !a.inverted {
			return false
		}
		// ZXing reads light-on-dark codes by flipping the bit matrix the
		// binariser made (its ALSO_INVERTED hint): no second binarisation.
		flipped, err := gozxing.NewBitMatrix(matrix.GetWidth(), matrix.GetHeight())
		if err != nil || flipped.Xor(matrix) != nil {
			return false
		}
		flipped.FlipAll()
		inv, _ := gozxing.NewBinaryBitmap(&fixedBinarizer{src: src, m: flipped})
		return attempt(inv, flipped, a.invertedHard)
	}
	if a.invertedFirst {
		if invertedRead() {
			return res, true, true
		}
		return res, false, normal()
	}
	if normal() {
		return res, false, true
	}
	return res, true, invertedRead()
}

// blackMatrix binarises, turning a panic of the decoder into an error.
func blackMatrix(bmp *gozxing.BinaryBitmap) (m *gozxing.BitMatrix, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("scan: binariser: %v", p)
		}
	}()
	return bmp.GetBlackMatrix()
}

// read runs the QR reader once. A panic of the decoder is no read.
func read(reader gozxing.Reader, bmp *gozxing.BinaryBitmap, hints map[gozxing.DecodeHintType]any, origin image.Point) (res Result, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			res, ok = Result{}, false
		}
	}()
	r, err := reader.Decode(bmp, hints)
	if err != nil || r == nil {
		return Result{}, false
	}
	return result(r, bmp, origin)
}

// result is what gozxing read, unless it is only part of a message: one
// symbol of a structured-append sequence.
func result(r *gozxing.Result, bmp *gozxing.BinaryBitmap, origin image.Point) (Result, bool) {
	if r == nil {
		return Result{}, false
	}
	if _, part := r.GetResultMetadata()[gozxing.ResultMetadataType_STRUCTURED_APPEND_SEQUENCE]; part {
		return Result{}, false
	}
	return Result{Text: r.GetText(), Bounds: bounds(r.GetResultPoints(), bmp.GetWidth(), bmp.GetHeight()).Add(origin)}, true
}

// bounds is the rectangle of the code from the points the detector gives:
// the centres of the three finder patterns (bottom-left, top-left,
// top-right) and perhaps of an alignment pattern. The fourth corner is
// completed as a parallelogram, and the rectangle grown by the 3.5 modules
// between a finder pattern's centre and the code's edge. It is clipped to
// the w x h plane.
func bounds(points []gozxing.ResultPoint, w, h int) image.Rectangle {
	if len(points) == 0 {
		return image.Rectangle{}
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	add := func(x, y float64) {
		minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
	}
	module := 0.0
	for _, p := range points {
		if p == nil {
			continue
		}
		add(p.GetX(), p.GetY())
		if f, ok := p.(interface{ GetEstimatedModuleSize() float64 }); ok {
			module = max(module, f.GetEstimatedModuleSize())
		}
	}
	if len(points) >= 3 && points[0] != nil && points[1] != nil && points[2] != nil {
		bl, tl, tr := points[0], points[1], points[2]
		add(bl.GetX()+tr.GetX()-tl.GetX(), bl.GetY()+tr.GetY()-tl.GetY())
	}
	if math.IsInf(minX, 0) || math.IsNaN(minX+minY+maxX+maxY+module) {
		return image.Rectangle{}
	}
	m := 3.5 * module
	r := image.Rect(int(math.Floor(minX-m)), int(math.Floor(minY-m)), int(math.Ceil(maxX+m)), int(math.Ceil(maxY+m)))
	return r.Intersect(image.Rect(0, 0, w, h))
}
