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
// what each sent, and plays each published stream back to players of the
// same path (from the next keyframe), through gortmplib's own writer.
type GoRTMP struct {
	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	pubs    []*GoRTMPPublish
	errs    []error
	streams map[string]*goRTMPStream
	closed  chan struct{}
}

// goRTMPStream is a published stream and its players.
type goRTMPStream struct {
	tracks []*gortmplib.Track
	subs   map[chan goRTMPUnit]bool
}

// goRTMPUnit is one access unit or audio frame on its way to players.
type goRTMPUnit struct {
	track    *gortmplib.Track
	pts, dts time.Duration
	au       [][]byte // H.264, H.265; AV1 OBUs
	frame    []byte   // audio
	key      bool
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
	s := &GoRTMP{ln: ln, streams: map[string]*goRTMPStream{}, closed: make(chan struct{})}
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
	close(s.closed)
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
		return s.play(nc, sc)
	}
	r := &gortmplib.Reader{Conn: sc}
	if err := r.Initialize(); err != nil {
		return fmt.Errorf("gortmplib: reading the tracks: %w", err)
	}
	p := &GoRTMPPublish{Type: fb.b, Path: sc.URL.Path}
	s.mu.Lock()
	s.pubs = append(s.pubs, p)
	s.mu.Unlock()
	st := &goRTMPStream{tracks: r.Tracks(), subs: map[chan goRTMPUnit]bool{}}
	s.mu.Lock()
	s.streams[sc.URL.Path] = st
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.streams[sc.URL.Path] == st {
			delete(s.streams, sc.URL.Path)
		}
		for ch := range st.subs {
			close(ch)
		}
		st.subs = nil
		s.mu.Unlock()
	}()
	// relay counts a unit and hands it to the players that can take it.
	relay := func(n *int, u goRTMPUnit) {
		s.mu.Lock()
		defer s.mu.Unlock()
		*n++
		for ch, started := range st.subs {
			if !started && !u.key {
				continue // a player starts at a keyframe (or audio, for audio-only)
			}
			st.subs[ch] = true
			select {
			case ch <- u:
			default: // a slow player loses units
			}
		}
	}
	hasVideo := false
	for _, t := range r.Tracks() {
		switch t.Codec.(type) {
		case *codecs.H264, *codecs.H265, *codecs.AV1:
			hasVideo = true
		}
	}
	for _, t := range r.Tracks() {
		switch t.Codec.(type) {
		case *codecs.H264:
			r.OnDataH264(t, func(pts, dts time.Duration, au [][]byte) {
				relay(&p.Video, goRTMPUnit{track: t, pts: pts, dts: dts, au: au, key: h264Key(au)})
			})
		case *codecs.H265:
			r.OnDataH265(t, func(pts, dts time.Duration, au [][]byte) {
				relay(&p.Video, goRTMPUnit{track: t, pts: pts, dts: dts, au: au, key: h265Key(au)})
			})
		case *codecs.AV1:
			r.OnDataAV1(t, func(pts time.Duration, tu [][]byte) {
				relay(&p.Video, goRTMPUnit{track: t, pts: pts, dts: pts, au: tu, key: av1Key(tu)})
			})
		case *codecs.MPEG4Audio:
			r.OnDataMPEG4Audio(t, func(pts time.Duration, au []byte) {
				relay(&p.Audio, goRTMPUnit{track: t, pts: pts, frame: au, key: !hasVideo})
			})
		case *codecs.Opus:
			r.OnDataOpus(t, func(pts time.Duration, pkt []byte) {
				relay(&p.Audio, goRTMPUnit{track: t, pts: pts, frame: pkt, key: !hasVideo})
			})
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

func h264Key(au [][]byte) bool {
	for _, n := range au {
		if len(n) > 0 && n[0]&0x1f == 5 {
			return true
		}
	}
	return false
}

func h265Key(au [][]byte) bool {
	for _, n := range au {
		if len(n) > 0 {
			if t := (n[0] >> 1) & 0x3f; t >= 16 && t <= 23 {
				return true
			}
		}
	}
	return false
}

// av1Key reports whether a temporal unit starts a coded video sequence:
// it carries a sequence header OBU, as SVT-AV1 and libaom put one before
// each key frame.
func av1Key(tu [][]byte) bool {
	for _, obu := range tu {
		if len(obu) > 0 && (obu[0]>>3)&0x0f == 1 {
			return true
		}
	}
	return false
}

// play sends a published stream to a player with gortmplib's writer,
// waiting up to 5 s for the stream to be published.
func (s *GoRTMP) play(nc net.Conn, sc *gortmplib.ServerConn) error {
	path := sc.URL.Path
	ch := make(chan goRTMPUnit, 256)
	var st *goRTMPStream
	for deadline := time.Now().Add(5 * time.Second); ; {
		s.mu.Lock()
		if st = s.streams[path]; st != nil {
			st.subs[ch] = false
		}
		s.mu.Unlock()
		if st != nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gortmplib test server: nothing published at %s", path)
		}
		select {
		case <-s.closed:
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
	defer func() {
		s.mu.Lock()
		if st.subs != nil {
			delete(st.subs, ch)
		}
		s.mu.Unlock()
	}()
	_ = nc.SetReadDeadline(time.Time{})
	w := &gortmplib.Writer{Conn: sc, Tracks: st.tracks}
	if err := w.Initialize(); err != nil {
		return fmt.Errorf("gortmplib: starting to play %s: %w", path, err)
	}
	// The player's messages (acknowledgements) are read and dropped, so
	// that a closed player ends the session.
	readErr := make(chan error, 1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done() // ends when the session's connection is closed
		_, err := io.Copy(io.Discard, nc)
		readErr <- err
	}()
	for {
		select {
		case <-s.closed:
			return nil
		case err := <-readErr:
			return err
		case u, ok := <-ch:
			if !ok {
				return nil // the publisher left
			}
			_ = nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
			var err error
			switch u.track.Codec.(type) {
			case *codecs.H264:
				err = w.WriteH264(u.track, u.pts, u.dts, u.au)
			case *codecs.H265:
				err = w.WriteH265(u.track, u.pts, u.dts, u.au)
			case *codecs.AV1:
				err = w.WriteAV1(u.track, u.pts, u.au)
			case *codecs.MPEG4Audio:
				err = w.WriteMPEG4Audio(u.track, u.pts, u.frame)
			case *codecs.Opus:
				err = w.WriteOpus(u.track, u.pts, u.frame)
			}
			if err != nil {
				return err
			}
		}
	}
}
