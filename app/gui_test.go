package app

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"onair/publish/loopback"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"onair/internal/peer"
	"onair/player"
)

// newTestGUI builds the window on Fyne's test driver with its own loopback
// server on free ports. The goroutine count is taken before it.
func newTestGUI(t *testing.T, logs *syncBuffer) (*gui, fyne.Window, int) {
	t.Helper()
	a := test.NewTempApp(t)
	w := a.NewWindow("OnAir")
	before := runtime.NumGoroutine()
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	routeFFmpegLog(log, slog.LevelInfo)
	g := newGUI(a, w, guiOptions{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", RTMPSAddr: "127.0.0.1:0", CertDir: t.TempDir(),
		NullAudio: true, SnapshotDir: t.TempDir(), RecordDir: t.TempDir(), Logger: log})
	g.onUI(func() { w.Resize(fyne.NewSize(1200, 760)) })
	t.Cleanup(g.Close)
	return g, w, before
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// uiValue reads a widget's state as a UI function.
func uiValue[T any](g *gui, fn func() T) T {
	var v T
	g.onUI(func() { v = fn() })
	return v
}

// renderedTexts is every piece of text drawn for o.
func renderedTexts(o fyne.CanvasObject) []string {
	var out []string
	for _, obj := range test.LaidOutObjects(o) {
		if t, ok := obj.(*canvas.Text); ok && t.Text != "" {
			out = append(out, t.Text)
		}
	}
	return out
}

func containsText(texts []string, s string) bool {
	for _, t := range texts {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

func hubHas(g *gui, name string) bool {
	srv := g.loop.server()
	if srv == nil {
		return false
	}
	for _, s := range srv.Hub().Streams() {
		if s.Name == name && s.Publisher != "" {
			return true
		}
	}
	return false
}

// TestGUIGoLivePreviewPlay drives the window as a streamer would: Go Live
// really publishes to the loopback server, End Stream stops; the Player
// tab opens the stream and its surface gets pictures; snapshot and
// fullscreen work; closing leaves no goroutine behind.
func TestGUIGoLivePreviewPlay(t *testing.T) {
	logs := &syncBuffer{}
	g, w, before := newTestGUI(t, logs)

	// First start, no typing: loopback on, test source, destination the
	// loopback's rtmp://ADDR/live with key "preview".
	srv := g.loop.server()
	if srv == nil {
		t.Fatalf("loopback server not started: %q", uiValue(g, func() string { return g.loop.note.Text }))
	}
	if got, want := uiValue(g, func() string { return g.studio.server.Text }), "rtmp://"+srv.RTMPAddr()+"/live"; got != want {
		t.Fatalf("default server %q, want %q", got, want)
	}
	g.onUI(func() {
		g.studio.sizeSel.SetSelected(sizePresets[0].label) // SD: a light encode for the test
		g.studio.presetSel.SetSelected("ultrafast")
	})
	if masked := uiValue(g, func() bool {
		return g.studio.key.Password && !containsText(renderedTexts(g.studio.key), "preview")
	}); !masked {
		t.Fatalf("stream key entry not masked: Password %v, rendered %q", g.studio.key.Password, renderedTexts(g.studio.key))
	}

	g.onUI(func() { test.Tap(g.studio.liveBtn) })
	if got := uiValue(g, func() string { return g.studio.liveBtn.Text }); got != "End Stream" {
		t.Fatalf("after Go Live the button reads %q", got)
	}
	waitFor(t, 8*time.Second, "no publisher for \"preview\" on the loopback hub", func() bool { return hubHas(g, "preview") })
	waitFor(t, 5*time.Second, "studio state never live", func() bool {
		return uiValue(g, func() string { return g.studio.stateLbl.Text }) == "live"
	})

	// The Player tab: type the URL, Open.
	url := "rtmp://" + srv.RTMPAddr() + "/live/preview"
	g.onUI(func() {
		g.tabs.Select(g.playerTab)
		test.Type(g.player.url, url)
		test.Tap(g.player.openBtn)
	})
	start := time.Now()
	waitFor(t, 10*time.Second, "player never reached playing with 15 pictures shown", func() bool {
		var st player.State
		g.player.withPlayer(func(p *player.Player) { st = p.Stats().State })
		return st == player.StatePlaying && g.player.surface.shown.Load() >= 15
	})
	shown, presented := g.player.surface.shown.Load(), g.player.surface.presented.Load()
	t.Logf("playing after %v: %d pictures presented, %d shown by the bridge", time.Since(start).Round(time.Millisecond), presented, shown)
	if recent := g.prefs.StringList(prefRecent); len(recent) == 0 || recent[0] != url {
		t.Errorf("recent URLs %q", recent)
	}

	// A live stream: the Live badge and Jump to live, no seek bar; the
	// arrow keys say it cannot seek; Space pauses, Jump to live resumes.
	waitFor(t, 3*time.Second, "no Live badge", func() bool {
		return uiValue(g, func() bool { return g.player.tr.liveRow.Visible() && !g.player.tr.seekRow.Visible() })
	})
	g.onUI(func() { g.typedKey(&fyne.KeyEvent{Name: fyne.KeyLeft}) })
	if msg := uiValue(g, func() string { return g.player.status.Text }); !strings.Contains(msg, "live stream: it cannot seek") {
		t.Errorf("← on a live stream: status %q", msg)
	}
	g.onUI(func() { g.typedKey(&fyne.KeyEvent{Name: fyne.KeySpace}) })
	if !uiValue(g, func() bool {
		paused := false
		g.player.withPlayer(func(p *player.Player) { paused = p.Paused() })
		return paused && g.player.tr.playBtn.Text == "Play"
	}) {
		t.Error("Space did not pause the live stream")
	}
	n := g.player.surface.presented.Load()
	time.Sleep(500 * time.Millisecond)
	g.onUI(func() { test.Tap(g.player.tr.jumpBtn) })
	waitFor(t, 3*time.Second, "no pictures after Jump to live", func() bool { return g.player.surface.presented.Load() > n+10 })
	if uiValue(g, func() string { return g.player.tr.playBtn.Text }) != "Pause" {
		t.Error("Jump to live left the player paused")
	}

	// Snapshot: a PNG in the snapshot directory, and the status says where.
	g.onUI(func() { test.Tap(g.player.snapBtn) })
	waitFor(t, 5*time.Second, "no snapshot message", func() bool {
		return strings.HasPrefix(uiValue(g, func() string { return g.player.status.Text }), "Snapshot saved to ")
	})
	msg := uiValue(g, func() string { return g.player.status.Text })
	if fi, err := os.Stat(strings.TrimPrefix(msg, "Snapshot saved to ")); err != nil || fi.Size() < 1000 {
		t.Errorf("snapshot %q: %v", msg, err)
	}

	// Fullscreen: F shows the video alone, Esc goes back to the tabs.
	g.onUI(func() { g.typedKey(&fyne.KeyEvent{Name: fyne.KeyF}) })
	if !uiValue(g, func() bool { return g.fullscreen && w.FullScreen() && w.Content() == g.player.video }) {
		t.Error("F did not go fullscreen with the video alone")
	}
	g.onUI(func() { g.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	if !uiValue(g, func() bool { return !g.fullscreen && !w.FullScreen() && w.Content() == g.tabs }) {
		t.Error("Esc did not leave fullscreen")
	}

	// Stop: the player ends, the surface clears.
	g.onUI(func() { test.Tap(g.player.stopBtn) })
	waitFor(t, 5*time.Second, "Stop did not stop", func() bool {
		return uiValue(g, func() bool { return g.player.status.Text == "Stopped." && g.player.stopBtn.Disabled() })
	})
	if g.player.surface.presented.Load() < presented {
		t.Error("presented count went back")
	}

	// End Stream: the broadcast stops and unpublishes.
	g.onUI(func() {
		g.tabs.Select(g.studioTab)
		test.Tap(g.studio.liveBtn)
	})
	waitFor(t, 8*time.Second, "button never came back to Go Live", func() bool {
		return uiValue(g, func() string { return g.studio.liveBtn.Text }) == "Go Live"
	})
	if hubHas(g, "preview") {
		t.Error("still published after End Stream")
	}
	if st := uiValue(g, func() string { return g.studio.status.Text }); !strings.HasPrefix(st, "Stream ended") {
		t.Errorf("status after End Stream: %q", st)
	}

	g.Close()
	checkGoroutines(t, before)
}

// TestGUIStreamKeyMasked: the key is a password entry, drawn masked
// everywhere (Studio, Loopback tab) until its reveal toggle, and never
// logged.
func TestGUIStreamKeyMasked(t *testing.T) {
	const key = "sk-SECRET-4242"
	logs := &syncBuffer{}
	g, w, before := newTestGUI(t, logs)
	g.onUI(func() {
		g.studio.key.SetText("")
		test.Type(g.studio.key, key)
		g.studio.sizeSel.SetSelected(sizePresets[0].label)
		g.studio.presetSel.SetSelected("ultrafast")
	})
	if got := g.prefs.String(prefKey); got != key {
		t.Fatalf("key not saved: %q", got)
	}
	masked := func() bool {
		if !g.studio.key.Password || containsText(renderedTexts(g.studio.key), key) {
			return false
		}
		return !strings.Contains(test.RenderToMarkup(w.Canvas()), key)
	}
	if !uiValue(g, masked) {
		t.Fatal("key shown in the Studio tab while masked")
	}
	g.onUI(func() { test.Tap(g.studio.liveBtn) })
	waitFor(t, 8*time.Second, "no publisher for the key", func() bool { return hubHas(g, key) })
	time.Sleep(1200 * time.Millisecond) // the Loopback tab's list refreshes once a second
	g.onUI(func() { g.tabs.Select(g.loopTab) })
	time.Sleep(1200 * time.Millisecond)
	if markup := uiValue(g, func() string { return test.RenderToMarkup(w.Canvas()) }); strings.Contains(markup, key) {
		t.Error("key shown in the Loopback tab while masked")
	} else if !strings.Contains(markup, "live/••••") {
		t.Error("the Loopback tab does not show the masked stream URL")
	}

	g.onUI(func() {
		g.tabs.Select(g.studioTab)
		test.Tap(g.studio.liveBtn)
	})
	waitFor(t, 8*time.Second, "never stopped", func() bool {
		return uiValue(g, func() bool { return g.studio.phase == phaseIdle })
	})

	// Reveal (the key can be changed, and revealed, when not live): now it
	// is drawn; tapped again, masked again.
	if !uiValue(g, masked) {
		t.Fatal("key shown after the stream ended")
	}
	g.onUI(func() { test.Tap(g.studio.revealKey()) })
	if !uiValue(g, func() bool { return !g.studio.key.Password && containsText(renderedTexts(g.studio.key), key) }) {
		t.Errorf("key not shown after the reveal toggle: %q", uiValue(g, func() []string { return renderedTexts(g.studio.key) }))
	}
	g.onUI(func() { test.Tap(g.studio.revealKey()) })
	if !uiValue(g, masked) {
		t.Error("the toggle does not mask again")
	}

	g.Close()
	// The GUI logs URLs masked; only the loopback server names its streams.
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, key) && !strings.Contains(line, "stream="+key) {
			t.Errorf("key in a log line: %s", line)
		}
	}
	checkGoroutines(t, before)
}

// TestGUIErrorsInWords: a bad setting and an unreachable server end up on
// the status line, one line each; the button comes back.
func TestGUIErrorsInWords(t *testing.T) {
	g, _, _ := newTestGUI(t, &syncBuffer{})
	g.onUI(func() {
		g.studio.fps.SetText("fast")
		test.Tap(g.studio.liveBtn)
	})
	if st := uiValue(g, func() string { return g.studio.status.Text }); !strings.HasPrefix(st, "Cannot go live: frame rate \"fast\"") {
		t.Errorf("bad frame rate: status %q", st)
	}
	ln := freeTCPAddr(t)
	g.onUI(func() {
		g.studio.fps.SetText("30")
		g.studio.sizeSel.SetSelected(sizePresets[0].label)
		g.studio.server.SetText("rtmp://" + ln + "/live")
		test.Tap(g.studio.liveBtn)
	})
	waitFor(t, 15*time.Second, "refused connection not reported", func() bool {
		return strings.HasPrefix(uiValue(g, func() string { return g.studio.status.Text }), "Could not go live: ")
	})
	st := uiValue(g, func() string { return g.studio.status.Text })
	if strings.Contains(st, "\n") || !strings.Contains(st, "refused") {
		t.Errorf("status %q", st)
	}
	if got := uiValue(g, func() string { return g.studio.liveBtn.Text }); got != "Go Live" {
		t.Errorf("button %q after a failure", got)
	}

	g.onUI(func() { g.player.open("rtmp://" + ln + "/live/nothing") })
	waitFor(t, 15*time.Second, "player error not reported", func() bool {
		return strings.HasPrefix(uiValue(g, func() string { return g.player.status.Text }), "Cannot play: ")
	})
}

// TestGUIPreviewShowsSource: the Studio's preview shows the test source
// while its tab is visible, and stops when it is not.
func TestGUIPreviewShowsSource(t *testing.T) {
	g, _, _ := newTestGUI(t, &syncBuffer{})
	waitFor(t, 5*time.Second, "preview shows nothing", func() bool { return g.studio.preview.shown.Load() >= 5 })
	g.onUI(func() { g.tabs.Select(g.playerTab) })
	if uiValue(g, func() bool { return g.studio.previewSrc != nil }) {
		t.Error("preview still running on the Player tab")
	}
	// The bridge swaps the picture under the UI lock: read it there too.
	hasImage, fill := false, canvas.ImageFill(0)
	g.onUI(func() { hasImage, fill = g.studio.preview.img.Image != nil, g.studio.preview.img.FillMode })
	if !hasImage || fill != canvas.ImageFillContain {
		t.Errorf("preview image present %v, fill %v", hasImage, fill)
	}
}

func freeTCPAddr(t *testing.T) string {
	t.Helper()
	srv, _, err := startLoopback(loopbackStart{RTMP: "127.0.0.1:0", HTTP: "127.0.0.1:0"}, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a := srv.HTTPAddr() // free once closed
	srv.Close()
	return a
}

func TestStartLoopbackFallback(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	cert, _, err := loopback.SelfSignedCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	busy, _, err := startLoopback(loopbackStart{RTMP: "127.0.0.1:0", HTTP: "127.0.0.1:0", RTMPS: "127.0.0.1:0", Cert: cert}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, _, err := startLoopback(loopbackStart{RTMP: busy.RTMPAddr(), HTTP: "127.0.0.1:0", FallbackHTTP: true}, quiet); err == nil {
		t.Fatal("a busy address without fallback: no error")
	}
	// RTMP may move; RTMPS always may.
	srv, notes, err := startLoopback(loopbackStart{RTMP: busy.RTMPAddr(), HTTP: "127.0.0.1:0", FallbackRTMP: true,
		RTMPS: busy.RTMPSAddr(), Cert: cert}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.RTMPAddr() == busy.RTMPAddr() || srv.RTMPSAddr() == busy.RTMPSAddr() || srv.RTMPSAddr() == "" || len(notes) != 2 ||
		!strings.Contains(notes[0], fmt.Sprintf("Port %s was busy", portOf(busy.RTMPAddr()))) ||
		!strings.Contains(notes[0], srv.RTMPAddr()) || !strings.Contains(notes[1], "RTMPS server listens on "+srv.RTMPSAddr()) {
		t.Errorf("fallback: %s %s, notes %q", srv.RTMPAddr(), srv.RTMPSAddr(), notes)
	}
}

func TestSnapshotDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_PICTURES_DIR", "")
	g := &gui{}
	if d := g.snapshotDir(); d != home {
		t.Errorf("no Pictures: %q, want %q", d, home)
	}
	os.Mkdir(filepath.Join(home, "Pictures"), 0o755)
	if d := g.snapshotDir(); d != filepath.Join(home, "Pictures") {
		t.Errorf("with Pictures: %q", d)
	}
}

// TestGUICloseStopsEverything: the window's close button (its close
// intercept) stops the broadcast, the player and the loopback server and
// leaves no goroutine behind.
func TestGUICloseStopsEverything(t *testing.T) {
	g, _, before := newTestGUI(t, &syncBuffer{})
	srv := g.loop.server()
	g.onUI(func() {
		g.studio.sizeSel.SetSelected(sizePresets[0].label)
		g.studio.presetSel.SetSelected("ultrafast")
		g.studio.goLive(func(bool) { g.player.open("rtmp://" + srv.RTMPAddr() + "/live/preview") })
	})
	waitFor(t, 10*time.Second, "not playing", func() bool { return g.player.surface.presented.Load() > 5 })
	g.onUI(g.requestClose)
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("closing took more than 10 s")
	}
	if g.studio.live() || g.loop.server() != nil {
		t.Errorf("after close: live %v, loopback %v", g.studio.live(), g.loop.server())
	}
	g.player.withPlayer(func(*player.Player) { t.Error("player still open") })
	g.Close()
	checkGoroutines(t, before)
}

// TestGUISources: the Studio's pickers list the sources (the test source
// and tone first, a media file last, devices found in between); a media
// file that does not exist gives a clear message and the window goes on;
// a real clip made by the ffmpeg CLI goes live, its pictures reach the
// preview and its audio moves the VU meter.
func TestGUISources(t *testing.T) {
	if _, err := peer.Require("ffmpeg", "ffmpeg"); err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if _, err := peer.FFmpeg(context.Background(), "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=f=440:sample_rate=48000", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast",
		"-c:a", "aac", "-y", clip); err != nil {
		t.Fatal(err)
	}
	g, _, before := newTestGUI(t, &syncBuffer{})
	waitFor(t, 10*time.Second, "device list never refreshed", func() bool {
		return uiValue(g, func() bool { return !g.studio.refreshBtn.Disabled() })
	})
	opts := uiValue(g, func() []string { return g.studio.videoSel.Options })
	if opts[0] != "Test source" || opts[len(opts)-1] != fileVideoLabel {
		t.Errorf("video sources %q", opts)
	}
	if a := uiValue(g, func() []string { return g.studio.audioSel.Options }); a[0] != "Test tone" || a[len(a)-1] != fileAudioLabel {
		t.Errorf("audio sources %q", a)
	}

	// A file that is not there: the status says so, the form comes back.
	g.onUI(func() {
		g.studio.sizeSel.SetSelected(sizePresets[0].label)
		g.studio.presetSel.SetSelected("ultrafast")
		g.studio.videoSel.SetSelected(fileVideoLabel)
		g.studio.audioSel.SetSelected(fileAudioLabel)
		test.Type(g.studio.filePath, "/nonexistent/clip.mp4")
		test.Tap(g.studio.liveBtn)
	})
	if uiValue(g, func() bool { return !g.studio.cursorChk.Disabled() }) {
		t.Error("the mouse-pointer check is enabled for a media file (it applies to screens)")
	}
	waitFor(t, 10*time.Second, "no error for a missing file", func() bool {
		return strings.HasPrefix(uiValue(g, func() string { return g.studio.status.Text }), "Could not go live")
	})
	if msg := uiValue(g, func() string { return g.studio.status.Text }); !strings.Contains(msg, "/nonexistent/clip.mp4") {
		t.Errorf("status %q does not name the file", msg)
	}
	if got := uiValue(g, func() string { return g.studio.liveBtn.Text }); got != "Go Live" {
		t.Errorf("after the failure the button reads %q", got)
	}

	// The real clip: live, pictures in the preview, audio on the meter.
	g.onUI(func() {
		g.studio.filePath.SetText(clip)
		test.Tap(g.studio.liveBtn)
	})
	waitFor(t, 10*time.Second, "file source never live", func() bool {
		return uiValue(g, func() string { return g.studio.stateLbl.Text }) == "live"
	})
	p0 := g.studio.preview.presented.Load()
	waitFor(t, 5*time.Second, "no VU level", func() bool {
		return uiValue(g, func() float64 { return g.studio.vu.Value }) > 0.5 // a 440 Hz tone at -20 dBFS or so
	})
	waitFor(t, 5*time.Second, "no pictures in the preview while live", func() bool {
		return g.studio.preview.presented.Load()-p0 >= 5
	})
	if w := g.studio.preview.width.Load(); w != 640 {
		t.Errorf("preview %d wide, want the output's 640", w)
	}
	g.onUI(func() { test.Tap(g.studio.liveBtn) })
	waitFor(t, 10*time.Second, "stream never ended", func() bool {
		return uiValue(g, func() string { return g.studio.liveBtn.Text }) == "Go Live"
	})
	g.Close()
	checkGoroutines(t, before)
}
