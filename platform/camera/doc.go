// Package camera gives live camera frames as 8-bit luminance planes
// (*image.Gray), for the offline certificate verifier: it points a camera at
// the QR code printed on a paper certificate, shows a live preview, and hands
// each frame's luminance (the Y plane) to the QR scanner. A QR decoder only
// needs luminance, so no frame is ever converted to colour.
//
// # Using it
//
// Default returns the platform's Backend. Devices lists the cameras, Open
// starts one at the frame size nearest to the one asked for, and the Stream's
// Next blocks until the next frame:
//
//	s, err := camera.Default().Open("", image.Pt(1280, 720)) // "": first camera
//	if err != nil { ... }                                    // errors.Is(err, camera.ErrNoCamera), ...
//	defer s.Close()
//	for {
//		y, err := s.Next(ctx) // reused by the next call: copy what you keep
//		if err != nil { break } // ctx ended, camera.ErrClosed, unplugged, ...
//		scanner.Frame(y)
//	}
//
// Every image Next returns has its Rect at the origin and a Stride equal to
// its width. Close may be called from another goroutine (the UI's) while Next
// blocks; Next then returns ErrClosed.
//
// # Linux: V4L2
//
// On Linux (not Android) the backend speaks V4L2 in pure Go, without cgo,
// through github.com/blackjack/webcam. Devices lists the /dev/video* nodes
// that are video capture devices with streaming I/O (a UVC camera also shows a
// metadata node, which is left out), named by their V4L2 card string. Open
// picks the first pixel format the camera offers in this order: GREY, YUYV,
// UYVY, NV12, NV21, YU12 (I420), YV12, MJPEG, JPEG; then the supported frame
// size nearest to the one asked for (1280×720 when none is); and keeps four
// buffers queued. Next waits for a frame, skips to the newest one when several
// are ready, so a slow consumer sees a live picture rather than a backlog, and
// copies its Y plane out: every other byte of YUYV and UYVY, the first plane
// of NV12/NV21/YU12/YV12, GREY as it is, each honouring the driver's
// bytes-per-line; an MJPEG frame is decoded with image/jpeg and the decoder's
// Y plane copied row by row (MJPEG frames without Huffman tables, as many UVC
// cameras send them, get the standard tables of JPEG Annex K.3). A frame that
// is short or does not decode is skipped; after 30 in a row Next returns an
// error. Open fails with ErrBusy when another application holds the camera,
// and with an error matching fs.ErrPermission when the user may not open it
// (not in the "video" group); Next returns an error once the camera is
// unplugged (matching ErrNoCamera if the driver says ENODEV; uvcvideo is
// expected to say EIO).
//
// The format the camera ends up with is read back with VIDIOC_G_FMT on a
// second descriptor of the device, since webcam's SetImageFormat does not
// report the size the driver settled on nor its bytes per line.
//
// Limits of the V4L2 backend: it could not be exercised against a real camera
// where it was written (no /dev/video* and no v4l2loopback): the conversions,
// the stream's locking, draining and closing (against a fake device), device
// listing and the errors of Open are tested, the ioctl path is not. It waits
// for frames in slices of one second (webcam's WaitForFrame counts whole
// seconds), so Next returns at once when ctx ends or the stream is closed, but
// Close may take up to a second to release a camera that has stopped sending
// frames. Multi-planar drivers (V4L2_CAP_VIDEO_CAPTURE_MPLANE, found on some
// ARM boards rather than on USB cameras) and architectures whose ioctl
// numbers differ from the generic ones (mips, ppc) are not supported, as by
// webcam itself. The frame rate is the driver's default for the format and
// size.
//
// # Other platforms
//
// Android, iOS, Windows, macOS and the rest have no backend yet: there Default
// returns one whose methods fail with ErrNoBackend, which the app can test
// for to offer no camera scanning there. A backend plugs in by implementing Backend and
// Stream in a file of this package built only for its GOOS (camera_android.go,
// say), whose platformBackend returns it, and by removing that GOOS from the
// build constraint of default_other.go.
//
// On Android, CameraX or Camera2 deliver frames to an ImageReader in
// ImageFormat.YUV_420_888; plane 0 of each Image is the Y plane (pixel stride
// 1, row stride Image.getPlanes()[0].getRowStride()). A small Java/Kotlin
// class, reached through gomobile bind or JNI from Fyne's Android driver,
// copies that plane into a direct ByteBuffer and hands it to Go with width,
// height and row stride; the Go side copies it into an *image.Gray with the
// planar helper of this package (the same one NV12 uses) and Next delivers it
// from a channel of depth one that keeps the newest frame. The CAMERA
// permission has to be requested at run time before Open.
//
// On iOS, an AVCaptureSession with an AVCaptureVideoDataOutput set to
// kCVPixelFormatType_420YpCbCr8BiPlanarFullRange calls its sample-buffer
// delegate with CVPixelBuffers whose plane 0 is the Y plane
// (CVPixelBufferGetBaseAddressOfPlane(pb, 0), bytes per row from
// CVPixelBufferGetBytesPerRowOfPlane(pb, 0)), copied out the same way while
// the buffer is locked. It needs cgo and Objective-C, and an
// NSCameraUsageDescription in Info.plist.
package camera
