package capture

import (
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/internal/media"
)

// This machine has no camera: the capture path is tested in its parts
// (mode choice, selection, error words, pixel conversion), and NewCamera
// for the messages it gives when there is no camera.

func TestChooseCameraMode(t *testing.T) {
	m := func(w, h int, fps float64, f string) CameraMode { return CameraMode{w, h, fps, f} }
	// A typical UVC webcam: raw YUYV is slow at large sizes, MJPEG is not.
	webcam := []CameraMode{
		m(1920, 1080, 5, "yuyv"), m(1280, 720, 10, "yuyv"), m(640, 480, 30, "yuyv"), m(320, 240, 30, "yuyv"),
		m(1920, 1080, 30, "mjpeg"), m(1280, 720, 30, "mjpeg"), m(640, 480, 30, "mjpeg"), m(1280, 720, 15, "mjpeg"),
	}
	rawOnly := []CameraMode{m(1920, 1080, 5, "yuyv"), m(1280, 720, 10, "yuyv"), m(640, 480, 30, "yuyv"), m(640, 480, 15, "yuyv")}
	for _, c := range []struct {
		name  string
		modes []CameraMode
		w, h  int
		fps   float64
		want  CameraMode
		ok    bool
	}{
		{"1080p30 from MJPEG", webcam, 1920, 1080, 30, m(1920, 1080, 30, "mjpeg"), true},
		{"720p30 from MJPEG", webcam, 1280, 720, 30, m(1280, 720, 30, "mjpeg"), true},
		{"480p30: raw beats MJPEG at the same size and rate", webcam, 640, 480, 30, m(640, 480, 30, "yuyv"), true},
		{"720p10: the exact mode, raw", webcam, 1280, 720, 10, m(1280, 720, 10, "yuyv"), true},
		{"720p15: nearest rate at that size", webcam, 1280, 720, 15, m(1280, 720, 15, "mjpeg"), true},
		{"rate before size: 1080p30 raw-only gives 480p30", rawOnly, 1920, 1080, 30, m(640, 480, 30, "yuyv"), true},
		{"1080p5 asked for, given", rawOnly, 1920, 1080, 5, m(1920, 1080, 5, "yuyv"), true},
		{"60 fps nowhere: the highest rate", webcam, 1280, 720, 60, m(1280, 720, 30, "mjpeg"), true},
		{"29.97 reaches 30", []CameraMode{m(1280, 720, 29.97, "mjpeg"), m(640, 480, 30, "mjpeg")}, 1280, 720, 30, m(1280, 720, 29.97, "mjpeg"), true},
		{"size tie goes to the larger", []CameraMode{m(1270, 720, 30, "nv12"), m(1290, 720, 30, "nv12")}, 1280, 720, 30, m(1290, 720, 30, "nv12"), true},
		{"rate tie goes to the higher", []CameraMode{m(640, 480, 20, "i420"), m(640, 480, 40, "i420")}, 640, 480, 30, m(640, 480, 40, "i420"), true},
		{"format order", []CameraMode{m(640, 480, 30, "uyvy"), m(640, 480, 30, "nv21"), m(640, 480, 30, "i420"), m(640, 480, 30, "nv12")}, 640, 480, 30, m(640, 480, 30, "i420"), true},
		{"no stated rate counts as reaching it", []CameraMode{m(800, 600, 0, "yuyv"), m(320, 240, 30, "yuyv")}, 800, 600, 30, m(800, 600, 0, "yuyv"), true},
		{"depth modes ignored", []CameraMode{m(640, 480, 30, "z16"), m(320, 240, 30, "yuyv")}, 640, 480, 30, m(320, 240, 30, "yuyv"), true},
		{"nothing usable", []CameraMode{m(640, 480, 30, "z16")}, 640, 480, 30, CameraMode{}, false},
		{"no modes", nil, 640, 480, 30, CameraMode{}, false},
	} {
		got, ok := ChooseCameraMode(c.modes, c.w, c.h, c.fps)
		if ok != c.ok || got != c.want {
			t.Errorf("%s: got %v %v, want %v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

var testCameras = []cameraInfo{
	{ID: "usb-046d_HD_Pro_Webcam_C920_A1B2-video-index0", Node: "video0", Card: "HD Pro Webcam C920", Bus: "usb-0000:00:14.0-1"},
	{ID: "video2", Node: "video2", Card: "Integrated Camera"},
	{ID: "usb-Cheap_Cam-video-index0", Node: "video4", Card: "USB Camera"},
	{ID: "usb-Cheap_Cam_2-video-index0", Node: "video6", Card: "USB Camera"},
}

func TestSelectCamera(t *testing.T) {
	for _, c := range []struct {
		name string
		want []int
		err  string
	}{
		{"", []int{0, 1, 2, 3}, ""},
		{"usb-046d_HD_Pro_Webcam_C920_A1B2-video-index0", []int{0}, ""},
		{"/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920_A1B2-video-index0", []int{0}, ""},
		{"video2", []int{1}, ""},
		{"/dev/video4", []int{2}, ""},
		{"hd pro webcam c920", []int{0}, ""},
		{"Integrated Camera", []int{1}, ""},
		{"USB Camera", nil, `capture: no such device: 2 cameras are called "USB Camera": video4 "USB Camera" (ID usb-Cheap_Cam-video-index0), video6 "USB Camera" (ID usb-Cheap_Cam_2-video-index0); name one by its ID`},
		{"video9", nil, `capture: no such device: no camera "video9"; the cameras are: video0 "HD Pro Webcam C920" (ID usb-046d_HD_Pro_Webcam_C920_A1B2-video-index0), video2 "Integrated Camera", video4 "USB Camera" (ID usb-Cheap_Cam-video-index0), video6 "USB Camera" (ID usb-Cheap_Cam_2-video-index0)`},
	} {
		got, err := selectCamera(testCameras, c.name)
		if c.err != "" {
			if !errors.Is(err, ErrNoDevice) || err.Error() != c.err {
				t.Errorf("%q: error\n%v\nwant\n%s", c.name, err, c.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%q: %v %v, want %v", c.name, got, err, c.want)
		}
	}
	if _, err := selectCamera(nil, ""); !errors.Is(err, ErrNoDevice) || err.Error() != "capture: no such device: no camera found (looked for /dev/video*)" {
		t.Errorf("no cameras: %v", err)
	}
	if _, err := selectCamera(nil, "video0"); !errors.Is(err, ErrNoDevice) || err.Error() != `capture: no such device: camera "video0": no camera found (looked for /dev/video*)` {
		t.Errorf("no cameras, one named: %v", err)
	}
}

func TestParseCameraInfo(t *testing.T) {
	for _, c := range []struct {
		label, name string
		want        cameraInfo
	}{
		{"usb-046d_C920-video-index0;video0", "HD Pro Webcam C920;usb-0000:00:14.0-1",
			cameraInfo{ID: "usb-046d_C920-video-index0", Node: "video0", Card: "HD Pro Webcam C920", Bus: "usb-0000:00:14.0-1"}},
		{"video0;video0", ";", cameraInfo{ID: "video0", Node: "video0"}},
		{"video3", "", cameraInfo{ID: "video3", Node: "video3"}},
	} {
		if got := parseCameraInfo(c.label, c.name); got != c.want {
			t.Errorf("%q %q: %+v, want %+v", c.label, c.name, got, c.want)
		}
	}
}

func TestCameraError(t *testing.T) {
	cam := testCameras[0]
	for _, c := range []struct {
		err  error
		is   error
		text string
	}{
		{syscall.EBUSY, ErrDeviceBusy, "/dev/video0 (HD Pro Webcam C920) is in use by another program"},
		{fmt.Errorf("set format: %w", syscall.EBUSY), ErrDeviceBusy, "is in use by another program"},
		{syscall.EACCES, ErrDeviceBusy, "no permission to open /dev/video0 (is the user in the video group?)"},
		{syscall.ENODEV, ErrNoDevice, "/dev/video0 has gone (unplugged?)"},
		{&streamError{errors.New("Failed to map request buffers: device or resource busy")}, ErrDeviceBusy,
			"/dev/video0 (HD Pro Webcam C920) opens but does not stream (is another program using it?)"},
		{errors.New("Not a video capture device"), nil, "capture: camera /dev/video0 (HD Pro Webcam C920): Not a video capture device"},
	} {
		err := cameraError(cam, c.err)
		if (c.is != nil && !errors.Is(err, c.is)) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%v: %v, want %v with %q", c.err, err, c.is, c.text)
		}
		if c.is == nil && (errors.Is(err, ErrDeviceBusy) || errors.Is(err, ErrNoDevice)) {
			t.Errorf("%v: %v should be neither busy nor missing", c.err, err)
		}
	}
}

// noCameras skips t on a machine that has V4L2 devices.
func noCameras(t *testing.T) {
	if m, _ := filepath.Glob("/dev/video*"); len(m) > 0 {
		t.Skipf("this machine has video devices %v: the no-camera messages cannot be seen", m)
	}
}

func TestNewCameraNoCamera(t *testing.T) {
	noCameras(t)
	_, err := NewCamera(CameraConfig{})
	if !errors.Is(err, ErrNoDevice) || err.Error() != "capture: no such device: no camera found (looked for /dev/video*)" {
		t.Errorf("no camera: %v", err)
	}
	_, err = NewCamera(CameraConfig{Name: "usb-046d_HD_Pro_Webcam_C920-video-index0"})
	if !errors.Is(err, ErrNoDevice) || err.Error() != `capture: no such device: camera "usb-046d_HD_Pro_Webcam_C920-video-index0": no camera found (looked for /dev/video*)` {
		t.Errorf("named camera: %v", err)
	}
}

func TestNewCameraConfig(t *testing.T) {
	for _, cfg := range []CameraConfig{
		{Width: 640},
		{Width: -640, Height: 480},
		{Width: 640, Height: 480, FPS: 0.5},
		{Width: 640, Height: 480, FPS: 1000},
	} {
		if _, err := NewCamera(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: %v, want ErrInvalidConfig", cfg, err)
		}
	}
}

func TestCameraModeString(t *testing.T) {
	for _, c := range []struct {
		m    CameraMode
		want string
	}{
		{CameraMode{1280, 720, 30, "mjpeg"}, "1280x720@30 mjpeg"},
		{CameraMode{640, 480, 29.97, "yuyv"}, "640x480@29.97 yuyv"},
		{CameraMode{640, 480, 7.5, "yuyv"}, "640x480@7.5 yuyv"},
		{CameraMode{800, 600, 0, "nv12"}, "800x600 nv12"},
	} {
		if got := c.m.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.m, got, c.want)
		}
	}
}

// ycbcr makes a w×h YCbCr picture of the given layout whose luma is
// x+y and whose chroma samples hold the luma coordinates of their top-left
// pixel (Cb the column, Cr the row).
func ycbcr(w, h int, r image.YCbCrSubsampleRatio) *image.YCbCr {
	p := image.NewYCbCr(image.Rect(0, 0, w, h), r)
	for y := h - 1; y >= 0; y-- { // backwards: a block's top left writes last
		for x := w - 1; x >= 0; x-- {
			p.Y[p.YOffset(x, y)] = byte(x + y)
			i := p.COffset(x, y)
			p.Cb[i], p.Cr[i] = byte(x), byte(y)
		}
	}
	return p
}

func TestToYUV420P(t *testing.T) {
	const w, h = 8, 6
	for _, c := range []struct {
		name   string
		img    image.Image
		full   bool
		cb, cr func(cx, cy int) byte // want, per 4:2:0 chroma sample
		y      func(x, y int) byte
	}{
		{"420", ycbcr(w, h, image.YCbCrSubsampleRatio420), false,
			func(cx, cy int) byte { return byte(2 * cx) }, func(cx, cy int) byte { return byte(2 * cy) }, nil},
		// 4:2:2 rows 2cy and 2cy+1 are averaged: (2cy + 2cy+1 + 1) / 2.
		{"422", ycbcr(w, h, image.YCbCrSubsampleRatio422), false,
			func(cx, cy int) byte { return byte(2 * cx) }, func(cx, cy int) byte { return byte(2*cy + 1) }, nil},
		{"444", ycbcr(w, h, image.YCbCrSubsampleRatio444), false,
			func(cx, cy int) byte { return byte(2 * cx) }, func(cx, cy int) byte { return byte(2 * cy) }, nil},
		{"gray", image.NewGray(image.Rect(0, 0, w, h)), false,
			func(cx, cy int) byte { return 128 }, func(cx, cy int) byte { return 128 }, func(x, y int) byte { return 0 }},
		{"full range", ycbcr(w, h, image.YCbCrSubsampleRatio420), true,
			func(cx, cy int) byte { return chromaLevels[2*cx] }, func(cx, cy int) byte { return chromaLevels[2*cy] },
			func(x, y int) byte { return lumaLevels[x+y] }},
	} {
		buf := make([]byte, w*h*3/2)
		yp, cb, cr := buf[:w*h], buf[w*h:w*h*5/4], buf[w*h*5/4:]
		if err := toYUV420P(yp, cb, cr, w, h, c.img, c.full); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		wantY := c.y
		if wantY == nil {
			wantY = func(x, y int) byte { return byte(x + y) }
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if got := yp[y*w+x]; got != wantY(x, y) {
					t.Errorf("%s: Y(%d,%d) = %d, want %d", c.name, x, y, got, wantY(x, y))
				}
			}
		}
		for cy := 0; cy < h/2; cy++ {
			for cx := 0; cx < w/2; cx++ {
				if got := cb[cy*w/2+cx]; got != c.cb(cx, cy) {
					t.Errorf("%s: Cb(%d,%d) = %d, want %d", c.name, cx, cy, got, c.cb(cx, cy))
				}
				if got := cr[cy*w/2+cx]; got != c.cr(cx, cy) {
					t.Errorf("%s: Cr(%d,%d) = %d, want %d", c.name, cx, cy, got, c.cr(cx, cy))
				}
			}
		}
	}
	if err := toYUV420P(make([]byte, 4), make([]byte, 1), make([]byte, 1), 2, 2, image.NewRGBA(image.Rect(0, 0, 2, 2)), false); err == nil {
		t.Error("RGBA picture accepted")
	}
	if lumaLevels[0] != 16 || lumaLevels[255] != 235 || chromaLevels[0] != 16 || chromaLevels[128] != 128 || chromaLevels[255] != 240 {
		t.Errorf("levels: Y %d..%d, C %d %d %d", lumaLevels[0], lumaLevels[255], chromaLevels[0], chromaLevels[128], chromaLevels[255])
	}
}

// TestCameraFrame runs a Camera's frame step on a decoded picture, as the
// driver would hand it over: a pooled YUV420P frame stamped at the time
// given, whose buffer comes back on Release.
func TestCameraFrame(t *testing.T) {
	s := &Camera{cfg: CameraConfig{Clock: media.NewClock()}, mode: CameraMode{640, 480, 30, "yuyv"}}
	img := ycbcr(641, 480, image.YCbCrSubsampleRatio422)
	now := time.Now()
	f, err := s.frame(img, now, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 640 || f.Height != 480 || f.Seq != 3 || f.Strides != [3]int{640, 320, 320} || f.PTS != now.Sub(s.cfg.Clock.Start()) {
		t.Fatalf("frame %dx%d seq %d strides %v PTS %v", f.Width, f.Height, f.Seq, f.Strides, f.PTS)
	}
	y0 := &f.Planes[0][0]
	f.Release()
	g, _ := s.frame(img, now, 4, false)
	if &g.Planes[0][0] != y0 {
		t.Error("released buffer not reused")
	}
	g.Release()
}
