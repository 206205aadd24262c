package hls

import (
	"fmt"
	"strconv"
	"time"
)

// playlistName is the media playlist's name where the Muxer is mounted.
const playlistName = "index.m3u8"

// segmentName is the URI of segment seq, relative to the playlist.
func segmentName(seq uint64) string {
	return "seg" + strconv.FormatUint(seq, 10) + ".ts"
}

// renderPlaylist writes the live media playlist (RFC 8216 4.3) of segs,
// oldest first, with #EXT-X-ENDLIST when ended. The target duration is
// longest rounded to the nearest whole second, at least 1: every #EXTINF
// rounds to no more, as 4.3.3.1 asks. (Rounding up would announce 2 s for
// a 1 s GOP whose first segment ran a millisecond over, and hls.js holds
// three target durations back.)
func renderPlaylist(segs []*segment, longest time.Duration, ended bool) []byte {
	var seq uint64
	if len(segs) > 0 {
		seq = segs[0].seq
	}
	b := make([]byte, 0, 128+32*len(segs))
	b = append(b, "#EXTM3U\n#EXT-X-VERSION:3\n"...)
	b = fmt.Appendf(b, "#EXT-X-TARGETDURATION:%d\n", targetDurationSeconds(longest))
	b = fmt.Appendf(b, "#EXT-X-MEDIA-SEQUENCE:%d\n", seq)
	for _, s := range segs {
		ms := durationMS(s.dur)
		b = fmt.Appendf(b, "#EXTINF:%d.%03d,\n%s\n", ms/1000, ms%1000, segmentName(s.seq))
	}
	if ended {
		b = append(b, "#EXT-X-ENDLIST\n"...)
	}
	return b
}

// targetDurationSeconds is d, rounded to milliseconds as #EXTINF shows it,
// then to the nearest whole second (RFC 8216 4.3.3.1); at least 1.
func targetDurationSeconds(d time.Duration) int64 {
	return max(1, (durationMS(d)+500)/1000)
}

// durationMS is d in whole milliseconds, rounded to the nearest; 0 for a
// negative d.
func durationMS(d time.Duration) int64 {
	return max(0, int64(d.Round(time.Millisecond)/time.Millisecond))
}
