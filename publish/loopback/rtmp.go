package loopback

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"onair/publish/rtmp"
)

// ErrBadKey is what a publisher without the right ?key= is told.
var ErrBadKey = errors.New("wrong or missing publish key")

// acceptRTMP serves the RTMP (or, over a TLS listener, RTMPS) sessions
// ln accepts. A TLS handshake happens on the session's first read, under
// its handshake deadline.
func (s *Server) acceptRTMP(ln net.Listener, what string) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.ctx.Done():
			default:
				s.fail(fmt.Errorf("%s accept: %w", what, err))
			}
			return
		}
		s.mu.Lock()
		s.conns[nc] = struct{}{}
		s.mu.Unlock()
		s.goServeRTMP(nc)
	}
}

// goServeRTMP serves nc (already in s.conns) on a goroutine of the
// server; at the end nc leaves s.conns and is closed.
func (s *Server) goServeRTMP(nc net.Conn) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
			nc.Close()
		}()
		s.serveRTMP(nc)
	}()
}

// rtmpConn is the per-connection state behind rtmp.ServerHandler.
type rtmpConn struct {
	srv  *Server
	sess *rtmp.ServerSession

	name string
	pub  *Publication
	in   countBytes // media received while publishing
	// Playing.
	reader *Reader
	vod    *vodPlay // playing a recording (app vod)
	wg     sync.WaitGroup
	// leave removes the connection from the server's clients.
	leave func()
}

func (s *Server) serveRTMP(nc net.Conn) {
	c := &rtmpConn{srv: s}
	c.sess = rtmp.NewServerSession(nc, rtmp.ServerConfig{WriteTimeout: s.cfg.WriteTimeout, Enhanced: forwardedFourCCs(), Logger: s.log})
	s.log.Debug("rtmp connection", "remote", c.sess.RemoteAddr())
	err := c.sess.Serve(c)
	c.sess.Close()
	c.wg.Wait()
	if c.leave != nil {
		c.leave()
	}
	if err != nil {
		s.log.Info("rtmp connection ended", "remote", c.sess.RemoteAddr(), "err", err)
	}
}

// streamName splits "name?key=K&…" into the name and its key.
func streamName(raw string) (name, key string) {
	name, query, _ := strings.Cut(raw, "?")
	if v, err := url.ParseQuery(query); err == nil {
		key = v.Get("key")
	}
	return name, key
}

// queryOf is the query of a stream name ("" without one).
func queryOf(raw string) string {
	_, q, _ := strings.Cut(raw, "?")
	return q
}

func (c *rtmpConn) OnPublish(sess *rtmp.ServerSession, app, raw string) error {
	remote := sess.RemoteAddr()
	name, pub, err := c.srv.admitPublish(app, raw, remote, "rtmp", sess.Close)
	if err != nil {
		return err
	}
	c.name, c.pub = name, pub
	c.leave = c.srv.addClient(&client{role: "publish", proto: "rtmp", remote: remote, stream: name, bytes: c.in.load, kick: sess.Close})
	c.srv.startPublication(name, remote, "rtmp")
	return nil
}

// admitPublish checks a publish of raw (name and query) in app from remote
// over proto (the app, the name, the publish key, bans, the hook) and
// takes the name in the hub; kick ends the publisher's connection.
func (s *Server) admitPublish(app, raw, remote, proto string, kick func()) (string, *Publication, error) {
	name, key := streamName(raw)
	if app != "live" {
		s.log.Warn("publish refused: unknown app", "app", app, "remote", remote)
		return "", nil, fmt.Errorf("unknown application %q, use /live", app)
	}
	if name == "" || strings.ContainsAny(name, "/\\") {
		return "", nil, fmt.Errorf("bad stream name")
	}
	if s.cfg.PublishKey != "" && key != s.cfg.PublishKey {
		s.log.Warn("publish refused: wrong or missing publish key", "stream", name, "remote", remote)
		return "", nil, ErrBadKey
	}
	if err := s.banned(name); err != nil {
		s.log.Info("publish refused: banned", "stream", name, "remote", remote)
		return "", nil, err
	}
	if err := s.allow(s.ctx, hookEvent{Action: "publish", Stream: name, Client: remote, Protocol: proto, Query: queryOf(raw)}); err != nil {
		return "", nil, err
	}
	pub, err := s.hub.Publish(name, remote, kick)
	if err != nil {
		return "", nil, err
	}
	return name, pub, nil
}

// endPublication ends a publication: the hub lets its viewers go, and
// the log, the unpublish hook and the snapshots hear of it.
func (s *Server) endPublication(name, remote, proto string, pub *Publication) {
	pub.Close()
	s.log.Info("unpublish", "stream", name, "proto", proto)
	s.tell(hookEvent{Action: "unpublish", Stream: name, Client: remote, Protocol: proto})
	s.forgetSnapshots(name)
}

// startPublication starts what a new publication feeds: HLS, the
// recording, the transcoder.
func (s *Server) startPublication(name, remote, proto string) {
	s.startHLS(name)
	s.startRecording(name)
	s.startTranscode(name)
	s.log.Info("publish", "stream", name, "remote", remote, "proto", proto)
}

func (c *rtmpConn) OnMedia(typeID uint8, ts uint32, payload []byte) {
	if c.pub != nil {
		writePublished(c.pub, &c.in, typeID, ts, payload)
	}
}

