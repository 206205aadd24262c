package media

import "time"

// PixelFormat names the layout of a VideoFrame's planes.
type PixelFormat int

const (
	// PixelFormatYUV420P is 8-bit planar Y, Cb, Cr with chroma halved in
	// both directions (limited range, BT.601).
	PixelFormatYUV420P PixelFormat = iota + 1
	// PixelFormatRGBA is 8-bit packed R, G, B, A in one plane.
	PixelFormatRGBA
	// PixelFormatBGRA is 8-bit packed B, G, R and a fourth byte in one
	// plane, the layout of an X11 screen (capture.Screen): the fourth byte
	// is not alpha (the X server leaves it undefined), the picture is
	// opaque.
	PixelFormatBGRA
)

func (f PixelFormat) String() string {
	switch f {
	case PixelFormatYUV420P:
		return "yuv420p"
	case PixelFormatRGBA:
		return "rgba"
	case PixelFormatBGRA:
		return "bgra"
	}
	return "unknown"
}

// VideoFrame is one raw picture.
type VideoFrame struct {
	// PTS is the capture time on the source's stream clock: when the
	// picture was taken, not when a later stage read it.
	PTS time.Duration
	// Seq counts frames from 0 in the order the source produced them.
	Seq    int64
	Width  int
	Height int
	Format PixelFormat
	// Planes holds the pixel rows; plane i has rows of Strides[i] bytes.
	// YUV420P uses three planes, RGBA and BGRA one.
	Planes  [3][]byte
	Strides [3]int

	// release, when set, hands the planes back to the producer's pool.
	release func()
}

// SetRelease sets what Release calls; producers that pool buffers use it.
func (f *VideoFrame) SetRelease(fn func()) { f.release = fn }

// Release tells the producer that the consumer is done with the planes: the
// frame must not be read after it. The last stage that uses a frame calls it
// exactly once; a frame that was dropped is released by whoever dropped it.
// It is safe on frames without a pool.
func (f *VideoFrame) Release() {
	if f.release != nil {
		fn := f.release
		f.release = nil
		fn()
	}
}

// AudioFrame is a block of interleaved float32 samples in [-1, 1].
type AudioFrame struct {
	// PTS is the capture time of the first sample on the stream clock.
	PTS        time.Duration
	SampleRate int
	Channels   int
	// Samples holds Channels values per sample instant, interleaved.
	Samples []float32
}

// NumSamples is the number of sample instants (per channel) in the frame.
func (a *AudioFrame) NumSamples() int {
	if a.Channels == 0 {
		return 0
	}
	return len(a.Samples) / a.Channels
}

// Duration is how long the frame plays.
func (a *AudioFrame) Duration() time.Duration {
	if a.SampleRate == 0 {
		return 0
	}
	return time.Duration(a.NumSamples()) * time.Second / time.Duration(a.SampleRate)
}
