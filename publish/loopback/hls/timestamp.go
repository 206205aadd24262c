package hls

import "time"

// MPEG-TS time: PTS and DTS count a 90 kHz clock in 33 bits; the PCR counts
// 27 MHz as a 33-bit 90 kHz base and a 9-bit extension (ISO/IEC 13818-1
// 2.4.2.2). Stream time becomes MPEG-TS time here and nowhere else.
const (
	// clockRate is the rate of PTS, DTS and the PCR base.
	clockRate = 90000
	// timestampMask keeps the 33 bits a PTS, DTS or PCR base carries;
	// values wrap after about 26.5 hours.
	timestampMask = 1<<33 - 1

	// timestampOffset is the MPEG-TS time of the first packet's DTS. It
	// keeps what comes a little earlier positive: AAC encoder priming
	// (about -21 ms), audio interleaved before the first keyframe, the PCR
	// running pcrDelay ahead of the DTS.
	timestampOffset = 10 * time.Second

	// pcrDelay is how far the PCR runs behind the DTS of the PES it
	// travels with: the time a decoder has to receive a picture before
	// decoding it.
	pcrDelay = 200 * time.Millisecond

	// pcrInterval is the longest time between two PCRs. ISO/IEC 13818-1
	// allows 100 ms.
	pcrInterval = 100 * time.Millisecond
)

// ticks converts a non-negative stream time span to the 90 kHz clock,
// rounded to the nearest tick. The result is not wrapped.
func ticks(d time.Duration) int64 {
	return (int64(d)*9 + 50000) / 100000
}
