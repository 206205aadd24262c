package player

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/asticode/go-astiav"
)

// ErrRecord is returned by Open when the record file cannot be made.
var ErrRecord = errors.New("player: cannot record")

// recorder writes the received packets to a file without re-encoding. It
// starts at the first video keyframe (or the first packet of an audio-only
// stream) so the file plays from its first byte, with the tracks known at
// that moment. Used by the reader goroutine only.
type recorder struct {
	path    string
	log     *slog.Logger
	in      *astiav.FormatContext
	out     *astiav.FormatContext
	io      *astiav.IOContext
	streams map[int]*astiav.Stream // input index → output stream
	started bool
	failed  bool
	offset  map[int]int64 // per input stream: first DTS, in its time base
	pkt     *astiav.Packet
	written int64
}

func recordFormat(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".flv":
		return "flv", nil
	case ".mp4", ".m4v", ".mov":
		return "mp4", nil
	case ".ts", ".m2ts":
		return "mpegts", nil
	case ".mkv":
		return "matroska", nil
	}
	return "", fmt.Errorf("record file %s: want a .flv, .mp4, .ts or .mkv name: %w", path, ErrRecord)
}

func newRecorder(path string, in *astiav.FormatContext, log *slog.Logger) (*recorder, error) {
	if _, err := recordFormat(path); err != nil {
		return nil, err
	}
	// Fail now, not after the first keyframe, when the file cannot be made.
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("record file: %w: %w", ErrRecord, err)
	}
	f.Close()
	return &recorder{path: path, log: log, in: in, offset: map[int]int64{}}, nil
}

func (r *recorder) start(first *astiav.Packet) error {
	format, _ := recordFormat(r.path)
	out, err := astiav.AllocOutputFormatContext(nil, format, r.path)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	r.out = out
	r.streams = map[int]*astiav.Stream{}
	for _, is := range r.in.Streams() {
		mt := is.CodecParameters().MediaType()
		if (mt != astiav.MediaTypeVideo && mt != astiav.MediaTypeAudio) || is.CodecParameters().CodecID() == astiav.CodecIDNone {
			continue
		}
		os := out.NewStream(nil)
		if err := is.CodecParameters().Copy(os.CodecParameters()); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		os.CodecParameters().SetCodecTag(0)
		os.SetTimeBase(is.TimeBase())
		r.streams[is.Index()] = os
	}
	if !out.OutputFormat().Flags().Has(astiav.IOFormatFlagNofile) {
		r.io, err = astiav.OpenIOContext(r.path, astiav.NewIOContextFlags(astiav.IOContextFlagWrite))
		if err != nil {
			return fmt.Errorf("record file: %w", err)
		}
		out.SetPb(r.io)
	}
	if err := out.WriteHeader(nil); err != nil {
		return fmt.Errorf("record: writing the header: %w", err)
	}
	r.pkt = astiav.AllocPacket()
	r.started = true
	r.log.Info("recording", "file", r.path, "tracks", len(r.streams))
	return nil
}

// write records pkt (not taking it).
func (r *recorder) write(pkt *astiav.Packet) {
	if r.failed {
		return
	}
	idx := pkt.StreamIndex()
	if !r.started {
		streams := r.in.Streams()
		if idx >= len(streams) {
			return
		}
		mt := streams[idx].CodecParameters().MediaType()
		hasVideo := false
		for _, s := range streams {
			if s.CodecParameters().MediaType() == astiav.MediaTypeVideo {
				hasVideo = true
			}
		}
		isKeyVideo := mt == astiav.MediaTypeVideo && pkt.Flags().Has(astiav.PacketFlagKey)
		if !(isKeyVideo || (!hasVideo && mt == astiav.MediaTypeAudio)) {
			return
		}
		if err := r.start(pkt); err != nil {
			r.log.Warn("recording failed", "err", err)
			r.failed = true
			return
		}
	}
	os, ok := r.streams[idx]
	if !ok {
		return
	}
	is := r.in.Streams()[idx]
	if err := r.pkt.Ref(pkt); err != nil {
		return
	}
	// Start the file at zero: every track shifts by the first DTS seen.
	dts := pkt.Dts()
	if dts == noPTS {
		dts = pkt.Pts()
	}
	off, seen := r.offset[-1]
	if !seen {
		off = astiav.RescaleQ(dts, is.TimeBase(), astiav.NewRational(1, 1000000))
		r.offset[-1] = off
	}
	shift := astiav.RescaleQ(off, astiav.NewRational(1, 1000000), is.TimeBase())
	if p := r.pkt.Pts(); p != noPTS {
		r.pkt.SetPts(max(p-shift, 0))
	}
	if d := r.pkt.Dts(); d != noPTS {
		r.pkt.SetDts(max(d-shift, 0))
	}
	r.pkt.SetStreamIndex(os.Index())
	r.pkt.RescaleTs(is.TimeBase(), os.TimeBase())
	r.pkt.SetPos(-1)
	if err := r.out.WriteInterleavedFrame(r.pkt); err != nil {
		r.log.Warn("recording: a packet could not be written", "err", err)
		r.pkt.Unref()
		return
	}
	r.written++
}

func (r *recorder) close() {
	if r.started {
		if err := r.out.WriteTrailer(); err != nil {
			r.log.Warn("recording: writing the trailer failed", "err", err)
		}
		r.log.Info("recording closed", "file", r.path, "packets", r.written)
	}
	if r.io != nil {
		_ = r.io.Close()
		r.io.Free()
	}
	if r.out != nil {
		r.out.Free()
	}
	if r.pkt != nil {
		r.pkt.Free()
	}
}
