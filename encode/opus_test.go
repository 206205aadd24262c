package encode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/avplane"
	"onair/internal/media"
)

// sineBlocks cuts n samples of a stereo sine (freq Hz, amplitude amp, at
// 48 kHz) into blocks of the odd sizes in sizes, in turn, starting at
// stream time start.
func sineBlocks(n int, freq, amp float64, start time.Duration, sizes []int) []*media.AudioFrame {
	var out []*media.AudioFrame
	for i, k := 0, 0; i < n; k++ {
		m := min(sizes[k%len(sizes)], n-i)
		a := &media.AudioFrame{PTS: start + media.SamplesDuration(int64(i), 48000), SampleRate: 48000, Channels: 2,
			Samples: make([]float32, 2*m)}
		for j := 0; j < m; j++ {
			v := float32(amp * math.Sin(2*math.Pi*freq*float64(i+j)/48000))
			a.Samples[2*j], a.Samples[2*j+1] = v, v
		}
		out = append(out, a)
		i += m
	}
	return out
}

// opusDecode decodes packets with FFmpeg's own Opus decoder, set up from
// the OpusHead alone, and returns the left channel.
func opusDecode(t *testing.T, head []byte, pkts []*media.Packet) []float32 {
	t.Helper()
	codec := astiav.FindDecoder(astiav.CodecIDOpus)
	if codec == nil {
		t.Fatal("no Opus decoder in this FFmpeg build")
	}
	cc := astiav.AllocCodecContext(codec)
	defer cc.Free()
	if err := cc.SetExtraData(head); err != nil {
		t.Fatal(err)
	}
	cc.SetSampleRate(48000)
	cc.SetChannelLayout(astiav.ChannelLayoutStereo)
	if err := cc.Open(codec, nil); err != nil {
		t.Fatal(err)
	}
	pkt, f := astiav.AllocPacket(), astiav.AllocFrame()
	defer pkt.Free()
	defer f.Free()
	var left []float32
	receive := func() {
		for {
			err := cc.ReceiveFrame(f)
			if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			plane, _ := avplane.View(f, 0, 1)
			step := 1 // FLTP: plane 0 is the left channel
			if f.SampleFormat() == astiav.SampleFormatFlt {
				step = 2
			} else if f.SampleFormat() != astiav.SampleFormatFltp {
				t.Fatalf("decoder gives %v", f.SampleFormat())
			}
			for i := 0; i < f.NbSamples(); i++ {
				left = append(left, math.Float32frombits(binary.LittleEndian.Uint32(plane[4*i*step:])))
			}
			f.Unref()
		}
	}
	for _, p := range pkts {
		if err := pkt.FromData(append([]byte(nil), p.Data...)); err != nil {
			t.Fatal(err)
		}
		err := cc.SendPacket(pkt)
		pkt.Unref()
		if err != nil {
			t.Fatal(err)
		}
		receive()
	}
	if err := cc.SendPacket(nil); err != nil {
		t.Fatal(err)
	}
	receive()
	return left
}

