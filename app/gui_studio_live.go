package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onair/app/engine"
	"onair/internal/urlmask"
	"onair/publish"
)

// Going live and recording: the session goroutine that runs a broadcast
// from the form and changes its outputs on request, the buttons and labels
// following the state machine (studioState), and the live figures the
// bridge polls.

// sessionReq asks the running session to change an output.
type sessionReq struct {
	act      studioAction // actAddDest, actRemoveDest, actStartRec, actStopRec
	dest     int          // the row, for actAddDest and actRemoveDest
	engineID int          // actRemoveDest: its id in the broadcast
	ctx      context.Context
	url      string // actAddDest
	path     string // actStartRec
}

func (s *studioView) toggleLive() { s.pressLive(nil) }

// goLive presses Go Live unless a destination is already wanted; then (may
// be nil) runs on the UI goroutine once one is live or all have failed.
// UI goroutine.
func (s *studioView) goLive(then func(ok bool)) {
	if s.streaming() {
		return
	}
	s.pressLive(then)
}

// pressLive is the Go Live / End Stream button: Go Live starts every
// destination that is off, End Stream stops them all. UI goroutine.
func (s *studioView) pressLive(then func(ok bool)) {
	if s.streaming() {
		s.run(s.studioState.pressLive(nil), engine.Config{})
		return
	}
	cfg, ok := s.checkStart(s.offRows(), true, "Cannot go live: ")
	if !ok {
		if then != nil {
			then(false)
		}
		return
	}
	steps := s.studioState.pressLive(s.startable)
	if s.streaming() {
		s.liveThen = then
	} else if then != nil {
		then(false)
	}
	s.run(steps, cfg)
}

// pressRow is a destination's own Start / Stop; the others go on. UI
// goroutine.
func (s *studioView) pressRow(r *destRow) {
	d := s.dest(r.id)
	if d == nil || !s.canPress(d.out) {
		return
	}
	var cfg engine.Config
	if d.out == outOff {
		var ok bool
		if cfg, ok = s.checkStart([]int{r.id}, true, "Cannot go live: "); !ok {
			return
		}
	}
	s.run(s.studioState.pressDest(r.id), cfg)
}

// pressRecord is the Start Recording / Stop Recording button. UI
// goroutine.
func (s *studioView) pressRecord() {
	var cfg engine.Config
	if s.rec == outOff && s.canPress(s.rec) {
		var ok bool
		if cfg, ok = s.checkStart(nil, false, "Cannot record: "); !ok {
			return
		}
		s.recPath = s.g.recordPath(time.Now())
	}
	s.run(s.studioState.pressRecord(), cfg)
}

// offRows are the destinations that are off.
func (s *studioView) offRows() []int {
	var ids []int
	for _, d := range s.dests {
		if d.out == outOff {
			ids = append(ids, d.id)
		}
	}
	return ids
}

// checkStart checks what starting outputs needs: while idle the form's
// settings (cfg, the session's config), and with dests each destination's
// URL (one that has none, for want of a key or a server, fails at once
// and says why). false, with the status line saying why, when nothing
// can start. UI goroutine.
func (s *studioView) checkStart(ids []int, dests bool, prefix string) (engine.Config, bool) {
	var cfg engine.Config
	if s.phase == phaseIdle {
		var err error
		if cfg, err = sessionConfig(s.form(), s.settings()); err != nil {
			s.setStatus(prefix + oneLine(err))
			return cfg, false
		}
	}
	var first error
	usable := !dests
	for _, id := range ids {
		r, d := s.row(id), s.dest(id)
		if _, err := r.set.url(s.loopbackURL); err != nil {
			d.failed = oneLine(err)
			s.refreshRow(r)
			if first == nil {
				first = fmt.Errorf("%s: %w", r.set.label(s.loopbackURL), err)
			}
			continue
		}
		usable = true
	}
	if !usable {
		if first != nil {
			s.setStatus(prefix + oneLine(first))
		} else {
			s.setStatus(prefix + "no destination: press Add destination.")
		}
	}
	return cfg, usable
}

