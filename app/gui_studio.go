package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onair/capture"
	"onair/encode"
	"onair/internal/media"
	"onair/publish"
)

// studioView is the Studio tab: preview, source and output settings,
// destination, Go Live / End Stream, status and the live graph.
type studioView struct {
	g *gui

	preview    *videoSurface
	previewSrc *capture.TestVideo // UI goroutine: running while the tab shows

	videoSel, audioSel, sizeSel, presetSel *widget.Select
	filePath, title                        *widget.Entry
	clockChk, cursorChk                    *widget.Check
	refreshBtn                             *widget.Button
	vu                                     *widget.ProgressBar
	vuLbl                                  *widget.Label
	videoChoices, audioChoices             []sourceChoice // UI goroutine
	previewOn                              atomic.Bool    // the tab shows: the broadcast's tap feeds the preview
	custom, fps, vbitrate, abitrate        *widget.Entry
	keyint, server, key                    *widget.Entry
	insecure                               *widget.Check
	liveBtn                                *widget.Button
	stateLbl, uptimeLbl, reconnLbl         *widget.Label
	ratesLbl, dropLbl, cpuLbl              *widget.Label
	status                                 *widget.Label
	graph                                  *graph
	content                                fyne.CanvasObject

	// UI goroutine only.
	phase       studioPhase
	stop        context.CancelFunc
	loopbackURL string // the server entry's default while it follows the loopback

	// The running broadcast: set by the session goroutine, read by the
	// bridge's poll.
	mu    sync.RWMutex
	b     *Broadcast
	since time.Time
	dest  string // masked

	wg sync.WaitGroup // the session goroutine

	// Bridge goroutine only.
	prev     liveSample
	prevOK   bool
	lastRate time.Time
	cpu      cpuMeter
	cpuPct   float64
	cpuOK    bool
}

type studioPhase int

const (
	phaseIdle studioPhase = iota
	phaseConnecting
	phaseLive
	phaseEnding
)

