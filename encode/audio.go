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
	// SampleRate in Hz. Default 48000.
	SampleRate int
	// Channels: 1 or 2. Default 2.
	Channels int
	// Bitrate in bits per second. Default 128_000.
	Bitrate int
	// Logger; nil discards.
	Logger *slog.Logger
}

func (c *AudioConfig) setDefaults() error {
	if c.SampleRate == 0 {
		c.SampleRate = 48000
	}
	switch c.SampleRate {
	case 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000:
	default:
		return fmt.Errorf("sample rate %d Hz is not an AAC rate: %w", c.SampleRate, ErrInvalidConfig)
	}
	if c.Channels == 0 {
		c.Channels = 2
	}
	if c.Channels != 1 && c.Channels != 2 {
		return fmt.Errorf("%d channels: want 1 or 2: %w", c.Channels, ErrInvalidConfig)
	}
	if c.Bitrate == 0 {
		c.Bitrate = 128_000
	}
	if c.Bitrate < 8_000 || c.Bitrate > 512_000 {
		return fmt.Errorf("audio bitrate %d b/s: want 8k to 512k: %w", c.Bitrate, ErrInvalidConfig)
	}
	c.Logger = logx.OrDiscard(c.Logger)
	return nil
}

// AudioEncoder encodes interleaved float32 audio to AAC-LC with FFmpeg's
// native encoder. Input blocks of any length are regrouped into the
// encoder's 1024-sample frames.
type AudioEncoder struct {
	encoder
	cfg  AudioConfig
	size int // samples per encoder frame

	// planar holds queued samples per channel; pending counts them.
	planar  [][]float32
	pending int
	// next is the stream time of the first queued sample; valid once set.
	next    time.Duration
	started bool
	track   media.CodecConfig
}

// NewAudio opens the AAC encoder.
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
	err := e.open("aac", func(cc *astiav.CodecContext) {
		cc.SetSampleRate(cfg.SampleRate)
		cc.SetChannelLayout(layout)
		cc.SetSampleFormat(astiav.SampleFormatFltp)
		cc.SetBitRate(int64(cfg.Bitrate))
	}, nil, fmt.Sprintf("%d Hz, %d ch", cfg.SampleRate, cfg.Channels))
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
		f.SetSampleFormat(astiav.SampleFormatFltp)
		f.SetSampleRate(cfg.SampleRate)
	}); err != nil {
		e.Close()
		return nil, err
	}
	e.planar = make([][]float32, cfg.Channels)
	for i := range e.planar {
		e.planar[i] = make([]float32, 0, 4*e.size)
	}
	e.track = media.CodecConfig{
		Codec:      media.CodecAAC,
		Extradata:  append([]byte(nil), e.cc.ExtraData()...),
		Bitrate:    cfg.Bitrate,
		SampleRate: cfg.SampleRate,
		Channels:   cfg.Channels,
	}
	if len(e.track.Extradata) < 2 {
		e.Close()
		return nil, errors.New("the AAC encoder gave no AudioSpecificConfig")
	}
	return e, nil
}

// Config describes the encoded track (AudioSpecificConfig as extradata).
func (e *AudioEncoder) Config() media.CodecConfig { return e.track }

// FrameDuration is the duration of one AAC access unit.
func (e *AudioEncoder) FrameDuration() time.Duration {
	return media.SamplesDuration(int64(e.size), e.cfg.SampleRate)
}

// Encode queues a block of samples and returns the AAC packets completed.
// A gap or overlap of more than one AAC frame between the block's PTS and
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
	for c := range e.planar {
		copyPlanarFloats(e.frame, c, e.planar[c][:e.size])
		rest := copy(e.planar[c], e.planar[c][e.size:])
		e.planar[c] = e.planar[c][:rest]
	}
	e.pending -= e.size
	e.frame.SetPts(e.ticks(e.next))
	e.next += e.FrameDuration()
	return e.send(e.frame)
}

// Flush drains the encoder's delayed packets; queued samples shorter than
// one AAC frame are dropped.
func (e *AudioEncoder) Flush() ([]*media.Packet, error) { return e.send(nil) }

// Close frees the encoder.
func (e *AudioEncoder) Close() { e.free() }
