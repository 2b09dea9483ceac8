package scan

import "math"

// homography maps module coordinates (u, v) to pixels (x, y):
// x = (h0 u + h1 v + h2) / (h6 u + h7 v + 1), y = (h3 u + h4 v + h5) / (...).
type homography [8]float64

func (h *homography) apply(u, v float64) pt {
	d := h[6]*u + h[7]*v + 1
	return pt{(h[0]*u + h[1]*v + h[2]) / d, (h[3]*u + h[4]*v + h[5]) / d}
}

// fitHomography fits the map from src to dst by least squares: an affine
// map from three pairs, a projective one from four or more. It fails on
// degenerate input.
func fitHomography(src, dst []pt) (homography, bool) {
	n := len(src)
	if n < 3 || len(dst) != n {
		return homography{}, false
	}
	// Normalise both sides for conditioning.
	norm := func(ps []pt) (cx, cy, s float64) {
		for _, p := range ps {
			cx += p.x
			cy += p.y
		}
		cx /= float64(len(ps))
		cy /= float64(len(ps))
		for _, p := range ps {
			s += math.Hypot(p.x-cx, p.y-cy)
		}
		s /= float64(len(ps))
		if s == 0 {
			s = 1
		}
		return cx, cy, 1 / s
	}
	ucx, ucy, us := norm(src)
	xcx, xcy, xs := norm(dst)
	k := 8
	if n < 4 {
		k = 6
	}
	var ata [8][9]float64 // normal equations, augmented
	addRow := func(row [8]float64, b float64) {
		for i := range k {
			for j := range k {
				ata[i][j] += row[i] * row[j]
			}
			ata[i][8] += row[i] * b
		}
	}
	for i := range n {
		u, v := (src[i].x-ucx)*us, (src[i].y-ucy)*us
		x, y := (dst[i].x-xcx)*xs, (dst[i].y-xcy)*xs
		var rx, ry [8]float64
		if k == 8 {
			rx = [8]float64{u, v, 1, 0, 0, 0, -u * x, -v * x}
			ry = [8]float64{0, 0, 0, u, v, 1, -u * y, -v * y}
		} else {
			rx = [8]float64{u, v, 1, 0, 0, 0}
			ry = [8]float64{0, 0, 0, u, v, 1}
		}
		addRow(rx, x)
		addRow(ry, y)
	}
	// Gaussian elimination with partial pivoting on the k x k system.
	var sol [8]float64
	m := ata
	for c := range k {
		p := c
		for r := c + 1; r < k; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return homography{}, false
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < k; r++ {
			f := m[r][c] / m[c][c]
			for j := c; j < k; j++ {
				m[r][j] -= f * m[c][j]
			}
			m[r][8] -= f * m[c][8]
		}
	}
	for c := k - 1; c >= 0; c-- {
		s := m[c][8]
		for j := c + 1; j < k; j++ {
			s -= m[c][j] * sol[j]
		}
		sol[c] = s / m[c][c]
	}
	// Undo the normalisation: H = Tx^-1 * Hn * Tu.
	// Hn as a 3x3 matrix.
	hn := [3][3]float64{{sol[0], sol[1], sol[2]}, {sol[3], sol[4], sol[5]}, {sol[6], sol[7], 1}}
	tu := [3][3]float64{{us, 0, -us * ucx}, {0, us, -us * ucy}, {0, 0, 1}}
	txi := [3][3]float64{{1 / xs, 0, xcx}, {0, 1 / xs, xcy}, {0, 0, 1}}
	mul := func(a, b [3][3]float64) (c [3][3]float64) {
		for i := range 3 {
			for j := range 3 {
				for l := range 3 {
					c[i][j] += a[i][l] * b[l][j]
				}
			}
		}
		return c
	}
	h := mul(txi, mul(hn, tu))
	if h[2][2] == 0 || math.IsNaN(h[2][2]) {
		return homography{}, false
	}
	s := 1 / h[2][2]
	return homography{h[0][0] * s, h[0][1] * s, h[0][2] * s, h[1][0] * s, h[1][1] * s, h[1][2] * s, h[2][0] * s, h[2][1] * s}, true
}
