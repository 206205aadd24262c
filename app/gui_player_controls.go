package app

import (
	"errors"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onair/player"
)

// transport is the Player tab's play controls: Play/Pause, and a seek bar
// with position and duration for files and recordings, or a Live badge
// and Jump to live for live streams. UI goroutine, except where noted.
type transport struct {
	v *playerView

	playBtn  *widget.Button
	seek     *widget.Slider
	pos, dur *widget.Label
	jumpBtn  *widget.Button
	seekRow  *fyne.Container
	liveRow  *fyne.Container
	content  *fyne.Container

	setting  bool // the bridge is moving the seek bar: not the viewer
	dragging bool // the viewer drags it: the bridge leaves it alone
	paused   bool
}

// seekStep and seekStepLong are what ←/→ and Shift+←/→ move.
const (
	seekStep     = 5 * time.Second
	seekStepLong = 60 * time.Second
)

func newTransport(v *playerView) *transport {
	tr := &transport{v: v}
	tr.playBtn = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), tr.togglePause)
	tr.pos = widget.NewLabel("0:00")
	tr.dur = widget.NewLabel("0:00")
	tr.seek = widget.NewSlider(0, 1)
	tr.seek.Step = 0.1
	tr.seek.OnChanged = func(x float64) {
		if tr.setting {
			return
		}
		tr.dragging = true
		tr.pos.SetText("→ " + clockText(secs(x)))
	}
	tr.seek.OnChangeEnded = func(x float64) {
		if tr.setting {
			return
		}
		tr.dragging = false
		tr.seekTo(secs(x))
	}
	tr.jumpBtn = widget.NewButtonWithIcon("Jump to live", theme.MediaFastForwardIcon(), tr.jumpToLive)
	badgeText := canvas.NewText(" LIVE ", color.White)
	badgeText.TextStyle.Bold = true
	badge := container.NewStack(canvas.NewRectangle(color.NRGBA{R: 0xd0, G: 0x20, B: 0x20, A: 0xff}), badgeText)
	tr.seekRow = container.NewBorder(nil, nil, tr.pos, tr.dur, tr.seek)
	tr.liveRow = container.NewHBox(container.NewCenter(badge), tr.jumpBtn, layout.NewSpacer())
	tr.liveRow.Hide()
	tr.content = container.NewBorder(nil, nil, tr.playBtn, nil, container.NewStack(tr.seekRow, tr.liveRow))
	tr.reset()
	return tr
}

func secs(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }

