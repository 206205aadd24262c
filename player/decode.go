package player

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/testsignal"
)

// noPTS is FFmpeg's AV_NOPTS_VALUE.
const noPTS = math.MinInt64

// track is one demuxed stream that the player decodes.
type track struct {
	index int
	tb    astiav.Rational
	st    *astiav.Stream
	cc    *astiav.CodecContext
	name  string // codec name, e.g. "h264"
	in    *pktQueue
	lat   Latency
}

// reset reopens the decoder (after a seek: go-astiav v0.16.0 has no
// avcodec_flush_buffers), dropping the pictures it still held.
func (t *track) reset() error {
	cc, _, err := openDecoder(t.st, t.lat)
	if err != nil {
		return err
	}
	t.cc.Free()
	t.cc = cc
	return nil
}

// fromTB converts ticks of time base tb to a duration.
func fromTB(t int64, tb astiav.Rational) time.Duration {
	if tb.Den() == 0 {
		return 0
	}
	return time.Duration(math.Round(float64(t) * float64(tb.Num()) * float64(time.Second) / float64(tb.Den())))
}

// openDecoder opens a decoder for stream st. Low latency decodes with
// slice threads (no frame of delay per thread).
func openDecoder(st *astiav.Stream, lat Latency) (*astiav.CodecContext, string, error) {
	cp := st.CodecParameters()
	dec := astiav.FindDecoder(cp.CodecID())
	if dec == nil {
		return nil, "", fmt.Errorf("no decoder for %s: %w", cp.CodecID(), ErrUnsupportedCodec)
	}
	cc := astiav.AllocCodecContext(dec)
	if cc == nil {
		return nil, "", errors.New("player: allocating a decoder failed")
	}
	if err := cp.ToCodecContext(cc); err != nil {
		cc.Free()
		return nil, "", fmt.Errorf("decoder parameters: %w", err)
	}
	cc.SetTimeBase(st.TimeBase())
	if cp.MediaType() == astiav.MediaTypeVideo {
		if lat == LatencyLow {
			cc.SetThreadType(astiav.ThreadTypeSlice)
			cc.SetThreadCount(2)
		} else {
			cc.SetThreadCount(0)
		}
	}
	if err := cc.Open(dec, nil); err != nil {
		cc.Free()
		return nil, "", fmt.Errorf("opening the %s decoder: %w", dec.Name(), err)
	}
	return cc, dec.Name(), nil
}

// vframe is a decoded picture on its way to the presenter, with the test
// signal read from it.
type vframe struct {
	f        *astiav.Frame
	pts      time.Duration
	stripeMS int64
	stripeOK bool
	sync     bool  // the sync square is white
	yuv      bool  // the frame is YUV 4:2:0 (the marks could be read)
	gen      int64 // the seek generation it was decoded in
}

func (v *vframe) free() {
	if v.f != nil {
		v.f.Free()
		v.f = nil
	}
}

// runVideoDecoder decodes t's packets and sends pictures to out until the
// queue ends; it closes out when it returns.
func (p *Player) runVideoDecoder(ctx context.Context, t *track, out chan<- *vframe) {
	defer close(out)
	var gen int64 // seek generation of what is decoded
	send := func(f *astiav.Frame, pktPTS time.Duration) bool {
		v := &vframe{f: f, pts: pktPTS, gen: gen}
		if ts := f.Pts(); ts != noPTS {
			v.pts = fromTB(ts, t.tb)
		}
		if view, ok := viewYUV420(f); ok {
			v.yuv = true
			v.stripeMS, v.stripeOK = testsignal.ReadStripe(view.Planes[0], view.Strides[0], view.Width, view.Height)
			v.sync = testsignal.ReadSyncSquare(view.Planes[0], view.Strides[0], view.Width, view.Height)
		}
		p.noteVideoSize(f.Width(), f.Height())
		select {
		case out <- v:
			return true
		case <-ctx.Done():
			v.free()
			return false
		}
	}
	for {
		k, ok := t.in.Pop(ctx)
		if !ok {
			break
		}
		if k.p == nil { // a flush marker after a seek
			gen = k.gen
			if err := t.reset(); err != nil {
				p.log.Warn("reopening the decoder after a seek failed", "err", err)
			}
			continue
		}
		start := time.Now()
		err := t.cc.SendPacket(k.p)
		k.release()
		if err != nil && !errors.Is(err, astiav.ErrEagain) {
			p.concealed.Add(1)
			p.log.Debug("video decode error, concealed", "err", err)
		}
		for {
			f := astiav.AllocFrame()
			if err := t.cc.ReceiveFrame(f); err != nil {
				f.Free()
				if !errors.Is(err, astiav.ErrEagain) && !errors.Is(err, astiav.ErrEof) {
					p.concealed.Add(1)
				}
				break
			}
			p.decodeTimes.add(time.Since(start))
			if p.decodeTimes.count() == 1 {
				p.log.Debug("first picture decoded", "after", time.Since(p.opened))
			}
			if !send(f, k.pts) {
				return
			}
			start = time.Now()
		}
	}
	// Drain the decoder at the end of the stream.
	if ctx.Err() == nil {
		_ = t.cc.SendPacket(nil)
		for {
			f := astiav.AllocFrame()
			if err := t.cc.ReceiveFrame(f); err != nil {
				f.Free()
				break
			}
			if !send(f, 0) {
				return
			}
		}
	}
}

