package scan

import (
	"image"
	"math"
	"slices"
)

// Rasterising the fills of a page: the region the dark fills cover, with
// a quiet zone, at about pxPerModule pixels for the smallest feature the
// fills share (a module of a code drawn as vectors), white where nothing
// is drawn, the fills painted in order, dark or light.

const (
	pxPerModule     = 4
	quietModules    = 6
	maxRasterSide   = 4096
	maxRasterPixels = 16_000_000
)

// rasterise returns the region of the dark fills as a plane, or nil when
// there are none.
func rasterise(fills []fill, b *budget) *image.Gray {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	var features []float64
	for _, f := range fills {
		if !f.dark {
			continue
		}
		for _, sp := range f.subpaths {
			for _, p := range sp {
				minX, minY, maxX, maxY = min(minX, p.x), min(minY, p.y), max(maxX, p.x), max(maxY, p.y)
			}
			if len(features) < 100_000 {
				if s := feature(sp); s > 0 {
					features = append(features, s)
				}
			}
		}
	}
	if len(features) == 0 || maxX <= minX || maxY <= minY {
		return nil
	}
	// The module: the lower quartile of the features, so that a few thin
	// rules elsewhere on the page do not set it.
	slices.Sort(features)
	module := max(features[len(features)/4], 1e-3)
	minX, minY = minX-quietModules*module, minY-quietModules*module
	maxX, maxY = maxX+quietModules*module, maxY+quietModules*module
	scale := pxPerModule / module
	w, h := (maxX-minX)*scale, (maxY-minY)*scale
	if !(w < 1e15 && h < 1e15) {
		return nil
	}
	if shrink := min(maxRasterSide/w, maxRasterSide/h, math.Sqrt(maxRasterPixels/(w*h))); shrink < 1 {
		scale *= shrink
	}
	W := int(clamp(math.Ceil((maxX-minX)*scale), 1, maxRasterSide))
	H := int(clamp(math.Ceil((maxY-minY)*scale), 1, maxRasterSide))
	img := image.NewGray(image.Rect(0, 0, W, H))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, f := range fills {
		var v uint8 = 0xff
		if f.dark {
			v = 0
		}
		// PDF y grows upwards, the raster's downwards.
		fillPath(img, f, v, func(p point) point { return point{(p.x - minX) * scale, (maxY - p.y) * scale} }, b)
	}
	return img
}

// feature is the size of the smallest detail of a subpath: the shorter
// side of a rectangle or of a rectilinear polygon's shortest edge, or else
// the shorter side of its bounding box (a dot, a rounded module).
func feature(sp []point) float64 {
	rectilinear := true
	shortest := math.Inf(1)
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i, p := range sp {
		q := sp[(i+1)%len(sp)]
		minX, minY, maxX, maxY = min(minX, p.x), min(minY, p.y), max(maxX, p.x), max(maxY, p.y)
		dx, dy := math.Abs(q.x-p.x), math.Abs(q.y-p.y)
		const eps = 1e-6
		switch {
		case dx < eps && dy < eps:
		case dx < eps:
			shortest = min(shortest, dy)
		case dy < eps:
			shortest = min(shortest, dx)
		default:
			rectilinear = false
		}
	}
	if rectilinear && !math.IsInf(shortest, 0) {
		return shortest
	}
	return min(maxX-minX, maxY-minY)
}

// edge is a non-horizontal edge of a path in raster coordinates, y0 < y1.
type edge struct {
	x0, y0, y1, dxdy float64
	dir              int
}

// fillPath paints f's subpaths, mapped to raster coordinates by toRaster,
// with the value v, by f's winding rule, sampling each pixel at its centre.
func fillPath(img *image.Gray, f fill, v uint8, toRaster func(point) point, b *budget) {
	W, H := img.Rect.Dx(), img.Rect.Dy()
	var edges []edge
	top, bottom := math.Inf(1), math.Inf(-1)
	for _, sp := range f.subpaths {
		for i := range sp {
			p, q := toRaster(sp[i]), toRaster(sp[(i+1)%len(sp)])
			if p.y == q.y {
				continue
			}
			e := edge{dir: 1}
			if p.y > q.y {
				p, q, e.dir = q, p, -1
			}
			e.x0, e.y0, e.y1, e.dxdy = p.x, p.y, q.y, (q.x-p.x)/(q.y-p.y)
			edges = append(edges, e)
			top, bottom = min(top, p.y), max(bottom, q.y)
		}
	}
	if len(edges) == 0 {
		return
	}
	slices.SortFunc(edges, func(a, b edge) int {
		switch {
		case a.y0 < b.y0:
			return -1
		case a.y0 > b.y0:
			return 1
		}
		return 0
	})
	type crossing struct {
		x   float64
		dir int
	}
	var active []edge
	var xs []crossing
	next := 0
	first := int(clamp(math.Ceil(top-0.5), 0, float64(H)))
	last := int(clamp(math.Floor(bottom-0.5), -1, float64(H-1)))
	for row := first; row <= last; row++ {
		yc := float64(row) + 0.5
		for next < len(edges) && edges[next].y0 <= yc {
			active = append(active, edges[next])
			next++
		}
		xs = xs[:0]
		kept := active[:0]
		for _, e := range active {
			if e.y1 <= yc {
				continue
			}
			kept = append(kept, e)
			if e.y0 <= yc {
				xs = append(xs, crossing{e.x0 + (yc-e.y0)*e.dxdy, e.dir})
			}
		}
		active = kept
		b.rasterWork -= int64(len(active)) + 1
		if b.rasterWork < 0 {
			return
		}
		slices.SortFunc(xs, func(a, b crossing) int {
			switch {
			case a.x < b.x:
				return -1
			case a.x > b.x:
				return 1
			}
			return 0
		})
		pix := img.Pix[row*img.Stride : row*img.Stride+W]
		winding := 0
		for i := 0; i+1 < len(xs); i++ {
			winding += xs[i].dir
			inside := winding != 0
			if f.evenOdd {
				inside = winding%2 != 0
			}
			if !inside {
				continue
			}
			// Pixels whose centre x+0.5 lies in [xs[i].x, xs[i+1].x).
			from := int(clamp(math.Ceil(xs[i].x-0.5), 0, float64(W)))
			to := int(clamp(math.Ceil(xs[i+1].x-0.5), 0, float64(W)))
			for x := from; x < to; x++ {
				pix[x] = v
			}
		}
	}
}

// clamp returns v within [lo, hi], NaN as lo.
func clamp(v, lo, hi float64) float64 {
	if !(v >= lo) {
		return lo
	}
	return min(v, hi)
}
