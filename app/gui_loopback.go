package app

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onair/publish/loopback"
)

// loopbackView is the Loopback tab: the built-in server on or off, its
// URLs with copy buttons, who publishes and who watches, and Preview my
// stream.
type loopbackView struct {
	g *gui

	onChk      *widget.Check
	note       *widget.Label
	tlsNote    *widget.Label // the RTMPS certificate's fingerprint
	urls       []*widget.Label
	copyBtns   []*widget.Button
	openBtn    *widget.Button // the web page's Open in browser
	streams    *widget.Label
	previewBtn *widget.Button
	recChk     *widget.Check // record every stream (the server's DVR)
	ladderChk  *widget.Check // transcode every stream to ladderEnt's renditions
	ladderEnt  *widget.Entry
	recList    *fyne.Container
	thumbs     *fyne.Container // a snapshot per live stream
	thumbImgs  map[string]*canvas.Image
	content    fyne.CanvasObject

	// UI goroutine only.
	closing  bool
	starting bool                  // onChk set by code: do not react
	listed   []loopback.StreamInfo // the last list read
	recs     []loopback.Recording  // the recordings listed
	recsFor  bool                  // with Record every stream on (the hint differs)

	mu  sync.RWMutex // guards srv (read by the poll)
	srv *loopback.Server

	wg sync.WaitGroup // a closing server

	// Bridge goroutine only.
	lastList time.Time
}

// loopbackAddrs are a running server's addresses (RTMPS empty when off).
type loopbackAddrs struct{ rtmp, rtmps, http string }

func addrsOf(srv *loopback.Server) loopbackAddrs {
	return loopbackAddrs{rtmp: srv.RTMPAddr(), rtmps: srv.RTMPSAddr(), http: srv.HTTPAddr()}
}

// The URL rows: what they are and how they are made from the addresses
// and the stream name ("" when the server does not offer it).
var loopbackRows = []struct {
	label string
	make  func(a loopbackAddrs, name string) string
	open  bool // with Open in browser
}{
	{"Web page (PC and phone)", func(a loopbackAddrs, _ string) string { return "http://" + pageHost(a.http) + "/" }, true},
	{"RTMP (publish and play)", func(a loopbackAddrs, n string) string { return "rtmp://" + a.rtmp + "/live/" + n }, false},
	{"RTMPS (self-signed)", func(a loopbackAddrs, n string) string {
		if a.rtmps == "" {
			return ""
		}
		return "rtmps://" + a.rtmps + "/live/" + n
	}, false},
	{"RTMPT (in HTTP)", func(a loopbackAddrs, n string) string { return "rtmpt://" + a.http + "/live/" + n }, false},
	{"RTMPE (encrypted)", func(a loopbackAddrs, n string) string { return "rtmpe://" + a.rtmp + "/live/" + n }, false},
	{"RTMPTE (encrypted, in HTTP)", func(a loopbackAddrs, n string) string { return "rtmpte://" + a.http + "/live/" + n }, false},
	{"HLS (with its renditions)", func(a loopbackAddrs, n string) string { return "http://" + a.http + "/live/" + n + "/master.m3u8" }, false},
	{"HTTP-FLV", func(a loopbackAddrs, n string) string { return "http://" + a.http + "/live/" + n + ".flv" }, false},
	{"Status API", func(a loopbackAddrs, _ string) string { return "http://" + a.http + "/api/streams" }, false},
}

