package app

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onair/app/engine"
	"onair/internal/peer"
	"onair/publish/loopback"
)

// TestWatchPageInChromium: the test source, live to the loopback server at
// 1280×720, plays in headless Chromium on the server's watch page
// (http://HTTP/live/NAME) over HTTP-FLV and over LL-HLS into Media Source
// Extensions, then in Auto mode, which is WebRTC (WHEP): the picture advances in real time
// at full size, sound comes, the page reads the latency from the test
// signal's stripe, and the page fits a 375 px wide phone. A name nobody publishes gets a clear message. With
// ONAIR_SCREENSHOT_PAGES=DIR the screenshots go there (docs/), else into
// the test's folder.
func TestWatchPageInChromium(t *testing.T) {
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	b, err := engine.Start(context.Background(), engine.Config{
		Video: "testsrc", Audio: "tone", Width: 1280, Height: 720, FPS: 30, VideoBitrate: 2_000_000,
		AudioBitrate: 96_000, Preset: "ultrafast", KeyInterval: time.Second,
		URLs: []string{"rtmp://" + srv.RTMPAddr() + "/live/cam"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if _, err := srv.Hub().WaitLive(wctx, "cam"); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	br, err := peer.StartChromium(1280, 900, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Stop()
	tab, closeTab := br.Tab()
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	defer cancel()
	shots := os.Getenv("ONAIR_SCREENSHOT_PAGES")
	if shots == "" {
		shots = t.TempDir()
	}
	defer func() {
		if t.Failed() {
			t.Logf("chromium said:\n%s", logs.String())
		}
	}()
	poll := chromedp.WithPollingInterval(100 * time.Millisecond)
	eval := func(js string) float64 {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}

	base := "http://" + srv.HTTPAddr()
	// watch plays the stream in mode ("" for Auto) and checks it.
	watch := func(mode, want string, within float64) {
		t.Helper()
		url := base + "/live/cam"
		if mode != "" {
			url += "?mode=" + mode
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('video').currentTime > 0.5`, poll)); err != nil {
			msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.onairStats)`))
			t.Fatalf("%s: the picture never moved: %v (%s)", want, err, msg)
		}
		if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`onairStats.mode`)); got != want {
			t.Errorf("mode %q, want %q", got, want)
		}
		// A window of 6 s must play steadily, near live, with the stripe
		// read. On a loaded machine (two packages' tests at once on 2
		// cores, or a busy host stealing the CPU) the encoder or the
		// browser can starve for a moment and the page then catches up:
		// up to three windows are watched, and one must pass.
		var played, lat, frames, bad float64
		var src string
		for try := 1; try <= 3; try++ {
			t0, f0 := eval(`document.getElementById('video').currentTime`), eval(`onairStats.frames`)
			time.Sleep(6 * time.Second)
			played = eval(`document.getElementById('video').currentTime`) - t0
			src, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`onairStats.latencySource`))
			lat = eval(`onairStats.latencyMs`)
			frames, bad = eval(`onairStats.frames`)-f0, eval(`onairStats.undecodable`)
			quality, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const q = document.getElementById('video').getVideoPlaybackQuality(); return q.totalVideoFrames + " decoded, " + q.droppedVideoFrames + " dropped"; })()`))
			fps := 0.0
			for _, st := range srv.Hub().Streams() {
				fps = st.FPS
			}
			t.Logf("%s in Chromium, window %d: played %.2f s in 6 s, latency %.0f ms (%s), %.0f ms buffered, %v pictures read, %v undecodable in all; the browser: %s since the page opened; the server receives %.1f fps",
				want, try, played, lat, src, eval(`onairStats.bufferMs || 0`), frames, bad, quality, fps)
			// Under load (the race pass, a busy host) headless Chromium
			// presented 70 to 100 pictures in the window; fewer than 30
			// would mean no real reading.
			if played >= 5 && src == "stripe" && lat > 0 && lat <= within && frames >= 30 {
				break
			}
		}
		if played < 5 {
			t.Errorf("%s: the picture advanced %.2f s in 6 s, want ≥ 5", want, played)
		}
		if src != "stripe" || lat <= 0 || lat > within {
			t.Errorf("%s: latency %.0f ms from %q, want 0..%v ms from the stripe", want, lat, src, within)
		}
		if frames < 30 || bad > eval(`onairStats.frames`)/10 {
			t.Errorf("%s: %v pictures read in the window, %v in all without a readable stripe", want, frames, bad)
		}
		if w := eval(`document.getElementById('video').videoWidth`); w != 1280 {
			t.Errorf("%s: videoWidth %v, want 1280", want, w)
		}
		sound := `document.getElementById('video').webkitAudioDecodedByteCount`
		if want == "whep" { // WebRTC decodes the sound itself: count what came
			sound = `onairPlayer.pc.getStats().then((r) => { let n = 0; r.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "audio") n = s.packetsReceived; }); return n; })`
		}
		if a, err := chromedp.Run(ctx, chromedp.Evaluate[float64](sound, chromedp.EvalAwaitPromise)); err != nil || a <= 0 {
			t.Errorf("%s: no sound (%v, %v)", want, a, err)
		}
	}
	// The targets (200 ms for WebRTC, 1 s for LL-HLS) are measured by the
	// browser benchmark (make bench -only browser) on a quiet machine. Here
	// the encoder, the server and Chromium share 2 cores with another
	// package's tests, and a busy host steals more (WebRTC measured 500 to
	// 700 ms when the server received 25 of 30 fps), so the test asks for a
	// live picture: under 1 s for WebRTC, 1.5 s for HTTP-FLV, 2 s for LL-HLS.
	watch("flv", "flv", 1500)
	watch("llhls", "llhls", 2000)
	watch("", "whep", 1000)
	if w, err := peer.ShotDesktopAndPhone(ctx, shots, "watch-page"); err != nil || w > 375 {
		t.Errorf("at 375 px wide the page is %v px wide (%v)", w, err)
	}

	// A tab on WebRTC is closed: the page hangs up as it goes (a DELETE on
	// page hide), and the server lets the viewer go at once, not after
	// ICE's silence timeout.
	whepViewers := func() int {
		n := 0
		for _, c := range srv.Clients() {
			if c.Protocol == "whep" {
				n++
			}
		}
		return n
	}
	waitViewers := func(want func(int) bool) int {
		for deadline := time.Now().Add(5 * time.Second); !want(whepViewers()) && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		return whepViewers()
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	if n := waitViewers(func(n int) bool { return n == 0 }); n != 0 {
		t.Errorf("%d WebRTC viewers after the page was left", n)
	}
	other, closeOther := br.Tab()
	if err := chromedp.Do(other, chromedp.Navigate(base+"/live/cam?mode=whep")); err != nil {
		t.Fatal(err)
	}
	if n := waitViewers(func(n int) bool { return n > 0 }); n != 1 {
		t.Errorf("%d WebRTC viewers with one tab open, want 1", n)
	}
	closeOther()
	closed := time.Now()
	if n := waitViewers(func(n int) bool { return n == 0 }); n != 0 {
		t.Errorf("%d WebRTC viewers still on the server 5 s after the tab was closed", n)
	} else if d := time.Since(closed); d > 2*time.Second {
		t.Errorf("the server let the closed tab's WebRTC viewer go after %v, want ≤ 2 s", d)
	}

	// Nobody publishes that name: the page says so, and keeps trying.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/live/nothing")); err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById('message').textContent`, poll))
	if err != nil || !strings.Contains(msg, "no live stream named nothing") || !strings.Contains(msg, "trying again") {
		t.Errorf("for a name nobody publishes: %q, %v", msg, err)
	}
}
