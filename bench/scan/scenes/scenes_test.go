package scenes

import (
	"bytes"
	"math"
	"testing"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/sportello/sportello/core/scan"
)

// TestCleanFramesRead checks the renderer: every frame with a code, drawn
// without its scene's distortion (upright, 5 px a module or more, no tilt,
// blur, noise nor gradient), is read by gozxing as the frame's text, and
// shows every module where the geometry says. gozxing's QR reader stops
// at the first three finder patterns it confirms, and the data of some
// codes holds a finder-like pattern (the residenza at version 12 is one),
// so its multiple-code reader, which tries every triple, reads those.
func TestCleanFramesRead(t *testing.T) {
	for _, scene := range Scenes() {
		if scene == "N" {
			continue
		}
		for i := range frameCount(6) {
			spec := plan(scene, i, 1, true)
			f := spec.render()
			if bad := moduleErrors(spec, f); bad > 0 {
				t.Errorf("%s%d drawn plainly: %d modules wrong", scene, i, bad)
			}
			text, err := readGozxing(f)
			if err != nil {
				t.Errorf("%s%d (version %d %s) drawn plainly: %v", scene, i, f.Version, f.Level, err)
				continue
			}
			if text != f.Text {
				t.Errorf("%s%d drawn plainly reads %.20q..., want %.20q...", scene, i, text, f.Text)
			}
		}
	}
}

// TestGeometry: in the frames as drawn, the centre of each module has the
// module's colour, but for a few flipped by blur and noise (many in G,
// whose blur is half a module: a misplaced code would get half wrong).
func TestGeometry(t *testing.T) {
	for _, scene := range []string{"A", "B", "C", "D", "F", "G", "P"} {
		for i := range frameCount(3) {
			spec := plan(scene, i, 1, false)
			f := spec.render()
			total := spec.sheet.dim * spec.sheet.dim
			limit := total / 50
			if scene == "G" {
				limit = total / 6
			}
			if bad := moduleErrors(spec, f); bad > limit {
				t.Errorf("%s%d: %d of %d modules wrong", scene, i, bad, total)
			}
		}
	}
}

// moduleErrors counts the modules whose centre pixel is on the wrong side
// of the middle between paper and ink.
func moduleErrors(spec *frameSpec, f Frame) (bad int) {
	s := spec.sheet
	mid := (s.paper + s.ink) / 2
	if spec.p.gradient != 0 {
		mid = (s.paper*(1-float32(spec.p.gradient)/2) + s.ink) / 2
	}
	for y := range s.dim {
		for x := range s.dim {
			px, py := spec.h.apply(s.cu+float64(x)+0.5, s.cv+float64(y)+0.5)
			if px < 0 || py < 0 || px >= float64(spec.p.w) || py >= float64(spec.p.h) {
				bad++
				continue
			}
			dark := float32(f.Luma.GrayAt(int(px), int(py)).Y) < mid
			if dark != (s.code[y*s.dim+x] == 1) {
				bad++
			}
		}
	}
	return bad
}

func readGozxing(f Frame) (string, error) {
	src := gozxing.NewLuminanceSourceFromImage(f.Luma)
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err == nil {
		return res.GetText(), nil
	}
	all, err2 := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, nil)
	if err2 != nil || len(all) == 0 {
		return "", err
	}
	return all[0].GetText(), nil
}

// TestSceneAReads: the clean scene is read by Sportello's pipeline.
func TestSceneAReads(t *testing.T) {
	for _, f := range Render("A", frameCount(10), 1) {
		res, err := scan.NewScanner().Frame(f.Luma)
		if err != nil {
			t.Errorf("A%d (version %d %s, %.2f px a module): %v", f.Index, f.Version, f.Level, f.Module, err)
			continue
		}
		if res.Text != f.Text {
			t.Errorf("A%d reads %.20q..., want %.20q...", f.Index, res.Text, f.Text)
		}
	}
}

func TestFrames(t *testing.T) {
	glyphs := map[string]bool{}
	for _, g := range Glyphs() {
		glyphs[g] = true
	}
	versions := map[int]bool{}
	for _, scene := range Scenes() {
		p := sceneParams[scene]
		for _, f := range Render(scene, frameCount(4), 3) {
			if f.Scene != scene || f.Luma.Rect.Dx() != p.w || f.Luma.Rect.Dy() != p.h {
				t.Fatalf("%s%d: scene %s, %v", scene, f.Index, f.Scene, f.Luma.Rect)
			}
			if scene == "N" {
				if f.Text != "" || f.Module != 0 || f.Version != 0 {
					t.Errorf("N%d has a code", f.Index)
				}
				continue
			}
			if !glyphs[f.Text] {
				t.Errorf("%s%d: not one of the glyphs", scene, f.Index)
			}
			versions[f.Version] = true
			// Drawn at the scene's size ±5%, or smaller when it would not
			// fit the frame.
			if f.Module > p.module*1.051 || f.Module < p.module*0.6 {
				t.Errorf("%s%d: %.2f px a module, scene %.2f", scene, f.Index, f.Module, p.module)
			}
		}
	}
	if len(versions) < frameCount(4) {
		t.Errorf("versions drawn: %v", versions)
	}
}

// frameCount returns n, or fewer under the race detector.
func frameCount(n int) int {
	if raceEnabled {
		return max(n/3, 1)
	}
	return n
}

func TestDeterministic(t *testing.T) {
	a := Render("C", 2, 7)
	b := Render("C", 1, 7)
	c := Render("C", 1, 8)
	if !bytes.Equal(a[0].Luma.Pix, b[0].Luma.Pix) || a[0].Text != b[0].Text || a[0].Module != b[0].Module {
		t.Error("frame 0 differs from one rendering to the next")
	}
	if bytes.Equal(a[0].Luma.Pix, c[0].Luma.Pix) {
		t.Error("frame 0 is the same for seeds 7 and 8")
	}
}

func TestRenderPanicsOnUnknownScene(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	Render("Z", 1, 1)
}

func TestHomography(t *testing.T) {
	h := sheetHomography(10, 20, 4, 30, 25, 1, 640, 360)
	if x, y := h.apply(10, 20); math.Abs(x-640) > 1e-9 || math.Abs(y-360) > 1e-9 {
		t.Errorf("centre maps to %v,%v", x, y)
	}
	inv := h.inverse()
	for _, p := range [][2]float64{{0, 0}, {50, -3}, {-20, 80}} {
		x, y := h.apply(p[0], p[1])
		u, v := inv.apply(x, y)
		if math.Hypot(u-p[0], v-p[1]) > 1e-6 {
			t.Errorf("%v maps back to %v,%v", p, u, v)
		}
	}
}
