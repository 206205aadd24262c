package app

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onair/app/engine"
	"onair/capture"
	"onair/encode"
	"onair/publish/services"
)

// studioView is the Studio tab: preview, source and output settings,
// destination, Go Live / End Stream, status and the live graph.
type studioView struct {
	g *gui

	preview    *videoSurface
	previewSrc *capture.TestVideo // UI goroutine: running while the tab shows
	pace       *framePacer        // the preview's rate (gui_pace.go)

	videoSel, audioSel, sizeSel, presetSel *widget.Select
	vcodecSel, acodecSel                   *widget.Select
	filePath, title                        *widget.Entry
	clockChk, cursorChk                    *widget.Check
	refreshBtn                             *widget.Button
	vu                                     *widget.ProgressBar
	vuLbl                                  *widget.Label
	videoChoices, audioChoices             []sourceChoice // UI goroutine
	previewOn                              atomic.Bool    // the tab shows: the broadcast's tap feeds the preview
	custom, fps, vbitrate, abitrate        *widget.Entry
	keyint, server, key                    *widget.Entry
	insecure, trustEnhanced                *widget.Check
	serviceSel                             *widget.Select
	liveBtn, recBtn                        *widget.Button
	recLbl                                 *widget.Label   // time recorded and file size
	bottom                                 *fyne.Container // the buttons and the status line
	stateLbl, uptimeLbl, reconnLbl         *widget.Label
	ratesLbl, dropLbl, cpuLbl              *widget.Label
	status                                 *widget.Label
	graph                                  *graph
	content                                fyne.CanvasObject

	// UI goroutine only.
	studioState                            // the go-live and recording state machine
	loopbackURL string                     // the server entry's default while it follows the loopback
	reqs        chan sessionReq            // the running session's requests
	addCancel   map[int]context.CancelFunc // aborts a destination being added, by row
	liveThen    func(ok bool)              // goLive's: once a destination is live or none is left starting
	recPath     string                     // the recording asked for
	services    []services.Service
	svcNote     string          // what checkService last put on the status line
	rows        []*destRow      // the destinations, in order
	sel         *destRow        // the row the editor shows; nil with none
	nextRow     int             // the last row's id
	loadingRow  bool            // the editor is being filled from a row
	destBox     *fyne.Container // the rows
	addBtn      *widget.Button  // Add destination
	destCard    *widget.Card    // the editor

	// The running broadcast: set by the session goroutine, read by the
	// bridge's poll.
	mu        sync.RWMutex
	b         *engine.Broadcast
	since     time.Time
	videoRate int // the configured video bitrate (bits/s)

	wg sync.WaitGroup // the session goroutine

	// Bridge goroutine only.
	prev     engine.Sample
	prevOK   bool
	lastRate time.Time
	cpu      cpuMeter
	cpuPct   float64
	cpuOK    bool
	hw       healthWatch       // the destinations' drops, for their health
	hwFor    *engine.Broadcast // the broadcast hw watches
	render   renderMeter       // the window's rendering CPU, for the preview's rate
	gov      previewGovernor
	govAt    time.Time     // the governor's last step
	lastCPU  time.Duration // render's reading then
	lastRep  int64         // the bridge's frame batches then
}

