package capture

import (
	"errors"
	"fmt"

	"onair/internal/media"
)

// VideoSource is what every video source offers (TestVideo, Screen,
// Camera, File): Start hands each frame to out from the source's own
// goroutine (out must not block, and the frame then belongs to the callee,
// who Releases it); Close stops the source and returns once its goroutines
// have ended. Every frame's PTS is its capture time on the source's
// media.Clock, read when the picture was taken.
type VideoSource interface {
	Start(out func(*media.VideoFrame)) error
	Close() error
	// Skipped counts frames the source lost because it fell behind.
	Skipped() int64
	// Frames counts frames delivered.
	Frames() int64
}

// AudioSource is what every audio source offers (TestTone, Mic, the audio
// of a File): Start hands each block of samples to out from the source's
// own goroutine (out must not block); Close stops it and returns once its
// goroutines have ended. Each frame's PTS is the capture time of its first
// sample on the source's media.Clock.
type AudioSource interface {
	Start(out func(*media.AudioFrame)) error
	Close() error
	// Skipped counts blocks (or sample periods) lost.
	Skipped() int64
}

// DeviceKind says what a Device captures.
type DeviceKind int

const (
	// KindCamera is a video capture device (V4L2 on Linux).
	KindCamera DeviceKind = iota + 1
	// KindScreen is a screen of the X11 display.
	KindScreen
	// KindMicrophone is an audio capture device.
	KindMicrophone
	// KindMonitor is the sound server's monitor of an output (what the
	// desktop plays).
	KindMonitor
)

func (k DeviceKind) String() string {
	switch k {
	case KindCamera:
		return "camera"
	case KindScreen:
		return "screen"
	case KindMicrophone:
		return "microphone"
	case KindMonitor:
		return "monitor"
	}
	return "unknown"
}

// Device is one capture device found on this machine.
type Device struct {
	Kind DeviceKind
	// ID is what selects the device in a source spec (camera:ID,
	// mic:ID); Name is what a person reads.
	ID, Name string
	// Default marks the device chosen when none is named.
	Default bool
	// Detail is a one-line summary: sizes and rates, channels.
	Detail string
}

var (
	// ErrNoDevice is returned when no device of the wanted kind exists, or
	// none has the given name; the message lists what exists.
	ErrNoDevice = errors.New("capture: no such device")
	// ErrDeviceBusy is returned when the device exists but cannot be
	// opened (another program holds it, or permission is denied).
	ErrDeviceBusy = errors.New("capture: device busy or not permitted")
)

// audioFormat fills in an audio source's default sample rate (48 kHz) and
// channel count (2) and checks them against the source's limits; errors
// wrap ErrInvalidConfig.
func audioFormat(rate, channels *int, minRate, maxRate, maxChannels int) error {
	if *rate == 0 {
		*rate = 48000
	}
	if *channels == 0 {
		*channels = 2
	}
	if *rate < minRate || *rate > maxRate {
		return fmt.Errorf("%w: sample rate (%d) must be in %d..%d", ErrInvalidConfig, *rate, minRate, maxRate)
	}
	if *channels < 1 || *channels > maxChannels {
		return fmt.Errorf("%w: channel count (%d) must be in 1..%d", ErrInvalidConfig, *channels, maxChannels)
	}
	return nil
}
