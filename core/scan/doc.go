// Package scan is the one entry point that reads a 2D code — the glyph of a
// Sportello certificate, later the QR code of a pagoPA notice — from a
// camera frame (Scanner.Frame, Frame), a PNG or JPEG image (Image), a PDF
// (PDF), or a file or bytes of any of those kinds (File, Bytes).
//
// Everything behind these functions may be replaced; callers depend only
// on Result, the errors below, and the Scanner's options (SetAccept,
// SetBudget).
//
// # What is whose
//
// Decoding — from a sampled grid of modules to text, with the
// Reed-Solomon correction that makes a read exact or no read — is always
// gozxing's (github.com/makiuchi-d/gozxing v0.1.1, a pure-Go port of
// ZXing), its qrcode decoder. Finding the code is done two ways:
//
//   - gozxing's own: its QR reader on its HybridBinarizer, fast, then with
//     TRY_HARDER, then every plausible triple of finder patterns (below),
//     then the same on the inverted bit matrix (a light code on a dark
//     ground), as ZXing does for its ALSO_INVERTED hint;
//   - hand-written (finder.go, sample.go, homography.go, hard.go), for what
//     gozxing's misses on camera frames — modules of two or three pixels,
//     blur, noise, uneven light, rotation with blur, perspective tilt —
//     and because gozxing's detector is slow on frames without a code (about
//     14 ms on one core for a 1280x720 frame of text). The plane is
//     binarised against a local mean over an integral image (a Bradley
//     threshold, after a small box filter against noise, in a few window
//     sizes); finder patterns are runs of 1:1:3:1:1 along rows,
//     cross-checked along columns and a diagonal (any line through a
//     finder pattern's centre crosses its rings so, whatever the
//     rotation), dark on light or light on dark; triples are picked by
//     geometry (similar sizes, two sides of similar length at about a
//     right angle, perspective allowing some of each), best first; the
//     code's dimension is measured along its own axes (the finder
//     patterns' rings measured from their centres) and, from version 7,
//     read from its version information; the alignment patterns are
//     looked for in the grey plane, nearest the finder patterns first,
//     each where the transform fitted so far puts it, and the transform
//     (affine from three points, projective by least squares from four
//     or more) refitted to all found, which follows a tilted sheet; the
//     grid is sampled in the grey plane (bilinear, several samples a
//     module: a module of two pixels is read at its centre, where a bit
//     matrix would have lost it), sharpened in module space (an unsharp
//     mask: a blurred module takes its neighbours' grey) and thresholded
//     by the local mean of the samples; and the bit matrix goes to
//     gozxing's decoder.
//
// A camera frame (Scanner.Frame) has a budget of time (SetBudget,
// DefaultFrameBudget): it is first read by the hand-written detector after
// two binarisations, a few triples each (between them they read every kind
// of frame measured: about 5 to 10 ms on one core for 1280x720); a frame
// that shows fewer than three confirmed finder patterns is given up there
// (a frame with no code costs about 10 ms); others go on, while the budget
// lasts, with gozxing (fast, then inverted), the hand-written detector
// after more binarisations and more triples, and gozxing with TRY_HARDER.
// A Scanner remembers where the last code was and which attempt read it,
// and tries that attempt on the region around it first. The large
// buffers of a reading (the integral image and the bit plane) are pooled,
// so a new Scanner costs no allocation of them.
//
// The version information of a code from version 7 is looked for at the
// dimension measured and one and two versions either side of it: on a
// small blurred code (3 px a module) the module size measured from the
// finder patterns' rings can be some 8% off, two versions at version 21,
// and the version information then read where that dimension puts it
// fails. (Reading it so lets a version 21 code at 3 px a module read in
// the cheap passes, within DefaultFrameBudget.)
//
// A still image (Image, Still for a decoded plane, and the images of a
// PDF), within StillBudget: a plane of a million pixels or more (a photo
// or scan of a whole certificate page) is first searched for finder
// patterns on a half-scale copy (a module of three pixels is one and a
// half there, enough to find the patterns, not to read the code), and the
// region around each, as far as a version 21 code reaches, is read at full
// resolution by the hand-written detector: a few milliseconds for a
// 1240x1754 page where reading the whole page costs tens. Then gozxing on
// the whole image (and a downscaled or upscaled copy), then the
// hand-written detector on those. A read whose text
// the Scanner's validator (SetAccept) refuses is passed over. A symbol of
// a structured-append sequence is refused, being only part of a message.
//
// Parsing PDF files is pdfcpu's (github.com/pdfcpu/pdfcpu, pure Go, builds
// with CGO_ENABLED=0 for Android and iOS): cross-reference tables and
// streams, object streams, stream filters and predictors, the page tree
// with inherited resources, and the rendering of Flate, LZW, CCITT and
// run-length images to PNG or TIFF. pdfcpu keeps a configuration directory
// under the user's configuration folder unless told not to: this package
// turns that off for the whole program (pdfcpu's model.ConfigPath =
// "disable") in its init, so that reading a PDF on a phone writes nothing.
// pdfcpu is large (it also signs, merges, validates...), but what a binary
// links of it adds about 1 MB to an arm64 build that already has net/http
// and x/text, as the app has.
//
// Hand-written here too, because no library in use does it:
//   - a bounded search of finder patterns (harder.go), from gozxing's own
//     pieces: gozxing's finder stops at the first three patterns it
//     confirms, and the data of a large code can hold a finder-like
//     pattern (a cleanly printed version 17 glyph was missed so), while
//     its multi-code reader, which tries every triple, has no bound (a
//     frame tiled with finder patterns kept it busy for minutes, and
//     gozxing's own finder for seconds). Every plausible triple is tried,
//     best first, and a plane with too many patterns is not read at all;
//   - the gozxing luminance source over an *image.Gray plane (gray.go): it
//     hands gozxing the plane's rows as they are, honouring Stride and a
//     sub-image's Rect, where gozxing's own image source converts every
//     pixel through color.Color;
//   - the conversion of decoded images to one luminance plane (image.go):
//     the Y plane of a JPEG is used as it is, other layouts by one loop per
//     layout, transparent pixels composited on white paper;
//   - a small EXIF reader (exif.go) for the one tag needed, the orientation
//     of a JPEG (APP1) or PNG (eXIf) image, and the eight orientations;
//   - the downscaling and upscaling of still images (scale.go);
//   - a PDF content-stream interpreter (pdf.go, pdfcontent.go) for what
//     matters to a code drawn as vectors: path construction (re, m, l, c,
//     v, y, h), fills (f, F, f*, B, b and their even-odd forms), the fill
//     colour (g, rg, k, sc, scn), the transformation matrix (cm, q, Q),
//     form XObjects and image XObjects (Do). Sportello's certificates draw
//     the glyph as one filled rectangle per horizontal run of dark modules
//     (server/certs/pdf.go); other generators draw squares, merged paths or
//     polygons. The dark fills of a page are rasterised (rasterise.go) at
//     about four pixels per module, with a quiet zone, and decoded. pdfcpu
//     parses the file but has no content-stream interpreter nor rasteriser.
//
// # Limits
//
// Files above MaxFileBytes and images above MaxPixels are refused with
// ErrTooLarge, images by their declared size before any pixel is decoded.
// A PDF is read for at most MaxPDFPages pages, a bounded number of
// embedded images, content-stream bytes and drawing operations, and a
// rasterised region of at most maxRasterSide pixels a side. Inline images
// (BI ... EI), JPEG 2000 (JPXDecode) and JBIG2 images are not read; text
// is not rendered; stroked paths are not drawn.
package scan
