package flv

import (
	"errors"
	"fmt"
)

// ErrInvalidASC is returned by AudioSpecificConfig.Unmarshal when the
// audio object type is 0 (null), the sampling frequency index is one of the
// reserved values 13 and 14, or an explicit sampling frequency is 0 Hz.
var ErrInvalidASC = errors.New("invalid AudioSpecificConfig")

// AAC audio object types (ISO/IEC 14496-3 Table 1.1) this package names.
const (
	// AACObjectTypeLC is AAC Low Complexity, what FFmpeg's native aac
	// encoder makes.
	AACObjectTypeLC = 2
	// AACObjectTypeSBR is HE-AAC (spectral band replication).
	AACObjectTypeSBR = 5
)

// AudioSpecificConfig is the start of the MPEG-4 audio decoder configuration
// of ISO/IEC 14496-3 1.6.2.1, as much as FLV metadata and a decoder set-up
// need: object type, sample rate and channel configuration. It is the
// extradata of an AAC encoder and the data of the AAC sequence header tag.
type AudioSpecificConfig struct {
	// ObjectType is audioObjectType, 1 to 95; AACObjectTypeLC for AAC-LC.
	ObjectType int
	// SampleRate is the sampling frequency in Hz, 1 to 2^24-1. Marshal
	// writes the index of Table 1.16 when the rate has one, else the escape
	// index 15 and the explicit 24-bit rate.
	SampleRate int
	// ChannelConfig is channelConfiguration, 0 to 15: 1 to 6 are that
	// many channels, 7 is 8 channels (7.1), 0 means a program config
	// element elsewhere says. See Channels.
	ChannelConfig int
}

// sampleRate returns the rate of a samplingFrequencyIndex, or 0 for 13 to
// 15 (reserved, escape).
func sampleRate(index int) int {
	rates := [...]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}
	if index < 0 || index >= len(rates) {
		return 0
	}
	return rates[index]
}

// sampleRateIndex returns the samplingFrequencyIndex of a rate, or 15
// (escape) when the table has none.
func sampleRateIndex(rate int) int {
	for i := 0; i < 13; i++ {
		if sampleRate(i) == rate {
			return i
		}
	}
	return 15
}

// NewAudioSpecificConfig makes the configuration of AAC-LC at sampleRate Hz
// with channels channels: 1 to 6, or 8 (7.1). Errors: ErrOutOfRange (a
// sample rate outside 1..2^24-1, another channel count).
func NewAudioSpecificConfig(sampleRate, channels int) (*AudioSpecificConfig, error) {
	if sampleRate < 1 || sampleRate >= 1<<24 {
		return nil, fmt.Errorf("%w: sample rate %d Hz, want 1 to %d", ErrOutOfRange, sampleRate, 1<<24-1)
	}
	config := channels
	switch {
	case channels >= 1 && channels <= 6:
	case channels == 8:
		config = 7
	default:
		return nil, fmt.Errorf("%w: %d channels have no AAC channel configuration (1 to 6 or 8)",
			ErrOutOfRange, channels)
	}
	return &AudioSpecificConfig{ObjectType: AACObjectTypeLC, SampleRate: sampleRate, ChannelConfig: config}, nil
}

// Channels is the number of channels ChannelConfig stands for, or 0 when
// it does not say (0, or a value this package does not map).
func (c *AudioSpecificConfig) Channels() int {
	switch {
	case c.ChannelConfig >= 1 && c.ChannelConfig <= 6:
		return c.ChannelConfig
	case c.ChannelConfig == 7:
		return 8
	}
	return 0
}

// Marshal writes the configuration followed by an empty GASpecificConfig
// (frameLengthFlag, dependsOnCoreCoder and extensionFlag all 0, 1024-sample
// frames), which is right for AAC Main, LC, SSR and LTP. The result is
// padded to whole bytes: 2 bytes for AAC-LC at a rate of the table.
// Errors: ErrOutOfRange (a field beyond its bits).
func (c *AudioSpecificConfig) Marshal() ([]byte, error) {
	if c.ObjectType < 1 || c.ObjectType > 95 {
		return nil, fmt.Errorf("%w: audio object type %d, want 1 to 95", ErrOutOfRange, c.ObjectType)
	}
	if c.SampleRate < 1 || c.SampleRate >= 1<<24 {
		return nil, fmt.Errorf("%w: sample rate %d Hz, want 1 to %d", ErrOutOfRange, c.SampleRate, 1<<24-1)
	}
	if c.ChannelConfig < 0 || c.ChannelConfig > 15 {
		return nil, fmt.Errorf("%w: channel configuration %d, want 0 to 15", ErrOutOfRange, c.ChannelConfig)
	}
	var w bitWriter
	if c.ObjectType < 31 {
		w.put(uint32(c.ObjectType), 5)
	} else {
		w.put(31, 5)
		w.put(uint32(c.ObjectType-32), 6)
	}
	index := sampleRateIndex(c.SampleRate)
	w.put(uint32(index), 4)
	if index == 15 {
		w.put(uint32(c.SampleRate), 24)
	}
	w.put(uint32(c.ChannelConfig), 4)
	w.put(0, 3) // GASpecificConfig
	return w.b, nil
}

// Unmarshal reads the object type, sample rate and channel configuration.
// What follows (GASpecificConfig, explicit SBR or PS signalling) is not read
// and may be absent. On error c is left unchanged. Errors: ErrTruncated,
// ErrInvalidASC.
func (c *AudioSpecificConfig) Unmarshal(b []byte) error {
	r := bitReader{b: b}
	ot, err := r.bits(5)
	if err != nil {
		return fmt.Errorf("AudioSpecificConfig of %d bytes: audioObjectType: %w", len(b), err)
	}
	if ot == 31 {
		ext, err := r.bits(6)
		if err != nil {
			return fmt.Errorf("AudioSpecificConfig of %d bytes: audioObjectTypeExt: %w", len(b), err)
		}
		ot = 32 + ext
	}
	if ot == 0 {
		return fmt.Errorf("%w: audio object type 0 (null)", ErrInvalidASC)
	}
	index, err := r.bits(4)
	if err != nil {
		return fmt.Errorf("AudioSpecificConfig of %d bytes: samplingFrequencyIndex: %w", len(b), err)
	}
	var rate uint32
	switch {
	case index == 15:
		if rate, err = r.bits(24); err != nil {
			return fmt.Errorf("AudioSpecificConfig of %d bytes: samplingFrequency: %w", len(b), err)
		}
		if rate == 0 {
			return fmt.Errorf("%w: explicit sampling frequency is 0 Hz", ErrInvalidASC)
		}
	case index >= 13:
		return fmt.Errorf("%w: sampling frequency index %d is reserved", ErrInvalidASC, index)
	default:
		rate = uint32(sampleRate(int(index)))
	}
	ch, err := r.bits(4)
	if err != nil {
		return fmt.Errorf("AudioSpecificConfig of %d bytes: channelConfiguration: %w", len(b), err)
	}
	*c = AudioSpecificConfig{ObjectType: int(ot), SampleRate: int(rate), ChannelConfig: int(ch)}
	return nil
}
