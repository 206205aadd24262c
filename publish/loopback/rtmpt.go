package loopback

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"onair/publish/rtmp/rtmpt"
)

// RTMPT: RTMP tunnelled in HTTP POSTs, answered on the HTTP listener (the
// port HLS uses), for networks that let only HTTP out. A client opens a
// session (POST /open/1, the reply is its id), then sends bytes (POST
// /send/ID/SEQ) and polls (POST /idle/ID/SEQ); each reply is one byte,
// the polling interval, then whatever the server has queued; POST
// /close/ID/SEQ ends it. Each session is an RTMP session like a TCP one
// (an rtmpt.Pipe). Latency: an idle poll is answered as soon as something is
// queued, or after rtmptIdleHold with nothing, rather than at a fixed
// polling interval.

const (
	// rtmptIdleHold: how long an idle poll waits for something to send.
	rtmptIdleHold = 200 * time.Millisecond
	// rtmptSendHold: how long a send waits when nothing is queued yet
	// (the session's answer to what was just sent is usually that close).
	rtmptSendHold = 10 * time.Millisecond
	// rtmptTimeout: a session with no request for this long is closed.
	rtmptTimeout = 30 * time.Second
	// rtmptMaxOut: what may wait for a client before the session's
	// writes wait (and, past its write timeout, drop the client).
	rtmptMaxOut = 4 << 20
	// rtmptMaxBody: the largest POST body taken.
	rtmptMaxBody = 16 << 20
	// rtmptPoll is the polling interval byte of every reply (the client
	// may poll again at once: idle polls are held here instead).
	rtmptPoll = 0x01
)

// ErrRTMPTRequest is what a malformed RTMPT request is answered with
// (400); an unknown session is a 404.
var ErrRTMPTRequest = errors.New("bad RTMPT request")

// rtmptSession is one RTMPT client.
type rtmptSession struct {
	id       string
	conn     *rtmpt.Pipe
	lastSeq  int64 // -1 before the first
	lastSeen time.Time
}

// rtmptRequest is a parsed RTMPT path.
type rtmptRequest struct {
	cmd string // open, send, idle, close
	id  string
	seq int64
}

// parseRTMPTPath reads /open/N, /send/ID/SEQ, /idle/ID/SEQ and
// /close/ID/SEQ.
func parseRTMPTPath(p string) (rtmptRequest, error) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "open":
		return rtmptRequest{cmd: "open"}, nil
	case len(parts) == 3 && (parts[0] == "send" || parts[0] == "idle" || parts[0] == "close"):
		if parts[1] == "" || len(parts[1]) > 64 {
			return rtmptRequest{}, fmt.Errorf("%w: session id %q", ErrRTMPTRequest, parts[1])
		}
		seq, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil || seq < 0 {
			return rtmptRequest{}, fmt.Errorf("%w: sequence number %q", ErrRTMPTRequest, parts[2])
		}
		return rtmptRequest{cmd: parts[0], id: parts[1], seq: seq}, nil
	}
	return rtmptRequest{}, fmt.Errorf("%w: path %q", ErrRTMPTRequest, p)
}

// serveRTMPT answers the RTMPT paths.
func (s *Server) serveRTMPT(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "RTMPT needs POST", http.StatusMethodNotAllowed)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/fcs/") { // Flash's probe: not a Flash Media Server
		http.NotFound(w, r)
		return
	}
	req, err := parseRTMPTPath(r.URL.Path)
	if err != nil {
		s.log.Info("rtmpt: refused", "remote", r.RemoteAddr, "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, rtmptMaxBody+1))
	if err != nil {
		return
	}
	if len(body) > rtmptMaxBody {
		http.Error(w, "RTMPT body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if req.cmd == "open" {
		s.openRTMPT(w, r)
		return
	}
	sess, err := s.rtmptSession(req)
	if err != nil {
		level := slog.LevelInfo
		if req.cmd == "close" && errors.Is(err, errRTMPTUnknown) {
			level = slog.LevelDebug // a client closing a session that has ended
		}
		s.log.Log(r.Context(), level, "rtmpt: refused", "remote", r.RemoteAddr, "err", err)
		code := http.StatusBadRequest
		if errors.Is(err, errRTMPTUnknown) {
			code = http.StatusNotFound
		}
		http.Error(w, err.Error(), code)
		return
	}
	var out []byte
	switch req.cmd {
	case "send":
		sess.conn.Feed(body)
		out = sess.conn.Take(rtmptSendHold)
	case "idle":
		out = sess.conn.Take(rtmptIdleHold)
	case "close":
		sess.conn.Close()
	}
	if sess.conn.Drained() { // the client has all: later requests are 404s
		s.mu.Lock()
		delete(s.tunnels, req.id)
		s.mu.Unlock()
	}
	reply := make([]byte, 0, 1+len(out))
	reply = append(append(reply, rtmptPoll), out...)
	writeFCS(w, reply)
}

var errRTMPTUnknown = fmt.Errorf("%w: unknown session", ErrRTMPTRequest)

// rtmptSession finds the request's session and checks its sequence
// number: each request's is above the previous one's.
func (s *Server) rtmptSession(req rtmptRequest) (*rtmptSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.tunnels[req.id]
	if sess == nil {
		return nil, fmt.Errorf("%w %q", errRTMPTUnknown, req.id)
	}
	if req.seq <= sess.lastSeq {
		return nil, fmt.Errorf("%w: sequence number %d after %d in session %s", ErrRTMPTRequest, req.seq, sess.lastSeq, req.id)
	}
	sess.lastSeq, sess.lastSeen = req.seq, time.Now()
	return sess, nil
}

// openRTMPT starts a session and answers its id.
func (s *Server) openRTMPT(w http.ResponseWriter, r *http.Request) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		http.Error(w, "no session id", http.StatusInternalServerError)
		return
	}
	id := strconv.FormatUint(binary.BigEndian.Uint64(b[:])>>1, 10)
	var local net.Addr = rtmpt.Addr("")
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		local = a
	}
	conn := rtmpt.NewPipe(local, rtmpt.Addr(r.RemoteAddr), rtmptMaxOut)
	sess := &rtmptSession{id: id, conn: conn, lastSeq: -1, lastSeen: time.Now()}
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		http.Error(w, "server closing", http.StatusServiceUnavailable)
		return
	}
	s.tunnels[id] = sess
	s.conns[conn] = struct{}{}
	s.mu.Unlock()
	s.log.Debug("rtmpt session", "id", id, "remote", r.RemoteAddr)
	// The session stays in the table until the client has taken what
	// the RTMP session wrote last (the end of the stream): serveRTMPT or
	// the reaper removes it then.
	s.goServeRTMP(conn)
	writeFCS(w, []byte(id+"\n"))
}

// writeFCS writes an RTMPT reply with its length (librtmp reads
// Content-Length; a chunked reply would not do).
func writeFCS(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/x-fcs")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// reapRTMPT closes sessions whose client stopped asking and forgets
// those that ended and were taken (or were left untaken too long); the
// server's goroutine until it closes.
func (s *Server) reapRTMPT() {
	t := time.NewTicker(rtmptTimeout / 6)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		for id, sess := range s.tunnels {
			idle := time.Since(sess.lastSeen) > rtmptTimeout
			if idle && !sess.conn.Done() {
				s.log.Info("rtmpt: session timed out", "id", id, "remote", sess.conn.RemoteAddr())
				sess.conn.Close()
			}
			if idle || sess.conn.Drained() {
				delete(s.tunnels, id)
			}
		}
		s.mu.Unlock()
	}
}
