package scan

import (
	"image"
	"math"
)

// half returns g at half its width and height, each pixel the mean of
// four (a box filter: it keeps thin modules grey rather than dropping
// them). An odd last row or column is left out.
func half(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx()/2, g.Rect.Dy()/2
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		a := g.Pix[2*y*g.Stride:]
		b := g.Pix[(2*y+1)*g.Stride:]
		row := out.Pix[y*out.Stride : y*out.Stride+w]
		for x := range row {
			row[x] = uint8((uint32(a[2*x]) + uint32(a[2*x+1]) + uint32(b[2*x]) + uint32(b[2*x+1]) + 2) / 4)
		}
	}
	return out
}

// double returns g at twice its width and height, interpolated
// bilinearly: each new pixel is 3/4 of its nearest old pixel and 1/4 of
// the next one, along both axes.
func double(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// Horizontally first, in quarters.
	tmp := make([]uint16, 2*w*h)
	for y := range h {
		s := g.Pix[y*g.Stride : y*g.Stride+w]
		t := tmp[2*w*y : 2*w*(y+1)]
		for x := range s {
			l, r := s[max(x-1, 0)], s[min(x+1, w-1)]
			c := 3 * uint16(s[x])
			t[2*x] = c + uint16(l)
			t[2*x+1] = c + uint16(r)
		}
	}
	out := image.NewGray(image.Rect(0, 0, 2*w, 2*h))
	for y := range h {
		c := tmp[2*w*y : 2*w*(y+1)]
		up := tmp[2*w*max(y-1, 0):]
		down := tmp[2*w*min(y+1, h-1):]
		r0 := out.Pix[2*y*out.Stride : 2*y*out.Stride+2*w]
		r1 := out.Pix[(2*y+1)*out.Stride : (2*y+1)*out.Stride+2*w]
		for x := range c {
			v := 3 * uint32(c[x])
			r0[x] = uint8((v + uint32(up[x]) + 8) / 16)
			r1[x] = uint8((v + uint32(down[x]) + 8) / 16)
		}
	}
	return out
}

// scaleRect multiplies r by s, rounding outwards.
func scaleRect(r image.Rectangle, s float64) image.Rectangle {
	if r.Empty() {
		return image.Rectangle{}
	}
	return image.Rect(int(math.Floor(float64(r.Min.X)*s)), int(math.Floor(float64(r.Min.Y)*s)),
		int(math.Ceil(float64(r.Max.X)*s)), int(math.Ceil(float64(r.Max.Y)*s)))
}
