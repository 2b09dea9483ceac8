package scan

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"slices"
	"time"
)

// format is a kind of file, sniffed from its content.
type format int

const (
	formatUnknown format = iota
	formatPNG
	formatJPEG
	formatPDF
)

// sniff tells the kind of file from its first bytes. A PDF's header may
// follow some bytes of junk, as readers accept within the first 1024.
func sniff(data []byte) format {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return formatJPEG
	case bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")):
		return formatPDF
	}
	return formatUnknown
}

// Image reads a code from a PNG or JPEG image. The image is decoded to
// its luminance (a JPEG's Y plane as it is), turned upright by its EXIF
// orientation, and read at full resolution and, for a large photo, from a
// downscaled copy (a code photographed from close by has modules of ten
// or more pixels, which the binariser reads better smaller), for a small
// image from an upscaled copy; each of them also inverted. Result.Bounds
// are in the coordinates of the upright image at full resolution.
//
// Image returns ErrUnsupportedFile for content that is neither PNG nor
// JPEG, ErrUnreadableFile for a corrupt or truncated one, ErrTooLarge for
// a file above MaxFileBytes or an image declared above MaxPixels (checked
// before decoding), ErrNotFound when it shows no readable code.
func Image(data []byte) (Result, error) {
	if len(data) > MaxFileBytes {
		return Result{}, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	f := sniff(data)
	if f != formatPNG && f != formatJPEG {
		return Result{}, ErrUnsupportedFile
	}
	g, err := decodeLuma(data, f, true)
	if err != nil {
		return Result{}, err
	}
	return decodeStill(g)
}

// Pixels a byte of a valid file can hold at most: deflate expands at most
// 1032 times, and a PNG pixel takes at least one bit; a JPEG takes at
// least about one bit for a block of 8x8 pixels. A file that declares
// more is truncated or forged, and is refused before a decoder allocates
// the image it declares.
const (
	maxPNGPixelsPerByte  = 8 * 1100
	maxJPEGPixelsPerByte = 1024
)

// decodeLuma decodes a PNG or JPEG to a luminance plane with its origin at
// (0, 0), checking its declared size first and, when upright, applying its
// EXIF orientation.
func decodeLuma(data []byte, f format, upright bool) (*image.Gray, error) {
	var (
		cfg      image.Config
		err      error
		perByte  int64
		decode   func(io.Reader) (image.Image, error)
		orientOf func([]byte) int
	)
	switch f {
	case formatPNG:
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
		perByte, decode, orientOf = maxPNGPixelsPerByte, png.Decode, pngOrientation
	case formatJPEG:
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
		perByte, decode, orientOf = maxJPEGPixelsPerByte, jpeg.Decode, jpegOrientation
	default:
		return nil, ErrUnsupportedFile
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadableFile, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: a %dx%d image", ErrUnreadableFile, cfg.Width, cfg.Height)
	}
	px := int64(cfg.Width) * int64(cfg.Height)
	if px > MaxPixels {
		return nil, fmt.Errorf("%w: a %dx%d image", ErrTooLarge, cfg.Width, cfg.Height)
	}
	if px > perByte*int64(len(data)) {
		return nil, fmt.Errorf("%w: a %dx%d image in %d bytes", ErrUnreadableFile, cfg.Width, cfg.Height, len(data))
	}
	img, err := safeDecode(decode, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadableFile, err)
	}
	g := toGray(img)
	if upright {
		g = orient(g, orientOf(data))
	}
	return g, nil
}

// safeDecode runs an image decoder, turning a panic into an error.
func safeDecode(decode func(io.Reader) (image.Image, error), data []byte) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("decoder panic: %v", p)
		}
	}()
	return decode(bytes.NewReader(data))
}

// luma is the Rec. 601 luminance of 8-bit R, G, B, as color.GrayModel.
func luma(r, g, b uint32) uint8 {
	return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
}