// writePublished feeds a publisher's audio, video or data message (an
// FLV tag body; data without its @setDataFrame) into the hub, counting
// its bytes in in: the same for every protocol a publisher comes by.
func writePublished(pub *Publication, in *countBytes, typ uint8, ts uint32, payload []byte) {
	in.add(len(payload))
	if Kind(typ) == KindData {
		payload = rtmp.StripSetDataFrame(payload)
	}
	pub.Write(&Unit{Kind: Kind(typ), DTS: time.Duration(ts) * time.Millisecond, Body: payload})
}

func (c *rtmpConn) OnPlay(sess *rtmp.ServerSession, app, raw string) error {
	if candidates, ok := rtmpVODName(app, raw); ok {
		return c.startVOD(sess, candidates)
	}
	name, _ := streamName(raw)
	if err := c.srv.allow(c.srv.ctx, hookEvent{Action: "play", Stream: name, Client: sess.RemoteAddr(), Protocol: "rtmp", Query: queryOf(raw)}); err != nil {
		return err
	}
	r, err := c.srv.hub.Play(name, "rtmp")
	if err != nil {
		return fmt.Errorf("no live stream named %q", name)
	}
	c.name, c.reader = name, r
	c.leave = c.srv.addClient(&client{role: "play", proto: "rtmp", remote: sess.RemoteAddr(), stream: name, bytes: sess.BytesSent, kick: sess.Close})
	c.srv.log.Info("play", "proto", "rtmp", "stream", name, "remote", sess.RemoteAddr())
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.send(sess, r)
	}()
	return nil
}

// send writes the reader's units to a player until either side ends. Once
// the player is playing, units the publisher's goroutine can write at once
// go straight out (rtmpViewer.tryWrite); this goroutine sends the rest,
// blocking: the cached GOP at the start, and whatever piles up while the
// player's socket is full.
func (c *rtmpConn) send(sess *rtmp.ServerSession, r *Reader) {
	defer sess.Close()
	select {
	case <-sess.Playing():
	case <-sess.Done():
		return
	}
	v := &rtmpViewer{sess: sess}
	r.setDirect(v)
	var buf []*Unit
	for {
		if sess.Flush() != nil {
			return
		}
		buf = r.Next(buf)
		if len(buf) > 0 {
			if v.write(buf) != nil {
				return
			}
			continue
		}
		select {
		case <-sess.Done():
			return
		case <-r.Done():
			_ = v.write(r.Next(buf))
			return
		case <-r.Ready():
		}
	}
}

// rtmpViewer turns a viewer's units into RTMP messages on its timeline.
// Whoever holds the units uses it: the publisher's goroutine through the
// Reader's direct hand-off while the viewer's goroutine is idle, otherwise
// that goroutine; the Reader's lock orders the two.
type rtmpViewer struct {
	sess  *rtmp.ServerSession
	tl    timeline
	batch []rtmp.Out
}

func (v *rtmpViewer) out(u *Unit) rtmp.Out {
	return rtmp.Out{Timestamp: v.tl.ms(u), Prepared: u.prepared(v.sess.ChunkSize())}
}

// tryWrite is the Reader's direct hand-off: it never blocks.
func (v *rtmpViewer) tryWrite(units []*Unit) (taken, wake bool) {
	var outs [rtmp.MaxFastMessages]rtmp.Out
	n := 0
	for _, u := range units {
		if n == len(outs) {
			break
		}
		outs[n] = v.out(u)
		n++
	}
	if n < len(units) {
		return false, false // never more than maxHeld+1 from the Reader
	}
	return v.sess.TryWritePrepared(outs[:n]...)
}

// write sends units, blocking up to the write timeout.
func (v *rtmpViewer) write(units []*Unit) error {
	if len(units) == 0 {
		return v.sess.Flush()
	}
	for _, u := range units {
		v.batch = append(v.batch, v.out(u))
	}
	err := v.sess.WritePrepared(v.batch)
	clear(v.batch) // hold no payload
	v.batch = v.batch[:0]
	return err
}

func (c *rtmpConn) OnStop() {
	if c.pub != nil {
		c.srv.endPublication(c.name, c.sess.RemoteAddr(), "rtmp", c.pub)
		c.pub = nil
	}
	if c.vod != nil {
		c.srv.log.Info("play ended", "proto", "rtmp", "stream", c.name)
	}
	if c.reader != nil {
		c.srv.hub.Leave(c.name, c.reader)
		c.srv.log.Info("play ended", "proto", "rtmp", "stream", c.name, "dropped", c.reader.Dropped())
	}
}

// timeline rebases a viewer's timestamps so that its first media unit is
// at 0; headers go at 0.
type timeline struct {
	base time.Duration
	have bool
}

func (t *timeline) ms(u *Unit) uint32 {
	if u.Header {
		return 0
	}
	if !t.have {
		t.base, t.have = u.DTS, true
	}
	if u.DTS <= t.base {
		return 0
	}
	return uint32((u.DTS - t.base) / time.Millisecond)
}

// forwardedFourCCs are the Enhanced RTMP codecs the server relays to RTMP
// and HTTP-FLV viewers: it passes tags on as they come, so any codec; the
// list names those OnAir's player decodes.
func forwardedFourCCs() []string {
	return []string{"avc1", "hvc1", "av01", "mp4a", "Opus"}
}