func newLoopbackView(g *gui) *loopbackView {
	v := &loopbackView{g: g}
	v.onChk = widget.NewCheck("Loopback server on", func(on bool) {
		if v.starting {
			return
		}
		g.setBool(prefLoopback, on)
		if on {
			v.start()
		} else {
			v.stopServer()
		}
	})
	v.note = newStatusLabel("")
	v.tlsNote = widget.NewLabel("")
	v.tlsNote.Wrapping = fyne.TextWrapWord
	v.tlsNote.Selectable = true
	form := widget.NewForm()
	for i, row := range loopbackRows {
		l := widget.NewLabel("—")
		l.Selectable = true
		l.Truncation = fyne.TextTruncateEllipsis
		i := i
		b := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { v.copyURL(i) })
		b.Disable()
		v.urls = append(v.urls, l)
		v.copyBtns = append(v.copyBtns, b)
		var btns fyne.CanvasObject = b
		if row.open {
			v.openBtn = widget.NewButtonWithIcon("Open in browser", theme.ComputerIcon(), func() { v.openURL(i) })
			v.openBtn.Disable()
			btns = container.NewHBox(v.openBtn, b)
		}
		form.Append(row.label, container.NewBorder(nil, nil, nil, btns, l))
	}
	v.streams = widget.NewLabel("No server.")
	v.streams.Wrapping = fyne.TextWrapWord
	v.previewBtn = widget.NewButtonWithIcon("Preview my stream", theme.MediaPlayIcon(), v.previewMine)
	v.previewBtn.Importance = widget.HighImportance
	v.recChk = widget.NewCheck("Record every stream", func(on bool) {
		g.setBool(prefLoopbackRecord, on)
		if srv := v.server(); srv != nil {
			srv.SetRecording(on)
		}
	})
	v.recChk.SetChecked(g.prefs.Bool(prefLoopbackRecord))
	v.ladderEnt = widget.NewEntry()
	v.ladderEnt.SetPlaceHolder("480p,360p")
	v.ladderEnt.SetText(g.prefs.StringWithFallback(prefLoopbackLadder, defaultLadder))
	v.ladderEnt.OnSubmitted = func(string) { v.applyLadder() }
	v.ladderChk = widget.NewCheck("Transcode to", func(bool) { v.applyLadder() })
	v.ladderChk.SetChecked(g.prefs.Bool(prefLoopbackLadder + ".on"))
	v.recList = container.NewVBox()
	v.showRecordings(nil)
	v.thumbs = container.NewHBox()
	v.thumbImgs = map[string]*canvas.Image{}
	lists := container.NewGridWithColumns(2,
		widget.NewCard("Publishers and viewers", "", container.NewBorder(v.thumbs, nil, nil, nil, container.NewVScroll(v.streams))),
		widget.NewCard("Recordings", "in "+g.serverRecordDir(), container.NewVScroll(v.recList)))
	v.content = container.NewPadded(container.NewBorder(
		container.NewVBox(
			container.NewHBox(v.onChk, v.previewBtn, v.recChk, v.ladderChk, container.NewGridWrap(fyne.NewSize(140, v.ladderEnt.MinSize().Height), v.ladderEnt)),
			v.note,
			widget.NewCard("Addresses", "for the stream this Studio publishes (its stream key is the name)", container.NewVBox(form, v.tlsNote)),
		), nil, nil, nil, lists,
	))
	g.br.watch(v.read)
	return v
}

// defaultLadder is the Transcode to field's first value.
const defaultLadder = "480p,360p"

// ladder is the transcoded ladder the tab asks for (nil when off), or
// why the field cannot be read; UI goroutine.
func (v *loopbackView) ladder() ([]loopback.Rendition, error) {
	if !v.ladderChk.Checked {
		return nil, nil
	}
	l, err := loopback.ParseLadder(v.ladderEnt.Text)
	if err == nil && len(l) == 0 {
		err = fmt.Errorf("%w: give the heights, e.g. %s", loopback.ErrBadLadder, defaultLadder)
	}
	return l, err
}

// applyLadder gives the running server the ladder the tab asks for and
// keeps it for next time; UI goroutine.
func (v *loopbackView) applyLadder() {
	v.g.setBool(prefLoopbackLadder+".on", v.ladderChk.Checked)
	l, err := v.ladder()
	if err != nil {
		v.note.SetText("Transcoding is off: " + oneLine(err))
		return
	}
	v.g.setString(prefLoopbackLadder, v.ladderEnt.Text)
	if srv := v.server(); srv != nil {
		srv.SetTranscode(l)
		if len(l) > 0 {
			v.note.SetText(fmt.Sprintf("Every live stream is transcoded to %v too; all variants: http://%s/live/NAME/master.m3u8.", l, srv.HTTPAddr()))
		} else {
			v.note.SetText("Transcoding is off.")
		}
	}
}

