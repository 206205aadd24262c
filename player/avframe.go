package player

import (
	"github.com/asticode/go-astiav"

	"onair/internal/avplane"
	"onair/internal/media"
)

// go-astiav v0.16.0 copies frame planes out (FrameData.Bytes); the player
// reads the stripe on every frame and hands frames to the sink, so it views
// FFmpeg's planes in place instead (package avplane). The views are valid
// until the frame is unreferenced: they never outlive the frame they come
// from.

// viewYUV420 describes a decoded YUV 4:2:0 frame (yuv420p or yuvj420p) as a
// media.VideoFrame whose planes point into f. ok is false for other layouts.
func viewYUV420(f *astiav.Frame) (v media.VideoFrame, ok bool) {
	switch f.PixelFormat() {
	case astiav.PixelFormatYuv420P, astiav.PixelFormatYuvj420P:
	default:
		return v, false
	}
	w, h := f.Width(), f.Height()
	v.Width, v.Height, v.Format = w, h, media.PixelFormatYUV420P
	v.Planes[0], v.Strides[0] = avplane.View(f, 0, h)
	v.Planes[1], v.Strides[1] = avplane.View(f, 1, (h+1)/2)
	v.Planes[2], v.Strides[2] = avplane.View(f, 2, (h+1)/2)
	return v, v.Planes[0] != nil && v.Planes[1] != nil && v.Planes[2] != nil
}

// viewRGBA describes a packed RGBA frame as a media.VideoFrame.
func viewRGBA(f *astiav.Frame) media.VideoFrame {
	v := media.VideoFrame{Width: f.Width(), Height: f.Height(), Format: media.PixelFormatRGBA}
	v.Planes[0], v.Strides[0] = avplane.View(f, 0, f.Height())
	return v
}