// startable says destination id has a URL to start with.
func (s *studioView) startable(id int) bool {
	r := s.row(id)
	if r == nil {
		return false
	}
	_, err := r.set.url(s.loopbackURL)
	return err == nil
}

// run carries out the state machine's steps; cfg is the session's config
// for actBegin. UI goroutine.
func (s *studioView) run(steps []studioStep, cfg engine.Config) {
	for _, st := range steps {
		switch st.act {
		case actBegin:
			s.startSession(cfg)
		case actEnd:
			setText(s.stateLbl, "ending")
		case actAddDest:
			r := s.row(st.dest)
			u, err := r.set.url(s.loopbackURL)
			if err != nil { // checked when pressed: the fields cannot change since
				s.run(s.added(st.dest, 0, oneLine(err)), engine.Config{})
				continue
			}
			ctx, cancel := context.WithCancel(s.ctx)
			s.addCancel[st.dest] = cancel
			name := r.set.label(s.loopbackURL)
			s.setStatus("Connecting to " + name + " …")
			s.g.log.Info("adding destination", "to", urlmask.MaskDest(u))
			s.request(sessionReq{act: actAddDest, dest: st.dest, ctx: ctx, url: u})
		case actCancelAdd:
			if cancel := s.addCancel[st.dest]; cancel != nil {
				cancel()
			}
		case actRemoveDest:
			s.request(sessionReq{act: actRemoveDest, dest: st.dest, engineID: s.dest(st.dest).engineID})
		case actStartRec:
			s.setStatus("Starting to record to " + s.recPath + " …")
			s.request(sessionReq{act: actStartRec, path: s.recPath})
		case actStopRec:
			s.request(sessionReq{act: actStopRec})
		}
	}
	s.showPhase()
}

// request hands a request to the session goroutine; never blocks (the
// channel holds a request for many destinations at once).
func (s *studioView) request(r sessionReq) {
	select {
	case s.reqs <- r:
	default:
		s.g.log.Warn("session request dropped", "act", r.act)
	}
}

// startSession starts the session goroutine on the state's context with
// cfg (no output: the steps of wentLive add them); UI goroutine.
func (s *studioView) startSession(cfg engine.Config) {
	cfg.Preview, cfg.Logger = s.previewTap, s.g.log
	s.reqs = make(chan sessionReq, 64)
	s.setForm(false)
	if s.previewSrc != nil {
		s.stopPreview()
	}
	// The broadcast's pictures take over the preview while it can be seen.
	s.previewOn.Store(s.g.tabs == nil || s.g.tabs.Selected() == s.g.studioTab)
	setText(s.stateLbl, "connecting")
	s.graph.reset()
	s.g.log.Info("starting the broadcast", "size", fmt.Sprintf("%dx%d", cfg.Width, cfg.Height))
	s.wg.Add(1)
	go s.runSession(s.ctx, cfg, s.reqs)
}

