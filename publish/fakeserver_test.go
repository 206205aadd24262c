package publish

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/yutopp/go-rtmp/handshake"

	"onair/internal/leaktest"
	"onair/publish/flv"
	"onair/publish/rtmp/chunk"
)

// A smaller copy of the fake server in publish/rtmp's tests: it checks the
// set-up a publisher makes, then hands every message it receives to the
// test as an event.

// event is one message a fake server received on connection conn (1 for
// the first connection), or, with m nil, the end of that connection and
// why (err nil: the client closed it).
type event struct {
	conn int
	m    *chunk.Message
	err  error
}

// fakeServer accepts RTMP publishers on 127.0.0.1. Each connection is
// served in a goroutine of its own; all are closed and waited for when the
// test ends.
type fakeServer struct {
	ln     net.Listener
	key    string
	events chan event
	// drop, when set, is asked about each message received after the
	// set-up; true closes the connection at once.
	drop func(conn int, m *chunk.Message) bool

	acceptDone chan struct{}
	quit       chan struct{} // closed when the test ends
	wg         sync.WaitGroup
	mu         sync.Mutex
	conns      []net.Conn
}

func newFakeServer(t *testing.T, key string, drop func(conn int, m *chunk.Message) bool) *fakeServer {
	t.Helper()
	return newFakeServerRcvbuf(t, key, 0, drop)
}

// newFakeServerRcvbuf is newFakeServer whose connections have a receive
// buffer of rcvbuf bytes (0: the system's, which grows to megabytes): a
// server that reads slowly then leaves the backlog in the sender's kernel,
// as a slow link does.
func newFakeServerRcvbuf(t *testing.T, key string, rcvbuf int, drop func(conn int, m *chunk.Message) bool) *fakeServer {
	t.Helper()
	var lc net.ListenConfig
	if rcvbuf > 0 {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln, key: key, drop: drop, events: make(chan event, 4096),
		acceptDone: make(chan struct{}), quit: make(chan struct{})}
	go s.acceptLoop()
	t.Cleanup(s.close)
	return s
}

func (s *fakeServer) url() string { return "rtmp://" + s.ln.Addr().String() + "/live/" + s.key }

func (s *fakeServer) acceptLoop() {
	defer close(s.acceptDone)
	for n := 1; ; n++ {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, nc)
		s.mu.Unlock()
		s.wg.Add(1)
		go func(n int) {
			defer s.wg.Done()
			err := s.serve(n, nc)
			nc.Close()
			s.emit(event{conn: n, err: err})
		}(n)
	}
}

// emit hands e to the test, or drops it once the test has ended.
func (s *fakeServer) emit(e event) {
	select {
	case s.events <- e:
	case <-s.quit:
	}
}

func (s *fakeServer) close() {
	close(s.quit)
	s.ln.Close()
	<-s.acceptDone
	s.mu.Lock()
	for _, nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *fakeServer) serve(n int, nc net.Conn) error {
	if err := handshake.HandshakeWithClient(nc, nc, &handshake.Config{SkipHandshakeVerification: true}); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	r, err := chunk.NewReader(bufio.NewReader(nc), chunk.ReaderConfig{})
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(nc)
	w := chunk.NewWriter(bw)
	send := func(streamID uint32, vals ...interface{}) error {
		p, err := flv.MarshalAMF0(vals...)
		if err == nil {
			err = w.WriteMessage(&chunk.Message{ChunkStreamID: 3, TypeID: chunk.TypeCommandAMF0, StreamID: streamID, Payload: p})
		}
		if err == nil {
			err = bw.Flush()
		}
		return err
	}
	const streamID = 1
	tcURL := "rtmp://" + s.ln.Addr().String() + "/live"
	if m, err := r.ReadMessage(); err != nil || m.TypeID != chunk.TypeSetChunkSize {
		return fmt.Errorf("want Set Chunk Size first, got %v, %v", m, err)
	}
	// The set-up, request by request, and the answers.
	steps := []struct {
		name     string
		txID     float64
		streamID uint32
		args     []interface{}
		reply    []interface{}
	}{
		{"connect", 1, 0, nil, []interface{}{"_result", 1.0, nil,
			flv.AMF0Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetConnection.Connect.Success"}}}},
		{"releaseStream", 2, 0, []interface{}{nil, s.key}, nil},
		{"FCPublish", 3, 0, []interface{}{nil, s.key}, nil},
		{"createStream", 4, 0, []interface{}{nil}, []interface{}{"_result", 4.0, nil, float64(streamID)}},
		{"publish", 5, streamID, []interface{}{nil, s.key, "live"}, []interface{}{"onStatus", 0.0, nil,
			flv.AMF0Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetStream.Publish.Start"}}}},
	}
	for _, st := range steps {
		m, err := r.ReadMessage()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", st.name, err)
		}
		vals, err := flv.UnmarshalAMF0(m.Payload)
		if m.TypeID != chunk.TypeCommandAMF0 || err != nil || len(vals) < 2 || vals[0] != st.name || vals[1] != st.txID || m.StreamID != st.streamID {
			return fmt.Errorf("got type %d stream %d %v (%v), want command %s %v on stream %d", m.TypeID, m.StreamID, vals, err, st.name, st.txID, st.streamID)
		}
		if st.name == "connect" {
			obj, _ := vals[2].(flv.AMF0Object)
			app, _ := obj.Get("app")
			tc, _ := obj.Get("tcUrl")
			if app != "live" || tc != tcURL {
				return fmt.Errorf("connect with app %v tcUrl %v, want live %s", app, tc, tcURL)
			}
		} else if fmt.Sprint(vals[2:]) != fmt.Sprint(st.args) {
			return fmt.Errorf("%s %v, want %v", st.name, vals[2:], st.args)
		}
		if st.reply != nil {
			if err := send(st.streamID, st.reply...); err != nil {
				return err
			}
		}
	}
	for {
		m, err := r.ReadMessage()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		s.emit(event{conn: n, m: m})
		if s.drop != nil && s.drop(n, m) {
			return nil
		}
	}
}

// next returns the next event, failing t after a few seconds without one.
func next(t *testing.T, events <-chan event) event {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(3 * time.Second):
		t.Fatal("fake server: nothing received")
		return event{}
	}
}

// checkLeaks makes the test fail if, once it and its cleanups are done,
// more goroutines run than when it started. Call it first, so that it runs
// after the other cleanups.
func checkLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() { leaktest.Check(t, before, time.Second) })
}
