package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"onair/capture"
	"onair/encode"
	"onair/internal/media"
	"onair/publish"
)

// rawQueueFrames is the capacity of the raw video queue between the
// source and the encoder.
const rawQueueFrames = 6

// BroadcastConfig is what the streamer chose: source, output settings and
// destinations. The CLI fills it from flags; the window from its form.
type BroadcastConfig struct {
	// Video is the video source: "testsrc". Audio: "tone" or "none".
	Video, Audio string
	Width        int
	Height       int
	FPS          float64
	VideoBitrate int
	AudioBitrate int
	Preset       string
	Profile      string
	KeyInterval  time.Duration
	// URLs are the destinations; each has its own queue and reconnects.
	URLs     []string
	Insecure bool
	Logger   *slog.Logger
}

// Broadcast is a running capture → encode → publish chain.
type Broadcast struct {
	cfg   BroadcastConfig
	log   *slog.Logger
	clock media.Clock

	venc   *encode.VideoEncoder
	aenc   *encode.AudioEncoder
	vq     *media.Queue[*media.VideoFrame]
	aq     *media.Queue[*media.AudioFrame]
	vstage *encode.Stage[*media.VideoFrame]
	astage *encode.Stage[*media.AudioFrame]
	vsrc   *capture.TestVideo
	asrc   *capture.TestTone
	pubs   []*publish.Publisher

	keyReq   atomic.Bool
	framesIn atomic.Int64
	closed   atomic.Bool
}

// StartBroadcast opens the encoders, connects every destination, then
// starts the sources. Any failure before going live is returned, with
// nothing left running.
func StartBroadcast(ctx context.Context, cfg BroadcastConfig) (_ *Broadcast, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if len(cfg.URLs) == 0 {
		return nil, errors.New("no destination: give --to URL")
	}
	if cfg.Video != "testsrc" {
		return nil, fmt.Errorf("video source %q: only testsrc is available yet", cfg.Video)
	}
	if cfg.Audio != "tone" && cfg.Audio != "none" {
		return nil, fmt.Errorf("audio source %q: want tone or none", cfg.Audio)
	}
	b := &Broadcast{cfg: cfg, log: cfg.Logger, clock: media.NewClock()}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	b.venc, err = encode.NewVideo(encode.VideoConfig{
		Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Bitrate: cfg.VideoBitrate,
		Preset: cfg.Preset, Profile: cfg.Profile, KeyInterval: cfg.KeyInterval, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	vcfg := b.venc.Config()
	var acfg *media.CodecConfig
	if cfg.Audio != "none" {
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
	// about 300 ms at 4K on a fresh VM) without dropping.
	b.vq = media.NewQueue[*media.VideoFrame](rawQueueFrames, nil)
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
	b.vsrc, err = capture.NewTestVideo(capture.TestVideoConfig{
		Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Clock: b.clock, Logger: cfg.Logger,
		Buffers: rawQueueFrames + 2, // the queue, one being encoded, one being drawn
	})
	if err != nil {
		return nil, err
	}
	if b.aenc != nil {
		b.aq = media.NewQueue[*media.AudioFrame](64, nil)
		b.astage = encode.StartStage(encode.StageConfig[*media.AudioFrame]{
			In: b.aq, Encode: b.aenc.Encode, Flush: b.aenc.Flush, Out: out, Logger: cfg.Logger,
		})
		b.asrc, err = capture.NewTestTone(capture.TestToneConfig{
			SampleRate: 48000, Channels: 2, Clock: b.clock, Logger: cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
	}
	if err := b.vsrc.Start(func(f *media.VideoFrame) {
		b.framesIn.Add(1)
		b.vq.Push(f)
	}); err != nil {
		return nil, err
	}
	if b.asrc != nil {
		if err := b.asrc.Start(func(a *media.AudioFrame) { b.aq.Push(a) }); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// sample reads the counters.
func (b *Broadcast) sample() liveSample {
	s := liveSample{at: b.clock.Now(), framesIn: b.framesIn.Load()}
	s.dropped = b.vq.Dropped() + b.vsrc.Skipped()
	if b.aq != nil {
		s.dropped += b.aq.Dropped()
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
		s.dropped += st.Dropped
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
	if b.asrc != nil {
		b.asrc.Close()
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
