package encode

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/logx"
	"onair/internal/media"
)

// AudioConfig configures an AudioEncoder. Zero fields take the defaults.
type AudioConfig struct {
	// Codec is media.CodecAAC (FFmpeg's AAC-LC encoder), the default when
	// zero, or media.CodecOpus (libopus; see opus.go).
	Codec media.Codec
	// SampleRate in Hz. Default 48000, the only rate OnAir encodes Opus at.
	SampleRate int
	// Channels: 1 or 2. Default 2.
	Channels int
	// Bitrate in bits per second. Default 128_000 for AAC, 96_000 for
	// Opus (at most 256k per channel).
	Bitrate int
	// FrameDuration is the duration of an Opus frame: 10 ms (the default:
	// OnAir aims at latency) or 20 ms (a little more efficient). AAC frames
	// are 1024 samples: leave it zero.
	FrameDuration time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
}

func (c *AudioConfig) setDefaults() error {
	switch c.Codec {
	case 0:
		c.Codec = media.CodecAAC
	case media.CodecAAC, media.CodecOpus:
	default:
		return fmt.Errorf("audio codec %v: want aac or opus: %w", c.Codec, ErrInvalidConfig)
	}
	if c.SampleRate == 0 {
		c.SampleRate = 48000
	}
	if c.Codec == media.CodecOpus {
		if c.SampleRate != 48000 {
			return fmt.Errorf("sample rate %d Hz: OnAir encodes Opus at 48000 Hz only: %w", c.SampleRate, ErrInvalidConfig)
		}
	} else {
		switch c.SampleRate {
		case 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000:
		default:
			return fmt.Errorf("sample rate %d Hz is not an AAC rate: %w", c.SampleRate, ErrInvalidConfig)
		}
	}
	if c.Channels == 0 {
		c.Channels = 2
	}
	if c.Channels != 1 && c.Channels != 2 {
		return fmt.Errorf("%d channels: want 1 or 2: %w", c.Channels, ErrInvalidConfig)
	}
	maxRate := 512_000
	if c.Codec == media.CodecOpus {
		maxRate = 256_000 * c.Channels
		if c.Bitrate == 0 {
			c.Bitrate = 96_000
		}
		if c.FrameDuration == 0 {
			c.FrameDuration = 10 * time.Millisecond
		}
		if c.FrameDuration != 10*time.Millisecond && c.FrameDuration != 20*time.Millisecond {
			return fmt.Errorf("Opus frame duration %v: want 10ms or 20ms: %w", c.FrameDuration, ErrInvalidConfig)
		}
	} else if c.FrameDuration != 0 {
		return fmt.Errorf("frame duration %v: AAC frames are 1024 samples, leave it zero: %w", c.FrameDuration, ErrInvalidConfig)
	}
	if c.Bitrate == 0 {
		c.Bitrate = 128_000
	}
	if c.Bitrate < 8_000 || c.Bitrate > maxRate {
		return fmt.Errorf("audio bitrate %d b/s: want 8k to %dk: %w", c.Bitrate, maxRate/1000, ErrInvalidConfig)
	}
	c.Logger = logx.OrDiscard(c.Logger)
	return nil
}

// AudioEncoder encodes interleaved float32 audio to AAC-LC with FFmpeg's
// native encoder, or to Opus with libopus. Input blocks of any length are
// regrouped into the encoder's frames: 1024 samples for AAC, 480 or 960
// (10 or 20 ms) for Opus.
//
// Packets are stamped on the stream clock of the samples by FFmpeg, which
// moves them back by the encoder's delay (its initial padding): the first
// packet starts that long before the first sample given, 1024 samples for
// AAC and the OpusHead pre-skip for Opus (120 samples, 2.5 ms, in the
// lowdelay mode), so its PTS can be negative. A decoder drops those
// samples, and what it plays then lines up with the input.
type AudioEncoder struct {
	encoder
	cfg  AudioConfig
	size int // samples per encoder frame
	// packed is set for an encoder that takes interleaved samples (FLT,
	// libopus); interleave holds one frame of them. The queue stays planar.
	packed     bool
	interleave []float32

	// planar holds queued samples per channel; pending counts them.
	planar  [][]float32
	pending int
	// next is the stream time of the first queued sample; valid once set.
	next    time.Duration
	started bool
	track   media.CodecConfig
}

