package media

import (
	"math"
	"time"
)

// This file holds the conversions between stream time (time.Duration) and
// the two other ways a position is counted: ticks of a codec or container
// time base (num/den seconds a tick, FFmpeg's AVRational) and audio samples
// at a sample rate. Every stage converts through these, so a position rounds
// the same way wherever it is computed.

// FromTimeBase is the stream time of t ticks of num/den seconds, rounded to
// the nearest nanosecond. A zero den gives 0.
func FromTimeBase(t int64, num, den int) time.Duration {
	if den == 0 {
		return 0
	}
	return time.Duration(math.Round(float64(t) * float64(num) * float64(time.Second) / float64(den)))
}

// ToTimeBase is d counted in ticks of num/den seconds, rounded to the
// nearest tick. A zero num gives 0.
func ToTimeBase(d time.Duration, num, den int) int64 {
	if num == 0 {
		return 0
	}
	return int64(math.Round(float64(d) * float64(den) / (float64(num) * float64(time.Second))))
}

// SamplesDuration is how long n samples last at rate samples a second,
// truncated to the nanosecond. A rate of 0 or less gives 0. Whole seconds
// are counted apart, so that no realistic count overflows (n·1e9 would
// after 13 hours at 192 kHz).
func SamplesDuration(n int64, rate int) time.Duration {
	if rate <= 0 {
		return 0
	}
	r := int64(rate)
	return time.Duration(n/r)*time.Second + time.Duration(n%r)*time.Second/time.Duration(r)
}

// DurationSamples is how many whole samples at rate samples a second fit in
// d (truncated). A rate of 0 or less gives 0. Like SamplesDuration, it
// does not overflow for any realistic duration.
func DurationSamples(d time.Duration, rate int) int64 {
	if rate <= 0 {
		return 0
	}
	s := int64(time.Second)
	return int64(d)/s*int64(rate) + int64(d)%s*int64(rate)/s
}
