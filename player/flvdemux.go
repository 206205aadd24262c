package player

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/avcodec"
	"onair/internal/media"
	"onair/publish/flv"
)

// flvTag is one FLV tag: an RTMP media message or a tag of an FLV file.
type flvTag struct {
	kind uint8 // 8 audio, 9 video, 18 data
	ts   uint32
	body []byte
}

// tagOf is an FLV file's tag as flvDemuxer takes it; false for a tag of
// another type (encrypted ones included), which readers skip.
func tagOf(t flv.Tag) (flvTag, bool) {
	switch t.Type {
	case flv.TagTypeAudio, flv.TagTypeVideo, flv.TagTypeScriptData:
		return flvTag{kind: uint8(t.Type), ts: t.Timestamp, body: t.Data}, true
	}
	return flvTag{}, false
}

// flvDemuxer turns FLV tags into packets for FFmpeg's decoders, in place of
// FFmpeg's FLV demuxer: Debian's FFmpeg 5.1 predates Enhanced RTMP, whose
// FourCC tags carry HEVC, AV1 and Opus. Its tracks come from the sequence
// headers, and from the metadata that says which to wait for, never from
// whichever packets happen to arrive first; a track whose header comes
// later is added then.
//
// Its FormatContext is never opened: it only holds the streams, so that the
// rest of the player (decoders, recorder) sees them as FFmpeg's.
type flvDemuxer struct {
	fc   *astiav.FormatContext
	next func() (flvTag, error)

	video, audio *astiav.Stream
	vcodec       media.Codec
	acodec       media.Codec
	vconf, aconf string // the sequence headers the streams were made from

	mp3     bool     // the audio track is MP3 (legacy FLV, no sequence header)
	pending []flvTag // read while waiting for the headers
	buf     []byte
	fps     float64 // frame rate from the metadata
	// duration from the metadata: a recorded stream's (zero live).
	duration time.Duration
}

// flvTimeBase is the streams' time base: FLV's milliseconds.
func flvTimeBase() astiav.Rational { return astiav.NewRational(1, 1000) }

// flvOpenWait is how long opening waits, once media flows, for the
// sequence header of a track that the metadata announced (or, without
// metadata, for the second track).
const flvOpenWait = time.Second

// errNoTracks is returned by open when the stream's media carried no
// sequence header OnAir can decode.
var errNoTracks = errors.New("no audio or video sequence header")

// newFLVDemuxer makes a demuxer whose streams go into fc, an allocated
// FormatContext that is never opened; close frees it.
func newFLVDemuxer(fc *astiav.FormatContext, next func() (flvTag, error)) *flvDemuxer {
	return &flvDemuxer{fc: fc, next: next}
}

// open reads until the tracks are known. Reads end with ctx through the
// tag source (the caller arranges it).
func (d *flvDemuxer) open(ctx context.Context) error {
	wantV, wantA, meta := false, false, false
	var firstMedia time.Time
	frames := 0
	for {
		t, err := d.next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if len(d.pending) > 0 && (d.video != nil || d.audio != nil) {
				return nil // a short stream: play what came
			}
			return err
		}
		d.pending = append(d.pending, t)
		switch t.kind {
		case 18:
			if v, a, ok := d.metadata(t.body); ok {
				wantV, wantA, meta = v, a, true
			}
			continue
		case 8, 9:
			if d.header(t) {
				break
			}
			frames++
			if firstMedia.IsZero() {
				firstMedia = time.Now()
			}
		default:
			continue
		}
		haveV, haveA := d.video != nil, d.audio != nil
		switch {
		case meta && (haveV || !wantV) && (haveA || !wantA) && (haveV || haveA):
			return nil
		case !meta && haveV && haveA:
			return nil
		case !firstMedia.IsZero() && (time.Since(firstMedia) > flvOpenWait || frames > 256):
			if haveV || haveA {
				return nil
			}
			return fmt.Errorf("%w in the first %d media messages", errNoTracks, frames)
		}
	}
}

// metadata reads which tracks onMetaData announces.
func (d *flvDemuxer) metadata(body []byte) (video, audio, ok bool) {
	vals, err := flv.UnmarshalAMF0(body)
	if err != nil {
		return false, false, false
	}
	for i, v := range vals {
		if s, _ := v.(string); s != "onMetaData" || i+1 >= len(vals) {
			continue
		}
		var get func(string) (any, bool)
		switch o := vals[i+1].(type) {
		case flv.AMF0ECMAArray:
			get = o.Get
		case flv.AMF0Object:
			get = o.Get
		default:
			return false, false, false
		}
		_, video = get("videocodecid")
		_, audio = get("audiocodecid")
		if fr, ok := get("framerate"); ok {
			d.fps, _ = fr.(float64)
		}
		if du, ok := get("duration"); ok {
			if sec, _ := du.(float64); sec > 0 && sec < 1e7 {
				d.duration = time.Duration(sec * float64(time.Second))
			}
		}
		return video, audio, true
	}
	return false, false, false
}

