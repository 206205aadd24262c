package loopback

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/asticode/go-astiav"

	"onair/encode"
	"onair/internal/avcodec"
	"onair/internal/avplane"
	"onair/internal/media"
	"onair/internal/ratelog"
	"onair/publish/flv"
)

// The transcoded ladder: a stream's transcoder reads it through the hub
// like any internal output (a slow transcoder loses units, the publisher
// never waits), decodes its video once and encodes each rendition with
// libx264 (veryfast, zerolatency), publishing NAME_480p … into the hub,
// where RTMP, HTTP-FLV and HLS serve them as they serve any stream. Audio
// is passed on as it comes. A rendition's keyframes are forced where the
// source has its own, so every variant cuts HLS segments at the same times
// (the master playlist, master.go).
//
// When the machine cannot keep up — the pictures fall more than maxLag
// behind real time, or the hub drops units the transcoder was too slow to
// take — the largest rendition left is stopped (its viewers are let go) and
// a warning says so; the source and its viewers are never held up.

// TranscodeInfo is a source stream's ladder, for the status API.
type TranscodeInfo struct {
	// Renditions being encoded.
	Renditions []RenditionInfo `json:"renditions"`
	// Dropped: renditions stopped because the machine could not keep real
	// time.
	Dropped []string `json:"dropped,omitempty"`
	// Skipped: renditions not smaller than the source, left out.
	Skipped []string `json:"skipped,omitempty"`
	// Error, when the source cannot be transcoded (no decoder, …).
	Error string `json:"error,omitempty"`
}

