package scenes

import "math"

// homography maps a point (x, y) to (h0 x + h1 y + h2, h3 x + h4 y + h5) /
// (h6 x + h7 y + h8).
type homography [9]float64

// focal is the pinhole camera's focal length in pixels: about a 60°
// horizontal field of view on a 1280-pixel-wide frame, a laptop's or a
// phone's.
const focal = 1100

// sheetHomography maps sheet units to pixels: the sheet point (cu, cv)
// goes to the pixel (cx, cy), m pixels a unit there; the sheet is turned by
// angle degrees in its plane, then tilted by tilt degrees about an axis of
// its plane at tiltAxis radians, and seen by a pinhole camera at focal
// pixels.
func sheetHomography(cu, cv, m, angle, tilt, tiltAxis, cx, cy float64) homography {
	th := angle * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	rz := [9]float64{c, -s, 0, s, c, 0, 0, 0, 1}
	// Rodrigues: a rotation by tilt about the unit axis (ax, ay, 0).
	al := tilt * math.Pi / 180
	ax, ay := math.Cos(tiltAxis), math.Sin(tiltAxis)
	ca, sa := math.Cos(al), math.Sin(al)
	ra := [9]float64{
		ca + ax*ax*(1-ca), ax * ay * (1 - ca), ay * sa,
		ay * ax * (1 - ca), ca + ay*ay*(1-ca), -ax * sa,
		-ay * sa, ax * sa, ca,
	}
	r := mul3(ra, rz)
	// The plane's point (X, Y) in pixels at the nominal scale is at
	// R (X, Y, 0) + (0, 0, focal) in front of the camera.
	mm := [9]float64{r[0], r[1], 0, r[3], r[4], 0, r[6], r[7], focal}
	k := [9]float64{focal, 0, cx, 0, focal, cy, 0, 0, 1}
	sc := [9]float64{m, 0, -cu * m, 0, m, -cv * m, 0, 0, 1}
	return homography(mul3(mul3(k, mm), sc))
}

func mul3(a, b [9]float64) (c [9]float64) {
	for i := range 3 {
		for j := range 3 {
			c[i*3+j] = a[i*3]*b[j] + a[i*3+1]*b[3+j] + a[i*3+2]*b[6+j]
		}
	}
	return c
}

// inverse returns the inverse mapping (by the adjugate: scale does not
// matter to a homography).
func (h homography) inverse() homography {
	return homography{
		h[4]*h[8] - h[5]*h[7], h[2]*h[7] - h[1]*h[8], h[1]*h[5] - h[2]*h[4],
		h[5]*h[6] - h[3]*h[8], h[0]*h[8] - h[2]*h[6], h[2]*h[3] - h[0]*h[5],
		h[3]*h[7] - h[4]*h[6], h[1]*h[6] - h[0]*h[7], h[0]*h[4] - h[1]*h[3],
	}
}

func (h *homography) apply(x, y float64) (float64, float64) {
	iw := 1 / (h[6]*x + h[7]*y + h[8])
	return (h[0]*x + h[1]*y + h[2]) * iw, (h[3]*x + h[4]*y + h[5]) * iw
}

// mapJ maps (x, y) and returns half the extent, in each output
// coordinate, of the image of a pixel centred there (from the Jacobian),
// a little more to be safe.
func (h *homography) mapJ(x, y float64) (u, v, ru, rv float64) {
	iw := 1 / (h[6]*x + h[7]*y + h[8])
	u = (h[0]*x + h[1]*y + h[2]) * iw
	v = (h[3]*x + h[4]*y + h[5]) * iw
	dux, duy := (h[0]-u*h[6])*iw, (h[1]-u*h[7])*iw
	dvx, dvy := (h[3]-v*h[6])*iw, (h[4]-v*h[7])*iw
	ru = 0.51 * (math.Abs(dux) + math.Abs(duy))
	rv = 0.51 * (math.Abs(dvx) + math.Abs(dvy))
	return u, v, ru, rv
}

// bounds returns the bounding box of the images of points.
func (h homography) bounds(points [][2]float64) (minX, minY, maxX, maxY float64) {
	minX, minY = math.Inf(1), math.Inf(1)
	maxX, maxY = math.Inf(-1), math.Inf(-1)
	for _, p := range points {
		x, y := h.apply(p[0], p[1])
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	return minX, minY, maxX, maxY
}

// gaussianBlur blurs the w x h plane in place with a separable Gaussian of
// sigma pixels, the edges extended; scratch is a plane of the same size.
func gaussianBlur(buf, scratch []float32, w, h int, sigma float64) {
	radius := int(math.Ceil(3 * sigma))
	kernel := make([]float32, 2*radius+1)
	var sum float64
	for i := range kernel {
		d := float64(i - radius)
		k := math.Exp(-d * d / (2 * sigma * sigma))
		kernel[i] = float32(k)
		sum += k
	}
	for i := range kernel {
		kernel[i] /= float32(sum)
	}
	// Rows: the kernel is symmetric, so each pair of taps takes one
	// multiplication.
	k0, ks := kernel[radius], kernel[radius+1:]
	line := make([]float32, w+2*radius)
	for y := range h {
		row := buf[y*w : (y+1)*w]
		for i := range radius {
			line[i] = row[0]
			line[radius+w+i] = row[w-1]
		}
		copy(line[radius:], row)
		for x := range w {
			c := x + radius
			acc := k0 * line[c]
			for i, kv := range ks {
				acc += kv * (line[c-1-i] + line[c+1+i])
			}
			row[x] = acc
		}
	}
	// Columns, a row at a time for the cache.
	src := scratch[:len(buf)]
	copy(src, buf)
	rowOf := func(y int) []float32 {
		y = min(max(y, 0), h-1)
		return src[y*w : (y+1)*w]
	}
	for y := range h {
		out := buf[y*w : (y+1)*w]
		in := rowOf(y)
		for x := range out {
			out[x] = k0 * in[x]
		}
		for i, kv := range ks {
			a, b := rowOf(y-1-i), rowOf(y+1+i)
			for x := range out {
				out[x] += kv * (a[x] + b[x])
			}
		}
	}
}

// normals is a table of standard normal deviates, at evenly spaced
// quantiles: noise takes them by random 16-bit indices, four from each
// 64-bit random number, much faster than drawing each.
var normals = func() (t [1 << 16]float32) {
	for i := range t {
		p := (float64(i) + 0.5) / float64(len(t))
		t[i] = float32(math.Sqrt2 * math.Erfinv(2*p-1))
	}
	return t
}()