// runSession runs one broadcast until its context ends, changing its
// outputs on request: each destination connects and disconnects on a
// goroutine of its own, so a slow one holds up no other. Session
// goroutine.
func (s *studioView) runSession(ctx context.Context, cfg engine.Config, reqs <-chan sessionReq) {
	defer s.wg.Done()
	b, err := engine.Start(ctx, cfg)
	if err != nil {
		stopped := ctx.Err() != nil
		s.g.br.post(func() {
			streaming := s.streaming()
			s.ended()
			switch {
			case stopped:
				s.setStatus("Stopped before it started.")
			case streaming:
				s.setStatus(goLiveError(err))
			default:
				s.setStatus("Could not record: " + oneLine(err))
			}
		})
		return
	}
	s.mu.Lock()
	s.b, s.since, s.videoRate = b, time.Now(), cfg.VideoBitrate
	s.mu.Unlock()
	s.g.br.post(func() { s.run(s.wentLive(), engine.Config{}) })
	var jobs sync.WaitGroup // the destinations' connects and disconnects
	for {
		select {
		case r := <-reqs:
			s.handle(b, r, &jobs)
			continue
		case <-ctx.Done():
		}
		break
	}
	jobs.Wait() // connects end with ctx; disconnects send what is queued
	s.mu.Lock()
	s.b = nil
	s.mu.Unlock()
	last := b.Sample()
	b.Close()
	final := b.Sample()
	var msg []string
	if len(last.Outputs) > 0 {
		msg = append(msg, streamEnded(final))
	}
	if last.Recording != nil {
		msg = append(msg, recordingEnded(final.Recording))
	}
	s.g.br.post(func() {
		s.ended()
		if len(msg) > 0 {
			s.setStatus(strings.Join(msg, " "))
		}
	})
}

// handle carries out one request on the running broadcast and posts the
// result; a destination's connect or disconnect runs on a goroutine of
// jobs. Session goroutine.
func (s *studioView) handle(b *engine.Broadcast, r sessionReq, jobs *sync.WaitGroup) {
	switch r.act {
	case actAddDest:
		jobs.Add(1)
		go func() {
			defer jobs.Done()
			id, err := b.AddDestination(r.ctx, r.url)
			s.g.br.post(func() { s.destAdded(r, id, err) })
		}()
	case actRemoveDest:
		jobs.Add(1)
		go func() {
			defer jobs.Done()
			err := b.RemoveDestination(r.engineID)
			s.g.br.post(func() {
				name := ""
				if row := s.row(r.dest); row != nil {
					name = row.set.label(s.loopbackURL)
				}
				if err != nil {
					s.setStatus("Stop " + name + ": " + oneLine(err))
				} else {
					s.setStatus("Stopped streaming to " + name + "." + s.goesOn(r.dest))
				}
				s.run(s.removed(r.dest), engine.Config{})
			})
		}()
	case actStartRec:
		err := b.StartRecording(r.path)
		s.g.br.post(func() {
			if err != nil {
				s.setStatus("Could not record: " + oneLine(err))
			} else {
				s.setStatus("Recording to " + r.path)
			}
			s.run(s.recStarted(err == nil), engine.Config{})
		})
	case actStopRec:
		last := b.Sample().Recording
		err := b.StopRecording()
		s.g.br.post(func() {
			if last != nil {
				if err != nil && last.Err == nil {
					last.Err = err
				}
				s.setStatus(recordingEnded(last) + s.goesOn(0))
			}
			s.run(s.recStopped(), engine.Config{})
		})
	}
}

// destAdded is a destination's connect result; UI goroutine.
func (s *studioView) destAdded(r sessionReq, id int, err error) {
	cancelled := r.ctx.Err() != nil
	if cancel := s.addCancel[r.dest]; cancel != nil {
		cancel()
		delete(s.addCancel, r.dest)
	}
	name := urlmask.MaskDest(r.url)
	if row := s.row(r.dest); row != nil {
		name = row.set.label(s.loopbackURL)
	}
	failure := ""
	switch {
	case err == nil:
		s.setStatus("Live to " + name)
	case cancelled:
		s.setStatus("Stopped " + name + " before it went live.")
	default:
		// The row names the destination: the reason alone.
		failure = rowFailure(oneLine(err), urlmask.MaskDest(r.url))
		s.setStatus(goLiveError(err))
		s.g.log.Warn("destination failed", "to", urlmask.MaskDest(r.url), "err", failure)
	}
	if err == nil {
		s.g.log.Info("destination live", "to", urlmask.MaskDest(r.url))
	}
	s.run(s.added(r.dest, id, failure), engine.Config{})
	s.settleThen()
}

