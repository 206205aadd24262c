package record

import (
	"fmt"
	"time"

	"onair/internal/media"
)

// writer is the state of the writer goroutine.
type writer struct {
	started  bool
	base     time.Duration // the stream time that is 0 in the file
	keyAsked bool
	last     time.Duration // the latest DTS written, relative
}

// run writes queued packets until Close has been called and the queue is
// empty, or until a write fails; then it ends the file.
func (r *Recorder) run() {
	defer close(r.done)
	var w writer
	var err error
	for err == nil {
		pk, ok := r.queue.TryPop()
		if ok {
			err = r.write(&w, pk)
			continue
		}
		if r.queue.Closed() {
			// Nothing is pushed once closed: what TryPop found empty
			// after that is the end.
			if pk, ok = r.queue.TryPop(); ok {
				err = r.write(&w, pk)
				continue
			}
			break
		}
		<-r.queue.Ready()
	}
	if err != nil {
		r.queue.Close() // later packets are dropped
		err = fmt.Errorf("%w %s: %w", ErrWrite, r.cfg.Path, err)
		r.log.Error("recording stopped", "err", err)
		r.mux.close(false)
	} else if e := r.mux.close(true); e != nil {
		err = fmt.Errorf("%w %s: %w", ErrWrite, r.cfg.Path, e)
		r.log.Error("cannot end the recording", "err", err)
	}
	if e := r.out.f.Close(); e != nil && err == nil {
		err = fmt.Errorf("%w %s: %w", ErrWrite, r.cfg.Path, e)
	}
	r.mu.Lock()
	r.stats.Err = err
	r.mu.Unlock()
	if err == nil {
		s := r.Stats()
		r.log.Info("recording ended", "bytes", s.Bytes, "duration", s.Duration, "dropped", s.Dropped)
	}
}

// write writes one packet: the file starts at a video keyframe (or the
// first audio packet of an audio-only recording), at time 0; after a drop,
// video resumes at a keyframe.
func (r *Recorder) write(w *writer, pk *media.Packet) error {
	video := pk.Codec.IsVideo()
	if !w.started {
		if (r.cfg.Video != nil && !(video && pk.Key)) || (r.cfg.Video == nil && video) {
			return nil // before the start: not recorded, not a drop
		}
		w.started, w.base = true, pk.DTS
		r.needKey.Store(false)
	}
	if pk.DTS < w.base {
		return nil // audio from just before the first picture
	}
	if video && r.needKey.Load() {
		if !pk.Key {
			r.mu.Lock()
			r.stats.Dropped++
			r.mu.Unlock()
			if !w.keyAsked && r.cfg.RequestKeyframe != nil {
				w.keyAsked = true // once per gap
				r.cfg.RequestKeyframe()
			}
			return nil
		}
		r.needKey.Store(false)
		w.keyAsked = false
	}
	pts, dts := pk.PTS-w.base, pk.DTS-w.base
	if err := r.mux.write(pk, max(pts, dts), dts); err != nil {
		return err
	}
	if dts > w.last {
		w.last = dts
	}
	r.mu.Lock()
	r.stats.Duration = w.last
	if video {
		r.stats.Frames++
		r.stats.VideoBytes += uint64(len(pk.Data))
	} else {
		r.stats.AudioBytes += uint64(len(pk.Data))
	}
	r.mu.Unlock()
	return nil
}