// isOwnRTMPS says whether u is an rtmps:// URL of the running loopback
// server (any goroutine).
func (v *loopbackView) isOwnRTMPS(u string) bool {
	srv := v.server()
	if srv == nil || srv.RTMPSAddr() == "" {
		return false
	}
	p, err := url.Parse(strings.TrimSpace(u))
	return err == nil && strings.EqualFold(p.Scheme, "rtmps") && p.Host == srv.RTMPSAddr()
}

// server is the running server, or nil (any goroutine).
func (v *loopbackView) server() *loopback.Server {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.srv
}

// start starts the server on the configured addresses; UI goroutine.
func (v *loopbackView) start() {
	if v.server() != nil || v.closing {
		return
	}
	o := v.g.opts
	la := loopbackStart{RTMP: o.RTMPAddr, HTTP: o.HTTPAddr, FallbackRTMP: o.FallbackRTMP, FallbackHTTP: o.FallbackHTTP,
		RecordDir: v.g.serverRecordDir(), Record: v.recChk.Checked}
	la.Ladder, _ = v.ladder() // a field that cannot be read says so when changed
	var certNote string
	if o.RTMPSAddr != "" {
		if cert, err := loopbackCert(o.CertDir, v.g.log); err != nil {
			certNote = "RTMPS is off: " + oneLine(err) + "."
		} else {
			la.RTMPS, la.Cert = o.RTMPSAddr, cert
		}
	}
	srv, notes, err := startLoopback(la, v.g.log)
	if certNote != "" {
		notes = append(notes, certNote)
	}
	v.setChecked(err == nil)
	if err != nil {
		msg := "The loopback server could not start: " + oneLine(err)
		v.note.SetText(msg)
		v.g.studio.setStatus(msg)
		return
	}
	v.mu.Lock()
	v.srv = srv
	v.mu.Unlock()
	if len(notes) > 0 {
		v.note.SetText(strings.Join(notes, " "))
		v.g.studio.setStatus(strings.Join(notes, " "))
	} else {
		rtmps := ""
		if a := srv.RTMPSAddr(); a != "" {
			rtmps = ", for RTMPS on " + a + ","
		}
		if a := srv.RTMFPAddr(); a != "" {
			rtmps += ", for RTMFP on " + a + " (UDP),"
		}
		v.note.SetText(fmt.Sprintf("Listening for RTMP on %s%s and for HTTP (HLS, HTTP-FLV, status) on %s.", srv.RTMPAddr(), rtmps, srv.HTTPAddr()))
	}
	if fp := srv.CertFingerprint(); fp != "" {
		v.tlsNote.SetText("RTMPS certificate (self-signed; clients accept it with --insecure or \"Accept a self-signed certificate\"), SHA-256 " + fp)
	} else {
		v.tlsNote.SetText("")
	}
	v.g.studio.setLoopbackURL("rtmp://" + srv.RTMPAddr() + "/live")
	v.refreshURLs()
	v.g.log.Info("loopback server on", "rtmp", srv.RTMPAddr(), "rtmps", srv.RTMPSAddr(), "http", srv.HTTPAddr())
}

func (v *loopbackView) setChecked(on bool) {
	v.starting = true
	v.onChk.SetChecked(on)
	v.starting = false
}

// stopServer stops the server (in the background: viewers are let go);
// UI goroutine.
func (v *loopbackView) stopServer() {
	v.mu.Lock()
	srv := v.srv
	v.srv = nil
	v.mu.Unlock()
	if srv == nil {
		return
	}
	v.closing = true
	v.onChk.Disable()
	v.note.SetText("Stopping the loopback server …")
	v.refreshURLs()
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		err := srv.Close()
		v.g.br.post(func() {
			v.closing = false
			v.onChk.Enable()
			if err != nil {
				v.note.SetText("Loopback server stopped: " + oneLine(err))
			} else {
				v.note.SetText("Loopback server stopped.")
			}
		})
	}()
}

