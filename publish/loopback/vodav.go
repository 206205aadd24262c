package loopback

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/avcodec"
	"onair/internal/media"
	"onair/publish/flv"
)

// avFile reads MP4 (the DVR's recordings), MKV or MPEG-TS through FFmpeg's
// demuxer, and turns its packets into FLV tag bodies (Enhanced RTMP for
// HEVC, AV1 and Opus) on the file's own timeline: DTS below zero (B-frames
// behind an edit list) is held at zero, the pictures' presentation times
// kept.
type avFile struct {
	path   string
	fc     *astiav.FormatContext
	pkt    *astiav.Packet
	vi, ai int // stream indexes; -1 when absent
	vcodec media.Codec
	acodec media.Codec
	// lengthSize of H.264 and HEVC NAL units in packets; 0 for Annex-B.
	lengthSize int
	start      time.Duration // the container's start time
	lastDTS    [2]time.Duration
}

func openAVFile(path string) (*vodFile, error) {
	s, err := openAV(path)
	if err != nil {
		return nil, err
	}
	v := &vodFile{src: s}
	var vcfg, acfg *media.CodecConfig
	if s.vi >= 0 {
		cp := s.fc.Streams()[s.vi].CodecParameters()
		vcfg = &media.CodecConfig{Codec: s.vcodec, Extradata: cp.ExtraData(), Width: cp.Width(), Height: cp.Height()}
		if fr := s.fc.Streams()[s.vi].AvgFrameRate(); fr.Den() > 0 {
			vcfg.FrameRate = fr.Float64()
		}
		body, err := flv.VideoSequenceHeader(vcfg)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("%w: its %v track: %v", ErrVODUnreadable, s.vcodec, err)
		}
		v.headers = append(v.headers, &Unit{Kind: KindVideo, Key: true, Header: true, Body: body})
		v.video = true
	}
	if s.ai >= 0 {
		cp := s.fc.Streams()[s.ai].CodecParameters()
		acfg = &media.CodecConfig{Codec: s.acodec, Extradata: cp.ExtraData(), SampleRate: cp.SampleRate(), Channels: cp.Channels()}
		body, err := flv.AudioSequenceHeader(acfg)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("%w: its %v track: %v", ErrVODUnreadable, s.acodec, err)
		}
		v.headers = append(v.headers, &Unit{Kind: KindAudio, Header: true, Body: body})
	}
	if d := s.fc.Duration(); d > 0 {
		v.duration = time.Duration(d) * time.Microsecond
	}
	meta := &Unit{Kind: KindData, Header: true, Body: withDuration(flv.Metadata(vcfg, acfg), v.duration)}
	v.headers = append([]*Unit{meta}, v.headers...)
	return v, nil
}

// openAV opens path and picks its first H.264/HEVC/AV1 and AAC/Opus
// streams.
func openAV(path string) (*avFile, error) {
	s := &avFile{path: path, fc: astiav.AllocFormatContext(), vi: -1, ai: -1}
	if s.fc == nil {
		return nil, errors.New("FFmpeg: no memory for a format context")
	}
	if err := s.fc.OpenInput(path, nil, nil); err != nil {
		s.fc.Free() // avformat_open_input frees the context on failure
		return nil, fmt.Errorf("%w: %v", ErrVODUnreadable, err)
	}
	if err := s.fc.FindStreamInfo(nil); err != nil {
		s.fc.CloseInput()
		s.fc.Free()
		return nil, fmt.Errorf("%w: %v", ErrVODUnreadable, err)
	}
	for _, st := range s.fc.Streams() {
		c := avcodec.Codec(st.CodecParameters().CodecID())
		switch {
		case s.vi < 0 && (c == media.CodecH264 || c == media.CodecHEVC || c == media.CodecAV1):
			s.vi, s.vcodec = st.Index(), c
		case s.ai < 0 && (c == media.CodecAAC || c == media.CodecOpus):
			s.ai, s.acodec = st.Index(), c
		}
	}
	if s.vi < 0 && s.ai < 0 {
		s.close()
		return nil, fmt.Errorf("%w: no H.264, HEVC, AV1, AAC or Opus track", ErrVODUnreadable)
	}
	if s.vi >= 0 && (s.vcodec == media.CodecH264 || s.vcodec == media.CodecHEVC) {
		s.lengthSize = nalLengthSize(s.vcodec, s.fc.Streams()[s.vi].CodecParameters().ExtraData())
	}
	if st := s.fc.StartTime(); st > 0 && st != astiav.NoPtsValue {
		s.start = time.Duration(st) * time.Microsecond
	}
	s.pkt = astiav.AllocPacket()
	return s, nil
}

