package capture

// This file is OnAir's one door to pion/mediadevices' driver manager, a
// process-wide registry that its driver packages fill from their init():
// no other file imports mediadevices. Only the V4L2 camera driver is used.
//
// The X11 screen driver (mediadevices/pkg/driver/screen) is deliberately
// not imported, so its init() never runs: it would open $DISPLAY once at
// process start (a binary started before DISPLAY is set, or a test binary
// that starts its own Xvfb, would never see a screen), it grabs only whole
// screens, always from the default screen's root window whatever screen is
// asked for, and its Read copies every frame twice (C.GoBytes into a fresh
// allocation, then into RGBA) behind its own ticker. Screen (screen.go)
// talks to the X server itself, with MIT-SHM, when a Screen is made.

import (
	"image"
	"sort"
	"strings"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/driver/camera"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/prop"
)

// cameraPattern is what the camera driver looks at, in its own words of
// the message when nothing is found.
const cameraPattern = "/dev/video*"

// v4l2Camera is one camera the mediadevices V4L2 driver registered.
type v4l2Camera struct {
	drv driver.Driver
	// info is what the driver read about the device.
	info cameraInfo
}

// cameraInfo names a camera; it is what selection and listing work on, so
// that they can be tested without a camera.
type cameraInfo struct {
	// ID is the stable name: the /dev/v4l/by-id (or by-path) entry when
	// udev made one, else the node name ("video0").
	ID string
	// Node is the kernel device name, "video0" for /dev/video0.
	Node string
	// Card is the name the driver gives (VIDIOC_QUERYCAP), e.g. "HD Pro
	// Webcam C920"; empty when the device could not be opened.
	Card string
	// Bus is its bus location, e.g. "usb-0000:00:14.0-1".
	Bus string
}

// label is what a person reads: the card name, or the node when the
// device could not be asked.
func (c cameraInfo) label() string {
	if c.Card != "" {
		return c.Card
	}
	return "/dev/" + c.Node
}

// findCameras asks the camera driver to look for V4L2 devices again (its
// exported Initialize drops the video recorders it registered before and
// globs /dev/v4l/by-id, /dev/v4l/by-path and /dev/video* anew, so cameras
// plugged in after the program started are found) and returns them in
// node order. Two concurrent rescans may leave a device registered twice:
// entries are told apart by their label and the duplicates dropped.
func findCameras() []v4l2Camera {
	camera.Initialize()
	seen := map[string]bool{}
	var cams []v4l2Camera
	for _, d := range driver.GetManager().Query(driver.FilterDeviceType(driver.Camera)) {
		if _, ok := d.(driver.VideoRecorder); !ok {
			continue
		}
		info := d.Info()
		if seen[info.Label] {
			continue
		}
		seen[info.Label] = true
		cams = append(cams, v4l2Camera{drv: d, info: parseCameraInfo(info.Label, info.Name)})
	}
	sort.Slice(cams, func(i, j int) bool { return nodeLess(cams[i].info.Node, cams[j].info.Node) })
	return cams
}

// parseCameraInfo reads the driver's Label ("by-id-name;video0") and Name
// ("card;bus"), both joined by camera.LabelSeparator.
func parseCameraInfo(label, name string) cameraInfo {
	id, node, ok := strings.Cut(label, camera.LabelSeparator)
	if !ok || node == "" {
		node = id
	}
	card, bus, _ := strings.Cut(name, camera.LabelSeparator)
	return cameraInfo{ID: id, Node: node, Card: strings.TrimSpace(card), Bus: bus}
}

// nodeLess orders "video2" before "video10".
func nodeLess(a, b string) bool {
	if len(a) != len(b) && strings.HasPrefix(a, "video") && strings.HasPrefix(b, "video") {
		return len(a) < len(b)
	}
	return a < b
}

// cameraModes opens d long enough to read the modes it offers (the driver
// can only enumerate an open device) and closes it again.
func cameraModes(d driver.Driver) ([]CameraMode, error) {
	if err := d.Open(); err != nil {
		return nil, err
	}
	props := d.Properties()
	err := d.Close()
	modes := make([]CameraMode, 0, len(props))
	for _, p := range props {
		if _, ok := formatRank[p.FrameFormat]; !ok {
			continue // depth (Z16) and anything we cannot turn into YUV
		}
		modes = append(modes, CameraMode{
			Width:  p.Width,
			Height: p.Height,
			FPS:    float64(p.FrameRate),
			Format: strings.ToLower(string(p.FrameFormat)),
		})
	}
	return modes, err
}

// formatRank orders the camera formats we can use, cheapest to turn into
// YUV420P first; MJPEG needs a JPEG decode (in Go) of every frame.
var formatRank = map[frame.Format]int{
	frame.FormatI420:  0,
	frame.FormatNV12:  1,
	frame.FormatNV21:  2,
	frame.FormatYUYV:  3,
	frame.FormatYUY2:  3,
	frame.FormatUYVY:  4,
	frame.FormatMJPEG: 5,
}

// driverFormat is the mediadevices name of a CameraMode.Format.
func driverFormat(f string) frame.Format {
	for k := range formatRank {
		if strings.EqualFold(string(k), f) {
			return k
		}
	}
	return frame.Format(strings.ToUpper(f))
}

// startCamera opens d and starts it streaming in mode m; the function it
// returns blocks until the camera delivers the next picture and returns it
// decoded (the driver's video.Reader; release may be called once done). On
// error d is closed again.
func startCamera(d driver.Driver, m CameraMode) (func() (image.Image, func(), error), error) {
	if err := d.Open(); err != nil {
		return nil, err
	}
	vr, ok := d.(driver.VideoRecorder)
	if !ok {
		_ = d.Close()
		return nil, errNotRecorder
	}
	r, err := vr.VideoRecord(prop.Media{Video: prop.Video{
		Width:       m.Width,
		Height:      m.Height,
		FrameRate:   float32(m.FPS),
		FrameFormat: driverFormat(m.Format),
	}})
	if err != nil {
		// The driver's wrapper has closed d.
		return nil, &streamError{err: err}
	}
	return r.Read, nil
}
