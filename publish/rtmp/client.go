package rtmp

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"onair/publish/rtmp/handshake"
	"onair/publish/rtmp/rtmpt"

	"onair/internal/logx"
	"onair/publish/flv"
	"onair/publish/rtmp/chunk"
)

// Config describes one publish session. Zero fields take the defaults.
type Config struct {
	// Addr is host:port to dial. Required.
	Addr string
	// TLS, when set, makes the session RTMPS: TLS over TCP (or, with
	// Tunnel, RTMPTS: RTMPT over HTTPS).
	TLS *tls.Config
	// Tunnel carries the session in HTTP POSTs to Addr (RTMPT, package
	// rtmpt), for networks that let only HTTP out.
	Tunnel bool
	// Encrypt makes the session RTMPE (or, with Tunnel, RTMPTE): a
	// Diffie-Hellman handshake, then RC4 both ways (package handshake).
	// A server that answers plainly is an error wrapping
	// handshake.ErrNotEncrypted.
	Encrypt bool
	// App and TCURL go into the connect command; Key is the stream name
	// passed to publish (with any query). Required.
	App, TCURL, Key string
	// Timeout bounds the whole set-up: dial, TLS, handshake, connect,
	// createStream and publish. Default 8 s.
	Timeout time.Duration
	// WriteTimeout is how long one media write may block before the session
	// is considered stalled. Default 10 s.
	WriteTimeout time.Duration
	// ChunkSize for what we send. Default 4096.
	ChunkSize uint32
	// Settle is how long Dial waits after NetStream.Publish.Start for the
	// server to change its mind: nginx-rtmp, for one, confirms the publish
	// and then drops the connection when an access rule denies it.
	// Default 250 ms.
	Settle time.Duration
	// Enhanced lists Enhanced RTMP FourCCs ("hvc1", "Opus", "av01") the
	// session sends (publishing) or can decode (playing); they are
	// announced in connect as fourCcList and in the v2 info maps. A
	// publisher then needs the server's connect reply to announce each
	// of them, or Dial fails with ErrNotEnhanced before publishing.
	Enhanced []string
	// TrustEnhanced skips that check, for servers that forward E-RTMP
	// without announcing it.
	TrustEnhanced bool
	// Play makes the session a player instead of a publisher: Dial waits
	// for NetStream.Play.Start and the media arrives through ReadMedia.
	Play bool
	// Start, playing a recorded stream (video on demand), asks the server
	// to start there (play's start argument). Zero: a live stream, or a
	// recorded one from its beginning.
	Start time.Duration
	// Logger receives the session's warnings and debug lines; nil
	// discards them.
	Logger *slog.Logger
}

// Media is one audio (8), video (9) or data (18) message received while
// playing; Payload is an FLV tag body. A status the server sent on the
// stream (onStatus, in order with the media: NetStream.Seek.Notify,
// NetStream.Play.Stop …) comes as TypeID 20 with its code in Status.
type Media struct {
	TypeID    uint8
	Timestamp uint32
	Payload   []byte
	Status    string
}

// TypeStatus is Media.TypeID for a status.
const TypeStatus = typeCommandAMF0

// Client is a live publish session. Media writes are synchronous and must
// come from one goroutine; Close may be called from any.
type Client struct {
	*conn
	cfg      Config
	streamID uint32
	sock     syscall.RawConn // the TCP socket, for Link; nil when there is none

	server   ServerEnhanced // what the connect reply announced
	recorded atomic.Bool    // the server said the stream is recorded
	replies  chan command   // server commands, for the set-up phase
	media    chan Media     // play mode
	wg       sync.WaitGroup
	deadline time.Time // of the set-up
}

