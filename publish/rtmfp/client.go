package rtmfp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"onair/publish/flv"
)

// Config describes one RTMFP NetConnection. Zero fields take the defaults.
type Config struct {
	// Addr is the server's host:port (UDP). Required.
	Addr string
	// App and TCURL go into connect; Key is the stream name published or
	// played (with any query). Required.
	App, TCURL, Key string
	// Fingerprint, when set (64 hex digits), names the server by the
	// SHA-256 of its certificate (onair serve prints it): only that
	// server is accepted, whatever answers at Addr.
	Fingerprint string
	// Play makes the connection a player: Dial waits for
	// NetStream.Play.Start and the media comes through ReadMedia.
	Play bool
	// Timeout bounds the set-up: handshake, connect, createStream and
	// publish or play. Default 8 s.
	Timeout time.Duration
	// VideoDeadline and AudioDeadline: a message not delivered within this
	// long of its writing is abandoned (and counted) instead of holding up
	// the ones after it; a video keyframe also abandons the unfinished
	// pictures before it. Defaults 1 s and 1.5 s.
	VideoDeadline, AudioDeadline time.Duration
	// Logger receives debug lines; nil discards them.
	Logger *slog.Logger
}

// Media is one audio (8), video (9) or data (18) message received while
// playing, its payload an FLV tag body; a status the server sent on the
// stream comes as TypeCommand with its code in Status.
type Media struct {
	TypeID    uint8
	Timestamp uint32
	Payload   []byte
	Status    string
}

// mediaQueue bounds the messages a player has not read yet: beyond it
// they are dropped and counted (a stalled reader never stalls the session).
const mediaQueue = 1024

// Client is an RTMFP NetConnection with one NetStream that publishes or
// plays. Writes come from one goroutine; Close may be called from any.
type Client struct {
	cfg     Config
	log     *slog.Logger
	udp     *net.UDPConn
	sess    *session
	rx      *packetCrypto
	rxSID   [4]byte
	hs      chan []byte
	opened  atomic.Bool
	wg      sync.WaitGroup
	control *sendFlow

	mu            sync.Mutex
	serverControl uint64 // the server's control flow, once it opened it
	haveServer    bool
	replies       chan []any // commands from the server during the set-up
	media         chan Media
	dropped       atomic.Int64
	video, audio  *sendFlow
	data          *sendFlow
	closeOnce     sync.Once
}

// SplitFingerprint takes a "fingerprint=HEX" parameter out of a stream
// key's query ("cam?fingerprint=ab…&x=1" → "cam?x=1", "ab…"): an rtmfp://
// URL names its server's certificate that way.
func SplitFingerprint(key string) (rest, fingerprint string) {
	name, query, ok := strings.Cut(key, "?")
	if !ok {
		return key, ""
	}
	var keep []string
	for _, kv := range strings.Split(query, "&") {
		if v, ok := strings.CutPrefix(kv, "fingerprint="); ok {
			fingerprint = v
			continue
		}
		keep = append(keep, kv)
	}
	if len(keep) == 0 {
		return name, fingerprint
	}
	return name + "?" + strings.Join(keep, "&"), fingerprint
}

// Dial opens a session with the server, connects, creates a stream and
// publishes (or plays) Key. On error nothing is left running. Errors wrap
// ErrTimeout (no answer), ErrRejected (the server said no; its reason is
// in the message), ErrProtocol.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 8 * time.Second
	}
	if cfg.VideoDeadline == 0 {
		cfg.VideoDeadline = time.Second
	}
	if cfg.AudioDeadline == 0 {
		cfg.AudioDeadline = 1500 * time.Millisecond
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	raddr, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("rtmfp: %w", err)
	}
	udp, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, fmt.Errorf("rtmfp: %w", err)
	}
	c := &Client{cfg: cfg, log: log, udp: udp, hs: make(chan []byte, 16),
		replies: make(chan []any, 64), media: make(chan Media, mediaQueue)}
	c.wg.Add(1)
	go c.readLoop()
	uri := cfg.TCURL
	if uri == "" {
		uri = "rtmfp://" + cfg.Addr + "/" + cfg.App
	}
	var fp []byte
	if cfg.Fingerprint != "" {
		if fp, err = hex.DecodeString(cfg.Fingerprint); err != nil || len(fp) != sha256.Size {
			c.shutdown()
			return nil, fmt.Errorf("rtmfp: the fingerprint must be 64 hex digits (a SHA-256)")
		}
	}
	res, err := dialHandshake(ctx, uri, fp, c.write, c.hs)
	if err != nil {
		c.shutdown()
		if errors.Is(err, ErrTimeout) {
			if fp != nil {
				return nil, fmt.Errorf("%w (no RTMFP server with that fingerprint answered on UDP %s)", err, cfg.Addr)
			}
			return nil, fmt.Errorf("%w (is an RTMFP server listening on UDP %s?)", err, cfg.Addr)
		}
		return nil, err
	}
	c.rx, c.rxSID = res.crypto, res.isid
	c.sess = newSession(sessionConfig{log: log, send: c.write, txSID: res.rsid, mode: modeInitiator,
		crypto: res.crypto, onFlow: c.onFlow})
	c.opened.Store(true)
	if err := c.setup(ctx); err != nil {
		c.shutdown()
		return nil, err
	}
	return c, nil
}

