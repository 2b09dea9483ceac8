//go:build linux && !android

package camera

import (
	"context"
	"errors"
	"image"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/blackjack/webcam"
)

// fakeSource stands in for a V4L2 device that streams into nbuf buffers, as
// the kernel does: a frame goes into a free buffer (or is dropped when there
// is none), the stream dequeues it and queues the buffer again.
type fakeSource struct {
	t    *testing.T
	mu   sync.Mutex
	bufs [][]byte
	// state of each buffer: free (queued with the driver), filled (ready to
	// dequeue) or out (dequeued by the stream)
	state    []int
	filled   []uint32 // filled buffers, oldest first
	wake     chan struct{}
	closed   int
	dropped  int
	spurious int   // WaitForFrame wake-ups with no frame still to give
	getErr   error // GetFrame's error once set
	waits    int
}

const (
	bufFree = iota
	bufFilled
	bufOut
)

func newFakeSource(t *testing.T, nbuf int) *fakeSource {
	return &fakeSource{t: t, bufs: make([][]byte, nbuf), state: make([]int, nbuf), wake: make(chan struct{}, 1)}
}

// push delivers a frame; false if it was dropped for want of a buffer.
func (f *fakeSource) push(frame []byte) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, st := range f.state {
		if st == bufFree {
			f.bufs[i] = append(f.bufs[i][:0], frame...)
			f.state[i] = bufFilled
			f.filled = append(f.filled, uint32(i))
			f.signal()
			return true
		}
	}
	f.dropped++
	return false
}

func (f *fakeSource) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *fakeSource) use(what string) {
	if f.closed > 0 {
		f.t.Errorf("%s after Close", what)
	}
}

// WaitForFrame waits 20ms where the device would wait timeout seconds.
func (f *fakeSource) WaitForFrame(timeout uint32) error {
	deadline := time.After(20 * time.Millisecond)
	for {
		f.mu.Lock()
		f.use("WaitForFrame")
		f.waits++
		ready := len(f.filled) > 0 || f.spurious > 0 || f.getErr != nil
		if len(f.filled) == 0 && f.spurious > 0 {
			f.spurious--
		}
		f.mu.Unlock()
		if ready {
			return nil
		}
		select {
		case <-f.wake:
		case <-deadline:
			return &webcam.Timeout{}
		}
	}
}

func (f *fakeSource) GetFrame() ([]byte, uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.use("GetFrame")
	if f.getErr != nil {
		return nil, 0, f.getErr
	}
	if len(f.filled) == 0 {
		return nil, 0, syscall.EAGAIN
	}
	i := f.filled[0]
	f.filled = f.filled[1:]
	f.state[i] = bufOut
	return f.bufs[i], i, nil
}

func (f *fakeSource) ReleaseFrame(i uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.use("ReleaseFrame")
	if f.state[i] != bufOut {
		f.t.Errorf("ReleaseFrame(%d) of a buffer not dequeued", i)
	}
	f.state[i] = bufFree
	return nil
}

func (f *fakeSource) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
	return nil
}

// out is the number of buffers the stream holds.
func (f *fakeSource) out() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, st := range f.state {
		if st == bufOut {
			n++
		}
	}
	return n
}

// greyFrame is a w×h GREY frame, every pixel v.
func greyFrame(w, h int, v byte) []byte {
	f := make([]byte, w*h)
	for i := range f {
		f[i] = v
	}
	return f
}