// Dial connects, performs the handshake, connect, createStream and publish,
// and waits for NetStream.Publish.Start. On error nothing is left running.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 8 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = 4096
	}
	if cfg.Settle == 0 {
		cfg.Settle = 250 * time.Millisecond
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	deadline := time.Now().Add(cfg.Timeout)
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	raw, err := dial(dctx, cfg)
	if err != nil {
		return nil, err
	}
	// Tear the connection down if ctx ends while setting up (closing raw
	// ends an RTMPE connection over it too).
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	nc, err := clientHandshake(raw, cfg, deadline)
	if err != nil {
		raw.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	c := &Client{
		conn:     newConn(nc, cfg.Addr, cfg.WriteTimeout, cfg.Logger),
		cfg:      cfg,
		replies:  make(chan command, 16),
		media:    make(chan Media, 256),
		deadline: deadline,
		sock:     socketOf(nc),
	}
	if err := c.setup(); err != nil {
		c.abort()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return c, nil
}

func dial(ctx context.Context, cfg Config) (net.Conn, error) {
	if cfg.Tunnel {
		return dialTunnel(ctx, cfg)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, describeDialError(cfg.Addr, err)
	}
	if cfg.TLS == nil {
		return nc, nil
	}
	tc := tls.Client(nc, cfg.TLS)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("TLS handshake with %s failed: %w", cfg.Addr, err)
	}
	return tc, nil
}

// dialTunnel opens an RTMPT session: HTTP, or HTTPS with cfg.TLS.
func dialTunnel(ctx context.Context, cfg Config) (net.Conn, error) {
	base := "http://" + cfg.Addr
	if cfg.TLS != nil {
		base = "https://" + cfg.Addr
	}
	tc, err := rtmpt.Dial(ctx, base, cfg.TLS, cfg.Logger)
	if err == nil {
		return tc, nil
	}
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	switch {
	case errors.Is(err, rtmpt.ErrNotRTMPT):
		return nil, err
	case errors.As(err, &certErr), errors.As(err, &recErr):
		return nil, fmt.Errorf("TLS handshake with %s failed: %w", cfg.Addr, err)
	}
	return nil, describeDialError(cfg.Addr, err)
}

func describeDialError(addr string, err error) error {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot find host %q: %w", dnsErr.Name, err)
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return fmt.Errorf("no answer from %s (host unreachable or port filtered): %w", addr, ErrTimeout)
	}
	return fmt.Errorf("cannot connect to %s: %w", addr, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// clientHandshake runs the handshake on nc, by deadline: it returns the
// connection to go on with (an RTMPE one over nc with cfg.Encrypt), or
// the error.
func clientHandshake(nc net.Conn, cfg Config, deadline time.Time) (net.Conn, error) {
	_ = nc.SetDeadline(deadline)
	hc := handshake.Config{}
	if cfg.Encrypt {
		hc.Type = 6 // as FFmpeg and librtmp ask; the server may answer 8
	}
	info, err := handshake.Client(nc, hc)
	if err != nil {
		if isTimeout(err) {
			return nil, fmt.Errorf("no RTMP handshake from %s within %v: %w", cfg.Addr, cfg.Timeout, ErrTimeout)
		}
		return nil, fmt.Errorf("RTMP handshake with %s failed: %w", cfg.Addr, readableErr(err))
	}
	_ = nc.SetDeadline(time.Time{})
	cfg.Logger.Debug("rtmp handshake", "server", cfg.Addr, "type", info.Type, "digest", info.Digest)
	return info.Wrap(nc), nil
}

func (c *Client) setup() error {
	reader, err := chunk.NewReader(bufio.NewReaderSize(c.nc, 64*1024), chunk.ReaderConfig{})
	if err != nil {
		return err
	}
	c.wg.Add(1)
	go c.readLoop(reader)

	if err := c.setChunkSize(c.cfg.ChunkSize); err != nil {
		return err
	}
	connect := flv.AMF0Object{
		{Key: "app", Value: c.cfg.App},
		{Key: "type", Value: "nonprivate"},
		{Key: "flashVer", Value: "FMLE/3.0 (compatible; OnAir)"},
		{Key: "tcUrl", Value: c.cfg.TCURL},
	}
	connect = enhancedConnect(connect, c.cfg.Enhanced, c.cfg.Play)
	if err := c.writeCommand(csidCommand, 0, "connect", 1, connect); err != nil {
		return err
	}
	res, err := c.await(func(cmd command) bool { return cmd.txID == 1 && (cmd.name == "_result" || cmd.name == "_error") }, "connect")
	if err != nil {
		return err
	}
	if res.name == "_error" {
		code, desc := statusOf(res.args)
		return fmt.Errorf("connect to app %q: %s %s: %w", c.cfg.App, code, c.mask(desc), ErrRejected)
	}
	c.server = parseServerEnhanced(res.args)
	if !c.cfg.Play {
		if err := checkEnhanced(c.server, c.cfg.Enhanced, c.cfg.TrustEnhanced); err != nil {
			return err
		}
	}
	if !c.cfg.Play {
		if err := c.writeCommand(csidCommand, 0, "releaseStream", 2, nil, c.cfg.Key); err != nil {
			return err
		}
		if err := c.writeCommand(csidCommand, 0, "FCPublish", 3, nil, c.cfg.Key); err != nil {
			return err
		}
	}
	if err := c.writeCommand(csidCommand, 0, "createStream", 4, nil); err != nil {
		return err
	}
	res, err = c.await(func(cmd command) bool { return cmd.txID == 4 && (cmd.name == "_result" || cmd.name == "_error") }, "createStream")
	if err != nil {
		return err
	}
	if res.name == "_error" || len(res.args) < 2 {
		return fmt.Errorf("createStream refused: %w", ErrRejected)
	}
	id, ok := res.args[1].(float64)
	if !ok || id < 0 || id > 1<<31 {
		return fmt.Errorf("createStream returned %v, not a stream id: %w", res.args[1], ErrRejected)
	}
	c.streamID = uint32(id)
	if c.cfg.Play {
		return c.play()
	}
	if err := c.writeCommand(csidStream, c.streamID, "publish", 5, nil, c.cfg.Key, "live"); err != nil {
		return err
	}
	res, err = c.await(func(cmd command) bool {
		if cmd.name == "_error" && cmd.txID == 5 {
			return true
		}
		if cmd.name != "onStatus" {
			return false
		}
		code, _ := statusOf(cmd.args)
		return strings.HasPrefix(code, "NetStream.Publish.") || strings.HasPrefix(code, "NetConnection.") || levelOf(cmd.args) == "error"
	}, "publish")
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return fmt.Errorf("the server closed the connection in reply to publish (stream key or app refused?): %w", ErrRejected)
		}
		return err
	}
	code, desc := statusOf(res.args)
	if code != "NetStream.Publish.Start" {
		if code == "" {
			code = res.name
		}
		return fmt.Errorf("publish refused: %s %s: %w", code, c.mask(desc), ErrRejected)
	}
	select {
	case <-c.done:
		return fmt.Errorf("the server accepted the publish, then closed the connection (access denied?): %w", ErrRejected)
	case <-time.After(c.cfg.Settle):
	}
	c.log.Debug("publishing", "addr", c.cfg.Addr, "app", c.cfg.App, "stream_id", c.streamID)
	return nil
}

