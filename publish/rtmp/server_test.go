package rtmp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/yutopp/go-rtmp/handshake"

	"onair/internal/leaktest"
	"onair/publish/flv"
	"onair/publish/rtmp/chunk"
)

// fakeServer is an RTMP server on 127.0.0.1 for one test. It runs handle
// for each connection it accepts, in a goroutine of its own, and closes the
// connection when handle returns. What handle returns is the connection's
// result; tests take results, in the order the connections ended, from
// results. The server is closed (and all its goroutines waited for) when
// the test ends.
type fakeServer struct {
	ln      net.Listener
	handle  func(*serverConn) error
	results chan error

	acceptDone chan struct{}
	wg         sync.WaitGroup
	mu         sync.Mutex
	conns      []net.Conn
}

func newFakeServer(t *testing.T, handle func(*serverConn) error) *fakeServer {
	t.Helper()
	return newFakeServerOn(t, listen(t), handle)
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// newFakeServerOn serves on ln, e.g. a TLS listener.
func newFakeServerOn(t *testing.T, ln net.Listener, handle func(*serverConn) error) *fakeServer {
	s := &fakeServer{
		ln:         ln,
		handle:     handle,
		results:    make(chan error, 16),
		acceptDone: make(chan struct{}),
	}
	go s.acceptLoop()
	t.Cleanup(s.close)
	return s
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

func (s *fakeServer) acceptLoop() {
	defer close(s.acceptDone)
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, nc)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			err := s.handle(newServerConn(nc))
			nc.Close()
			select {
			case s.results <- err:
			default: // a test that opens more than 16 connections ignores results
			}
		}()
	}
}

// result waits for the next connection to end and returns its result.
func (s *fakeServer) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.results:
		return err
	case <-time.After(3 * time.Second):
		t.Fatal("fake server: connection handler did not finish")
		return nil
	}
}