// clockText writes d as m:ss, or h:mm:ss from an hour.
func clockText(d time.Duration) string {
	s := int64(max(d, 0) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// reset is the controls with nothing playing.
func (tr *transport) reset() {
	tr.paused, tr.dragging = false, false
	tr.playBtn.SetText("Pause")
	tr.playBtn.SetIcon(theme.MediaPauseIcon())
	tr.playBtn.Disable()
	tr.setSeek(0, 1)
	tr.seek.Disable()
	tr.pos.SetText("0:00")
	tr.dur.SetText("0:00")
	tr.liveRow.Hide()
	tr.seekRow.Show()
}

func (tr *transport) setSeek(value, max float64) {
	tr.setting = true
	tr.seek.Max = max
	tr.seek.SetValue(value)
	tr.seek.Refresh()
	tr.setting = false
}

// togglePause pauses or resumes what plays (Space).
func (tr *transport) togglePause() {
	ok := false
	tr.v.withPlayer(func(p *player.Player) {
		ok = true
		tr.paused = !tr.paused
		p.SetPaused(tr.paused)
	})
	if !ok {
		return
	}
	if tr.paused {
		tr.playBtn.SetText("Play")
		tr.playBtn.SetIcon(theme.MediaPlayIcon())
	} else {
		tr.playBtn.SetText("Pause")
		tr.playBtn.SetIcon(theme.MediaPauseIcon())
	}
}

// seekTo moves playback to d (the seek bar, the arrow keys).
func (tr *transport) seekTo(d time.Duration) {
	tr.v.withPlayer(func(p *player.Player) {
		if err := p.Seek(d); err != nil {
			if errors.Is(err, player.ErrNotSeekable) && p.Live() {
				tr.v.say("This is a live stream: it cannot seek. Jump to live brings you to now.")
			} else {
				tr.v.say("Cannot seek: " + oneLine(err))
			}
			return
		}
		tr.pos.SetText(clockText(d))
	})
}

// seekBy moves playback by d from where it is.
func (tr *transport) seekBy(d time.Duration) {
	tr.v.withPlayer(func(p *player.Player) {
		st := p.Stats()
		to := st.Position + d
		if st.Duration > 0 {
			to = min(to, st.Duration)
		}
		tr.seekTo(max(to, 0))
	})
}

func (tr *transport) jumpToLive() {
	tr.v.withPlayer(func(p *player.Player) {
		if tr.paused {
			tr.togglePause() // resuming a live stream goes to the live edge
			return
		}
		if err := p.JumpToLive(); err != nil {
			tr.v.say("Cannot jump to live: " + oneLine(err))
		}
	})
}

// transportState is what the bridge reads for the controls.
type transportState struct {
	live, seekable bool
	pos, dur       time.Duration
}

// show applies the bridge's reading.
func (tr *transport) show(s transportState) {
	tr.playBtn.Enable()
	if s.live {
		tr.seekRow.Hide()
		tr.liveRow.Show()
		return
	}
	tr.liveRow.Hide()
	tr.seekRow.Show()
	if s.seekable {
		tr.seek.Enable()
	} else {
		tr.seek.Disable()
	}
	if tr.dragging {
		return
	}
	tr.dur.SetText(clockText(s.dur))
	tr.pos.SetText(clockText(s.pos))
	if s.dur > 0 {
		tr.setSeek(min(s.pos, s.dur).Seconds(), s.dur.Seconds())
	}
}

// key handles the Player's keys: Space pause, ←/→ ∓5 s, ↑/↓ volume, M
// mute, S snapshot. It reports whether the key was one of them.
func (v *playerView) key(name fyne.KeyName) bool {
	switch name {
	case fyne.KeySpace:
		v.tr.togglePause()
	case fyne.KeyLeft:
		v.tr.seekBy(-seekStep)
	case fyne.KeyRight:
		v.tr.seekBy(seekStep)
	case fyne.KeyUp:
		v.volume.SetValue(min(v.volume.Max, v.volume.Value+10))
	case fyne.KeyDown:
		v.volume.SetValue(max(v.volume.Min, v.volume.Value-10))
	case fyne.KeyM:
		v.mute.SetChecked(!v.mute.Checked)
	case fyne.KeyS:
		v.snapshot()
	default:
		return false
	}
	return true
}

// addShortcuts registers Shift+←/→ (∓60 s) on the window's canvas.
func (v *playerView) addShortcuts(c fyne.Canvas, active func() bool) {
	for _, k := range []struct {
		name fyne.KeyName
		by   time.Duration
	}{{fyne.KeyLeft, -seekStepLong}, {fyne.KeyRight, seekStepLong}} {
		by := k.by
		c.AddShortcut(&desktop.CustomShortcut{KeyName: k.name, Modifier: fyne.KeyModifierShift}, func(fyne.Shortcut) {
			if active() {
				v.tr.seekBy(by)
			}
		})
	}
}

// mediaExtensions are the files Open File… lists.
func mediaExtensions() []string {
	return []string{".mp4", ".mkv", ".mov", ".flv", ".ts", ".m2ts", ".webm", ".avi", ".m4a", ".mp3", ".aac", ".opus", ".ogg", ".wav"}
}

// openFileDialog asks for a media file and plays it.
func (v *playerView) openFileDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			v.say("Cannot open the file: " + oneLine(err))
			return
		}
		if r == nil {
			return // cancelled
		}
		path := r.URI().Path()
		_ = r.Close()
		v.open(path)
	}, v.g.win)
	d.SetFilter(storage.NewExtensionFileFilter(mediaExtensions()))
	d.Show()
}

// dropped plays the first file dropped on the window.
func (v *playerView) dropped(uris []fyne.URI) {
	for _, u := range uris {
		if u.Scheme() == "file" {
			v.g.showPlayer()
			v.open(u.Path())
			return
		}
	}
	if len(uris) > 0 {
		v.say("Only files can be dropped here: " + strings.TrimSpace(uris[0].String()))
	}
}
