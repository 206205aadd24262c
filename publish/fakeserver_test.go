package publish

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	amf0 "github.com/yutopp/go-amf0"
	"github.com/yutopp/go-rtmp/handshake"

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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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
		p, err := encodeAMF0(vals...)
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
			map[string]interface{}{"level": "status", "code": "NetConnection.Connect.Success"}}},
		{"releaseStream", 2, 0, []interface{}{nil, s.key}, nil},
		{"FCPublish", 3, 0, []interface{}{nil, s.key}, nil},
		{"createStream", 4, 0, []interface{}{nil}, []interface{}{"_result", 4.0, nil, float64(streamID)}},
		{"publish", 5, streamID, []interface{}{nil, s.key, "live"}, []interface{}{"onStatus", 0.0, nil,
			map[string]interface{}{"level": "status", "code": "NetStream.Publish.Start"}}},
	}
	for _, st := range steps {
		m, err := r.ReadMessage()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", st.name, err)
		}
		vals, err := decodeAMF0(m.Payload)
		if m.TypeID != chunk.TypeCommandAMF0 || err != nil || len(vals) < 2 || vals[0] != st.name || vals[1] != st.txID || m.StreamID != st.streamID {
			return fmt.Errorf("got type %d stream %d %v (%v), want command %s %v on stream %d", m.TypeID, m.StreamID, vals, err, st.name, st.txID, st.streamID)
		}
		if st.name == "connect" {
			obj, _ := vals[2].(map[string]interface{})
			if obj["app"] != "live" || obj["tcUrl"] != tcURL {
				return fmt.Errorf("connect with app %v tcUrl %v, want live %s", obj["app"], obj["tcUrl"], tcURL)
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

func encodeAMF0(vals ...interface{}) ([]byte, error) {
	var b bytes.Buffer
	e := amf0.NewEncoder(&b)
	for _, v := range vals {
		if err := e.Encode(v); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

func decodeAMF0(p []byte) ([]interface{}, error) {
	r := bytes.NewReader(p)
	d := amf0.NewDecoder(r)
	var vals []interface{}
	for r.Len() > 0 {
		var v interface{}
		if err := d.Decode(&v); err != nil {
			return vals, err
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// checkLeaks makes the test fail if, once it and its cleanups are done,
// more goroutines run than when it started. Call it first, so that it runs
// after the other cleanups.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		var now int
		for i := 0; i < 100; i++ {
			if now = runtime.NumGoroutine(); now <= before {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines, %d before:\n%s", now, before, buf[:runtime.Stack(buf, true)])
	})
}