// toGray returns the luminance of img, with transparent parts seen on
// white paper, as a plane with its origin at (0, 0). A Gray image is used
// as it is and a YCbCr image by its Y plane, sharing their bytes; the other
// layouts the decoders make are converted by one loop each.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.Gray:
		return &image.Gray{Pix: m.Pix, Stride: m.Stride, Rect: image.Rect(0, 0, b.Dx(), b.Dy())}
	case *image.YCbCr:
		return &image.Gray{Pix: m.Y, Stride: m.YStride, Rect: image.Rect(0, 0, b.Dx(), b.Dy())}
	}
	w, h := b.Dx(), b.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		row := out.Pix[y*out.Stride : y*out.Stride+w]
		switch m := img.(type) {
		case *image.Gray16:
			s := m.Pix[y*m.Stride:]
			for x := range row {
				row[x] = s[2*x]
			}
		case *image.NRGBA:
			s := m.Pix[y*m.Stride:]
			for x := range row {
				p := s[4*x : 4*x+4]
				a := uint32(p[3])
				row[x] = uint8((uint32(luma(uint32(p[0]), uint32(p[1]), uint32(p[2])))*a + 255*(255-a) + 127) / 255)
			}
		case *image.RGBA: // premultiplied: on white, add what is missing
			s := m.Pix[y*m.Stride:]
			for x := range row {
				p := s[4*x : 4*x+4]
				row[x] = uint8(min(255, uint32(luma(uint32(p[0]), uint32(p[1]), uint32(p[2])))+255-uint32(p[3])))
			}
		case *image.NRGBA64:
			s := m.Pix[y*m.Stride:]
			for x := range row {
				p := s[8*x : 8*x+8]
				a := uint32(p[6])
				row[x] = uint8((uint32(luma(uint32(p[0]), uint32(p[2]), uint32(p[4])))*a + 255*(255-a) + 127) / 255)
			}
		case *image.RGBA64:
			s := m.Pix[y*m.Stride:]
			for x := range row {
				p := s[8*x : 8*x+8]
				row[x] = uint8(min(255, uint32(luma(uint32(p[0]), uint32(p[2]), uint32(p[4])))+255-uint32(p[6])))
			}
		case *image.CMYK:
			s := m.Pix[y*m.Stride:]
			for x := range row {
				p := s[4*x : 4*x+4]
				k := 255 - uint32(p[3])
				row[x] = luma((255-uint32(p[0]))*k/255, (255-uint32(p[1]))*k/255, (255-uint32(p[2]))*k/255)
			}
		case *image.Paletted:
			var table [256]uint8
			for i, c := range m.Palette {
				r, g, bb, a := c.RGBA()
				table[i] = uint8(min(0xffff, uint32(luma(r>>8, g>>8, bb>>8))<<8+0xffff-a) >> 8)
			}
			s := m.Pix[y*m.Stride:]
			for x := range row {
				row[x] = table[s[x]]
			}
		default:
			for x := range row {
				r, g, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				row[x] = uint8(min(0xffff, uint32(luma(r>>8, g>>8, bb>>8))<<8+0xffff-a) >> 8)
			}
		}
	}
	return out
}

// Still reads a code from the luminance plane of a still image (a photo
// or scan of a page, already decoded and upright), as Image does after
// decoding a file: within StillBudget, not a camera frame's budget. Stride
// and Rect are honoured; the bounds are in the plane's coordinates. It
// returns ErrNotFound when the plane shows no readable code, ErrTooLarge
// for a plane above MaxPixels.
func Still(luma *image.Gray) (Result, error) {
	if err := checkPlane(luma); err != nil {
		return Result{}, err
	}
	g := luma
	if g.Rect.Min != (image.Point{}) {
		g = &image.Gray{Pix: g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y):], Stride: g.Stride, Rect: image.Rect(0, 0, g.Rect.Dx(), g.Rect.Dy())}
	}
	res, err := decodeStill(g)
	if err == nil {
		res.Bounds = res.Bounds.Add(luma.Rect.Min)
	}
	return res, err
}

