package capture

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/swr"
)

// This file is the File's goroutine: it reads ahead, has the tracks decode
// (filetrack.go), the frames converted (fileconvert.go) and released on
// time (filerelease.go), and starts a new pass when looping.

const (
	// fileLead is how far ahead of the pace packets are read and decoded.
	fileLead = 200 * time.Millisecond
	// fileMaxAhead bounds how far ahead of the pace the demuxer reads for
	// one stream while waiting for the other's packets (a file whose
	// streams are interleaved coarsely).
	fileMaxAhead = time.Second
)

// filePlay is the goroutine's state.
type filePlay struct {
	pkt   *astiav.Packet // read scratch
	frame *astiav.Frame  // decode scratch

	// offset is the timeline time at which the current pass starts.
	offset time.Duration
	pass   int
	eof    bool // the current pass has been read to its end
	// base is the stream-clock time of timeline time 0, once based.
	base  time.Duration
	based bool

	// Video ready to be released, in timeline order.
	vready []fileVFrame
	vseq   int64
	lastV  time.Duration
	haveV  bool
	pool   *framePool
	poolW  int
	poolH  int
	yuv    yuvConverter
	late   lossLog // the warning about dropped frames

	// Audio ready to be released, in timeline order.
	aready  []fileAFrame
	rs      *swr.FrameConverter
	aAnchor time.Duration // timeline time of sample aCount = 0
	aCount  int64
	aValid  bool
}

func (p *filePlay) free() {
	for _, v := range p.vready {
		v.f.Release()
	}
	p.vready, p.aready = nil, nil
	if p.pkt != nil {
		p.pkt.Free()
		p.pkt = nil
	}
	if p.frame != nil {
		p.frame.Free()
		p.frame = nil
	}
	p.yuv.free()
	if p.rs != nil {
		p.rs.Close()
		p.rs = nil
	}
}

// timeline maps ts (ticks of tb, a PTS or DTS of the current pass) onto
// the timeline: file time minus the origin plus the pass's offset.
func (f *File) timeline(ts int64, tb astiav.Rational) time.Duration {
	return fileTicks(ts, tb) - f.origin + f.play.offset
}

// run is the goroutine: it releases what is due, then does one piece of
// work (decode a packet, read one, drain the decoders, start a new pass),
// and sleeps when there is nothing to do before the next frame is due.
func (f *File) run(ctx context.Context) {
	p := &f.play
	p.pkt = astiav.AllocPacket()
	p.frame = astiav.AllocFrame()
	p.rs = swr.NewFrameConverter(f.cfg.SampleRate, f.cfg.Channels)
	p.late = lossLog{key: "dropped"}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	f.log.Debug("started")
	for ctx.Err() == nil {
		now := f.cfg.Clock.Now()
		f.release(now)
		worked, err := f.step(now)
		if err != nil {
			f.fail(err)
			return
		}
		if p.eof && f.allDrained() && !f.cfg.Loop && len(p.vready) == 0 && len(p.aready) == 0 {
			f.log.Debug("end of file", "passes", p.pass+1,
				"video", f.video.Frames(), "skipped", f.video.Skipped(), "audio", f.audio.Blocks())
			return
		}
		if worked {
			continue
		}
		d := f.nextWake(now) - f.cfg.Clock.Now()
		if d < 200*time.Microsecond {
			d = 200 * time.Microsecond
		}
		timer.Reset(d)
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
	}
	f.log.Debug("stopped", "passes", p.pass+1,
		"video", f.video.Frames(), "skipped", f.video.Skipped(), "audio", f.audio.Blocks())
}

// step does one piece of work if one is due, and anchors the timeline
// when the first frames are ready.
func (f *File) step(now time.Duration) (bool, error) {
	p := &f.play
	tnow := p.offset // before anchoring: read and decode the first lead
	if p.based {
		tnow = now - p.base
	}
	worked, err := f.work(tnow)
	if err != nil {
		return false, err
	}
	if !p.based && (!worked || f.firstFramesReady()) && f.viewsReady() {
		at, ok := f.earliestReady()
		if !ok {
			at = p.offset
		}
		p.base, p.based = now-at, true
		f.log.Debug("timeline anchored", "stream time", now, "first frame", at)
		worked = true
	}
	return worked, nil
}

