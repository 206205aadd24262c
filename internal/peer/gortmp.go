package peer

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/codecs"
)

// GoRTMP is a third-party RTMP server in the test process:
// bluenviron/gortmplib (MediaMTX's RTMP code), which speaks RTMPE (type 6)
// and Enhanced RTMP. It takes publishers on 127.0.0.1:Port and records
// what each sent; it does not serve players.
type GoRTMP struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	pubs []*GoRTMPPublish
	errs []error
}

// GoRTMPPublish is what one publisher sent.
type GoRTMPPublish struct {
	// Type is the client's C0: 3 plain, 6 or 8 RTMPE.
	Type byte
	// Path is the URL path published to (/app/key).
	Path string
	// Codecs names the tracks (H264, MPEG-4 Audio, Opus, …).
	Codecs []string
	// Video and Audio count the access units and frames received.
	Video, Audio int
}

// StartGoRTMP listens on a free loopback port.
func StartGoRTMP() (*GoRTMP, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &GoRTMP{ln: ln}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is host:port.
func (s *GoRTMP) Addr() string { return s.ln.Addr().String() }

// Publishes is what the publishers sent so far, and the errors that ended
// sessions other than by the client hanging up.
func (s *GoRTMP) Publishes() ([]GoRTMPPublish, []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]GoRTMPPublish, len(s.pubs))
	for i, p := range s.pubs {
		out[i] = *p
	}
	return out, append([]error(nil), s.errs...)
}

// Stop closes the listener and every session, and waits for them.
func (s *GoRTMP) Stop() {
	s.ln.Close()
	s.wg.Wait()
}

func (s *GoRTMP) accept() {
	defer s.wg.Done()
	var conns sync.Map
	defer func() {
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	}()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		conns.Store(nc, nil)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conns.Delete(nc)
			defer nc.Close()
			if err := s.serve(nc); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.mu.Lock()
				s.errs = append(s.errs, err)
				s.mu.Unlock()
			}
		}()
	}
}

// firstByte records the first byte read from a connection (C0).
type firstByte struct {
	net.Conn
	b    byte
	seen bool
}

func (f *firstByte) Read(p []byte) (int, error) {
	n, err := f.Conn.Read(p)
	if n > 0 && !f.seen {
		f.b, f.seen = p[0], true
	}
	return n, err
}

func (s *GoRTMP) serve(nc net.Conn) error {
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	fb := &firstByte{Conn: nc}
	sc := &gortmplib.ServerConn{RW: fb}
	if err := sc.Initialize(); err != nil {
		return fmt.Errorf("gortmplib: initialize: %w", err)
	}
	if err := sc.AcceptConn(); err != nil {
		return fmt.Errorf("gortmplib: accept: %w", err)
	}
	if !sc.Publish {
		return errors.New("gortmplib test server: only publishers are served")
	}
	r := &gortmplib.Reader{Conn: sc}
	if err := r.Initialize(); err != nil {
		return fmt.Errorf("gortmplib: reading the tracks: %w", err)
	}
	p := &GoRTMPPublish{Type: fb.b, Path: sc.URL.Path}
	s.mu.Lock()
	s.pubs = append(s.pubs, p)
	s.mu.Unlock()
	count := func(n *int) { s.mu.Lock(); *n++; s.mu.Unlock() }
	for _, t := range r.Tracks() {
		switch t.Codec.(type) {
		case *codecs.H264:
			r.OnDataH264(t, func(time.Duration, time.Duration, [][]byte) { count(&p.Video) })
		case *codecs.H265:
			r.OnDataH265(t, func(time.Duration, time.Duration, [][]byte) { count(&p.Video) })
		case *codecs.MPEG4Audio:
			r.OnDataMPEG4Audio(t, func(time.Duration, []byte) { count(&p.Audio) })
		case *codecs.Opus:
			r.OnDataOpus(t, func(time.Duration, []byte) { count(&p.Audio) })
		}
		s.mu.Lock()
		p.Codecs = append(p.Codecs, fmt.Sprintf("%T", t.Codec)[len("*codecs."):])
		s.mu.Unlock()
	}
	for {
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := r.Read(); err != nil {
			return err
		}
	}
}
