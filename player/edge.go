package player

import (
	"sync/atomic"
	"time"
)

// edgeTracker follows the newest media read from a source, to find the
// live edge: the newest stream time every played track has reached.
//
// Video counts by its decode timestamp: with B-frames the newest packet's
// presentation time runs ahead of the newest picture that can be decoded
// by the reordering depth (about 100 ms behind x264's default settings,
// OBS's and the ffmpeg CLI's). Audio counts by the end of its newest
// packet: a publisher may send audio behind the pictures of the same time
// (interleaving, an encoder's delay), and a clock anchored at the video's
// edge alone would find every audio block already late — the player
// would drop all of them, about 47 a second of AAC, and play silent.
type edgeTracker struct {
	video, videoAt atomic.Int64 // newest video DTS, when read (ns since open)
	audio, audioAt atomic.Int64 // newest audio packet's end, when read
	hasVideo       atomic.Bool
	hasAudio       atomic.Bool
}

// audioFresh: audio read longer ago than this no longer holds the edge
// back (a publisher that stopped sending sound).
const audioFresh = time.Second

// noteVideo records a video packet with decode time dts read at readAt.
func (e *edgeTracker) noteVideo(dts, readAt time.Duration) {
	e.video.Store(int64(dts))
	e.videoAt.Store(int64(readAt))
	e.hasVideo.Store(true)
}

// noteAudio records an audio packet ending at end, read at readAt.
func (e *edgeTracker) noteAudio(end, readAt time.Duration) {
	e.audio.Store(int64(end))
	e.audioAt.Store(int64(readAt))
	e.hasAudio.Store(true)
}

// newest is the newest media time read of every track (not extrapolated).
func (e *edgeTracker) newest(now time.Duration) time.Duration {
	return e.earliest(time.Duration(e.video.Load()), time.Duration(e.audio.Load()), now)
}

// edge is the live edge at now: each track's newest time plus the time
// since it was read (liveEdgeAt), the earliest of the tracks.
func (e *edgeTracker) edge(now time.Duration) time.Duration {
	return e.earliest(liveEdgeAt(time.Duration(e.video.Load()), time.Duration(e.videoAt.Load()), now),
		liveEdgeAt(time.Duration(e.audio.Load()), time.Duration(e.audioAt.Load()), now), now)
}

// earliest is the earlier of the video time v and audio time a among the
// tracks that count at now.
func (e *edgeTracker) earliest(v, a, now time.Duration) time.Duration {
	switch {
	case !e.hasVideo.Load():
		return a
	case e.audioCounts(now):
		return min(v, a)
	}
	return v
}

func (e *edgeTracker) audioCounts(now time.Duration) bool {
	return e.hasAudio.Load() && now-time.Duration(e.audioAt.Load()) < audioFresh
}