// name is the stream name in the URLs: the Studio's stream key when it
// publishes here, else "preview".
func (v *loopbackView) name(srv *loopback.Server) string {
	if n := v.g.studio.streamName(srv.RTMPAddr()); n != "" {
		return n
	}
	return "preview"
}

// refreshList redraws the stream list after the key's mask changed; UI
// goroutine.
func (v *loopbackView) refreshList() {
	if srv := v.server(); srv != nil && v.listed != nil {
		v.streams.SetText(describeStreams(v.listed, srv.HTTPAddr(), v.g.studio.maskName))
	}
}

// refreshURLs redraws the address rows; UI goroutine.
func (v *loopbackView) refreshURLs() {
	srv := v.server()
	for i, row := range loopbackRows {
		if srv == nil {
			v.urls[i].SetText("—")
			v.copyBtns[i].Disable()
			if row.open {
				v.openBtn.Disable()
			}
			continue
		}
		// Shown with the name masked while the Studio's key is; copied whole.
		u := row.make(addrsOf(srv), v.g.studio.maskName(v.name(srv)))
		if u == "" {
			v.urls[i].SetText("— (off)")
			v.copyBtns[i].Disable()
			continue
		}
		v.urls[i].SetText(u)
		v.copyBtns[i].Enable()
		if row.open {
			v.openBtn.Enable()
		}
	}
	if srv == nil {
		v.streams.SetText("The loopback server is off.")
	}
}

func (v *loopbackView) copyURL(i int) {
	srv := v.server()
	if srv == nil {
		return
	}
	u := loopbackRows[i].make(addrsOf(srv), v.name(srv))
	if u == "" {
		return
	}
	v.g.app.Clipboard().SetContent(u)
	v.note.SetText("Copied the " + loopbackRows[i].label + " address.")
}

// openURL opens row i's address in the desktop's browser.
func (v *loopbackView) openURL(i int) {
	srv := v.server()
	if srv == nil {
		return
	}
	raw := loopbackRows[i].make(addrsOf(srv), v.name(srv))
	u, err := url.Parse(raw)
	if err != nil {
		v.note.SetText("Cannot open " + raw + ": " + err.Error())
		return
	}
	if err := v.g.app.OpenURL(u); err != nil {
		v.note.SetText("Cannot open a browser (" + err.Error() + "); copy the address instead: " + raw)
		return
	}
	v.note.SetText("Opened " + raw + " in the browser.")
}

// pageHost is the host:port for the web page's address: a server that
// listens on every interface is shown at this machine's LAN address, which
// a phone on the same network can open.
func pageHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		return addr
	}
	return net.JoinHostPort(lanIP(), port)
}

// lanIP is this machine's first private IPv4 address, else 127.0.0.1.
func lanIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "127.0.0.1"
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsPrivate() {
			return n.IP.String()
		}
	}
	return "127.0.0.1"
}

// copyVOD copies the RTMP address that plays the recording name (NAME/FILE
// below the record folder) on demand, with seek.
func (v *loopbackView) copyVOD(name string) {
	srv := v.server()
	if srv == nil {
		return
	}
	v.g.app.Clipboard().SetContent("rtmp://" + srv.RTMPAddr() + "/vod/" + name)
	v.note.SetText("Copied the recording's on-demand address (RTMP, with seek; http://" + srv.HTTPAddr() + "/vod/… serves the file and /index.m3u8 HLS).")
}

// previewMine switches to the Player tab and plays this Studio's stream
// from the loopback server; UI goroutine.
func (v *loopbackView) previewMine() {
	srv := v.server()
	if srv == nil {
		v.note.SetText("Turn the loopback server on first: your stream can only be previewed through it.")
		return
	}
	name := v.g.studio.streamName(srv.RTMPAddr())
	if name == "" {
		v.note.SetText(fmt.Sprintf("The Studio streams to another server: set its server to rtmp://%s/live to preview here.", srv.RTMPAddr()))
		return
	}
	v.g.showPlayer()
	v.g.player.openHidden("rtmp://" + srv.RTMPAddr() + "/live/" + name)
}

