package capture

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/media"
	"onair/internal/swr"
)

// This file is the File's goroutine: it demuxes, decodes and paces.

const (
	// fileLead is how far ahead of the pace packets are read and decoded.
	fileLead = 200 * time.Millisecond
	// fileMaxAhead bounds how far ahead of the pace the demuxer reads for
	// one stream while waiting for the other's packets (a file whose
	// streams are interleaved coarsely).
	fileMaxAhead = time.Second
	// fileStartWait is how long the first frames wait for the second view
	// to be started, so that both begin together.
	fileStartWait = 250 * time.Millisecond
	// fileAudioSlack is the largest difference between an audio frame's
	// PTS and the end of the samples before it that is taken as jitter;
	// a larger gap in the file's audio becomes a gap in the PTS.
	fileAudioSlack = 15 * time.Millisecond
	// fileDefaultInterval is the video frame interval assumed when the
	// stream states no rate.
	fileDefaultInterval = 40 * time.Millisecond
	// filePoolSize is how many idle video frame buffers are kept.
	filePoolSize = 8
)

// fileNoPTS is FFmpeg's AV_NOPTS_VALUE.
const fileNoPTS = math.MinInt64

// fileTicks converts ticks of time base tb to a duration.
func fileTicks(t int64, tb astiav.Rational) time.Duration {
	if tb.Den() == 0 {
		return 0
	}
	return time.Duration(math.Round(float64(t) * float64(tb.Num()) * float64(time.Second) / float64(tb.Den())))
}

// fileTrack is one delivered stream: its decoder and the packets read
// ahead of the pace. Times are on the timeline (see File.timeline).
type fileTrack struct {
	video    bool
	st       *astiav.Stream
	index    int
	tb       astiav.Rational
	cc       *astiav.CodecContext
	codec    string
	interval time.Duration // video: the frame interval
	pkts     []filePacket  // read, waiting to be decoded
	lastRead time.Duration // DTS of the latest packet read this pass
	end      time.Duration // end (PTS + duration) of the latest packet this pass
	// decEnd is the end of the latest decoded audio this pass: less than
	// end when the decoder cut the encoder's padding.
	decEnd  time.Duration
	drained bool // the decoder has given its last frames this pass
	warned  bool // a decode error was logged
}

// filePacket is a packet read ahead, with its DTS on the timeline.
type filePacket struct {
	p  *astiav.Packet
	at time.Duration
}

// newFileTrack opens the decoder of st.
func newFileTrack(st *astiav.Stream, video bool) (*fileTrack, error) {
	cc, name, err := openFileDecoder(st)
	if err != nil {
		return nil, err
	}
	t := &fileTrack{video: video, st: st, index: st.Index(), tb: st.TimeBase(), cc: cc, codec: name}
	if video {
		t.interval = fileDefaultInterval
		for _, r := range []astiav.Rational{st.AvgFrameRate(), st.RFrameRate()} {
			if r.Num() > 0 && r.Den() > 0 {
				if d := time.Duration(float64(time.Second) / r.Float64()); d >= time.Millisecond && d <= time.Second {
					t.interval = d
					break
				}
			}
		}
	}
	return t, nil
}

// openFileDecoder opens a decoder for stream st.
func openFileDecoder(st *astiav.Stream) (*astiav.CodecContext, string, error) {
	cp := st.CodecParameters()
	dec := astiav.FindDecoder(cp.CodecID())
	if dec == nil {
		return nil, "", fmt.Errorf("FFmpeg has no decoder for %s: %w", cp.CodecID().Name(), ErrUnsupported)
	}
	cc := astiav.AllocCodecContext(dec)
	if cc == nil {
		return nil, "", errors.New("capture: allocating a decoder failed")
	}
	if err := cp.ToCodecContext(cc); err != nil {
		cc.Free()
		return nil, "", fmt.Errorf("%s decoder parameters (%v): %w", dec.Name(), err, ErrUnsupported)
	}
	cc.SetTimeBase(st.TimeBase())
	if cp.MediaType() == astiav.MediaTypeVideo {
		cc.SetThreadCount(0) // as many as FFmpeg finds useful
	}
	// pkt_timebase (no setter in go-astiav v0.16.0; an AVOption) lets the
	// decoder move the PTS of a frame whose first samples it skips (MP3
	// encoder delay); without it that frame keeps its packet's PTS.
	opts := astiav.NewDictionary()
	defer opts.Free()
	tb := st.TimeBase()
	_ = opts.Set("pkt_timebase", fmt.Sprintf("%d/%d", tb.Num(), tb.Den()), 0)
	if err := cc.Open(dec, opts); err != nil {
		cc.Free()
		return nil, "", fmt.Errorf("opening the %s decoder (%v): %w", dec.Name(), err, ErrUnsupported)
	}
	return cc, dec.Name(), nil
}

