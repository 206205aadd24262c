package capture

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSummarizeModes(t *testing.T) {
	m := func(w, h int, fps float64, f string) CameraMode { return CameraMode{w, h, fps, f} }
	for _, c := range []struct {
		modes []CameraMode
		want  string
	}{
		{nil, ""},
		{[]CameraMode{m(640, 480, 30, "yuyv")}, "yuyv 640x480@30"},
		{[]CameraMode{
			m(1280, 720, 30, "mjpeg"), m(640, 480, 15, "yuyv"), m(1920, 1080, 30, "mjpeg"), m(640, 480, 30, "yuyv"),
			m(1280, 720, 10, "yuyv"), m(1280, 720, 15, "mjpeg"), m(800, 600, 0, "nv12"),
		}, "nv12 800x600; yuyv 1280x720@10 640x480@30; mjpeg 1920x1080@30 1280x720@30"},
		{[]CameraMode{m(640, 480, 29.97, "i420"), m(640, 480, 7.5, "i420")}, "i420 640x480@29.97"},
	} {
		if got := summarizeModes(c.modes); got != c.want {
			t.Errorf("%v:\n got %q\nwant %q", c.modes, got, c.want)
		}
	}
}

// TestListVideoDevicesScreens lists the two screens of an Xvfb, found
// through DISPLAY at the time of the call.
func TestListVideoDevicesScreens(t *testing.T) {
	display, _ := startTestXvfb(t, "1280x720x24", "640x480x24")
	t.Setenv("DISPLAY", display)
	devs, err := ListVideoDevices(nil)
	if err != nil {
		t.Fatal(err)
	}
	var screens []string
	for _, d := range devs {
		if d.Kind == KindScreen {
			screens = append(screens, fmt.Sprintf("%s|%s|%s|%v", d.ID, d.Name, d.Detail, d.Default))
		}
	}
	want := []string{
		":0|screen 0 of X11 display " + display + "|1280x720|true",
		":1|screen 1 of X11 display " + display + "|640x480|false",
	}
	if strings.Join(screens, "\n") != strings.Join(want, "\n") {
		t.Errorf("screens:\n%s\nwant\n%s", strings.Join(screens, "\n"), strings.Join(want, "\n"))
	}
	// Each screen ID is a spec that selects it.
	for _, d := range devs {
		if d.Kind != KindScreen {
			continue
		}
		cfg, err := ParseScreenSpec(d.ID)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Display = display
		s, err := NewScreen(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r := s.Config().Region; fmt.Sprintf("%dx%d", r.Dx(), r.Dy()) != d.Detail {
			t.Errorf("%s: region %v, listed as %s", d.ID, r, d.Detail)
		}
		s.Close()
	}
}

// TestListVideoDevicesNone: no camera on this machine, and no display.
func TestListVideoDevicesNone(t *testing.T) {
	noCameras(t)
	t.Setenv("DISPLAY", "")
	devs, err := ListVideoDevices(nil)
	want := "capture: no such device: no camera found (looked for /dev/video*); no X11 display: DISPLAY is not set"
	if len(devs) != 0 || !errors.Is(err, ErrNoDevice) || err.Error() != want {
		t.Errorf("%v, %v; want the error %q", devs, err, want)
	}
}
