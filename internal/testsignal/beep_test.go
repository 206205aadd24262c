package testsignal

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

func TestBeepOn(t *testing.T) {
	const ms = int64(time.Millisecond)
	cases := []struct {
		ns   int64
		want bool
	}{
		{0, true}, {100*ms - 1, true}, {100 * ms, false}, {1000*ms - 1, false}, {1000 * ms, true},
		{1700000000000 * ms, true}, {1700000000100*ms - 1, true}, {1700000000100 * ms, false},
		{-1, false}, {-900 * ms, false}, {-900*ms - 1, true},
	}
	for _, c := range cases {
		if got := BeepOn(c.ns); got != c.want {
			t.Errorf("BeepOn(%d) = %v, want %v", c.ns, got, c.want)
		}
	}
}

func TestBeepThresholds(t *testing.T) {
	db := func(v float64) float64 { return 20 * math.Log10(v) }
	if got := db(BeepAmplitude); math.Abs(got+6) > 0.01 {
		t.Errorf("beep level %.3f dBFS, want -6", got)
	}
	if got := db(ToneAmplitude); math.Abs(got+30) > 0.01 {
		t.Errorf("tone level %.3f dBFS, want -30", got)
	}
	if got := db(BeepThresholdPeak); math.Abs(got+18) > 0.01 {
		t.Errorf("threshold %.3f dBFS, want -18", got)
	}
}

// toneWithBeeps generates the spec's signal, plus optional noise, for
// seconds at rate with the beep starting at sample index starts.
func toneWithBeeps(rate, channels, n int, wallStart time.Time, noise float64, seed int64) ([]float32, error) {
	g, err := NewToneGenerator(rate, channels, wallStart)
	if err != nil {
		return nil, err
	}
	buf := make([]float32, n*channels)
	g.Fill(buf)
	if noise > 0 {
		rng := rand.New(rand.NewSource(seed))
		for i := range buf {
			buf[i] += float32((rng.Float64()*2 - 1) * noise)
		}
	}
	return buf, nil
}

func TestBeepDetector(t *testing.T) {
	cases := []struct {
		rate, channels int
		wallStart      time.Time
		noise          float64
	}{
		{48000, 2, time.UnixMilli(1700000000000).Add(-300 * time.Millisecond), 0},
		{48000, 1, time.Unix(1700000000, 0).Add(-123456789), 0},
		{44100, 2, time.Unix(1700000000, 0).Add(-987654321), 0},
		{48000, 2, time.Unix(1700000000, 0).Add(-500*time.Millisecond + 7777), 0.01},
		{16000, 1, time.Unix(1700000000, 0).Add(-250 * time.Millisecond), 0},
	}
	for _, c := range cases {
		n := 3*c.rate + c.rate/2
		buf, err := toneWithBeeps(c.rate, c.channels, n, c.wallStart, c.noise, 1)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := NewToneGenerator(c.rate, c.channels, c.wallStart)
		var want []int64
		for i := int64(1); i < int64(n); i++ {
			if BeepOn(g.WallTime(i)) && !BeepOn(g.WallTime(i-1)) {
				want = append(want, i)
			}
		}
		// Feed in awkward blocks to exercise the streaming state.
		d, err := NewBeepDetector(c.rate, c.channels)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for off := 0; off < len(buf); {
			end := off + (137+off%500)*c.channels
			if end > len(buf) {
				end = len(buf)
			}
			got = append(got, d.Feed(buf[off:end])...)
			off = end
		}
		if len(got) != len(want) {
			t.Fatalf("rate %d start %v: found beeps at %v, want %v", c.rate, c.wallStart, got, want)
		}
		for i := range want {
			// At most 2 samples late on a clean beep (the first may sit at a
			// zero crossing), 0.1 ms with noise.
			late := got[i] - want[i]
			if late < 0 || late > 2+int64(c.rate)/10000 {
				t.Errorf("rate %d: beep %d found at %d, want %d (+%d samples)", c.rate, i, got[i], want[i], late)
			}
		}
	}
}

func TestBeepDetectorStartsInsideBeep(t *testing.T) {
	// Sample 0 is 30 ms into a beep: that beep has no visible start.
	start := time.Unix(1700000000, 30*int64(time.Millisecond))
	buf, err := toneWithBeeps(48000, 2, 48000+4800, start, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FindBeeps(buf, 48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	// The beep may start at a zero crossing: allow 2 samples.
	if want := int64(48000 - 1440); len(got) != 1 || got[0] < want || got[0] > want+2 {
		t.Fatalf("FindBeeps = %v, want [%d..%d]", got, want, want+2)
	}
}

func TestBeepDetectorSilence(t *testing.T) {
	got, err := FindBeeps(make([]float32, 96000), 48000, 2)
	if err != nil || len(got) != 0 {
		t.Fatalf("FindBeeps(silence) = %v, %v", got, err)
	}
	if _, err := NewBeepDetector(0, 2); err == nil {
		t.Error("NewBeepDetector(0, 2) succeeded")
	}
	if _, err := NewBeepDetector(48000, 0); err == nil {
		t.Error("NewBeepDetector(48000, 0) succeeded")
	}
}