func newFakeStream(t *testing.T, f pixelFormat, size image.Point) (*v4l2Stream, *fakeSource) {
	t.Helper()
	src := newFakeSource(t, bufferCount)
	conv, err := newLumaConverter(f, size, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := newStream("/dev/fake0", src, conv)
	t.Cleanup(func() {
		s.Close()
		if src.closed != 1 {
			t.Errorf("device closed %d times, want once", src.closed)
		}
	})
	return s, src
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestStreamDeliversFrames(t *testing.T) {
	s, src := newFakeStream(t, fmtYUYV, image.Pt(17, 5))
	if s.Size() != image.Pt(17, 5) {
		t.Errorf("Size() = %v", s.Size())
	}
	var prev *image.Gray
	for range 3 {
		src.push(packedFrame(17, 5, 34, 0))
		img, err := s.Next(ctxFor(t, 5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		checkLuma(t, img, 17, 5)
		if prev != nil && img != prev {
			t.Error("the image was not reused")
		}
		prev = img
		if n := src.out(); n != 0 {
			t.Errorf("%d buffers kept after Next", n)
		}
	}
}

func TestStreamSkipsToNewestFrame(t *testing.T) {
	s, src := newFakeStream(t, fmtGREY, image.Pt(4, 4))
	for v := range byte(3) {
		src.push(greyFrame(4, 4, 10+v))
	}
	img, err := s.Next(ctxFor(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if img.Pix[0] != 12 {
		t.Errorf("got frame %d, want the newest, 12", img.Pix[0])
	}
	if n := src.out(); n != 0 {
		t.Errorf("%d buffers kept after Next", n)
	}
}

func TestStreamContext(t *testing.T) {
	s, src := newFakeStream(t, fmtGREY, image.Pt(4, 4))
	start := time.Now()
	_, err := s.Next(ctxFor(t, 50*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Next took %v to see its context end", d)
	}
	// The stream goes on after that.
	src.push(greyFrame(4, 4, 7))
	img, err := s.Next(ctxFor(t, 5*time.Second))
	if err != nil || img.Pix[0] != 7 {
		t.Fatalf("after a cancelled Next: %v, %v", img, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v", err)
	}
}

func TestStreamCloseWhileNextBlocks(t *testing.T) {
	s, src := newFakeStream(t, fmtGREY, image.Pt(4, 4))
	errc := make(chan error)
	go func() {
		_, err := s.Next(context.Background())
		errc <- err
	}()
	time.Sleep(30 * time.Millisecond) // let Next block
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Next = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next still blocks after Close")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if src.closed != 1 {
		t.Errorf("device closed %d times", src.closed)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	src.push(greyFrame(4, 4, 1))
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
}

func TestStreamSkipsBadFrames(t *testing.T) {
	s, src := newFakeStream(t, fmtGREY, image.Pt(4, 4))
	src.push([]byte{1, 2, 3}) // short
	go func() {
		time.Sleep(30 * time.Millisecond)
		src.push(greyFrame(4, 4, 9))
	}()
	img, err := s.Next(ctxFor(t, 5*time.Second))
	if err != nil || img.Pix[0] != 9 {
		t.Fatalf("Next = %v, %v; want the good frame", img, err)
	}
	// A camera sending only unreadable frames ends the stream.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				src.push(nil)
			}
		}
	}()
	_, err = s.Next(ctxFor(t, 5*time.Second))
	close(stop)
	<-done
	if !errors.Is(err, errBadFrame) {
		t.Errorf("after %d bad frames: %v, want errBadFrame", maxBadFrames, err)
	}
}

func TestStreamSpuriousWakeups(t *testing.T) {
	s, src := newFakeStream(t, fmtGREY, image.Pt(4, 4))
	src.mu.Lock()
	src.spurious = 5
	src.mu.Unlock()
	go func() {
		time.Sleep(100 * time.Millisecond)
		src.push(greyFrame(4, 4, 3))
	}()
	img, err := s.Next(ctxFor(t, 5*time.Second))
	if err != nil || img.Pix[0] != 3 {
		t.Fatalf("Next = %v, %v", img, err)
	}
	src.mu.Lock()
	waits := src.waits
	src.mu.Unlock()
	if waits > 50 {
		t.Errorf("%d waits for one frame: the waiter spins", waits)
	}
}

func TestStreamDeviceGone(t *testing.T) {
	s, src := newFakeStream(t, fmtGREY, image.Pt(4, 4))
	src.mu.Lock()
	src.getErr = syscall.ENODEV
	src.mu.Unlock()
	src.signal()
	if _, err := s.Next(ctxFor(t, 5*time.Second)); !errors.Is(err, ErrNoCamera) {
		t.Errorf("Next = %v, want ErrNoCamera", err)
	}
}

func TestStreamMJPEGSize(t *testing.T) {
	s, src := newFakeStream(t, fmtMJPG, image.Pt(64, 48))
	src.push(encodeJPEG(t, testPicture(32, 16)))
	img, err := s.Next(ctxFor(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Size() != image.Pt(32, 16) || s.Size() != image.Pt(32, 16) {
		t.Errorf("image %v, Size() %v; want 32x16 for both", img.Rect, s.Size())
	}
}

// TestStreamConcurrentClose runs a camera, a consumer and a Close from a
// third goroutine; with -race it checks the locking.
func TestStreamConcurrentClose(t *testing.T) {
	for range 20 {
		s, src := newFakeStream(t, fmtYUYV, image.Pt(64, 8))
		frame := packedFrame(64, 8, 128, 0)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { // the camera
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
					src.mu.Lock()
					closed := src.closed > 0
					src.mu.Unlock()
					if closed {
						return
					}
					src.push(frame)
				}
			}
		})
		frames := 0
		wg.Go(func() { // the consumer
			for {
				img, err := s.Next(context.Background())
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("Next = %v", err)
					}
					return
				}
				if img.Pix[3] != lumaAt(3, 0) {
					t.Errorf("bad frame")
				}
				frames++
			}
		})
		time.Sleep(15 * time.Millisecond)
		var closers sync.WaitGroup
		for range 3 {
			closers.Go(func() { s.Close() })
		}
		closers.Wait()
		close(stop)
		wg.Wait()
		if frames == 0 {
			t.Log("no frame before Close")
		}
	}
}
