package encode

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/avplane"
	"onair/internal/media"
)

// movingFrame is a YUV420P picture with a horizontal luma ramp that moves
// with seq and a bright square crossing it, so that P pictures have motion
// to code. mean is its average luma.
func movingFrame(w, h int, seq int64, fps float64) (f *media.VideoFrame, mean float64) {
	f = grayFrame(w, h, seq, fps, media.PixelFormatYUV420P)
	y := f.Planes[0]
	bx, by := int(seq*8)%(w-64), h/3
	var sum int
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			v := byte(16 + (c+int(seq)*4)%200)
			if r >= by && r < by+64 && c >= bx && c < bx+64 {
				v = 235
			}
			y[r*w+c] = v
			sum += int(v)
		}
	}
	return f, float64(sum) / float64(w*h)
}

// hevcNALTypes lists the types of the NAL units of Annex-B data.
func hevcNALTypes(b []byte) []int {
	var types []int
	for i := 0; i+3 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			types = append(types, int(b[i+3]>>1)&0x3f)
			i += 3
		}
	}
	return types
}

func containsType(types []int, t ...int) bool {
	for _, x := range types {
		for _, y := range t {
			if x == y {
				return true
			}
		}
	}
	return false
}

// testDecoder is an FFmpeg decoder opened with the encoder's extradata.
type testDecoder struct {
	cc    *astiav.CodecContext
	pkt   *astiav.Packet
	frame *astiav.Frame
}

func newTestDecoder(t *testing.T, id astiav.CodecID, extradata []byte) *testDecoder {
	t.Helper()
	codec := astiav.FindDecoder(id)
	if codec == nil {
		t.Fatalf("no %v decoder in this FFmpeg build", id)
	}
	cc := astiav.AllocCodecContext(codec)
	if err := cc.SetExtraData(extradata); err != nil {
		t.Fatal(err)
	}
	cc.SetThreadCount(1)
	if err := cc.Open(codec, nil); err != nil {
		cc.Free()
		t.Fatal(err)
	}
	d := &testDecoder{cc: cc, pkt: astiav.AllocPacket(), frame: astiav.AllocFrame()}
	t.Cleanup(func() { d.frame.Free(); d.pkt.Free(); d.cc.Free() })
	return d
}

// decode sends p (nil: end of stream) and calls got for each picture out.
func (d *testDecoder) decode(t *testing.T, p *media.Packet, got func(*astiav.Frame)) {
	t.Helper()
	var err error
	if p == nil {
		err = d.cc.SendPacket(nil)
	} else {
		if err := d.pkt.FromData(append([]byte(nil), p.Data...)); err != nil {
			t.Fatal(err)
		}
		d.pkt.SetPts(media.ToTimeBase(p.PTS, 1, 90000))
		err = d.cc.SendPacket(d.pkt)
		d.pkt.Unref()
	}
	if err != nil {
		t.Fatalf("decoding: %v", err)
	}
	for {
		err := d.cc.ReceiveFrame(d.frame)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return
		}
		if err != nil {
			t.Fatalf("decoding: %v", err)
		}
		got(d.frame)
		d.frame.Unref()
	}
}

func lumaMean(f *astiav.Frame) float64 {
	y, ls := avplane.View(f, 0, f.Height())
	var sum int
	for r := 0; r < f.Height(); r++ {
		for _, v := range y[r*ls : r*ls+f.Width()] {
			sum += int(v)
		}
	}
	return float64(sum) / float64(f.Width()*f.Height())
}