// read is the bridge's poll: the hub's streams once a second; bridge
// goroutine. The list is written on the UI goroutine, where the stream
// key's mask is known.
func (v *loopbackView) read() func() {
	srv := v.server()
	if srv == nil || time.Since(v.lastList) < time.Second {
		return nil
	}
	v.lastList = time.Now()
	ss := srv.Streams()
	recs := srv.Recordings()
	thumbs := map[string]image.Image{}
	var live []string
	for _, st := range ss {
		if st.Publisher == "" || strings.HasPrefix(st.Publisher, loopback.TranscoderAddr) || len(live) >= maxThumbs {
			continue
		}
		live = append(live, st.Name)
		if jpg, err := srv.Snapshot(st.Name, thumbWidth); err == nil {
			if img, err := jpeg.Decode(bytes.NewReader(jpg)); err == nil {
				thumbs[st.Name] = img
			}
		}
	}
	return func() {
		if v.server() != srv {
			return
		}
		v.listed = ss
		if text := describeStreams(ss, srv.HTTPAddr(), v.g.studio.maskName); v.streams.Text != text {
			v.streams.SetText(text)
		}
		v.showLive(live, thumbs)
		v.showRecordings(recs)
	}
}

// Thumbnails in the Loopback tab: at most maxThumbs, thumbWidth wide.
const (
	maxThumbs  = 6
	thumbWidth = 160
)

// showLive shows each live stream (names, in the hub's order) with its
// snapshot (its latest keyframe, from the server's /live/NAME.jpg) and
// Kick and Ban buttons; UI goroutine.
func (v *loopbackView) showLive(names []string, thumbs map[string]image.Image) {
	same := len(names) == len(v.thumbImgs)
	for _, name := range names {
		same = same && v.thumbImgs[name] != nil
	}
	if !same {
		v.thumbImgs = map[string]*canvas.Image{}
		var objs []fyne.CanvasObject
		for _, name := range names {
			name := name
			img := canvas.NewImageFromImage(nil)
			img.FillMode = canvas.ImageFillContain
			img.SetMinSize(fyne.NewSize(thumbWidth, thumbWidth*9/16))
			v.thumbImgs[name] = img
			caption := widget.NewLabel(v.g.studio.maskName(name))
			caption.Truncation = fyne.TextTruncateEllipsis
			kick := widget.NewButton("Kick", func() { v.kick(name) })
			ban := widget.NewButton("Ban 10 min", func() { v.ban(name, 10*time.Minute) })
			objs = append(objs, container.NewBorder(nil, container.NewVBox(caption, container.NewHBox(kick, ban)), nil, nil, img))
		}
		v.thumbs.Objects = objs
		v.thumbs.Refresh()
	}
	for name, im := range thumbs {
		if c := v.thumbImgs[name]; c != nil && c.Image != im {
			c.Image = im
			c.Refresh()
		}
	}
}

// kick ends stream name's publish; UI goroutine.
func (v *loopbackView) kick(name string) {
	if srv := v.server(); srv != nil && srv.KickStream(name) {
		v.note.SetText("Kicked the publisher of " + v.g.studio.maskName(name) + ".")
	}
}

// ban refuses stream name for d and ends its publish; UI goroutine.
func (v *loopbackView) ban(name string, d time.Duration) {
	if srv := v.server(); srv != nil {
		srv.Ban(name, d)
		v.note.SetText(fmt.Sprintf("%s is banned for %v: its publisher was let go, and publishing it is refused until then.", v.g.studio.maskName(name), d))
	}
}