func newStudioView(g *gui) *studioView {
	s := &studioView{g: g, addCancel: map[int]context.CancelFunc{}}
	p := g.prefs
	s.preview = newVideoSurface("preview")
	s.preview.maxWidth = 640 // a 1080p broadcast converts a quarter of its pixels
	s.pace, s.render = newFramePacer(), newRenderMeter()
	s.pace.setFPS(s.gov.rate())
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
	s.vcodecSel = widget.NewSelect(choiceLabels(videoCodecChoices()), nil)
	s.vcodecSel.SetSelected(labelOf(videoCodecChoices(), prefString(p, prefVCodec, "h264")))
	s.vcodecSel.OnChanged = func(v string) { g.setString(prefVCodec, specOf(videoCodecChoices(), v)) }
	s.acodecSel = widget.NewSelect(choiceLabels(audioCodecChoices()), nil)
	s.acodecSel.SetSelected(labelOf(audioCodecChoices(), prefString(p, prefACodec, "aac")))
	s.acodecSel.OnChanged = func(v string) { g.setString(prefACodec, specOf(audioCodecChoices(), v)) }
	s.presetSel = widget.NewSelect(encode.Presets(), nil)
	s.presetSel.SetSelected(prefString(p, prefPreset, "veryfast"))
	s.presetSel.OnChanged = save(prefPreset)
	s.keyint = widget.NewEntry()
	s.keyint.SetText(prefString(p, prefKeyint, "2s"))
	s.keyint.OnChanged = save(prefKeyint)

	s.server = widget.NewEntry()
	s.server.SetPlaceHolder("rtmp://host/app")
	s.server.SetText(s.savedServer())
	s.server.OnChanged = func(v string) {
		if s.loadingRow {
			return
		}
		if v == s.loopbackURL && s.serviceID() == "" {
			v = "" // follows the loopback server
		}
		g.setString(serverPref(s.serviceID()), v)
		s.editorChanged()
		s.keyChanged()
	}
	// The stream key: a password entry, masked until its reveal toggle
	// (the eye at its right end) is tapped.
	s.key = widget.NewPasswordEntry()
	s.key.SetPlaceHolder("stream key")
	s.key.SetText(s.savedKey())
	s.key.OnChanged = func(v string) {
		if s.loadingRow {
			return
		}
		g.setString(keyPref(s.serviceID()), v)
		s.editorChanged()
		s.keyChanged()
		s.checkService()
	}
	s.insecure = widget.NewCheck("Accept a self-signed certificate (rtmps)", func(v bool) { g.setBool(prefInsecure, v) })
	s.insecure.SetChecked(p.Bool(prefInsecure))
	s.trustEnhanced = widget.NewCheck("The server takes HEVC/Opus without announcing Enhanced RTMP", func(v bool) { g.setBool(prefTrustEnhanced, v) })
	s.trustEnhanced.SetChecked(p.Bool(prefTrustEnhanced))

	s.liveBtn = widget.NewButtonWithIcon("Go Live", theme.MediaRecordIcon(), s.toggleLive)
	s.liveBtn.Importance = widget.HighImportance
	s.recBtn = widget.NewButtonWithIcon("Start Recording", theme.MediaRecordIcon(), s.pressRecord)
	s.recLbl = widget.NewLabel("")
	s.stateLbl = widget.NewLabel("offline")
	s.stateLbl.TextStyle.Bold = true
	s.uptimeLbl = widget.NewLabel("uptime —")
	s.reconnLbl = widget.NewLabel("reconnects 0")
	s.ratesLbl = widget.NewLabel("— kb/s  — fps")
	s.dropLbl = widget.NewLabel("dropped 0")
	s.cpuLbl = widget.NewLabel("CPU —")
	s.status = newStatusLabel("Ready: press Go Live to stream the test source, or Start Recording.")
	s.newServiceSelect()
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
		widget.NewFormItem("Video codec", s.vcodecSel),
		widget.NewFormItem("Audio codec", s.acodecSel),
		widget.NewFormItem("Encoder preset", s.presetSel),
		widget.NewFormItem("Keyframe every", s.keyint),
	))
	s.destCard = widget.NewCard("Destination", "", container.NewVBox(form(
		widget.NewFormItem("Service", s.serviceSel),
		widget.NewFormItem("Server", s.server),
		widget.NewFormItem("Stream key", s.key),
	), s.insecure, s.trustEnhanced))
	settings := container.NewVScroll(container.NewVBox(source, output, s.destCard))
	destList := s.newDestList()

	// The figures scroll sideways rather than widen the window: their
	// texts grow while live (the CPU and drop breakdowns), and a row of
	// labels would push the window past a laptop screen's width.
	statusRow := container.NewHScroll(container.NewHBox(s.stateLbl, s.uptimeLbl, s.reconnLbl, s.ratesLbl, s.dropLbl, s.cpuLbl))
	left := container.NewBorder(nil, container.NewVBox(s.graph, statusRow, destList), nil, nil, s.preview.box)
	// The recording label keeps the width of its longest text, so the
	// status beside it does not move or hide under it.
	recRoom := canvas.NewRectangle(color.Transparent)
	recRoom.SetMinSize(fyne.NewSize(fyne.MeasureText("REC 0:00:00  000.0 MB", theme.TextSize(), fyne.TextStyle{}).Width+
		2*theme.InnerPadding(), 1))
	s.bottom = container.NewBorder(nil, nil, container.NewHBox(s.liveBtn, s.recBtn, container.NewStack(recRoom, s.recLbl)), nil, s.status)
	bottom := s.bottom
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

