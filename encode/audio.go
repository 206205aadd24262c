package encode

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asticode/go-astiav"

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
	// Logger; default slog.Default().
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
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// AudioEncoder encodes interleaved float32 audio to AAC-LC with FFmpeg's
// native encoder. Input blocks of any length are regrouped into the
// encoder's 1024-sample frames.
type AudioEncoder struct {
	cfg   AudioConfig
	cc    *astiav.CodecContext
	frame *astiav.Frame
	pkt   *astiav.Packet
	size  int // samples per encoder frame

	// planar holds queued samples per channel; pending counts them.
	planar  [][]float32
	pending int
	// next is the stream time of the first queued sample; valid once set.
	next    time.Duration
	started bool
	codec   media.CodecConfig
}

// NewAudio opens the AAC encoder.
func NewAudio(cfg AudioConfig) (*AudioEncoder, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	codec := astiav.FindEncoderByName("aac")
	if codec == nil {
		return nil, fmt.Errorf("aac: %w", ErrCodecUnavailable)
	}
	cc := astiav.AllocCodecContext(codec)
	if cc == nil {
		return nil, errors.New("allocating the AAC encoder context failed")
	}
	layout := astiav.ChannelLayoutStereo
	if cfg.Channels == 1 {
		layout = astiav.ChannelLayoutMono
	}
	cc.SetSampleRate(cfg.SampleRate)
	cc.SetChannelLayout(layout)
	cc.SetSampleFormat(astiav.SampleFormatFltp)
	cc.SetBitRate(int64(cfg.Bitrate))
	cc.SetTimeBase(astiav.NewRational(1, cfg.SampleRate))
	cc.SetFlags(cc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	if err := cc.Open(codec, nil); err != nil {
		cc.Free()
		return nil, fmt.Errorf("opening the AAC encoder (%d Hz, %d ch): %w", cfg.SampleRate, cfg.Channels, err)
	}
	e := &AudioEncoder{cfg: cfg, cc: cc, size: cc.FrameSize()}
	if e.size <= 0 {
		e.size = 1024
	}
	e.frame = astiav.AllocFrame()
	e.frame.SetNbSamples(e.size)
	e.frame.SetChannelLayout(layout)
	e.frame.SetSampleFormat(astiav.SampleFormatFltp)
	e.frame.SetSampleRate(cfg.SampleRate)
	if err := e.frame.AllocBuffer(0); err != nil {
		e.Close()
		return nil, fmt.Errorf("allocating an audio frame: %w", err)
	}
	e.pkt = astiav.AllocPacket()
	e.planar = make([][]float32, cfg.Channels)
	for i := range e.planar {
		e.planar[i] = make([]float32, 0, 4*e.size)
	}
	e.codec = media.CodecConfig{
		Codec:      media.CodecAAC,
		Extradata:  append([]byte(nil), cc.ExtraData()...),
		Bitrate:    cfg.Bitrate,
		SampleRate: cfg.SampleRate,
		Channels:   cfg.Channels,
	}
	if len(e.codec.Extradata) < 2 {
		e.Close()
		return nil, errors.New("the AAC encoder gave no AudioSpecificConfig")
	}
	return e, nil
}

// Config describes the encoded track (AudioSpecificConfig as extradata).
func (e *AudioEncoder) Config() media.CodecConfig { return e.codec }

// FrameDuration is the duration of one AAC access unit.
func (e *AudioEncoder) FrameDuration() time.Duration {
	return time.Duration(e.size) * time.Second / time.Duration(e.cfg.SampleRate)
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
	return time.Duration(n) * time.Second / time.Duration(e.cfg.SampleRate)
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
	tb := astiav.NewRational(1, e.cfg.SampleRate)
	e.frame.SetPts(toTicks(e.next, tb))
	e.next += e.FrameDuration()
	if err := e.cc.SendFrame(e.frame); err != nil {
		return nil, fmt.Errorf("sending a frame to the AAC encoder: %w", err)
	}
	return e.receive()
}

func (e *AudioEncoder) receive() ([]*media.Packet, error) {
	return receivePackets(e.cc, e.pkt, media.CodecAAC, astiav.NewRational(1, e.cfg.SampleRate), "the AAC encoder")
}

// Flush drains the encoder's delayed packets; queued samples shorter than
// one AAC frame are dropped.
func (e *AudioEncoder) Flush() ([]*media.Packet, error) {
	if err := e.cc.SendFrame(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
		return nil, fmt.Errorf("flushing the AAC encoder: %w", err)
	}
	return e.receive()
}

// Close frees the encoder.
func (e *AudioEncoder) Close() {
	if e.frame != nil {
		e.frame.Free()
		e.frame = nil
	}
	if e.pkt != nil {
		e.pkt.Free()
		e.pkt = nil
	}
	if e.cc != nil {
		e.cc.Free()
		e.cc = nil
	}
}
