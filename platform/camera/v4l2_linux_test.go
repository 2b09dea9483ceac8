//go:build linux && !android

package camera

import (
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"github.com/blackjack/webcam"
)

func TestDefaultIsV4L2(t *testing.T) {
	if b, ok := Default().(v4l2Backend); !ok || b.dir != "/dev" {
		t.Errorf("Default() = %#v, want the V4L2 backend on /dev", Default())
	}
}

// TestDevicesHere lists this machine's cameras. Where it was written there
// are none: that is an empty list, not an error.
func TestDevicesHere(t *testing.T) {
	nodes, _ := filepath.Glob("/dev/video*")
	devices, err := Default().Devices()
	if err != nil {
		t.Fatalf("Devices() error %v (nodes: %v)", err, nodes)
	}
	if devices == nil {
		t.Error("Devices() = nil, want a non-nil list")
	}
	if len(nodes) == 0 && len(devices) != 0 {
		t.Errorf("no /dev/video* but Devices() = %v", devices)
	}
	t.Logf("nodes %v, cameras %v", nodes, devices)
}

func TestDevicesSkipsWhatIsNotACamera(t *testing.T) {
	dir := t.TempDir()
	// Not V4L2 devices (ENOTTY), and names that are not video nodes at all.
	for _, name := range []string{"video0", "video1", "video-x", "videofoo", "null"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A dangling link, as a camera unplugged while listing leaves.
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "video2")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "missing"), t.TempDir()} {
		devices, err := v4l2Backend{dir: d}.Devices()
		if err != nil || devices == nil || len(devices) != 0 {
			t.Errorf("Devices() in %s = %v, %v; want an empty list", d, devices, err)
		}
	}
}

func TestDevicesPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root opens any file (run the test binary as another user to cover this)")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "video0"), nil, 0); err != nil {
		t.Fatal(err)
	}
	b := v4l2Backend{dir: dir}
	if _, err := b.Devices(); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Devices: err = %v, want fs.ErrPermission", err)
	}
	if _, err := b.Open("", image.Point{}); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Open(\"\"): err = %v, want fs.ErrPermission", err)
	}
	if _, err := b.Open(filepath.Join(dir, "video0"), image.Point{}); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Open: err = %v, want fs.ErrPermission", err)
	}
}

func TestOpenWithoutCamera(t *testing.T) {
	dir := t.TempDir()
	notV4L2 := filepath.Join(dir, "video0")
	if err := os.WriteFile(notV4L2, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := v4l2Backend{dir: t.TempDir()}
	for _, tc := range []struct {
		b  v4l2Backend
		id string
	}{
		{empty, ""}, // no camera at all
		{Default().(v4l2Backend), "/dev/video-none"}, // no such node
		{Default().(v4l2Backend), "/dev/null"},       // a device, not V4L2
		{empty, notV4L2},                             // a file
		{empty, filepath.Join(dir, "video9")},        // nothing there
	} {
		s, err := tc.b.Open(tc.id, image.Pt(1280, 720))
		if !errors.Is(err, ErrNoCamera) || s != nil {
			t.Errorf("Open(%q) = %v, %v; want ErrNoCamera", tc.id, s, err)
		}
	}
	// And the machine's own first camera, if it has none.
	if nodes, _ := filepath.Glob("/dev/video*"); len(nodes) == 0 {
		if _, err := Default().Open("", image.Point{}); !errors.Is(err, ErrNoCamera) {
			t.Errorf("Open(\"\") here = %v, want ErrNoCamera", err)
		}
	}
}

func TestChooseSize(t *testing.T) {
	discrete := func(w, h uint32) webcam.FrameSize {
		return webcam.FrameSize{MinWidth: w, MaxWidth: w, MinHeight: h, MaxHeight: h}
	}
	uvc := []webcam.FrameSize{
		discrete(640, 480), discrete(160, 120), discrete(1280, 720),
		discrete(1920, 1080), discrete(320, 240), discrete(1280, 960),
	}
	stepwise := []webcam.FrameSize{{MinWidth: 48, MaxWidth: 1920, StepWidth: 16, MinHeight: 32, MaxHeight: 1080, StepHeight: 8}}
	for _, tc := range []struct {
		sizes []webcam.FrameSize
		want  image.Point
		got   image.Point
	}{
		{uvc, image.Pt(1280, 720), image.Pt(1280, 720)},
		{uvc, image.Pt(1024, 768), image.Pt(1280, 720)},
		{uvc, image.Pt(4000, 3000), image.Pt(1920, 1080)},
		{uvc, image.Pt(1, 1), image.Pt(160, 120)},
		{uvc, image.Pt(800, 600), image.Pt(640, 480)},
		{[]webcam.FrameSize{discrete(640, 480), discrete(800, 400)}, image.Pt(720, 440), image.Pt(800, 400)}, // tie: larger
		{stepwise, image.Pt(1280, 720), image.Pt(1280, 720)},
		{stepwise, image.Pt(1283, 723), image.Pt(1280, 720)},
		{stepwise, image.Pt(1290, 725), image.Pt(1296, 728)},
		{stepwise, image.Pt(10, 5000), image.Pt(48, 1080)},
		{nil, image.Pt(1280, 720), image.Pt(1280, 720)},
		{[]webcam.FrameSize{{}}, image.Pt(1280, 720), image.Pt(1280, 720)}, // continuous, left blank by webcam
	} {
		if got := chooseSize(tc.sizes, tc.want); got != tc.got {
			t.Errorf("chooseSize(%v, %v) = %v, want %v", tc.sizes, tc.want, got, tc.got)
		}
	}
}

func TestDeviceErr(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{syscall.ENOENT, ErrNoCamera},
		{syscall.ENODEV, ErrNoCamera},
		{syscall.ENOTTY, ErrNoCamera},
		{syscall.EBUSY, ErrBusy},
		{fmt.Errorf("wrapped: %w", syscall.EBUSY), ErrBusy},
		// webcam's StartStreaming keeps only the text.
		{errors.New("Failed to start streaming: " + syscall.EBUSY.Error()), ErrBusy},
		{errors.New("Failed to map request buffers: " + syscall.EBUSY.Error()), ErrBusy},
		{syscall.EACCES, fs.ErrPermission},
		{syscall.EIO, syscall.EIO},
	} {
		if err := deviceErr("/dev/video0", "open", tc.err); !errors.Is(err, tc.want) {
			t.Errorf("deviceErr(%v) = %v, want %v", tc.err, err, tc.want)
		}
	}
}

