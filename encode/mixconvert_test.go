package encode

import (
	"math"
	"testing"
	"time"
)

func TestMixResamples(t *testing.T) {
	for _, tc := range []struct {
		what   string
		rate   int
		inCh   int
		mixCh  int
		amp    float64
		wantLv float64 // amplitude in the mix
	}{
		{"44.1 kHz mono into 48 kHz stereo", 44100, 1, 2, 0.5, 0.5},
		{"32 kHz stereo into 48 kHz stereo", 32000, 2, 2, 0.5, 0.5},
		{"48 kHz stereo into mono", 48000, 2, 1, 0.5, 0.5},
		{"44.1 kHz 5.1 into stereo", 44100, 6, 2, 0.5, 0},
	} {
		t.Run(tc.what, func(t *testing.T) {
			m := newBegunMixer(t, MixerConfig{Channels: tc.mixCh})
			in := mustInput(t, m, "a")
			g := &mixTone{hz: 1000, amp: tc.amp, rate: tc.rate, ch: tc.inCh, n: tc.rate / 100}
			out := mixFor(m, time.Second, map[*MixerInput]*mixTone{in: g})
			out = out[len(out)/5 : len(out)*9/10] // the middle: past the start and before the end
			if f := mixDominantHz(out, tc.mixCh, 48000, 100, 5000); math.Abs(f-1000) > 1 {
				t.Errorf("dominant frequency %.2f Hz, want 1000 ± 1", f)
			}
			for c := 0; c < tc.mixCh; c++ {
				a := mixGoertzel(out, tc.mixCh, c, 48000, 1000)
				if tc.wantLv > 0 && math.Abs(a-tc.wantLv) > 0.02 {
					t.Errorf("channel %d: amplitude %.3f, want %.3f", c, a, tc.wantLv)
				}
				if a < 0.1 {
					t.Errorf("channel %d: amplitude %.3f: the tone is missing", c, a)
				}
			}
			st := in.Stats()
			if st.Errors != 0 || st.Resyncs != 0 || st.Late != 0 || st.Ahead != 0 {
				t.Errorf("stats %+v, want no errors, resyncs, late or dropped samples", st)
			}
		})
	}
}
