package rtmfp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"onair/publish/flv"
)

// Handler is what a server does with its NetConnections' streams. Its
// methods are called from the connection's goroutine, in order; OnMedia
// may be called with the session's lock held and must not block.
type Handler interface {
	// OnPublish is asked before a publish of name (with any query) in app;
	// an error refuses it, and its text is the status's description.
	OnPublish(c *ServerConn, app, name string) error
	// OnMedia gets each audio (8), video (9) and data (18) message of a
	// stream being published.
	OnMedia(c *ServerConn, typ uint8, ts uint32, payload []byte)
	// OnPlay is asked before a play of name in app; an error refuses it.
	// On success the handler sends with c.WriteMedia until c.Done.
	OnPlay(c *ServerConn, app, name string) error
	// OnClose: the connection ended (after OnPublish or OnPlay).
	OnClose(c *ServerConn)
}

// ServerConfig configures Listen. Zero fields take the defaults.
type ServerConfig struct {
	// Handler receives the streams. Required.
	Handler Handler
	// Logger receives the server's lines; nil discards them.
	Logger *slog.Logger
	// MaxSessions bounds the open sessions (default 1000): beyond it an
	// IIKeying is not answered.
	MaxSessions int
}

// Server is an RTMFP server on one UDP socket: the responder's
// handshake, then a NetConnection per session.
type Server struct {
	cfg  ServerConfig
	log  *slog.Logger
	udp  *net.UDPConn
	resp *responder

	mu       sync.Mutex
	sessions map[[4]byte]*ServerConn
	byIIK    map[string]*ServerConn // addr + ISID: a repeated IIKeying gets the same answer
	closed   bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Listen starts a server on addr (UDP host:port).
func Listen(addr string, cfg ServerConfig) (*Server, error) {
	if cfg.Handler == nil {
		return nil, errors.New("rtmfp: a server needs a Handler")
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = 1000
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("rtmfp: %w", err)
	}
	udp, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("rtmfp: %w", err)
	}
	resp, err := newResponder()
	if err != nil {
		udp.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, udp: udp, resp: resp,
		sessions: map[[4]byte]*ServerConn{}, byIIK: map[string]*ServerConn{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(2)
	go s.readLoop()
	go s.reap()
	return s, nil
}

// Addr is the UDP address the server listens on.
func (s *Server) Addr() *net.UDPAddr { return s.udp.LocalAddr().(*net.UDPAddr) }

// Fingerprint is the SHA-256 of the server's certificate, in hex: a client
// may name the server by it.
func (s *Server) Fingerprint() string { return fmt.Sprintf("%x", s.resp.fingerprint) }

// Sessions is how many sessions are open.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close ends every session (a close request each), stops the socket and
// waits for the server's goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	conns := make([]*ServerConn, 0, len(s.sessions))
	for _, c := range s.sessions {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() { defer wg.Done(); c.shutdown() }()
	}
	wg.Wait()
	s.cancel()
	_ = s.udp.Close()
	s.wg.Wait()
	return nil
}

func (s *Server) readLoop() {
	defer s.wg.Done()
	buf := make([]byte, 8192)
	def := newDefaultCrypto()
	for {
		n, addr, err := s.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		sid, ok := sessionID(buf[:n])
		if !ok {
			continue
		}
		if sid == [4]byte{} {
			d := append([]byte(nil), buf[:n]...)
			p, err := def.open(d)
			if err != nil {
				continue
			}
			s.startup(p, addr)
			continue
		}
		s.mu.Lock()
		c := s.sessions[sid]
		s.mu.Unlock()
		if c == nil {
			continue
		}
		p, err := c.rx.open(buf[:n])
		if err != nil {
			c.sess.mu.Lock()
			c.sess.stats.BadPackets++
			c.sess.mu.Unlock()
			continue
		}
		c.setAddr(addr)
		c.sess.receive(p)
	}
}

// startup handles a handshake packet from addr.
func (s *Server) startup(p []byte, addr netip.AddrPort) {
	h, chunks, _ := parsePacket(p)
	if h.mode() != modeStartup {
		return
	}
	for _, c := range chunks {
		switch c.typ {
		case chunkIHello:
			if d := s.resp.ihello(c.body, addr); d != nil {
				_, _ = s.udp.WriteToUDPAddrPort(d, addr)
			}
			return // one hello per packet
		case chunkIIKeying:
			s.iikeying(c.body, addr)
			return
		}
	}
}

func (s *Server) iikeying(body []byte, addr netip.AddrPort) {
	if len(body) < 4 {
		return
	}
	key := addr.String() + string(body[:4])
	s.mu.Lock()
	if c := s.byIIK[key]; c != nil {
		s.mu.Unlock()
		_, _ = s.udp.WriteToUDPAddrPort(c.rikeying, addr) // our answer was lost
		return
	}
	full := s.closed || len(s.sessions) >= s.cfg.MaxSessions
	s.mu.Unlock()
	if full {
		return
	}
	var rsid [4]byte
	for {
		if _, err := rand.Read(rsid[:]); err != nil {
			return
		}
		s.mu.Lock()
		_, taken := s.sessions[rsid]
		s.mu.Unlock()
		if rsid != [4]byte{} && !taken {
			break
		}
	}
	k, err := s.resp.iikeying(body, addr, rsid)
	if err != nil {
		s.log.Debug("rtmfp: keying refused", "remote", addr, "err", err)
		return
	}
	c := &ServerConn{srv: s, key: key, rx: k.crypto, rikeying: k.rikeying, addr: addr,
		events: make(chan []any, 64), done: make(chan struct{})}
	c.sess = newSession(sessionConfig{log: s.log, send: c.write, txSID: k.isid, mode: modeResponder,
		crypto: k.crypto, onFlow: c.onFlow})
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.sess.close()
		return
	}
	s.sessions[rsid] = c
	s.byIIK[key] = c
	s.mu.Unlock()
	_, _ = s.udp.WriteToUDPAddrPort(k.rikeying, addr)
	s.wg.Add(1)
	go func() { defer s.wg.Done(); c.run(s.ctx) }()
	s.log.Debug("rtmfp: session open", "remote", addr)
}

