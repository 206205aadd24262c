package hls

import (
	"fmt"
	"time"

	"onair/internal/media"
)

// This file makes HLS for recordings (video on demand): a playlist of the
// whole file and its segments one at a time, each muxed on its own when
// asked for.

// vodTarget is the longest a segment of a recording is cut to when nothing
// else cuts it: the caller chooses the segments.
const vodTarget = 24 * time.Hour

// Segment muxes the packets of one segment of a recording into MPEG-TS.
// Times stay the recording's own (a packet at t gets t plus a fixed offset
// on the 90 kHz clock), so that segments made apart join up; each stream
// begins with its discontinuity indicator set, its continuity counter
// starting anew. next returns the packets in decode order, then nil.
// cfg's tracks are as NewMuxer takes them; its TargetDuration and
// WindowSize are not used. Errors: those of NewMuxer, of next and of
// WritePacket.
func Segment(cfg MuxerConfig, next func() (*media.Packet, error)) ([]byte, error) {
	cfg.TargetDuration, cfg.WindowSize = vodTarget, 1
	m, err := NewMuxer(cfg)
	if err != nil {
		return nil, err
	}
	m.keepTime = true
	for _, s := range []*tsStream{m.ts.video, m.ts.audio} {
		if s != nil {
			s.discontinuity = true
		}
	}
	for {
		p, err := next()
		if err != nil {
			return nil, err
		}
		if p == nil {
			break
		}
		if err := m.WritePacket(p); err != nil {
			return nil, err
		}
	}
	m.Close()
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.window.lookup(0); s != nil {
		return s.data, nil
	}
	return m.ts.appendTables(nil), nil // no media: the tables alone
}

// VODPlaylist is the media playlist (RFC 8216 4.3, PLAYLIST-TYPE VOD) of a
// recording cut into segments lasting durs, named as Segment's are served:
// seg0.ts, seg1.ts, …
func VODPlaylist(durs []time.Duration) []byte {
	var longest time.Duration
	for _, d := range durs {
		longest = max(longest, d)
	}
	b := make([]byte, 0, 160+32*len(durs))
	b = append(b, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n"...)
	b = fmt.Appendf(b, "#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n", targetDurationSeconds(longest))
	for i, d := range durs {
		ms := durationMS(d)
		b = fmt.Appendf(b, "#EXTINF:%d.%03d,\n%s\n", ms/1000, ms%1000, segmentName(uint64(i)))
	}
	return append(b, "#EXT-X-ENDLIST\n"...)
}

// ParseSegmentName reads the sequence number of a segment's name
// (seg12.ts); ok is false for anything else.
func ParseSegmentName(name string) (uint64, bool) { return parseSegmentName(name) }
