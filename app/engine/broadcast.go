// Package engine is OnAir's broadcast engine: it opens the sources a
// Config names (capture), mixes and preprocesses them, encodes them
// (encode) and publishes to every destination (publish), and reports live
// figures (Sample). The command line and the window (package app) drive
// it; it knows nothing of either.
//
// The video bitrate follows the connection (dynamic bitrate, dbr.go):
// with several destinations the one encoder follows the destination least
// behind, and a slower one drops video up to the next keyframe once it is
// a second behind (Config.FixedBitrate).
//
// Start makes a Broadcast; Close stops it and waits for every goroutine.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"onair/capture"
	"onair/encode"
	"onair/internal/level"
	"onair/internal/logx"
	"onair/internal/media"
)

// rawQueueFrames is the least capacity of the raw video queue between the
// source and the encoder, and the test source's buffers beyond it.
const rawQueueFrames = 6

// Raw-queue sizing (rawQueueCap): at most rawQueueSpan of frames and
// rawQueueBytes of pictures, at least rawQueueFrames.
const (
	rawQueueSpan  = 500 * time.Millisecond
	rawQueueBytes = 64 << 20
)

// rawQueueCap is the raw video queue's capacity for w×h frames at fps: a
// busy machine's encoder may fall behind for a few hundred ms (a keyframe,
// a neighbour's burst) and catch up without a drop, while big frames keep
// the queue short. 1080p30: 15 frames (47 MB of yuv420p at most, only
// while behind); 4K: 6.
func rawQueueCap(w, h int, fps float64) int {
	frame := w*h + 2*((w+1)/2)*((h+1)/2)
	n := min(int(fps*rawQueueSpan.Seconds()), rawQueueBytes/max(frame, 1))
	return max(n, rawQueueFrames)
}

// previewFPS bounds how many pictures a second Config.Preview gets.
const previewFPS = 15

