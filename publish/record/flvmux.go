package record

import (
	"bufio"
	"fmt"
	"log/slog"
	"time"

	"onair/internal/media"
	"onair/publish/flv"
)

// flvMuxer writes FLV with publish/flv: the file header, onMetaData, the
// sequence headers, then a tag per packet, each flushed to the file at
// once. FLV has no index nor trailer, so the file is whole after every
// tag.
type flvMuxer struct {
	w     *bufio.Writer
	log   *slog.Logger
	video bool
	audio bool
	ts    [2]flv.Timestamper // video, audio; Base 0: times come relative to the start
}

func newFLVMuxer(out *output, video, audio *media.CodecConfig, log *slog.Logger) (*flvMuxer, error) {
	m := &flvMuxer{w: bufio.NewWriterSize(out, 64<<10), log: log, video: video != nil, audio: audio != nil}
	if err := flv.WriteHeader(m.w, m.video, m.audio); err != nil {
		return nil, err
	}
	if err := flv.WriteTag(m.w, flv.TagTypeScriptData, 0, flv.Metadata(video, audio)); err != nil {
		return nil, err
	}
	if video != nil {
		body, err := flv.VideoSequenceHeader(video)
		if err != nil {
			return nil, fmt.Errorf("the video track: %w", err)
		}
		if err := flv.WriteTag(m.w, flv.TagTypeVideo, 0, body); err != nil {
			return nil, err
		}
	}
	if audio != nil {
		body, err := flv.AudioSequenceHeader(audio)
		if err != nil {
			return nil, fmt.Errorf("the audio track: %w", err)
		}
		if err := flv.WriteTag(m.w, flv.TagTypeAudio, 0, body); err != nil {
			return nil, err
		}
	}
	return m, m.w.Flush()
}

func (m *flvMuxer) write(pk *media.Packet, _, dts time.Duration) error {
	var (
		body []byte
		err  error
		typ  = flv.TagTypeVideo
		tr   = 0
	)
	if pk.Codec.IsVideo() {
		if !m.video {
			return nil
		}
		body, _, err = flv.VideoPacketBody(pk)
	} else {
		if !m.audio {
			return nil
		}
		typ, tr = flv.TagTypeAudio, 1
		body, _, err = flv.AudioPacketBody(pk)
	}
	if err != nil {
		// An encoder bug, not a disk problem: the packet is left out.
		m.log.Warn("cannot package a packet", "codec", pk.Codec, "err", err)
		return nil
	}
	if err := flv.WriteTag(m.w, typ, m.ts[tr].Timestamp(dts), body); err != nil {
		return err
	}
	return m.w.Flush()
}

func (m *flvMuxer) close(bool) error { return m.w.Flush() }
