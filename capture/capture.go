// Package capture holds OnAir's sources of raw media: the first stage of
// the pipeline (capture → encode → publish).
//
// The built-in test source is TestVideo ("testsrc": colour bars, a moving
// box, a burned-in clock and frame counter, and the timecode stripe and
// sync square of internal/testsignal) and TestTone ("tone": the 440 Hz tone
// with a 1 kHz beep at each wall-clock second). Both are paced in real time
// on the monotonic clock, stamp each frame with its capture time on the
// media.Clock they are given, and hand frames to a consumer function that
// must not block (typically a media.Queue's Push). When a source falls
// behind by more than one frame it skips the missed slots and counts them
// (Skipped) instead of bursting.
//
// A source is made with New…(config), started with Start and stopped with
// Close, which returns once its goroutine has ended.
package capture

import (
	"errors"
)

var (
	// ErrInvalidConfig is returned by NewTestVideo and NewTestTone when a
	// configuration field is out of range; the message names the field,
	// its value and the allowed range.
	ErrInvalidConfig = errors.New("capture: invalid configuration")
	// ErrStarted is returned by Start when the source was already started.
	ErrStarted = errors.New("capture: source already started")
	// ErrClosed is returned by Start after Close.
	ErrClosed = errors.New("capture: source closed")
)
