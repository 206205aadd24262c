package encode

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/logx"
	"onair/internal/media"
)

// Presets lists the speed presets, fastest first: libx264 and libx265 have
// the same ones.
func Presets() []string {
	return []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"}
}

// ValidPreset reports whether p is a libx264 (and libx265) preset name.
func ValidPreset(p string) bool {
	for _, q := range Presets() {
		if p == q {
			return true
		}
	}
	return false
}

// VideoConfig configures a VideoEncoder. Zero fields take the documented
// defaults.
type VideoConfig struct {
	// Codec is media.CodecH264 (libx264), the default when zero,
	// media.CodecHEVC (libx265; see hevc.go for what differs) or
	// media.CodecAV1 (SVT-AV1; see av1.go).
	Codec media.Codec
	// Width and Height of the encoded picture; both even. Required.
	Width, Height int
	// FPS is the nominal frame rate. Required.
	FPS float64
	// Bitrate in bits per second. Default 2_500_000.
	Bitrate int
	// Preset is a libx264 or libx265 preset (Presets). Default "veryfast".
	Preset string
	// Tune is a libx264 or libx265 tune; default "zerolatency". "none"
	// disables tuning.
	Tune string
	// Profile: "baseline", "main" or "high" for H.264, default "high";
	// "main" (the default) and nothing else for HEVC.
	Profile string
	// KeyInterval is the time between keyframes. Default 2 s.
	KeyInterval time.Duration
	// BFrames is the number of B-frames. Zero (the default) in low-latency
	// mode; B-frames make DTS differ from PTS.
	BFrames int
	// Threads for libx264, 0 letting it choose. For HEVC it sizes
	// libx265's worker pool (wavefront rows of one picture), 0 meaning one
	// thread per core; libx265 always runs one frame thread, as more delay
	// the output by a frame each.
	Threads int
	// Logger; nil discards.
	Logger *slog.Logger
}

func (c *VideoConfig) setDefaults() error {
	switch c.Codec {
	case 0:
		c.Codec = media.CodecH264
	case media.CodecH264, media.CodecHEVC, media.CodecAV1:
	default:
		return fmt.Errorf("video codec %v: want h264, hevc or av1: %w", c.Codec, ErrInvalidConfig)
	}
	if c.Width <= 0 || c.Height <= 0 || c.Width%2 != 0 || c.Height%2 != 0 || c.Width > 8192 || c.Height > 8192 {
		return fmt.Errorf("size %dx%d: want even width and height from 2 to 8192: %w", c.Width, c.Height, ErrInvalidConfig)
	}
	if c.FPS <= 0 || c.FPS > 240 || math.IsNaN(c.FPS) {
		return fmt.Errorf("frame rate %g: want 0 < fps <= 240: %w", c.FPS, ErrInvalidConfig)
	}
	if c.Bitrate == 0 {
		c.Bitrate = 2_500_000
	}
	if c.Bitrate < 10_000 || c.Bitrate > 200_000_000 {
		return fmt.Errorf("video bitrate %d b/s: want 10k to 200M: %w", c.Bitrate, ErrInvalidConfig)
	}
	if c.Preset == "" {
		c.Preset = "veryfast"
	}
	if !ValidPreset(c.Preset) {
		return fmt.Errorf("preset %q: want one of %v: %w", c.Preset, Presets(), ErrInvalidConfig)
	}
	if c.Tune == "" {
		c.Tune = "zerolatency"
	}
	if c.Codec == media.CodecHEVC || c.Codec == media.CodecAV1 {
		if c.Profile == "" {
			c.Profile = "main"
		}
		if c.Profile != "main" {
			return fmt.Errorf("%v profile %q: OnAir encodes %v in the main profile (8-bit 4:2:0) only: %w", c.Codec, c.Profile, c.Codec, ErrInvalidConfig)
		}
	} else {
		if c.Profile == "" {
			c.Profile = "high"
		}
		switch c.Profile {
		case "baseline", "main", "high":
		default:
			return fmt.Errorf("profile %q: want baseline, main or high: %w", c.Profile, ErrInvalidConfig)
		}
	}
	if c.KeyInterval == 0 {
		c.KeyInterval = 2 * time.Second
	}
	if c.KeyInterval < 0 || c.KeyInterval > time.Minute {
		return fmt.Errorf("keyframe interval %v: want up to 1m: %w", c.KeyInterval, ErrInvalidConfig)
	}
	if c.BFrames < 0 || c.BFrames > 16 {
		return fmt.Errorf("b-frames %d: want 0 to 16: %w", c.BFrames, ErrInvalidConfig)
	}
	if c.Threads < 0 || c.Threads > 256 {
		return fmt.Errorf("threads %d: want 0 to 256: %w", c.Threads, ErrInvalidConfig)
	}
	c.Logger = logx.OrDiscard(c.Logger)
	return nil
}