// reset reopens the decoder for a new pass (go-astiav v0.16.0 has no
// avcodec_flush_buffers; after draining, a decoder accepts no more input).
func (t *fileTrack) reset() error {
	cc, _, err := openFileDecoder(t.st)
	if err != nil {
		return err
	}
	t.cc.Free()
	t.cc = cc
	return nil
}

func (t *fileTrack) free() {
	for _, p := range t.pkts {
		p.p.Free()
	}
	t.pkts = nil
	if t.cc != nil {
		t.cc.Free()
		t.cc = nil
	}
}

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
	vready  []fileVFrame
	vseq    int64
	lastV   time.Duration
	haveV   bool
	pool    *framePool
	poolW   int
	poolH   int
	sws     *astiav.SoftwareScaleContext
	swsDst  *astiav.Frame
	swsW    int
	swsH    int
	swsFmt  astiav.PixelFormat
	lateLog time.Duration // stream time of the last warning about drops
	late    int64         // drops since that warning

	// Audio ready to be released, in timeline order.
	aready  []fileAFrame
	rs      *swr.FrameConverter
	aAnchor time.Duration // timeline time of sample aCount = 0
	aCount  int64
	aValid  bool
}

type fileVFrame struct {
	f  *media.VideoFrame
	at time.Duration
}

type fileAFrame struct {
	f  *media.AudioFrame
	at time.Duration
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
	if p.sws != nil {
		p.sws.Free()
		p.sws = nil
	}
	if p.swsDst != nil {
		p.swsDst.Free()
		p.swsDst = nil
	}
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
		f.origin, f.originSet = fileTicks(dts, t.tb), true
		f.seekTS = int64(math.Floor(float64(f.origin) / float64(time.Microsecond)))
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

// decode sends t's next packet to its decoder and takes what comes out.
func (f *File) decode(t *fileTrack) {
	k := t.pkts[0]
	t.pkts[0] = filePacket{}
	t.pkts = t.pkts[1:]
	err := t.cc.SendPacket(k.p)
	k.p.Free()
	if err != nil && !errors.Is(err, astiav.ErrEagain) {
		f.decodeError(t, err)
	}
	f.receive(t)
}

// drain flushes t's decoder at the end of a pass.
func (f *File) drain(t *fileTrack) {
	if err := t.cc.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
		f.decodeError(t, err)
	}
	f.receive(t)
	t.drained = true
}

// receive takes every frame t's decoder has ready.
func (f *File) receive(t *fileTrack) {
	fr := f.play.frame
	for {
		if err := t.cc.ReceiveFrame(fr); err != nil {
			if !errors.Is(err, astiav.ErrEagain) && !errors.Is(err, astiav.ErrEof) {
				f.decodeError(t, err)
			}
			return
		}
		if t.video {
			f.takeVideo(t, fr)
		} else {
			f.takeAudio(t, fr)
		}
		fr.Unref()
	}
}

func (f *File) decodeError(t *fileTrack, err error) {
	if !t.warned {
		t.warned = true
		f.log.Warn("decode error (the decoder conceals it; further ones are logged at debug level)",
			"codec", t.codec, "err", err)
		return
	}
	f.log.Debug("decode error", "codec", t.codec, "err", err)
}

// takeVideo converts a decoded picture into a pooled YUV420P frame and
// queues it.
func (f *File) takeVideo(t *fileTrack, fr *astiav.Frame) {
	p := &f.play
	at := p.lastV + t.interval
	if ts := fr.Pts(); ts != fileNoPTS {
		at = f.timeline(ts, t.tb)
	} else if ts := fr.PktDts(); ts != fileNoPTS {
		at = f.timeline(ts, t.tb)
	}
	if p.haveV && at <= p.lastV {
		f.log.Debug("video frame out of order, dropped", "at", at, "last", p.lastV)
		return
	}
	w, h := fr.Width(), fr.Height()
	if w <= 0 || h <= 0 {
		return
	}
	if p.pool == nil || w != p.poolW || h != p.poolH {
		p.pool, p.poolW, p.poolH = newFramePool(yuv420Size(w, h), filePoolSize), w, h
	}
	src := fr
	if pf := fr.PixelFormat(); pf != astiav.PixelFormatYuv420P {
		var err error
		if src, err = f.toYUV420(fr); err != nil {
			f.decodeError(t, err)
			return
		}
	}
	pool := p.pool
	buf := pool.get()
	if !copyYUV420(buf, src, w, h) {
		pool.put(buf)
		f.decodeError(t, fmt.Errorf("a %dx%d picture without its three planes", w, h))
		return
	}
	cw, ch := (w+1)/2, (h+1)/2
	vf := &media.VideoFrame{
		Seq:     p.vseq,
		Width:   w,
		Height:  h,
		Format:  media.PixelFormatYUV420P,
		Planes:  [3][]byte{buf[:w*h], buf[w*h : w*h+cw*ch], buf[w*h+cw*ch:]},
		Strides: [3]int{w, cw, cw},
	}
	vf.SetRelease(func() { pool.put(buf) })
	p.vseq++
	p.lastV, p.haveV = at, true
	p.vready = append(p.vready, fileVFrame{f: vf, at: at})
}