func (s *fakeServer) close() {
	s.ln.Close()
	<-s.acceptDone
	s.mu.Lock()
	for _, nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// serverConn is the server's side of one connection.
type serverConn struct {
	nc      net.Conn
	r       *chunk.Reader
	bw      *bufio.Writer
	w       *chunk.Writer
	written uint64 // bytes sent after the handshake
}

func newServerConn(nc net.Conn) *serverConn {
	c := &serverConn{nc: nc}
	c.bw = bufio.NewWriter(writerFunc(func(p []byte) (int, error) {
		n, err := nc.Write(p)
		c.written += uint64(n)
		return n, err
	}))
	c.w = chunk.NewWriter(c.bw)
	return c
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// addr is the server's address as the client dialed it.
func (c *serverConn) addr() string { return c.nc.LocalAddr().String() }

// handshake does the server's side of the RTMP handshake.
func (c *serverConn) handshake() error {
	if err := handshake.HandshakeWithClient(c.nc, c.nc, &handshake.Config{SkipHandshakeVerification: true}); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	r, err := chunk.NewReader(bufio.NewReader(c.nc), chunk.ReaderConfig{})
	if err != nil {
		return err
	}
	c.r = r
	return nil
}

func (c *serverConn) read() (*chunk.Message, error) { return c.r.ReadMessage() }

// readUntilEOF reads what the client sends until it closes its side.
func (c *serverConn) readUntilEOF() ([]*chunk.Message, error) {
	var msgs []*chunk.Message
	for {
		m, err := c.read()
		if errors.Is(err, io.EOF) {
			return msgs, nil
		}
		if err != nil {
			return msgs, fmt.Errorf("after %d messages: %w", len(msgs), err)
		}
		msgs = append(msgs, m)
	}
}

func (c *serverConn) send(m *chunk.Message) error {
	if err := c.w.WriteMessage(m); err != nil {
		return err
	}
	return c.bw.Flush()
}

func (c *serverConn) sendControl(ctl chunk.Control) error {
	m, err := chunk.NewControlMessage(ctl, 0)
	if err != nil {
		return err
	}
	return c.send(m)
}

func (c *serverConn) sendCommand(streamID uint32, vals ...interface{}) error {
	p, err := flv.MarshalAMF0(vals...)
	if err != nil {
		return err
	}
	return c.send(&chunk.Message{ChunkStreamID: 3, TypeID: chunk.TypeCommandAMF0, StreamID: streamID, Payload: p})
}

// expectCommand reads the next message, which must be the command name
// with transaction id txID, and returns its arguments after the
// transaction id.
func (c *serverConn) expectCommand(name string, txID float64) ([]interface{}, *chunk.Message, error) {
	m, err := c.read()
	if err != nil {
		return nil, nil, fmt.Errorf("waiting for %s: %w", name, err)
	}
	if m.TypeID != chunk.TypeCommandAMF0 {
		return nil, m, fmt.Errorf("got message type %d, want command %s", m.TypeID, name)
	}
	vals, err := flv.UnmarshalAMF0(m.Payload)
	if err != nil {
		return nil, m, fmt.Errorf("decoding what should be %s: %w", name, err)
	}
	if len(vals) < 2 || vals[0] != name || vals[1] != txID {
		return nil, m, fmt.Errorf("got command %v, want %s with transaction %v", vals, name, txID)
	}
	return vals[2:], m, nil
}

// expectArgs checks a command's arguments after the command object.
func expectArgs(name string, args []interface{}, want ...interface{}) error {
	if len(args) < 1 || args[0] != nil {
		return fmt.Errorf("%s: command object %v, want null", name, args)
	}
	if len(args[1:]) != len(want) || len(want) > 0 && !reflect.DeepEqual(args[1:], want) {
		return fmt.Errorf("%s: arguments %#v, want %#v", name, args[1:], want)
	}
	return nil
}

// publishScript is what the fake server expects of a client and how it
// answers.
type publishScript struct {
	app, tcURL, key string
	streamID        uint32
}

// acceptConnect reads Set Chunk Size and connect, checks them, and accepts
// the connection as servers do.
func (c *serverConn) acceptConnect(s publishScript) error {
	if err := c.handshake(); err != nil {
		return err
	}
	m, err := c.read()
	if err != nil {
		return fmt.Errorf("waiting for Set Chunk Size: %w", err)
	}
	var scs chunk.SetChunkSize
	if m.TypeID != chunk.TypeSetChunkSize || scs.Unmarshal(m.Payload) != nil || scs.Size != 4096 {
		return fmt.Errorf("first message: type %d payload % x, want Set Chunk Size 4096", m.TypeID, m.Payload)
	}
	args, _, err := c.expectCommand("connect", 1)
	if err != nil {
		return err
	}
	app, tcURL := stringProperty(args[0], "app"), stringProperty(args[0], "tcUrl")
	if app != s.app || tcURL != s.tcURL {
		return fmt.Errorf("connect: app %q tcUrl %q, want %q %q", app, tcURL, s.app, s.tcURL)
	}
	if err := c.sendControl(chunk.WindowAckSize{Size: 5000000}); err != nil {
		return err
	}
	// Like nginx-rtmp, send in chunks of 4096 bytes from now on.
	if err := c.sendControl(chunk.SetChunkSize{Size: 4096}); err != nil {
		return err
	}
	if err := c.w.SetChunkSize(4096); err != nil {
		return err
	}
	if err := c.sendControl(chunk.SetPeerBandwidth{Size: 5000000, Limit: chunk.LimitDynamic}); err != nil {
		return err
	}
	return c.sendCommand(0, "_result", 1.0,
		flv.AMF0Object{{Key: "fmsVer", Value: "FMS/3,0,1,123"}, {Key: "capabilities", Value: 31.0}},
		flv.AMF0Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetConnection.Connect.Success"}, {Key: "description", Value: "Connection succeeded."}})
}

// acceptStream answers releaseStream, FCPublish and createStream.
func (c *serverConn) acceptStream(s publishScript) error {
	args, _, err := c.expectCommand("releaseStream", 2)
	if err != nil {
		return err
	}
	if err := expectArgs("releaseStream", args, s.key); err != nil {
		return err
	}
	args, _, err = c.expectCommand("FCPublish", 3)
	if err != nil {
		return err
	}
	if err := expectArgs("FCPublish", args, s.key); err != nil {
		return err
	}
	if err := c.sendCommand(0, "onFCPublish", 0.0, nil, flv.AMF0Object{{Key: "code", Value: "NetStream.Publish.Start"}, {Key: "description", Value: s.key}}); err != nil {
		return err
	}
	args, _, err = c.expectCommand("createStream", 4)
	if err != nil {
		return err
	}
	if err := expectArgs("createStream", args); err != nil {
		return err
	}
	return c.sendCommand(0, "_result", 4.0, nil, float64(s.streamID))
}

// expectPublish reads the publish command.
func (c *serverConn) expectPublish(s publishScript) error {
	args, m, err := c.expectCommand("publish", 5)
	if err != nil {
		return err
	}
	if m.StreamID != s.streamID {
		return fmt.Errorf("publish on message stream %d, want %d", m.StreamID, s.streamID)
	}
	return expectArgs("publish", args, s.key, "live")
}

func (c *serverConn) sendStatus(s publishScript, level, code, desc string) error {
	return c.sendCommand(s.streamID, "onStatus", 0.0, nil,
		flv.AMF0Object{{Key: "level", Value: level}, {Key: "code", Value: code}, {Key: "description", Value: desc}})
}

// acceptUntilPublish runs the set-up up to the publish command, which it
// leaves unanswered.
func (c *serverConn) acceptUntilPublish(s publishScript) error {
	if err := c.acceptConnect(s); err != nil {
		return err
	}
	if err := c.acceptStream(s); err != nil {
		return err
	}
	return c.expectPublish(s)
}

// acceptPublish runs the whole set-up and confirms the publish.
func (c *serverConn) acceptPublish(s publishScript) error {
	if err := c.acceptUntilPublish(s); err != nil {
		return err
	}
	if err := c.sendControl(chunk.NewUserControl(chunk.EventStreamBegin, s.streamID)); err != nil {
		return err
	}
	return c.sendStatus(s, "status", "NetStream.Publish.Start", s.key+" is now published.")
}

// checkLeaks makes the test fail if, once it and its cleanups are done,
// more goroutines run than when it started. Call it first, so that it runs
// after the other cleanups.
func checkLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() { leaktest.Check(t, before, time.Second) })
}