// work does one piece of work due at timeline time tnow.
func (f *File) work(tnow time.Duration) (bool, error) {
	p := &f.play
	// Decode the packet whose time has come.
	for _, t := range f.tracks {
		if len(t.pkts) > 0 && t.pkts[0].at <= tnow+fileLead {
			f.decode(t)
			return true, nil
		}
	}
	if p.eof {
		// Drain each decoder once its packets are decoded.
		for _, t := range f.tracks {
			if len(t.pkts) == 0 && !t.drained {
				f.drain(t)
				return true, nil
			}
		}
		if f.cfg.Loop && f.allDrained() {
			return true, f.newPass()
		}
		return false, nil
	}
	if f.canRead(tnow) {
		f.read()
		if p.based {
			lo, hi := f.readSpan()
			if lo-tnow > time.Duration(f.readAhead.Load()) {
				f.readAhead.Store(int64(lo - tnow))
			}
			if hi-tnow > time.Duration(f.readAheadMax.Load()) {
				f.readAheadMax.Store(int64(hi - tnow))
			}
		}
		return true, nil
	}
	return false, nil
}

// canRead reports whether the demuxer may read on: the stream furthest
// behind is less than the lead ahead of tnow, and none is more than
// fileMaxAhead ahead.
func (f *File) canRead(tnow time.Duration) bool {
	lo, hi := f.readSpan()
	return lo <= tnow+fileLead && hi <= tnow+fileMaxAhead
}

// readSpan is the least and the greatest DTS read this pass among the
// delivered streams.
func (f *File) readSpan() (lo, hi time.Duration) {
	for i, t := range f.tracks {
		if i == 0 || t.lastRead < lo {
			lo = t.lastRead
		}
		if i == 0 || t.lastRead > hi {
			hi = t.lastRead
		}
	}
	return lo, hi
}

// read reads one packet and queues it on its track.
func (f *File) read() {
	p := &f.play
	err := f.fc.ReadFrame(p.pkt)
	if err != nil {
		if !errors.Is(err, astiav.ErrEof) && !errors.Is(err, astiav.ErrExit) { // ErrExit: Close interrupted it
			f.log.Warn("read error, taken as the end of the file", "err", err, "pass", p.pass+1)
		}
		p.eof = true
		return
	}
	var t *fileTrack
	for _, c := range f.tracks {
		if c.index == p.pkt.StreamIndex() {
			t = c
		}
	}
	if t == nil {
		p.pkt.Unref()
		return
	}
	pts, dts := p.pkt.Pts(), p.pkt.Dts()
	if dts == fileNoPTS {
		dts = pts
	}
	if pts == fileNoPTS {
		pts = dts
	}
	if !f.originSet && dts != fileNoPTS {
		f.setOrigin(fileTicks(dts, t.tb))
	}
	at := t.lastRead
	if dts != fileNoPTS {
		at = f.timeline(dts, t.tb)
		if at > t.lastRead {
			t.lastRead = at
		}
	}
	if pts != fileNoPTS {
		end := f.timeline(pts, t.tb) + fileTicks(p.pkt.Duration(), t.tb)
		if t.video && p.pkt.Duration() <= 0 {
			end += t.interval
		}
		if end > t.end {
			t.end = end
		}
	}
	t.pkts = append(t.pkts, filePacket{p: p.pkt.Clone(), at: at})
	p.pkt.Unref()
}

// newPass seeks back to the start for the next pass, which begins where
// the last packet of this one ends.
func (f *File) newPass() error {
	p := &f.play
	end := p.offset
	for _, t := range f.tracks {
		e := t.end
		if !t.video && t.decEnd > p.offset && t.decEnd < e {
			e = t.decEnd // the decoder cut the padding at the end (MP3)
		}
		if e > end {
			end = e
		}
	}
	if end <= p.offset {
		return fmt.Errorf("%s: pass %d had no media to play", f.cfg.Path, p.pass+1)
	}
	f.cutAudio(end)
	if err := f.fc.SeekFrame(-1, f.seekTS, astiav.NewSeekFlags(astiav.SeekFlagBackward)); err != nil {
		return fmt.Errorf("%s: seeking back to the start to loop: %w", f.cfg.Path, err)
	}
	for _, t := range f.tracks {
		if err := t.reset(); err != nil {
			return fmt.Errorf("%s: reopening the decoder to loop: %w", f.cfg.Path, err)
		}
		t.drained = false
		t.lastRead, t.end, t.decEnd = end, end, end
	}
	f.log.Debug("looping", "pass", p.pass+2, "at", end, "pass duration", end-p.offset)
	p.offset = end
	p.pass++
	p.eof = false
	return nil
}

func (f *File) allDrained() bool {
	for _, t := range f.tracks {
		if !t.drained {
			return false
		}
	}
	return true
}