// RenditionInfo is one rendition being encoded.
type RenditionInfo struct {
	Name    string `json:"name"`
	Stream  string `json:"stream"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Bitrate int    `json:"bitrate"`
	Frames  int64  `json:"frames"`
}

// transcoder is one source stream's ladder.
type transcoder struct {
	s      *Server
	name   string
	reader *Reader
	ladder []Rendition
	log    *slog.Logger

	mu   sync.Mutex
	info TranscodeInfo

	// Run state, on the transcoder's goroutine only.
	dec     *videoDecoder
	vseq    []byte // the source's video sequence header body
	aseq    *Unit
	meta    sourceMeta
	rungs   []*rung
	pubs    map[string]*Publication // by rendition stream name, kept across a new publisher's headers
	lag     lagWatch
	drops   int64 // the reader's drop count last seen
	warned  bool
	warnLog ratelog.Limiter              // per-picture failures, rate-limited
	conv    *astiav.SoftwareScaleContext // to YUV420P when the decoder gives another format
	convF   *astiav.Frame
	convKey [3]int
}

// rung is one rendition being encoded.
type rung struct {
	r      Rendition
	stream string
	w, h   int
	bps    int
	enc    *encode.VideoEncoder
	pub    *Publication
	frames int64
}

// sourceMeta is what the source's onMetaData says.
type sourceMeta struct {
	fps float64
	bps int
}

// startTranscode starts stream name's ladder, when the server has one.
// Renditions of renditions are not made.
func (s *Server) startTranscode(name string) {
	s.mu.Lock()
	ladder := s.ladder
	s.mu.Unlock()
	if len(ladder) == 0 {
		return
	}
	startInternal(s, s.ladders, name, func(r *Reader) *transcoder {
		return &transcoder{s: s, name: name, reader: r, ladder: ladder, log: s.log, pubs: map[string]*Publication{}}
	})
}

// TranscoderAddr starts the publisher address of a rendition's stream
// (StreamInfo.Publisher), followed by its source's name.
const TranscoderAddr = "transcoder:"

// SetTranscode changes the ladder (nil: none) for the streams live now
// and those to come: a live stream's ladder starts again with the new
// renditions (their viewers are let go).
func (s *Server) SetTranscode(ladder []Rendition) {
	s.mu.Lock()
	s.ladder = slices.Clone(ladder)
	var stop []*transcoder
	if len(ladder) == 0 {
		for name, t := range s.ladders {
			stop = append(stop, t)
			delete(s.ladders, name)
		}
	}
	s.mu.Unlock()
	for _, t := range stop {
		s.hub.Leave(t.name, t.reader) // its run ends, with its renditions
	}
	if len(ladder) == 0 {
		return
	}
	for _, st := range s.hub.Streams() {
		if !strings.HasPrefix(st.Publisher, TranscoderAddr) {
			s.startTranscode(st.Name)
		}
	}
}

// Ladder is the renditions every live stream is transcoded to.
func (s *Server) Ladder() []Rendition {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ladder)
}

// Transcode is stream name's ladder; ok false when it has none.
func (s *Server) Transcode(name string) (TranscodeInfo, bool) {
	s.mu.Lock()
	t := s.ladders[name]
	s.mu.Unlock()
	if t == nil {
		return TranscodeInfo{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	info := t.info
	info.Renditions = slices.Clone(info.Renditions)
	info.Dropped = slices.Clone(info.Dropped)
	info.Skipped = slices.Clone(info.Skipped)
	return info, true
}

func (t *transcoder) hubReader() *Reader { return t.reader }

func (t *transcoder) run() {
	defer t.close()
	var buf []*Unit
	for {
		buf = t.reader.Next(buf)
		// A ladder that failed or dropped every rendition goes on reading
		// (cheaply: nothing is decoded) so that its status stays listed.
		for _, u := range buf {
			t.unit(u)
		}
		if len(buf) > 0 {
			clear(buf)
			continue
		}
		select {
		case <-t.s.ctx.Done():
			return
		case <-t.reader.Done():
			buf = t.reader.Next(buf)
			for _, u := range buf {
				t.unit(u)
			}
			return
		case <-t.reader.Ready():
		}
	}
}

func (t *transcoder) unit(u *Unit) {
	switch {
	case u.Kind == KindData:
		t.meta = parseSourceMeta(u.Body)
	case u.Kind == KindAudio:
		if u.Header {
			t.aseq = u
		}
		for _, g := range t.rungs {
			g.pub.Write(&Unit{Kind: u.Kind, DTS: u.DTS, Body: u.Body})
		}
	case u.Kind == KindVideo && u.Header:
		if t.vseq != nil && bytes.Equal(t.vseq, u.Body) {
			return
		}
		t.vseq = u.Body
		t.setup(u)
	case u.Kind == KindVideo:
		t.video(u)
	}
}

// setup (re)opens the decoder and the encoders for a video sequence
// header: the first, or a new publisher's.
func (t *transcoder) setup(seq *Unit) {
	t.closeCodecs()
	t.lag.reset()
	hdr, err := flv.ParseVideo(seq.Body)
	if err != nil || !hdr.Header {
		t.fail(fmt.Errorf("the source's video sequence header: %v", err))
		return
	}
	sw, sh, ok := hdr.Size()
	if !ok {
		t.fail(errors.New("the source's video sequence header gives no picture size"))
		return
	}
	dec, err := openVideoDecoder(hdr)
	if err != nil {
		t.fail(err)
		return
	}
	t.dec = dec
	fps := t.meta.fps
	if fps <= 0 || fps > 240 {
		fps = 30
	}
	var info []RenditionInfo
	var skipped []string
	for _, r := range t.ladder {
		w, h, ok := renditionSize(sw, sh, r.Height)
		if !ok {
			skipped = append(skipped, r.Name)
			continue
		}
		t.mu.Lock()
		dropped := slices.Contains(t.info.Dropped, r.Name)
		t.mu.Unlock()
		if dropped {
			continue // this machine could not keep it up for this stream
		}
		bps := r.Bitrate
		if bps == 0 {
			bps = renditionBitrate(sw, sh, t.meta.bps, w, h)
		}
		enc, err := encode.NewVideo(encode.VideoConfig{Width: w, Height: h, FPS: fps, Bitrate: bps,
			Preset: "veryfast", Profile: "main", KeyInterval: 10 * time.Second, Logger: t.log})
		if err != nil {
			t.log.Warn("transcode: cannot open an encoder", "stream", t.name, "rendition", r.Name, "err", err)
			continue
		}
		g := &rung{r: r, stream: renditionName(t.name, r), w: w, h: h, bps: bps, enc: enc}
		if err := t.publish(g, seq); err != nil {
			enc.Close()
			t.log.Warn("transcode: cannot publish a rendition", "stream", g.stream, "err", err)
			continue
		}
		t.rungs = append(t.rungs, g)
		info = append(info, RenditionInfo{Name: r.Name, Stream: g.stream, Width: w, Height: h, Bitrate: bps})
	}
	if len(skipped) > 0 {
		t.log.Info("transcode: renditions not smaller than the source left out", "stream", t.name,
			"source", fmt.Sprintf("%dx%d", sw, sh), "left_out", skipped)
	}
	t.mu.Lock()
	t.info.Renditions, t.info.Skipped = info, skipped
	t.mu.Unlock()
	if len(info) > 0 {
		t.log.Info("transcoding", "stream", t.name, "source", fmt.Sprintf("%dx%d %v", sw, sh, hdr.Codec), "renditions", len(info))
	}
}

// publish makes g's stream (or keeps the one a previous header made) and
// sends its headers: metadata, the encoder's sequence header, the
// source's audio header.
func (t *transcoder) publish(g *rung, seq *Unit) error {
	pub := t.pubs[g.stream]
	if pub == nil {
		var err error
		pub, err = t.s.hub.Publish(g.stream, TranscoderAddr+t.name, nil)
		if err != nil {
			return err
		}
		t.pubs[g.stream] = pub
		t.s.startHLS(g.stream)
	}
	g.pub = pub
	vc := g.enc.Config()
	body, err := flv.VideoSequenceHeader(&vc)
	if err != nil {
		return err
	}
	var ac *media.CodecConfig
	if t.aseq != nil {
		ac = audioConfig(t.aseq)
	}
	pub.Write(&Unit{Kind: KindData, DTS: seq.DTS, Body: flv.Metadata(&vc, ac)})
	pub.Write(&Unit{Kind: KindVideo, DTS: seq.DTS, Body: body})
	if t.aseq != nil {
		pub.Write(&Unit{Kind: KindAudio, DTS: t.aseq.DTS, Body: t.aseq.Body})
	}
	return nil
}

// video decodes one source picture and encodes it for every rendition.
func (t *transcoder) video(u *Unit) {
	if t.dec == nil || len(t.rungs) == 0 {
		return
	}
	pic, err := flv.ParseVideo(u.Body)
	if err != nil || pic.Header || pic.End || pic.Command || pic.Metadata || len(pic.Data) == 0 {
		return
	}
	key := pic.Key
	err = t.dec.decode(pic.Data, u.DTS, u.DTS+time.Duration(pic.CompositionTime)*time.Millisecond, key, func(f *astiav.Frame, pts time.Duration) {
		t.encode(f, pts, key)
	})
	if err != nil {
		t.warnLog.Warn(t.log, "transcode: a picture could not be decoded", "stream", t.name, "err", err)
	}
	t.watch(u.DTS)
}

// encode hands one decoded picture to each rendition's encoder.
func (t *transcoder) encode(f *astiav.Frame, pts time.Duration, key bool) {
	vf, err := t.frameOf(f, pts)
	if err != nil {
		t.warnLog.Warn(t.log, "transcode: a picture could not be converted", "stream", t.name, "err", err)
		return
	}
	for _, g := range t.rungs {
		if key {
			g.enc.ForceKeyframe() // aligned with the source's keyframes
		}
		if d := t.s.cfg.transcodeDelay; d > 0 {
			time.Sleep(d) // tests: a machine too slow for the whole ladder
		}
		pkts, err := g.enc.Encode(vf)
		if err != nil {
			t.warnLog.Warn(t.log, "transcode: a picture could not be encoded", "stream", g.stream, "err", err)
			continue
		}
		for _, p := range pkts {
			body, _, err := flv.VideoPacketBody(p)
			if err != nil {
				continue
			}
			g.pub.Write(&Unit{Kind: KindVideo, DTS: p.DTS, Body: body})
			g.frames++
		}
	}
	t.mu.Lock()
	for i := range t.info.Renditions {
		for _, g := range t.rungs {
			if t.info.Renditions[i].Stream == g.stream {
				t.info.Renditions[i].Frames = g.frames
			}
		}
	}
	t.mu.Unlock()
}

// frameOf views a decoded picture as a media.VideoFrame in YUV 4:2:0,
// converting it first when the decoder gives another format. The view is
// valid until the next picture.
func (t *transcoder) frameOf(f *astiav.Frame, pts time.Duration) (*media.VideoFrame, error) {
	w, h := f.Width(), f.Height()
	src := f
	if f.PixelFormat() != astiav.PixelFormatYuv420P {
		key := [3]int{w, h, int(f.PixelFormat())}
		if t.conv == nil || t.convKey != key {
			t.freeConv()
			conv, err := astiav.CreateSoftwareScaleContext(w, h, f.PixelFormat(), w, h, astiav.PixelFormatYuv420P,
				astiav.NewSoftwareScaleContextFlags(astiav.SoftwareScaleContextFlagBilinear))
			if err != nil {
				return nil, fmt.Errorf("converting %s to yuv420p: %w", f.PixelFormat(), err)
			}
			t.conv, t.convKey, t.convF = conv, key, astiav.AllocFrame()
		}
		if err := t.conv.ScaleFrame(f, t.convF); err != nil {
			return nil, fmt.Errorf("converting %s to yuv420p: %w", f.PixelFormat(), err)
		}
		src = t.convF
	}
	vf := &media.VideoFrame{PTS: pts, Width: w, Height: h, Format: media.PixelFormatYUV420P}
	for i, rows := range []int{h, (h + 1) / 2, (h + 1) / 2} {
		p, ls := avplane.View(src, i, rows)
		if p == nil {
			return nil, errors.New("decoded picture has no planes")
		}
		vf.Planes[i], vf.Strides[i] = p, ls
	}
	return vf, nil
}

// watch drops the largest rendition left when the ladder falls behind
// real time (see lagWatch) or the hub had to drop units for it.
func (t *transcoder) watch(dts time.Duration) {
	now := time.Duration(time.Now().UnixNano()) // wall clock, monotonic enough over seconds
	behind := t.lag.observe(now, dts)
	drops := t.reader.Dropped()
	lost := drops > t.drops
	t.drops = drops
	if (behind <= maxLag && !lost) || len(t.rungs) == 0 {
		return
	}
	// The largest is the dearest to encode.
	i := 0
	for j, g := range t.rungs {
		if g.w*g.h > t.rungs[i].w*t.rungs[i].h {
			i = j
		}
	}
	g := t.rungs[i]
	t.rungs = slices.Delete(t.rungs, i, i+1)
	g.enc.Close()
	g.pub.Close()
	delete(t.pubs, g.stream)
	why := fmt.Sprintf("%v behind real time", behind.Round(time.Millisecond))
	if lost {
		why = "the server had to drop the source's pictures it could not take"
	}
	if !t.warned {
		t.warned = true
		t.log.Warn("transcode: this machine cannot keep real time for the whole ladder; dropping renditions, the source is not held up",
			"stream", t.name, "why", why)
	}
	t.log.Warn("transcode: rendition dropped", "stream", g.stream, "left", len(t.rungs))
	t.mu.Lock()
	t.info.Dropped = append(t.info.Dropped, g.r.Name)
	t.info.Renditions = slices.DeleteFunc(t.info.Renditions, func(r RenditionInfo) bool { return r.Stream == g.stream })
	t.mu.Unlock()
	t.lag.forgive(now, dts)
	if len(t.rungs) == 0 {
		t.closeCodecs()
	}
}

// fail records why the source cannot be transcoded and says so.
func (t *transcoder) fail(err error) {
	t.log.Warn("transcode: the stream cannot be transcoded", "stream", t.name, "err", err)
	t.mu.Lock()
	t.info.Error = err.Error()
	t.mu.Unlock()
}

// closeCodecs closes the decoder and the encoders (the renditions'
// streams stay, for a new publisher's headers).
func (t *transcoder) closeCodecs() {
	if t.dec != nil {
		t.dec.close()
		t.dec = nil
	}
	for _, g := range t.rungs {
		g.enc.Close()
	}
	t.rungs = nil
	t.freeConv()
}

func (t *transcoder) freeConv() {
	if t.conv != nil {
		t.conv.Free()
		t.conv = nil
	}
	if t.convF != nil {
		t.convF.Free()
		t.convF = nil
	}
}

// close ends the ladder: the renditions' streams end with their source.
func (t *transcoder) close() {
	t.closeCodecs()
	for name, p := range t.pubs {
		p.Close()
		t.s.forgetSnapshots(name)
	}
	t.pubs = nil
}

// parseSourceMeta reads the frame rate and video bitrate of onMetaData.
func parseSourceMeta(body []byte) sourceMeta {
	vals, err := flv.UnmarshalAMF0(body)
	if err != nil {
		return sourceMeta{}
	}
	var m sourceMeta
	for _, v := range vals {
		var get func(string) (any, bool)
		switch o := v.(type) {
		case flv.AMF0ECMAArray:
			get = o.Get
		case flv.AMF0Object:
			get = o.Get
		default:
			continue
		}
		if f, ok := get("framerate"); ok {
			m.fps, _ = f.(float64)
		}
		if r, ok := get("videodatarate"); ok {
			if kbps, _ := r.(float64); kbps > 0 && kbps < 1e6 {
				m.bps = int(kbps * 1000)
			}
		}
	}
	return m
}

// videoDecoder decodes the source's pictures.
type videoDecoder struct {
	cc  *astiav.CodecContext
	pkt *astiav.Packet
	f   *astiav.Frame
	buf []byte
}

func openVideoDecoder(hdr flv.VideoInfo) (*videoDecoder, error) {
	cc, err := openDecoderContext(hdr.Codec, hdr.Data, func(cc *astiav.CodecContext) {
		cc.SetTimeBase(astiav.NewRational(1, 1000))
	})
	if err != nil {
		return nil, err
	}
	return &videoDecoder{cc: cc, pkt: astiav.AllocPacket(), f: astiav.AllocFrame()}, nil
}

// openDecoderContext opens FFmpeg's decoder for codec with its
// configuration (extradata); setup, when not nil, adjusts the context
// before it opens.
func openDecoderContext(codec media.Codec, extradata []byte, setup func(*astiav.CodecContext)) (*astiav.CodecContext, error) {
	dec := astiav.FindDecoder(avcodec.ID(codec))
	if dec == nil {
		return nil, fmt.Errorf("no decoder for %v", codec)
	}
	cc := astiav.AllocCodecContext(dec)
	if cc == nil {
		return nil, errors.New("allocating a decoder failed")
	}
	if err := cc.SetExtraData(extradata); err != nil {
		cc.Free()
		return nil, err
	}
	if setup != nil {
		setup(cc)
	}
	if err := cc.Open(dec, nil); err != nil {
		cc.Free()
		return nil, fmt.Errorf("opening the %s decoder: %w", dec.Name(), err)
	}
	return cc, nil
}

// decode sends one picture (dts and pts on the source's timeline) and
// calls each with every picture that comes out.
func (d *videoDecoder) decode(data []byte, dts, pts time.Duration, key bool, each func(*astiav.Frame, time.Duration)) error {
	// FFmpeg's decoders read ahead: zeroed padding after the data.
	d.buf = append(append(d.buf[:0], data...), make([]byte, 64)...)
	if err := d.pkt.FromData(d.buf); err != nil {
		return err
	}
	defer d.pkt.Unref()
	d.pkt.SetSize(len(data))
	d.pkt.SetDts(dts.Milliseconds())
	d.pkt.SetPts(pts.Milliseconds())
	if key {
		d.pkt.SetFlags(d.pkt.Flags().Add(astiav.PacketFlagKey))
	}
	if err := d.cc.SendPacket(d.pkt); err != nil && !errors.Is(err, astiav.ErrEagain) {
		return fmt.Errorf("decoding: %w", err)
	}
	return d.receive(each)
}

// flush drains the pictures the decoder still holds (the end of the
// stream) and calls each with them.
func (d *videoDecoder) flush(each func(*astiav.Frame, time.Duration)) error {
	if err := d.cc.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
		return fmt.Errorf("decoding: %w", err)
	}
	return d.receive(each)
}

// receive calls each with every picture the decoder has ready.
func (d *videoDecoder) receive(each func(*astiav.Frame, time.Duration)) error {
	for {
		err := d.cc.ReceiveFrame(d.f)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("decoding: %w", err)
		}
		each(d.f, time.Duration(d.f.Pts())*time.Millisecond)
		d.f.Unref()
	}
}

func (d *videoDecoder) close() {
	d.f.Free()
	d.pkt.Free()
	d.cc.Free()
}
