package hls

import "time"

// graceSegments is how many segments stay available after they leave the
// playlist, for a player that read the playlist just before: about
// graceSegments × TargetDuration. Older ones are dropped.
const graceSegments = 2

// segment is one finished MPEG-TS segment. It is never changed after it
// is published, so ServeHTTP may hand its data out without copying.
type segment struct {
	seq  uint64
	dur  time.Duration
	data []byte
}

// window holds the finished segments: the last size of them make the
// playlist, up to graceSegments before those are still served.
type window struct {
	size int
	segs []*segment // oldest first, consecutive sequence numbers
	// longest is the longest segment ever published.
	longest time.Duration
}

// push adds the newest segment and drops what falls out of the grace.
func (w *window) push(s *segment) {
	w.segs = append(w.segs, s)
	if n := len(w.segs) - (w.size + graceSegments); n > 0 {
		k := copy(w.segs, w.segs[n:])
		clear(w.segs[k:])
		w.segs = w.segs[:k]
	}
	w.longest = max(w.longest, s.dur)
}

// playlist returns the segments of the playlist, oldest first.
func (w *window) playlist() []*segment {
	return w.segs[max(0, len(w.segs)-w.size):]
}

// lookup returns the segment with sequence number seq, or nil when it is
// gone or does not exist yet.
func (w *window) lookup(seq uint64) *segment {
	if len(w.segs) == 0 || seq < w.segs[0].seq {
		return nil
	}
	if i := seq - w.segs[0].seq; i < uint64(len(w.segs)) {
		return w.segs[i]
	}
	return nil
}
