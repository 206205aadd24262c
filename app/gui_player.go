package app

import (
	"context"
	"fmt"
	"image/color"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onair/internal/media"
	"onair/internal/urlmask"
	"onair/player"
)

// playerView is the Player tab: URL with recent URLs, Open/Stop, the video
// surface, volume and mute, the statistics overlay, fullscreen and
// snapshot.
type playerView struct {
	g *gui

	surface    *videoSurface
	tr         *transport
	url        *widget.SelectEntry
	fileBtn    *widget.Button
	openBtn    *widget.Button
	stopBtn    *widget.Button
	fullBtn    *widget.Button
	snapBtn    *widget.Button
	volume     *widget.Slider
	mute       *widget.Check
	insecure   *widget.Check // accept any rtmps certificate
	overlayChk *widget.Check
	overlay    *fyne.Container
	lines      []*canvas.Text
	status     *widget.Label
	video      *fyne.Container // the surface with its overlay (moves in fullscreen)
	videoArea  *fyne.Container // where video sits in the tab
	content    fyne.CanvasObject

	// UI goroutine only.
	stop        context.CancelFunc
	done        chan struct{} // closed when the current session has ended
	hidden      string        // the URL opened by Preview my stream
	hiddenShown string        // and its masked form, shown in the entry
	holdStatus  time.Time     // a message stays until then (the poll waits)

	// The playing player: set by the session goroutine, read by the poll
	// and the volume controls.
	mu    sync.RWMutex
	p     *player.Player
	shown string // masked URL

	wg sync.WaitGroup // session and snapshot goroutines

	// Bridge goroutine only.
	prev      player.Stats
	prevAt    time.Time
	prevShown int64
	fps, kbps float64
	showFPS   float64
	loggedAt  time.Time
}

func newPlayerView(g *gui) *playerView {
	v := &playerView{g: g}
	p := g.prefs
	v.surface = newVideoSurface("Open a stream: type its URL above, or use Preview my stream in the Loopback tab")
	g.br.addSurface(v.surface)

	v.url = widget.NewSelectEntry(p.StringList(prefRecent))
	v.url.SetPlaceHolder("rtmp://…, http://….m3u8, http://….flv, rtsp://…, srt://… or a file")
	v.url.OnSubmitted = func(string) { v.open(v.url.Text) }
	v.openBtn = widget.NewButtonWithIcon("Open", theme.MediaPlayIcon(), func() { v.open(v.url.Text) })
	v.fileBtn = widget.NewButtonWithIcon("Open File…", theme.FolderOpenIcon(), v.openFileDialog)
	v.openBtn.Importance = widget.HighImportance
	v.stopBtn = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), v.stopPlaying)
	v.stopBtn.Disable()

	v.volume = widget.NewSlider(0, 200)
	v.volume.Step = 5
	v.volume.SetValue(p.FloatWithFallback(prefVolume, 1) * 100)
	v.volume.OnChanged = func(x float64) {
		g.setFloat(prefVolume, x/100)
		v.withPlayer(func(pl *player.Player) { pl.SetVolume(x / 100) })
	}
	v.mute = widget.NewCheck("Mute", func(m bool) {
		g.setBool(prefMuted, m)
		v.withPlayer(func(pl *player.Player) { pl.SetMuted(m) })
	})
	v.mute.SetChecked(p.Bool(prefMuted))
	v.insecure = widget.NewCheck("Trust a self-signed certificate", func(on bool) { g.setBool(prefPlayerInsecure, on) })
	v.insecure.SetChecked(p.Bool(prefPlayerInsecure))
	// Shown only for a TLS URL, where it means something.
	v.url.OnChanged = func(u string) { v.showInsecure(u) }
	v.showInsecure(v.url.Text)

	for i := 0; i < 4; i++ {
		t := canvas.NewText("", color.White)
		t.TextStyle.Monospace = true
		t.TextSize = theme.TextSize() * 0.9
		v.lines = append(v.lines, t)
	}
	objs := make([]fyne.CanvasObject, len(v.lines))
	for i, t := range v.lines {
		objs[i] = t
	}
	v.overlay = container.NewStack(canvas.NewRectangle(color.NRGBA{A: 0xb0}),
		container.NewPadded(container.NewVBox(objs...)))
	v.overlayChk = widget.NewCheck("Statistics", func(on bool) {
		g.setBool(prefOverlay, on)
		v.showOverlay()
	})
	v.overlayChk.SetChecked(p.BoolWithFallback(prefOverlay, true))
	v.overlay.Hidden = true

	v.fullBtn = widget.NewButtonWithIcon("Fullscreen (F)", theme.ViewFullScreenIcon(), func() { g.toggleFullScreen() })
	v.snapBtn = widget.NewButtonWithIcon("Snapshot", theme.MediaPhotoIcon(), v.snapshot)
	v.status = newStatusLabel("No stream open.")

	corner := container.NewVBox(container.NewHBox(v.overlay, layout.NewSpacer()), layout.NewSpacer())
	v.video = container.NewStack(v.surface.box, container.NewPadded(corner))
	v.videoArea = container.NewStack(v.video)

	top := container.NewBorder(nil, nil, nil, container.NewHBox(v.fileBtn, v.openBtn, v.stopBtn), v.url)
	controls := container.NewHBox(widget.NewIcon(theme.VolumeUpIcon()),
		container.NewGridWrap(fyne.NewSize(180, v.volume.MinSize().Height), v.volume),
		v.mute, v.overlayChk, v.insecure, layout.NewSpacer(), v.fullBtn, v.snapBtn)
	v.tr = newTransport(v)
	v.content = container.NewBorder(container.NewPadded(top),
		container.NewPadded(container.NewVBox(v.tr.content, controls, v.status)), nil, nil, v.videoArea)
	g.br.watch(v.read)
	return v
}

