package rtmp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"time"

	"onair/publish/rtmp/handshake"

	"onair/internal/logx"
	"onair/publish/flv"
	"onair/publish/rtmp/chunk"
)

// ServerConfig configures the server end of sessions. Zero fields take the
// defaults.
type ServerConfig struct {
	// HandshakeTimeout bounds the handshake and the commands up to publish
	// or play. Default 10 s.
	HandshakeTimeout time.Duration
	// WriteTimeout: a peer that does not take data for this long is
	// dropped. Default 10 s.
	WriteTimeout time.Duration
	// ChunkSize for what we send. Default 4096.
	ChunkSize uint32
	// MaxMessageLength bounds one incoming message. Default 8 MiB.
	MaxMessageLength uint32
	// Enhanced lists the Enhanced RTMP FourCCs the server forwards; its
	// connect reply announces them (fourCcList, and the v2 info maps with
	// CanForward), so that E-RTMP publishers know HEVC or Opus will reach
	// the viewers. Empty announces nothing.
	Enhanced []string
	// Logger receives the session's warnings and debug lines; nil
	// discards them.
	Logger *slog.Logger
}

// ServerHandler is told what the peer asks for. Its methods are called from
// the goroutine running ServerSession.Serve.
type ServerHandler interface {
	// OnPublish decides on a publish; an error rejects it
	// (NetStream.Publish.BadName with the error's text) and ends the session.
	OnPublish(s *ServerSession, app, name string) error
	// OnPlay decides on a play; an error rejects it
	// (NetStream.Play.StreamNotFound) and ends the session. On success the
	// handler starts sending media with WriteMedia or WritePrepared, from its
	// own goroutine, once Playing is closed.
	OnPlay(s *ServerSession, app, name string) error
	// OnMedia receives the publisher's audio (8), video (9) and data (18)
	// messages. The payload is the handler's to keep.
	OnMedia(typeID uint8, timestamp uint32, payload []byte)
	// OnStop is called when a publish or play ends (deleteStream,
	// FCUnpublish, closeStream, or the connection ending), once.
	OnStop()
}

// VODHandler is a ServerHandler that plays recordings: it is also told of
// the player's NetStream.seek and NetStream.pause, from the goroutine
// running Serve, and answers them itself (SendStatus: NetStream.Seek.Notify,
// NetStream.Pause.Notify, NetStream.Unpause.Notify) in order with its media.
type VODHandler interface {
	ServerHandler
	// OnSeek: the player asks for the recording from at.
	OnSeek(at time.Duration)
	// OnPause: the player pauses (true) or resumes at at, the time it shows.
	OnPause(pause bool, at time.Duration)
}

// PlayArgs are the optional arguments of a play command (RTMP 7.2.2.1),
// in milliseconds on the wire.
type PlayArgs struct {
	// Start: where a recording starts; -1 (live only) or -2 (live, else
	// recorded from 0) when not given.
	Start time.Duration
	// Duration: how much to play; negative when not given (to the end).
	Duration time.Duration
}

// ServerSession is the server end of one RTMP connection.
type ServerSession struct {
	conn
	cfg      ServerConfig
	app      string
	streamID uint32
	role     int // 0 none, 1 publishing, 2 playing
	stopped  bool
	playing  chan struct{}
	play     PlayArgs
}

// ErrProtocol is returned by Serve when the peer breaks the protocol.
var ErrProtocol = errors.New("RTMP protocol error")

// NewServerSession wraps an accepted connection.
func NewServerSession(nc net.Conn, cfg ServerConfig) *ServerSession {
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = 4096
	}
	if cfg.MaxMessageLength == 0 {
		cfg.MaxMessageLength = 8 << 20
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	s := &ServerSession{cfg: cfg, playing: make(chan struct{})}
	s.conn.init(nc, nc.RemoteAddr().String(), cfg.WriteTimeout, cfg.Logger)
	return s
}

// Playing is closed once NetStream.Play.Start was sent: media may follow.
func (s *ServerSession) Playing() <-chan struct{} { return s.playing }

// PlayArgs are the play command's optional arguments; set before
// ServerHandler.OnPlay is called.
func (s *ServerSession) PlayArgs() PlayArgs { return s.play }

// RemoteAddr is the peer's address.
func (s *ServerSession) RemoteAddr() string { return s.peer }

// Close ends the session; Serve returns.
func (s *ServerSession) Close() { s.fail(ErrClosed) }