func (c *Client) write(d []byte) error {
	_, err := c.udp.Write(d)
	return err
}

// readLoop reads datagrams: to the handshake until the session opens,
// then to the session.
func (c *Client) readLoop() {
	defer c.wg.Done()
	buf := make([]byte, 8192)
	for {
		n, err := c.udp.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ICMP port unreachable and the like: the timers decide
		}
		if !c.opened.Load() {
			select {
			case c.hs <- append([]byte(nil), buf[:n]...): // the handshake keeps it
			default:
			}
			continue
		}
		// The session keeps nothing of a packet (as the server's reader):
		// it is opened in place in the read buffer.
		d := buf[:n]
		sid, ok := sessionID(d)
		if !ok || sid != c.rxSID {
			continue
		}
		p, err := c.rx.open(d)
		if err != nil {
			c.sess.mu.Lock()
			c.sess.stats.BadPackets++
			c.sess.mu.Unlock()
			continue
		}
		c.sess.receive(p)
	}
}

// onFlow accepts the server's flows that answer our control flow (under
// the session's lock).
func (c *Client) onFlow(f *recvFlow) bool {
	if !f.hasAssoc || c.control == nil || f.assoc != c.control.id {
		return false
	}
	sid, err := parseTCMetadata(f.metadata)
	if err != nil {
		return false
	}
	c.mu.Lock()
	if sid == 0 && !c.haveServer {
		c.serverControl, c.haveServer = f.id, true
	}
	c.mu.Unlock()
	f.onMessage = func(m []byte) { c.onMessage(sid, m) }
	return true
}

// onMessage routes a message from the server (under the session's lock:
// it never blocks).
func (c *Client) onMessage(sid uint32, m []byte) {
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
		if c.cfg.Play && c.opened.Load() && sid != 0 {
			if code := statusCode(vals); code != "" {
				c.queueMedia(Media{TypeID: TypeCommand, Timestamp: ts, Status: code})
			}
		}
		select {
		case c.replies <- vals:
		default:
		}
	case TypeAudio, TypeVideo, TypeData:
		if c.cfg.Play {
			c.queueMedia(Media{TypeID: typ, Timestamp: ts, Payload: append([]byte(nil), payload...)})
		}
	}
}

func (c *Client) queueMedia(m Media) {
	select {
	case c.media <- m:
	default:
		c.dropped.Add(1)
	}
}

// statusCode is the code of an onStatus command, or "".
func statusCode(vals []any) string {
	if name, _ := vals[0].(string); name != "onStatus" {
		return ""
	}
	for _, v := range vals[2:] {
		if o, ok := v.(flv.AMF0Object); ok {
			if code, ok := o.Get("code"); ok {
				s, _ := code.(string)
				return s
			}
		}
	}
	return ""
}

func describe(vals []any) string {
	for _, v := range vals[2:] {
		if o, ok := v.(flv.AMF0Object); ok {
			code, _ := o.Get("code")
			desc, _ := o.Get("description")
			return fmt.Sprintf("%v %v", code, desc)
		}
	}
	return fmt.Sprint(vals[0])
}

// command sends a command on flow f.
func (c *Client) command(f *sendFlow, vals ...any) error {
	payload, err := flv.MarshalAMF0(vals...)
	if err != nil {
		return err
	}
	return c.sess.write(f, appendTCMessage(nil, TypeCommand, 0, payload), &message{})
}

// await waits for a command that match accepts; one that reject accepts
// is an error.
func (c *Client) await(ctx context.Context, what string, match func([]any) (ok bool, err error)) ([]any, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %s: no answer from the server", ErrTimeout, what)
		case <-c.sess.ended:
			return nil, fmt.Errorf("rtmfp: %s: %w", what, c.sess.Err())
		case vals := <-c.replies:
			ok, err := match(vals)
			if err != nil {
				return nil, err
			}
			if ok {
				return vals, nil
			}
		}
	}
}

// result matches the _result or _error of transaction tx.
func result(tx float64, what string) func([]any) (bool, error) {
	return func(vals []any) (bool, error) {
		name, _ := vals[0].(string)
		id, _ := vals[1].(float64)
		if id != tx {
			return false, nil
		}
		switch name {
		case "_result":
			return true, nil
		case "_error":
			return false, fmt.Errorf("%w: %s: %s", ErrRejected, what, describe(vals))
		}
		return false, nil
	}
}

