//go:build linux && !android

package camera

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/blackjack/webcam"
	"github.com/blackjack/webcam/ioctl"
)

func platformBackend() Backend { return v4l2Backend{dir: "/dev"} }

// v4l2Backend reaches cameras through V4L2: the video* nodes of dir.
type v4l2Backend struct{ dir string }

// bufferCount is the number of frame buffers kept queued with the driver:
// enough for the driver to fill one while the stream reads another, few
// enough for a short backlog (webcam asks for 256 by default).
const bufferCount = 4

func (b v4l2Backend) Devices() ([]Device, error) {
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return []Device{}, nil
		}
		return nil, fmt.Errorf("camera: list %s: %w", b.dir, err)
	}
	type node struct {
		n    int
		path string
	}
	var nodes []node
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "video")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 {
			continue
		}
		nodes = append(nodes, node{n, filepath.Join(b.dir, e.Name())})
	}
	slices.SortFunc(nodes, func(x, y node) int { return x.n - y.n })

	devices := []Device{}
	var denied error
	for _, nd := range nodes {
		c, err := queryNode(nd.path)
		if err != nil {
			if denied == nil && errors.Is(err, os.ErrPermission) {
				denied = err
			}
			continue // gone since, not a V4L2 device, ...
		}
		if c.capture() {
			devices = append(devices, Device{ID: nd.path, Name: c.name()})
		}
	}
	if len(devices) == 0 && denied != nil {
		// Cameras there may be, but not for this user.
		return nil, fmt.Errorf("camera: %w (is the user in the video group?)", denied)
	}
	return devices, nil
}

func (b v4l2Backend) Open(id string, want image.Point) (Stream, error) {
	if id == "" {
		devices, err := b.Devices()
		if err != nil {
			return nil, err
		}
		if len(devices) == 0 {
			return nil, ErrNoCamera
		}
		id = devices[0].ID
	}
	if want.X <= 0 || want.Y <= 0 {
		want = defaultSize
	}

	// A descriptor of our own, to check the node and to read back the format
	// the driver settles on (webcam's SetImageFormat reports neither the size
	// it got nor the bytes per line).
	fd, err := openNode(id)
	if err != nil {
		return nil, deviceErr(id, "open", err)
	}
	defer syscall.Close(fd)
	c, err := queryCap(fd)
	if err != nil {
		return nil, deviceErr(id, "query capabilities", err)
	}
	if !c.capture() {
		return nil, fmt.Errorf("%w: %s (%s) is not a video capture device", ErrNoCamera, id, c.name())
	}

	cam, err := webcam.Open(id)
	if err != nil {
		return nil, deviceErr(id, "open", err)
	}
	started := false
	defer func() {
		if !started {
			cam.Close()
		}
	}()

	offered := cam.GetSupportedFormats()
	f, ok := chooseFormat(func(f pixelFormat) bool { _, ok := offered[webcam.PixelFormat(f)]; return ok })
	if !ok {
		var names []string
		for f := range offered {
			names = append(names, pixelFormat(f).String())
		}
		slices.Sort(names)
		return nil, fmt.Errorf("%w: %s offers %s", ErrUnsupportedFormat, id, strings.Join(names, ", "))
	}
	size := chooseSize(cam.GetSupportedFrameSizes(webcam.PixelFormat(f)), want)
	if err := cam.SetBufferCount(bufferCount); err != nil {
		return nil, deviceErr(id, "set buffer count", err)
	}
	got, _, _, err := cam.SetImageFormat(webcam.PixelFormat(f), uint32(size.X), uint32(size.Y))
	if err != nil {
		return nil, deviceErr(id, "set format "+f.String(), err)
	}
	f = pixelFormat(got)
	stride := 0
	if p, err := getFormat(fd); err == nil && p.width > 0 && p.height > 0 {
		size, stride = image.Pt(int(p.width), int(p.height)), int(p.bytesPerLine)
		if p.format != 0 {
			f = p.format
		}
	}
	if !readable(f) {
		return nil, fmt.Errorf("%w: %s switched to %v", ErrUnsupportedFormat, id, f)
	}
	conv, err := newLumaConverter(f, size, stride)
	if err != nil {
		return nil, err
	}
	if err := cam.StartStreaming(); err != nil {
		return nil, deviceErr(id, "start streaming", err)
	}
	started = true
	return newStream(id, cam, conv), nil
}