func newStudioView(g *gui) *studioView {
	s := &studioView{g: g}
	p := g.prefs
	s.preview = newVideoSurface("preview")
	s.preview.maxWidth = 640 // a 1080p broadcast converts a quarter of its pixels
	g.br.addSurface(s.preview)

	save := func(key string) func(string) {
		return func(v string) { g.setString(key, v) }
	}
	s.videoChoices, s.audioChoices = sourceChoices(nil)
	s.videoSel = widget.NewSelect(choiceLabels(s.videoChoices), nil)
	s.audioSel = widget.NewSelect(choiceLabels(s.audioChoices), nil)
	s.filePath = widget.NewEntry()
	s.filePath.SetPlaceHolder("/path/to/clip.mp4 (looped)")
	s.filePath.SetText(p.String(prefFile))
	s.filePath.OnChanged = save(prefFile)
	s.selectSources(prefString(p, prefVideo, "testsrc"), prefString(p, prefAudio, "tone"))
	s.videoSel.OnChanged = func(label string) {
		g.setString(prefVideo, specOf(s.videoChoices, label))
		s.sourceChanged()
	}
	s.audioSel.OnChanged = func(label string) { g.setString(prefAudio, specOf(s.audioChoices, label)) }
	s.refreshBtn = widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), s.refreshDevices)
	s.title = widget.NewEntry()
	s.title.SetPlaceHolder("title drawn over the picture (optional)")
	s.title.SetText(p.String(prefTitle))
	s.title.OnChanged = save(prefTitle)
	s.clockChk = widget.NewCheck("Clock", func(v bool) { g.setBool(prefClock, v) })
	s.clockChk.SetChecked(p.Bool(prefClock))
	s.cursorChk = widget.NewCheck("Pointer", func(v bool) { g.setBool(prefCursor, v) })
	s.cursorChk.SetChecked(p.BoolWithFallback(prefCursor, true))
	s.vu = widget.NewProgressBar()
	s.vu.TextFormatter = func() string { return "" }
	s.vuLbl = widget.NewLabel("audio —")

	s.custom = widget.NewEntry()
	s.custom.SetPlaceHolder("WIDTHxHEIGHT")
	s.custom.SetText(prefString(p, prefCustom, "1280x720"))
	s.custom.OnChanged = func(v string) { g.setString(prefCustom, v); s.restartPreview() }
	s.sizeSel = widget.NewSelect(sizeLabels(), nil)
	s.sizeSel.SetSelected(prefString(p, prefSize, sizePresets[1].label))
	s.sizeSel.OnChanged = func(v string) {
		g.setString(prefSize, v)
		s.updateCustom()
		s.restartPreview()
	}
	s.updateCustom()

	s.fps = widget.NewEntry()
	s.fps.SetText(prefString(p, prefFPS, "30"))
	s.fps.OnChanged = save(prefFPS)
	s.vbitrate = widget.NewEntry()
	s.vbitrate.SetText(prefString(p, prefVBitrate, "2500k"))
	s.vbitrate.OnChanged = save(prefVBitrate)
	s.abitrate = widget.NewEntry()
	s.abitrate.SetText(prefString(p, prefABitrate, "128k"))
	s.abitrate.OnChanged = save(prefABitrate)
	s.presetSel = widget.NewSelect(encode.Presets(), nil)
	s.presetSel.SetSelected(prefString(p, prefPreset, "veryfast"))
	s.presetSel.OnChanged = save(prefPreset)
	s.keyint = widget.NewEntry()
	s.keyint.SetText(prefString(p, prefKeyint, "2s"))
	s.keyint.OnChanged = save(prefKeyint)

	s.server = widget.NewEntry()
	s.server.SetPlaceHolder("rtmp://host/app")
	s.server.SetText(p.String(prefServer))
	s.server.OnChanged = func(v string) {
		if v == s.loopbackURL {
			v = "" // follows the loopback server
		}
		g.setString(prefServer, v)
		s.keyChanged()
	}
	// The stream key: a password entry, masked until its reveal toggle
	// (the eye at its right end) is tapped.
	s.key = widget.NewPasswordEntry()
	s.key.SetPlaceHolder("stream key")
	s.key.SetText(prefString(p, prefKey, "preview"))
	s.key.OnChanged = func(v string) { g.setString(prefKey, v); s.keyChanged() }
	s.insecure = widget.NewCheck("Accept a self-signed certificate (rtmps)", func(v bool) { g.setBool(prefInsecure, v) })
	s.insecure.SetChecked(p.Bool(prefInsecure))

	s.liveBtn = widget.NewButtonWithIcon("Go Live", theme.MediaRecordIcon(), s.toggleLive)
	s.liveBtn.Importance = widget.HighImportance
	s.stateLbl = widget.NewLabel("offline")
	s.stateLbl.TextStyle.Bold = true
	s.uptimeLbl = widget.NewLabel("uptime —")
	s.reconnLbl = widget.NewLabel("reconnects 0")
	s.ratesLbl = widget.NewLabel("— kb/s  — fps")
	s.dropLbl = widget.NewLabel("dropped 0")
	s.cpuLbl = widget.NewLabel("CPU —")
	s.status = newStatusLabel("Ready: press Go Live to stream the test source.")
	s.graph = newGraph(60,
		&graphSeries{name: "sent", format: "%.0f kb/s", col: theme.Color(theme.ColorNamePrimary)},
		&graphSeries{name: "frames out", format: "%.1f fps", col: theme.Color(theme.ColorNameSuccess)},
	)

	form := func(items ...*widget.FormItem) *widget.Form { return widget.NewForm(items...) }
	source := widget.NewCard("Source", "", form(
		widget.NewFormItem("Video", container.NewBorder(nil, nil, nil, container.NewHBox(s.cursorChk, s.refreshBtn), s.videoSel)),
		widget.NewFormItem("Media file", s.filePath),
		widget.NewFormItem("Audio", s.audioSel),
		widget.NewFormItem("Level", container.NewBorder(nil, nil, nil, s.vuLbl, s.vu)),
		widget.NewFormItem("Overlay", container.NewBorder(nil, nil, nil, s.clockChk, s.title)),
	))
	output := widget.NewCard("Output", "", form(
		widget.NewFormItem("Size", container.NewGridWithColumns(2, s.sizeSel, s.custom)),
		widget.NewFormItem("Frame rate", s.fps),
		widget.NewFormItem("Video bitrate", s.vbitrate),
		widget.NewFormItem("Audio bitrate", s.abitrate),
		widget.NewFormItem("x264 preset", s.presetSel),
		widget.NewFormItem("Keyframe every", s.keyint),
	))
	dest := widget.NewCard("Destination", "", container.NewVBox(form(
		widget.NewFormItem("Server", s.server),
		widget.NewFormItem("Stream key", s.key),
	), s.insecure))
	settings := container.NewVScroll(container.NewVBox(source, output, dest))

	statusRow := container.NewHBox(s.stateLbl, s.uptimeLbl, s.reconnLbl, s.ratesLbl, s.dropLbl, s.cpuLbl)
	left := container.NewBorder(nil, container.NewVBox(s.graph, statusRow), nil, nil, s.preview.box)
	bottom := container.NewBorder(nil, nil, s.liveBtn, nil, s.status)
	split := container.NewHSplit(container.NewPadded(left), settings)
	split.Offset = 0.6
	s.content = container.NewBorder(nil, container.NewPadded(bottom), nil, nil, split)
	g.br.watch(s.read)
	s.sourceChanged()
	s.refreshDevices()
	return s
}

