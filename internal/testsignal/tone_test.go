package testsignal

import (
	"math"
	"testing"
	"time"
)

func TestSampleOffset(t *testing.T) {
	cases := []struct {
		i    int64
		rate int
		want time.Duration
	}{
		{0, 48000, 0},
		{1, 48000, 20833},
		{48000, 48000, time.Second},
		{48001, 48000, time.Second + 20833},
		{441, 44100, 10 * time.Millisecond},
		// A year of samples: i*1e9 would overflow int64.
		{48000*86400*365 + 1, 48000, 86400*365*time.Second + 20833},
	}
	for _, c := range cases {
		if got := SampleOffset(c.i, c.rate); got != c.want {
			t.Errorf("SampleOffset(%d, %d) = %d, want %d", c.i, c.rate, got, c.want)
		}
	}
}

// TestToneGenerator checks the signal sample by sample against the spec:
// which samples beep (100 ms ± 1 sample from the sample at or after each
// whole second), their levels and frequencies, and phase continuity.
func TestToneGenerator(t *testing.T) {
	for _, c := range []struct {
		rate, channels int
		wallStart      time.Time
	}{
		{48000, 2, time.Unix(1700000000, 0).Add(-250 * time.Millisecond)},
		{48000, 1, time.Unix(1700000000, 0).Add(-123456789)},
		{44100, 2, time.Unix(1700000000, 0).Add(-1)},
		{44100, 2, time.Unix(1700000000, 0)},
	} {
		g, err := NewToneGenerator(c.rate, c.channels, c.wallStart)
		if err != nil {
			t.Fatal(err)
		}
		n := 2*c.rate + c.rate/3
		buf := make([]float32, n*c.channels)
		// Fill in blocks of 1024, as the source does.
		for off := 0; off < len(buf); off += 1024 * c.channels {
			end := off + 1024*c.channels
			if end > len(buf) {
				end = len(buf)
			}
			g.Fill(buf[off:end])
		}
		if g.Next() != int64(n) {
			t.Fatalf("Next = %d, want %d", g.Next(), n)
		}

		// Beep runs: start at the first sample at/after a whole second.
		var starts []int64
		beepLen := map[int64]int{}
		var cur int64 = -1
		phase := 0.0
		step := 2 * math.Pi / float64(c.rate)
		for i := 0; i < n; i++ {
			wall := c.wallStart.UnixNano() + int64(SampleOffset(int64(i), c.rate))
			sec := wall / 1e9
			inBeep := wall-sec*1e9 < int64(100*time.Millisecond)
			if inBeep != BeepOn(wall) {
				t.Fatalf("sample %d: BeepOn mismatch", i)
			}
			freq, amp := ToneFrequency, ToneAmplitude
			if inBeep {
				freq, amp = BeepFrequency, BeepAmplitude
				if cur < 0 {
					cur = int64(i)
					starts = append(starts, cur)
					// The first beep sample is the first one at/after the second
					// (unless the buffer starts inside a beep).
					if i > 0 && wall-sec*1e9 >= int64(SampleOffset(1, c.rate))+1 {
						t.Fatalf("beep starts at sample %d, %d ns after the second", i, wall-sec*1e9)
					}
				}
				beepLen[cur]++
			} else {
				cur = -1
			}
			want := float32(amp * math.Sin(phase))
			phase = math.Mod(phase+step*freq, 2*math.Pi)
			for ch := 0; ch < c.channels; ch++ {
				if got := buf[i*c.channels+ch]; math.Abs(float64(got-want)) > 1e-4 {
					t.Fatalf("rate %d sample %d ch %d = %v, want %v", c.rate, i, ch, got, want)
				}
			}
		}
		full := 0
		for _, s := range starts {
			if s == 0 || s+int64(c.rate/10)+1 >= int64(n) {
				continue // the buffer starts or ends inside this beep
			}
			full++
			want := c.rate / 10
			if got := beepLen[s]; got < want-1 || got > want+1 {
				t.Errorf("rate %d: beep at %d lasts %d samples, want %d ± 1", c.rate, s, got, want)
			}
		}
		if full < 2 {
			t.Errorf("rate %d start %v: %d whole beeps (starts %v), want at least 2", c.rate, c.wallStart, full, starts)
		}
	}
}

func TestToneGeneratorSkip(t *testing.T) {
	g, err := NewToneGenerator(48000, 2, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	g.Skip(48000)
	if g.Next() != 48000 {
		t.Fatalf("Next after Skip = %d", g.Next())
	}
	if g.WallTime(g.Next()) != time.Unix(1700000001, 0).UnixNano() {
		t.Fatalf("WallTime = %d", g.WallTime(g.Next()))
	}
	buf := make([]float32, 2*4800)
	g.Fill(buf)
	peak := float32(0)
	for _, v := range buf {
		if v > peak {
			peak = v
		}
	}
	if peak < 0.5 {
		t.Fatalf("after skipping to a whole second, peak = %v, want a beep", peak)
	}
}
