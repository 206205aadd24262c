package encode

import (
	"fmt"

	"onair/internal/media"
	"onair/internal/swr"
)

// mixConverter converts an input's frames to the mix's rate and channel
// count: mono and stereo are mapped in Go; more channels, and any other
// rate, go through libswresample (package swr).
type mixConverter struct {
	inRate, inCh int
	swr          *swr.Resampler
	swrCh        int // channels fed to swr
	mapped       []float32
	out          []float32
}

// convert returns f's samples at rate with ch channels; the slice is
// reused by the next call.
func (c *mixConverter) convert(f *media.AudioFrame, rate, ch int) ([]float32, error) {
	nIn := len(f.Samples) / f.Channels
	in := f.Samples[:nIn*f.Channels]
	if f.SampleRate != c.inRate || f.Channels != c.inCh {
		c.free()
		c.inRate, c.inCh = f.SampleRate, f.Channels
		needSwr := f.SampleRate != rate || f.Channels > 2
		c.swrCh = ch
		if f.Channels > 2 {
			c.swrCh = f.Channels
		}
		if needSwr {
			s, err := swr.NewFloat(f.SampleRate, c.swrCh, rate, ch)
			if err != nil {
				c.inRate, c.inCh = 0, 0
				return nil, fmt.Errorf("resampler from %d Hz, %d channels to %d Hz, %d channels: %w",
					f.SampleRate, f.Channels, rate, ch, err)
			}
			c.swr = s
		}
	}
	// Channels first, in Go, for mono and stereo inputs.
	mapped := in
	if f.Channels <= 2 && f.Channels != ch {
		if cap(c.mapped) < nIn*ch {
			c.mapped = make([]float32, nIn*ch)
		}
		mapped = c.mapped[:nIn*ch]
		if f.Channels == 1 { // mono to both channels
			for i, v := range in {
				mapped[2*i], mapped[2*i+1] = v, v
			}
		} else { // stereo to mono: the average
			for i := range mapped {
				mapped[i] = (in[2*i] + in[2*i+1]) / 2
			}
		}
	}
	if c.swr == nil {
		return mapped, nil
	}
	out, err := c.swr.ConvertFloat(mapped, c.out[:0])
	if err != nil {
		return nil, fmt.Errorf("resampling: %w", err)
	}
	c.out = out
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (c *mixConverter) free() {
	c.swr.Close()
	c.swr = nil
	c.inRate, c.inCh = 0, 0
}