// play asks for the stream (live, from now; recorded, from Config.Start)
// and waits for Play.Start.
func (c *Client) play() error {
	start := -1000.0 // live, or recorded from the start (as FFmpeg asks)
	if c.cfg.Start > 0 {
		start = float64(c.cfg.Start.Milliseconds())
	}
	if err := c.writeCommand(csidStream, c.streamID, "play", 0, nil, c.cfg.Key, start); err != nil {
		return err
	}
	// SetBufferLength (3): stream id, 100 ms. A server that refuses the
	// play may have answered and gone already: a failed write shows in
	// the wait for the reply, which reads the refusal first.
	_ = c.writeControl(typeUserControl, append(append([]byte{0, 3}, be32(c.streamID)...), be32(100)...))
	res, err := c.await(func(cmd command) bool {
		if cmd.name != "onStatus" {
			return false
		}
		code, _ := statusOf(cmd.args)
		return code == "NetStream.Play.Start" || levelOf(cmd.args) == "error"
	}, "play")
	if err != nil {
		return err
	}
	if code, desc := statusOf(res.args); code != "NetStream.Play.Start" {
		return fmt.Errorf("play refused: %s %s: %w", code, c.mask(desc), ErrRejected)
	}
	return nil
}

// Recorded reports whether the server said the stream played is a
// recording (user control StreamIsRecorded, sent before NetStream.Play.Start
// by nginx-rtmp's play directive, for one): it can seek and pause.
func (c *Client) Recorded() bool { return c.recorded.Load() }

// Seek asks the server to move a recorded stream to d (NetStream.seek).
// The server confirms with the status NetStream.Seek.Notify; media read
// before it is from before the seek.
func (c *Client) Seek(d time.Duration) error {
	return c.writeCommand(csidStream, c.streamID, "seek", 0, nil, float64(d.Milliseconds()))
}

// Pause pauses (true) or resumes a recorded stream at d, the time the
// player shows (NetStream.pause); the server confirms with
// NetStream.Pause.Notify or NetStream.Unpause.Notify.
func (c *Client) Pause(pause bool, d time.Duration) error {
	return c.writeCommand(csidStream, c.streamID, "pause", 0, nil, pause, float64(d.Milliseconds()))
}

// ReadMedia returns the next media message of a play session. Not reading
// holds the connection up (the server sees a slow player).
func (c *Client) ReadMedia(ctx context.Context) (Media, error) {
	select {
	case m := <-c.media:
		return m, nil
	default:
	}
	select {
	case m := <-c.media:
		return m, nil
	case <-c.done:
		return Media{}, c.Err()
	case <-ctx.Done():
		return Media{}, ctx.Err()
	}
}

// mask hides the stream key in text that came from the server.
func (c *Client) mask(s string) string {
	if c.cfg.Key == "" {
		return s
	}
	name := c.cfg.Key
	if i := strings.IndexByte(name, '?'); i >= 0 {
		s = strings.ReplaceAll(s, name, "****")
		name = name[:i]
	}
	if name == "" {
		return s
	}
	return strings.ReplaceAll(s, name, "****")
}

func readableErr(err error) error {
	if isTimeout(err) {
		return ErrTimeout
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the server closed the connection (not an RTMP server?): %w", ErrClosed)
	}
	return err
}

