package loopback

import (
	"bufio"
	"errors"
	"net/http"
	"time"

	"onair/publish/flv"
)

// serveFLV streams name as FLV over HTTP until the viewer goes, the stream
// ends or the server closes. Timestamps start at 0 for each viewer.
func (s *Server) serveFLV(w http.ResponseWriter, r *http.Request, name string) {
	if err := s.allow(r.Context(), hookEvent{Action: "play", Stream: name, Client: r.RemoteAddr, Protocol: "http-flv", Query: r.URL.RawQuery}); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	rd, err := s.hub.Play(name, "flv")
	if err != nil {
		status := http.StatusNotFound
		if errors.Is(err, ErrClosed) {
			status = http.StatusServiceUnavailable
		}
		http.Error(w, "no live stream named "+name, status)
		return
	}
	defer s.hub.Leave(name, rd)
	var sent countBytes
	leave := s.addClient(&client{role: "play", proto: "http-flv", remote: r.RemoteAddr, stream: name, bytes: sent.load,
		kick: func() { s.hub.Leave(name, rd) }})
	defer leave()
	s.log.Info("play", "proto", "http-flv", "stream", name, "remote", r.RemoteAddr)
	defer s.log.Info("play ended", "proto", "http-flv", "stream", name, "remote", r.RemoteAddr, "dropped", rd.Dropped())

	h := w.Header()
	h.Set("Content-Type", "video/x-flv")
	h.Set("Cache-Control", "no-cache")
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := flv.WriteHeader(bw, true, true); err != nil {
		return
	}
	var tl timeline
	var buf []*Unit
	for {
		buf = rd.Next(buf)
		for _, u := range buf {
			if err := flv.WriteTag(bw, flv.TagType(u.Kind), tl.ms(u), u.Body); err != nil {
				return
			}
			sent.add(len(u.Body) + 15) // the tag header and its size
		}
		if len(buf) > 0 {
			_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
			if bw.Flush() != nil || rc.Flush() != nil {
				return
			}
			continue
		}
		select {
		case <-r.Context().Done():
			return
		case <-rd.Done():
			// Send what is left, then end the response.
			for _, u := range rd.Next(buf) {
				_ = flv.WriteTag(bw, flv.TagType(u.Kind), tl.ms(u), u.Body)
			}
			_ = bw.Flush()
			return
		case <-rd.Ready():
		}
	}
}