// Config is what the streamer chose: sources, output settings and
// destinations. The CLI fills it from flags; the window from its form.
// Zero values take the defaults given with each field.
type Config struct {
	// Video is the video source: testsrc, camera[:NAME],
	// screen[:N][+X,Y,W,H] or file:PATH (VideoSpecHelp). Required.
	Video string
	// Audio is the audio source: tone, none, mic[:NAME], monitor or
	// file[:PATH] (file alone: the audio of the video file), with an
	// optional @GAIN in dB (AudioSpecHelp). Required; "none" for no audio.
	Audio string
	// Mix are more audio sources mixed with Audio, each SPEC or
	// SPEC@GAIN (gain in dB, from -60 to 20, e.g. monitor@-6). Default:
	// none, and no mixer unless Audio carries a gain.
	Mix []string
	// PiP, when set, is a second video source (same forms as Video) shown
	// in a corner over the main picture: typically camera over screen.
	// Default: none.
	PiP string
	// OverlayText is a title drawn top-left; default none.
	OverlayText string
	// OverlayClock draws the wall clock top-right; default off.
	OverlayClock bool
	// HideCursor leaves the mouse pointer out of a screen capture; by
	// default it is drawn.
	HideCursor bool
	// Fit is how a source of another aspect ratio fills the output:
	// letterbox (the default), crop or stretch.
	Fit string
	// Width and Height of the output picture: even, 64 to 8192 (ParseSize
	// reads them). Required.
	Width, Height int
	// FPS is the output frame rate (ParseFPS reads it). Required.
	FPS float64
	// VideoBitrate is the H.264 bitrate in bits per second (ParseBitrate
	// reads it). Default 2_500_000.
	VideoBitrate int
	// AudioBitrate is the AAC bitrate in bits per second. Default 128_000.
	AudioBitrate int
	// VideoCodec is media.CodecH264 (the default), media.CodecHEVC
	// (libx265) or media.CodecAV1 (SVT-AV1, keyframes only on the
	// interval); the last two go out as Enhanced RTMP (see TrustEnhanced).
	VideoCodec media.Codec
	// AudioCodec is media.CodecAAC (the default) or media.CodecOpus
	// (libopus at 48 kHz; Enhanced RTMP).
	AudioCodec media.Codec
	// OpusFrame is the Opus frame duration: 10 ms (the default) or 20 ms.
	OpusFrame time.Duration
	// TrustEnhanced publishes HEVC or Opus to servers that do not
	// announce Enhanced RTMP (publish.Config.TrustEnhanced). Default off:
	// such a destination fails with a message that says why.
	TrustEnhanced bool
	// Preset is the x264 or x265 preset (encode.Presets). Default
	// "veryfast".
	Preset string
	// Profile is the H.264 profile: baseline, main or high. Default
	// "high". HEVC is always Main.
	Profile string
	// KeyInterval is the time between keyframes. Default 2 s.
	KeyInterval time.Duration
	// FixedBitrate keeps the video bitrate at VideoBitrate whatever the
	// connection carries. By default (false) the bitrate is dynamic
	// (dbr.go): when media waits to be sent (200 ms or more, counting the
	// kernel's socket buffer), the encoder's target drops toward what the
	// connection carries, and climbs back in steps of a tenth, every 3 s
	// of empty queue, up to VideoBitrate. With several destinations the
	// encoder follows the one least behind; a destination a second behind
	// drops video up to the next keyframe instead (publish.Config.DropAfter),
	// whatever this setting.
	FixedBitrate bool
	// Preview, when set, sees the pictures that go to the encoder, at
	// most 15 of them a second, on the source's goroutine: it must not
	// block, and the frame is valid only during the call. Default: none.
	Preview func(*media.VideoFrame)
	// URLs are the destinations (rtmp, rtmps, …; see publish.Start); each
	// has its own queue and reconnects. At least one is required unless
	// Record is set (record only) or OutputsLater; AddDestination adds
	// more while running.
	URLs []string
	// Record, when set, is a file to record the stream into from the
	// start: .mp4, .mkv or .flv (publish/record). Default: none;
	// StartRecording starts one while running.
	Record string
	// OutputsLater starts the broadcast with no destination and no
	// recording: AddDestination and StartRecording add them once it runs,
	// each on its own (the window starts its destinations so, one failing
	// without the others). Meanwhile the encoders' packets go nowhere.
	// Default off: URLs or Record is required.
	OutputsLater bool
	// Insecure accepts any rtmps server certificate (self-signed
	// servers). Default off.
	Insecure bool
	// Logger receives the engine's and its stages' logs; nil discards
	// them.
	Logger *slog.Logger
}

// Broadcast is a running capture → (preprocess) → encode → publish chain:
// Start makes one, Sample reads its figures, Close ends it.
type Broadcast struct {
	cfg   Config
	log   *slog.Logger
	clock media.Clock

	venc    *encode.VideoEncoder
	aenc    *encode.AudioEncoder
	vq      *media.Queue[*media.VideoFrame]
	aq      *media.Queue[*media.AudioFrame]
	vstage  *encode.Stage[*media.VideoFrame]
	astage  *encode.Stage[*media.AudioFrame]
	pre     *encode.Preprocessor // nil: the source feeds the encoder directly
	vsrc    capture.VideoSource
	pipSrc  capture.VideoSource
	asrc    capture.AudioSource   // what feeds the AAC encoder (the mixer when there are several)
	mixIn   []capture.AudioSource // the mixer's sources
	mixer   *encode.Mixer
	mixPush []func(*media.AudioFrame)
	files   []*capture.File // owners of file sources' views
	level   level.Meter
	vcfg    media.CodecConfig  // the encoders' tracks, for outputs added later
	acfg    *media.CodecConfig // nil without audio
	outs    outputs
	dbr     *dbrLoop // nil with Config.FixedBitrate

	started  atomic.Int64 // stream-clock time the sources started (ns)
	keyReq   atomic.Bool
	framesIn atomic.Int64
	closed   atomic.Bool
}

