package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	_ "onair/app/guilocale" // a locale Fyne can parse, before Fyne reads it
	"onair/assets"
	"onair/internal/logx"
)

// guiAppID is the application ID of FyneApp.toml; Fyne keeps the
// preferences under it.
const guiAppID = "dev.onair.studio"

// Defaults of the loopback server the window starts.
const (
	defaultRTMPAddr = "127.0.0.1:1935"
	defaultHTTPAddr = "127.0.0.1:8080"
	// defaultRTMPSAddr: RTMPS beside RTMP, as MediaMTX and SRS put it.
	defaultRTMPSAddr = "127.0.0.1:1936"
)

// guiOptions are the window's start-up options (the flags) and a few
// knobs for tests.
type guiOptions struct {
	// RTMPAddr and HTTPAddr are the loopback server's addresses; with
	// FallbackRTMP (FallbackHTTP) that address, when busy, becomes a free
	// port on the same host (a note in the window says so).
	RTMPAddr, HTTPAddr         string
	FallbackRTMP, FallbackHTTP bool
	// RTMPSAddr, when set, is the loopback's RTMPS address (a free port
	// on the same host when busy), with the self-signed certificate kept
	// in CertDir (empty: the user's config folder, onair/).
	RTMPSAddr, CertDir string
	// StartStreaming goes live at start; Play opens a URL in the Player
	// tab at start (after going live, with both).
	StartStreaming bool
	Play           string
	// NullAudio plays silently (no sound device needed).
	NullAudio bool
	// SnapshotDir overrides where snapshots go; RecordDir where the
	// Studio's recordings go.
	SnapshotDir string
	RecordDir   string
	Logger      *slog.Logger
}

// gui is the window: three tabs over the engines, one bridge between.
type gui struct {
	app   fyne.App
	win   fyne.Window
	opts  guiOptions
	log   *slog.Logger
	prefs fyne.Preferences
	br    *bridge

	studio *studioView
	player *playerView
	loop   *loopbackView

	tabs                          *container.AppTabs
	studioTab, playerTab, loopTab *container.TabItem
	fullscreen, closing, building bool // UI goroutine only
	wg                            sync.WaitGroup
	closeOnce                     sync.Once
	quit                          *quitWatch // the real window only (runGUI)
}

// runGUI is `onair`, `onair gui` and `onair --flags`: the window.
func runGUI(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("onair gui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		start     = fs.Bool("startstreaming", false, "go live as soon as the window opens")
		play      = fs.String("play", "", "open this URL in the Player tab at start")
		rtmpAddr  = fs.String("rtmp", "", "loopback RTMP address (default "+defaultRTMPAddr+", a free port when that is busy)")
		httpAddr  = fs.String("http", "", "loopback HTTP address (default "+defaultHTTPAddr+", a free port when that is busy)")
		rtmpsAddr = fs.String("rtmps", defaultRTMPSAddr, "loopback RTMPS address, self-signed (a free port when that is busy; \"\" turns RTMPS off)")
		nullAudio = fs.Bool("null-audio", false, "the player plays silently (null audio device)")
		logLevel  = fs.String("log-level", "warn", "log level on stderr: debug, info, warn, error")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: onair [gui] [--startstreaming] [--play URL] [--rtmp ADDR] [--http ADDR] [--rtmps ADDR]")
		fs.PrintDefaults()
	}
	if stop, err := parseFlags(fs, args); stop {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags start with --; commands: onair help)", fs.Arg(0))
	}
	if err := checkDisplay(); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	opts := guiOptions{RTMPAddr: *rtmpAddr, HTTPAddr: *httpAddr, RTMPSAddr: *rtmpsAddr, StartStreaming: *start, Play: *play,
		NullAudio: *nullAudio, Logger: log, FallbackRTMP: *rtmpAddr == "", FallbackHTTP: *httpAddr == ""}
	if opts.RTMPAddr == "" {
		opts.RTMPAddr = defaultRTMPAddr
	}
	if opts.HTTPAddr == "" {
		opts.HTTPAddr = defaultHTTPAddr
	}
	icon := fyne.NewStaticResource("icon.png", assets.Icon())
	fyneapp.SetMetadata(fyne.AppMetadata{ID: guiAppID, Name: "OnAir", Version: Version, Build: 1, Icon: icon,
		Migrations: map[string]bool{"fyneDo": true}})
	a := fyneapp.NewWithID(guiAppID)
	a.SetIcon(icon)
	w := a.NewWindow("OnAir")
	w.SetIcon(icon)
	w.Resize(fyne.NewSize(1200, 760))
	g := newGUI(a, w, opts)
	w.SetCloseIntercept(g.requestClose)

	// Ctrl-C and SIGTERM: Fyne's GL driver catches them itself and ends its
	// loop, so ShowAndRun returns and Close below stops the engines (a
	// broadcast still sends what is queued). Nothing here may touch the
	// window then: GLFW is gone, and a window call panics. ctx ending for
	// any other reason ends the loop the same way. The quit watch ends
	// the program when Fyne's loop does not return (see quitWatch).
	g.quit = newQuitWatch(ctx, quitGrace, g.quitLoop, func() {
		g.log.Warn("the window toolkit did not return from its loop within the grace after quitting (a known Fyne race); stopping and exiting", "grace", quitGrace)
		g.Close()
		os.Exit(0)
	})
	w.ShowAndRun()
	g.quit.done()
	g.Close()
	return nil
}