// videoTimeBase is the encoder's clock: 90 kHz, as in MPEG systems.
func videoTimeBase() astiav.Rational { return astiav.NewRational(1, 90000) }

// VideoEncoder encodes YUV420P (or, through swscale, any supported format
// and size) to H.264 or HEVC.
type VideoEncoder struct {
	encoder // frame: encoder-sized YUV420P
	cfg     VideoConfig
	src     *astiav.Frame // source-sized input when scaling
	sws     *astiav.SoftwareScaleContext
	swsKey  [3]int
	lastPT  int64
	forceK  bool
	track   media.CodecConfig
	// rate is the bitrate asked for (SetBitrate), applied is the one the
	// codec context has: Encode moves the encoder to rate between frames.
	rate    atomic.Int64
	applied int64
	// rateWarned is set once SetBitrate has said that the codec keeps its
	// rate (HEVC).
	rateWarned atomic.Bool
}

// NewVideo opens a libx264 encoder, or a libx265 one for cfg.Codec
// media.CodecHEVC.
func NewVideo(cfg VideoConfig) (*VideoEncoder, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	gop := int(math.Round(cfg.KeyInterval.Seconds() * cfg.FPS))
	if gop < 1 {
		gop = 1
	}
	ffName, opts := "libx264", x264Options(cfg, gop)
	switch cfg.Codec {
	case media.CodecHEVC:
		ffName, opts = "libx265", x265Options(cfg, gop)
	case media.CodecAV1:
		ffName, opts = "libsvtav1", svtav1Options(cfg)
	}
	d := astiav.NewDictionary()
	defer d.Free()
	for _, o := range opts {
		if err := d.Set(o[0], o[1], 0); err != nil {
			return nil, fmt.Errorf("setting %s: %w", o[0], err)
		}
	}
	e := &VideoEncoder{cfg: cfg, lastPT: math.MinInt64,
		encoder: encoder{name: ffName, codec: cfg.Codec, tb: videoTimeBase()}}
	err := e.open(ffName, func(cc *astiav.CodecContext) {
		cc.SetWidth(cfg.Width)
		cc.SetHeight(cfg.Height)
		cc.SetPixelFormat(astiav.PixelFormatYuv420P)
		cc.SetFramerate(rationalFPS(cfg.FPS))
		cc.SetBitRate(int64(cfg.Bitrate))
		cc.SetGopSize(gop)
		// libx265 takes its frame threads from the thread count: they
		// stay at the default 1 (x265Options sizes its pool instead).
		if cfg.Threads > 0 && cfg.Codec == media.CodecH264 {
			cc.SetThreadCount(cfg.Threads)
		}
	}, d, fmt.Sprintf("%dx%d, %s, %s", cfg.Width, cfg.Height, cfg.Preset, cfg.Profile))
	if err != nil {
		return nil, err
	}
	if err := e.allocFrame(func(f *astiav.Frame) {
		f.SetWidth(cfg.Width)
		f.SetHeight(cfg.Height)
		f.SetPixelFormat(astiav.PixelFormatYuv420P)
	}); err != nil {
		e.Close()
		return nil, err
	}
	e.track = media.CodecConfig{
		Codec:     cfg.Codec,
		Extradata: append([]byte(nil), e.cc.ExtraData()...),
		Bitrate:   cfg.Bitrate,
		Width:     cfg.Width,
		Height:    cfg.Height,
		FrameRate: cfg.FPS,
	}
	if len(e.track.Extradata) == 0 {
		e.Close()
		switch cfg.Codec {
		case media.CodecHEVC:
			return nil, errors.New("libx265 gave no VPS/SPS/PPS (global header)")
		case media.CodecAV1:
			return nil, errors.New("libsvtav1 gave no sequence header (global header)")
		}
		return nil, errors.New("libx264 gave no SPS/PPS (global header)")
	}
	e.rate.Store(int64(cfg.Bitrate))
	e.applied = int64(cfg.Bitrate)
	cfg.Logger.Debug("video encoder open", "codec", cfg.Codec, "size", fmt.Sprintf("%dx%d", cfg.Width, cfg.Height),
		"fps", cfg.FPS, "bitrate", cfg.Bitrate, "preset", cfg.Preset, "tune", cfg.Tune, "gop", gop)
	return e, nil
}