// header makes or replaces a stream from a sequence header tag and reports
// whether t was one.
func (d *flvDemuxer) header(t flvTag) bool {
	if t.kind == 9 {
		info, err := flv.ParseVideo(t.body)
		if err != nil || !info.Header {
			return false
		}
		if d.video == nil || (string(info.Data) != d.vconf && info.Codec == d.vcodec) {
			d.video = d.stream(d.video, astiav.MediaTypeVideo, avcodec.ID(info.Codec), info.Data)
			if w, h, ok := info.Size(); ok {
				d.video.CodecParameters().SetWidth(w)
				d.video.CodecParameters().SetHeight(h)
			}
			if d.fps > 0 {
				d.video.SetAvgFrameRate(rationalFPS(d.fps))
			}
			d.vcodec, d.vconf = info.Codec, string(info.Data)
		}
		return true
	}
	if isMP3(t.body) {
		// MP3 needs no sequence header: its first frame makes the track.
		if d.audio == nil {
			d.audio, d.mp3 = d.stream(nil, astiav.MediaTypeAudio, astiav.CodecIDMp3, nil), true
		}
		return true
	}
	info, err := flv.ParseAudio(t.body)
	if err != nil || !info.Header {
		return false
	}
	if d.audio == nil || (string(info.Data) != d.aconf && info.Codec == d.acodec) {
		d.audio = d.stream(d.audio, astiav.MediaTypeAudio, avcodec.ID(info.Codec), info.Data)
		if rate, ch, ok := info.Format(); ok {
			d.audio.CodecParameters().SetSampleRate(rate)
			setChannels(d.audio.CodecParameters(), ch)
		}
		d.acodec, d.aconf = info.Codec, string(info.Data)
	}
	return true
}

// stream fills st (a new one when nil) with a codec and its configuration
// (none for MP3).
func (d *flvDemuxer) stream(st *astiav.Stream, mt astiav.MediaType, id astiav.CodecID, extradata []byte) *astiav.Stream {
	if st == nil {
		st = d.fc.NewStream(nil)
		st.SetTimeBase(flvTimeBase())
	}
	cp := st.CodecParameters()
	cp.SetMediaType(mt)
	cp.SetCodecID(id)
	if len(extradata) > 0 {
		_ = cp.SetExtraData(append([]byte(nil), extradata...))
	}
	return st
}

func setChannels(cp *astiav.CodecParameters, n int) {
	switch n {
	case 1:
		cp.SetChannelLayout(astiav.ChannelLayoutMono)
	case 2:
		cp.SetChannelLayout(astiav.ChannelLayoutStereo)
	}
	if n > 0 {
		cp.SetChannels(n)
	}
}

func rationalFPS(fps float64) astiav.Rational {
	if fps == float64(int(fps)) {
		return astiav.NewRational(int(fps), 1)
	}
	return astiav.NewRational(int(fps*1001+0.5), 1001)
}

// readFrame fills pkt with the next audio or video packet.
func (d *flvDemuxer) readFrame(pkt *astiav.Packet) error {
	for {
		var t flvTag
		if len(d.pending) > 0 {
			t = d.pending[0]
			d.pending[0] = flvTag{}
			d.pending = d.pending[1:]
		} else {
			var err error
			if t, err = d.next(); err != nil {
				return err
			}
		}
		if ok, err := d.packet(t, pkt); ok || err != nil {
			return err
		}
	}
}

// packet fills pkt from t when t is a frame of a known track.
func (d *flvDemuxer) packet(t flvTag, pkt *astiav.Packet) (bool, error) {
	var st *astiav.Stream
	var data []byte
	key := true
	dts := int64(t.ts)
	pts := dts
	switch t.kind {
	case 9:
		info, err := flv.ParseVideo(t.body)
		if err != nil {
			return false, nil // a codec we do not play, or a damaged tag: skip it
		}
		if info.Header {
			d.header(t)
			return false, nil
		}
		if info.End || info.Command || d.video == nil || info.Codec != d.vcodec || len(info.Data) == 0 {
			return false, nil
		}
		st, data, key = d.video, info.Data, info.Key || flv.PictureIsKey(info.Codec, info.Data)
		pts += int64(info.CompositionTime)
	case 8:
		if isMP3(t.body) {
			if !d.mp3 {
				d.header(t)
			}
			if !d.mp3 {
				return false, nil // another codec has the audio track
			}
			st, data = d.audio, t.body[1:]
			break
		}
		info, err := flv.ParseAudio(t.body)
		if err != nil {
			return false, nil
		}
		if info.Header {
			d.header(t)
			return false, nil
		}
		if d.audio == nil || info.Codec != d.acodec || len(info.Data) == 0 {
			return false, nil
		}
		st, data = d.audio, info.Data
	default:
		return false, nil
	}
	// FFmpeg's decoders read ahead: copy the data with zeroed padding
	// (AV_INPUT_BUFFER_PADDING_SIZE), then set the size.
	d.buf = append(append(d.buf[:0], data...), make([]byte, 64)...)
	if err := pkt.FromData(d.buf); err != nil {
		return false, fmt.Errorf("player: packet: %w", err)
	}
	pkt.SetSize(len(data))
	pkt.SetStreamIndex(st.Index())
	pkt.SetDts(dts)
	pkt.SetPts(pts)
	if key {
		pkt.SetFlags(pkt.Flags().Add(astiav.PacketFlagKey))
	}
	return true, nil
}

// isMP3 reports whether an audio tag body is legacy FLV MP3 (sound format
// 2, or 14 for 8 kHz), which FFmpeg's FLV demuxer read and OnAir's must
// not lose.
func isMP3(body []byte) bool {
	return len(body) > 1 && (body[0]>>4 == 2 || body[0]>>4 == 14)
}

// flush forgets the tags read ahead (a seek).
func (d *flvDemuxer) flush() {
	clear(d.pending)
	d.pending = d.pending[:0]
}

func (d *flvDemuxer) close() {
	if d.fc != nil {
		d.fc.Free()
		d.fc = nil
	}
}
