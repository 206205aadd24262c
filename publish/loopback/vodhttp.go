package loopback

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"onair/internal/media"
	"onair/publish/loopback/hls"
)

// vodSegmentTarget is the shortest HLS segment of a recording: it is cut
// at the first keyframe this long after the segment began.
const vodSegmentTarget = 4 * time.Second

// vodPlanCache bounds how many recordings' HLS plans are kept.
const vodPlanCache = 64

// vodPlan is how a recording is cut into HLS segments: where each begins,
// and where the last ends. It holds for one size and modification time of
// the file.
type vodPlan struct {
	size   int64
	mod    time.Time
	starts []time.Duration
	end    time.Duration
}

// serveVOD serves /vod/FILE (the file, with byte ranges),
// /vod/FILE/index.m3u8 and /vod/FILE/segN.ts (HLS).
func (s *Server) serveVOD(w http.ResponseWriter, r *http.Request) {
	if s.cfg.VODDir == "" {
		http.Error(w, ErrVODOff.Error(), http.StatusNotFound)
		return
	}
	if !hls.ReadOnly(w, r) {
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/vod/")
	if name, ok := strings.CutSuffix(rest, "/index.m3u8"); ok {
		s.serveVODPlaylist(w, r, name)
		return
	}
	if dir, file := path.Split(rest); dir != "" {
		if seq, ok := hls.ParseSegmentName(file); ok {
			s.serveVODSegment(w, r, strings.TrimSuffix(dir, "/"), seq)
			return
		}
	}
	s.serveVODFile(w, r, rest)
}

// vodError answers a request for a recording that cannot be served.
func vodError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrVODNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrBadVODPath):
		status = http.StatusBadRequest
	case errors.Is(err, ErrVODUnreadable), errors.Is(err, hls.ErrUnsupportedCodec):
		status = http.StatusUnsupportedMediaType
	}
	http.Error(w, err.Error(), status)
}

func (s *Server) serveVODFile(w http.ResponseWriter, r *http.Request, name string) {
	p, err := vodPath(s.cfg.VODDir, name)
	if err != nil {
		vodError(w, err)
		return
	}
	if err := s.allow(r.Context(), hookEvent{Action: "play", Stream: "vod/" + name, Client: r.RemoteAddr, Protocol: "http", Query: r.URL.RawQuery}); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		vodError(w, fmt.Errorf("%q: %w", name, ErrVODNotFound))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		vodError(w, err)
		return
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".flv":
		w.Header().Set("Content-Type", "video/x-flv")
	case ".mp4":
		w.Header().Set("Content-Type", "video/mp4")
	}
	http.ServeContent(w, r, path.Base(name), st.ModTime(), f)
}

func (s *Server) serveVODPlaylist(w http.ResponseWriter, r *http.Request, name string) {
	plan, _, err := s.vodPlan(name)
	if err != nil {
		vodError(w, err)
		return
	}
	if err := s.allow(r.Context(), hookEvent{Action: "play", Stream: "vod/" + name, Client: r.RemoteAddr, Protocol: "hls", Query: r.URL.RawQuery}); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	durs := make([]time.Duration, len(plan.starts))
	for i, st := range plan.starts {
		end := plan.end
		if i+1 < len(plan.starts) {
			end = plan.starts[i+1]
		}
		durs[i] = max(end-st, time.Millisecond)
	}
	w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
	_, _ = w.Write(hls.VODPlaylist(durs))
}

