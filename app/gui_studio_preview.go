package app

import (
	"math"
	"time"

	"onair/app/engine"
	"onair/capture"
	"onair/internal/media"
)

// The Studio's preview: while the tab shows, the test source drawn at a
// small size while idle, or the broadcast's own pictures once live.

// previewSize is the preview picture for an output size (ParseSize's
// forms): at most 640 wide, the same aspect; 640x360 for a size that does
// not read.
func previewSize(size string) (int, int) {
	w, h, err := engine.ParseSize(size)
	if err != nil {
		return 640, 360
	}
	if w > 640 {
		h = h * 640 / w
		w = 640
	}
	return w &^ 1, max(h&^1, capture.MinTestVideoSize)
}

// startPreview runs the preview source; UI goroutine.
func (s *studioView) startPreview() {
	s.previewOn.Store(true)
	if s.previewSrc != nil || s.phase != phaseIdle || s.videoSpec() != "testsrc" {
		return // the broadcast's pictures, or none until live
	}
	w, h := previewSize(sizeOf(s.sizeSel.Selected, s.custom.Text))
	src, err := capture.NewTestVideo(capture.TestVideoConfig{Width: w, Height: h, FPS: 30, Logger: s.g.log})
	if err != nil {
		s.setStatus("Preview: " + oneLine(err))
		return
	}
	if err := src.Start(func(f *media.VideoFrame) {
		if s.pace.allow(time.Now()) {
			s.preview.Present(f)
		}
		f.Release()
	}); err != nil {
		s.setStatus("Preview: " + oneLine(err))
		return
	}
	s.previewSrc = src
}

// stopPreview stops the preview source and waits for it; UI goroutine.
func (s *studioView) stopPreview() {
	s.previewOn.Store(false)
	if s.previewSrc != nil {
		s.previewSrc.Close()
		s.previewSrc = nil
	}
}

// restartPreview follows a new output size (a new aspect); UI goroutine.
func (s *studioView) restartPreview() {
	if s.previewSrc == nil {
		return
	}
	if w, h := previewSize(sizeOf(s.sizeSel.Selected, s.custom.Text)); w == s.previewSrc.Config().Width && h == s.previewSrc.Config().Height {
		return
	}
	s.stopPreview()
	s.startPreview()
}

// previewTap is the broadcast's Config.Preview: its pictures show while
// the tab does. The source's goroutine.
func (s *studioView) previewTap(f *media.VideoFrame) {
	if s.previewOn.Load() && s.pace.allow(time.Now()) {
		s.preview.Present(f)
	}
}

// governPreview sets the preview's rate from the rendering's cost over
// the last previewEvery (gui_pace.go), live or not; bridge goroutine,
// once a second.
func (s *studioView) governPreview(live bool) {
	now := time.Now()
	if !s.govAt.IsZero() && now.Sub(s.govAt) < previewEvery {
		return
	}
	cpu, ok := s.render.cpu()
	if !ok { // no /proc: no measure, no pacing
		s.pace.setFPS(previewMaxFPS)
		return
	}
	reps := s.g.br.frameBatches.Load()
	if !s.govAt.IsZero() {
		budget := previewBudgetIdle
		if live {
			budget = previewBudgetLive
		}
		old := s.pace.fps()
		fps := s.gov.update(cpu-s.lastCPU, now.Sub(s.govAt), reps-s.lastRep, budget)
		if math.Abs(old-fps) >= 0.1 {
			s.pace.setFPS(fps)
		}
		s.g.log.Debug("preview rate", "fps", round1(fps), "repaint_ms", round1(float64(s.gov.cost)/float64(time.Millisecond)),
			"render_pct", round1(float64(cpu-s.lastCPU)/float64(now.Sub(s.govAt))*100))
	}
	s.govAt, s.lastCPU, s.lastRep = now, cpu, reps
}
