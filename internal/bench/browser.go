package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"time"

	"github.com/chromedp/chromedp"

	"onair/internal/peer"
)

// browserViewers is how many tabs watch at once while the servers' CPU is
// measured (2 cores also decode them).
const browserViewers = 3

// hlsjsPath is hls.js as .ci/webpeers installs it (npm, pinned).
const hlsjsPath = "publish/loopback/testdata/webpeers/node_modules/hls.js/dist/hls.min.js"

// browserMode is one way a browser watches the stream.
type browserMode struct {
	name   string
	server string // "OnAir" or "nginx-rtmp"
	url    string // the page
	target time.Duration
}

type browserResult struct {
	median, p95 time.Duration
	samples     int
	played      float64 // seconds of picture per second of wall clock
	cpuPer      float64 // the server's CPU seconds per second per viewer
	err         error
}

// runBrowserBench: one 720p30 test-source stream from `onair live`, live
// to OnAir's loopback server and to nginx-rtmp at once, watched in headless
// Chromium: glass to glass read from the test signal's stripe in the page
// (web/stripe.js, the same reader for every mode), for OnAir's watch page
// in each of its modes and for HLS played by hls.js from either server;
// then the server's CPU per viewer with browserViewers tabs in each mode.
func runBrowserBench(bin string, ng *peer.Nginx, dur time.Duration) error {
	hlsjs, err := os.ReadFile(hlsjsPath)
	if err != nil {
		return fmt.Errorf("hls.js is not installed: run `make deps-bench` (npm ci in publish/loopback/testdata/webpeers): %w", err)
	}
	var extra []string
	if p := os.Getenv("ONAIR_SERVE_CPUPROFILE"); p != "" {
		extra = append(extra, "--cpuprofile", p)
	}
	srv, rtmpAddr, httpAddr, err := startServeHTTP(bin, extra...)
	if err != nil {
		return err
	}
	defer stopCmd(srv)
	base := "http://" + httpAddr
	pub, err := startPublisherTo(bin, time.Hour, "rtmp://"+rtmpAddr+"/live/bench", ng.URL("live", "browser"))
	if err != nil {
		return err
	}
	defer stopCmd(pub)

	// hls.js's page: the same stripe reader as the watch page, from OnAir.
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hls.min.js" {
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write(hlsjs)
			return
		}
		fmt.Fprintf(w, `<!doctype html><video id="video" muted autoplay playsinline></video>
<script src="/hls.min.js"></script><script src="%s/web/stripe.js"></script><script>
const video = document.getElementById("video");
const stats = { latencyMs: null, frames: 0, undecodable: 0, error: "" };
window.onairStats = stats;
const hls = new Hls({ lowLatencyMode: %v });
hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) stats.error = d.type + ": " + d.details; });
hls.loadSource(%q);
hls.attachMedia(video);
new StripeReader(video, (ms, ok) => { stats.frames++; if (ok) stats.latencyMs = ms; else stats.undecodable++; });
</script>`, base, r.URL.Query().Get("ll") == "1", r.URL.Query().Get("src"))
	}))
	defer pages.Close()
	hlsPage := func(src string, ll bool) string {
		u := pages.URL + "/?src=" + src
		if ll {
			u += "&ll=1"
		}
		return u
	}
	modes := []browserMode{
		{name: "WebRTC (WHEP), watch page", server: "OnAir", url: base + "/live/bench?mode=whep", target: 200 * time.Millisecond},
		{name: "LL-HLS (MSE), watch page", server: "OnAir", url: base + "/live/bench?mode=llhls", target: time.Second},
		{name: "HTTP-FLV (MSE), watch page", server: "OnAir", url: base + "/live/bench?mode=flv", target: time.Second},
		{name: "LL-HLS, hls.js low-latency", server: "OnAir", url: hlsPage(base+"/live/bench/ll/index.m3u8", true), target: 2 * time.Second},
		{name: "HLS (MPEG-TS), hls.js", server: "OnAir", url: hlsPage(base+"/live/bench/index.m3u8", false)},
		{name: "HLS (MPEG-TS), hls.js", server: "nginx-rtmp", url: hlsPage(ng.HLSURL("browser"), false)},
	}

	br, err := peer.StartChromium(1280, 800, nil)
	if err != nil {
		return err
	}
	defer br.Stop()
	// Both servers cut HLS from the first keyframe on; hls.js wants a few
	// segments before it starts.
	time.Sleep(6 * time.Second)

	results := make([]browserResult, len(modes))
	for i, m := range modes {
		fmt.Fprintf(os.Stderr, "bench: browser: %s from %s: glass to glass ...\n", m.name, m.server)
		results[i] = watchInBrowser(br, m.url, dur)
	}
	// The servers' CPU with nobody watching, then with the tabs of each mode.
	pids := map[string]int{"OnAir": srv.Process.Pid, "nginx-rtmp": ng.PID()}
	idle := map[string]float64{}
	for name, pid := range pids {
		fmt.Fprintf(os.Stderr, "bench: browser: %s with no viewer ...\n", name)
		if idle[name], err = cpuOver(pid, dur); err != nil {
			return err
		}
	}
	for i, m := range modes {
		if results[i].err != nil {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: browser: %s from %s: CPU with %d tabs ...\n", m.name, m.server, browserViewers)
		var tabs []context.CancelFunc
		for k := 0; k < browserViewers; k++ {
			tab, closeTab := br.Tab()
			tabs = append(tabs, closeTab)
			if err := chromedp.Do(tab, chromedp.Navigate(m.url)); err != nil {
				results[i].err = err
			}
		}
		time.Sleep(5 * time.Second)
		cpu, err := cpuOver(pids[m.server], dur)
		for _, c := range tabs {
			c()
		}
		if err != nil {
			return err
		}
		results[i].cpuPer = (cpu - idle[m.server]) / browserViewers
	}

	fmt.Printf("\nBrowser: one 720p30 test-source stream (onair live, 1 s GOP) live to OnAir serve and to nginx-rtmp (hls_fragment 1s), "+
		"watched in headless Chromium on loopback, %v per measurement, %d cores. Glass to glass from the test signal's stripe read in the page; "+
		"server CPU per viewer = (CPU with %d tabs − CPU with none) ÷ %d, idle: OnAir %.3f s/s, nginx-rtmp %.3f s/s\n\n",
		dur, numCPU(), browserViewers, browserViewers, idle["OnAir"], idle["nginx-rtmp"])
	fmt.Println("| mode | server | glass to glass median | p95 | pictures read | played s/s | server CPU ms/s per viewer | target | result |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	failed := false
	for i, m := range modes {
		r := results[i]
		target, verdict := "—", "ok"
		if m.target > 0 {
			target = fmt.Sprintf("≤ %v", m.target)
		}
		switch {
		case r.err != nil:
			verdict = "FAIL: " + r.err.Error()
		case r.played < 0.9:
			verdict = fmt.Sprintf("FAIL: the picture advanced %.2f s per s", r.played)
		case m.target > 0 && r.median > m.target:
			verdict = "FAIL"
		}
		if verdict != "ok" {
			failed = true
		}
		cpu := fmt.Sprintf("%.1f", r.cpuPer*1000)
		if r.cpuPer < 0.0005 { // below what /proc's 10 ms ticks resolve here
			cpu = "≈ 0"
		}
		fmt.Printf("| %s | %s | %d ms | %d ms | %d | %.2f | %s | %s | %s |\n", m.name, m.server,
			r.median.Milliseconds(), r.p95.Milliseconds(), r.samples, r.played, cpu, target, verdict)
	}
	if failed {
		return fmt.Errorf("a browser mode missed its target")
	}
	return nil
}

// watchInBrowser opens url in a new tab, waits for the picture to move,
// lets it settle, and then samples the page's stripe reading
// (window.onairStats) for dur.
func watchInBrowser(br *peer.Chromium, url string, dur time.Duration) browserResult {
	var r browserResult
	tab, closeTab := br.Tab()
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, dur+60*time.Second)
	defer cancel()
	if r.err = chromedp.Do(ctx, chromedp.Navigate(url)); r.err != nil {
		return r
	}
	poll := chromedp.WithPollingInterval(100 * time.Millisecond)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('video').currentTime > 0.5`, poll, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`onairStats.error`))
		r.err = fmt.Errorf("the picture never moved: %v %s", err, msg)
		return r
	}
	time.Sleep(4 * time.Second) // past the start: players catch up to their distance
	type sample struct {
		Lat    *float64 `json:"lat"`
		Frames float64  `json:"frames"`
		Time   float64  `json:"time"`
	}
	read := func() (sample, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[sample](`({lat: onairStats.latencyMs, frames: onairStats.frames, time: document.getElementById('video').currentTime})`))
	}
	first, err := read()
	if err != nil {
		r.err = err
		return r
	}
	var lats []time.Duration
	last, start := first, time.Now()
	for time.Since(start) < dur {
		time.Sleep(200 * time.Millisecond)
		s, err := read()
		if err != nil {
			r.err = err
			return r
		}
		if s.Frames != last.Frames && s.Lat != nil {
			lats = append(lats, time.Duration(*s.Lat*float64(time.Millisecond)))
		}
		last = s
	}
	r.played = (last.Time - first.Time) / time.Since(start).Seconds()
	r.samples = len(lats)
	if len(lats) == 0 {
		r.err = fmt.Errorf("no readable stripe")
		return r
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	r.median, r.p95 = lats[len(lats)/2], lats[len(lats)*95/100]
	return r
}

// cpuOver is process pid's CPU seconds per second over dur.
func cpuOver(pid int, dur time.Duration) (float64, error) {
	u0, s0, err := procUserSys(pid)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	time.Sleep(dur)
	u1, s1, err := procUserSys(pid)
	if err != nil {
		return 0, err
	}
	return (u1 - u0 + s1 - s0).Seconds() / time.Since(t0).Seconds(), nil
}

// startPublisherTo runs `onair live` (720p30, 2.5 Mbit/s, 1 s GOP) to
// every url at once.
func startPublisherTo(bin string, dur time.Duration, urls ...string) (*exec.Cmd, error) {
	args := []string{"live", "--size", "1280x720", "--fps", "30", "--vbitrate", "2500k",
		"--preset", "ultrafast", "--keyint", "1s", "--duration", dur.String()}
	for _, u := range urls {
		args = append(args, "--to", u)
	}
	cmd := exec.Command(bin, args...)
	return cmd, cmd.Start()
}