// settleThen calls Go Live's then once a destination is live, or once
// none is left starting; UI goroutine.
func (s *studioView) settleThen() {
	if s.liveThen == nil {
		return
	}
	live, starting := false, false
	for _, d := range s.dests {
		live = live || d.out == outOn
		starting = starting || d.out == outStarting
	}
	if live || !starting {
		then := s.liveThen
		s.liveThen = nil
		then(live)
	}
}

// goesOn says what goes on after an output stopped ("" when nothing
// does); except is the row that stopped.
func (s *studioView) goesOn(except int) string {
	n := 0
	for _, d := range s.dests {
		if d.id != except && d.out.active() {
			n++
		}
	}
	switch {
	case n == 1:
		return " Still live to one destination."
	case n > 1:
		return fmt.Sprintf(" Still live to %d destinations.", n)
	case s.rec.active() && except != 0:
		return " Still recording."
	}
	return ""
}

// goLiveError is the status line for a destination that failed.
func goLiveError(err error) string {
	msg := "Could not go live: " + oneLine(err)
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		msg += " (for a server with a self-signed certificate, tick Accept a self-signed certificate)"
	}
	return msg
}

func streamEnded(final engine.Sample) string {
	return fmt.Sprintf("Stream ended: %d frames sent, %d dropped, %d reconnects.",
		final.FramesSent, final.Drops.Total(), final.Reconnects)
}

// recordingEnded says where a recording went, or why it stopped.
func recordingEnded(r *engine.RecordingStats) string {
	if r == nil {
		return ""
	}
	if r.Err != nil {
		return "Recording stopped: " + oneLine(r.Err) + "."
	}
	return fmt.Sprintf("Recording saved to %s (%s, %s).", r.Path, fmtUptime(r.Duration), fmtBytes(r.Bytes))
}

// showPhase makes the buttons and rows follow the state; UI goroutine.
func (s *studioView) showPhase() {
	s.liveBtn.SetText(s.liveButtonText())
	if !s.streaming() {
		s.liveBtn.SetIcon(theme.MediaRecordIcon())
		s.liveBtn.Importance = widget.HighImportance
	} else {
		s.liveBtn.SetIcon(theme.MediaStopIcon())
		s.liveBtn.Importance = widget.DangerImportance
	}
	s.recBtn.SetText(s.recButtonText())
	if s.rec == outOff {
		s.recBtn.SetIcon(theme.MediaRecordIcon())
		s.recBtn.Importance = widget.MediumImportance
	} else {
		s.recBtn.SetIcon(theme.MediaStopIcon())
		s.recBtn.Importance = widget.DangerImportance
	}
	for _, c := range []struct {
		btn *widget.Button
		ok  bool
	}{{s.liveBtn, s.canPressLive()}, {s.recBtn, s.canPress(s.rec)}} {
		if c.ok {
			c.btn.Enable()
		} else {
			c.btn.Disable()
		}
		c.btn.Refresh()
	}
	for _, r := range s.rows {
		if d := s.dest(r.id); d != nil && d.out != outOn {
			r.fig = nil
		}
	}
	s.refreshRows()
	s.setEditor()
	s.bottom.Refresh() // the buttons' new texts need room
}