// showInsecure shows the self-signed toggle when u is an rtmps or
// rtmpts URL; UI goroutine.
func (v *playerView) showInsecure(u string) {
	u = strings.ToLower(strings.TrimSpace(u))
	if strings.HasPrefix(u, "rtmps://") || strings.HasPrefix(u, "rtmpts://") {
		v.insecure.Show()
	} else {
		v.insecure.Hide()
	}
}

func (v *playerView) withPlayer(fn func(*player.Player)) {
	v.mu.RLock()
	pl := v.p
	v.mu.RUnlock()
	if pl != nil {
		fn(pl)
	}
}

// open plays u (what the URL entry holds), stopping what played before;
// UI goroutine. The recent URLs remember it.
func (v *playerView) open(u string) {
	u = strings.TrimSpace(u)
	if u == "" {
		v.status.SetText("Type a stream URL first, or pick a recent one from the list.")
		return
	}
	if u == v.hiddenShown && v.hidden != "" {
		v.play(v.hidden) // the masked form of the stream opened by Preview my stream
		return
	}
	recent := addRecent(v.g.prefs.StringList(prefRecent), u)
	v.g.setStrings(prefRecent, recent)
	v.url.SetOptions(recent)
	if v.url.Text != u {
		v.url.SetText(u)
	}
	v.play(u)
}

// openHidden plays u, whose last path element is this Studio's stream key:
// the entry shows it masked, and it is not added to the recent URLs; UI
// goroutine.
func (v *playerView) openHidden(u string) {
	v.hidden, v.hiddenShown = u, urlmask.Mask(u)
	v.url.SetText(v.hiddenShown)
	v.play(u)
}

// play starts a session for u; UI goroutine.
func (v *playerView) play(u string) {
	prevDone := v.done
	if v.stop != nil {
		v.stop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	v.stop, v.done = cancel, done
	shown := urlmask.Mask(u)
	v.surface.clear("opening " + shown + " …")
	v.status.SetText("Opening " + shown + " …")
	v.stopBtn.Enable()
	v.tr.reset()
	cfg := player.Config{
		URL: u, Latency: player.LatencyLow, Sink: v.surface, SinkFormat: media.PixelFormatRGBA,
		NullAudio: v.g.opts.NullAudio, Volume: v.volume.Value / 100, Logger: v.g.log,
		// The loopback's own RTMPS certificate is the one this program
		// made: no need to have it checked.
		Insecure: v.insecure.Checked || v.g.loop.isOwnRTMPS(u),
	}
	if cfg.Volume == 0 {
		cfg.Volume = 1e-6 // 0 means "default" to the player: keep it silent
	}
	muted := v.mute.Checked
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		defer close(done)
		msg := "Stopped."
		defer func() {
			// Unless a newer session took over, the view shows why this one ended.
			v.g.br.post(func() {
				if v.done == done {
					v.idle(msg)
				}
			})
		}()
		if prevDone != nil {
			<-prevDone
		}
		if ctx.Err() != nil {
			return
		}
		pl, err := player.Open(ctx, cfg)
		if err != nil {
			if ctx.Err() == nil {
				msg = "Cannot play: " + oneLine(err)
			}
			return
		}
		pl.SetMuted(muted)
		v.mu.Lock()
		v.p, v.shown = pl, shown
		v.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-pl.Done():
		}
		v.mu.Lock()
		v.p = nil
		v.mu.Unlock()
		pl.Close()
		st := pl.Stats()
		switch {
		case ctx.Err() != nil:
		case st.Err != nil:
			msg = "Playback stopped: " + oneLine(st.Err)
		default:
			msg = "The stream ended."
		}
	}()
}

// say shows msg on the status line for a few seconds at least; UI
// goroutine.
func (v *playerView) say(msg string) {
	v.status.SetText(msg)
	v.holdStatus = time.Now().Add(5 * time.Second)
}

// showOverlay shows the statistics while a stream plays and the toggle
// is on; UI goroutine.
func (v *playerView) showOverlay() {
	hidden := !v.overlayChk.Checked || v.stop == nil
	if v.overlay.Hidden != hidden {
		v.overlay.Hidden = hidden
		v.overlay.Refresh()
	}
}

