package app

import (
	"math"
	"testing"
	"time"

	"onair/internal/media"
)

func TestAudioLevel(t *testing.T) {
	var l audioLevel
	if p, r := l.read(); p != silenceDB || r != silenceDB {
		t.Fatalf("no audio: %v %v", p, r)
	}
	// A full-scale 1 kHz sine, stereo, in 10 ms blocks for a second, then
	// one block at half scale: the window still holds the loud ones.
	const rate = 48000
	for blk := 0; blk < 100; blk++ {
		a := &media.AudioFrame{PTS: time.Duration(blk) * 10 * time.Millisecond, SampleRate: rate, Channels: 2, Samples: make([]float32, 2*480)}
		for i := 0; i < 480; i++ {
			v := float32(math.Sin(2 * math.Pi * 1000 * float64(blk*480+i) / rate))
			a.Samples[2*i], a.Samples[2*i+1] = v, v
		}
		l.add(a)
	}
	p, r := l.read()
	if math.Abs(p) > 0.05 || math.Abs(r+3.01) > 0.05 {
		t.Errorf("full-scale sine: peak %.2f dBFS, RMS %.2f dBFS; want 0 and -3.01", p, r)
	}
	// 400 ms of half-scale square: the loud blocks have left the window.
	for blk := 100; blk < 140; blk++ {
		a := &media.AudioFrame{PTS: time.Duration(blk) * 10 * time.Millisecond, SampleRate: rate, Channels: 2, Samples: make([]float32, 2*480)}
		for i := range a.Samples {
			a.Samples[i] = 0.5
		}
		l.add(a)
	}
	p, r = l.read()
	if want := 20 * math.Log10(0.5); math.Abs(p-want) > 0.01 || math.Abs(r-want) > 0.01 {
		t.Errorf("half-scale square: peak %.2f, RMS %.2f; want %.2f", p, r, want)
	}
}