// vodPlan cuts the recording name into segments at its keyframes (with no
// video, every vodSegmentTarget), or takes the cut made before for the
// same file; it also returns the file's path.
func (s *Server) vodPlan(name string) (*vodPlan, string, error) {
	p, err := vodPath(s.cfg.VODDir, name)
	if err != nil {
		return nil, "", err
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, "", fmt.Errorf("%q: %w", name, ErrVODNotFound)
	}
	s.mu.Lock()
	plan := s.vodPlans[p]
	s.mu.Unlock()
	if plan != nil && plan.size == st.Size() && plan.mod.Equal(st.ModTime()) {
		return plan, p, nil
	}
	f, err := openVOD(p)
	if err != nil {
		return nil, "", fmt.Errorf("%q: %w", name, err)
	}
	defer f.close()
	if err := hlsTracks(f); err != nil {
		return nil, "", fmt.Errorf("%q: %w", name, err)
	}
	keys, err := f.src.keyframes()
	if err != nil {
		return nil, "", fmt.Errorf("%q: %w", name, err)
	}
	plan = &vodPlan{size: st.Size(), mod: st.ModTime(), end: f.duration, starts: cutPlan(keys, f.video, f.duration)}
	s.mu.Lock()
	if len(s.vodPlans) >= vodPlanCache {
		clear(s.vodPlans)
	}
	s.vodPlans[p] = plan
	s.mu.Unlock()
	return plan, p, nil
}

// cutPlan is where the segments begin: at the first keyframe, then at the
// first keyframe vodSegmentTarget or more after the last cut; with no
// video, every vodSegmentTarget.
func cutPlan(keys []time.Duration, video bool, end time.Duration) []time.Duration {
	if !video || len(keys) == 0 {
		starts := []time.Duration{0}
		for t := vodSegmentTarget; t < end; t += vodSegmentTarget {
			starts = append(starts, t)
		}
		return starts
	}
	starts := []time.Duration{keys[0]}
	for _, k := range keys[1:] {
		if k-starts[len(starts)-1] >= vodSegmentTarget {
			starts = append(starts, k)
		}
	}
	return starts
}

// hlsTracks checks that f's tracks are H.264 and AAC, what the HLS muxer
// carries.
func hlsTracks(f *vodFile) error {
	cfg, _ := vodTracks(f)
	_, err := hls.NewMuxer(cfg)
	return err
}

// vodTracks are f's tracks as the HLS muxer takes them, and the NAL unit
// length size of its pictures.
func vodTracks(f *vodFile) (hls.MuxerConfig, int) {
	var cfg hls.MuxerConfig
	lengthSize := 4
	for _, h := range f.headers {
		switch h.Kind {
		case KindVideo:
			cfg.Video, lengthSize = videoCodecConfig(h)
		case KindAudio:
			cfg.Audio = audioCodecConfig(h)
		}
	}
	return cfg, lengthSize
}

// vodSlack is how far past a segment's end its media is looked for: audio
// and video are interleaved in a file, not cut at the same byte.
const vodSlack = 2 * time.Second

func (s *Server) serveVODSegment(w http.ResponseWriter, r *http.Request, name string, seq uint64) {
	plan, p, err := s.vodPlan(name)
	if err != nil {
		vodError(w, err)
		return
	}
	if seq >= uint64(len(plan.starts)) {
		http.NotFound(w, r)
		return
	}
	start, end := plan.starts[seq], plan.end+time.Hour // the last takes all that is left
	if seq+1 < uint64(len(plan.starts)) {
		end = plan.starts[seq+1]
	}
	f, err := openVOD(p)
	if err != nil {
		vodError(w, fmt.Errorf("%q: %w", name, err))
		return
	}
	defer f.close()
	cfg, lengthSize := vodTracks(f)
	cfg.Logger = s.log
	if err := f.src.seek(start); err != nil {
		vodError(w, err)
		return
	}
	data, err := hls.Segment(cfg, func() (*media.Packet, error) {
		for {
			if r.Context().Err() != nil {
				return nil, r.Context().Err()
			}
			u, err := f.src.next()
			if errors.Is(err, io.EOF) || err == nil && u.DTS >= end+vodSlack {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			if u.Header || u.DTS < start || u.DTS >= end {
				continue
			}
			if pk := unitPacket(u, lengthSize); pk != nil {
				return pk, nil
			}
		}
	})
	if err != nil {
		if r.Context().Err() == nil {
			s.log.Warn("vod hls segment failed", "vod", name, "segment", seq, "err", err)
			vodError(w, err)
		}
		return
	}
	w.Header().Set("Content-Type", "video/mp2t")
	_, _ = w.Write(data)
}