// quitLoop ends the app's event loop. Unlike App.Quit it makes no window
// call, so it is safe when the loop has already ended (after a signal,
// fyne.Do runs it on the calling goroutine, with GLFW terminated).
func (g *gui) quitLoop() {
	if g.quit != nil {
		g.quit.asked()
	}
	g.app.Driver().Quit()
}

// checkDisplay says so in words when there is no display to open a window
// on (the GLFW driver needs X11 on Linux and the BSDs).
func checkDisplay() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		if os.Getenv("DISPLAY") == "" {
			return errors.New("no display: the window needs an X11 session (DISPLAY is not set); `onair demo` runs the whole chain without one, `onair help` lists the commands")
		}
	}
	return nil
}

// newGUI builds the window's content on w and starts what the first start
// needs: the loopback server, the preview, and the start-up actions. UI
// goroutine (or before the app runs).
func newGUI(a fyne.App, w fyne.Window, opts guiOptions) *gui {
	opts.Logger = logx.OrDiscard(opts.Logger)
	g := &gui{app: a, win: w, opts: opts, log: opts.Logger, prefs: a.Preferences()}
	g.br = newBridge(fyne.Do, 250*time.Millisecond, time.Second/60)
	g.onUI(func() {
		g.building = true
		g.build()
		g.building = false
		g.startup()
	})
	return g
}

// build makes the tabs and turns the loopback server on (unless the
// streamer turned it off); a UI function.
func (g *gui) build() {
	w := g.win
	g.studio = newStudioView(g)
	g.player = newPlayerView(g)
	g.loop = newLoopbackView(g)

	g.studioTab = container.NewTabItemWithIcon("Studio", theme.MediaRecordIcon(), g.studio.content)
	g.playerTab = container.NewTabItemWithIcon("Player", theme.MediaPlayIcon(), g.player.content)
	g.loopTab = container.NewTabItemWithIcon("Loopback", theme.ComputerIcon(), g.loop.content)
	g.tabs = container.NewAppTabs(g.studioTab, g.playerTab, g.loopTab)
	g.tabs.OnSelected = func(t *container.TabItem) {
		// The preview source runs only while it can be seen.
		if t == g.studioTab {
			g.studio.startPreview()
		} else {
			g.studio.stopPreview()
		}
		if t == g.loopTab {
			g.loop.refreshURLs()
		}
	}
	w.SetContent(g.tabs)
	w.Canvas().SetOnTypedKey(g.typedKey)
	g.player.addShortcuts(w.Canvas(), g.onPlayer)
	w.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { g.player.dropped(uris) })

	if g.prefs.BoolWithFallback(prefLoopback, true) {
		g.loop.start()
	} else {
		g.loop.setChecked(false)
		g.loop.refreshURLs()
	}
}

