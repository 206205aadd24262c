package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"onair/internal/logx"
	"onair/internal/media"
)

// Limits and defaults of CameraConfig.
const (
	// DefaultCameraWidth and DefaultCameraHeight are the size asked for
	// when CameraConfig gives none.
	DefaultCameraWidth, DefaultCameraHeight = 1280, 720
	// DefaultCameraFPS is the rate asked for when CameraConfig gives none.
	DefaultCameraFPS = 30.0
	// MaxCameraErrors is how many reads in a row may fail (the driver
	// gives up on a read after 5 s without a frame) before the camera is
	// taken for gone and Err says why.
	MaxCameraErrors = 3
)

// CameraConfig configures a Camera.
type CameraConfig struct {
	// Name selects the camera: its ID as ListVideoDevices gives it (the
	// /dev/v4l/by-id name when there is one), its node ("video0" or
	// "/dev/video0"), or its name ("HD Pro Webcam C920", any case, when
	// only one camera has it). Default "": the first camera, in node
	// order, that offers a mode we can use.
	Name string
	// Width and Height are the wanted picture size; the nearest mode the
	// camera offers is chosen (see ChooseCameraMode). Default 1280x720.
	Width, Height int
	// FPS is the wanted frame rate, 1..240. Default 30.
	FPS float64
	// Clock is the stream clock on which frames are stamped. Default: a
	// clock started by NewCamera.
	Clock media.Clock
	// Logger receives the source's messages. Default: discarded.
	Logger *slog.Logger
}

// CameraMode is one picture size, rate and format a camera offers.
type CameraMode struct {
	Width, Height int
	// FPS is the frame rate; 0 when the camera states none.
	FPS float64
	// Format is the camera's pixel format, lower case: "i420", "nv12",
	// "nv21", "yuyv", "uyvy" or "mjpeg".
	Format string
}

// String is "1280x720@30 mjpeg".
func (m CameraMode) String() string { return m.size() + " " + m.Format }

// size is "1280x720@30", or "1280x720" when the rate is not stated.
func (m CameraMode) size() string {
	if m.FPS == 0 {
		return fmt.Sprintf("%dx%d", m.Width, m.Height)
	}
	return fmt.Sprintf("%dx%d@%s", m.Width, m.Height, formatFPS(m.FPS))
}

func formatFPS(fps float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", fps), "0"), ".")
}

// Camera is a V4L2 camera (through mediadevices' camera driver): frames in
// media.PixelFormatYUV420P (limited-range BT.601, as the encoder takes
// them), at the rate the camera delivers them in the chosen mode.
//
// Each frame's PTS is the time its picture came out of the driver, read on
// Config.Clock as soon as the driver's Read returns. The driver decodes
// before it returns, so with an MJPEG mode the stamp is late by the JPEG
// decode (a steady few milliseconds; more at 1080p), which is one more
// reason raw modes are preferred when they offer the same size and rate.
// The camera paces itself; Skipped estimates the frames it lost from gaps
// of more than 1.5 frame intervals between pictures.
//
// Frame buffers are pooled: the consumer must call Release on each frame.
type Camera struct {
	cfg  CameraConfig
	log  *slog.Logger
	info cameraInfo
	mode CameraMode
	drv  interface{ Close() error }
	read func() (image.Image, func(), error)

	run     runner
	skipped atomic.Int64
	frames  atomic.Int64

	closeOnce sync.Once
	closeErr  error
	stopped   stopErr

	// Used only by the source goroutine.
	pool *framePool
}