// Start opens the sources and the encoders, connects every destination,
// then starts the sources. Any failure before going live (a bad setting, a
// missing device, a bad file, a refused connection) is returned, with
// nothing left running; ctx ending aborts the connecting. Once Start
// returns, ctx no longer matters: Close ends the broadcast.
func Start(ctx context.Context, cfg Config) (_ *Broadcast, err error) {
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	if len(cfg.URLs) == 0 && cfg.Record == "" && !cfg.OutputsLater {
		return nil, errors.New("no destination: give --to URL, or --record FILE to record only")
	}
	vspec, err := parseVideoSpec(cfg.Video)
	if err != nil {
		return nil, err
	}
	audioSpec, gain, err := splitGain(cfg.Audio)
	if err != nil {
		return nil, err
	}
	aspec, err := parseAudioSpec(audioSpec)
	if err != nil {
		return nil, err
	}
	if aspec, err = resolveAudioFile(vspec, aspec); err != nil {
		return nil, err
	}
	var pspec sourceSpec
	if cfg.PiP != "" {
		if pspec, err = parseVideoSpec(cfg.PiP); err != nil {
			return nil, fmt.Errorf("--pip: %w", err)
		}
	}
	fit, err := encode.ParseFitMode(cfg.Fit)
	if cfg.Fit == "" {
		fit, err = encode.FitLetterbox, nil
	}
	if err != nil {
		return nil, err
	}
	b := &Broadcast{cfg: cfg, log: cfg.Logger, clock: media.NewClock()}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()

	// Sources first: a missing device fails before anything connects.
	files := map[string]*capture.File{}
	if b.vsrc, err = b.openVideo(vspec, aspec, files); err != nil {
		return nil, err
	}
	if pspec.Kind != "" {
		if b.pipSrc, err = b.openVideo(pspec, sourceSpec{}, files); err != nil {
			return nil, fmt.Errorf("--pip: %w", err)
		}
	}
	if b.asrc, err = b.openAudio(aspec, files); err != nil {
		return nil, err
	}
	if len(cfg.Mix) > 0 || gain != 0 {
		if err := b.openMix(aspec, gain, files); err != nil {
			return nil, err
		}
	}

	profile := cfg.Profile
	if cfg.VideoCodec == media.CodecHEVC || cfg.VideoCodec == media.CodecAV1 {
		profile = "" // Main, the only one
	}
	b.venc, err = encode.NewVideo(encode.VideoConfig{
		Codec: cfg.VideoCodec, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Bitrate: cfg.VideoBitrate,
		Preset: cfg.Preset, Profile: profile, KeyInterval: cfg.KeyInterval, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	b.vcfg = b.venc.Config()
	if b.asrc != nil {
		b.aenc, err = encode.NewAudio(encode.AudioConfig{Codec: cfg.AudioCodec, Bitrate: cfg.AudioBitrate,
			FrameDuration: opusFrame(cfg), Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		c := b.aenc.Config()
		b.acfg = &c
	}
	// A file that cannot be made fails before anything connects.
	if cfg.Record != "" {
		if err := b.StartRecording(cfg.Record); err != nil {
			return nil, err
		}
	}
	for _, u := range cfg.URLs {
		p, err := b.publisher(ctx, u)
		if err != nil {
			return nil, err
		}
		b.outs.add(p, p)
	}

	out := b.outs.push
	// Raw 4K frames are big (12 MB): a short queue, so a slow encoder
	// drops instead of piling up memory and latency. Six frames (200 ms
	// at 30 fps) absorb x264's slow first frames (it maps its buffers:
	// about 300 ms at 4K on a fresh VM) without dropping; smaller frames
	// get up to 500 ms (rawQueueCap).
	b.vq = media.NewQueue[*media.VideoFrame](rawQueueCap(cfg.Width, cfg.Height, cfg.FPS), nil)
	b.vstage = encode.StartStage(encode.StageConfig[*media.VideoFrame]{
		In: b.vq, Encode: b.venc.Encode, Flush: b.venc.Flush,
		Release: func(f *media.VideoFrame) { f.Release() },
		Before: func() {
			if b.keyReq.Swap(false) {
				b.venc.ForceKeyframe()
			}
		},
		Out: out, Logger: cfg.Logger,
	})
	// The test source draws at the output size and rate: it feeds the
	// encoder directly, the shortest path (glass-to-glass is measured on
	// it). Every other source, an overlay or a PiP goes through the
	// preprocessor: scaling, constant frame rate, overlays.
	var lastPreview time.Duration = -time.Hour
	toEncoder := func(f *media.VideoFrame) {
		b.framesIn.Add(1)
		if cfg.Preview != nil && f.PTS-lastPreview >= time.Second/previewFPS {
			lastPreview = f.PTS
			cfg.Preview(f)
		}
		b.vq.Push(f)
	}
	feed := toEncoder
	if vspec.Kind != "testsrc" || cfg.OverlayText != "" || cfg.OverlayClock || b.pipSrc != nil {
		pc := encode.PreprocessConfig{
			Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Fit: fit,
			OverlayText: cfg.OverlayText, OverlayClock: cfg.OverlayClock,
			Clock: b.clock, Out: toEncoder, Logger: cfg.Logger,
		}
		if b.pipSrc != nil {
			pc.PiP = &encode.PiPConfig{}
		}
		if b.pre, err = encode.NewPreprocessor(pc); err != nil {
			return nil, err
		}
		feed = b.pre.PushMain
	}
	if b.aenc != nil {
		b.aq = media.NewQueue[*media.AudioFrame](64, nil)
		b.astage = encode.StartStage(encode.StageConfig[*media.AudioFrame]{
			In: b.aq, Encode: b.aenc.Encode, Flush: b.aenc.Flush, Out: out, Logger: cfg.Logger,
		})
	}
	b.started.Store(int64(b.clock.Now()))
	if err := b.vsrc.Start(feed); err != nil {
		return nil, err
	}
	if b.pipSrc != nil {
		if err := b.pipSrc.Start(b.pre.PushPiP); err != nil {
			return nil, err
		}
	}
	if err := b.startMix(); err != nil {
		return nil, err
	}
	if b.asrc != nil {
		if err := b.asrc.Start(func(a *media.AudioFrame) {
			b.level.Add(a)
			b.aq.Push(a)
		}); err != nil {
			return nil, err
		}
	}
	if !cfg.FixedBitrate {
		b.dbr = b.startDBR()
	}
	return b, nil
}

// Close stops the sources, drains the encoders, sends what is queued,
// unpublishes, and returns when every goroutine has ended.
func (b *Broadcast) Close() {
	if b.closed.Swap(true) {
		return
	}
	if b.dbr != nil {
		b.dbr.close()
	}
	if b.vsrc != nil {
		b.vsrc.Close()
	}
	if b.pipSrc != nil {
		b.pipSrc.Close()
	}
	for _, src := range b.mixIn {
		src.Close()
	}
	if b.asrc != nil {
		b.asrc.Close()
	}
	for _, f := range b.files {
		f.Close()
	}
	if b.pre != nil {
		b.pre.Close()
	}
	if b.vq != nil {
		b.vq.Close()
	}
	if b.aq != nil {
		b.aq.Close()
	}
	if b.vstage != nil {
		<-b.vstage.Done()
	}
	if b.astage != nil {
		<-b.astage.Done()
	}
	b.outs.close()
	if b.venc != nil {
		b.venc.Close()
	}
	if b.aenc != nil {
		b.aenc.Close()
	}
}