// Serve runs the session until the peer goes, the protocol breaks, or
// Close. It returns nil when the peer ended the session normally.
func (s *ServerSession) Serve(h ServerHandler) error {
	defer s.stop(h)
	_ = s.nc.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	info, err := handshake.Server(s.nc, handshake.Config{})
	if err != nil {
		s.fail(err)
		return fmt.Errorf("handshake with %s: %w", s.peer, err)
	}
	s.cfg.Logger.Debug("rtmp handshake", "remote", s.peer, "type", info.Type, "digest", info.Digest, "client_version", fmt.Sprintf("%d.%d.%d.%d", info.PeerVersion[0], info.PeerVersion[1], info.PeerVersion[2], info.PeerVersion[3]))
	_ = s.nc.SetWriteDeadline(time.Time{})
	var in io.Reader = newRawReader(s.nc)
	if info.Encrypted() {
		enc := info.Wrap(s.nc)
		s.useEncryption(enc)
		in = enc
	}
	r, err := chunk.NewReader(bufio.NewReaderSize(in, 64*1024), chunk.ReaderConfig{MaxMessageLength: s.cfg.MaxMessageLength, MaxPartialMessages: 16})
	if err != nil {
		return err
	}
	for {
		m, err := r.ReadMessage()
		if err != nil {
			byUs := false
			select {
			case <-s.done: // Close, or a write that failed
				byUs = true
			default:
			}
			s.fail(err)
			switch {
			case byUs && errors.Is(s.Err(), ErrClosed):
				return nil
			case byUs:
				return s.Err()
			case errors.Is(err, io.EOF):
				return nil // the peer hung up between messages
			}
			return fmt.Errorf("reading from %s: %w", s.peer, err)
		}
		if err := s.control(r, m); err != nil {
			return err
		}
		switch m.TypeID {
		case typeAudio, typeVideo, typeDataAMF0:
			if s.role == 1 {
				h.OnMedia(m.TypeID, m.Timestamp, m.Payload)
			}
		case typeCommandAMF0:
			cmd, err := decodeCommand(m.Payload)
			if err != nil && !errors.Is(err, errCommandArgs) {
				s.fail(err)
				return fmt.Errorf("%w: undecodable command from %s: %v", ErrProtocol, s.peer, err)
			}
			if err != nil {
				// An argument we cannot read: counted, and the
				// command acted on with those before it.
				s.badCommand(err)
			}
			if err := s.command(h, m, cmd); err != nil {
				s.fail(err)
				return err
			}
		}
	}
}

func (s *ServerSession) stop(h ServerHandler) {
	if s.role != 0 && !s.stopped {
		s.stopped = true
		h.OnStop()
	}
	s.fail(ErrClosed)
}

func (s *ServerSession) command(h ServerHandler, m *chunk.Message, cmd command) error {
	switch cmd.name {
	case "connect":
		if len(cmd.args) > 0 {
			s.app = stringProperty(cmd.args[0], "app")
		}
		if err := s.writeControl(typeWindowAckSize, be32(2_500_000)); err != nil {
			return err
		}
		if err := s.writeControl(typeSetPeerBW, append(be32(2_500_000), 2)); err != nil {
			return err
		}
		if err := s.setChunkSize(s.cfg.ChunkSize); err != nil {
			return err
		}
		return s.writeCommand(csidCommand, 0, "_result", cmd.txID,
			serverEnhancedProps(flv.AMF0Object{{Key: "fmsVer", Value: "FMS/3,0,1,123"}, {Key: "capabilities", Value: 31.0}}, s.cfg.Enhanced),
			flv.AMF0Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetConnection.Connect.Success"},
				{Key: "description", Value: "Connection succeeded."}, {Key: "objectEncoding", Value: 0.0}})
	case "createStream":
		s.streamID = 1
		return s.writeCommand(csidCommand, 0, "_result", cmd.txID, nil, float64(s.streamID))
	case "releaseStream", "FCPublish", "getStreamLength":
		if cmd.txID != 0 {
			return s.writeCommand(csidCommand, 0, "_result", cmd.txID, nil)
		}
		return nil
	case "publish":
		name := stringArg(cmd.args, 1)
		if s.role != 0 {
			return fmt.Errorf("%w: publish on a session already in use", ErrProtocol)
		}
		if err := h.OnPublish(s, s.app, name); err != nil {
			_ = s.status(m.StreamID, "error", "NetStream.Publish.BadName", err.Error())
			s.linger()
			return fmt.Errorf("publish refused: %w", err)
		}
		s.role = 1
		_ = s.nc.SetReadDeadline(time.Time{}) // set up: no more deadline
		return s.status(m.StreamID, "status", "NetStream.Publish.Start", "Publishing.")
	case "play":
		name := stringArg(cmd.args, 1)
		if s.role != 0 {
			return fmt.Errorf("%w: play on a session already in use", ErrProtocol)
		}
		s.play = PlayArgs{Start: msArg(cmd.args, 2, -2), Duration: msArg(cmd.args, 3, -1)}
		// StreamBegin, then the statuses players wait for.
		if err := s.SendUserControl(UserControlStreamBegin); err != nil {
			return err
		}
		if err := h.OnPlay(s, s.app, name); err != nil {
			_ = s.status(m.StreamID, "error", "NetStream.Play.StreamNotFound", err.Error())
			s.linger()
			return fmt.Errorf("play refused: %w", err)
		}
		if err := s.status(m.StreamID, "status", "NetStream.Play.Reset", "Playing and resetting."); err != nil {
			return err
		}
		s.role = 2
		_ = s.nc.SetReadDeadline(time.Time{})
		if err := s.status(m.StreamID, "status", "NetStream.Play.Start", "Started playing."); err != nil {
			return err
		}
		close(s.playing)
		return nil
	case "seek":
		if vh, ok := h.(VODHandler); ok && s.role == 2 {
			vh.OnSeek(max(msArg(cmd.args, 1, 0), 0))
		}
	case "pause":
		if vh, ok := h.(VODHandler); ok && s.role == 2 {
			pause, _ := argAt(cmd.args, 1).(bool)
			vh.OnPause(pause, max(msArg(cmd.args, 2, 0), 0))
		}
	case "FCUnpublish", "deleteStream", "closeStream":
		if s.role != 0 && !s.stopped {
			s.stopped = true
			h.OnStop()
		}
	}
	return nil
}

