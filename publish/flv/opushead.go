package flv

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrInvalidOpusHead is returned by OpusHead.Unmarshal when the header does
// not begin with "OpusHead", its version is not 0 to 15, or its channel
// counts or mapping contradict each other.
var ErrInvalidOpusHead = errors.New("invalid OpusHead")

// opusHeadMagic begins every OpusHead.
const opusHeadMagic = "OpusHead"

// opusHeadSize is the size of an OpusHead of mapping family 0.
const opusHeadSize = 19

// OpusHead is the Opus identification header of RFC 7845 5.1, the
// extradata of FFmpeg's libopus encoder and the data of the Opus
// SequenceStart tag. Its multi-byte fields are little-endian.
type OpusHead struct {
	// Version is 1; 0 to 15 are compatible with it.
	Version uint8
	// Channels is the output channel count, at least 1.
	Channels uint8
	// PreSkip is the number of 48 kHz samples to drop from the start of
	// the decoded output.
	PreSkip uint16
	// InputSampleRate is the sample rate of the encoder's input in Hz,
	// for information only; Opus always decodes at 48 kHz.
	InputSampleRate uint32
	// OutputGain is in 1/256 dB (Q7.8).
	OutputGain int16
	// MappingFamily is 0 for mono or stereo, 1 for Vorbis channel order,
	// 255 for none.
	MappingFamily uint8
	// StreamCount, CoupledCount and ChannelMapping (Channels bytes) are
	// present for MappingFamily other than 0; 0 and nil for family 0.
	StreamCount    uint8
	CoupledCount   uint8
	ChannelMapping []byte
}

// Unmarshal reads an OpusHead; bytes after it are ignored, as RFC 7845
// asks. ChannelMapping aliases b. On error h is left unchanged. Errors:
// ErrTruncated, ErrInvalidOpusHead.
func (h *OpusHead) Unmarshal(b []byte) error {
	if len(b) < opusHeadSize {
		return fmt.Errorf("%w: OpusHead of %d bytes, needs %d", ErrTruncated, len(b), opusHeadSize)
	}
	if string(b[:8]) != opusHeadMagic {
		return fmt.Errorf("%w: begins with %q, want %q", ErrInvalidOpusHead, b[:8], opusHeadMagic)
	}
	v := OpusHead{
		Version:         b[8],
		Channels:        b[9],
		PreSkip:         binary.LittleEndian.Uint16(b[10:]),
		InputSampleRate: binary.LittleEndian.Uint32(b[12:]),
		OutputGain:      int16(binary.LittleEndian.Uint16(b[16:])),
		MappingFamily:   b[18],
	}
	if v.Version > 15 {
		return fmt.Errorf("%w: version %d, want 0 to 15", ErrInvalidOpusHead, v.Version)
	}
	if v.Channels == 0 {
		return fmt.Errorf("%w: 0 channels", ErrInvalidOpusHead)
	}
	if v.MappingFamily == 0 {
		if v.Channels > 2 {
			return fmt.Errorf("%w: %d channels with mapping family 0, which allows 1 or 2", ErrInvalidOpusHead, v.Channels)
		}
		*h = v
		return nil
	}
	if need := opusHeadSize + 2 + int(v.Channels); len(b) < need {
		return fmt.Errorf("%w: OpusHead of %d bytes with mapping family %d and %d channels, needs %d",
			ErrTruncated, len(b), v.MappingFamily, v.Channels, need)
	}
	v.StreamCount, v.CoupledCount = b[19], b[20]
	v.ChannelMapping = b[21 : 21+int(v.Channels) : 21+int(v.Channels)]
	if err := v.checkMapping(); err != nil {
		return err
	}
	*h = v
	return nil
}

// checkMapping checks the stream counts and the channel mapping of a
// mapping family other than 0 (RFC 7845 5.1.1). Errors: ErrInvalidOpusHead.
func (h *OpusHead) checkMapping() error {
	streams, coupled := int(h.StreamCount), int(h.CoupledCount)
	if streams == 0 || coupled > streams || streams+coupled > 255 {
		return fmt.Errorf("%w: %d streams, %d of them coupled", ErrInvalidOpusHead, streams, coupled)
	}
	if len(h.ChannelMapping) != int(h.Channels) {
		return fmt.Errorf("%w: channel mapping of %d entries for %d channels", ErrInvalidOpusHead, len(h.ChannelMapping), h.Channels)
	}
	for i, m := range h.ChannelMapping {
		if m != 255 && int(m) >= streams+coupled {
			return fmt.Errorf("%w: channel %d maps to %d, beyond %d decoded channels", ErrInvalidOpusHead, i, m, streams+coupled)
		}
	}
	return nil
}

// Marshal writes the header: 19 bytes for mapping family 0, 21 plus
// Channels otherwise. Errors: ErrInvalidOpusHead (what Unmarshal refuses).
func (h *OpusHead) Marshal() ([]byte, error) {
	switch {
	case h.Version > 15:
		return nil, fmt.Errorf("%w: version %d, want 0 to 15", ErrInvalidOpusHead, h.Version)
	case h.Channels == 0:
		return nil, fmt.Errorf("%w: 0 channels", ErrInvalidOpusHead)
	case h.MappingFamily == 0 && (h.Channels > 2 || h.StreamCount != 0 || h.CoupledCount != 0 || h.ChannelMapping != nil):
		return nil, fmt.Errorf("%w: %d channels, %d streams, a mapping of %d entries with mapping family 0",
			ErrInvalidOpusHead, h.Channels, h.StreamCount, len(h.ChannelMapping))
	}
	if h.MappingFamily != 0 {
		if err := h.checkMapping(); err != nil {
			return nil, err
		}
	}
	b := make([]byte, 0, opusHeadSize+2+len(h.ChannelMapping))
	b = append(b, opusHeadMagic...)
	b = append(b, h.Version, h.Channels)
	b = binary.LittleEndian.AppendUint16(b, h.PreSkip)
	b = binary.LittleEndian.AppendUint32(b, h.InputSampleRate)
	b = binary.LittleEndian.AppendUint16(b, uint16(h.OutputGain))
	b = append(b, h.MappingFamily)
	if h.MappingFamily != 0 {
		b = append(b, h.StreamCount, h.CoupledCount)
		b = append(b, h.ChannelMapping...)
	}
	return b, nil
}
