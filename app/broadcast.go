package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"onair/capture"
	"onair/encode"
	"onair/internal/media"
	"onair/publish"
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

// previewFPS bounds how many pictures a second BroadcastConfig.Preview
// gets.
const previewFPS = 15

// BroadcastConfig is what the streamer chose: source, output settings and
// destinations. The CLI fills it from flags; the window from its form.
type BroadcastConfig struct {
	// Video is the video source: testsrc, camera[:NAME],
	// screen[:N][+X,Y,W,H] or file:PATH. Audio: tone, none, mic[:NAME],
	// monitor or file[:PATH] (file alone: the audio of the video file).
	Video, Audio string
	// Mix are more audio sources mixed with Audio, each SPEC or
	// SPEC@GAIN (gain in dB, e.g. monitor@-6); Audio may carry a gain too.
	Mix []string
	// PiP, when set, is a second video source (same forms as Video) shown
	// in a corner over the main picture: typically camera over screen.
	PiP string
	// OverlayText is a title drawn top-left; OverlayClock draws the wall
	// clock top-right.
	OverlayText  string
	OverlayClock bool
	// HideCursor leaves the mouse pointer out of a screen capture (drawn
	// by default).
	HideCursor bool
	// Fit is how a source of another aspect ratio fills the output:
	// letterbox (default), crop or stretch.
	Fit          string
	Width        int
	Height       int
	FPS          float64
	VideoBitrate int
	AudioBitrate int
	Preset       string
	Profile      string
	KeyInterval  time.Duration
	// Preview, when set, sees the pictures that go to the encoder, at
	// most previewFPS of them a second, on the source's goroutine: it must
	// not block, and the frame is valid only during the call.
	Preview func(*media.VideoFrame)
	// URLs are the destinations; each has its own queue and reconnects.
	URLs     []string
	Insecure bool
	Logger   *slog.Logger
}

// Broadcast is a running capture → (preprocess) → encode → publish chain.
type Broadcast struct {
	cfg   BroadcastConfig
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
	level   audioLevel
	pubs    []*publish.Publisher

	started  atomic.Int64 // stream-clock time the sources started (ns)
	keyReq   atomic.Bool
	framesIn atomic.Int64
	closed   atomic.Bool
}