// TestOpus encodes 1 s of a 1 kHz tone in odd-sized blocks and checks the
// packets (frames of exactly the asked duration, on the stream clock), the
// OpusHead, and what FFmpeg's decoder makes of them: the tone at its level.
func TestOpus(t *testing.T) {
	for _, fd := range []time.Duration{0, 20 * time.Millisecond} {
		e, err := NewAudio(AudioConfig{Codec: media.CodecOpus, FrameDuration: fd})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		want := fd
		if want == 0 {
			want = 10 * time.Millisecond // the default
		}
		if e.FrameDuration() != want {
			t.Fatalf("FrameDuration %v, want %v", e.FrameDuration(), want)
		}
		cfg := e.Config()
		head := cfg.Extradata
		if cfg.Codec != media.CodecOpus || cfg.SampleRate != 48000 || cfg.Channels != 2 || cfg.Bitrate != 96_000 {
			t.Fatalf("config %+v", cfg)
		}
		if len(head) != 19 || !bytes.HasPrefix(head, []byte("OpusHead")) || head[8] != 1 || head[9] != 2 {
			t.Fatalf("OpusHead % x: want 19 bytes, version 1, 2 channels", head)
		}
		preSkip := opusPreSkip(head)
		if rate := binary.LittleEndian.Uint32(head[12:]); rate != 48000 {
			t.Errorf("OpusHead input rate %d", rate)
		}
		// lowdelay: CELT only, 2.5 ms of delay.
		if preSkip != 120 {
			t.Errorf("pre-skip %d samples, want 120 (lowdelay)", preSkip)
		}
		start := 300 * time.Millisecond
		var pkts []*media.Packet
		for _, a := range sineBlocks(48000, 1000, 0.5, start, []int{333, 517, 1001, 7}) {
			out, err := e.Encode(a)
			if err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, out...)
		}
		if len(pkts) != int(time.Second/want) {
			t.Fatalf("%v: %d packets for 1 s", want, len(pkts))
		}
		// The first packet starts pre-skip samples before the first one
		// given, as AAC's starts its priming early.
		first := start - media.SamplesDuration(int64(preSkip), 48000)
		for i, p := range pkts {
			if p.Codec != media.CodecOpus || !p.Key {
				t.Fatalf("packet %d: codec %v key %v", i, p.Codec, p.Key)
			}
			at := first + time.Duration(i)*want
			if d := p.PTS - at; d < -50*time.Microsecond || d > 50*time.Microsecond || p.DTS != p.PTS {
				t.Fatalf("packet %d: PTS %v DTS %v, want %v", i, p.PTS, p.DTS, at)
			}
			// TOC (RFC 6716 3.1): CELT-only fullband, one stereo frame
			// of 10 ms (config 30) or 20 ms (31).
			toc := p.Data[0]
			config, stereo, count := int(toc>>3), toc&4 != 0, toc&3
			if wantConfig := map[time.Duration]int{10 * time.Millisecond: 30, 20 * time.Millisecond: 31}[want]; config != wantConfig || !stereo || count != 0 {
				t.Fatalf("packet %d TOC %#x: config %d stereo %v count %d, want config %d, one stereo frame", i, toc, config, stereo, count, wantConfig)
			}
		}
		rest, err := e.Flush()
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, rest...)
		left := opusDecode(t, head, pkts)
		if len(left) < 47000 {
			t.Fatalf("decoded %d samples", len(left))
		}
		// The middle of it: 1 kHz, at -9 dBFS RMS (0.5 peak).
		mid := left[9600:38400]
		var crossings int
		var sq, dot, ref float64
		for i, v := range mid {
			sq += float64(v) * float64(v)
			// The decoder drops the pre-skip: sample k is input sample k.
			x := 0.5 * math.Sin(2*math.Pi*1000*float64(9600+i)/48000)
			dot += float64(v) * x
			ref += x * x
			if i > 0 && (mid[i-1] < 0) != (v < 0) {
				crossings++
			}
		}
		freq := float64(crossings) / 2 / (float64(len(mid)) / 48000)
		rms := math.Sqrt(sq / float64(len(mid)))
		corr := dot / math.Sqrt(sq*ref)
		t.Logf("%v frames: %d packets, pre-skip %d, decoded %d samples, %.1f Hz, RMS %.3f (want %.3f), correlation with the input %.3f",
			want, len(pkts), preSkip, len(left), freq, rms, 0.5/math.Sqrt2, corr)
		if corr < 0.95 {
			t.Errorf("decoded tone correlates %.3f with the input at the same sample index: timeline off", corr)
		}
		if math.Abs(freq-1000) > 5 {
			t.Errorf("decoded tone at %.1f Hz, want 1000", freq)
		}
		if db := 20 * math.Log10(rms/(0.5/math.Sqrt2)); math.Abs(db) > 1 {
			t.Errorf("decoded level %.2f dB off", db)
		}
	}
}

func TestOpusMono(t *testing.T) {
	e, err := NewAudio(AudioConfig{Codec: media.CodecOpus, Channels: 1, Bitrate: 48_000})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if h := e.Config().Extradata; h[9] != 1 {
		t.Fatalf("OpusHead says %d channels", h[9])
	}
	a := &media.AudioFrame{SampleRate: 48000, Channels: 1, Samples: make([]float32, 1000)}
	out, err := e.Encode(a)
	if err != nil || len(out) != 2 {
		t.Fatalf("%d packets, err %v; want 2 of 480 samples", len(out), err)
	}
}

func TestAudioBadConfig(t *testing.T) {
	for _, c := range []AudioConfig{
		{Codec: media.CodecOpus, SampleRate: 44100},
		{Codec: media.CodecOpus, FrameDuration: 15 * time.Millisecond},
		{Codec: media.CodecOpus, FrameDuration: 40 * time.Millisecond},
		{Codec: media.CodecOpus, Channels: 6},
		{Codec: media.CodecOpus, Channels: 1, Bitrate: 300_000},
		{FrameDuration: 10 * time.Millisecond}, // AAC
		{SampleRate: 44000},
		{Codec: media.CodecH264},
	} {
		_, err := NewAudio(c)
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: err %v, want ErrInvalidConfig", c, err)
		}
		t.Logf("%v", err)
	}
}
