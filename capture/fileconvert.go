package capture

import (
	"fmt"
	"math"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/avplane"
	"onair/internal/media"
)

// A File's conversions of decoded frames into what it delivers: pictures
// into pooled, tightly packed YUV420P frames (libswscale for other pixel
// formats), audio into float32 blocks at the configured rate and channels
// whose PTS follow on from the samples before them.

const (
	// fileAudioSlack is the largest difference between an audio frame's
	// PTS and the end of the samples before it that is taken as jitter;
	// a larger gap in the file's audio becomes a gap in the PTS.
	fileAudioSlack = 15 * time.Millisecond
	// filePoolSize is how many idle video frame buffers are kept.
	filePoolSize = 8
)

// takeVideo converts a decoded picture into a pooled YUV420P frame and
// queues it.
func (f *File) takeVideo(t *fileTrack, fr *astiav.Frame) {
	p := &f.play
	at := p.lastV + t.interval
	if ts := fr.Pts(); ts != fileNoPTS {
		at = f.timeline(ts, t.tb)
	} else if ts := fr.PktDts(); ts != fileNoPTS {
		at = f.timeline(ts, t.tb)
	}
	if p.haveV && at <= p.lastV {
		f.log.Debug("video frame out of order, dropped", "at", at, "last", p.lastV)
		return
	}
	w, h := fr.Width(), fr.Height()
	if w <= 0 || h <= 0 {
		return
	}
	if p.pool == nil || w != p.poolW || h != p.poolH {
		p.pool, p.poolW, p.poolH = newFramePool(yuv420Size(w, h), filePoolSize), w, h
	}
	src := fr
	if pf := fr.PixelFormat(); pf != astiav.PixelFormatYuv420P {
		var remade bool
		var err error
		src, remade, err = p.yuv.convert(fr)
		if remade {
			f.log.Debug("converting video", "from", pf.String(), "width", w, "height", h)
		}
		if err != nil {
			f.decodeError(t, err)
			return
		}
	}
	pool := p.pool
	buf := pool.get()
	if !copyYUV420(buf, src, w, h) {
		pool.put(buf)
		f.decodeError(t, fmt.Errorf("a %dx%d picture without its three planes", w, h))
		return
	}
	cw, ch := (w+1)/2, (h+1)/2
	vf := &media.VideoFrame{
		Seq:     p.vseq,
		Width:   w,
		Height:  h,
		Format:  media.PixelFormatYUV420P,
		Planes:  [3][]byte{buf[:w*h], buf[w*h : w*h+cw*ch], buf[w*h+cw*ch:]},
		Strides: [3]int{w, cw, cw},
	}
	vf.SetRelease(func() { pool.put(buf) })
	p.vseq++
	p.lastV, p.haveV = at, true
	p.vready = append(p.vready, fileVFrame{f: vf, at: at})
}

// yuvConverter converts pictures of other pixel formats to yuv420p at
// the same size with libswscale; it is remade when the size or format of
// its input changes.
type yuvConverter struct {
	sws  *astiav.SoftwareScaleContext
	dst  *astiav.Frame
	w, h int
	pf   astiav.PixelFormat
}

// convert converts fr; the result is valid until the next call. remade
// reports a new conversion (a new size or format).
func (c *yuvConverter) convert(fr *astiav.Frame) (out *astiav.Frame, remade bool, err error) {
	w, h, pf := fr.Width(), fr.Height(), fr.PixelFormat()
	if c.sws == nil || w != c.w || h != c.h || pf != c.pf {
		c.free()
		sws, err := astiav.CreateSoftwareScaleContext(w, h, pf, w, h, astiav.PixelFormatYuv420P,
			astiav.NewSoftwareScaleContextFlags(astiav.SoftwareScaleContextFlagBilinear))
		if err != nil {
			return nil, false, fmt.Errorf("converting %s to yuv420p: %w", pf, err)
		}
		dst := astiav.AllocFrame()
		dst.SetWidth(w)
		dst.SetHeight(h)
		dst.SetPixelFormat(astiav.PixelFormatYuv420P)
		if err := dst.AllocBuffer(0); err != nil {
			dst.Free()
			sws.Free()
			return nil, false, fmt.Errorf("a %dx%d yuv420p picture: %w", w, h, err)
		}
		c.sws, c.dst, c.w, c.h, c.pf = sws, dst, w, h, pf
		remade = true
	}
	if err := c.sws.ScaleFrame(fr, c.dst); err != nil {
		return nil, remade, fmt.Errorf("converting %s to yuv420p: %w", pf, err)
	}
	return c.dst, remade, nil
}