// reap forgets the sessions that ended.
func (s *Server) reap() {
	defer s.wg.Done()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		var ended []*ServerConn
		s.mu.Lock()
		for id, c := range s.sessions {
			select {
			case <-c.sess.ended:
				delete(s.sessions, id)
				delete(s.byIIK, c.key)
				ended = append(ended, c)
			default:
			}
		}
		s.mu.Unlock()
		for _, c := range ended {
			c.shutdown()
		}
	}
}

// ServerConn is one client's NetConnection on the server, with the one
// stream it publishes or plays.
type ServerConn struct {
	srv      *Server
	sess     *session
	rx       *packetCrypto
	key      string
	rikeying []byte

	addrMu sync.Mutex
	addr   netip.AddrPort

	// Under the session's lock.
	clientControl uint64 // the client's control flow
	haveControl   bool
	control       *sendFlow // our answer to it
	app           string
	streams       uint32
	publishing    bool

	events chan []any // commands from the client, to run
	done   chan struct{}

	// The stream's flows to the client (play), set by the run goroutine.
	mu                      sync.Mutex
	video, audio, data      *sendFlow
	role                    string // "publish", "play" or ""
	closeOnce, shutdownOnce sync.Once
}

func (c *ServerConn) write(d []byte) error {
	c.addrMu.Lock()
	a := c.addr
	c.addrMu.Unlock()
	_, err := c.srv.udp.WriteToUDPAddrPort(d, a)
	return err
}

// setAddr follows a client whose address changed (a NAT rebinding): the
// packet authenticated, so the new address is the client's.
func (c *ServerConn) setAddr(a netip.AddrPort) {
	c.addrMu.Lock()
	c.addr = a
	c.addrMu.Unlock()
}

// RemoteAddr is the client's address.
func (c *ServerConn) RemoteAddr() string {
	c.addrMu.Lock()
	defer c.addrMu.Unlock()
	return c.addr.String()
}

// Done is closed when the connection ended.
func (c *ServerConn) Done() <-chan struct{} { return c.sess.ended }

// Stats are the session's counters.
func (c *ServerConn) Stats() Stats { return c.sess.statsNow() }

// Close ends the connection (a close request to the client).
func (c *ServerConn) Close() {
	c.closeOnce.Do(func() {
		c.sess.mu.Lock()
		if c.sess.err == nil && !c.sess.closing {
			c.sess.closing = true
			c.sess.closeSent = time.Now()
			c.sess.queueControl(chunkSessionClose, nil)
			c.sess.flush(time.Now())
		}
		c.sess.mu.Unlock()
	})
}

