// Package hls is the HLS output of OnAir's loopback server: it turns a
// publisher's H.264 and AAC packets into a live HTTP Live Streaming
// presentation (RFC 8216, version 3) with MPEG-TS segments, held in memory
// and served by the Muxer's ServeHTTP.
//
// A Muxer is call-driven and starts no goroutine. One goroutine feeds it
// with WritePacket; it cuts a segment at the first video keyframe after
// MuxerConfig.TargetDuration (on time alone for audio-only streams), keeps
// the last WindowSize segments in the playlist and a few just-expired ones
// for a short grace, and drops older ones so memory stays bounded. Any
// number of goroutines may call ServeHTTP meanwhile: finished segments are
// immutable, and the playlist is rendered once per segment.
//
// It is a protocol edge: time.Duration stream timestamps become the 90 kHz
// clock of MPEG-TS here and nowhere else (see timestamp.go), shifted by a
// constant so that nothing is negative.
//
// One idea per file: crc.go (MPEG-2 CRC-32), timestamp.go (90 kHz clock),
// ts.go (TS packets, continuity counters, adaptation fields), psi.go (PAT
// and PMT), pes.go (PES headers), adts.go (ADTS headers for AAC),
// accessunit.go (H.264 access units: AUD, parameter sets), segment.go
// (the sliding window), playlist.go (the media playlist), muxer.go (the
// segmenter) and http.go (serving).
//
// Specifications: ISO/IEC 13818-1 (MPEG-2 systems: TS, PSI, PES),
// ISO/IEC 13818-7 6.2 and 14496-3 1.A.2 (ADTS), ITU-T H.264 7.3.2.4 and
// Annex B (access unit delimiter, byte stream), RFC 8216 (HLS).
package hls

import "errors"

var (
	// ErrNoTracks is returned by NewMuxer when the configuration has
	// neither a video nor an audio track.
	ErrNoTracks = errors.New("no video or audio track")

	// ErrUnsupportedCodec is returned by NewMuxer when a track's codec is
	// not H.264 (video) or AAC (audio), or when the AAC configuration is
	// one an ADTS header cannot carry (an audio object type above 4, a
	// sample rate without a sampling frequency index, a channel
	// configuration above 7); and by WritePacket for a packet of a codec
	// the muxer has no track for.
	ErrUnsupportedCodec = errors.New("unsupported codec")

	// ErrFrameTooLarge is returned by WritePacket for an AAC access unit
	// that does not fit the 13-bit frame length of an ADTS header.
	ErrFrameTooLarge = errors.New("frame too large")

	// ErrTimestamp is returned by WritePacket for a packet whose DTS or
	// PTS lies more than 10 s (the muxer's timestamp offset) before the
	// first packet's DTS: its 90 kHz time would be negative.
	ErrTimestamp = errors.New("timestamp before the start of the stream")

	// ErrClosed is returned by WritePacket after Close.
	ErrClosed = errors.New("muxer closed")
)
