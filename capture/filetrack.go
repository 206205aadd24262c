package capture

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/media"
)

// A File's tracks: each delivered stream's decoder and the packets read
// ahead of the pace, decoded one at a time by the File's goroutine.

// fileDefaultInterval is the video frame interval assumed when the stream
// states no rate.
const fileDefaultInterval = 40 * time.Millisecond

// fileNoPTS is FFmpeg's AV_NOPTS_VALUE.
const fileNoPTS = math.MinInt64

// fileTicks converts ticks of time base tb to a duration.
func fileTicks(t int64, tb astiav.Rational) time.Duration {
	return media.FromTimeBase(t, tb.Num(), tb.Den())
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