// lingerTime bounds how long a refused session waits for the peer to go.
const lingerTime = time.Second

// linger lets a refusal arrive before the session closes: our side is
// shut for writing and what the peer still sends (its SetBufferLength
// after play, say) is read and dropped until it hangs up, for up to
// lingerTime. Closing with unread data would reset the connection, and a
// reset makes the peer's system drop the refusal it has not read yet.
func (s *ServerSession) linger() {
	s.errMu.Lock()
	nc := s.nc
	s.errMu.Unlock()
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = nc.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.Copy(io.Discard, nc)
}

func stringArg(args []any, i int) string {
	if i < len(args) {
		if v, ok := args[i].(string); ok {
			return v
		}
	}
	return ""
}

func argAt(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// msArg is args[i], a number of milliseconds, as a duration; def (in ms)
// when it is missing or not a finite number.
func msArg(args []any, i int, def float64) time.Duration {
	v, ok := argAt(args, i).(float64)
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e12 {
		v = def
	}
	return time.Duration(v * float64(time.Millisecond))
}

// User control events a server sends (RTMP 7.1.7).
const (
	UserControlStreamBegin      = 0
	UserControlStreamEOF        = 1
	UserControlStreamIsRecorded = 4
)

// SendUserControl sends the user control event ev (StreamBegin,
// StreamEOF, StreamIsRecorded) for the session's stream.
func (s *ServerSession) SendUserControl(ev uint16) error {
	return s.writeControl(typeUserControl, append([]byte{byte(ev >> 8), byte(ev)}, be32(max(s.streamID, 1))...))
}

// SendStatus sends an onStatus of level "status" (code, description) on
// the session's stream, in order with the media written before it.
func (s *ServerSession) SendStatus(code, desc string) error {
	return s.status(max(s.streamID, 1), "status", code, desc)
}

// SendPlayStatus sends the data message onPlayStatus (code
// NetStream.Play.Complete at the end of a recording, as FMS does).
func (s *ServerSession) SendPlayStatus(code string, ts uint32) error {
	p, err := flv.MarshalAMF0("onPlayStatus", flv.AMF0Object{{Key: "level", Value: "status"}, {Key: "code", Value: code}})
	if err != nil {
		return err
	}
	return s.writeMessage(&chunk.Message{ChunkStreamID: mediaCSID(typeDataAMF0), TypeID: typeDataAMF0, StreamID: s.streamID, Timestamp: ts, Payload: p})
}

func (s *ServerSession) status(streamID uint32, level, code, desc string) error {
	return s.writeCommand(csidStream, streamID, "onStatus", 0, nil,
		flv.AMF0Object{{Key: "level", Value: level}, {Key: "code", Value: code}, {Key: "description", Value: desc}})
}

// WriteMedia sends one audio (8), video (9) or data (18) message to a
// player, at timestamp ms.
func (s *ServerSession) WriteMedia(typeID uint8, timestamp uint32, payload []byte) error {
	return s.writeMessage(&chunk.Message{ChunkStreamID: mediaCSID(typeID), TypeID: typeID, StreamID: s.streamID, Timestamp: timestamp, Payload: payload})
}

// StripSetDataFrame turns a publisher's "@setDataFrame", "onMetaData", {…}
// data message into the "onMetaData", {…} that players expect; other
// payloads are returned unchanged.
func StripSetDataFrame(p []byte) []byte {
	const tag = "\x02\x00\x0d@setDataFrame"
	if bytes.HasPrefix(p, []byte(tag)) {
		return p[len(tag):]
	}
	return p
}
