package capture

import (
	"math"
	"testing"
	"time"
)

// TestMicDrift runs the stamper for 20 minutes of a device whose clock is
// off by ppm, with callbacks up to 4 ms late: no re-anchor, PTS within 5
// ms of the capture time throughout (after the first window), and about
// as many slips as the drift asks for.
func TestMicDrift(t *testing.T) {
	const rate, n = 48000, 480
	for _, ppm := range []float64{-500, -100, -20, 0, 20, 100, 500} {
		s := &stamper{rate: rate, limit: MicReanchor, lateFor: micLateFor}
		devRate := rate * (1 + ppm/1e6) // samples a real second
		start := time.Second
		blocks := int(20 * time.Minute / (10 * time.Millisecond))
		var worst time.Duration
		var slips, ins, outs int
		for i := 0; i < blocks; i++ {
			capStart := start + time.Duration(float64(i*n)/devRate*1e9)
			capEnd := start + time.Duration(float64((i+1)*n)/devRate*1e9)
			jitter := time.Duration((i*7919)%5) * time.Millisecond // 0..4 ms
			pts, jumped, slip := s.stamp(capEnd+jitter, n)
			if jumped {
				t.Fatalf("%+g ppm: re-anchored at block %d (%v)", ppm, i, capEnd)
			}
			switch slip {
			case 1:
				ins++
			case -1:
				outs++
			}
			if slip != 0 {
				slips++
			}
			if capEnd-start > micDriftWindow+100*time.Millisecond {
				worst = max(worst, (pts - capStart).Abs())
			}
		}
		// The drift to make up, in samples: the device's count against
		// the stream clock's over the run.
		want := math.Abs(ppm) / 1e6 * 1200 * rate
		t.Logf("%+5g ppm: %d slips (%d in, %d out; drift %.0f samples), PTS error at most %v", ppm, slips, ins, outs, want, worst)
		if worst > 5*time.Millisecond {
			t.Errorf("%+g ppm: PTS %v off the capture time", ppm, worst)
		}
		if math.Abs(float64(slips)-want) > want*0.05+float64(micDriftDeadband.Seconds()*rate)+10 {
			t.Errorf("%+g ppm: %d slips, want about %.0f", ppm, slips, want)
		}
		// A fast device (ppm > 0) has samples left out, a slow one samples
		// inserted; overshooting the other way stays within the dead band.
		wrongWay := ins
		if ppm < 0 {
			wrongWay = outs
		}
		if wrongWay > int(micDriftDeadband.Seconds()*rate) {
			t.Errorf("%+g ppm: %d inserted and %d left out", ppm, ins, outs)
		}
	}
}

// TestSlipBlock: one instant in or out where the signal changes least,
// the rest untouched.
func TestSlipBlock(t *testing.T) {
	const ch, n = 2, 480
	src := make([]float32, n*ch)
	for i := 0; i < n; i++ {
		v := float32(math.Sin(2 * math.Pi * 1000 * float64(i) / 48000))
		src[2*i], src[2*i+1] = v, -v
	}
	maxStep := func(x []float32) float32 {
		var m float32
		for i := ch; i < len(x); i++ {
			m = max(m, float32(math.Abs(float64(x[i]-x[i-ch]))))
		}
		return m
	}
	step := maxStep(src)
	for _, slip := range []int{1, -1, 0} {
		dst := make([]float32, (n+slip)*ch)
		slipBlock(dst, src, ch, slip)
		if s := maxStep(dst); s > step*1.01 {
			t.Errorf("slip %+d: a step of %.3f, the sine's largest is %.3f", slip, s, step)
		}
		// Every source instant is there, in order, but for the one left out.
		j, missing := 0, 0
		for i := 0; i < n; i++ {
			if j < n+slip && dst[j*ch] == src[i*ch] && dst[j*ch+1] == src[i*ch+1] {
				j++
				continue
			}
			if slip == 1 && j < n+slip-1 && dst[(j+1)*ch] == src[i*ch] { // the inserted one
				j += 2
				continue
			}
			missing++
		}
		if want := max(0, -slip); missing != want {
			t.Errorf("slip %+d: %d source instants missing, want %d", slip, missing, want)
		}
	}
}
