// Package encode turns raw media.VideoFrame and media.AudioFrame values into
// media.Packet values, via go-astiav: H.264 through libx264 (the default) or
// HEVC through libx265 (hevc.go), and AAC-LC through FFmpeg's native encoder
// (the default) or Opus through libopus (opus.go). Conversion and scaling
// to the encoder's size and pixel format go through swscale.
//
// Encoders are synchronous and not safe for concurrent use: one goroutine
// (the stage that owns them) calls Encode and Close.
package encode

import (
	"errors"
)

// ErrInvalidConfig is returned by NewVideo and NewAudio when a setting is out
// of range; the message names the setting and the value.
var ErrInvalidConfig = errors.New("invalid encoder configuration")

// ErrCodecUnavailable is returned when the FFmpeg build lacks an encoder.
var ErrCodecUnavailable = errors.New("encoder not available in this FFmpeg build")

// ErrFormatMismatch is returned by Audio.Encode when a frame's sample rate or
// channel count differs from the encoder's: resampling happens before.
var ErrFormatMismatch = errors.New("audio format does not match the encoder")