// selectSources selects the pickers' entries for the video and audio
// specs (a saved setting); UI goroutine.
func (s *studioView) selectSources(video, audio string) {
	s.videoSel.SetSelected(labelOf(s.videoChoices, video))
	s.audioSel.SetSelected(labelOf(s.audioChoices, audio))
}

// videoSpec and audioSpec are the chosen sources as --video/--audio
// specs; UI goroutine.
func (s *studioView) videoSpec() string {
	v := specOf(s.videoChoices, s.videoSel.Selected)
	if v == "file:" {
		v += strings.TrimSpace(s.filePath.Text)
	}
	return v
}

func (s *studioView) audioSpec() string {
	a := specOf(s.audioChoices, s.audioSel.Selected)
	if a == "file" && specOf(s.videoChoices, s.videoSel.Selected) != "file:" {
		a += ":" + strings.TrimSpace(s.filePath.Text)
	}
	return a
}

// sourceChanged follows a new video source: the file path applies to
// media files, and the preview runs the test source itself while idle
// (other sources show in it once live); UI goroutine.
func (s *studioView) sourceChanged() {
	if specOf(s.videoChoices, s.videoSel.Selected) == "file:" || specOf(s.audioChoices, s.audioSel.Selected) == "file" {
		s.filePath.Enable()
	} else if s.phase == phaseIdle {
		s.filePath.Disable()
	}
	// The pointer is drawn in screen captures only.
	if strings.HasPrefix(specOf(s.videoChoices, s.videoSel.Selected), "screen") {
		s.cursorChk.Enable()
	} else if s.phase == phaseIdle {
		s.cursorChk.Disable()
	}
	if s.previewSrc != nil && s.videoSpec() != "testsrc" {
		s.stopPreview()
		s.previewOn.Store(true)
		s.preview.clear("preview: the picture shows here once live")
	} else if s.previewOn.Load() && s.previewSrc == nil && s.phase == phaseIdle {
		s.startPreview()
	}
}

// refreshDevices lists the cameras, screens, microphones and monitors
// again, off the UI goroutine (a sound server may take a moment), and
// rebuilds the pickers, keeping the selection where the device is still
// there; UI goroutine.
func (s *studioView) refreshDevices() {
	s.refreshBtn.Disable()
	s.g.wg.Add(1)
	go func() {
		defer s.g.wg.Done()
		devs, missing := listDevices(s.g.log)
		s.g.br.post(func() {
			s.refreshBtn.Enable()
			video, audio := s.videoSpec(), specOf(s.audioChoices, s.audioSel.Selected)
			if strings.HasPrefix(video, "file:") {
				video = "file:"
			}
			s.videoChoices, s.audioChoices = sourceChoices(devs)
			s.videoSel.Options = choiceLabels(s.videoChoices)
			s.audioSel.Options = choiceLabels(s.audioChoices)
			onV, onA := s.videoSel.OnChanged, s.audioSel.OnChanged
			s.videoSel.OnChanged, s.audioSel.OnChanged = nil, nil
			s.selectSources(video, audio)
			s.videoSel.OnChanged, s.audioSel.OnChanged = onV, onA
			s.videoSel.Refresh()
			s.audioSel.Refresh()
			s.sourceChanged()
			if missing != "" && s.phase == phaseIdle && strings.HasPrefix(s.status.Text, "Ready") {
				s.setStatus("Ready. Not found: " + missing + ".")
			}
		})
	}()
}