func (c *yuvConverter) free() {
	if c.sws != nil {
		c.sws.Free()
		c.sws = nil
	}
	if c.dst != nil {
		c.dst.Free()
		c.dst = nil
	}
}

// takeAudio resamples a decoded block and queues it, its PTS following on
// from the samples before it unless the file's audio has a gap.
func (f *File) takeAudio(t *fileTrack, fr *astiav.Frame) {
	p := &f.play
	samples, err := p.rs.Convert(fr)
	if err != nil {
		f.decodeError(t, err)
		return
	}
	n := len(samples) / f.cfg.Channels
	if n == 0 {
		return
	}
	next := p.aAnchor + media.SamplesDuration(p.aCount, f.cfg.SampleRate)
	at, known := next, false
	if ts := fr.Pts(); ts != fileNoPTS {
		at, known = f.timeline(ts, t.tb), true
		if r := fr.SampleRate(); r > 0 {
			if e := at + media.SamplesDuration(int64(fr.NbSamples()), r); e > t.decEnd {
				t.decEnd = e
			}
		}
	}
	switch {
	case !p.aValid:
		if !known {
			at = p.offset
		}
		p.aAnchor, p.aCount, p.aValid = at, 0, true
	case known && at > next+fileAudioSlack:
		// A gap in the file's audio (or audio shorter than the pass):
		// a gap in the PTS.
		f.log.Debug("gap in the audio", "at", at, "expected", next)
		p.aAnchor, p.aCount = at, 0
	case known && at < next-fileAudioSlack:
		// Overlap: cut what was already played, so that the audio never
		// goes backwards nor drifts late.
		cut := int(math.Round(float64(next-at) * float64(f.cfg.SampleRate) / float64(time.Second)))
		if cut >= n {
			return
		}
		samples, n = samples[cut*f.cfg.Channels:], n-cut
	}
	// Otherwise the samples follow on, PTS continuous.
	pts := p.aAnchor + media.SamplesDuration(p.aCount, f.cfg.SampleRate)
	p.aCount += int64(n)
	af := &media.AudioFrame{
		SampleRate: f.cfg.SampleRate,
		Channels:   f.cfg.Channels,
		Samples:    append([]float32(nil), samples...),
	}
	p.aready = append(p.aready, fileAFrame{f: af, at: pts})
}

// cutAudio drops the queued audio past the end of the pass: the
// encoder's padding that the container's timestamps leave out (the last
// AAC frame of an MP4) and the decoder did not cut.
func (f *File) cutAudio(end time.Duration) {
	p := &f.play
	ch := f.cfg.Channels
	for len(p.aready) > 0 {
		a := &p.aready[len(p.aready)-1]
		if a.at >= end {
			p.aready = p.aready[:len(p.aready)-1]
			continue
		}
		if keep := int(math.Round(float64(end-a.at) * float64(f.cfg.SampleRate) / float64(time.Second))); keep < a.f.NumSamples() {
			a.f.Samples = a.f.Samples[:keep*ch]
		}
		break
	}
	if next := p.aAnchor + media.SamplesDuration(p.aCount, f.cfg.SampleRate); p.aValid && next > end {
		p.aAnchor, p.aCount = end, 0
	}
}

// copyYUV420 copies the three planes of a yuv420p frame f of w x h pixels
// into buf, tightly packed (strides w, (w+1)/2, (w+1)/2). buf must hold
// yuv420Size(w, h) bytes. It reports false when a plane is missing or
// shorter than the size says.
func copyYUV420(buf []byte, f *astiav.Frame, w, h int) bool {
	cw, ch := (w+1)/2, (h+1)/2
	dst := buf
	for i, pw, ph := 0, w, h; i < 3; i++ {
		if i == 1 {
			pw, ph = cw, ch
		}
		src, ls := avplane.View(f, i, ph)
		if src == nil || ls < pw {
			return false
		}
		for y := 0; y < ph; y++ {
			copy(dst[y*pw:(y+1)*pw], src[y*ls:y*ls+pw])
		}
		dst = dst[pw*ph:]
	}
	return true
}

// yuv420Size is the number of bytes of a tightly packed yuv420p picture.
func yuv420Size(w, h int) int { return w*h + 2*((w+1)/2)*((h+1)/2) }
