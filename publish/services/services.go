// Package services knows the well-known streaming services: their ingest
// servers and the encoder limits they document, so a streamer picks
// "Twitch" and pastes only the stream key.
//
// The list is one data file, services.json beside this file, embedded in
// the program. Every value in it names its source (a "source" field) so it
// can be checked and updated; Load validates it, and a test loads it, so a
// mistake in an edit fails the build's tests rather than a broadcast.
package services

import (
	"errors"
	"time"
)

// ErrNoKey is returned by URL and JoinKey when the stream key is empty.
var ErrNoKey = errors.New("no stream key")

// ErrBadKey is returned by URL and JoinKey when the stream key cannot be
// put into a URL (a slash, a whole URL pasted, a space); the message never
// contains the key.
var ErrBadKey = errors.New("bad stream key")

// ErrBadFile is returned by parse (and so Load) when the data file is not
// valid: malformed JSON, an unknown field, a missing or bad value.
var ErrBadFile = errors.New("bad services file")

// Service is one streaming service.
type Service struct {
	// ID is the service's short name on the command line: --service twitch.
	ID string
	// Name is the name shown to the streamer: "Twitch".
	Name string
	// KeyLink is the page where the streamer finds the stream key.
	KeyLink string
	// Servers are the service's ingest servers, the default first. Each
	// URL is rtmp[s]://host[:port]/app, without the key.
	Servers []Server
	// Limits are what the service documents for the encoder.
	Limits Limits
}

// Server is one ingest server of a service.
type Server struct {
	// Name says which server it is: "Primary (RTMPS)".
	Name string
	// URL is rtmp[s]://host[:port]/app: the stream key is joined to it.
	URL string
	// Source is where the URL is documented.
	Source string
}

// Limits are a service's recommendations and caps for the encoder. A zero
// cap is "not documented": nothing is checked against it.
type Limits struct {
	// KeyInterval is the keyframe interval the service asks for; it is
	// applied unless the streamer chose another.
	KeyInterval time.Duration
	// MaxKeyInterval is the longest keyframe interval it accepts (at least
	// KeyInterval).
	MaxKeyInterval time.Duration
	// Profile is the H.264 profile the service recommends ("" none); it is
	// applied unless the streamer chose another, and a higher one is
	// warned about.
	Profile string
	// MaxVideoBitrate and MaxAudioBitrate are in bits per second.
	MaxVideoBitrate int
	MaxAudioBitrate int
	// MaxWidth and MaxHeight bound the picture (either orientation).
	MaxWidth, MaxHeight int
	// MaxFPS is the highest frame rate.
	MaxFPS float64
	// VideoBitrateBySize caps the video bitrate by picture size and frame
	// rate, smallest first; a picture larger than every row has
	// MaxVideoBitrate.
	VideoBitrateBySize []SizeCap
	// Source is where these values are documented.
	Source string
}

// SizeCap is the video bitrate cap for pictures up to Width×Height at up
// to FPS frames per second.
type SizeCap struct {
	Width, Height   int
	FPS             float64
	MaxVideoBitrate int // bits per second
}
