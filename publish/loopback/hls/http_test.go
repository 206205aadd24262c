package hls

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/media"
)

// TestPlaylistWaitsForFirstSegment: a player that asks for the playlist
// right after the publisher starts gets it once the first segment is
// there, not an error.
func TestPlaylistWaitsForFirstSegment(t *testing.T) {
	m := newTestMuxer(t, MuxerConfig{Video: synthVideoConfig(), Audio: synthAudioConfig(t)})
	srv := httptest.NewServer(http.StripPrefix("/live/test/", m))
	defer srv.Close()

	type result struct {
		code    int
		body    string
		header  http.Header
		elapsed time.Duration
		err     error
	}
	done := make(chan result, 1)
	begin := time.Now()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, err := http.Get(srv.URL + "/live/test/index.m3u8")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		done <- result{res.StatusCode, string(body), res.Header, time.Since(begin), err}
	}()
	defer wg.Wait()

	// The request is waiting: no answer yet.
	time.Sleep(300 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("answered before any segment: %d %q %v", r.code, r.body, r.err)
	default:
	}
	// The publisher starts: the first keyframe of the second second cuts
	// the first segment.
	writeAll(t, m, synthStream(0, 1100*time.Millisecond, true, true))

	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.code != http.StatusOK || !strings.HasSuffix(r.body, "#EXTINF:1.000,\nseg0.ts\n") {
		t.Fatalf("%d\n%s", r.code, r.body)
	}
	if r.elapsed < 300*time.Millisecond {
		t.Errorf("answered after %v", r.elapsed)
	}
	if ct, cc := r.header.Get("Content-Type"), r.header.Get("Cache-Control"); ct != "application/vnd.apple.mpegurl" || cc != "no-cache" {
		t.Errorf("Content-Type %q, Cache-Control %q", ct, cc)
	}
	res, err := http.Get(srv.URL + "/live/test/seg0.ts")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || len(body) == 0 || len(body)%tsPacketSize != 0 {
		t.Errorf("seg0.ts: %d, %d bytes", res.StatusCode, len(body))
	}
}

// TestPlaylistWaitEnds: without segments the wait ends after three target
// durations with 503, or when the request is cancelled; after Close the
// playlist is there at once.
func TestPlaylistWaitEnds(t *testing.T) {
	m := newTestMuxer(t, MuxerConfig{Video: synthVideoConfig(), TargetDuration: 100 * time.Millisecond})
	begin := time.Now()
	code, h, _ := get(t, m, http.MethodGet, "index.m3u8")
	if elapsed := time.Since(begin); code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" ||
		elapsed < 300*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("%d after %v, Retry-After %q", code, elapsed, h.Get("Retry-After"))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	begin = time.Now()
	m.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/index.m3u8", nil).WithContext(ctx))
	if elapsed := time.Since(begin); !errors.Is(ctx.Err(), context.DeadlineExceeded) || elapsed > 250*time.Millisecond {
		t.Errorf("cancelled request answered after %v", elapsed)
	}

	m.Close()
	begin = time.Now()
	code, _, body := get(t, m, http.MethodGet, "index.m3u8")
	if code != http.StatusOK || !strings.HasSuffix(string(body), "#EXT-X-ENDLIST\n") || time.Since(begin) > 100*time.Millisecond {
		t.Errorf("after Close: %d\n%s", code, body)
	}
}

func TestServeHTTPRoutes(t *testing.T) {
	m := newTestMuxer(t, MuxerConfig{Video: synthVideoConfig(), Audio: synthAudioConfig(t)})
	writeAll(t, m, synthStream(0, 2500*time.Millisecond, true, true))

	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{http.MethodGet, "/index.m3u8", http.StatusOK},
		{http.MethodGet, "index.m3u8", http.StatusOK},
		{http.MethodGet, "/seg0.ts", http.StatusOK},
		{http.MethodGet, "/seg1.ts", http.StatusOK},
		{http.MethodGet, "/seg2.ts", http.StatusNotFound}, // being written
		{http.MethodGet, "/seg00.ts", http.StatusNotFound},
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodGet, "/index.m3u", http.StatusNotFound},
		{http.MethodGet, "/a/index.m3u8", http.StatusNotFound},
		{http.MethodPost, "/index.m3u8", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/seg0.ts", http.StatusMethodNotAllowed},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(tc.method, "/", nil)
			req.URL.Path = tc.path
			m.ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Errorf("%s %s: %d, want %d", tc.method, tc.path, rec.Code, tc.code)
			}
		})
	}

	// HEAD: headers only.
	code, h, body := get(t, m, http.MethodHead, "index.m3u8")
	if code != http.StatusOK || len(body) != 0 || h.Get("Content-Length") == "" {
		t.Errorf("HEAD playlist: %d, %d bytes, Content-Length %q", code, len(body), h.Get("Content-Length"))
	}
	// Ranges of a segment.
	_, _, whole := get(t, m, http.MethodGet, "seg1.ts")
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/seg1.ts", nil)
	req.Header.Set("Range", "bytes=188-375")
	m.ServeHTTP(rec, req)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != string(whole[188:376]) ||
		rec.Header().Get("Content-Type") != "video/mp2t" {
		t.Errorf("range: %d, %d bytes, %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Type"))
	}
}

// TestServeHTTPConcurrent reads the playlist and segments from many
// goroutines while packets are written: for the race detector.
func TestServeHTTPConcurrent(t *testing.T) {
	m := newTestMuxer(t, MuxerConfig{Video: synthVideoConfig(), Audio: synthAudioConfig(t),
		TargetDuration: 100 * time.Millisecond, WindowSize: 2})
	ps := synthStream(0, 5*time.Second, true, true)
	for _, p := range ps {
		if p.Codec == media.CodecH264 && p.DTS%(100*time.Millisecond) == 0 {
			p.Key = true // a keyframe every 100 ms: many segments
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				rec := httptest.NewRecorder()
				m.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/index.m3u8", nil))
				for _, line := range strings.Split(rec.Body.String(), "\n") {
					if strings.HasSuffix(line, ".ts") {
						m.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/"+line, nil))
					}
				}
			}
		}()
	}
	writeAll(t, m, ps)
	m.Close()
	close(stop)
	wg.Wait()
	if n := len(held(m)); n > 2+graceSegments {
		t.Errorf("%d segments held", n)
	}
}