// form reads the fields; UI goroutine.
func (s *studioView) form() studioForm {
	return studioForm{
		video: specOf(s.videoChoices, s.videoSel.Selected), audio: specOf(s.audioChoices, s.audioSel.Selected),
		filePath: s.filePath.Text, title: s.title.Text, clock: s.clockChk.Checked, pointer: s.cursorChk.Checked,
		size: s.sizeSel.Selected, custom: s.custom.Text, fps: s.fps.Text, vbitrate: s.vbitrate.Text,
		abitrate: s.abitrate.Text, preset: s.presetSel.Selected, keyint: s.keyint.Text,
		vcodec: specOf(videoCodecChoices(), s.vcodecSel.Selected), acodec: specOf(audioCodecChoices(), s.acodecSel.Selected),
		trustEnhanced: s.trustEnhanced.Checked,
		server:        s.server.Text, key: s.key.Text, insecure: s.insecure.Checked, service: s.serviceID(),
	}
}

// videoSpec is the chosen video source as a --video spec; UI goroutine.
func (s *studioView) videoSpec() string { return s.form().videoSpec() }

// streamName is the stream's name on the loopback server of the first
// destination there (a live one first), "" when none is; UI goroutine.
func (s *studioView) streamName(loopRTMP string) string {
	name := ""
	for _, r := range s.rows {
		n := r.set.form(s.loopbackURL).streamName(loopRTMP)
		if d := s.dest(r.id); n != "" && d != nil && d.out.active() {
			return n
		}
		if name == "" {
			name = n
		}
	}
	return name
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
		if w, h, err := engine.ParseSize(sizeOf(s.sizeSel.Selected, "")); err == nil {
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

// maskName is name, or dots when it is a destination's stream key and
// the keys are hidden; UI goroutine.
func (s *studioView) maskName(name string) string {
	if !s.key.Password || name == "" {
		return name
	}
	if name == strings.TrimSpace(s.key.Text) {
		return "••••"
	}
	for _, r := range s.rows {
		if name == strings.TrimSpace(r.set.Key) {
			return "••••"
		}
	}
	return name
}

// setLoopbackURL makes rtmp://ADDR/live the server's default; the entry
// follows it unless the streamer typed another server.
func (s *studioView) setLoopbackURL(u string) {
	prev := s.loopbackURL
	s.loopbackURL = u
	if s.serviceID() == "" && (s.server.Text == "" || s.server.Text == prev) {
		loading := s.loadingRow
		s.loadingRow = true // the row keeps following the loopback server
		s.server.SetText(u)
		s.loadingRow = loading
	}
	if s.destCard != nil {
		if s.sel != nil {
			s.destCard.SetSubTitle(s.sel.set.label(u))
		}
		s.refreshRows()
	}
}

// setForm makes the settings editable (idle) or not (a session runs); UI
// goroutine.
func (s *studioView) setForm(enabled bool) {
	// The destination's fields follow the selected row (setEditor).
	for _, w := range []fyne.Disableable{s.videoSel, s.audioSel, s.sizeSel, s.fps, s.vbitrate, s.abitrate,
		s.presetSel, s.keyint, s.insecure, s.filePath, s.vcodecSel, s.acodecSel, s.trustEnhanced, s.refreshBtn, s.title, s.clockChk, s.cursorChk} {
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

func (s *studioView) setStatus(msg string) { s.status.SetText(msg) }

// close waits for the broadcast session to end (gui.stopAll stops it).
func (s *studioView) close() { s.wg.Wait() }