// NewAudio opens the AAC encoder, or libopus for cfg.Codec media.CodecOpus.
func NewAudio(cfg AudioConfig) (*AudioEncoder, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	layout := astiav.ChannelLayoutStereo
	if cfg.Channels == 1 {
		layout = astiav.ChannelLayoutMono
	}
	e := &AudioEncoder{cfg: cfg, encoder: encoder{name: "the AAC encoder", codec: media.CodecAAC,
		tb: astiav.NewRational(1, cfg.SampleRate)}}
	ffName, format, desc := "aac", astiav.SampleFormatFltp, fmt.Sprintf("%d Hz, %d ch", cfg.SampleRate, cfg.Channels)
	var opts *astiav.Dictionary
	if cfg.Codec == media.CodecOpus {
		e.name, e.codec, e.packed = "libopus", media.CodecOpus, true
		ffName, format = "libopus", astiav.SampleFormatFlt
		desc += fmt.Sprintf(", %v frames", cfg.FrameDuration)
		var err error
		if opts, err = opusOptions(cfg); err != nil {
			return nil, err
		}
		defer opts.Free()
	}
	err := e.open(ffName, func(cc *astiav.CodecContext) {
		cc.SetSampleRate(cfg.SampleRate)
		cc.SetChannelLayout(layout)
		cc.SetSampleFormat(format)
		cc.SetBitRate(int64(cfg.Bitrate))
	}, opts, desc)
	if err != nil {
		return nil, err
	}
	e.size = e.cc.FrameSize()
	if e.size <= 0 {
		e.size = 1024
	}
	if err := e.allocFrame(func(f *astiav.Frame) {
		f.SetNbSamples(e.size)
		f.SetChannelLayout(layout)
		f.SetSampleFormat(format)
		f.SetSampleRate(cfg.SampleRate)
	}); err != nil {
		e.Close()
		return nil, err
	}
	e.planar = make([][]float32, cfg.Channels)
	for i := range e.planar {
		e.planar[i] = make([]float32, 0, 4*e.size)
	}
	if e.packed {
		e.interleave = make([]float32, e.size*cfg.Channels)
	}
	e.track = media.CodecConfig{
		Codec:      cfg.Codec,
		Extradata:  append([]byte(nil), e.cc.ExtraData()...),
		Bitrate:    cfg.Bitrate,
		SampleRate: cfg.SampleRate,
		Channels:   cfg.Channels,
	}
	if cfg.Codec == media.CodecOpus {
		if err := e.checkOpus(); err != nil {
			e.Close()
			return nil, err
		}
		cfg.Logger.Debug("audio encoder open", "codec", cfg.Codec, "channels", cfg.Channels, "bitrate", cfg.Bitrate,
			"frame", cfg.FrameDuration, "delay", e.samplesToDur(opusPreSkip(e.track.Extradata)))
	} else if len(e.track.Extradata) < 2 {
		e.Close()
		return nil, errors.New("the AAC encoder gave no AudioSpecificConfig")
	}
	return e, nil
}

// Config describes the encoded track: the AudioSpecificConfig (AAC) or the
// OpusHead (Opus) as extradata.
func (e *AudioEncoder) Config() media.CodecConfig { return e.track }

// FrameDuration is the duration of one packet: an AAC access unit (1024
// samples) or an Opus frame (AudioConfig.FrameDuration).
func (e *AudioEncoder) FrameDuration() time.Duration {
	return media.SamplesDuration(int64(e.size), e.cfg.SampleRate)
}

// Encode queues a block of samples and returns the packets completed.
// A gap or overlap of more than one frame between the block's PTS and
// where the previous block ended re-anchors the timeline at the block.
func (e *AudioEncoder) Encode(a *media.AudioFrame) ([]*media.Packet, error) {
	if a.SampleRate != e.cfg.SampleRate || a.Channels != e.cfg.Channels {
		return nil, fmt.Errorf("got %d Hz %d ch, encoder is %d Hz %d ch: %w",
			a.SampleRate, a.Channels, e.cfg.SampleRate, e.cfg.Channels, ErrFormatMismatch)
	}
	expected := e.next + e.samplesToDur(e.pending)
	if !e.started || absDur(a.PTS-expected) > e.FrameDuration() {
		if e.started {
			e.cfg.Logger.Debug("audio timeline re-anchored", "gap", a.PTS-expected)
		}
		e.started = true
		// Keep what is queued; it continues up to the new block.
		e.next = a.PTS - e.samplesToDur(e.pending)
	}
	n := a.NumSamples()
	ch := e.cfg.Channels
	for c := 0; c < ch; c++ {
		for i := 0; i < n; i++ {
			e.planar[c] = append(e.planar[c], a.Samples[i*ch+c])
		}
	}
	e.pending += n
	var out []*media.Packet
	for e.pending >= e.size {
		pkts, err := e.encodeOne()
		out = append(out, pkts...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func (e *AudioEncoder) samplesToDur(n int) time.Duration {
	return media.SamplesDuration(int64(n), e.cfg.SampleRate)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func (e *AudioEncoder) encodeOne() ([]*media.Packet, error) {
	if err := makeWritable(e.frame); err != nil {
		return nil, err
	}
	ch := len(e.planar)
	for c := range e.planar {
		if e.packed {
			for i, v := range e.planar[c][:e.size] {
				e.interleave[i*ch+c] = v
			}
		} else {
			copyPlanarFloats(e.frame, c, e.planar[c][:e.size])
		}
		rest := copy(e.planar[c], e.planar[c][e.size:])
		e.planar[c] = e.planar[c][:rest]
	}
	if e.packed {
		copyPlanarFloats(e.frame, 0, e.interleave)
	}
	e.pending -= e.size
	e.frame.SetPts(e.ticks(e.next))
	e.next += e.FrameDuration()
	return e.send(e.frame)
}

// Flush drains the encoder's delayed packets; queued samples shorter than
// one frame are dropped.
func (e *AudioEncoder) Flush() ([]*media.Packet, error) { return e.send(nil) }

// Close frees the encoder.
func (e *AudioEncoder) Close() { e.free() }