// showRecordings lists the server's recordings, each with Open in Player;
// UI goroutine.
func (v *loopbackView) showRecordings(recs []loopback.Recording) {
	if slices.Equal(recs, v.recs) && len(v.recList.Objects) > 0 && v.recsFor == v.recChk.Checked {
		return
	}
	v.recs, v.recsFor = recs, v.recChk.Checked
	var rows []fyne.CanvasObject
	for _, r := range recs {
		path := r.Path
		text := fmt.Sprintf("%s  %s  %s  %.1f MB", v.g.studio.maskName(r.Stream), r.Start.Format("2006-01-02 15:04:05"),
			fmtUptime(time.Duration(r.Seconds*float64(time.Second))), float64(r.Bytes)/1e6)
		if r.Recording {
			text += "  ● recording"
		}
		l := widget.NewLabel(text)
		l.Truncation = fyne.TextTruncateEllipsis
		b := widget.NewButtonWithIcon("Open in Player", theme.MediaPlayIcon(), func() {
			v.g.showPlayer()
			v.g.player.open(path)
		})
		name := r.Name
		c := widget.NewButtonWithIcon("Copy VOD URL", theme.ContentCopyIcon(), func() { v.copyVOD(name) })
		rows = append(rows, container.NewBorder(nil, nil, nil, container.NewHBox(c, b), l))
	}
	if len(rows) == 0 {
		msg := "No recordings yet."
		if !v.recChk.Checked {
			msg += " Turn on Record every stream to record what is published here."
		}
		rows = append(rows, widget.NewLabel(msg))
	}
	v.recList.Objects = rows
	v.recList.Refresh()
}

// serverRecordDir is where the loopback server records: OnAir-server in
// the videos folder.
func (g *gui) serverRecordDir() string {
	return filepath.Join(g.recordDir(), "OnAir-server")
}

