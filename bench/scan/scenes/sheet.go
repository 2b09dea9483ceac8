package scenes

import (
	"math"
	"math/rand/v2"
)

// sheet is the paper, in its own units (a module of the code), and what is
// printed on it: the code, text-like lines, a barcode, a logo.
type sheet struct {
	u0, v0, u1, v1 float64 // the paper's edges
	paper, ink     float32

	code   []uint8 // dim x dim modules, 1 for dark; nil for none
	dim    int
	cu, cv float64 // the code's top left corner

	blocks []block
	rows   [][]int32 // the blocks meeting each unit-high band of the sheet
}

type blockKind uint8

const (
	textBlock blockKind = iota
	barBlock
	logoBlock
)

// block is a rectangle of marks: a line of text (data holds its
// characters, 0 for a space, cell is the side of a font pixel), a linear
// barcode (data holds its bars, 1 for dark, cell is a bar's width) or a
// square logo like a QR finder pattern.
type block struct {
	u0, v0, u1, v1 float64
	kind           blockKind
	cell           float64
	data           []uint8
}

func newSheet(r *rand.Rand) *sheet {
	return &sheet{
		paper: float32(212 + 26*r.Float64()),
		ink:   float32(22 + 28*r.Float64()),
	}
}

// The font: 5x7 pixels a character, one pixel of space after it; each
// character a few strokes, as letters are.
const (
	fontW, fontH = 5, 7
	fontAdvance  = fontW + 1
)

var font = func() [][fontW * fontH]bool {
	r := rand.New(rand.NewPCG(42, 7))
	strokes := []func(x, y int) bool{
		func(x, y int) bool { return x == 0 },                     // left stem
		func(x, y int) bool { return x == fontW-1 },               // right stem
		func(x, y int) bool { return x == fontW/2 },               // middle stem
		func(x, y int) bool { return y == 0 },                     // top bar
		func(x, y int) bool { return y == fontH/2 },               // middle bar
		func(x, y int) bool { return y == fontH-1 },               // bottom bar
		func(x, y int) bool { return x == y*(fontW-1)/(fontH-1) }, // diagonal
		func(x, y int) bool {
			return y >= 2 && (x == 0 || x == fontW-1) && y != fontH-1 || y == 2 && x > 0 && x < fontW-1
		},
	}
	glyphs := make([][fontW * fontH]bool, 40)
	for g := range glyphs {
		n := 2 + r.IntN(2)
		for range n {
			s := strokes[r.IntN(len(strokes))]
			for y := range fontH {
				for x := range fontW {
					if s(x, y) {
						glyphs[g][y*fontW+x] = true
					}
				}
			}
		}
	}
	return glyphs
}()

// addText adds n lines of text-like marks from (uL, y) to at most uR,
// capH high, pitch apart: words of 1 to 10 characters, the last line of a
// paragraph sometimes short.
func (s *sheet) addText(r *rand.Rand, uL, y, uR, capH, pitch float64, n int) {
	cell := capH / fontH
	maxChars := int((uR - uL) / (cell * fontAdvance))
	for i := range n {
		end := maxChars
		if r.IntN(4) == 0 {
			end = maxChars * (3 + r.IntN(6)) / 10
		}
		var chars []uint8
		for len(chars) < end {
			word := 1 + r.IntN(10)
			if len(chars)+word > end {
				break
			}
			for range word {
				chars = append(chars, uint8(1+r.IntN(len(font))))
			}
			chars = append(chars, 0)
		}
		if len(chars) < 2 {
			continue
		}
		chars = chars[:len(chars)-1]
		v := y + float64(i)*pitch
		s.blocks = append(s.blocks, block{
			u0: uL, v0: v, u1: uL + float64(len(chars))*cell*fontAdvance, v1: v + capH,
			kind: textBlock, cell: cell, data: chars,
		})
	}
}

// addBarcode adds a linear barcode filling the rectangle: bars and spaces
// of 1 to 4 units, 0.6 sheet units a unit.
func (s *sheet) addBarcode(r *rand.Rand, u0, v0, u1, v1 float64) {
	const unit = 0.6
	var bars []uint8
	n := int((u1 - u0) / unit)
	dark := uint8(1)
	for len(bars) < n {
		for range 1 + r.IntN(4) {
			bars = append(bars, dark)
		}
		dark ^= 1
	}
	bars = bars[:n]
	s.blocks = append(s.blocks, block{u0: u0, v0: v0, u1: u0 + float64(n)*unit, v1: v1, kind: barBlock, cell: unit, data: bars})
}

// addLogo adds a square logo of side size: concentric squares in the
// proportions of a QR finder pattern (1:1:3:1:1).
func (s *sheet) addLogo(u0, v0, size float64) {
	s.blocks = append(s.blocks, block{u0: u0, v0: v0, u1: u0 + size, v1: v0 + size, kind: logoBlock, cell: size / 7})
}