// toYUV420 converts fr to yuv420p at the same size with libswscale.
func (f *File) toYUV420(fr *astiav.Frame) (*astiav.Frame, error) {
	p := &f.play
	w, h, pf := fr.Width(), fr.Height(), fr.PixelFormat()
	if p.sws == nil || w != p.swsW || h != p.swsH || pf != p.swsFmt {
		if p.sws != nil {
			p.sws.Free()
			p.sws = nil
		}
		if p.swsDst != nil {
			p.swsDst.Free()
			p.swsDst = nil
		}
		sws, err := astiav.CreateSoftwareScaleContext(w, h, pf, w, h, astiav.PixelFormatYuv420P,
			astiav.NewSoftwareScaleContextFlags(astiav.SoftwareScaleContextFlagBilinear))
		if err != nil {
			return nil, fmt.Errorf("converting %s to yuv420p: %w", pf, err)
		}
		dst := astiav.AllocFrame()
		dst.SetWidth(w)
		dst.SetHeight(h)
		dst.SetPixelFormat(astiav.PixelFormatYuv420P)
		if err := dst.AllocBuffer(0); err != nil {
			dst.Free()
			sws.Free()
			return nil, fmt.Errorf("a %dx%d yuv420p picture: %w", w, h, err)
		}
		p.sws, p.swsDst, p.swsW, p.swsH, p.swsFmt = sws, dst, w, h, pf
		f.log.Debug("converting video", "from", pf.String(), "width", w, "height", h)
	}
	if err := p.sws.ScaleFrame(fr, p.swsDst); err != nil {
		return nil, fmt.Errorf("converting %s to yuv420p: %w", pf, err)
	}
	return p.swsDst, nil
}

// takeAudio resamples a decoded block and queues it, its PTS following on
// from the samples before it unless the file's audio has a gap.
func (f *File) takeAudio(t *fileTrack, fr *astiav.Frame) {
	p := &f.play
	samples, err := p.rs.Convert(fr)
	if err != nil {
		f.decodeError(t, err)
		return
	}
	n := len(samples) / f.cfg.Channels
	if n == 0 {
		return
	}
	next := p.aAnchor + fileSamplesDur(p.aCount, f.cfg.SampleRate)
	at, known := next, false
	if ts := fr.Pts(); ts != fileNoPTS {
		at, known = f.timeline(ts, t.tb), true
		if r := fr.SampleRate(); r > 0 {
			if e := at + fileSamplesDur(int64(fr.NbSamples()), r); e > t.decEnd {
				t.decEnd = e
			}
		}
	}
	switch {
	case !p.aValid:
		if !known {
			at = p.offset
		}
		p.aAnchor, p.aCount, p.aValid = at, 0, true
	case known && at > next+fileAudioSlack:
		// A gap in the file's audio (or audio shorter than the pass):
		// a gap in the PTS.
		f.log.Debug("gap in the audio", "at", at, "expected", next)
		p.aAnchor, p.aCount = at, 0
	case known && at < next-fileAudioSlack:
		// Overlap: cut what was already played, so that the audio never
		// goes backwards nor drifts late.
		cut := int(math.Round(float64(next-at) * float64(f.cfg.SampleRate) / float64(time.Second)))
		if cut >= n {
			return
		}
		samples, n = samples[cut*f.cfg.Channels:], n-cut
	}
	// Otherwise the samples follow on, PTS continuous.
	pts := p.aAnchor + fileSamplesDur(p.aCount, f.cfg.SampleRate)
	p.aCount += int64(n)
	af := &media.AudioFrame{
		SampleRate: f.cfg.SampleRate,
		Channels:   f.cfg.Channels,
		Samples:    append([]float32(nil), samples...),
	}
	p.aready = append(p.aready, fileAFrame{f: af, at: pts})
}