func (s *studioView) updateCustom() {
	if s.sizeSel.Selected == "Custom" {
		s.custom.Enable()
	} else {
		if w, h, err := parseSize(sizeOf(s.sizeSel.Selected, "")); err == nil {
			s.custom.SetText(fmt.Sprintf("%dx%d", w, h))
		}
		s.custom.Disable()
	}
}

// revealKey is the stream key's reveal toggle (tests).
func (s *studioView) revealKey() fyne.Tappable {
	t, _ := s.key.ActionItem.(fyne.Tappable)
	return t
}

// keyChanged updates what shows the stream key elsewhere; UI goroutine.
func (s *studioView) keyChanged() {
	if s.g.loop != nil {
		s.g.loop.refreshURLs()
		s.g.loop.refreshList()
	}
}

// maskName is name, or dots when it is the stream key and the key is
// hidden; UI goroutine.
func (s *studioView) maskName(name string) string {
	if s.key.Password && name != "" && name == strings.TrimSpace(s.key.Text) {
		return "••••"
	}
	return name
}

// setLoopbackURL makes rtmp://ADDR/live the server's default; the entry
// follows it unless the streamer typed another server.
func (s *studioView) setLoopbackURL(u string) {
	prev := s.loopbackURL
	s.loopbackURL = u
	if s.server.Text == "" || s.server.Text == prev {
		s.server.SetText(u)
	}
}

// destination is the URL to publish to: server + "/" + key.
func (s *studioView) destination() (string, error) {
	server := strings.TrimSpace(s.server.Text)
	key := strings.TrimSpace(s.key.Text)
	if server == "" {
		return "", errors.New("no destination: give the server URL, e.g. rtmp://live.example.com/app")
	}
	if key == "" {
		return server, nil
	}
	return strings.TrimRight(server, "/") + "/" + key, nil
}

// streamName is the stream's name on the loopback server when the
// destination is the loopback server ("" otherwise).
func (s *studioView) streamName(loopRTMP string) string {
	server := strings.TrimRight(strings.TrimSpace(s.server.Text), "/")
	if loopRTMP == "" || server != "rtmp://"+loopRTMP+"/live" {
		return ""
	}
	return strings.TrimSpace(s.key.Text)
}

// config reads the form.
func (s *studioView) config() (BroadcastConfig, error) {
	var c BroadcastConfig
	out, err := parseVideoOutput(sizeOf(s.sizeSel.Selected, s.custom.Text), strings.TrimSpace(s.fps.Text), s.vbitrate.Text)
	if err != nil {
		return c, err
	}
	ab, err := parseBitrate(s.abitrate.Text)
	if err != nil {
		return c, err
	}
	if !encode.ValidPreset(s.presetSel.Selected) {
		return c, fmt.Errorf("preset %q: want one of %s", s.presetSel.Selected, strings.Join(encode.Presets(), ", "))
	}
	ki, err := parseKeyint(s.keyint.Text)
	if err != nil {
		return c, err
	}
	dest, err := s.destination()
	if err != nil {
		return c, err
	}
	return BroadcastConfig{
		Video: s.videoSpec(), Audio: s.audioSpec(),
		OverlayText: strings.TrimSpace(s.title.Text), OverlayClock: s.clockChk.Checked,
		HideCursor: !s.cursorChk.Checked,
		Preview: func(f *media.VideoFrame) {
			if s.previewOn.Load() {
				s.preview.Present(f)
			}
		},
		Width: out.width, Height: out.height, FPS: out.fps, VideoBitrate: out.bitrate, AudioBitrate: ab,
		Preset: s.presetSel.Selected, Profile: "high", KeyInterval: ki,
		URLs: []string{dest}, Insecure: s.insecure.Checked, Logger: s.g.log,
	}, nil
}

