package flv

import "time"

// Timestamper turns stream-clock DTS values of one track into FLV tag
// timestamps: whole milliseconds since Base, rounded to the nearest (halves
// away from zero), as uint32.
//
// RTMP servers and FLV players need timestamps that never go below zero and
// never go back on a track, so Timestamp enforces both:
//
//   - a value below zero becomes 0. FFmpeg's AAC encoder gives its first
//     packet a negative timestamp (encoder priming, about -21 ms at 48 kHz);
//   - a value below the previous result becomes the previous result, so two
//     packets may share a timestamp but never run backwards.
//
// Raised counts both corrections. The result wraps modulo 2^32 after about
// 49.7 days, as RTMP timestamps do; the checks above work on the unwrapped
// value, and WriteTag writes all 32 bits through the extended timestamp
// byte.
//
// Use one Timestamper per track and give all tracks of a stream the same
// Base, so that audio and video stay in sync. The zero value has Base 0:
// the stream clock's zero is FLV time 0. A Timestamper is not safe for
// concurrent use.
type Timestamper struct {
	// Base is the stream time that becomes FLV time 0. Set it before the
	// first call to Timestamp.
	Base time.Duration

	last    int64
	started bool
	raised  int64
}

// Timestamp returns the FLV timestamp for dts, a DTS on the stream clock.
func (t *Timestamper) Timestamp(dts time.Duration) uint32 {
	ms := durationMS(dts - t.Base)
	out := max(ms, 0)
	if t.started && out < t.last {
		out = t.last
	}
	if out != ms {
		t.raised++
	}
	t.last, t.started = out, true
	return uint32(out)
}

// Raised reports how many results Timestamp raised: negative values clamped
// to 0 or values lifted to the previous result, each call counted once.
func (t *Timestamper) Raised() int64 { return t.raised }

// durationMS rounds d to whole milliseconds, halves away from zero.
func durationMS(d time.Duration) int64 {
	return int64(d.Round(time.Millisecond) / time.Millisecond)
}

// tagTimestamp is the FLV timestamp of stream time d without a Timestamper:
// milliseconds since the stream clock's zero, negative values clamped to 0,
// wrapping modulo 2^32.
func tagTimestamp(d time.Duration) uint32 {
	return uint32(max(durationMS(d), 0))
}
