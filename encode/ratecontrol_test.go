package encode

import (
	"math/rand"
	"testing"
	"time"

	"onair/internal/media"
)

// noiseFrame is a picture of random grey levels: no encoder compresses it
// below the rate it is allowed, so the output measures the rate control.
func noiseFrame(rng *rand.Rand, w, h int, seq int64, fps float64) *media.VideoFrame {
	f := grayFrame(w, h, seq, fps, media.PixelFormatYUV420P)
	rng.Read(f.Planes[0])
	return f
}

// TestVideoSetBitrate encodes noise at 2500 kb/s, switches to 800 kb/s,
// then back, and checks that the bytes of each following stretch follow the
// target: libx264 takes the new rate between frames (ratecontrol.go).
func TestVideoSetBitrate(t *testing.T) {
	const fps = 30.0
	e, err := NewVideo(VideoConfig{Width: 640, Height: 360, FPS: fps, Bitrate: 2_500_000, Preset: "ultrafast", KeyInterval: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rng := rand.New(rand.NewSource(1))
	seq := int64(0)
	// kbps encodes n seconds and returns the bitrate of the last m of them.
	kbps := func(n, m int) float64 {
		var bytes int
		for i := 0; i < n*int(fps); i++ {
			pkts, err := e.Encode(noiseFrame(rng, 640, 360, seq, fps))
			if err != nil {
				t.Fatal(err)
			}
			seq++
			if i >= (n-m)*int(fps) {
				for _, p := range pkts {
					bytes += len(p.Data)
				}
			}
		}
		return float64(bytes) * 8 / 1000 / float64(m)
	}
	if got := e.Bitrate(); got != 2_500_000 {
		t.Fatalf("Bitrate() = %d before any change, want the configured 2500000", got)
	}
	before := kbps(4, 3)
	e.SetBitrate(800_000)
	if got := e.Bitrate(); got != 800_000 {
		t.Fatalf("Bitrate() = %d after SetBitrate(800000)", got)
	}
	// The VBV buffer (one second at the old rate) drains within a second.
	low := kbps(4, 3)
	e.SetBitrate(2_500_000)
	high := kbps(4, 3)
	t.Logf("kb/s: %.0f at 2500k, %.0f after switching to 800k, %.0f back at 2500k", before, low, high)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"before", before, 2500}, {"lowered", low, 800}, {"raised again", high, 2500}} {
		if c.got < c.want*0.8 || c.got > c.want*1.15 {
			t.Errorf("%s: %.0f kb/s, want %.0f ±15%%", c.name, c.got, c.want)
		}
	}
	if e.Config().Bitrate != 2_500_000 {
		t.Errorf("track bitrate %d, want the configured one", e.Config().Bitrate)
	}
	e.SetBitrate(1)
	if got := e.Bitrate(); got != 10_000 {
		t.Errorf("SetBitrate(1) gives %d, want the 10k floor", got)
	}
}