// StartBroadcast opens the sources and the encoders, connects every
// destination, then starts the sources. Any failure before going live
// (a missing device, a bad file, a refused connection) is returned, with
// nothing left running.
func StartBroadcast(ctx context.Context, cfg BroadcastConfig) (_ *Broadcast, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if len(cfg.URLs) == 0 {
		return nil, errors.New("no destination: give --to URL")
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

	b.venc, err = encode.NewVideo(encode.VideoConfig{
		Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Bitrate: cfg.VideoBitrate,
		Preset: cfg.Preset, Profile: cfg.Profile, KeyInterval: cfg.KeyInterval, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	vcfg := b.venc.Config()
	var acfg *media.CodecConfig
	if b.asrc != nil {
		b.aenc, err = encode.NewAudio(encode.AudioConfig{Bitrate: cfg.AudioBitrate, Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		c := b.aenc.Config()
		acfg = &c
	}
	for _, u := range cfg.URLs {
		p, err := publish.Start(ctx, publish.Config{
			URL: u, Insecure: cfg.Insecure, Video: &vcfg, Audio: acfg,
			RequestKeyframe: func() { b.keyReq.Store(true) },
			Logger:          cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
		b.pubs = append(b.pubs, p)
	}

	out := func(p *media.Packet) {
		for _, pub := range b.pubs {
			pub.Push(p)
		}
	}
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
			b.level.add(a)
			b.aq.Push(a)
		}); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// openVideo makes the video source that spec names, at the output size
// and rate where the source can choose. A file opened for its video also
// delivers its audio when audio names the same file.
func (b *Broadcast) openVideo(spec, audio sourceSpec, files map[string]*capture.File) (capture.VideoSource, error) {
	cfg := b.cfg
	switch spec.Kind {
	case "testsrc":
		s, err := capture.NewTestVideo(capture.TestVideoConfig{
			Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Clock: b.clock, Logger: cfg.Logger,
			Buffers: rawQueueFrames + 2, // the queue, one being encoded, one being drawn
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	case "camera":
		s, err := capture.NewCamera(capture.CameraConfig{
			Name: spec.Arg, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Clock: b.clock, Logger: cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	case "screen":
		sc, err := capture.ParseScreenSpec(spec.Arg)
		if err != nil {
			return nil, err
		}
		sc.FPS, sc.Clock, sc.Logger, sc.HideCursor = cfg.FPS, b.clock, cfg.Logger, cfg.HideCursor
		s, err := capture.NewScreen(sc)
		if err != nil {
			return nil, err
		}
		return s, nil
	case "file":
		f, err := b.openFile(spec.Arg, true, audio.Kind == "file" && audio.Arg == spec.Arg, files)
		if err != nil {
			return nil, err
		}
		return f.VideoSource(), nil
	}
	return nil, fmt.Errorf("video source %s: want %s", spec, videoSpecHelp)
}

// openAudio makes the audio source that spec names; nil for none.
func (b *Broadcast) openAudio(spec sourceSpec, files map[string]*capture.File) (capture.AudioSource, error) {
	cfg := b.cfg
	switch spec.Kind {
	case "none":
		return nil, nil
	case "tone":
		s, err := capture.NewTestTone(capture.TestToneConfig{
			SampleRate: 48000, Channels: 2, Clock: b.clock, Logger: cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	case "mic", "monitor":
		s, err := capture.NewMic(capture.MicConfig{
			Name: spec.Arg, Monitor: spec.Kind == "monitor", SampleRate: 48000, Channels: 2,
			Clock: b.clock, Logger: cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	case "file":
		f, err := b.openFile(spec.Arg, false, true, files)
		if err != nil {
			return nil, err
		}
		return f.AudioSource(), nil
	}
	return nil, fmt.Errorf("audio source %s: want %s", spec, audioSpecHelp)
}

// openMix puts a mixer between the audio sources and the encoder: the main
// source (at gain dB) and every --mix one, each with its own gain.
func (b *Broadcast) openMix(main sourceSpec, gain float64, files map[string]*capture.File) error {
	mx, err := encode.NewMixer(encode.MixerConfig{SampleRate: 48000, Channels: 2, Latency: 40 * time.Millisecond,
		Clock: b.clock, Logger: b.cfg.Logger})
	if err != nil {
		return err
	}
	b.mixer = mx
	type input struct {
		src  capture.AudioSource
		name string
		gain float64
	}
	var ins []input
	if b.asrc != nil {
		ins = append(ins, input{b.asrc, main.String(), gain})
	}
	for _, m := range b.cfg.Mix {
		spec, g, err := splitGain(m)
		if err != nil {
			return fmt.Errorf("--mix: %w", err)
		}
		as, err := parseAudioSpec(spec)
		if err != nil {
			return fmt.Errorf("--mix: %w", err)
		}
		if as.Kind == "none" {
			continue
		}
		src, err := b.openAudio(as, files)
		if err != nil {
			return fmt.Errorf("--mix %s: %w", m, err)
		}
		b.mixIn = append(b.mixIn, src)
		ins = append(ins, input{src, as.String(), g})
	}
	if b.asrc != nil {
		b.mixIn = append([]capture.AudioSource{b.asrc}, b.mixIn...)
	}
	for _, in := range ins {
		mi, err := mx.AddInput(in.name)
		if err != nil {
			return err
		}
		mi.SetGainDB(in.gain)
		b.mixPush = append(b.mixPush, mi.Push)
	}
	b.asrc = mx
	return nil
}

// startMix starts the mixer's sources, each into its input.
func (b *Broadcast) startMix() error {
	for i, src := range b.mixIn {
		if err := src.Start(b.mixPush[i]); err != nil {
			return err
		}
	}
	return nil
}

// splitGain takes a trailing @GAIN (dB) off an audio spec: "monitor@-6".
func splitGain(v string) (string, float64, error) {
	i := strings.LastIndex(v, "@")
	if i < 0 {
		return v, 0, nil
	}
	g, err := strconv.ParseFloat(strings.TrimSuffix(v[i+1:], "dB"), 64)
	if err != nil || g < -60 || g > 20 {
		return "", 0, fmt.Errorf("audio source %q: the gain after @ is in dB, from -60 to 20 (e.g. monitor@-6)", v)
	}
	return v[:i], g, nil
}

// openFile opens path once for all the views that use it: its video and
// audio come from one demuxer and stay in sync.
func (b *Broadcast) openFile(path string, video, audio bool, files map[string]*capture.File) (*capture.File, error) {
	if f, ok := files[path]; ok {
		return f, nil
	}
	f, err := capture.OpenFile(capture.FileConfig{
		Path: path, Loop: true, Video: video, Audio: audio, SampleRate: 48000, Channels: 2,
		Clock: b.clock, Logger: b.cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	files[path] = f
	b.files = append(b.files, f)
	return f, nil
}

// sample reads the counters.
func (b *Broadcast) sample() liveSample {
	// Rates count from when the sources started: opening the encoders,
	// connecting and filling the source's buffers are not stream time.
	s := liveSample{at: b.clock.Now() - time.Duration(b.started.Load()), framesIn: b.framesIn.Load()}
	d := &s.drops
	d.Source = b.vsrc.Skipped()
	if b.pipSrc != nil {
		d.Source += b.pipSrc.Skipped()
	}
	d.Encoder = b.vq.Dropped()
	if b.pre != nil {
		d.Preprocess = b.pre.Dropped()
		s.repeated = b.pre.Repeated()
	}
	if b.asrc != nil {
		s.hasAudio = true
		s.audioPeak, s.audioRMS = b.level.read()
		d.Source += b.asrc.Skipped() // the mixer's own, when mixing
	}
	for _, src := range b.mixIn {
		d.Source += src.Skipped()
	}
	if b.aq != nil {
		d.Encoder += b.aq.Dropped()
	}
	s.encodeP50 = b.vstage.Stats().EncodeP50
	state := publish.StateStopped
	for i, p := range b.pubs {
		st := p.Stats()
		s.outputs = append(s.outputs, st)
		if i == 0 {
			s.framesSent, s.videoBytes, s.audioBytes, s.queueSpan = st.FramesSent, st.VideoBytes, st.AudioBytes, st.QueueSpan
			state = st.State
		} else if st.State != publish.StateLive && state == publish.StateLive {
			state = st.State // the worst state shows
		}
		d.Network += st.Dropped
		s.reconnects += st.Reconnects
	}
	s.state = state.String()
	return s
}

// Close stops the sources, drains the encoders, sends what is queued,
// unpublishes, and returns when every goroutine has ended.
func (b *Broadcast) Close() {
	if b.closed.Swap(true) {
		return
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
	for _, p := range b.pubs {
		p.Close()
	}
	if b.venc != nil {
		b.venc.Close()
	}
	if b.aenc != nil {
		b.aenc.Close()
	}
}
