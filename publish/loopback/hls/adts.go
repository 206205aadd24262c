package hls

import (
	"fmt"

	"onair/publish/flv"
)

const (
	// adtsHeaderSize is the size of an ADTS header without CRC.
	adtsHeaderSize = 7
	// maxADTSFrameSize is the largest frame, header included, the 13-bit
	// frame_length of an ADTS header can announce.
	maxADTSFrameSize = 1<<13 - 1
)

// adtsConfig is what every ADTS header of a stream repeats from its
// AudioSpecificConfig.
type adtsConfig struct {
	profile         byte // audio object type minus 1
	sampleRateIndex byte
	channelConfig   byte
	sampleRate      int
}

// newADTSConfig checks that an AudioSpecificConfig fits ADTS: an audio
// object type of 1 to 4 (Main, LC, SSR, LTP), a sample rate of the
// sampling frequency table, a channel configuration of 0 to 7. Errors:
// ErrUnsupportedCodec.
func newADTSConfig(asc *flv.AudioSpecificConfig) (adtsConfig, error) {
	if asc.ObjectType < 1 || asc.ObjectType > 4 {
		return adtsConfig{}, fmt.Errorf("%w: AAC audio object type %d, ADTS carries 1 to 4",
			ErrUnsupportedCodec, asc.ObjectType)
	}
	index := sampleRateIndex(asc.SampleRate)
	if index < 0 {
		return adtsConfig{}, fmt.Errorf("%w: AAC sample rate %d Hz has no sampling frequency index",
			ErrUnsupportedCodec, asc.SampleRate)
	}
	if asc.ChannelConfig < 0 || asc.ChannelConfig > 7 {
		return adtsConfig{}, fmt.Errorf("%w: AAC channel configuration %d, ADTS carries 0 to 7",
			ErrUnsupportedCodec, asc.ChannelConfig)
	}
	return adtsConfig{
		profile:         byte(asc.ObjectType - 1),
		sampleRateIndex: byte(index),
		channelConfig:   byte(asc.ChannelConfig),
		sampleRate:      asc.SampleRate,
	}, nil
}

// sampleRateIndex returns the samplingFrequencyIndex of a rate (ISO/IEC
// 14496-3 Table 1.16), or -1 when the table has none.
func sampleRateIndex(rate int) int {
	rates := [...]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}
	for i, r := range rates {
		if r == rate {
			return i
		}
	}
	return -1
}

// appendADTSHeader appends the 7-byte ADTS header (ISO/IEC 14496-3
// 1.A.2.2, no CRC) of a frame holding one raw access unit of auSize bytes:
// MPEG-4, layer 0, the profile, rate and channels of c, buffer fullness
// 0x7ff (variable rate), one raw data block. Errors: ErrFrameTooLarge.
func appendADTSHeader(dst []byte, c adtsConfig, auSize int) ([]byte, error) {
	size := adtsHeaderSize + auSize
	if size > maxADTSFrameSize {
		return dst, fmt.Errorf("%w: AAC access unit size (%d) is too big, maximum is %d",
			ErrFrameTooLarge, auSize, maxADTSFrameSize-adtsHeaderSize)
	}
	return append(dst,
		0xff,
		0xf1, // syncword, ID 0 (MPEG-4), layer 0, protection_absent
		c.profile<<6|c.sampleRateIndex<<2|c.channelConfig>>2,
		c.channelConfig<<6|byte(size>>11),
		byte(size>>3),
		byte(size<<5)|0x1f, // buffer fullness 0x7ff
		0xfc,               // number_of_raw_data_blocks_in_frame 0
	), nil
}
