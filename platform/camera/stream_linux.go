//go:build linux && !android

package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/blackjack/webcam"
)

// frameSource is the part of *webcam.Webcam a stream uses, streaming already
// started; tests put a fake in its place.
type frameSource interface {
	// WaitForFrame waits up to timeout seconds for a frame to be ready and
	// returns a *webcam.Timeout if none is.
	WaitForFrame(timeout uint32) error
	// GetFrame dequeues a ready frame, or fails with EAGAIN if none is.
	GetFrame() ([]byte, uint32, error)
	// ReleaseFrame queues a frame's buffer again.
	ReleaseFrame(index uint32) error
	// Close stops streaming and closes the device.
	Close() error
}

// maxBadFrames is the number of unreadable frames in a row after which Next
// gives up (about a second at 30 frames per second).
const maxBadFrames = 30

// Timings of the frame waiter: how long one wait lasts (webcam counts whole
// seconds, so Close may wait that long for a camera that sends nothing), and
// how long it pauses after a wake-up that brought no frame, so that a device
// in error does not make it spin.
const (
	waitSeconds = 1
	idlePause   = 10 * time.Millisecond
)

// v4l2Stream delivers a V4L2 camera's frames. A waiter goroutine blocks in
// WaitForFrame and signals Next when a frame is ready, so that Next can
// return as soon as ctx ends or the stream is closed.
type v4l2Stream struct {
	id   string
	size atomic.Pointer[image.Point]

	ready      chan error    // waiter → Next: a frame is ready (nil), or waiting failed
	ack        chan bool     // Next → waiter: done with it; true if it brought no frame
	done       chan struct{} // closed by Close
	waiterDone chan struct{} // closed when the waiter has returned
	closeOnce  sync.Once
	closeErr   error // set in closeOnce

	mu     sync.Mutex // guards the fields below: the device and the frame
	closed bool
	src    frameSource
	conv   *lumaConverter
	img    *image.Gray // the image Next returns, reused
	bad    int         // unreadable frames in a row
}

func newStream(id string, src frameSource, conv *lumaConverter) *v4l2Stream {
	s := &v4l2Stream{
		id:         id,
		ready:      make(chan error),
		ack:        make(chan bool),
		done:       make(chan struct{}),
		waiterDone: make(chan struct{}),
		src:        src,
		conv:       conv,
	}
	size := conv.size
	s.size.Store(&size)
	go s.wait()
	return s
}

func (s *v4l2Stream) Size() image.Point { return *s.size.Load() }

// wait is the waiter goroutine.
func (s *v4l2Stream) wait() {
	defer close(s.waiterDone)
	for {
		select {
		case <-s.done:
			return
		default:
		}
		err := s.src.WaitForFrame(waitSeconds)
		var timeout *webcam.Timeout
		if errors.As(err, &timeout) {
			continue
		}
		select {
		case s.ready <- err:
		case <-s.done:
			return
		}
		// Wait until Next has taken the frame off the queue, else the
		// device would still poll ready.
		var idle bool
		select {
		case idle = <-s.ack:
		case <-s.done:
			return
		}
		if idle || err != nil {
			select {
			case <-time.After(idlePause):
			case <-s.done:
				return
			}
		}
	}
}

func (s *v4l2Stream) Next(ctx context.Context) (*image.Gray, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.done:
			return nil, ErrClosed
		case err := <-s.ready:
			var img *image.Gray
			dequeued := false
			if err == nil {
				img, dequeued, err = s.read()
			} else {
				err = deviceErr(s.id, "wait for frame", err)
			}
			select {
			case s.ack <- !dequeued:
			case <-s.done:
			}
			if err != nil || img != nil {
				return img, err
			}
		}
	}
}

// read takes the newest ready frame and reads its luminance into s.img,
// which it returns; nil if the frame was skipped as unreadable. dequeued is
// false when there was no frame after all.
func (s *v4l2Stream) read() (img *image.Gray, dequeued bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false, ErrClosed
	}
	frame, index, err := s.src.GetFrame()
	if errors.Is(err, syscall.EAGAIN) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, deviceErr(s.id, "dequeue frame", err)
	}
	// Skip to the newest frame: one that waited in the queue is stale.
	for {
		newer, i, err := s.src.GetFrame()
		if err != nil {
			break // EAGAIN: that was the newest; anything else shows again next time
		}
		if err := s.src.ReleaseFrame(index); err != nil {
			s.src.ReleaseFrame(i)
			return nil, true, deviceErr(s.id, "queue buffer", err)
		}
		frame, index = newer, i
	}
	img, convErr := s.conv.convert(s.img, frame)
	if err := s.src.ReleaseFrame(index); err != nil {
		return nil, true, deviceErr(s.id, "queue buffer", err)
	}
	if convErr != nil {
		s.bad++
		if s.bad >= maxBadFrames {
			s.bad = 0
			return nil, true, fmt.Errorf("camera: %s: %d unreadable frames in a row, the last: %w", s.id, maxBadFrames, convErr)
		}
		return nil, true, nil
	}
	s.bad = 0
	if s.img != img {
		s.img = img
		size := img.Rect.Size()
		s.size.Store(&size)
	}
	return img, true, nil
}

func (s *v4l2Stream) Close() error {
	first := false
	s.closeOnce.Do(func() {
		first = true
		close(s.done)
		<-s.waiterDone
		s.mu.Lock()
		defer s.mu.Unlock()
		s.closed = true
		if err := s.src.Close(); err != nil {
			s.closeErr = fmt.Errorf("camera: %s: close: %w", s.id, err)
		}
	})
	if !first {
		return nil
	}
	return s.closeErr
}