// onFlow takes the client's flows (under the session's lock): its control
// flow first, then its stream flows, which answer our control flow.
func (c *ServerConn) onFlow(f *recvFlow) bool {
	sid, err := parseTCMetadata(f.metadata)
	if err != nil {
		return false
	}
	switch {
	case !f.hasAssoc && sid == 0 && !c.haveControl:
		c.clientControl, c.haveControl = f.id, true
		c.control = newSendFlow(c.sess.nextFlow, priImmediate, tcMetadata(0), f.id, true)
		c.sess.nextFlow++
		c.sess.sendFlows[c.control.id] = c.control
	case f.hasAssoc && c.control != nil && f.assoc == c.control.id && sid != 0 && sid <= c.streams:
	default:
		return false
	}
	f.onMessage = func(m []byte) { c.onMessage(sid, m) }
	return true
}

// onMessage routes a client's message (under the session's lock).
func (c *ServerConn) onMessage(sid uint32, m []byte) {
	typ, ts, payload, err := parseTCMessage(m)
	if err != nil {
		return
	}
	switch typ {
	case TypeCommand:
		vals, err := flv.UnmarshalAMF0(payload)
		if err != nil || len(vals) < 2 {
			return
		}
		if name, _ := vals[0].(string); name == "createStream" {
			c.streams++ // flows for it may come before the answer is read
			vals = append(vals, float64(c.streams))
		}
		select {
		case c.events <- append([]any{float64(sid)}, vals...):
		default: // a client flooding commands loses them
		}
	case TypeAudio, TypeVideo, TypeData:
		if c.publishing && sid != 0 {
			c.srv.cfg.Handler.OnMedia(c, typ, ts, payload)
		}
	}
}

// run carries out the client's commands until the session ends.
func (c *ServerConn) run(ctx context.Context) {
	defer close(c.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.sess.ended:
			return
		case ev := <-c.events:
			if err := c.command(ev); err != nil {
				c.srv.log.Debug("rtmfp: command", "remote", c.RemoteAddr(), "err", err)
				c.Close()
			}
		}
	}
}

func (c *ServerConn) reply(vals ...any) error {
	payload, err := flv.MarshalAMF0(vals...)
	if err != nil {
		return err
	}
	return c.sess.write(c.control, appendTCMessage(nil, TypeCommand, 0, payload), &message{})
}

func status(level, code, desc string) flv.AMF0Object {
	return flv.AMF0Object{{Key: "level", Value: level}, {Key: "code", Value: code}, {Key: "description", Value: desc}}
}

// command runs one command: connect and createStream on the control flow,
// publish and play on a stream's.
func (c *ServerConn) command(ev []any) error {
	sid := uint32(ev[0].(float64))
	name, _ := ev[1].(string)
	tx, _ := ev[2].(float64)
	args := ev[3:]
	c.sess.mu.Lock()
	app := c.app
	c.sess.mu.Unlock()
	if name != "connect" && app == "" {
		return fmt.Errorf("%w: %q before connect", ErrProtocol, name)
	}
	switch name {
	case "connect":
		var obj flv.AMF0Object
		if len(args) > 0 {
			obj, _ = args[0].(flv.AMF0Object)
		}
		a, _ := obj.Get("app")
		appName, _ := a.(string)
		appName, _, _ = strings.Cut(appName, "?")
		if appName == "" || app != "" {
			return c.reply("_error", tx, nil, status("error", "NetConnection.Connect.Rejected", "connect once, with an app"))
		}
		c.sess.mu.Lock()
		c.app = appName
		c.sess.mu.Unlock()
		return c.reply("_result", tx, nil, flv.AMF0Object{{Key: "level", Value: "status"},
			{Key: "code", Value: "NetConnection.Connect.Success"}, {Key: "description", Value: "Connection succeeded."},
			{Key: "objectEncoding", Value: 0.0}})
	case "createStream":
		id := args[len(args)-1].(float64)
		return c.reply("_result", tx, nil, id)
	case "deleteStream", "closeStream":
		c.Close()
		return nil
	case "publish", "play":
		return c.startStream(name, sid, app, args)
	case "FCPublish", "FCUnpublish", "releaseStream", "setPeerInfo":
		if tx > 0 {
			return c.reply("_result", tx, nil, flv.AMF0Undefined{})
		}
		return nil
	}
	if tx > 0 {
		return c.reply("_error", tx, nil, status("error", "NetConnection.Call.Failed", "unknown command "+name))
	}
	return nil
}

