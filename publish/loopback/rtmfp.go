package loopback

import (
	"fmt"
	"sync"
	"time"

	"onair/publish/rtmfp"
)

// RTMFP media deadlines for viewers: a picture or sound not delivered in
// this long is abandoned (the next keyframe recovers).
const (
	rtmfpVideoDeadline = time.Second
	rtmfpAudioDeadline = 1500 * time.Millisecond
)

// rtmfpFace serves the hub's streams over RTMFP (package rtmfp): publish
// and play, the same streams as RTMP, HLS and HTTP-FLV.
type rtmfpFace struct {
	s     *Server
	mu    sync.Mutex
	conns map[*rtmfp.ServerConn]*rtmfpStream
}

// rtmfpStream is what one RTMFP connection publishes or plays.
type rtmfpStream struct {
	name   string
	pub    *Publication
	reader *Reader
	in     countBytes
	leave  func()
	done   chan struct{} // a viewer's sender ended
}

func (f *rtmfpFace) OnPublish(c *rtmfp.ServerConn, app, raw string) error {
	remote := c.RemoteAddr()
	name, pub, err := f.s.admitPublish(app, raw, remote, "rtmfp", c.Close)
	if err != nil {
		return err
	}
	st := &rtmfpStream{name: name, pub: pub}
	st.leave = f.s.addClient(&client{role: "publish", proto: "rtmfp", remote: remote, stream: name, bytes: st.in.load, kick: c.Close})
	f.mu.Lock()
	f.conns[c] = st
	f.mu.Unlock()
	f.s.startPublication(name, remote, "rtmfp")
	return nil
}

func (f *rtmfpFace) OnMedia(c *rtmfp.ServerConn, typ uint8, ts uint32, payload []byte) {
	f.mu.Lock()
	st := f.conns[c]
	f.mu.Unlock()
	if st != nil && st.pub != nil {
		writePublished(st.pub, &st.in, typ, ts, payload)
	}
}

func (f *rtmfpFace) OnPlay(c *rtmfp.ServerConn, app, raw string) error {
	name, _ := streamName(raw)
	remote := c.RemoteAddr()
	if err := f.s.allow(f.s.ctx, hookEvent{Action: "play", Stream: name, Client: remote, Protocol: "rtmfp", Query: queryOf(raw)}); err != nil {
		return err
	}
	r, err := f.s.hub.Play(name, "rtmfp")
	if err != nil {
		return fmt.Errorf("no live stream named %q", name)
	}
	st := &rtmfpStream{name: name, reader: r, done: make(chan struct{})}
	st.leave = f.s.addClient(&client{role: "play", proto: "rtmfp", remote: remote, stream: name,
		bytes: func() uint64 { return c.Stats().BytesSent }, kick: c.Close})
	f.mu.Lock()
	f.conns[c] = st
	f.mu.Unlock()
	f.s.log.Info("play", "proto", "rtmfp", "stream", name, "remote", remote)
	f.s.wg.Add(1)
	go func() {
		defer f.s.wg.Done()
		defer close(st.done)
		f.send(c, r)
	}()
	return nil
}

// send writes the reader's units to a viewer until either side ends.
func (f *rtmfpFace) send(c *rtmfp.ServerConn, r *Reader) {
	var tl timeline
	var buf []*Unit
	for {
		buf = r.Next(buf)
		for _, u := range buf {
			d := rtmfpVideoDeadline
			if u.Kind == KindAudio {
				d = rtmfpAudioDeadline
			}
			if c.WriteMedia(uint8(u.Kind), tl.ms(u), u.Body, d) != nil {
				return
			}
		}
		if len(buf) > 0 {
			continue
		}
		select {
		case <-c.Done():
			return
		case <-f.s.ctx.Done():
			return
		case <-r.Done():
			c.Close()
			return
		case <-r.Ready():
		}
	}
}

func (f *rtmfpFace) OnClose(c *rtmfp.ServerConn) {
	f.mu.Lock()
	st := f.conns[c]
	delete(f.conns, c)
	f.mu.Unlock()
	if st == nil {
		return
	}
	if st.pub != nil {
		f.s.endPublication(st.name, c.RemoteAddr(), "rtmfp", st.pub)
	}
	if st.reader != nil {
		f.s.hub.Leave(st.name, st.reader)
		<-st.done
		f.s.log.Info("play ended", "proto", "rtmfp", "stream", st.name, "dropped", st.reader.Dropped())
	}
	st.leave()
}