// index builds the bands of blocks; call it once the blocks are added.
func (s *sheet) index() {
	s.rows = make([][]int32, int(math.Ceil(s.v1-s.v0))+1)
	for i, b := range s.blocks {
		for y := max(int(b.v0-s.v0), 0); y <= min(int(b.v1-s.v0), len(s.rows)-1); y++ {
			s.rows[y] = append(s.rows[y], int32(i))
		}
	}
}

// at returns the paper's luminance at (u, v), or -1 off the paper.
func (s *sheet) at(u, v float64) float32 {
	if u < s.u0 || u >= s.u1 || v < s.v0 || v >= s.v1 {
		return -1
	}
	if s.code != nil {
		x, y := u-s.cu, v-s.cv
		if x >= 0 && y >= 0 && x < float64(s.dim) && y < float64(s.dim) {
			if s.code[int(y)*s.dim+int(x)] == 1 {
				return s.ink
			}
			return s.paper
		}
	}
	for _, i := range s.rows[int(v-s.v0)] {
		b := &s.blocks[i]
		if u < b.u0 || u >= b.u1 || v < b.v0 || v >= b.v1 {
			continue
		}
		if b.dark(u, v) {
			return s.ink
		}
		return s.paper
	}
	return s.paper
}

func (b *block) dark(u, v float64) bool {
	switch b.kind {
	case textBlock:
		fx, fy := int((u-b.u0)/b.cell), int((v-b.v0)/b.cell)
		col := fx % fontAdvance
		ch := b.data[min(fx/fontAdvance, len(b.data)-1)]
		if col >= fontW || ch == 0 || fy >= fontH {
			return false
		}
		return font[ch-1][fy*fontW+col]
	case barBlock:
		return b.data[min(int((u-b.u0)/b.cell), len(b.data)-1)] == 1
	default: // logo: rings 0, 2, 3, 4 of 7 cells are dark
		x, y := min(int((u-b.u0)/b.cell), 6), min(int((v-b.v0)/b.cell), 6)
		ring := min(x, y, 6-x, 6-y)
		return ring != 1
	}
}

// uniform reports whether the paper is the same everywhere in the box
// [u0, u1] x [v0, v1], and if so its luminance there (-1 off the paper).
func (s *sheet) uniform(u0, u1, v0, v1 float64) (float32, bool) {
	if u1 < s.u0 || u0 >= s.u1 || v1 < s.v0 || v0 >= s.v1 {
		return -1, true
	}
	if u0 < s.u0 || u1 >= s.u1 || v0 < s.v0 || v1 >= s.v1 {
		return 0, false
	}
	if s.code != nil {
		x0, x1 := math.Floor(u0-s.cu), math.Floor(u1-s.cu)
		y0, y1 := math.Floor(v0-s.cv), math.Floor(v1-s.cv)
		d := float64(s.dim)
		if x1 >= 0 && x0 < d && y1 >= 0 && y0 < d {
			if x0 != x1 || y0 != y1 {
				return 0, false
			}
			if s.code[int(y0)*s.dim+int(x0)] == 1 {
				return s.ink, true
			}
			return s.paper, true
		}
	}
	for y := int(v0 - s.v0); y <= int(v1-s.v0); y++ {
		for _, i := range s.rows[y] {
			b := &s.blocks[i]
			if u1 >= b.u0 && u0 < b.u1 && v1 >= b.v0 && v0 < b.v1 {
				return 0, false
			}
		}
	}
	return s.paper, true
}

// desk is the grey desk under the paper: a mild texture of two octaves of
// value noise on coarse grids, and a fine grain.
type desk struct {
	base         float32
	coarse, fine grid
}

type grid struct {
	step float64
	w    int
	vals []float32
}

func newDesk(r *rand.Rand, w, h int) desk {
	return desk{
		base:   float32(95 + 55*r.Float64()),
		coarse: newGrid(r, w, h, 96, 10),
		fine:   newGrid(r, w, h, 9, 3),
	}
}

func newGrid(r *rand.Rand, w, h int, step, amp float64) grid {
	g := grid{step: step, w: int(float64(w)/step) + 2}
	g.vals = make([]float32, g.w*(int(float64(h)/step)+2))
	for i := range g.vals {
		g.vals[i] = float32(amp * (2*r.Float64() - 1))
	}
	return g
}

func (g *grid) at(x, y float64) float32 {
	fx, fy := x/g.step, y/g.step
	ix, iy := int(fx), int(fy)
	tx, ty := float32(fx-float64(ix)), float32(fy-float64(iy))
	i := iy*g.w + ix
	a, b := g.vals[i], g.vals[i+1]
	c, d := g.vals[i+g.w], g.vals[i+g.w+1]
	top := a + (b-a)*tx
	bottom := c + (d-c)*tx
	return top + (bottom-top)*ty
}

func (d *desk) at(x, y float64) float32 {
	return d.base + d.coarse.at(x, y) + d.fine.at(x, y)
}