// nalLengthSize is the NAL unit length size an avcC or hvcC record
// declares; 0 for Annex-B extradata (MPEG-TS), whose packets are Annex-B.
func nalLengthSize(c media.Codec, extradata []byte) int {
	switch {
	case len(extradata) < 7 || extradata[0] != 1:
		return 0
	case c == media.CodecH264:
		return int(extradata[4]&3) + 1
	case len(extradata) >= 23:
		return int(extradata[21]&3) + 1
	}
	return 4
}

func (s *avFile) time(ts int64, tb astiav.Rational) time.Duration {
	if ts == astiav.NoPtsValue {
		return 0
	}
	return media.FromTimeBase(ts, tb.Num(), tb.Den()) - s.start
}

func (s *avFile) next() (*Unit, error) {
	for {
		s.pkt.Unref()
		if err := s.fc.ReadFrame(s.pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("reading %s: %w", s.path, err)
		}
		idx := s.pkt.StreamIndex()
		if idx != s.vi && idx != s.ai {
			continue
		}
		tb := s.fc.Streams()[idx].TimeBase()
		dts := s.time(s.pkt.Dts(), tb)
		if s.pkt.Dts() == astiav.NoPtsValue {
			dts = s.time(s.pkt.Pts(), tb)
		}
		pts := s.time(s.pkt.Pts(), tb)
		if s.pkt.Pts() == astiav.NoPtsValue {
			pts = dts
		}
		tr := 0
		if idx == s.ai {
			if pts < 0 {
				continue // before the edit list's start: the encoder's priming
			}
			tr = 1
		}
		// Held at zero and never backwards: FLV times are unsigned and in
		// decode order.
		dts = max(dts, 0, s.lastDTS[tr])
		s.lastDTS[tr] = dts
		pts = max(pts, dts)
		p := &media.Packet{DTS: dts, PTS: pts, Key: s.pkt.Flags().Has(astiav.PacketFlagKey), Data: s.pkt.Data()}
		var body []byte
		var err error
		if idx == s.vi {
			p.Codec = s.vcodec
			if s.lengthSize > 0 {
				nalus, uerr := flv.UnmarshalAVCC(p.Data, s.lengthSize)
				if uerr != nil {
					continue // a damaged picture: left out
				}
				p.Data = flv.JoinAnnexB(nalus)
			}
			body, _, err = flv.VideoPacketBody(p)
		} else {
			p.Codec = s.acodec
			body, _, err = flv.AudioPacketBody(p)
		}
		if err != nil {
			continue // nothing a tag can carry (an empty packet, parameter sets alone)
		}
		u := &Unit{Kind: KindVideo, DTS: dts, Body: body}
		if idx == s.ai {
			u.Kind = KindAudio
		}
		classify(u)
		return u, nil
	}
}

func (s *avFile) seek(t time.Duration) error {
	s.lastDTS = [2]time.Duration{}
	at := (t + s.start).Microseconds()
	if err := s.fc.SeekFrame(-1, at, astiav.NewSeekFlags(astiav.SeekFlagBackward)); err != nil {
		return fmt.Errorf("seeking %s to %v: %w", s.path, t, err)
	}
	return nil
}

// keyframes reads the whole file once, through a demuxer of its own, for
// the times of its video keyframes.
func (s *avFile) keyframes() ([]time.Duration, error) {
	if s.vi < 0 {
		return nil, nil
	}
	o, err := openAV(s.path)
	if err != nil {
		return nil, err
	}
	defer o.close()
	var keys []time.Duration
	tb := o.fc.Streams()[o.vi].TimeBase()
	var last time.Duration
	for {
		o.pkt.Unref()
		if err := o.fc.ReadFrame(o.pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				return keys, nil
			}
			return nil, fmt.Errorf("reading %s: %w", s.path, err)
		}
		if o.pkt.StreamIndex() != o.vi {
			continue
		}
		ts := o.pkt.Dts()
		if ts == astiav.NoPtsValue {
			ts = o.pkt.Pts()
		}
		dts := max(o.time(ts, tb), 0, last) // as next has it
		last = dts
		if o.pkt.Flags().Has(astiav.PacketFlagKey) && (len(keys) == 0 || dts > keys[len(keys)-1]) {
			keys = append(keys, dts)
		}
	}
}

func (s *avFile) close() error {
	if s.pkt != nil {
		s.pkt.Free()
	}
	s.fc.CloseInput()
	s.fc.Free()
	return nil
}
