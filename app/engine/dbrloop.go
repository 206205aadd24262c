package engine

import "time"

// dbrLoop runs the dynamic bitrate controller (dbr.go) for a broadcast:
// every dbrTick it reads the destinations' figures and hands the target to
// the video encoder. The broadcast owns it: Close ends it before the
// encoders.
type dbrLoop struct {
	stop chan struct{}
	done chan struct{}
}

// startDBR starts the loop at the configured bitrate.
func (b *Broadcast) startDBR() *dbrLoop {
	l := &dbrLoop{stop: make(chan struct{}), done: make(chan struct{})}
	audio := 0
	if b.aenc != nil {
		audio = b.aenc.Config().Bitrate
	}
	c := newDBR(b.venc.Bitrate(), audio)
	go func() {
		defer close(l.done)
		t := time.NewTicker(dbrTick)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
			}
			s := b.Sample()
			r, ok := dbrInput(s.Outputs)
			if !ok {
				continue
			}
			prev := c.target
			if target := c.update(s.At, r); target != prev {
				b.venc.SetBitrate(target)
				b.log.Info("video bitrate target", "kbps", target/1000, "was", prev/1000,
					"queue", r.queue.Round(time.Millisecond), "link_kbps", int(r.rate/1000), "dropping", r.shedding)
			}
		}
	}()
	return l
}

// close ends the loop and waits for it.
func (l *dbrLoop) close() {
	close(l.stop)
	<-l.done
}