// startup runs the start-up flags and starts the preview; a UI function.
func (g *gui) startup() {
	opts := g.opts
	openPlay := func() {
		if opts.Play != "" {
			g.showPlayer()
			g.player.open(opts.Play)
		}
	}
	switch {
	case opts.StartStreaming:
		g.studio.startPreview()
		g.studio.goLive(func(bool) { openPlay() })
	case opts.Play != "":
		openPlay()
	default:
		g.studio.startPreview()
	}
}

// showPlayer selects the Player tab; UI goroutine.
func (g *gui) showPlayer() {
	if !g.fullscreen {
		g.tabs.Select(g.playerTab)
	}
}

// onPlayer reports whether the Player shows (its tab, or fullscreen).
func (g *gui) onPlayer() bool { return g.fullscreen || g.tabs.Selected() == g.playerTab }

// typedKey: on the Player, F toggles fullscreen, Esc leaves it, and the
// player's keys act (playerView.key). Keys typed into an entry do not come
// here.
func (g *gui) typedKey(ev *fyne.KeyEvent) {
	switch {
	case ev.Name == fyne.KeyF && g.onPlayer():
		g.toggleFullScreen()
	case ev.Name == fyne.KeyEscape && g.fullscreen:
		g.toggleFullScreen()
	case g.onPlayer():
		g.player.key(ev.Name)
	}
}

// toggleFullScreen shows the video alone on the whole screen, or goes
// back to the tabs; UI goroutine.
func (g *gui) toggleFullScreen() {
	v := g.player
	if !g.fullscreen {
		g.showPlayer()
		g.win.Canvas().Unfocus()
		v.videoArea.Remove(v.video)
		g.win.SetContent(v.video)
		g.win.SetFullScreen(true)
		g.fullscreen = true
		return
	}
	g.win.SetFullScreen(false)
	g.win.SetContent(g.tabs)
	v.videoArea.Add(v.video)
	g.fullscreen = false
}

// requestClose is the window's close button: stop everything, then quit.
// The engines may take a moment (a broadcast sends what is queued), so the
// window hides at once and the app quits when they are done. UI goroutine.
func (g *gui) requestClose() {
	if g.closing {
		return
	}
	g.win.Hide()
	g.stopAll()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.waitAll()
		g.br.post(g.quitLoop)
		g.br.close()
	}()
}

// stopAll tells every engine to stop; UI goroutine.
func (g *gui) stopAll() {
	g.closing = true
	g.studio.stopPreview()
	if g.studio.stop != nil {
		g.studio.stop()
	}
	if g.player.stop != nil {
		g.player.stop()
	}
}

// waitAll waits for every engine and goroutine of the views; the loopback
// server last (the broadcast unpublishes from it).
func (g *gui) waitAll() {
	g.studio.close()
	g.player.close()
	g.loop.close()
}

// Close stops the broadcast, the player, the preview and the loopback
// server and waits for them and for the bridge. Not on the UI goroutine
// while the app runs (it waits for goroutines that post to it): after
// Run returns, or from a test.
func (g *gui) Close() {
	g.closeOnce.Do(func() {
		g.onUI(func() {
			if !g.closing {
				g.stopAll()
			}
		})
		g.wg.Wait()
		g.waitAll()
		g.br.close()
	})
}

// onUI runs fn as a UI function (tests: Fyne's test driver has no UI
// goroutine, the bridge's lock stands in for it).
func (g *gui) onUI(fn func()) {
	g.br.ui.Lock()
	defer g.br.ui.Unlock()
	fn()
}

// setText sets a label's text when it differs: Fyne repaints the whole
// window for any refresh, and the bridge's figures mostly stay the same
// from one batch to the next; UI goroutine.
func setText(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
}

// newStatusLabel is a one-line status: long messages end in an ellipsis.
func newStatusLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}
