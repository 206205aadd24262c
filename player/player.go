// Package player is OnAir's second half of the live chain: it opens a
// stream URL or a file, demuxes and decodes it with FFmpeg (go-astiav),
// keeps audio and video in sync, plays the audio through malgo and hands
// each picture, at its time, to a FrameSink (the window, or a sink that only
// measures).
//
// Goroutines, all owned by the Player and ended by Close: the reader
// (demux, record), one decoder per track, and the presenter (video on the
// clock). Hand-offs between them are bounded: a live source that outruns
// the player loses packets to the next keyframe, counted; a file is read
// only as fast as it plays.
//
// Time: packet and frame times are time.Duration on the source's timeline.
// The clock that presents them is the audio output's when there is audio,
// else the monotonic wall clock. Wall-clock time (Unix ms) is used only
// for the test signal's figures, as its spec says.
package player

import (
	"errors"
	"log/slog"
	"time"

	"onair/internal/logx"
	"onair/internal/media"
)

// Errors returned by Open and Player.Wait. They wrap the underlying cause;
// test with errors.Is.
var (
	// ErrUnsupportedURL is returned by Open for a URL it cannot play: an
	// unknown scheme or a malformed address.
	ErrUnsupportedURL = errors.New("player: unsupported URL")
	// ErrUnreachable is returned by Open when the server does not answer:
	// connection refused, unknown host, or no reply within the timeout.
	ErrUnreachable = errors.New("player: server unreachable")
	// ErrNotFound is returned by Open when the server or file system says
	// the stream does not exist (HTTP 404, no such file, RTMP stream not
	// found).
	ErrNotFound = errors.New("player: stream not found")
	// ErrUnsupportedCodec is returned by Open when the source holds no
	// audio or video track that OnAir can decode.
	ErrUnsupportedCodec = errors.New("player: unsupported codec")
	// ErrCorrupt is returned when the data cannot be read as media: a file
	// that is not a container FFmpeg knows, or a stream broken beyond
	// concealment.
	ErrCorrupt = errors.New("player: corrupt or unreadable stream")
	// ErrStalled is returned by Wait when a live source sent nothing for
	// Config.StallTimeout.
	ErrStalled = errors.New("player: the stream stopped arriving")
	// ErrNotSeekable: Seek on a live stream (or a file of unknown
	// duration).
	ErrNotSeekable = errors.New("player: this source cannot seek")
	// ErrNotLive: JumpToLive on a file or a recording.
	ErrNotLive = errors.New("player: not a live stream")
)

// Latency chooses the trade between delay and smoothness.
type Latency int

const (
	// LatencyLow: minimal probing, start at the first keyframe, a jitter
	// buffer of about 100 ms, and catch-up when the buffer grows past it.
	LatencyLow Latency = iota
	// LatencyNormal: about 1 s of buffer, for smooth playback over real
	// networks.
	LatencyNormal
)

func (l Latency) String() string {
	if l == LatencyNormal {
		return "normal"
	}
	return "low"
}

// ParseLatency reads "low" or "normal".
func ParseLatency(s string) (Latency, error) {
	switch s {
	case "low", "":
		return LatencyLow, nil
	case "normal":
		return LatencyNormal, nil
	}
	return 0, errors.New(`latency: want "low" or "normal"`)
}

// FrameSink receives pictures at their presentation time.
type FrameSink interface {
	// Present shows f. It is called from the player's presenter goroutine
	// and must return quickly; f and its planes are valid only during the
	// call (copy what you keep). f.PTS is the frame's time on the source
	// timeline.
	Present(f *media.VideoFrame)
}

// SinkFunc adapts a function to FrameSink.
type SinkFunc func(f *media.VideoFrame)

// Present calls fn(f).
func (fn SinkFunc) Present(f *media.VideoFrame) { fn(f) }

// Config configures a Player. Zero fields take the documented defaults.
type Config struct {
	// URL to play: rtmp://, rtmps://, rtmpt://, http(s)://….m3u8 (HLS),
	// http(s)://….flv (HTTP-FLV), rtsp://, srt://, or a file path or
	// file:// URL (FLV, MP4, MPEG-TS, MKV, …). Required.
	URL string
	// Latency mode. Default LatencyLow.
	Latency Latency
	// Sink receives the pictures. Default: none (frames are measured and
	// dropped, as in headless mode).
	Sink FrameSink
	// SinkFormat is the pixel format the sink wants. Default
	// media.PixelFormatYUV420P (no conversion for most streams);
	// media.PixelFormatRGBA converts with swscale.
	SinkFormat media.PixelFormat
	// NoAudio ignores the audio track.
	NoAudio bool
	// NullAudio plays through miniaudio's null backend (no sound, real
	// clock) even when a device exists.
	NullAudio bool
	// Volume from 0 to 2. Default 1.
	Volume float64
	// Record, when set, is a file the received stream is written to
	// without re-encoding; the container follows the extension (.flv,
	// .mp4, .ts, .mkv).
	Record string
	// Insecure accepts any certificate from an rtmps:// server
	// (self-signed servers).
	Insecure bool
	// FFmpegRTMP plays rtmp:// and rtmps:// with FFmpeg's RTMP client
	// instead of OnAir's (which starts faster); for comparisons.
	FFmpegRTMP bool
	// OpenTimeout bounds opening and probing. Default 10 s.
	OpenTimeout time.Duration
	// StallTimeout ends a live stream that sends nothing for this long.
	// Default 10 s.
	StallTimeout time.Duration
	// Start begins a file or a recorded RTMP stream (video on demand) this
	// far from its start. Live streams ignore it.
	Start time.Duration
	// Logger; default: discard.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.SinkFormat == 0 {
		c.SinkFormat = media.PixelFormatYUV420P
	}
	if c.Volume == 0 {
		c.Volume = 1
	}
	if c.OpenTimeout == 0 {
		c.OpenTimeout = 10 * time.Second
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = 10 * time.Second
	}
	c.Logger = logx.OrDiscard(c.Logger)
}