// ended puts the form back after a session; UI goroutine.
func (s *studioView) ended() {
	for id, cancel := range s.addCancel {
		cancel()
		delete(s.addCancel, id)
	}
	s.finish()
	if s.liveThen != nil {
		then := s.liveThen
		s.liveThen = nil
		then(false)
	}
	s.showPhase()
	s.setForm(true)
	setText(s.stateLbl, "offline")
	setText(s.uptimeLbl, "uptime —")
	setText(s.recLbl, "")
	s.vu.SetValue(0)
	setText(s.vuLbl, "audio —")
}

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
	b, since, vbitrate := s.b, s.since, s.videoRate
	var cur engine.Sample
	if b != nil {
		cur = b.Sample()
	}
	s.mu.RUnlock()
	now := time.Now()
	var point bool
	var line liveLine
	var outs []outputLine
	if now.Sub(s.lastRate) >= time.Second {
		s.lastRate = now
		s.cpuPct, s.cpuOK = s.cpu.sample()
		s.governPreview(b != nil)
		if b != s.hwFor { // engine ids start again with each broadcast
			s.hw, s.hwFor = healthWatch{Configured: vbitrate}, b
		}
		if b != nil && s.prevOK {
			line = rates(s.prev, cur, false, nil)
			outs = outputRates(s.prev, cur, &s.hw)
			point = true
		}
		s.prev, s.prevOK = cur, b != nil
	}
	if b == nil {
		s.prevOK = false
	}
	// The video encoder's bitrate target (dynamic bitrate lowers it).
	target := float64(vbitrate) / 1000
	if b != nil && cur.VideoBitrateTarget > 0 {
		target = float64(cur.VideoBitrateTarget) / 1000
	}
	cpuPct, cpuOK, cores := s.cpuPct, s.cpuOK, s.cpu.cores()
	paced := s.pace.fps()
	return func() {
		if cpuOK {
			text := fmt.Sprintf("CPU %.0f%% of a core (%d cores)", cpuPct, cores)
			if paced > 0 && paced < previewMaxFPS-0.5 {
				text += fmt.Sprintf(" · preview %.0f fps", paced)
			}
			setText(s.cpuLbl, text)
		}
		if b == nil || s.phase == phaseEnding {
			return
		}
		state := cur.State
		if state == "idle" && s.streaming() {
			state = "connecting"
		}
		setText(s.stateLbl, state)
		setText(s.uptimeLbl, "uptime "+fmtUptime(now.Sub(since)))
		setText(s.reconnLbl, fmt.Sprintf("reconnects %d", cur.Reconnects))
		// The destinations' own drops show in their rows; here those
		// before the network, shared by all.
		shared := cur.Drops
		shared.Network = 0
		setText(s.dropLbl, shared.Text())
		setText(s.recLbl, recLabel(cur.Recording))
		if r := cur.Recording; r != nil && r.Err != nil {
			if steps := s.recFailed(); len(steps) > 0 {
				s.setStatus("Recording stopped: " + oneLine(r.Err) + ".")
				s.run(steps, engine.Config{})
			}
		}
		if cur.HasAudio {
			setLevel(s.vu, cur.AudioPeak)
			setText(s.vuLbl, fmt.Sprintf("%.0f dB", cur.AudioPeak))
		}
		if point {
			setText(s.ratesLbl, fmt.Sprintf("%.0f kb/s  %.1f fps", line.VideoKbps+line.AudioKbps, line.FPSOut))
			s.graph.push(line.VideoKbps+line.AudioKbps, line.FPSOut)
			s.showFigures(outs, target)
		}
		s.showReconnects(cur)
	}
}

// showFigures puts each live destination's figures in its row; UI
// goroutine.
func (s *studioView) showFigures(outs []outputLine, targetKbps float64) {
	for _, r := range s.rows {
		r.fig = nil
	}
	for i := range outs {
		d := s.byEngine(outs[i].ID)
		if d == nil || d.out != outOn {
			continue
		}
		if r := s.row(d.id); r != nil {
			r.fig, r.target = &outs[i], targetKbps
		}
	}
	s.refreshRows()
}

// showReconnects says on the status line which destination reconnects,
// and when it is live again; UI goroutine.
func (s *studioView) showReconnects(cur engine.Sample) {
	for _, o := range cur.Outputs {
		if o.State == publish.StateReconnecting && o.LastError != "" {
			s.setStatus("Reconnecting to " + o.URL + ": " + o.LastError)
			return
		}
	}
	if cur.State == publish.StateLive.String() && strings.HasPrefix(s.status.Text, "Reconnecting") {
		s.setStatus("Live again.")
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
