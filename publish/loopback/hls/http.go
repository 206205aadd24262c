package hls

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// playlistWaitFactor bounds, in target durations, how long a playlist
// request waits for the first segment.
const playlistWaitFactor = 3

// ServeHTTP serves, relative to where the Muxer is mounted (for example
// with http.StripPrefix("/live/NAME/", m)):
//
//   - index.m3u8, the live media playlist, with Cache-Control: no-cache.
//     Before the first segment is finished the request waits for it, up to
//     three target durations and as long as the request's context lives,
//     so that a player may open the stream right after the publisher
//     starts; then it gets 503 Service Unavailable with Retry-After.
//   - segN.ts, segment N as video/mp2t (with Range support), while it is
//     in the playlist or its short grace after; 404 Not Found otherwise.
//
// Anything else is 404, and methods other than GET and HEAD are 405.
func (m *Muxer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !ReadOnly(w, r) {
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == playlistName {
		m.servePlaylist(w, r)
		return
	}
	if seq, ok := parseSegmentName(name); ok {
		m.serveSegment(w, r, seq)
		return
	}
	http.NotFound(w, r)
}

// parseSegmentName returns N of "segN.ts", N written as segmentName
// writes it.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutPrefix(name, "seg")
	if !ok {
		return 0, false
	}
	if digits, ok = strings.CutSuffix(digits, ".ts"); !ok {
		return 0, false
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || segmentName(seq) != name {
		return 0, false
	}
	return seq, true
}

func (m *Muxer) servePlaylist(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	body := m.waitPlaylist(r.Context(), playlistWaitFactor*m.cfg.TargetDuration)
	if body == nil {
		h.Set("Retry-After", "1")
		http.Error(w, "stream has no segment yet", http.StatusServiceUnavailable)
		return
	}
	h.Set("Content-Type", "application/vnd.apple.mpegurl")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// waitPlaylist returns the playlist, waiting up to timeout, or until ctx
// ends, for the first segment. It returns nil when there is none by then.
func (m *Muxer) waitPlaylist(ctx context.Context, timeout time.Duration) []byte {
	var timer *time.Timer
	for {
		m.mu.Lock()
		body, changed := m.playlist, m.changed
		m.mu.Unlock()
		if body != nil {
			return body
		}
		if timer == nil {
			timer = time.NewTimer(timeout)
			defer timer.Stop()
		}
		select {
		case <-changed:
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

func (m *Muxer) serveSegment(w http.ResponseWriter, r *http.Request, seq uint64) {
	m.mu.Lock()
	s := m.window.lookup(seq)
	m.mu.Unlock()
	if s == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "video/mp2t")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.data))
}

// ReadOnly answers a request whose method is neither GET nor HEAD with
// 405 Method Not Allowed (and Allow: GET, HEAD), and says whether the
// request may go on: every media and page answer of the server is read
// only.
func ReadOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}