// runAudioDecoder decodes t's packets, converts them to the output format
// and queues them on the audio output at their time.
func (p *Player) runAudioDecoder(ctx context.Context, t *track) {
	rs := newResampler(outRate, outChannels)
	defer rs.free()
	f := astiav.AllocFrame()
	defer f.Free()
	var next time.Duration // expected PTS of the next frame, for frames without one
	var gen int64          // seek generation of what is decoded
	for {
		k, ok := t.in.Pop(ctx)
		if !ok {
			return
		}
		if k.p == nil {
			gen = k.gen
			if err := t.reset(); err != nil {
				p.log.Warn("reopening the decoder after a seek failed", "err", err)
			}
			continue
		}
		err := t.cc.SendPacket(k.p)
		pktPTS := k.pts
		k.release()
		if err != nil && !errors.Is(err, astiav.ErrEagain) {
			p.concealed.Add(1)
			continue
		}
		for {
			if err := t.cc.ReceiveFrame(f); err != nil {
				if !errors.Is(err, astiav.ErrEagain) && !errors.Is(err, astiav.ErrEof) {
					p.concealed.Add(1)
				}
				break
			}
			pts := pktPTS
			if ts := f.Pts(); ts != noPTS {
				pts = fromTB(ts, t.tb)
			} else if next != 0 {
				pts = next
			}
			p.noteAudioFormat(f.SampleRate(), f.ChannelLayout().NbChannels())
			samples, err := rs.convert(f)
			f.Unref()
			if err != nil {
				p.concealed.Add(1)
				p.log.Debug("audio conversion failed", "err", err)
				continue
			}
			if len(samples) == 0 {
				continue
			}
			next = pts + time.Duration(len(samples)/outChannels)*time.Second/outRate
			if !p.queueAudio(ctx, gen, pts, samples) {
				return
			}
		}
	}
}

// queueAudio hands samples to the output when they are due: when the output
// is idle it waits for the clock (so audio starts in sync), drops samples
// far behind it (after a catch-up jump), and otherwise keeps the output's
// buffer short, waiting while it is full.
func (p *Player) queueAudio(ctx context.Context, gen int64, pts time.Duration, samples []float32) bool {
	for {
		if ctx.Err() != nil {
			return false
		}
		if gen != p.seekGen.Load() {
			return true // from before a seek (what got out before it is flushed by the seek)
		}
		if gen > 0 && pts < time.Duration(p.seekTarget.Load())-time.Millisecond {
			return true // between the keyframe and a seek's target
		}
		playing := p.audio.Buffered() > 0
		if _, ok := p.audio.Clock(); ok {
			playing = true
		}
		if playing {
			if !p.audioStarted.Swap(true) {
				p.state.CompareAndSwap(int32(StateOpening), int32(StatePlaying))
			}
			if p.audio.Buffered() < maxAudioAhead {
				p.audio.Write(pts, samples)
				return true
			}
		} else if p.seeking.Load() {
			// After a seek, sound starts with the picture at the target:
			// the clock is anchored on it (staleAfterSeek). Started on the
			// wall clock while the pictures are still decoded from the
			// keyframe, the sound would lead, and that picture would be
			// dropped as late.
		} else if now, ok := p.clock.Now(); ok {
			switch {
			case pts < now-lateAudio:
				switch {
				case p.skipped(pts):
					p.audioSkipped.Add(1)
				case p.audioStarted.Load():
					p.audioDropped.Add(1)
				}
				return true
			case pts <= now+5*time.Millisecond:
				p.audio.Write(pts, samples)
				return true
			}
		} else if !p.hasVideo() {
			// Audio only: audio starts the clock.
			p.audio.Write(pts, samples)
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Output format of the audio path.
const (
	outRate     = 48000
	outChannels = 2
	// maxAudioAhead is the most audio queued on the output beyond what
	// plays now; more waits in the packet queue, where live drops happen.
	maxAudioAhead = 250 * time.Millisecond
	// lateAudio: when no audio plays, audio this far behind the clock is
	// dropped rather than played (playing it would hold the pictures back
	// by as much).
	lateAudio = 100 * time.Millisecond
)