// parseKeyint reads 2s, 500ms or a plain number of seconds.
func parseKeyint(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	d, err := time.ParseDuration(v)
	if err != nil {
		var secs float64
		if _, err2 := fmt.Sscanf(v, "%g", &secs); err2 == nil && fmt.Sprint(secs) == v {
			d, err = time.Duration(secs*float64(time.Second)), nil
		}
	}
	if err != nil || d < 100*time.Millisecond || d > time.Minute {
		return 0, fmt.Errorf("keyframe interval %q: want a duration from 0.1s to 60s, e.g. 2s", v)
	}
	return d, nil
}

func (s *studioView) toggleLive() {
	switch s.phase {
	case phaseIdle:
		s.goLive(nil)
	case phaseConnecting, phaseLive:
		s.endStream()
	}
}

func (s *studioView) setForm(enabled bool) {
	for _, w := range []fyne.Disableable{s.videoSel, s.audioSel, s.sizeSel, s.fps, s.vbitrate, s.abitrate,
		s.presetSel, s.keyint, s.server, s.key, s.insecure, s.filePath, s.refreshBtn, s.title, s.clockChk, s.cursorChk} {
		if enabled {
			w.Enable()
		} else {
			w.Disable()
		}
	}
	if enabled {
		s.updateCustom()
		s.sourceChanged()
	} else {
		s.custom.Disable()
	}
}

// goLive starts a broadcast from the form; then (may be nil) runs on the UI
// goroutine once it is live or has failed. UI goroutine.
func (s *studioView) goLive(then func(ok bool)) {
	if s.phase != phaseIdle {
		return
	}
	cfg, err := s.config()
	if err != nil {
		s.setStatus("Cannot go live: " + oneLine(err))
		if then != nil {
			then(false)
		}
		return
	}
	dest := publish.MaskURL(cfg.URLs[0])
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.phase = phaseConnecting
	s.liveBtn.SetText("End Stream")
	s.liveBtn.SetIcon(theme.MediaStopIcon())
	s.liveBtn.Importance = widget.DangerImportance
	s.liveBtn.Refresh()
	s.setForm(false)
	if s.previewSrc != nil {
		s.stopPreview()
	}
	// The broadcast's pictures take over the preview while it can be seen.
	s.previewOn.Store(s.g.tabs == nil || s.g.tabs.Selected() == s.g.studioTab)
	s.stateLbl.SetText("connecting")
	s.setStatus("Connecting to " + dest + " …")
	s.graph.reset()
	s.g.log.Info("going live", "to", dest, "size", fmt.Sprintf("%dx%d", cfg.Width, cfg.Height))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		b, err := StartBroadcast(ctx, cfg)
		if err != nil {
			stopped := ctx.Err() != nil
			s.g.br.post(func() {
				s.ended()
				if stopped {
					s.setStatus("Stream ended before it went live.")
				} else {
					msg := "Could not go live: " + oneLine(err)
					var certErr *tls.CertificateVerificationError
					if errors.As(err, &certErr) {
						msg += " (for a server with a self-signed certificate, tick Accept a self-signed certificate)"
					}
					s.setStatus(msg)
				}
				if then != nil {
					then(false)
				}
			})
			return
		}
		s.mu.Lock()
		s.b, s.since, s.dest = b, time.Now(), dest
		s.mu.Unlock()
		s.g.br.post(func() {
			if s.phase == phaseConnecting {
				s.phase = phaseLive
			}
			s.setStatus("Live to " + dest)
			if then != nil {
				then(true)
			}
		})
		<-ctx.Done()
		s.mu.Lock()
		s.b = nil
		s.mu.Unlock()
		b.Close()
		final := b.sample()
		s.g.br.post(func() {
			s.ended()
			s.setStatus(fmt.Sprintf("Stream ended: %d frames sent, %d dropped, %d reconnects.",
				final.framesSent, final.drops.total(), final.reconnects))
		})
	}()
}