func (c *Client) setup(ctx context.Context) error {
	c.control = c.sess.openFlow(priImmediate, tcMetadata(0), 0, false)
	obj := flv.AMF0Object{
		{Key: "app", Value: c.cfg.App},
		{Key: "flashVer", Value: "FMLE/3.0 (compatible; OnAir)"},
		{Key: "tcUrl", Value: c.cfg.TCURL},
		{Key: "objectEncoding", Value: 0.0},
	}
	if err := c.command(c.control, "connect", 1.0, obj); err != nil {
		return err
	}
	if _, err := c.await(ctx, "connect", result(1, "connect")); err != nil {
		return err
	}
	if err := c.command(c.control, "createStream", 2.0, nil); err != nil {
		return err
	}
	vals, err := c.await(ctx, "createStream", result(2, "createStream"))
	if err != nil {
		return err
	}
	id, ok := vals[len(vals)-1].(float64)
	if !ok || id < 1 || id > 1<<24 {
		return fmt.Errorf("%w: createStream answered %v", ErrProtocol, vals[len(vals)-1])
	}
	c.mu.Lock()
	server, have := c.serverControl, c.haveServer
	c.mu.Unlock()
	if !have {
		return fmt.Errorf("%w: the server answered without its control flow", ErrProtocol)
	}
	meta := tcMetadata(uint32(id))
	c.data = c.sess.openFlow(priImmediate, meta, server, true)
	verb, want := "publish", "NetStream.Publish.Start"
	args := []any{"publish", 0.0, nil, c.cfg.Key, "live"}
	if c.cfg.Play {
		verb, want = "play", "NetStream.Play.Start"
		args = []any{"play", 0.0, nil, c.cfg.Key}
	} else {
		c.video = c.sess.openFlow(priPriority, meta, server, true)
		c.audio = c.sess.openFlow(priImmediate, meta, server, true)
	}
	if err := c.command(c.data, args...); err != nil {
		return err
	}
	_, err = c.await(ctx, verb, func(vals []any) (bool, error) {
		code := statusCode(vals)
		switch {
		case code == want:
			return true, nil
		case strings.Contains(code, "Failed"), strings.Contains(code, "BadName"), strings.Contains(code, "Rejected"),
			strings.Contains(code, "StreamNotFound"):
			return false, fmt.Errorf("%w: %s: %s", ErrRejected, verb, describe(vals))
		}
		return false, nil
	})
	return err
}

// WriteVideo sends a video message (an FLV video tag body) at ts (ms).
func (c *Client) WriteVideo(ts uint32, body []byte) error {
	m := &message{video: true}
	if len(body) > 1 && body[0]>>4 == 1 && !(body[0]&0x0f == 7 && body[1] == 0) {
		m.keyframe = true
	}
	if !isSequenceHeader(TypeVideo, body) {
		m.deadline = time.Now().Add(c.cfg.VideoDeadline)
	}
	return c.sess.write(c.video, appendTCMessage(nil, TypeVideo, ts, body), m)
}

// WriteAudio sends an audio message (an FLV audio tag body) at ts (ms).
func (c *Client) WriteAudio(ts uint32, body []byte) error {
	m := &message{}
	if !isSequenceHeader(TypeAudio, body) {
		m.deadline = time.Now().Add(c.cfg.AudioDeadline)
	}
	return c.sess.write(c.audio, appendTCMessage(nil, TypeAudio, ts, body), m)
}

// WriteData sends a data message (@setDataFrame onMetaData …), reliably.
func (c *Client) WriteData(body []byte) error {
	return c.sess.write(c.data, appendTCMessage(nil, TypeData, 0, body), &message{})
}

// isSequenceHeader: decoder configurations are sent reliably, whatever
// their age.
func isSequenceHeader(typ byte, body []byte) bool {
	if len(body) < 2 {
		return false
	}
	if typ == TypeVideo {
		if body[0]&0x80 != 0 { // Enhanced RTMP: packet type 0 is the sequence start
			return body[0]&0x0f == 0
		}
		return body[0]&0x0f == 7 && body[1] == 0
	}
	return body[0]>>4 == 10 && body[1] == 0
}

// ReadMedia returns the next message of a playing connection.
func (c *Client) ReadMedia(ctx context.Context) (Media, error) {
	select {
	case m := <-c.media:
		return m, nil
	case <-ctx.Done():
		return Media{}, ctx.Err()
	case <-c.sess.ended:
		select {
		case m := <-c.media:
			return m, nil
		default:
		}
		return Media{}, c.sess.Err()
	}
}

// Stats are the session's counters: RTT, losses, retransmissions,
// abandoned messages.
func (c *Client) Stats() Stats {
	st := c.sess.statsNow()
	return st
}

// Done is closed when the session ended; Err says why.
func (c *Client) Done() <-chan struct{} { return c.sess.ended }

// Err is why the session ended, nil while it is open.
func (c *Client) Err() error { return c.sess.Err() }

// Dropped is how many received messages were dropped because the reader
// was behind.
func (c *Client) Dropped() int64 { return c.dropped.Load() }

// Close ends the session (a close request to the server) and waits for
// its goroutines.
func (c *Client) Close() error {
	c.shutdown()
	return nil
}

func (c *Client) shutdown() {
	c.closeOnce.Do(func() {
		if c.sess != nil {
			c.sess.close()
		}
		_ = c.udp.Close()
		c.wg.Wait()
	})
}