// describeStreams is the publishers and viewers list.
// mask hides a name that is the Studio's (masked) stream key.
func describeStreams(ss []loopback.StreamInfo, httpAddr string, mask func(string) string) string {
	if len(ss) == 0 {
		return "Nobody is publishing. Press Go Live in the Studio tab, or publish to the RTMP address from another program."
	}
	var b strings.Builder
	for _, s := range ss {
		if src, ok := strings.CutPrefix(s.Publisher, loopback.TranscoderAddr); ok {
			// A rendition: NAME_240p, masked as its source.
			fmt.Fprintf(&b, "● %s%s — transcoded from %s", mask(src), strings.TrimPrefix(s.Name, src), mask(src))
		} else {
			fmt.Fprintf(&b, "● %s — published from %s", mask(s.Name), s.Publisher)
		}
		fmt.Fprintf(&b, ", up %s", fmtUptime(time.Duration(s.UptimeSec*float64(time.Second))))
		if s.Kbps > 0 {
			fmt.Fprintf(&b, ", %.0f kb/s, %.1f fps", s.Kbps, s.FPS)
		}
		if s.Video != nil {
			fmt.Fprintf(&b, ", %s", s.Video.Codec)
			if s.Video.Width > 0 {
				fmt.Fprintf(&b, " %d×%d", s.Video.Width, s.Video.Height)
			}
		}
		if s.Audio != nil {
			fmt.Fprintf(&b, ", %s", s.Audio.Codec)
			if s.Audio.SampleRate > 0 {
				fmt.Fprintf(&b, " %d Hz %d ch", s.Audio.SampleRate, s.Audio.Channels)
			}
		}
		fmt.Fprintf(&b, "\n    viewers: RTMP %d, HTTP-FLV %d, HLS %d", s.Viewers["rtmp"], s.Viewers["flv"], s.Viewers["hls"])
		if s.Dropped > 0 {
			fmt.Fprintf(&b, " (viewers' drops %d)", s.Dropped)
		}
		if t := s.Transcode; t != nil {
			b.WriteString("\n    transcoded:")
			for _, g := range t.Renditions {
				fmt.Fprintf(&b, " %s %d×%d %d kb/s,", g.Name, g.Width, g.Height, g.Bitrate/1000)
			}
			if len(t.Renditions) == 0 {
				b.WriteString(" nothing,")
			}
			fmt.Fprintf(&b, " all at http://%s/live/%s/master.m3u8", httpAddr, mask(s.Name))
			if len(t.Dropped) > 0 {
				fmt.Fprintf(&b, "; dropped (this machine cannot keep real time): %s", strings.Join(t.Dropped, ", "))
			}
			if len(t.Skipped) > 0 {
				fmt.Fprintf(&b, "; left out (not smaller than the source): %s", strings.Join(t.Skipped, ", "))
			}
			if t.Error != "" {
				fmt.Fprintf(&b, "; cannot transcode: %s", t.Error)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// close stops the server and waits for it.
func (v *loopbackView) close() {
	v.mu.Lock()
	srv := v.srv
	v.srv = nil
	v.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
	v.wg.Wait()
}

// loopbackStart is what startLoopback starts: the addresses, which of
// the RTMP and HTTP ones may move to a free port when busy (RTMPS always
// may), and the RTMPS certificate (RTMPS is off without its address).
type loopbackStart struct {
	RTMP, HTTP, RTMPS          string
	FallbackRTMP, FallbackHTTP bool
	Cert                       tls.Certificate
	// RecordDir is where the server records (when Record is on).
	RecordDir string
	Record    bool
	// Ladder is the transcoded ladder (nil: none).
	Ladder []loopback.Rendition
}

// startLoopback starts the server; an address that is busy and may fall
// back is replaced with a free port on the same host, and a note says so.
func startLoopback(la loopbackStart, log *slog.Logger) (*loopback.Server, []string, error) {
	// RTMFP listens on the RTMP address over UDP (as onair serve does).
	cfg := loopback.Config{RTMPAddr: la.RTMP, HTTPAddr: la.HTTP, RTMPSAddr: la.RTMPS, RTMFPAddr: la.RTMP, Cert: la.Cert, Logger: log,
		RecordDir: la.RecordDir, RecordOff: !la.Record, VODDir: la.RecordDir, Transcode: la.Ladder}
	srv, err := loopback.Start(cfg)
	fallbackRTMPS := la.RTMPS != ""
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		return srv, nil, err
	}
	firstErr := err
	type listener struct {
		what     string
		addr     *string // in cfg
		fallback bool
		now      func(*loopback.Server) string // the address taken instead
		was      string                        // the busy one
		udp      bool
	}
	var busy []listener
	for _, c := range []listener{
		{what: "RTMP", addr: &cfg.RTMPAddr, fallback: la.FallbackRTMP, now: (*loopback.Server).RTMPAddr},
		{what: "HTTP", addr: &cfg.HTTPAddr, fallback: la.FallbackHTTP, now: (*loopback.Server).HTTPAddr},
		{what: "RTMPS", addr: &cfg.RTMPSAddr, fallback: fallbackRTMPS, now: (*loopback.Server).RTMPSAddr},
		{what: "RTMFP", addr: &cfg.RTMFPAddr, fallback: true, now: (*loopback.Server).RTMFPAddr, udp: true},
	} {
		busyNow := addrBusy(*c.addr)
		if c.udp {
			busyNow = udpBusy(*c.addr)
		}
		if c.fallback && busyNow {
			c.was = *c.addr
			busy = append(busy, c)
			if host, _, err := net.SplitHostPort(*c.addr); err == nil {
				*c.addr = net.JoinHostPort(host, "0")
			}
		}
	}
	if len(busy) == 0 {
		return nil, nil, firstErr // busy, and not one that may move
	}
	srv, err = loopback.Start(cfg)
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	for _, m := range busy {
		notes = append(notes, fmt.Sprintf("Port %s was busy: the loopback %s server listens on %s instead.", portOf(m.was), m.what, m.now(srv)))
	}
	return srv, notes, nil
}

func addrBusy(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return errors.Is(err, syscall.EADDRINUSE)
	}
	l.Close()
	return false
}

// udpBusy says whether UDP addr is taken.
func udpBusy(addr string) bool {
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return errors.Is(err, syscall.EADDRINUSE)
	}
	c.Close()
	return false
}

func portOf(addr string) string {
	if _, p, err := net.SplitHostPort(addr); err == nil {
		return p
	}
	return addr
}