// endStream stops the broadcast (or the attempt to connect). UI goroutine.
func (s *studioView) endStream() {
	if s.stop == nil {
		return
	}
	s.stop()
	s.stop = nil
	s.phase = phaseEnding
	s.liveBtn.SetText("Ending…")
	s.liveBtn.Disable()
	s.stateLbl.SetText("ending")
}

// ended puts the form back after a session; UI goroutine.
func (s *studioView) ended() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	s.phase = phaseIdle
	s.liveBtn.SetText("Go Live")
	s.liveBtn.SetIcon(theme.MediaRecordIcon())
	s.liveBtn.Importance = widget.HighImportance
	s.liveBtn.Enable()
	s.liveBtn.Refresh()
	s.setForm(true)
	s.stateLbl.SetText("offline")
	s.uptimeLbl.SetText("uptime —")
	s.vu.SetValue(0)
	s.vuLbl.SetText("audio —")
}

func (s *studioView) setStatus(msg string) { s.status.SetText(msg) }

// live reports whether a broadcast is running (any goroutine).
func (s *studioView) live() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.b != nil
}

// read is the bridge's poll: the broadcast's counters, rates once a
// second, the process CPU. Bridge goroutine.
func (s *studioView) read() func() {
	s.mu.RLock()
	b, since := s.b, s.since
	var cur liveSample
	if b != nil {
		cur = b.sample()
	}
	s.mu.RUnlock()
	now := time.Now()
	var point bool
	var line liveLine
	if now.Sub(s.lastRate) >= time.Second {
		s.lastRate = now
		s.cpuPct, s.cpuOK = s.cpu.sample()
		if b != nil && s.prevOK {
			line = rates(s.prev, cur, false)
			point = true
		}
		s.prev, s.prevOK = cur, b != nil
	}
	if b == nil {
		s.prevOK = false
	}
	cpuPct, cpuOK, cores := s.cpuPct, s.cpuOK, s.cpu.cores()
	return func() {
		if cpuOK {
			s.cpuLbl.SetText(fmt.Sprintf("CPU %.0f%% of a core (%d cores)", cpuPct, cores))
		}
		if b == nil || s.phase == phaseEnding {
			return
		}
		s.stateLbl.SetText(cur.state)
		s.uptimeLbl.SetText("uptime " + fmtUptime(now.Sub(since)))
		s.reconnLbl.SetText(fmt.Sprintf("reconnects %d", cur.reconnects))
		s.dropLbl.SetText(cur.drops.text())
		if cur.hasAudio {
			setLevel(s.vu, cur.audioPeak)
			s.vuLbl.SetText(fmt.Sprintf("%.0f dB", cur.audioPeak))
		}
		if point {
			s.ratesLbl.SetText(fmt.Sprintf("%.0f kb/s  %.1f fps", line.VideoKbps+line.AudioKbps, line.FPSOut))
			s.graph.push(line.VideoKbps+line.AudioKbps, line.FPSOut)
		}
		if len(cur.outputs) > 0 && cur.state == publish.StateReconnecting.String() && cur.outputs[0].LastError != "" {
			s.setStatus("Reconnecting: " + cur.outputs[0].LastError)
		} else if cur.state == publish.StateLive.String() && strings.HasPrefix(s.status.Text, "Reconnecting") {
			s.setStatus("Live again to " + s.dest)
		}
	}
}

func fmtUptime(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// Preview: the selected video source, scaled down, while the tab shows.

// previewSize is the preview picture for the chosen output size: at most
// 640 wide, the same aspect.
func (s *studioView) previewSize() (int, int) {
	w, h, err := parseSize(sizeOf(s.sizeSel.Selected, s.custom.Text))
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
	w, h := s.previewSize()
	src, err := capture.NewTestVideo(capture.TestVideoConfig{Width: w, Height: h, FPS: 30, Logger: s.g.log})
	if err != nil {
		s.setStatus("Preview: " + oneLine(err))
		return
	}
	if err := src.Start(func(f *media.VideoFrame) {
		s.preview.Present(f)
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
	if w, h := s.previewSize(); w == s.previewSrc.Config().Width && h == s.previewSrc.Config().Height {
		return
	}
	s.stopPreview()
	s.startPreview()
}

// close waits for the broadcast session to end (gui.stopAll stops it).
func (s *studioView) close() { s.wg.Wait() }