// startStream answers publish or play on stream sid.
func (c *ServerConn) startStream(verb string, sid uint32, app string, args []any) error {
	if sid == 0 {
		return fmt.Errorf("%w: %s on the NetConnection", ErrProtocol, verb)
	}
	var stream string
	if len(args) > 1 {
		stream, _ = args[1].(string)
	}
	c.sess.mu.Lock()
	assoc := c.clientControl
	meta := tcMetadata(sid)
	data := newSendFlow(c.sess.nextFlow, priImmediate, meta, assoc, true)
	c.sess.nextFlow++
	c.sess.sendFlows[data.id] = data
	c.sess.mu.Unlock()
	onStatus := func(level, code, desc string) error {
		payload, err := flv.MarshalAMF0("onStatus", 0.0, nil, status(level, code, desc))
		if err != nil {
			return err
		}
		return c.sess.write(data, appendTCMessage(nil, TypeCommand, 0, payload), &message{})
	}
	c.mu.Lock()
	busy := c.role != ""
	c.mu.Unlock()
	if busy || stream == "" {
		code := "NetStream.Publish.BadName"
		if verb == "play" {
			code = "NetStream.Play.Failed"
		}
		return onStatus("error", code, "one stream per connection, with a name")
	}
	if verb == "publish" {
		if err := c.srv.cfg.Handler.OnPublish(c, app, stream); err != nil {
			return onStatus("error", "NetStream.Publish.BadName", err.Error())
		}
		c.mu.Lock()
		c.role, c.data = "publish", data
		c.mu.Unlock()
		c.sess.mu.Lock()
		c.publishing = true
		c.sess.mu.Unlock()
		return onStatus("status", "NetStream.Publish.Start", stream+" is now published")
	}
	c.sess.mu.Lock()
	video := newSendFlow(c.sess.nextFlow, priPriority, meta, assoc, true)
	audio := newSendFlow(c.sess.nextFlow+1, priImmediate, meta, assoc, true)
	c.sess.nextFlow += 2
	c.sess.sendFlows[video.id], c.sess.sendFlows[audio.id] = video, audio
	c.sess.mu.Unlock()
	c.mu.Lock()
	c.role, c.data, c.video, c.audio = "play", data, video, audio
	c.mu.Unlock()
	if err := onStatus("status", "NetStream.Play.Reset", "playing "+stream); err != nil {
		return err
	}
	if err := onStatus("status", "NetStream.Play.Start", "playing "+stream); err != nil {
		return err
	}
	if err := c.srv.cfg.Handler.OnPlay(c, app, stream); err != nil {
		c.mu.Lock()
		c.role = ""
		c.mu.Unlock()
		return onStatus("error", "NetStream.Play.StreamNotFound", err.Error())
	}
	return nil
}

// WriteMedia sends a message of the stream being played: audio (8),
// video (9) or data (18). Live pictures and sound not delivered within
// deadline are abandoned; sequence headers and data always arrive.
func (c *ServerConn) WriteMedia(typ uint8, ts uint32, body []byte, deadline time.Duration) error {
	c.mu.Lock()
	f := c.data
	switch typ {
	case TypeVideo:
		f = c.video
	case TypeAudio:
		f = c.audio
	}
	c.mu.Unlock()
	if f == nil {
		return fmt.Errorf("%w: not playing", ErrClosed)
	}
	m := &message{video: typ == TypeVideo}
	if typ != TypeData && !isSequenceHeader(typ, body) {
		m.deadline = time.Now().Add(deadline)
		m.keyframe = typ == TypeVideo && len(body) > 0 && body[0]&0x70 == 0x10
	}
	return c.sess.write(f, appendTCMessage(nil, typ, ts, body), m)
}

// shutdown ends the session and waits for the connection's goroutine; the
// handler hears OnClose once.
func (c *ServerConn) shutdown() {
	c.shutdownOnce.Do(func() {
		c.sess.close()
		<-c.done
		c.mu.Lock()
		role := c.role
		c.mu.Unlock()
		if role != "" {
			c.srv.cfg.Handler.OnClose(c)
		}
	})
}