// NewCamera finds the camera, chooses its mode and starts it streaming (so
// that a busy device is reported here, not at Start). Errors: ErrNoDevice
// when there is no camera ("no camera found (looked for /dev/video*)") or
// none by that name (the message lists the cameras there are);
// ErrDeviceBusy when the camera is in use by another program or may not be
// opened; ErrInvalidConfig for an impossible configuration.
func NewCamera(cfg CameraConfig) (*Camera, error) {
	if cfg.Width == 0 && cfg.Height == 0 {
		cfg.Width, cfg.Height = DefaultCameraWidth, DefaultCameraHeight
	}
	if cfg.FPS == 0 {
		cfg.FPS = DefaultCameraFPS
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxTestVideoSize || cfg.Height > MaxTestVideoSize {
		return nil, fmt.Errorf("%w: camera size %dx%d: want both from 1 to %d", ErrInvalidConfig, cfg.Width, cfg.Height, MaxTestVideoSize)
	}
	if !(cfg.FPS >= MinTestVideoFPS && cfg.FPS <= MaxTestVideoFPS) {
		return nil, fmt.Errorf("%w: camera frame rate (%g) must be in %g..%g", ErrInvalidConfig, cfg.FPS, MinTestVideoFPS, MaxTestVideoFPS)
	}
	if cfg.Clock.Start().IsZero() {
		cfg.Clock = media.NewClock()
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)

	cams := findCameras()
	infos := make([]cameraInfo, len(cams))
	for i, c := range cams {
		infos[i] = c.info
	}
	candidates, err := selectCamera(infos, cfg.Name)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, i := range candidates {
		c := cams[i]
		modes, err := cameraModes(c.drv)
		if err != nil {
			err = cameraError(c.info, err)
			if errors.Is(err, ErrDeviceBusy) {
				return nil, err
			}
			if cfg.Name != "" {
				if errors.Is(err, ErrNoDevice) {
					return nil, err
				}
				return nil, fmt.Errorf("%w: %s is not a camera we can use: %v", ErrNoDevice, cfg.Name, err)
			}
			// Not a capture device (a UVC camera's metadata node):
			// try the next one.
			cfg.Logger.Debug("skipping a video device", "device", "/dev/"+c.info.Node, "err", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		mode, ok := ChooseCameraMode(modes, cfg.Width, cfg.Height, cfg.FPS)
		if !ok {
			err := fmt.Errorf("%w: /dev/%s (%s) offers no mode in a format we can use (%d modes)", ErrNoDevice, c.info.Node, c.info.label(), len(modes))
			if cfg.Name != "" {
				return nil, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		read, err := startCamera(c.drv, mode)
		if err != nil {
			return nil, cameraError(c.info, err)
		}
		s := &Camera{
			cfg:  cfg,
			log:  cfg.Logger.With("source", "camera", "device", "/dev/"+c.info.Node),
			info: c.info,
			mode: mode,
			drv:  c.drv,
			read: read,
		}
		s.log.Info("camera open", "name", c.info.label(), "mode", mode.String(),
			"wanted", fmt.Sprintf("%dx%d@%s", cfg.Width, cfg.Height, formatFPS(cfg.FPS)))
		return s, nil
	}
	return nil, fmt.Errorf("%w: no camera found (looked for %s): %v", ErrNoDevice, cameraPattern, firstErr)
}

// selectCamera gives the indexes of cams to try for name, in order: all
// of them for "", else the one it names. Its errors wrap ErrNoDevice.
func selectCamera(cams []cameraInfo, name string) ([]int, error) {
	if len(cams) == 0 {
		if name != "" {
			return nil, fmt.Errorf("%w: camera %q: no camera found (looked for %s)", ErrNoDevice, name, cameraPattern)
		}
		return nil, fmt.Errorf("%w: no camera found (looked for %s)", ErrNoDevice, cameraPattern)
	}
	if name == "" {
		all := make([]int, len(cams))
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	node := strings.TrimPrefix(name, "/dev/")
	base := name[strings.LastIndexByte(name, '/')+1:]
	for i, c := range cams {
		if c.ID == name || c.Node == node || (strings.HasPrefix(name, "/dev/v4l/") && c.ID == base) {
			return []int{i}, nil
		}
	}
	var byCard []int
	for i, c := range cams {
		if c.Card != "" && strings.EqualFold(c.Card, name) {
			byCard = append(byCard, i)
		}
	}
	switch len(byCard) {
	case 1:
		return byCard, nil
	case 0:
		return nil, fmt.Errorf("%w: no camera %q; the cameras are: %s", ErrNoDevice, name, cameraList(cams, nil))
	}
	return nil, fmt.Errorf("%w: %d cameras are called %q: %s; name one by its ID", ErrNoDevice, len(byCard), name, cameraList(cams, byCard))
}

// cameraList is "video0 "HD Pro Webcam C920" (ID usb-…), …" for the
// cameras at idx (all when idx is nil).
func cameraList(cams []cameraInfo, idx []int) string {
	if idx == nil {
		for i := range cams {
			idx = append(idx, i)
		}
	}
	parts := make([]string, 0, len(idx))
	for _, i := range idx {
		c := cams[i]
		s := c.Node
		if c.Card != "" {
			s += fmt.Sprintf(" %q", c.Card)
		}
		if c.ID != c.Node {
			s += " (ID " + c.ID + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// streamError marks a failure to start streaming on a camera that could
// be opened: nearly always another program holding it.
type streamError struct{ err error }

func (e *streamError) Error() string { return e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }

// errNotRecorder is returned when a registered camera driver cannot record
// video (never with the V4L2 driver).
var errNotRecorder = errors.New("capture: camera driver cannot record video")

// cameraError turns a driver error into ours: ErrDeviceBusy for a device
// in use or not permitted, ErrNoDevice for one that went away.
func cameraError(c cameraInfo, err error) error {
	dev := "/dev/" + c.Node
	var errno syscall.Errno
	var se *streamError
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EBUSY:
			return fmt.Errorf("%w: %s (%s) is in use by another program: %v", ErrDeviceBusy, dev, c.label(), err)
		case syscall.EACCES, syscall.EPERM:
			return fmt.Errorf("%w: no permission to open %s (is the user in the video group?): %v", ErrDeviceBusy, dev, err)
		case syscall.ENOENT, syscall.ENODEV, syscall.ENXIO:
			return fmt.Errorf("%w: %s has gone (unplugged?): %v", ErrNoDevice, dev, err)
		}
	}
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %s (%s) opens but does not stream (is another program using it?): %v", ErrDeviceBusy, dev, c.label(), err)
	}
	return fmt.Errorf("capture: camera %s (%s): %w", dev, c.label(), err)
}

// ChooseCameraMode picks, from the modes a camera offers, the one nearest
// to the wanted size and rate. The rule, in order:
//
//  1. Rate first: keep the modes that reach the wanted rate (within 3%, so
//     that 29.97 counts as 30; a mode that states no rate counts as
//     reaching it); when none does, keep those at the highest rate offered.
//     A live picture at 720p30 beats 1080p at 5 fps.
//  2. Of those, the nearest size: least |width−W| + |height−H|, a tie
//     going to the larger picture.
//  3. Then the nearest rate, a tie going to the higher.
//  4. Then the format cheapest to turn into YUV420P: i420, nv12, nv21,
//     yuyv, uyvy, and mjpeg last (a JPEG decode per frame).
//
// Modes in other formats are ignored; ok is false when none is left.
func ChooseCameraMode(modes []CameraMode, width, height int, fps float64) (m CameraMode, ok bool) {
	usable := modes[:0:0]
	for _, m := range modes {
		if _, known := formatRank[driverFormat(m.Format)]; known && m.Width > 0 && m.Height > 0 {
			usable = append(usable, m)
		}
	}
	if len(usable) == 0 {
		return CameraMode{}, false
	}
	reaches := func(m CameraMode) bool { return m.FPS == 0 || m.FPS >= fps*0.97 }
	best := 0.0
	any := false
	for _, m := range usable {
		any = any || reaches(m)
		best = math.Max(best, m.FPS)
	}
	keep := usable[:0:0]
	for _, m := range usable {
		if (any && reaches(m)) || (!any && m.FPS == best) {
			keep = append(keep, m)
		}
	}
	better := func(a, b CameraMode) bool {
		da, db := abs(a.Width-width)+abs(a.Height-height), abs(b.Width-width)+abs(b.Height-height)
		if da != db {
			return da < db
		}
		if aa, ab := a.Width*a.Height, b.Width*b.Height; aa != ab {
			return aa > ab
		}
		ra, rb := rateDistance(a.FPS, fps), rateDistance(b.FPS, fps)
		if ra != rb {
			return ra < rb
		}
		if a.FPS != b.FPS {
			return a.FPS > b.FPS
		}
		return formatRank[driverFormat(a.Format)] < formatRank[driverFormat(b.Format)]
	}
	m = keep[0]
	for _, c := range keep[1:] {
		if better(c, m) {
			m = c
		}
	}
	return m, true
}

// rateDistance is how far rate r is from the wanted one; an unstated rate
// is taken as the wanted one.
func rateDistance(r, want float64) float64 {
	if r == 0 {
		return 0
	}
	return math.Abs(r - want)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// Config is the configuration in use, defaults filled in.
func (s *Camera) Config() CameraConfig { return s.cfg }

// Mode is the mode the camera streams in.
func (s *Camera) Mode() CameraMode { return s.mode }

// Start launches the source's goroutine, which hands out each picture the
// camera delivers until Close. out is called from that goroutine and must
// not block; the frame then belongs to the callee, who must Release it.
// Start returns ErrStarted when called twice and ErrClosed after Close.
func (s *Camera) Start(out func(*media.VideoFrame)) error {
	return startLoop(&s.run, "camera", out, s.loop)
}

// Close stops the source, returns once its goroutine has ended (at most
// one driver read later: a frame interval, or the driver's 5 s timeout
// for a camera that stalled) and closes the device. No frame is delivered
// after it returns. It is safe to call more than once, and without Start.
func (s *Camera) Close() error {
	s.closeOnce.Do(func() {
		s.run.stop()
		s.closeErr = s.drv.Close()
	})
	return s.closeErr
}

// Skipped estimates the frames the camera lost (gaps between pictures).
func (s *Camera) Skipped() int64 { return s.skipped.Load() }

// Frames is the number of frames delivered so far.
func (s *Camera) Frames() int64 { return s.frames.Load() }

// Err says why the camera stopped delivering frames before Close (it was
// unplugged, or failed MaxCameraErrors reads in a row); nil while it runs.
func (s *Camera) Err() error {
	return s.stopped.get()
}

func (s *Camera) fail(err error) {
	s.stopped.set(err)
	s.log.Error("camera stopped", "err", err)
}

func (s *Camera) loop(ctx context.Context, out func(*media.VideoFrame)) {
	period := time.Duration(0)
	if s.mode.FPS > 0 {
		period = time.Duration(float64(time.Second) / s.mode.FPS)
	}
	fullRange := s.mode.Format == "mjpeg" // JFIF pictures use the full 0..255 range
	var last time.Time
	failures := 0
	for seq := int64(0); ; {
		img, release, err := s.read()
		now := time.Now()
		if ctx.Err() != nil {
			if err == nil && release != nil {
				release()
			}
			return
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				s.fail(fmt.Errorf("capture: camera /dev/%s ended: %w", s.info.Node, err))
				return
			}
			failures++
			if failures >= MaxCameraErrors {
				s.fail(fmt.Errorf("capture: camera /dev/%s: %d reads in a row failed: %w", s.info.Node, failures, err))
				return
			}
			s.log.Warn("camera read failed", "err", err, "failures", failures)
			continue
		}
		failures = 0
		if period > 0 && !last.IsZero() {
			if gap := now.Sub(last); gap > period*3/2 {
				s.skipped.Add(int64(math.Round(float64(gap)/float64(period))) - 1)
			}
		}
		last = now
		f, err := s.frame(img, now, seq, fullRange)
		if release != nil {
			release()
		}
		if err != nil {
			s.fail(fmt.Errorf("capture: camera /dev/%s: %w", s.info.Node, err))
			return
		}
		out(f)
		s.frames.Add(1)
		seq++
	}
}

// frame converts the driver's picture into a pooled YUV420P frame
// stamped at now.
func (s *Camera) frame(img image.Image, now time.Time, seq int64, fullRange bool) (*media.VideoFrame, error) {
	b := img.Bounds()
	w, h := b.Dx()&^1, b.Dy()&^1
	if w == 0 || h == 0 {
		return nil, fmt.Errorf("picture of %dx%d pixels", b.Dx(), b.Dy())
	}
	size := w*h + 2*(w/2)*(h/2)
	if s.pool == nil || s.pool.size != size {
		s.pool = newFramePool(size, framePoolSize)
	}
	pool := s.pool
	buf := pool.get()
	y, cb, cr := buf[:w*h], buf[w*h:w*h+(w/2)*(h/2)], buf[w*h+(w/2)*(h/2):]
	if err := toYUV420P(y, cb, cr, w, h, img, fullRange); err != nil {
		pool.put(buf)
		return nil, err
	}
	f := &media.VideoFrame{
		PTS:     now.Sub(s.cfg.Clock.Start()),
		Seq:     seq,
		Width:   w,
		Height:  h,
		Format:  media.PixelFormatYUV420P,
		Planes:  [3][]byte{y, cb, cr},
		Strides: [3]int{w, w / 2, w / 2},
	}
	f.SetRelease(func() { pool.put(buf) })
	return f, nil
}

// toYUV420P writes the top-left w×h (both even) of img into the planes y
// (stride w), cb and cr (stride w/2): row copies for 4:2:0, averaged rows
// for 4:2:2, a sample per 2×2 block for the rarer layouts. fullRange maps
// JPEG's 0..255 levels to video's 16..235 (16..240 for chroma).
func toYUV420P(y, cb, cr []byte, w, h int, img image.Image, fullRange bool) error {
	cw, ch := w/2, h/2
	switch p := img.(type) {
	case *image.YCbCr:
		x0, y0 := p.Rect.Min.X, p.Rect.Min.Y
		for row := 0; row < h; row++ {
			i := p.YOffset(x0, y0+row)
			copy(y[row*w:row*w+w], p.Y[i:i+w])
		}
		switch p.SubsampleRatio {
		case image.YCbCrSubsampleRatio420:
			for row := 0; row < ch; row++ {
				i := p.COffset(x0, y0+2*row)
				copy(cb[row*cw:row*cw+cw], p.Cb[i:i+cw])
				copy(cr[row*cw:row*cw+cw], p.Cr[i:i+cw])
			}
		case image.YCbCrSubsampleRatio422:
			for row := 0; row < ch; row++ {
				i, j := p.COffset(x0, y0+2*row), p.COffset(x0, y0+2*row+1)
				average(cb[row*cw:row*cw+cw], p.Cb[i:i+cw], p.Cb[j:j+cw])
				average(cr[row*cw:row*cw+cw], p.Cr[i:i+cw], p.Cr[j:j+cw])
			}
		default:
			for row := 0; row < ch; row++ {
				for col := 0; col < cw; col++ {
					i := p.COffset(x0+2*col, y0+2*row)
					cb[row*cw+col], cr[row*cw+col] = p.Cb[i], p.Cr[i]
				}
			}
		}
	case *image.Gray:
		for row := 0; row < h; row++ {
			i := p.PixOffset(p.Rect.Min.X, p.Rect.Min.Y+row)
			copy(y[row*w:row*w+w], p.Pix[i:i+w])
		}
		for i := range cb[:cw*ch] {
			cb[i], cr[i] = 128, 128
		}
	default:
		return fmt.Errorf("the camera driver gave a %T picture, want YCbCr or Gray", img)
	}
	if fullRange {
		levels(y[:w*h], &lumaLevels)
		levels(cb[:cw*ch], &chromaLevels)
		levels(cr[:cw*ch], &chromaLevels)
	}
	return nil
}

// average sets dst[i] to the rounded mean of a[i] and b[i].
func average(dst, a, b []byte) {
	b = b[:len(dst)]
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = byte((uint16(a[i]) + uint16(b[i]) + 1) >> 1)
	}
}

// levels maps each byte through lut.
func levels(p []byte, lut *[256]byte) {
	for i, v := range p {
		p[i] = lut[v]
	}
}

// lumaLevels and chromaLevels map full-range (JPEG) levels to limited
// range (BT.601 video): Y 0..255 → 16..235, Cb/Cr 0..255 → 16..240 about
// 128. They are computed once and never written again.
var lumaLevels, chromaLevels = func() (l, c [256]byte) {
	for i := range l {
		l[i] = byte(16 + math.Round(float64(i)*219/255))
		c[i] = byte(128 + math.Round(float64(i-128)*224/255))
	}
	return
}()