// TestHEVC encodes 1280x720 pictures with libx265 and checks the stream:
// keyframes on the interval and on demand, one packet per picture at once
// (zerolatency), VPS/SPS/PPS extradata, and FFmpeg's decoder reading it all
// back at the right size and brightness.
func TestHEVC(t *testing.T) {
	const (
		w, h = 1280, 720
		fps  = 30.0
		n    = 95
	)
	e, err := NewVideo(VideoConfig{Codec: media.CodecHEVC, Width: w, Height: h, FPS: fps, Bitrate: 2_000_000,
		Preset: "ultrafast", KeyInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cfg := e.Config()
	if cfg.Codec != media.CodecHEVC || cfg.Width != w || cfg.Height != h || cfg.Bitrate != 2_000_000 {
		t.Fatalf("config %+v", cfg)
	}
	if !bytes.HasPrefix(cfg.Extradata, []byte{0, 0, 0, 1}) && !bytes.HasPrefix(cfg.Extradata, []byte{0, 0, 1}) {
		t.Fatalf("extradata is not Annex-B: % x", cfg.Extradata[:min(8, len(cfg.Extradata))])
	}
	if types := hevcNALTypes(cfg.Extradata); len(types) != 3 || types[0] != 32 || types[1] != 33 || types[2] != 34 {
		t.Fatalf("extradata NAL types %v, want VPS, SPS, PPS (32 33 34)", types)
	}
	dec := newTestDecoder(t, astiav.CodecIDHevc, cfg.Extradata)
	var decoded int
	var means []float64
	check := func(f *astiav.Frame) {
		if f.Width() != w || f.Height() != h {
			t.Fatalf("decoded picture %dx%d, want %dx%d", f.Width(), f.Height(), w, h)
		}
		if d := lumaMean(f) - means[decoded]; d < -3 || d > 3 {
			t.Errorf("picture %d: mean luma %.1f, encoded %.1f", decoded, lumaMean(f), means[decoded])
		}
		decoded++
	}
	var pkts []*media.Packet
	for i := 0; i < n; i++ {
		if i == 50 {
			e.ForceKeyframe()
		}
		f, mean := movingFrame(w, h, int64(i), fps)
		means = append(means, mean)
		out, err := e.Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		// zerolatency: no lookahead, no frame threads, no reordering.
		if len(out) != 1 {
			t.Fatalf("frame %d: %d packets out, want 1 at once", i, len(out))
		}
		for _, p := range out {
			dec.decode(t, p, check)
		}
		pkts = append(pkts, out...)
	}
	rest, err := e.Flush()
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 0 {
		t.Errorf("flush gave %d packets, want none left", len(rest))
	}
	dec.decode(t, nil, check)
	if decoded != n {
		t.Fatalf("decoded %d pictures of %d", decoded, n)
	}
	var keys []int
	for i, p := range pkts {
		if p.Codec != media.CodecHEVC {
			t.Fatalf("packet %d codec %v", i, p.Codec)
		}
		types := hevcNALTypes(p.Data)
		if containsType(types, 32, 33, 34) {
			t.Errorf("packet %d repeats parameter sets (NAL types %v)", i, types)
		}
		idr := containsType(types, 19, 20)
		if p.Key {
			keys = append(keys, i)
			if !idr {
				t.Errorf("key packet %d has no IDR slice (NAL types %v)", i, types)
			}
		} else if containsType(types, 16, 17, 18, 19, 20, 21) {
			t.Errorf("packet %d has an IRAP slice but is not key (NAL types %v)", i, types)
		}
		if p.DTS != p.PTS {
			t.Fatalf("packet %d: DTS %v != PTS %v with no B-frames", i, p.DTS, p.PTS)
		}
		want := time.Duration(float64(i) * float64(time.Second) / fps)
		if d := p.PTS - want; d < -time.Millisecond || d > time.Millisecond {
			t.Fatalf("packet %d PTS %v, want %v", i, p.PTS, want)
		}
	}
	// Keyframes at 0 and 30, at once when forced at 50, then 30 after it.
	want := []int{0, 30, 50, 80}
	if len(keys) != len(want) {
		t.Fatalf("keyframes at %v, want %v", keys, want)
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Fatalf("keyframes at %v, want %v", keys, want)
		}
	}
}

// TestHEVCKeepsBitrate checks that SetBitrate on HEVC keeps the configured
// rate, says so once, and that Bitrate reports it.
func TestHEVCKeepsBitrate(t *testing.T) {
	var logs bytes.Buffer
	e, err := NewVideo(VideoConfig{Codec: media.CodecHEVC, Width: 320, Height: 240, FPS: 30, Bitrate: 500_000,
		Preset: "ultrafast", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.SetBitrate(500_000)
	if logs.Len() != 0 {
		t.Fatalf("SetBitrate of the configured rate logged: %s", logs.String())
	}
	for i := 0; i < 3; i++ {
		e.SetBitrate(200_000 + i)
		if _, err := e.Encode(grayFrame(320, 240, int64(i), 30, media.PixelFormatYUV420P)); err != nil {
			t.Fatal(err)
		}
		if got := e.Bitrate(); got != 500_000 {
			t.Fatalf("Bitrate() = %d, want the configured 500000 (libx265 keeps it)", got)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, logs.String())
	}
}

func TestVideoBadCodecConfig(t *testing.T) {
	for _, c := range []VideoConfig{
		{Codec: media.CodecHEVC, Width: 640, Height: 480, FPS: 30, Profile: "high"},
		{Codec: media.CodecHEVC, Width: 640, Height: 480, FPS: 30, Profile: "baseline"},
		{Codec: media.CodecHEVC, Width: 640, Height: 480, FPS: 30, Preset: "turbo"},
		{Codec: media.CodecAAC, Width: 640, Height: 480, FPS: 30},
	} {
		_, err := NewVideo(c)
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: err %v, want ErrInvalidConfig", c, err)
		}
		t.Logf("%v", err)
	}
}