// x264Options are libx264's settings.
func x264Options(cfg VideoConfig, gop int) [][2]string {
	opts := [][2]string{
		{"preset", cfg.Preset},
		{"profile", cfg.Profile},
		{"bf", strconv.Itoa(cfg.BFrames)},
		{"maxrate", strconv.Itoa(cfg.Bitrate)},
		{"bufsize", strconv.Itoa(cfg.Bitrate)}, // one second of VBV: CBR-like
		{"keyint_min", strconv.Itoa(gop)},
		{"sc_threshold", "0"}, // keyframes on the interval, not on scene cuts
		{"forced-idr", "1"},
		{"x264-params", "filler=1:force-cfr=1"}, // constant rate without NAL HRD, which forbids changing it (ratecontrol.go)
	}
	if cfg.Tune != "none" {
		opts = append(opts, [2]string{"tune", cfg.Tune})
	}
	return opts
}

func rationalFPS(fps float64) astiav.Rational {
	if fps == math.Trunc(fps) {
		return astiav.NewRational(int(fps), 1)
	}
	return astiav.NewRational(int(math.Round(fps*1001)), 1001)
}

// Config describes the encoded track: the SPS/PPS (H.264) or VPS/SPS/PPS
// (HEVC) as Annex-B extradata.
func (e *VideoEncoder) Config() media.CodecConfig { return e.track }

// ForceKeyframe makes the next encoded picture an IDR picture, e.g. after a
// reconnect so that the server's new viewers can start at once. AV1 cannot
// (av1.go): its next keyframe is the next one on the interval.
func (e *VideoEncoder) ForceKeyframe() { e.forceK = true }

// SetBitrate sets the bitrate target in bits per second, clamped to the
// configured range (10k to 200M); the next frame Encode is given is encoded
// at it. Any goroutine may call it while another encodes (dynamic bitrate:
// see ratecontrol.go). The track's Config keeps the configured bitrate.
//
// HEVC and AV1 keep the configured bitrate: FFmpeg 5.1's libx265 and
// libsvtav1 wrappers never reconfigure the encoder once open (hevc.go,
// av1.go). The first SetBitrate that asks
// for another rate says so in a Warn log line; Bitrate stays the
// configured rate.
func (e *VideoEncoder) SetBitrate(bps int) {
	bps = min(max(bps, 10_000), 200_000_000)
	if e.codec == media.CodecHEVC || e.codec == media.CodecAV1 {
		if bps != e.cfg.Bitrate && e.rateWarned.CompareAndSwap(false, true) {
			e.cfg.Logger.Warn(e.name+" cannot change its bitrate while encoding (FFmpeg 5.1); keeping the configured one",
				"configured", e.cfg.Bitrate, "asked", bps)
		}
		return
	}
	e.rate.Store(int64(bps))
}

