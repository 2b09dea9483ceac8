package scan

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/image/tiff"
)

func init() {
	// Without this, pdfcpu's configuration creates a folder and a file
	// under the user's configuration directory the first time it is
	// used. It runs before main, so before any goroutine reads it.
	model.ConfigPath = "disable"
}

// pdfConfig is pdfcpu's configuration for reading untrusted files: no
// network, limits well within this package's own.
func pdfConfig() *model.Configuration {
	c := model.NewDefaultConfiguration()
	c.Offline = true
	c.ValidationMode = model.ValidationRelaxed
	c.Limits = model.ResourceLimits{
		MaxStreamBytes:       MaxFileBytes,
		MaxDecodeBytes:       64 << 20,
		MaxImagePixels:       MaxPixels,
		MaxImageBytes:        4 * MaxPixels,
		MaxObjectCount:       1_000_000,
		MaxObjectStreamCount: 100_000,
		MaxObjectStreamFirst: 1 << 20,
		MaxXRefEntries:       1_000_000,
		MaxRecursionDepth:    64,
	}
	return c
}

// PDF reads a code from a PDF: on each of its first MaxPDFPages pages,
// first from what the page draws as vectors — the dark fills of its
// content streams and of the forms they draw, rasterised at about four
// pixels per module (a Sportello certificate draws its glyph as one
// filled rectangle per run of dark modules) — then from the images the
// page draws (a scanned paper certificate: JPEG, Flate, LZW, CCITT or
// run-length images), as Image reads a still image. Result.Bounds are in
// the coordinates of the rasterised region or of the embedded image.
//
// PDF returns ErrUnsupportedFile for content that is not a PDF,
// ErrUnreadableFile for one that cannot be parsed or whose pages or images
// cannot be decoded, ErrTooLarge for a file above MaxFileBytes or (when no
// code is found elsewhere) an embedded image above MaxPixels, ErrNotFound
// when no page shows a readable code.
func PDF(data []byte) (res Result, err error) {
	if len(data) > MaxFileBytes {
		return Result{}, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	if sniff(data) != formatPDF {
		return Result{}, ErrUnsupportedFile
	}
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{}, fmt.Errorf("%w: PDF reader panic: %v", ErrUnreadableFile, p)
		}
	}()
	ctx, err := api.ReadContext(bytes.NewReader(data), pdfConfig())
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrUnreadableFile, err)
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrUnreadableFile, err)
	}
	b := newBudget()
	var problem error
	tooLarge := false
	note := func(err error) {
		if problem == nil {
			problem = err
		}
	}
	for page := 1; page <= min(ctx.PageCount, MaxPDFPages); page++ {
		d, _, inherited, err := ctx.PageDict(page, false)
		if err != nil || d == nil {
			note(fmt.Errorf("page %d: %v", page, err))
			continue
		}
		in := newInterp(ctx.XRefTable, b)
		var res types.Dict
		if inherited != nil {
			res = inherited.Resources
		}
		in.run(pageContent(in, d), res)
		if in.problem != nil {
			note(fmt.Errorf("page %d: %v", page, in.problem))
		}
		if raster := rasterise(in.fills, b); raster != nil {
			if r, _, ok := decodePlane(raster, attempts{tryHarder: true, inverted: true, pure: true}); ok {
				return r, nil
			}
		}
		for _, ref := range in.images {
			if b.images <= 0 {
				break
			}
			g, err := imageLuma(ctx, ref, b)
			switch {
			case errors.Is(err, ErrTooLarge):
				tooLarge = true
				continue
			case err != nil:
				note(fmt.Errorf("page %d, image %s: %v", page, ref.name, err))
				continue
			case g == nil:
				continue
			}
			if r, err := decodeStill(g); err == nil {
				return r, nil
			}
		}
	}
	switch {
	case problem != nil:
		return Result{}, fmt.Errorf("%w: %v", ErrUnreadableFile, problem)
	case tooLarge:
		return Result{}, fmt.Errorf("%w: an embedded image above %d pixels", ErrTooLarge, MaxPixels)
	}
	return Result{}, ErrNotFound
}

// pageContent returns the page's content streams, decoded and joined.
func pageContent(in *interp, page types.Dict) []byte {
	o, found := page.Find("Contents")
	if !found {
		return nil
	}
	o, err := in.x.Dereference(o)
	if err != nil || o == nil {
		return nil
	}
	var parts []types.Object
	switch o := o.(type) {
	case types.StreamDict:
		parts = []types.Object{o}
	case types.Array:
		parts = o
	}
	var out []byte
	for _, p := range parts {
		sd, _, err := in.x.DereferenceStreamDict(p)
		if err != nil || sd == nil {
			continue
		}
		content, err := in.decode(sd)
		if err != nil {
			continue
		}
		out = append(append(out, content...), '\n')
	}
	return out
}

// imageLuma decodes an embedded image to a luminance plane: a JPEG by this
// package's decoder, others rendered by pdfcpu to PNG or TIFF. It returns
// nil and no error for an image it does not read: too small to hold a
// code, JPEG 2000, JBIG2, or past the budget.
func imageLuma(ctx *model.Context, ref imageRef, b *budget) (*image.Gray, error) {
	sd := ref.sd
	w, errW := ctx.DereferenceNumber(sd.Dict["Width"])
	h, errH := ctx.DereferenceNumber(sd.Dict["Height"])
	if errW != nil || errH != nil || !(w >= 21 && h >= 21) {
		return nil, nil
	}
	if w*h > MaxPixels {
		return nil, fmt.Errorf("%w: a %.0fx%.0f image", ErrTooLarge, w, h)
	}
	px := int64(w) * int64(h)
	if px > b.pixels {
		return nil, nil
	}
	b.images--
	b.pixels -= px
	last := ""
	if n := len(sd.FilterPipeline); n > 0 {
		last = sd.FilterPipeline[n-1].Name
	}
	switch last {
	case filter.DCT:
		jpg := sd.Raw
		if len(sd.FilterPipeline) > 1 { // the filters before DCT undone, DCT kept
			if err := sd.DecodeWithLimit(MaxFileBytes); err != nil {
				return nil, err
			}
			jpg = sd.Content
		}
		if sniff(jpg) != formatJPEG {
			return nil, errors.New("a DCT image that is no JPEG")
		}
		// A PDF turns its images with its transformations, not EXIF.
		return decodeLuma(jpg, formatJPEG, false)
	case filter.JPX, filter.JBIG2:
		return nil, nil
	}
	if err := sd.DecodeWithLimit(8*px + 1<<20); err != nil {
		return nil, err
	}
	img, err := pdfcpu.ExtractImage(ctx, sd, false, ref.name, ref.objNr, false)
	if err != nil {
		if errors.Is(err, pdfcpu.ErrUnsupportedResource) {
			return nil, nil
		}
		return nil, err
	}
	if img == nil || img.Reader == nil {
		return nil, nil
	}
	var decoded image.Image
	switch img.FileType {
	case "png":
		decoded, err = safeDecode(png.Decode, readAll(img.Reader))
	case "tif":
		decoded, err = safeDecode(tiff.Decode, readAll(img.Reader))
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return toGray(decoded), nil
}

func readAll(r io.Reader) []byte {
	data, _ := io.ReadAll(r)
	return data
}