// chooseSize returns the size nearest to want (by the sum of the differences
// of width and height, the larger one on a tie) among the ones a format
// offers, want itself if the driver lists none.
func chooseSize(sizes []webcam.FrameSize, want image.Point) image.Point {
	best, bestDist := want, -1
	for _, s := range sizes {
		if s.MaxWidth == 0 || s.MaxHeight == 0 {
			continue // webcam leaves continuous ranges blank
		}
		p := image.Pt(
			stepNearest(want.X, int(s.MinWidth), int(s.MaxWidth), int(s.StepWidth)),
			stepNearest(want.Y, int(s.MinHeight), int(s.MaxHeight), int(s.StepHeight)))
		d := abs(p.X-want.X) + abs(p.Y-want.Y)
		if bestDist < 0 || d < bestDist || d == bestDist && p.X*p.Y > best.X*best.Y {
			best, bestDist = p, d
		}
	}
	return best
}

// stepNearest returns the value of min, min+step, ... max nearest to v (min
// for a discrete size, whose step is 0).
func stepNearest(v, lo, hi, step int) int {
	if step <= 0 || v <= lo {
		return lo
	}
	if v >= hi {
		return hi
	}
	return min(lo+(v-lo+step/2)/step*step, hi)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// deviceErr wraps an error of the device id, mapping errno values to this
// package's errors. webcam flattens some errors to text (StartStreaming's),
// so a busy device is also recognised by the text.
func deviceErr(id, op string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		return fmt.Errorf("%w: %s: %s: %w", ErrNoCamera, id, op, err)
	case errors.Is(err, syscall.ENOTTY):
		return fmt.Errorf("%w: %s is not a V4L2 device", ErrNoCamera, id)
	case errors.Is(err, syscall.EBUSY), strings.Contains(err.Error(), syscall.EBUSY.Error()):
		return fmt.Errorf("%w: %s: %s: %w", ErrBusy, id, op, err)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("camera: %s: %s: %w (is the user in the video group?)", id, op, err)
	}
	return fmt.Errorf("camera: %s: %s: %w", id, op, err)
}

// V4L2, from linux/videodev2.h.
const (
	capVideoCapture = 0x00000001
	capStreaming    = 0x04000000
	capDeviceCaps   = 0x80000000
	bufTypeCapture  = 1
)

// v4l2Capability is struct v4l2_capability.
type v4l2Capability struct {
	driver       [16]byte
	card         [32]byte
	busInfo      [32]byte
	version      uint32
	capabilities uint32
	deviceCaps   uint32
	reserved     [3]uint32
}

// v4l2Format is struct v4l2_format: a type and a 200-byte union aligned like
// a pointer (it holds one in struct v4l2_window); uintptr gives the alignment
// without a pointer for the garbage collector to trip on.
type v4l2Format struct {
	typ   uint32
	union struct {
		_    [0]uintptr
		data [200]byte
	}
}

var (
	vidiocQuerycap = ioctl.IoR('V', 0, unsafe.Sizeof(v4l2Capability{}))
	vidiocGFmt     = ioctl.IoRW('V', 4, unsafe.Sizeof(v4l2Format{}))
)

// capture says whether the node captures video with streaming I/O. It reads
// the node's own capabilities when the driver gives them: those of the whole
// device include the capture of a UVC camera's metadata node too.
func (c *v4l2Capability) capture() bool {
	caps := c.capabilities
	if caps&capDeviceCaps != 0 {
		caps = c.deviceCaps
	}
	return caps&capVideoCapture != 0 && caps&capStreaming != 0
}

func (c *v4l2Capability) name() string {
	n, _, _ := strings.Cut(string(c.card[:]), "\x00")
	return strings.TrimSpace(n)
}

func openNode(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		return fd, err
	}
}

func queryCap(fd int) (*v4l2Capability, error) {
	c := new(v4l2Capability)
	if err := ioctl.Ioctl(uintptr(fd), vidiocQuerycap, uintptr(unsafe.Pointer(c))); err != nil {
		return nil, err
	}
	return c, nil
}

// queryNode returns the capabilities of the node at path.
func queryNode(path string) (*v4l2Capability, error) {
	fd, err := openNode(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	return queryCap(fd)
}

// pixFormat is the part of struct v4l2_pix_format read here.
type pixFormat struct {
	width, height uint32
	format        pixelFormat
	bytesPerLine  uint32
}

// getFormat reads the node's current capture format (VIDIOC_G_FMT).
func getFormat(fd int) (pixFormat, error) {
	f := v4l2Format{typ: bufTypeCapture}
	if err := ioctl.Ioctl(uintptr(fd), vidiocGFmt, uintptr(unsafe.Pointer(&f))); err != nil {
		return pixFormat{}, err
	}
	d, ne := f.union.data[:], binary.NativeEndian
	return pixFormat{
		width:        ne.Uint32(d[0:]),
		height:       ne.Uint32(d[4:]),
		format:       pixelFormat(ne.Uint32(d[8:])),
		bytesPerLine: ne.Uint32(d[16:]),
	}, nil
}