// fileSamplesDur is the duration of n samples at rate.
func fileSamplesDur(n int64, rate int) time.Duration {
	return time.Duration(math.Round(float64(n) * float64(time.Second) / float64(rate)))
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

// cutAudio drops the queued audio past the end of the pass: the
// encoder's padding that the container's timestamps leave out (the last
// AAC frame of an MP4) and the decoder did not cut.
func (f *File) cutAudio(end time.Duration) {
	p := &f.play
	ch := f.cfg.Channels
	for len(p.aready) > 0 {
		a := &p.aready[len(p.aready)-1]
		if a.at >= end {
			p.aready = p.aready[:len(p.aready)-1]
			continue
		}
		if keep := int(math.Round(float64(end-a.at) * float64(f.cfg.SampleRate) / float64(time.Second))); keep < a.f.NumSamples() {
			a.f.Samples = a.f.Samples[:keep*ch]
		}
		break
	}
	if next := p.aAnchor + fileSamplesDur(p.aCount, f.cfg.SampleRate); p.aValid && next > end {
		p.aAnchor, p.aCount = end, 0
	}
}

func (f *File) allDrained() bool {
	for _, t := range f.tracks {
		if !t.drained {
			return false
		}
	}
	return true
}

// firstFramesReady reports whether each delivered stream has a frame
// ready (or has ended).
func (f *File) firstFramesReady() bool {
	p := &f.play
	if f.vtrack != nil && len(p.vready) == 0 && !f.vtrack.drained {
		return false
	}
	if f.atrack != nil && len(p.aready) == 0 && !f.atrack.drained {
		return false
	}
	return true
}

// viewsReady reports whether the timeline may be anchored: every
// delivered stream's view has been started, or fileStartWait has passed
// since the first one was.
func (f *File) viewsReady() bool {
	f.mu.Lock()
	since := time.Since(f.firstUp)
	f.mu.Unlock()
	if since >= fileStartWait {
		return true
	}
	started := func(v *viewState) bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		return v.started
	}
	return (f.vtrack == nil || started(&f.video.viewState)) && (f.atrack == nil || started(&f.audio.viewState))
}

// earliestReady is the timeline time of the first frame ready.
func (f *File) earliestReady() (time.Duration, bool) {
	p := &f.play
	switch {
	case len(p.vready) > 0 && len(p.aready) > 0:
		return min(p.vready[0].at, p.aready[0].at), true
	case len(p.vready) > 0:
		return p.vready[0].at, true
	case len(p.aready) > 0:
		return p.aready[0].at, true
	}
	return 0, false
}

// release hands out, in timeline order, every frame due at stream time
// now; a video frame more than a frame interval late is dropped.
func (f *File) release(now time.Duration) {
	p := &f.play
	if !p.based {
		return
	}
	for {
		video := len(p.vready) > 0 && (len(p.aready) == 0 || p.vready[0].at <= p.aready[0].at)
		if video {
			v := p.vready[0]
			due := p.base + v.at
			if due > now {
				return
			}
			p.vready[0] = fileVFrame{}
			p.vready = p.vready[1:]
			if late := now - due; late > f.vtrack.interval {
				v.f.Release()
				f.video.skipped.Add(1)
				f.noteLate(now, late)
				continue
			}
			v.f.PTS = due
			f.video.deliver(v.f)
			continue
		}
		if len(p.aready) == 0 {
			return
		}
		a := p.aready[0]
		due := p.base + a.at
		if due > now {
			return
		}
		p.aready[0] = fileAFrame{}
		p.aready = p.aready[1:]
		a.f.PTS = due
		f.audio.deliver(a.f)
	}
}

// noteLate logs dropped video frames, at most every 5 s.
func (f *File) noteLate(now, late time.Duration) {
	p := &f.play
	p.late++
	if p.lateLog == 0 || now-p.lateLog >= 5*time.Second {
		f.log.Warn("falling behind, dropped video frames", "dropped", p.late,
			"total", f.video.Skipped(), "late", late)
		p.lateLog, p.late = now, 0
	}
}

// nextWake is the stream time at which there may be work: the next frame
// due, the next packet to decode, the demuxer allowed to read on.
func (f *File) nextWake(now time.Duration) time.Duration {
	p := &f.play
	wake := now + 100*time.Millisecond
	if !p.based {
		return now + 5*time.Millisecond // waiting for the second view
	}
	early := func(t time.Duration) {
		if t < wake {
			wake = t
		}
	}
	if len(p.vready) > 0 {
		early(p.base + p.vready[0].at)
	}
	if len(p.aready) > 0 {
		early(p.base + p.aready[0].at)
	}
	for _, t := range f.tracks {
		if len(t.pkts) > 0 {
			early(p.base + t.pkts[0].at - fileLead)
		}
	}
	if !p.eof {
		lo, hi := f.readSpan()
		early(p.base + max(lo-fileLead, hi-fileMaxAhead))
	}
	return wake
}
