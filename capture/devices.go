package capture

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"onair/internal/logx"
)

// ListVideoDevices lists the cameras (KindCamera: ID as camera:ID takes
// it, Name the camera's own name, Detail its modes) and the screens of the
// X11 display in $DISPLAY (KindScreen: ID ":N" as screen:N takes it,
// Detail its size, "1920x1080"). The first camera in node order and screen
// 0 are marked Default, as CameraConfig and ScreenConfig choose them.
//
// A camera that cannot be asked for its modes (busy, not permitted) is
// still listed, with the reason as its Detail. When nothing at all is
// found the error wraps ErrNoDevice and says why for each kind, e.g. "no
// camera found (looked for /dev/video*); no X11 display: DISPLAY is not
// set".
func ListVideoDevices(log *slog.Logger) ([]Device, error) {
	log = logx.OrDiscard(log)
	var devs []Device
	var why []string
	for _, c := range findCameras() {
		modes, err := cameraModes(c.drv)
		if err != nil {
			err = cameraError(c.info, err)
		}
		d := Device{Kind: KindCamera, ID: c.info.ID, Name: c.info.label()}
		switch {
		case err == nil && len(modes) == 0:
			log.Debug("video device offers no mode we can use", "device", "/dev/"+c.info.Node)
			continue
		case err == nil:
			d.Detail = summarizeModes(modes)
		case errors.Is(err, ErrDeviceBusy):
			d.Detail = err.Error()
		default:
			// Not a capture device: a UVC camera's metadata node.
			log.Debug("skipping a video device", "device", "/dev/"+c.info.Node, "err", err)
			continue
		}
		devs = append(devs, d)
	}
	if len(devs) == 0 {
		why = append(why, fmt.Sprintf("no camera found (looked for %s)", cameraPattern))
	} else {
		devs[0].Default = true
	}
	screens, problem := x11Screens("")
	if problem != "" {
		why = append(why, problem)
		log.Debug("no screens", "why", problem)
	}
	devs = append(devs, screens...)
	if len(devs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoDevice, strings.Join(why, "; "))
	}
	return devs, nil
}

// summarizeModes is a camera's modes in one line, per format (cheapest
// first) the sizes from largest down, each with its highest rate:
// "yuyv 1280x720@10 640x480@30; mjpeg 1920x1080@30 1280x720@30".
func summarizeModes(modes []CameraMode) string {
	type size struct{ w, h int }
	byFormat := map[string]map[size]float64{}
	for _, m := range modes {
		s := size{m.Width, m.Height}
		if byFormat[m.Format] == nil {
			byFormat[m.Format] = map[size]float64{}
		}
		if r, ok := byFormat[m.Format][s]; !ok || m.FPS > r {
			byFormat[m.Format][s] = m.FPS
		}
	}
	formats := make([]string, 0, len(byFormat))
	for f := range byFormat {
		formats = append(formats, f)
	}
	sort.Slice(formats, func(i, j int) bool {
		ri, rj := formatRank[driverFormat(formats[i])], formatRank[driverFormat(formats[j])]
		if ri != rj {
			return ri < rj
		}
		return formats[i] < formats[j]
	})
	parts := make([]string, 0, len(formats))
	for _, f := range formats {
		sizes := make([]size, 0, len(byFormat[f]))
		for s := range byFormat[f] {
			sizes = append(sizes, s)
		}
		sort.Slice(sizes, func(i, j int) bool {
			if a, b := sizes[i].w*sizes[i].h, sizes[j].w*sizes[j].h; a != b {
				return a > b
			}
			return sizes[i].w > sizes[j].w
		})
		var b strings.Builder
		b.WriteString(f)
		for _, s := range sizes {
			b.WriteString(" " + CameraMode{Width: s.w, Height: s.h, FPS: byFormat[f][s]}.size())
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, "; ")
}
