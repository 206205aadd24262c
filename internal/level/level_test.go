package level

import (
	"math"
	"sync"
	"testing"
	"time"

	"onair/internal/media"
)

const rate = 48000

// block10ms is 10 ms of stereo audio at pts, every sample v(i).
func block10ms(pts time.Duration, v func(i int) float32) *media.AudioFrame {
	a := &media.AudioFrame{PTS: pts, SampleRate: rate, Channels: 2, Samples: make([]float32, 2*480)}
	for i := 0; i < 480; i++ {
		a.Samples[2*i], a.Samples[2*i+1] = v(i), v(i)
	}
	return a
}

func TestMeter(t *testing.T) {
	var l Meter // the zero value works
	if p, r := l.Read(); p != Floor || r != Floor {
		t.Fatalf("no audio: %v %v", p, r)
	}
	// A full-scale 1 kHz sine, stereo, in 10 ms blocks for a second, then
	// one block at half scale: the window still holds the loud ones.
	for blk := 0; blk < 100; blk++ {
		l.Add(block10ms(time.Duration(blk)*10*time.Millisecond, func(i int) float32 {
			return float32(math.Sin(2 * math.Pi * 1000 * float64(blk*480+i) / rate))
		}))
	}
	p, r := l.Read()
	if math.Abs(p) > 0.05 || math.Abs(r+3.01) > 0.05 {
		t.Errorf("full-scale sine: peak %.2f dBFS, RMS %.2f dBFS; want 0 and -3.01", p, r)
	}
	// 400 ms of half-scale square: the loud blocks have left the window.
	for blk := 100; blk < 140; blk++ {
		l.Add(block10ms(time.Duration(blk)*10*time.Millisecond, func(int) float32 { return 0.5 }))
	}
	p, r = l.Read()
	if want := 20 * math.Log10(0.5); math.Abs(p-want) > 0.01 || math.Abs(r-want) > 0.01 {
		t.Errorf("half-scale square: peak %.2f, RMS %.2f; want %.2f", p, r, want)
	}
}

func TestMeterWindow(t *testing.T) {
	// A 50 ms window in 10 ms blocks: exactly the five newest blocks.
	m := New(50*time.Millisecond, 16)
	for blk := 0; blk < 10; blk++ {
		v := float32(0.1)
		if blk == 4 {
			v = 1 // the sixth newest: outside
		}
		if blk == 5 {
			v = 0.5 // the fifth newest: inside
		}
		m.Add(block10ms(time.Duration(blk)*10*time.Millisecond, func(int) float32 { return v }))
	}
	if p, _ := m.Read(); math.Abs(p-ToDB(0.5)) > 1e-9 {
		t.Errorf("peak %.2f dBFS, want %.2f (the block 50 ms back)", p, ToDB(0.5))
	}

	// A jump in the PTS: what came before it is older than the window.
	m.Add(block10ms(10*time.Second, func(int) float32 { return 0.25 }))
	if p, r := m.Read(); math.Abs(p-ToDB(0.25)) > 1e-9 || math.Abs(r-ToDB(0.25)) > 1e-9 {
		t.Errorf("after a jump: peak %.2f, RMS %.2f; want %.2f for both", p, r, ToDB(0.25))
	}
}

func TestMeterBlocks(t *testing.T) {
	// Only the newest 3 frames are kept, whatever the window.
	m := New(time.Second, 3)
	for blk := 0; blk < 4; blk++ {
		v := float32(0.1)
		if blk == 0 {
			v = 1
		}
		m.Add(block10ms(time.Duration(blk)*10*time.Millisecond, func(int) float32 { return v }))
	}
	if p, _ := m.Read(); math.Abs(p-ToDB(0.1)) > 1e-6 {
		t.Errorf("peak %.2f dBFS, want %.2f: the loud frame has left the ring", p, ToDB(0.1))
	}
}

func TestMeterSilenceAndNaN(t *testing.T) {
	var m Meter
	m.Add(block10ms(0, func(int) float32 { return 0 }))
	if p, r := m.Read(); p != Floor || r != Floor {
		t.Errorf("silence: %v %v, want %v", p, r, Floor)
	}
	nan := float32(math.NaN())
	m.Add(block10ms(10*time.Millisecond, func(i int) float32 {
		if i%2 == 0 {
			return nan
		}
		return -0.5
	}))
	p, r := m.Read()
	if math.IsNaN(p) || math.IsNaN(r) || math.Abs(p-ToDB(0.5)) > 1e-9 {
		t.Errorf("with NaN samples: peak %v, RMS %v; want %.2f and a number", p, r, ToDB(0.5))
	}
	// An empty frame (no samples) is no audio.
	var e Meter
	e.Add(&media.AudioFrame{SampleRate: rate, Channels: 2})
	if p, r := e.Read(); p != Floor || r != Floor {
		t.Errorf("empty frame: %v %v, want %v", p, r, Floor)
	}
}

func TestToDB(t *testing.T) {
	for _, c := range []struct {
		name string
		a    float64
		want float64
	}{
		{"full scale", 1, 0},
		{"half", 0.5, 20 * math.Log10(0.5)},
		{"one 16-bit step", 1.0 / 32768, Floor}, // -90.3, at the floor
		{"just above the floor", 4e-5, 20 * math.Log10(4e-5)},
		{"zero", 0, Floor},
		{"negative", -1, Floor},
		{"NaN", math.NaN(), Floor},
		{"over full scale", 2, 20 * math.Log10(2)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ToDB(c.a); math.Abs(got-c.want) > 1e-9 {
				t.Errorf("ToDB(%v) = %v, want %v", c.a, got, c.want)
			}
		})
	}
}

func TestMeterConcurrent(t *testing.T) {
	var m Meter
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for blk := 0; blk < 200; blk++ {
			m.Add(block10ms(time.Duration(blk)*10*time.Millisecond, func(int) float32 { return 0.5 }))
		}
	}()
	for i := 0; i < 200; i++ {
		if p, _ := m.Read(); p != Floor && math.Abs(p-ToDB(0.5)) > 1e-9 {
			t.Fatalf("peak %v", p)
		}
	}
	wg.Wait()
}
