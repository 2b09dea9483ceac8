package app

import (
	"context"
	"errors"
	"image"
	"io/fs"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/sportello/sportello/core/scan"
	"github.com/sportello/sportello/platform/camera"
)

// The camera runs on a goroutine of its own: it reads frames, hands a
// smaller copy to the UI for the preview (at most previewFPS a second, and
// never while the UI has not drawn the previous one) and scans every frame
// it gets to, off the UI goroutine. The first code read gives the verdict:
// the camera stops and the result screen shows. Leaving the screen, or
// anything else taking the window (the unlock screen), stops it.

// openCamera opens the first camera; tests put a fake in its place.
var openCamera = func() (camera.Stream, error) { return camera.Default().Open("", image.Pt(1280, 720)) }

const (
	previewFPS = 15
	// previewSide is the longest side of the preview image: the frame is
	// subsampled to it, which is all a preview area on screen shows.
	previewSide = 640
)

// cameraRun is one run of the camera, from opening to stopping.
type cameraRun struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the camera goroutine has returned
}

// startCamera starts the camera, if any, on its goroutine.
func (s *verifierScreen) startCamera() {
	s.stopCamera()
	ctx, cancel := context.WithCancel(context.Background())
	run := &cameraRun{cancel: cancel, done: make(chan struct{})}
	s.cam = run
	if s.noCamera { // a message from the last run
		s.showCameraStarting()
	}
	// u.async runs it on a goroutine of its own (tests: in line, so a fake
	// camera plays its frames before startCamera returns).
	s.u.async(func() { s.runCamera(ctx, run) })
}

// stopCamera stops the camera, without waiting for it to be released.
func (s *verifierScreen) stopCamera() {
	if s.cam != nil {
		s.cam.cancel()
		s.cam = nil
	}
}

// live reports, on the UI goroutine, whether run is the camera's current
// run and the verifier screen is shown; when not, it stops the run.
func (s *verifierScreen) live(run *cameraRun) bool {
	if s.cam != run {
		return false
	}
	if !s.shown() {
		s.stopCamera()
		return false
	}
	return true
}

func (s *verifierScreen) runCamera(ctx context.Context, run *cameraRun) {
	defer close(run.done)
	stream, err := openCamera()
	if err != nil {
		fyne.Do(func() {
			if s.cam == run {
				s.cameraFailed(err)
			}
		})
		return
	}
	defer stream.Close()
	v, err := s.u.openVerifier(ctx)
	if err != nil {
		fyne.Do(func() {
			if s.cam == run {
				s.cameraFailed(err)
			}
		})
		return
	}
	scanner := scan.NewScanner()
	var drawing atomic.Bool // a preview frame is on its way to the UI
	var lastDrawn time.Time
	for {
		luma, err := stream.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				fyne.Do(func() {
					if s.live(run) {
						s.cameraFailed(err)
					}
				})
			}
			return
		}
		if time.Since(lastDrawn) >= time.Second/previewFPS && !drawing.Load() {
			img := previewOf(luma)
			lastDrawn = time.Now()
			drawing.Store(true)
			fyne.Do(func() {
				defer drawing.Store(false)
				if s.live(run) {
					s.preview.Image = img
					s.preview.Refresh()
				}
			})
		}
		verdict, err := v.Frame(scanner, luma)
		if err != nil {
			continue // scan.ErrNotFound: no code yet
		}
		if ctx.Err() != nil {
			return
		}
		fyne.Do(func() {
			if s.live(run) {
				s.showVerdict(verdict)
			}
		})
		return
	}
}

// cameraFailed shows why there is no preview, on the UI goroutine.
func (s *verifierScreen) cameraFailed(err error) {
	s.cam = nil
	switch {
	case errors.Is(err, camera.ErrNoBackend), errors.Is(err, camera.ErrNoCamera):
		s.showNoCamera(lang.X("verifier.no_camera", "No camera available on this device: choose a photo or the PDF of the certificate."), false)
		return
	case errors.Is(err, camera.ErrBusy):
		s.showNoCamera(lang.X("verifier.camera_busy", "Another app is using the camera. Close it and try again, or choose a photo or the PDF of the certificate."), true)
	case errors.Is(err, fs.ErrPermission):
		s.showNoCamera(lang.X("verifier.camera_denied", "Sportello may not use the camera. Allow it in the system settings, or choose a photo or the PDF of the certificate."), true)
	default:
		s.showNoCamera(lang.X("verifier.camera_failed", "The camera stopped working. Try again, or choose a photo or the PDF of the certificate."), true)
	}
	s.u.log.Warn("verifier: camera", "err", err)
}

// previewOf copies a frame for the preview, subsampled so that its longest
// side is at most previewSide: the camera reuses the frame's memory.
func previewOf(luma *image.Gray) *image.Gray {
	r := luma.Rect
	w, h := r.Dx(), r.Dy()
	step := (max(w, h) + previewSide - 1) / previewSide
	step = max(step, 1)
	out := image.NewGray(image.Rect(0, 0, w/step, h/step))
	for y := range out.Rect.Dy() {
		src := luma.Pix[(y*step)*luma.Stride:]
		dst := out.Pix[y*out.Stride : (y+1)*out.Stride]
		if step == 1 {
			copy(dst, src[:w])
			continue
		}
		for x := range dst {
			dst[x] = src[x*step]
		}
	}
	return out
}