// idle shows msg after a session ended; UI goroutine.
func (v *playerView) idle(msg string) {
	if v.stop != nil {
		v.stop()
		v.stop = nil
	}
	v.stopBtn.Disable()
	v.tr.reset()
	v.status.SetText(msg)
	v.surface.clear("no stream")
	for _, t := range v.lines {
		t.Text = ""
	}
	v.showOverlay()
}

// stopPlaying ends the session; UI goroutine.
func (v *playerView) stopPlaying() {
	if v.stop != nil {
		v.stop()
		v.status.SetText("Stopping …")
	}
}

// snapshot writes the picture on screen to a PNG file; UI goroutine.
func (v *playerView) snapshot() {
	img := v.surface.snapshot()
	if img == nil {
		v.say("Nothing to snapshot yet: open a stream first.")
		return
	}
	dir := v.g.snapshotDir()
	path := filepath.Join(dir, "onair-"+time.Now().Format("20060102-150405.000")+".png")
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		err := player.WriteImagePNG(path, img)
		v.g.br.post(func() {
			if err != nil {
				v.say("Snapshot failed: " + oneLine(err))
			} else {
				v.say("Snapshot saved to " + path)
			}
		})
	}()
}

// snapshotDir is where snapshots go: XDG_PICTURES_DIR, ~/Pictures, or the
// home directory.
func (g *gui) snapshotDir() string {
	return userDir(g.opts.SnapshotDir, "XDG_PICTURES_DIR", "Pictures")
}

// read is the bridge's poll of the player; bridge goroutine.
func (v *playerView) read() func() {
	v.mu.RLock()
	pl, shown := v.p, v.shown
	v.mu.RUnlock()
	if pl == nil {
		v.prevAt = time.Time{}
		return nil
	}
	st := pl.Stats()
	now := time.Now()
	nShown := v.surface.shown.Load()
	if v.prevAt.IsZero() {
		v.prev, v.prevAt, v.prevShown = st, now, nShown
	} else if dt := now.Sub(v.prevAt).Seconds(); dt >= 1 {
		v.fps = float64(st.Frames-v.prev.Frames) / dt
		v.kbps = float64(st.Bytes-v.prev.Bytes) * 8 / 1000 / dt
		v.showFPS = float64(nShown-v.prevShown) / dt
		v.prev, v.prevAt, v.prevShown = st, now, nShown
		if now.Sub(v.loggedAt) >= 10*time.Second {
			v.loggedAt = now
			v.g.log.Debug("player", "state", st.State.String(), "presented", st.Frames, "shown", nShown,
				"replaced", v.surface.replaced.Load(), "dropped", st.Dropped, "fps", round1(v.fps), "shown_fps", round1(v.showFPS))
		}
	}
	lines := overlayLines(st, v.fps, v.kbps, v.showFPS)
	ts := transportState{live: pl.Live(), seekable: pl.Seekable(), pos: st.Position, dur: st.Duration}
	status := fmt.Sprintf("%s %s", st.State, shown)
	if st.State == player.StatePlaying && st.FirstFrame > 0 {
		status += fmt.Sprintf(" — first picture after %d ms", st.FirstFrame.Milliseconds())
	}
	return func() {
		for i, t := range v.lines {
			if i < len(lines) && t.Text != lines[i] {
				t.Text = lines[i]
				t.Refresh()
			}
		}
		if v.stop != nil && time.Now().After(v.holdStatus) {
			v.status.SetText(status)
		}
		if v.stop != nil {
			v.tr.show(ts)
		}
		v.showOverlay()
	}
}

// overlayLines are the statistics overlay: size, fps, bitrate, buffer,
// latency, A/V offset, dropped.
func overlayLines(st player.Stats, fps, kbps, showFPS float64) []string {
	size := "—"
	if st.Width > 0 {
		size = fmt.Sprintf("%d×%d", st.Width, st.Height)
	}
	lat, av := "—", "—"
	if st.Signal.Seen && st.Signal.WindowLatencyLen > 0 {
		lat = fmt.Sprintf("%.0f ms", st.Signal.P50)
	}
	if st.Signal.Seen && st.Signal.AVPairs > 0 {
		av = fmt.Sprintf("%+.0f ms", st.Signal.AVOffset)
	}
	return []string{
		fmt.Sprintf("%s  %.1f fps  %.0f kb/s", size, fps, kbps),
		fmt.Sprintf("buffer %d ms  latency %s  A/V %s", st.Buffer.Milliseconds(), lat, av),
		fmt.Sprintf("dropped %d  shown %.1f/s", st.Dropped, showFPS),
		strings.TrimSpace(st.Video + "  " + st.Audio),
	}
}

// close waits for every goroutine of the view (gui.stopAll stops
// playback).
func (v *playerView) close() { v.wg.Wait() }