// TestV4L2Layout checks the structures and ioctl numbers against
// linux/videodev2.h.
func TestV4L2Layout(t *testing.T) {
	if n := unsafe.Sizeof(v4l2Capability{}); n != 104 {
		t.Errorf("sizeof(struct v4l2_capability) = %d, want 104", n)
	}
	wantFormat, wantGFmt := uintptr(208), uintptr(0xc0d05604)
	if unsafe.Sizeof(uintptr(0)) == 4 {
		wantFormat, wantGFmt = 204, 0xc0cc5604
	}
	if n := unsafe.Sizeof(v4l2Format{}); n != wantFormat {
		t.Errorf("sizeof(struct v4l2_format) = %d, want %d", n, wantFormat)
	}
	if off := unsafe.Offsetof(v4l2Format{}.union); off != unsafe.Alignof(uintptr(0)) {
		t.Errorf("v4l2_format.fmt at %d, want %d", off, unsafe.Alignof(uintptr(0)))
	}
	if vidiocQuerycap != 0x80685600 {
		t.Errorf("VIDIOC_QUERYCAP = %#x", vidiocQuerycap)
	}
	if vidiocGFmt != wantGFmt {
		t.Errorf("VIDIOC_G_FMT = %#x, want %#x", vidiocGFmt, wantGFmt)
	}
}

func TestCapabilities(t *testing.T) {
	card := func(s string) (c [32]byte) { copy(c[:], s); return }
	for _, tc := range []struct {
		c    v4l2Capability
		want bool
	}{
		{v4l2Capability{capabilities: capVideoCapture | capStreaming}, true},
		{v4l2Capability{capabilities: capVideoCapture}, false}, // read() only
		// A UVC camera's two nodes: the device can capture, the metadata node cannot.
		{v4l2Capability{capabilities: capDeviceCaps | capVideoCapture | capStreaming | 0x00800000, deviceCaps: capVideoCapture | capStreaming}, true},
		{v4l2Capability{capabilities: capDeviceCaps | capVideoCapture | capStreaming | 0x00800000, deviceCaps: 0x00800000 | capStreaming}, false},
	} {
		if got := tc.c.capture(); got != tc.want {
			t.Errorf("capture(%#x, %#x) = %v", tc.c.capabilities, tc.c.deviceCaps, got)
		}
	}
	c := v4l2Capability{card: card("Integrated Camera: Integrated C")}
	if n := c.name(); n != "Integrated Camera: Integrated C" {
		t.Errorf("name() = %q", n)
	}
}