func (c *Client) await(match func(command) bool, what string) (command, error) {
	t := time.NewTimer(time.Until(c.deadline))
	defer t.Stop()
	for {
		select {
		case cmd := <-c.replies:
			if match(cmd) {
				return cmd, nil
			}
		case <-c.done:
			// Replies may have arrived just before the connection ended.
			select {
			case cmd := <-c.replies:
				if match(cmd) {
					return cmd, nil
				}
				continue
			default:
			}
			return command{}, fmt.Errorf("waiting for the reply to %s: %w", what, c.Err())
		case <-t.C:
			return command{}, fmt.Errorf("no reply to %s from %s within %v: %w", what, c.cfg.Addr, c.cfg.Timeout, ErrTimeout)
		}
	}
}

// statusOf is the code and description of the first status object among
// a command's arguments.
func statusOf(args []any) (code, desc string) {
	for _, a := range args {
		if code = stringProperty(a, "code"); code != "" {
			return code, stringProperty(a, "description")
		}
	}
	return "", ""
}

// levelOf is the level of the first status object among a command's
// arguments.
func levelOf(args []any) string {
	for _, a := range args {
		if l, ok := property(a, "level").(string); ok {
			return l
		}
	}
	return ""
}

// readLoop reads what the server sends until the connection ends.
func (c *Client) readLoop(r *chunk.Reader) {
	defer c.wg.Done()
	for {
		m, err := r.ReadMessage()
		if err != nil {
			c.fail(readableErr(err))
			return
		}
		if err := c.control(r, m); err != nil {
			return
		}
		// User control StreamIsRecorded (4): a recording, not live.
		if m.TypeID == typeUserControl && len(m.Payload) >= 2 && binary.BigEndian.Uint16(m.Payload) == 4 {
			c.recorded.Store(true)
		}
		switch m.TypeID {
		case typeAudio, typeVideo, typeDataAMF0:
			if c.cfg.Play {
				select {
				case c.media <- Media{TypeID: m.TypeID, Timestamp: m.Timestamp, Payload: m.Payload}:
				case <-c.done:
					return
				}
			}
		case typeCommandAMF0:
			cmd, err := decodeCommand(m.Payload)
			if err != nil {
				c.badCommand(err)
				if !errors.Is(err, errCommandArgs) {
					continue
				}
				// The name and transaction id decoded: a reply, even
				// with an argument we cannot read, ends the wait for it.
			}
			if cmd.name == "onStatus" {
				code, _ := statusOf(cmd.args)
				c.log.Debug("server status", "code", code)
				if c.cfg.Play && code != "" {
					select {
					case c.media <- Media{TypeID: TypeStatus, Timestamp: m.Timestamp, Status: code}:
					case <-c.done:
						return
					}
				}
			}
			select {
			case c.replies <- cmd:
			default: // nobody is waiting for replies once live
			}
		}
	}
}

// WriteVideo sends one FLV video tag body at timestamp ms.
func (c *Client) WriteVideo(ts uint32, body []byte) error {
	return c.writeMessage(&chunk.Message{ChunkStreamID: csidVideo, TypeID: typeVideo, StreamID: c.streamID, Timestamp: ts, Payload: body})
}

// WriteAudio sends one FLV audio tag body at timestamp ms.
func (c *Client) WriteAudio(ts uint32, body []byte) error {
	return c.writeMessage(&chunk.Message{ChunkStreamID: csidAudio, TypeID: typeAudio, StreamID: c.streamID, Timestamp: ts, Payload: body})
}

// WriteData sends an AMF0 data message (e.g. @setDataFrame onMetaData).
func (c *Client) WriteData(body []byte) error {
	return c.writeMessage(&chunk.Message{ChunkStreamID: csidData, TypeID: typeDataAMF0, StreamID: c.streamID, Payload: body})
}

// Close unpublishes (FCUnpublish, deleteStream), lets the server read all
// that was sent, and closes the connection. It returns after the reader
// goroutine ended. Writes are synchronous, so everything written before
// Close has been handed to the connection.
func (c *Client) Close() error {
	select {
	case <-c.done:
	default:
		if !c.cfg.Play {
			_ = c.writeCommand(csidCommand, 0, "FCUnpublish", 6, nil, c.cfg.Key)
		}
		_ = c.writeCommand(csidCommand, 0, "deleteStream", 7, nil, float64(c.streamID))
		// Half-close and wait for the server to close its side, so that
		// it reads all we sent instead of meeting a reset.
		if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		select {
		case <-c.done:
		case <-time.After(2 * time.Second):
		}
	}
	c.abort()
	return nil
}

// abort closes the connection at once and waits for the reader.
func (c *Client) abort() {
	c.fail(ErrClosed)
	c.wg.Wait()
}
