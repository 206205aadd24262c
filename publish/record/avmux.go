package record

import (
	"fmt"
	"strconv"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/avcodec"
	"onair/internal/media"
)

// avBufferSize is the FFmpeg I/O buffer between the muxer and the file;
// the writer flushes it after every packet.
const avBufferSize = 64 << 10

// avPadding is AV_INPUT_BUFFER_PADDING_SIZE.
const avPadding = 64

// microseconds is the time base packets are stamped in before they are
// rescaled to a stream's.
var microseconds = astiav.NewRational(1, 1_000_000)

// avMuxer writes MP4 or Matroska with FFmpeg's muxers through a custom I/O
// context onto output.
type avMuxer struct {
	out          *output
	fc           *astiav.FormatContext
	pb           *astiav.IOContext
	pkt          *astiav.Packet
	video, audio *astiav.Stream
	vdur, adur   time.Duration // one picture's and one AAC frame's duration
	header       bool          // the header was written: close writes the trailer
	buf          []byte        // packet data and padding, reused
}

func newAVMuxer(f Format, out *output, video, audio *media.CodecConfig, fragment time.Duration) (_ *avMuxer, err error) {
	name := map[Format]string{FormatMP4: "mp4", FormatMKV: "matroska"}[f]
	m := &avMuxer{out: out}
	defer func() {
		if err != nil {
			m.close(false)
		}
	}()
	if m.fc, err = astiav.AllocOutputFormatContext(nil, name, ""); err != nil {
		return nil, fmt.Errorf("the %s muxer: %w", name, err)
	}
	var seek astiav.IOContextSeekFunc
	if out.seekable() {
		seek = out.Seek
	}
	if m.pb, err = astiav.AllocIOContext(avBufferSize, true, nil, seek, out.Write); err != nil {
		return nil, err
	}
	m.fc.SetPb(m.pb)
	if video != nil {
		m.video = m.fc.NewStream(nil)
		cp := m.video.CodecParameters()
		cp.SetMediaType(astiav.MediaTypeVideo)
		cp.SetCodecID(avcodec.ID(video.Codec))
		cp.SetWidth(video.Width)
		cp.SetHeight(video.Height)
		cp.SetPixelFormat(astiav.PixelFormatYuv420P)
		if err := cp.SetExtraData(video.Extradata); err != nil {
			return nil, err
		}
		m.video.SetTimeBase(astiav.NewRational(1, 90000))
		if video.FrameRate > 0 {
			fr := astiav.NewRational(int(video.FrameRate*1001+0.5), 1001)
			m.video.SetAvgFrameRate(fr)
			m.video.SetRFrameRate(fr)
			m.vdur = time.Duration(float64(time.Second) / video.FrameRate)
		}
	}
	if audio != nil {
		m.audio = m.fc.NewStream(nil)
		cp := m.audio.CodecParameters()
		cp.SetMediaType(astiav.MediaTypeAudio)
		cp.SetCodecID(avcodec.ID(audio.Codec))
		cp.SetSampleRate(audio.SampleRate)
		layout := astiav.ChannelLayoutStereo
		if audio.Channels == 1 {
			layout = astiav.ChannelLayoutMono
		}
		cp.SetChannelLayout(layout)
		cp.SetChannels(layout.NbChannels())
		frame := 1024 // AAC
		if audio.Codec == media.CodecOpus {
			frame = 960 // 20 ms; packets of other sizes carry their own duration
		}
		cp.SetFrameSize(frame)
		if err := cp.SetExtraData(audio.Extradata); err != nil {
			return nil, err
		}
		m.audio.SetTimeBase(astiav.NewRational(1, audio.SampleRate))
		if audio.SampleRate > 0 {
			m.adur = time.Duration(int64(frame) * int64(time.Second) / int64(audio.SampleRate))
		}
	}
	opts := astiav.NewDictionary()
	defer opts.Free()
	switch f {
	case FormatMP4:
		// Fragmented: an empty moov first, then moof + mdat at every
		// keyframe and at least every fragment duration.
		_ = opts.Set("movflags", "frag_keyframe+empty_moov+default_base_moof", 0)
		_ = opts.Set("frag_duration", strconv.FormatInt(fragment.Microseconds(), 10), 0)
	case FormatMKV:
		_ = opts.Set("cluster_time_limit", strconv.FormatInt(fragment.Milliseconds(), 10), 0)
	}
	if err := m.fc.WriteHeader(opts); err != nil {
		return nil, m.ioErr(fmt.Errorf("writing the %s header: %w", name, err))
	}
	m.header = true
	m.pb.Flush()
	if out.err != nil {
		return nil, out.err
	}
	m.pkt = astiav.AllocPacket()
	return m, nil
}

// ioErr prefers the file's own error (no space left on device) to FFmpeg's
// translation of it.
func (m *avMuxer) ioErr(err error) error {
	if m.out.err != nil {
		return m.out.err
	}
	return err
}

func (m *avMuxer) write(pk *media.Packet, pts, dts time.Duration) error {
	st, dur := m.video, m.vdur
	if !pk.Codec.IsVideo() {
		st, dur = m.audio, m.adur
	}
	if pk.Duration > 0 {
		dur = pk.Duration
	}
	if st == nil {
		return nil
	}
	// FFmpeg wants zeroed padding after packet data (its parsers read
	// ahead): copy the data with the padding, then set the size.
	m.buf = append(append(m.buf[:0], pk.Data...), make([]byte, avPadding)...)
	if err := m.pkt.FromData(m.buf); err != nil {
		return err
	}
	m.pkt.SetSize(len(pk.Data))
	tb := st.TimeBase()
	m.pkt.SetStreamIndex(st.Index())
	m.pkt.SetPts(astiav.RescaleQ(pts.Microseconds(), microseconds, tb))
	m.pkt.SetDts(astiav.RescaleQ(dts.Microseconds(), microseconds, tb))
	m.pkt.SetDuration(astiav.RescaleQ(dur.Microseconds(), microseconds, tb))
	if pk.Key {
		m.pkt.SetFlags(m.pkt.Flags().Add(astiav.PacketFlagKey))
	}
	err := m.fc.WriteInterleavedFrame(m.pkt) // takes the packet's data, leaves it blank
	m.pkt.Unref()
	if err != nil {
		return m.ioErr(err)
	}
	// Hand what the muxer finished (a fragment, a cluster) to the file now.
	m.pb.Flush()
	return m.out.err
}

// close writes the trailer when trailer is set and the header was written,
// and frees the muxer.
func (m *avMuxer) close(trailer bool) error {
	var err error
	if trailer && m.header {
		if e := m.fc.WriteTrailer(); e != nil {
			err = m.ioErr(fmt.Errorf("writing the trailer: %w", e))
		} else {
			m.pb.Flush()
			err = m.out.err
		}
	}
	if m.pkt != nil {
		m.pkt.Free()
		m.pkt = nil
	}
	if m.pb != nil {
		m.pb.Free()
		m.pb = nil
	}
	if m.fc != nil {
		m.fc.Free()
		m.fc = nil
	}
	return err
}
