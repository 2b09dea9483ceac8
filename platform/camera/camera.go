package camera

import (
	"context"
	"errors"
	"image"
)

// Device is one camera a Backend can open.
type Device struct {
	// ID identifies the camera to Open: on Linux its device node, e.g.
	// "/dev/video0".
	ID string
	// Name is the camera's name for people, e.g. "Integrated Camera" (on
	// Linux the V4L2 card string).
	Name string
}

// Stream is an open camera that is delivering frames.
type Stream interface {
	// Next blocks until the next frame, ctx ends (it returns ctx.Err()) or
	// the stream is closed (ErrClosed), and returns the frame's luminance
	// plane, with its Rect at the origin and a Stride equal to its width.
	// The image may be reused by the next call: callers copy what they keep.
	// Calls to Next are not to be made from several goroutines at once.
	Next(ctx context.Context) (*image.Gray, error)
	// Size is the frame size agreed with the camera.
	Size() image.Point
	// Close stops the camera and releases it. It is idempotent and safe to
	// call from another goroutine while Next blocks; calls after the first
	// return nil.
	Close() error
}

// Backend is one platform's camera support.
type Backend interface {
	// Devices lists the cameras there are, in a stable order, the first one
	// being the one Open("") opens. No camera is an empty list and no error.
	Devices() ([]Device, error)
	// Open starts the camera id (a Device.ID; "" for the first one) at the
	// supported frame size nearest to want (e.g. 1280×720; the zero point for
	// the backend's default).
	Open(id string, want image.Point) (Stream, error)
}

// Default returns the platform's backend: V4L2 on Linux, and on platforms
// without camera support yet one whose methods return ErrNoBackend.
func Default() Backend { return platformBackend() }

var (
	// ErrNoBackend is returned on platforms that have no camera support yet.
	ErrNoBackend = errors.New("camera: no camera support on this platform yet")
	// ErrNoCamera is returned by Open when there is no such camera (or no
	// camera at all, for ""), or the device is not a camera; and by Next
	// when the device reports it is gone.
	ErrNoCamera = errors.New("camera: no camera found")
	// ErrBusy is returned by Open when another application is using the
	// camera.
	ErrBusy = errors.New("camera: camera in use by another application")
	// ErrUnsupportedFormat is returned by Open when the camera offers no
	// pixel format this package can read luminance from.
	ErrUnsupportedFormat = errors.New("camera: camera offers no pixel format we can read")
	// ErrClosed is returned by Next once the stream is closed.
	ErrClosed = errors.New("camera: stream closed")
)

// defaultSize is the frame size Open asks for when given the zero point.
var defaultSize = image.Pt(1280, 720)

// noBackend is the backend of platforms without camera support.
type noBackend struct{}

func (noBackend) Devices() ([]Device, error) { return nil, ErrNoBackend }

func (noBackend) Open(string, image.Point) (Stream, error) { return nil, ErrNoBackend }