// decodeStill reads a code from a still image: a large one first in the
// regions where a half-scale copy shows finder patterns (readRegions);
// then at full resolution and,
// when large, downscaled so that its longer side is at most stillSide
// (tried first: quicker) and once more halved; when small, upscaled
// twice. Each is read fast, with TRY_HARDER and inverted, by gozxing,
// then by the hand-written detector, within StillBudget.
func decodeStill(g *image.Gray) (Result, error) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	side := max(w, h)
	type plane struct {
		make  func() *image.Gray
		scale float64 // a pixel of the plane is scale pixels of g
	}
	var planes []plane
	full := plane{func() *image.Gray { return g }, 1}
	if side > stillSide {
		mid, f := g, 1
		for ; max(mid.Rect.Dx(), mid.Rect.Dy()) > stillSide; f *= 2 {
			mid = half(mid)
		}
		planes = append(planes, plane{func() *image.Gray { return mid }, float64(f)}, full)
		if side/(2*f) >= minStillSide {
			planes = append(planes, plane{func() *image.Gray { return half(mid) }, float64(2 * f)})
		}
	} else {
		planes = append(planes, full)
		if int64(w)*int64(h)*4 <= maxUpscaledPixels {
			planes = append(planes, plane{func() *image.Gray { return double(g) }, 0.5})
		}
	}
	deadline := time.Now().Add(StillBudget * budgetScale)
	var sc scratch
	sc.borrow()
	defer sc.release()
	// A page (a photo or scan of a whole certificate) is mostly text: the
	// code's region is looked for on a half-scale plane first, and read
	// at full resolution there, which costs a few milliseconds where a
	// reading of the whole page costs tens.
	if res, ok := sc.readRegions(g, deadline); ok {
		return res, nil
	}
	made := make([]*image.Gray, len(planes))
	for i, p := range planes {
		made[i] = p.make()
		res, _, ok := decodePlane(made[i], attempts{tryHarder: true, inverted: true, invertedHard: true})
		if ok {
			res.Bounds = scaleRect(res.Bounds, p.scale).Intersect(g.Rect)
			return res, nil
		}
	}
	// Then the hand-written detector (blur, small modules, tilt), on
	// each plane, while the budget lasts.
	for _, bz := range []binarisation{binSmooth, binWide, binPlain, binNarrow, binSoft} {
		for i, p := range planes {
			if time.Now().After(deadline) {
				return Result{}, ErrNotFound
			}
			if res, ok := sc.readHand(made[i], bz, handTriples, nil, deadline); ok {
				res.Bounds = scaleRect(res.Bounds, p.scale).Intersect(g.Rect)
				return res, nil
			}
		}
	}
	return Result{}, ErrNotFound
}

// readRegions reads the regions of g where a half-scale copy shows
// finder patterns: the copy is binarised and searched for them (at half
// scale a module of three pixels has one and a half, enough to find a
// finder pattern, not to read the code), and the region around each
// pattern, most confirmed first, as far as a code of regionReach modules
// reaches whichever of its corners the pattern is, is read at full
// resolution by the hand-written detector. Only for a plane of a million
// pixels or more; a pattern inside a region already read is passed over,
// and no region larger than half the plane is read.
func (sc *scratch) readRegions(g *image.Gray, deadline time.Time) (Result, bool) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if int64(w)*int64(h) < regionMinPixels {
		return Result{}, false
	}
	hg := half(g)
	sc.ii.build(hg)
	sc.iiFor = nil // built for a plane of its own: readHand builds it anew
	binarise(&sc.b, hg, &sc.ii, binNarrow.win, binNarrow.k, binNarrow.minDiff, false, binNarrow.smooth)
	fs := findFinders(&sc.b, 1, nil)
	var tried []image.Rectangle
	for _, c := range fs {
		if len(tried) >= maxRegions || time.Now().After(deadline) {
			break
		}
		x, y := int(c.x*2), int(c.y*2)
		if slices.ContainsFunc(tried, func(t image.Rectangle) bool { return image.Pt(x, y).In(t) }) {
			continue
		}
		reach := int(regionReach * c.size * 2 / 7) // in full-scale pixels
		r := image.Rect(x-reach, y-reach, x+reach, y+reach).Intersect(image.Rect(0, 0, w, h))
		if area(r)*2 > int64(w)*int64(h) {
			continue
		}
		tried = append(tried, r)
		sub := g.SubImage(r.Add(g.Rect.Min)).(*image.Gray)
		for _, bz := range []binarisation{binWide, binSmooth, binPlain, binNarrow} {
			if time.Now().After(deadline) {
				return Result{}, false
			}
			if res, ok := sc.readHand(sub, bz, regionTriples, nil, deadline); ok {
				return res, true
			}
		}
	}
	return Result{}, false
}

// Sizes of the planes of a still image.
const (
	stillSide         = 2000       // the longer side of a downscaled copy
	minStillSide      = 500        // no smaller copy than this
	maxUpscaledPixels = 16_000_000 // no larger upscaled copy than this
	regionMinPixels   = 1_000_000  // a plane searched for regions at half scale first
	maxRegions        = 4          // regions read at most
	regionReach       = 105        // modules from a finder pattern's centre a region reaches
	regionTriples     = 12         // triples tried a binarisation of a region
)
