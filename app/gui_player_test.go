package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"onair/internal/peer"
	"onair/player"
)

// makeTestClip writes a 30 s 640x360 clip with a tone, with the ffmpeg CLI.
func makeTestClip(t *testing.T, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := peer.FFmpeg(ctx, "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "30",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", path); err != nil {
		t.Fatal(err)
	}
	return path
}

// playerPos is the position and state of what the Player tab plays.
func playerPos(g *gui) (time.Duration, bool) {
	var pos time.Duration
	var paused bool
	g.player.withPlayer(func(p *player.Player) { pos, paused = p.Stats().Position, p.Paused() })
	return pos, paused
}

// TestGUIPlayerFile drives the Player tab's controls on a file, with
// Fyne's test driver: Open File… shows a file dialog; a dropped file plays
// and joins the recent list; the seek bar shows position and duration and
// seeks; Play/Pause, Space, ←/→, Shift+→, ↑/↓ and M act.
func TestGUIPlayerFile(t *testing.T) {
	clip := makeTestClip(t, filepath.Join(t.TempDir(), "clip.mp4"))
	logs := &syncBuffer{}
	g, w, before := newTestGUI(t, logs)
	g.onUI(func() { g.tabs.Select(g.playerTab) })
	v := g.player

	// Open File… opens a file dialog over the window.
	g.onUI(func() { test.Tap(v.fileBtn) })
	if uiValue(g, func() bool { return w.Canvas().Overlays().Top() == nil }) {
		t.Fatal("Open File… showed no dialog")
	}
	g.onUI(func() { w.Canvas().Overlays().Top().Hide(); w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top()) })

	// Dropping the file on the window plays it.
	g.onUI(func() { v.dropped([]fyne.URI{storage.NewFileURI(clip)}) })
	waitFor(t, 10*time.Second, "the dropped file does not play with its duration shown", func() bool {
		return uiValue(g, func() bool { return v.tr.dur.Text == "0:30" && !v.tr.seek.Disabled() && v.tr.seekRow.Visible() })
	})
	if recent := g.prefs.StringList(prefRecent); len(recent) == 0 || recent[0] != clip {
		t.Errorf("recent list %q, want the file first", recent)
	}
	if uiValue(g, func() bool { return v.tr.liveRow.Visible() }) {
		t.Error("a file shows the Live badge")
	}
	// The seek bar follows the position.
	waitFor(t, 5*time.Second, "the seek bar does not move", func() bool {
		return uiValue(g, func() bool { return v.tr.seek.Value >= 1 && v.tr.pos.Text != "0:00" })
	})

	// Dragging the seek bar shows the target; releasing seeks there.
	g.onUI(func() {
		v.tr.seek.OnChanged(20)
	})
	if got := uiValue(g, func() string { return v.tr.pos.Text }); got != "→ 0:20" {
		t.Errorf("while dragging the position reads %q, want → 0:20", got)
	}
	g.onUI(func() { v.tr.seek.OnChangeEnded(20) })
	waitFor(t, 3*time.Second, "releasing the seek bar at 0:20 did not seek", func() bool {
		pos, _ := playerPos(g)
		return pos >= 20*time.Second && pos < 22*time.Second
	})

	// Play/Pause and Space.
	g.onUI(func() { test.Tap(v.tr.playBtn) })
	if _, paused := playerPos(g); !paused || uiValue(g, func() string { return v.tr.playBtn.Text }) != "Play" {
		t.Error("the Pause button did not pause")
	}
	p0, _ := playerPos(g)
	time.Sleep(400 * time.Millisecond)
	if p1, _ := playerPos(g); p1 != p0 {
		t.Errorf("paused, yet the position moved from %v to %v", p0, p1)
	}
	g.onUI(func() { g.typedKey(&fyne.KeyEvent{Name: fyne.KeySpace}) })
	if _, paused := playerPos(g); paused {
		t.Error("Space did not resume")
	}

	// ← goes back 5 s, Shift+→ ahead 60 s (past the end: clamped, the file ends).
	p0, _ = playerPos(g)
	g.onUI(func() { g.typedKey(&fyne.KeyEvent{Name: fyne.KeyLeft}) })
	waitFor(t, 3*time.Second, "← did not go back 5 s", func() bool {
		pos, _ := playerPos(g)
		return pos < p0-4*time.Second && pos > p0-7*time.Second
	})
	// ↑/↓ volume, M mute.
	vol := uiValue(g, func() float64 { return v.volume.Value })
	g.onUI(func() { g.typedKey(&fyne.KeyEvent{Name: fyne.KeyDown}) })
	if got := uiValue(g, func() float64 { return v.volume.Value }); got != vol-10 {
		t.Errorf("↓: volume %v, want %v", got, vol-10)
	}
	g.onUI(func() { g.typedKey(&fyne.KeyEvent{Name: fyne.KeyUp}) })
	muted := uiValue(g, func() bool { return v.mute.Checked })
	g.onUI(func() { g.typedKey(&fyne.KeyEvent{Name: fyne.KeyM}) })
	if uiValue(g, func() bool { return v.mute.Checked }) == muted {
		t.Error("M did not toggle mute")
	}
	g.onUI(func() {
		w.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyRight, Modifier: fyne.KeyModifierShift})
	})
	waitFor(t, 5*time.Second, "Shift+→ past the end did not end the file", func() bool {
		return uiValue(g, func() bool { return strings.Contains(v.status.Text, "ended") })
	})

	g.Close()
	checkGoroutines(t, before)
}