// Bitrate is the current bitrate target in bits per second: the configured
// one until SetBitrate changes it (never, for HEVC).
func (e *VideoEncoder) Bitrate() int { return int(e.rate.Load()) }

// Encode encodes one frame and returns the packets that came out (zero or
// more; with zerolatency usually exactly one). The frame is not released.
func (e *VideoEncoder) Encode(f *media.VideoFrame) ([]*media.Packet, error) {
	if r := e.rate.Load(); r != e.applied {
		if err := setRate(e.cc, int(r)); err != nil {
			// The bitrate stays; Bitrate says so.
			e.cfg.Logger.Warn("cannot change the video bitrate", "err", err)
			e.rate.CompareAndSwap(r, e.applied)
		} else {
			e.applied = r
			e.cfg.Logger.Debug("video bitrate changed", "bitrate", r)
		}
	}
	in := e.frame
	if f.Width != e.cfg.Width || f.Height != e.cfg.Height || f.Format != media.PixelFormatYUV420P {
		if err := e.scale(f); err != nil {
			return nil, err
		}
	} else if err := copyVideoIn(e.frame, f); err != nil {
		return nil, err
	}
	pts := e.ticks(f.PTS)
	if pts <= e.lastPT {
		pts = e.lastPT + 1 // the encoder needs strictly increasing PTS
	}
	e.lastPT = pts
	in.SetPts(pts)
	if e.forceK {
		in.SetPictureType(astiav.PictureTypeI)
		e.forceK = false
	} else {
		in.SetPictureType(astiav.PictureTypeNone)
	}
	return e.send(in)
}

func (e *VideoEncoder) scale(f *media.VideoFrame) error {
	var pf astiav.PixelFormat
	switch f.Format {
	case media.PixelFormatYUV420P:
		pf = astiav.PixelFormatYuv420P
	case media.PixelFormatRGBA:
		pf = astiav.PixelFormatRgba
	case media.PixelFormatBGRA:
		pf = astiav.PixelFormatBgr0 // the fourth byte is not alpha
	default:
		return fmt.Errorf("pixel format %v: %w", f.Format, ErrInvalidConfig)
	}
	key := [3]int{f.Width, f.Height, int(pf)}
	if e.sws == nil || e.swsKey != key {
		e.freeScaler()
		sws, err := astiav.CreateSoftwareScaleContext(f.Width, f.Height, pf, e.cfg.Width, e.cfg.Height,
			astiav.PixelFormatYuv420P, astiav.NewSoftwareScaleContextFlags(astiav.SoftwareScaleContextFlagBilinear))
		if err != nil {
			return fmt.Errorf("creating a scaler %dx%d %v -> %dx%d: %w", f.Width, f.Height, f.Format, e.cfg.Width, e.cfg.Height, err)
		}
		e.sws, e.swsKey = sws, key
		e.src = astiav.AllocFrame()
		e.src.SetWidth(f.Width)
		e.src.SetHeight(f.Height)
		e.src.SetPixelFormat(pf)
		if err := e.src.AllocBuffer(0); err != nil {
			return fmt.Errorf("allocating a frame: %w", err)
		}
	}
	if err := copyVideoIn(e.src, f); err != nil {
		return err
	}
	if err := makeWritable(e.frame); err != nil {
		return err
	}
	if err := e.sws.ScaleFrame(e.src, e.frame); err != nil {
		return fmt.Errorf("scaling: %w", err)
	}
	return nil
}

func (e *VideoEncoder) freeScaler() {
	if e.sws != nil {
		e.sws.Free()
		e.sws = nil
	}
	if e.src != nil {
		e.src.Free()
		e.src = nil
	}
}

// Flush drains the packets the encoder still holds (B-frames, lookahead).
func (e *VideoEncoder) Flush() ([]*media.Packet, error) { return e.send(nil) }

// Close frees the encoder.
func (e *VideoEncoder) Close() {
	e.freeScaler()
	e.free()
}
