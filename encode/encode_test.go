package encode

import (
	"bytes"
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/media"
)

func TestMain(m *testing.M) {
	astiav.SetLogLevel(astiav.LogLevelError)
	_ = os.Setenv("SVT_LOG", "1") // SVT-AV1's banner off, as app/ does

	os.Exit(m.Run())
}

func grayFrame(w, h int, seq int64, fps float64, format media.PixelFormat) *media.VideoFrame {
	f := &media.VideoFrame{Width: w, Height: h, Format: format, Seq: seq,
		PTS: time.Duration(float64(seq) * float64(time.Second) / fps)}
	switch format {
	case media.PixelFormatYUV420P:
		f.Strides = [3]int{w, w / 2, w / 2}
		f.Planes[0] = bytes.Repeat([]byte{byte(16 + seq%200)}, w*h)
		f.Planes[1] = bytes.Repeat([]byte{128}, w*h/4)
		f.Planes[2] = bytes.Repeat([]byte{128}, w*h/4)
	case media.PixelFormatRGBA:
		f.Strides[0] = 4 * w
		f.Planes[0] = bytes.Repeat([]byte{byte(seq), 100, 200, 255}, w*h)
	}
	return f
}

func TestVideoKeyIntervalAndTimestamps(t *testing.T) {
	const fps = 30.0
	e, err := NewVideo(VideoConfig{Width: 320, Height: 240, FPS: fps, Bitrate: 300_000, Preset: "ultrafast", KeyInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cfg := e.Config()
	if !bytes.HasPrefix(cfg.Extradata, []byte{0, 0, 0, 1, 0x67}) && !bytes.HasPrefix(cfg.Extradata, []byte{0, 0, 1, 0x67}) {
		t.Fatalf("extradata does not start with an Annex-B SPS: % x", cfg.Extradata[:8])
	}
	var keys []int
	var pkts []*media.Packet
	for i := 0; i < 95; i++ {
		if i == 50 {
			e.ForceKeyframe()
		}
		out, err := e.Encode(grayFrame(320, 240, int64(i), fps, media.PixelFormatYUV420P))
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, out...)
	}
	for i, p := range pkts {
		if p.Key {
			keys = append(keys, i)
		}
		if p.DTS != p.PTS {
			t.Fatalf("packet %d: DTS %v != PTS %v with no B-frames", i, p.DTS, p.PTS)
		}
		want := time.Duration(float64(i) * float64(time.Second) / fps)
		if d := p.PTS - want; d < -time.Millisecond || d > time.Millisecond {
			t.Fatalf("packet %d PTS %v, want %v", i, p.PTS, want)
		}
	}
	// zerolatency: one packet per frame, keyframes at 0, 30, forced 50, then 80.
	if len(pkts) != 95 {
		t.Fatalf("%d packets for 95 frames", len(pkts))
	}
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

func TestVideoScalesOtherSizesAndFormats(t *testing.T) {
	e, err := NewVideo(VideoConfig{Width: 640, Height: 360, FPS: 25, Preset: "ultrafast"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	n := 0
	for i := 0; i < 5; i++ {
		out, err := e.Encode(grayFrame(320, 240, int64(i), 25, media.PixelFormatRGBA))
		if err != nil {
			t.Fatal(err)
		}
		n += len(out)
	}
	if n != 5 {
		t.Fatalf("%d packets for 5 scaled frames", n)
	}
}

func TestVideoBadConfig(t *testing.T) {
	for _, c := range []VideoConfig{
		{Width: 641, Height: 480, FPS: 30},
		{Width: 640, Height: 480, FPS: 0},
		{Width: 640, Height: 480, FPS: 30, Preset: "turbo"},
		{Width: 640, Height: 480, FPS: 30, Profile: "extreme"},
	} {
		if _, err := NewVideo(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: err %v, want ErrInvalidConfig", c, err)
		}
	}
}

func TestAudioTimestampsAndConfig(t *testing.T) {
	e, err := NewAudio(AudioConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cfg := e.Config()
	// FFmpeg appends an explicit "no SBR" sync extension (56 e5 00).
	if !bytes.HasPrefix(cfg.Extradata, []byte{0x11, 0x90}) {
		t.Fatalf("AudioSpecificConfig % x, want 11 90 … (AAC-LC 48 kHz stereo)", cfg.Extradata)
	}
	start := 500 * time.Millisecond
	var pkts []*media.Packet
	for b := 0; b < 100; b++ { // 100 blocks of 480 samples = 1 s
		a := &media.AudioFrame{PTS: start + time.Duration(b)*10*time.Millisecond, SampleRate: 48000, Channels: 2,
			Samples: make([]float32, 960)}
		for i := 0; i < 480; i++ {
			v := float32(0.5 * math.Sin(2*math.Pi*440*float64(b*480+i)/48000))
			a.Samples[2*i], a.Samples[2*i+1] = v, v
		}
		out, err := e.Encode(a)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, out...)
	}
	if len(pkts) < 44 || len(pkts) > 47 {
		t.Fatalf("%d AAC packets for 1 s (46 frames of 1024 expected, minus encoder delay)", len(pkts))
	}
	// The first packet carries the encoder's priming: it starts 1024 samples early.
	if d := pkts[0].PTS - (start - e.FrameDuration()); d < -time.Millisecond || d > time.Millisecond {
		t.Fatalf("first AAC PTS %v, want %v", pkts[0].PTS, start-e.FrameDuration())
	}
	for i := 1; i < len(pkts); i++ {
		if d := pkts[i].PTS - pkts[i-1].PTS; d < e.FrameDuration()-time.Millisecond || d > e.FrameDuration()+time.Millisecond {
			t.Fatalf("packet %d: step %v", i, d)
		}
	}
	bad := &media.AudioFrame{SampleRate: 44100, Channels: 2, Samples: make([]float32, 2)}
	if _, err := e.Encode(bad); !errors.Is(err, ErrFormatMismatch) {
		t.Fatalf("44.1 kHz into a 48 kHz encoder: %v", err)
	}
}
