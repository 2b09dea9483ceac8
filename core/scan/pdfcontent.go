package scan

import (
	"bytes"
	"errors"
	"math"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// A content-stream interpreter for what a code drawn as vectors needs:
// paths, fills, fill colour, transformations, form and image XObjects.
// Coordinates are kept in the page's default user space (points, y up).

// matrix is a PDF transformation [a b c d e f]: (x, y) -> (a x + c y + e,
// b x + d y + f).
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// then returns the transformation m followed by n.
func (m matrix) then(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func (m matrix) apply(x, y float64) point {
	return point{m[0]*x + m[2]*y + m[4], m[1]*x + m[3]*y + m[5]}
}

type point struct{ x, y float64 }

// fill is one filled path: its subpaths (each implicitly closed), the
// winding rule, and whether its colour is dark.
type fill struct {
	subpaths [][]point
	evenOdd  bool
	dark     bool
}

// imageRef is an image XObject drawn on a page.
type imageRef struct {
	objNr int
	name  string
	sd    *types.StreamDict
}

// budget bounds the work one PDF may cause.
type budget struct {
	contentBytes int64 // decoded content-stream bytes left
	ops          int   // operators left
	points       int   // path points left
	images       int   // embedded images left to decode
	pixels       int64 // embedded-image pixels left to decode
	rasterWork   int64 // edge-row steps of the rasteriser left
	seenImages   map[int]bool
}

func newBudget() *budget {
	return &budget{contentBytes: 32 << 20, ops: 4_000_000, points: 4_000_000, images: 16,
		pixels: 4 * MaxPixels, rasterWork: 200_000_000, seenImages: map[int]bool{}}
}

// gstate is the part of the graphics state kept.
type gstate struct {
	ctm  matrix
	dark bool
}

// interp interprets the content streams of one page.
type interp struct {
	x       *model.XRefTable
	b       *budget
	fills   []fill
	images  []imageRef
	gs      gstate
	stack   []gstate
	path    [][]point
	cur     []point
	forms   map[int]bool // the form XObjects being drawn, against cycles
	depth   int
	problem error // the first stream that could not be decoded
}

const (
	maxFormDepth = 8
	maxSaveDepth = 256
	curveSteps   = 8 // line segments a Bézier curve is flattened to
)

func newInterp(x *model.XRefTable, b *budget) *interp {
	return &interp{x: x, b: b, gs: gstate{ctm: identity, dark: true}, forms: map[int]bool{}}
}

// operand is a number, a name or something else (a string, an array
// bracket, a dictionary...) on the operand stack.
type operand struct {
	num    float64
	name   string
	isNum  bool
	isName bool
}

// run interprets one content stream with its resources.
func (in *interp) run(content []byte, res types.Dict) {
	lx := lexer{data: content}
	var ops []operand
	for in.b.ops > 0 {
		tok, ok := lx.next()
		if !ok {
			return
		}
		switch tok.kind {
		case tokNum:
			ops = append(ops, operand{num: tok.num, isNum: true})
		case tokName:
			ops = append(ops, operand{name: string(tok.text), isName: true})
		case tokOther:
			ops = append(ops, operand{})
		case tokOp:
			in.b.ops--
			if string(tok.text) == "BI" {
				lx.skipInlineImage()
			} else {
				in.op(string(tok.text), ops, res)
			}
			ops = ops[:0]
		}
		if len(ops) > 64 { // no operator takes that many: junk
			ops = ops[:0]
		}
	}
}

// nums returns the last n operands as numbers, if they are.
func nums(ops []operand, n int) ([]float64, bool) {
	if len(ops) < n {
		return nil, false
	}
	out := make([]float64, n)
	for i, o := range ops[len(ops)-n:] {
		if !o.isNum {
			return nil, false
		}
		out[i] = o.num
	}
	return out, true
}

func (in *interp) op(name string, ops []operand, res types.Dict) {
	switch name {
	case "q":
		if len(in.stack) < maxSaveDepth {
			in.stack = append(in.stack, in.gs)
		}
	case "Q":
		if n := len(in.stack); n > 0 {
			in.gs, in.stack = in.stack[n-1], in.stack[:n-1]
		}
	case "cm":
		if v, ok := nums(ops, 6); ok {
			in.gs.ctm = matrix(v).then(in.gs.ctm)
		}
	case "g":
		if v, ok := nums(ops, 1); ok {
			in.gs.dark = v[0] < 0.5
		}
	case "rg":
		if v, ok := nums(ops, 3); ok {
			in.gs.dark = 0.299*v[0]+0.587*v[1]+0.114*v[2] < 0.5
		}
	case "k":
		if v, ok := nums(ops, 4); ok {
			in.gs.dark = cmykDark(v)
		}
	case "cs":
		in.gs.dark = true // the initial colour of every colour space but Pattern is black
	case "sc", "scn":
		n := 0
		for n < len(ops) && ops[len(ops)-1-n].isNum {
			n++
		}
		switch {
		case len(ops) > n: // a pattern: its colour is not known
			in.gs.dark = true
		case n == 1:
			in.gs.dark = ops[len(ops)-1].num < 0.5
		case n == 3:
			v, _ := nums(ops, 3)
			in.gs.dark = 0.299*v[0]+0.587*v[1]+0.114*v[2] < 0.5
		case n == 4:
			v, _ := nums(ops, 4)
			in.gs.dark = cmykDark(v)
		}
	case "re":
		if v, ok := nums(ops, 4); ok {
			in.closeSub()
			m := in.gs.ctm
			in.addSub([]point{m.apply(v[0], v[1]), m.apply(v[0]+v[2], v[1]), m.apply(v[0]+v[2], v[1]+v[3]), m.apply(v[0], v[1]+v[3])})
		}
	case "m":
		if v, ok := nums(ops, 2); ok {
			in.closeSub()
			in.addPoint(in.gs.ctm.apply(v[0], v[1]))
		}
	case "l":
		if v, ok := nums(ops, 2); ok {
			in.addPoint(in.gs.ctm.apply(v[0], v[1]))
		}
	case "c", "v", "y":
		k := map[string]int{"c": 6, "v": 4, "y": 4}[name]
		v, ok := nums(ops, k)
		if !ok || len(in.cur) == 0 {
			return
		}
		m := in.gs.ctm
		p0 := in.cur[len(in.cur)-1]
		var p1, p2, p3 point
		switch name {
		case "c":
			p1, p2, p3 = m.apply(v[0], v[1]), m.apply(v[2], v[3]), m.apply(v[4], v[5])
		case "v":
			p1, p2, p3 = p0, m.apply(v[0], v[1]), m.apply(v[2], v[3])
		case "y":
			p1, p2, p3 = m.apply(v[0], v[1]), m.apply(v[2], v[3]), m.apply(v[2], v[3])
		}
		for i := 1; i <= curveSteps; i++ {
			t := float64(i) / curveSteps
			u := 1 - t
			in.addPoint(point{
				u*u*u*p0.x + 3*u*u*t*p1.x + 3*u*t*t*p2.x + t*t*t*p3.x,
				u*u*u*p0.y + 3*u*u*t*p1.y + 3*u*t*t*p2.y + t*t*t*p3.y,
			})
		}
	case "h":
		if len(in.cur) > 0 {
			start := in.cur[0]
			in.closeSub()
			in.cur = []point{start} // the current point is the subpath's start
		}
	case "f", "F", "B", "b", "f*", "B*", "b*":
		in.closeSub()
		if len(in.path) > 0 {
			in.fills = append(in.fills, fill{subpaths: in.path, evenOdd: name[len(name)-1] == '*', dark: in.gs.dark})
		}
		in.path = nil
	case "n", "S", "s":
		in.cur, in.path = nil, nil
	case "Do":
		if len(ops) > 0 && ops[len(ops)-1].isName {
			in.xobject(ops[len(ops)-1].name, res)
		}
	}
}

func cmykDark(v []float64) bool {
	k := 1 - v[3]
	return 0.299*(1-v[0])*k+0.587*(1-v[1])*k+0.114*(1-v[2])*k < 0.5
}

func (in *interp) addPoint(p point) {
	if in.b.points <= 0 || math.IsNaN(p.x+p.y) || math.IsInf(p.x+p.y, 0) {
		return
	}
	in.b.points--
	in.cur = append(in.cur, p)
}

// closeSub ends the current subpath, keeping it if it can enclose area.
func (in *interp) closeSub() {
	if len(in.cur) >= 3 {
		in.path = append(in.path, in.cur)
	}
	in.cur = nil
}

func (in *interp) addSub(pts []point) {
	for _, p := range pts {
		in.addPoint(p)
	}
	in.closeSub()
}

// xobject draws the XObject name of the resources: an image is noted, a
// form is interpreted with its matrix and resources.
func (in *interp) xobject(name string, res types.Dict) {
	if res == nil {
		return
	}
	xo, _ := res.Find("XObject")
	xobjs, err := in.x.DereferenceDict(xo)
	if err != nil || xobjs == nil {
		return
	}
	ref, found := xobjs.Find(name)
	if !found {
		return
	}
	objNr := 0
	if ir, ok := ref.(types.IndirectRef); ok {
		objNr = ir.ObjectNumber.Value()
	}
	sd, _, err := in.x.DereferenceStreamDict(ref)
	if err != nil || sd == nil {
		return
	}
	switch st := sd.Subtype(); {
	case st != nil && *st == "Image":
		if objNr != 0 && in.b.seenImages[objNr] {
			return
		}
		in.b.seenImages[objNr] = true
		in.images = append(in.images, imageRef{objNr: objNr, name: name, sd: sd})
	case st != nil && *st == "Form":
		if in.depth >= maxFormDepth || objNr != 0 && in.forms[objNr] {
			return
		}
		content, err := in.decode(sd)
		if err != nil {
			return
		}
		formRes := res
		if r, found := sd.Find("Resources"); found {
			if d, err := in.x.DereferenceDict(r); err == nil && d != nil {
				formRes = d
			}
		}
		m := identity
		if a, found := sd.Find("Matrix"); found {
			if arr, err := in.x.DereferenceArray(a); err == nil && len(arr) == 6 {
				for i, o := range arr {
					if f, err := in.x.DereferenceNumber(o); err == nil {
						m[i] = f
					}
				}
			}
		}
		saved, savedStack := in.gs, len(in.stack)
		savedPath, savedCur := in.path, in.cur
		in.gs.ctm = m.then(in.gs.ctm)
		in.path, in.cur = nil, nil
		in.forms[objNr] = true
		in.depth++
		in.run(content, formRes)
		in.depth--
		delete(in.forms, objNr)
		in.gs, in.stack = saved, in.stack[:min(savedStack, len(in.stack))]
		in.path, in.cur = savedPath, savedCur
	}
}

// errBudget: the budget of a PDF is spent; what is past it is not read.
var errBudget = errors.New("scan: the PDF's budget is spent")

// decode returns a content stream decoded, within the budget. A stream
// that cannot be decoded is noted as the page's problem.
func (in *interp) decode(sd *types.StreamDict) ([]byte, error) {
	if in.b.contentBytes <= 0 {
		return nil, errBudget
	}
	if err := sd.DecodeWithLimit(in.b.contentBytes); err != nil {
		if in.problem == nil {
			in.problem = err
		}
		return nil, err
	}
	in.b.contentBytes -= int64(len(sd.Content))
	return sd.Content, nil
}

// Tokens of a content stream.

type tokKind int

const (
	tokNum tokKind = iota
	tokName
	tokOp
	tokOther // strings, array and dictionary brackets...
)

type token struct {
	kind tokKind
	num  float64
	text []byte
}

type lexer struct {
	data []byte
	pos  int
}

func isWhite(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' || c == '}' || c == '/' || c == '%'
}

// regular reads a run of regular characters.
func (l *lexer) regular() []byte {
	start := l.pos
	for l.pos < len(l.data) && !isWhite(l.data[l.pos]) && !isDelim(l.data[l.pos]) {
		l.pos++
	}
	return l.data[start:l.pos]
}

func (l *lexer) next() (token, bool) {
	d := l.data
	for l.pos < len(d) {
		c := d[l.pos]
		switch {
		case isWhite(c):
			l.pos++
		case c == '%':
			for l.pos < len(d) && d[l.pos] != '\n' && d[l.pos] != '\r' {
				l.pos++
			}
		case c == '/':
			l.pos++
			return token{kind: tokName, text: l.regular()}, true
		case c == '(':
			l.skipString()
			return token{kind: tokOther}, true
		case c == '<':
			if l.pos+1 < len(d) && d[l.pos+1] == '<' {
				l.pos += 2
				return token{kind: tokOther}, true
			}
			if i := bytes.IndexByte(d[l.pos:], '>'); i >= 0 {
				l.pos += i + 1
			} else {
				l.pos = len(d)
			}
			return token{kind: tokOther}, true
		case c == '>':
			l.pos++
			if l.pos < len(d) && d[l.pos] == '>' {
				l.pos++
			}
			return token{kind: tokOther}, true
		case isDelim(c): // [ ] { } )
			l.pos++
			return token{kind: tokOther}, true
		default:
			t := l.regular()
			if c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.' {
				f, err := strconv.ParseFloat(string(t), 64)
				if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
					f = 0 // readers take a malformed number as 0
				}
				return token{kind: tokNum, num: f}, true
			}
			return token{kind: tokOp, text: t}, true
		}
	}
	return token{}, false
}

// skipString skips a literal string, balanced parentheses and escapes.
func (l *lexer) skipString() {
	d := l.data
	depth := 0
	for l.pos < len(d) {
		switch d[l.pos] {
		case '\\':
			l.pos++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.pos++
				return
			}
		}
		l.pos++
	}
}

// skipInlineImage skips an inline image after BI: its dictionary up to ID,
// then its data up to an EI between white space.
func (l *lexer) skipInlineImage() {
	for {
		tok, ok := l.next()
		if !ok {
			return
		}
		if tok.kind == tokOp && string(tok.text) == "ID" {
			break
		}
	}
	l.pos++ // the one white-space byte after ID
	d := l.data
	for l.pos < len(d) {
		i := bytes.Index(d[l.pos:], []byte("EI"))
		if i < 0 {
			l.pos = len(d)
			return
		}
		at := l.pos + i
		l.pos = at + 2
		if at > 0 && isWhite(d[at-1]) && (at+2 == len(d) || isWhite(d[at+2]) || isDelim(d[at+2])) {
			return
		}
	}
}
