package app

import (
	"image"
	"image/color"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"onair/internal/media"
)

// videoSurface shows pictures from a media goroutine: it is the player's
// FrameSink (and the preview source's consumer). Present copies the
// picture into the back buffer and tells the bridge; the bridge has the UI
// goroutine swap the buffers and refresh the image, at most at display
// rate. The newest picture wins: a picture not yet shown when the next
// one arrives is overwritten (counted as replaced, not as a drop of the
// stream — the player's own drop counter is unaffected).
//
// The image is a canvas.Image with FillMode contain (the aspect is kept)
// and ScaleMode fastest: the GPU scales it, no per-frame software scaling.
type videoSurface struct {
	img  *canvas.Image // UI goroutine only
	box  *fyne.Container
	hint *canvas.Text // shown while there is no picture

	mu    sync.Mutex
	back  *image.RGBA
	fresh bool
	front *image.RGBA // UI goroutine only (the image being drawn)

	ready func() // bridge.frameReady; set by addSurface

	// maxWidth, when set, makes Present keep every step-th pixel of a
	// wider YUV picture (a preview of a 1080p broadcast converts a
	// quarter of the pixels). Set before the first Present.
	maxWidth int

	presented atomic.Int64 // pictures received (media goroutine)
	shown     atomic.Int64 // pictures swapped in and refreshed (UI)
	replaced  atomic.Int64 // pictures overwritten before they were shown
	width     atomic.Int32
	height    atomic.Int32
}

func newVideoSurface(hint string) *videoSurface {
	s := &videoSurface{}
	s.img = canvas.NewImageFromImage(nil)
	s.img.FillMode = canvas.ImageFillContain
	s.img.ScaleMode = canvas.ImageScaleFastest
	bg := canvas.NewRectangle(color.Black)
	s.hint = canvas.NewText(hint, color.NRGBA{R: 0xa0, G: 0xa0, B: 0xa0, A: 0xff})
	s.hint.Alignment = fyne.TextAlignCenter
	s.box = container.NewStack(bg, s.img, container.NewCenter(s.hint))
	return s
}

// Present implements player.FrameSink: called on the player's goroutine,
// f valid only during the call.
func (s *videoSurface) Present(f *media.VideoFrame) {
	if f.Width <= 0 || f.Height <= 0 {
		return
	}
	step := 1
	if s.maxWidth > 0 && f.Format == media.PixelFormatYUV420P {
		for f.Width/step > s.maxWidth {
			step *= 2
		}
	}
	w, h := f.Width/step, f.Height/step
	s.mu.Lock()
	if s.back == nil || s.back.Rect.Dx() != w || s.back.Rect.Dy() != h {
		s.back = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	ok := true
	switch {
	case f.Format == media.PixelFormatRGBA:
		copyPlane(s.back.Pix, s.back.Stride, f.Planes[0], f.Strides[0], f.Width*4, f.Height)
	case f.Format == media.PixelFormatYUV420P && step > 1:
		yuv420ToRGBASubsampled(s.back, f, step)
	case f.Format == media.PixelFormatYUV420P:
		yuv420ToRGBA(s.back, f)
	default:
		ok = false
	}
	if ok {
		if s.fresh {
			s.replaced.Add(1)
		}
		s.fresh = true
	}
	s.mu.Unlock()
	if !ok {
		return
	}
	s.presented.Add(1)
	s.width.Store(int32(w))
	s.height.Store(int32(h))
	if s.ready != nil {
		s.ready()
	}
}

func (s *videoSurface) hasFresh() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fresh
}

// show swaps in the newest picture and redraws; UI goroutine.
func (s *videoSurface) show() {
	s.mu.Lock()
	if !s.fresh {
		s.mu.Unlock()
		return
	}
	s.front, s.back = s.back, s.front
	s.fresh = false
	s.mu.Unlock()
	s.img.Image = s.front
	s.img.Refresh()
	if s.hint.Text != "" {
		s.hint.Text = ""
		s.hint.Refresh()
	}
	s.shown.Add(1)
}

// clear removes the picture and shows hint; UI goroutine.
func (s *videoSurface) clear(hint string) {
	s.mu.Lock()
	s.fresh = false
	s.mu.Unlock()
	s.img.Image = nil
	s.front = nil
	s.img.Refresh()
	s.hint.Text = hint
	s.hint.Refresh()
}

// snapshot copies the picture on screen; UI goroutine. Nil when none.
func (s *videoSurface) snapshot() *image.RGBA {
	if s.front == nil {
		return nil
	}
	c := image.NewRGBA(s.front.Rect)
	copy(c.Pix, s.front.Pix)
	return c
}

func copyPlane(dst []byte, dstride int, src []byte, sstride, n, rows int) {
	for y := 0; y < rows; y++ {
		if y*sstride+n > len(src) || y*dstride+n > len(dst) {
			return
		}
		copy(dst[y*dstride:y*dstride+n], src[y*sstride:y*sstride+n])
	}
}

// yuv420ToRGBA converts limited-range BT.601 YUV 4:2:0 (what the test
// source makes) into dst, which has f's size.
func yuv420ToRGBA(dst *image.RGBA, f *media.VideoFrame) {
	w, h := f.Width, f.Height
	yp, up, vp := f.Planes[0], f.Planes[1], f.Planes[2]
	ys, cs := f.Strides[0], f.Strides[1]
	if len(yp) < (h-1)*ys+w || len(up) < ((h+1)/2-1)*cs+(w+1)/2 || len(vp) < ((h+1)/2-1)*f.Strides[2]+(w+1)/2 {
		return
	}
	for y := 0; y < h; y++ {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+w*4]
		yr := yp[y*ys : y*ys+w]
		ur := up[(y/2)*cs:]
		vr := vp[(y/2)*f.Strides[2]:]
		for x := 0; x < w; x++ {
			c := (int32(yr[x]) - 16) * 298
			d := int32(ur[x/2]) - 128
			e := int32(vr[x/2]) - 128
			row[4*x] = clamp8((c + 409*e + 128) >> 8)
			row[4*x+1] = clamp8((c - 100*d - 208*e + 128) >> 8)
			row[4*x+2] = clamp8((c + 516*d + 128) >> 8)
			row[4*x+3] = 0xff
		}
	}
}

// yuv420ToRGBASubsampled converts every step-th pixel of f (step even)
// into dst, which is f's size divided by step.
func yuv420ToRGBASubsampled(dst *image.RGBA, f *media.VideoFrame, step int) {
	w, h := f.Width/step, f.Height/step
	yp, up, vp := f.Planes[0], f.Planes[1], f.Planes[2]
	ys, us, vs := f.Strides[0], f.Strides[1], f.Strides[2]
	if len(yp) < (f.Height-1)*ys+f.Width || len(up) < ((f.Height+1)/2-1)*us+(f.Width+1)/2 || len(vp) < ((f.Height+1)/2-1)*vs+(f.Width+1)/2 {
		return
	}
	for y := 0; y < h; y++ {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+w*4]
		sy := y * step
		yr, ur, vr := yp[sy*ys:], up[(sy/2)*us:], vp[(sy/2)*vs:]
		for x := 0; x < w; x++ {
			sx := x * step
			c := (int32(yr[sx]) - 16) * 298
			d := int32(ur[sx/2]) - 128
			e := int32(vr[sx/2]) - 128
			row[4*x] = clamp8((c + 409*e + 128) >> 8)
			row[4*x+1] = clamp8((c - 100*d - 208*e + 128) >> 8)
			row[4*x+2] = clamp8((c + 516*d + 128) >> 8)
			row[4*x+3] = 0xff
		}
	}
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
