package loopback

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onair/internal/peer"
	"onair/publish/flv"
)

// TestWebPagesInChromium: in headless Chromium, the index page lists the
// live stream (codecs, thumbnail from the snapshot) without a reload, fits
// a 375 px wide phone, and says so when the stream ends; a page of another
// origin reads the API and the HLS playlist (CORS), and plays the LL-HLS
// playlist with hls.js in low-latency mode. With
// ONAIR_SCREENSHOT_PAGES=DIR the desktop and phone screenshots are written
// there (docs/loopback-page*.png), else into the test's folder.
func TestWebPagesInChromium(t *testing.T) {
	s := startServer(t, Config{})
	ff := ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/cam", 50*time.Second)
	waitStream(t, s, "cam")
	var logs peer.LockedBuffer
	br, err := peer.StartChromium(1280, 800, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Stop()
	tab, closeTab := br.Tab()
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	shots := os.Getenv("ONAIR_SCREENSHOT_PAGES")
	if shots == "" {
		shots = t.TempDir()
	}
	base := "http://" + s.HTTPAddr()

	card := `document.querySelector('article[data-stream="cam"]')`
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	codecs, err := chromedp.Run(ctx, chromedp.Poll[string](card+`?.querySelector('.codecs').textContent`, chromedp.WithPollingInterval(100*time.Millisecond)))
	if err != nil {
		t.Fatalf("the stream's card never showed: %v", err)
	}
	if !strings.Contains(codecs, "h264 320×240") || !strings.Contains(codecs, "aac") {
		t.Errorf("codecs %q", codecs)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](card+`.querySelector('.thumb').style.backgroundImage.startsWith('url(')`, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Errorf("no thumbnail: %v", err)
	}
	rtmp, err := chromedp.Run(ctx, chromedp.Evaluate[string](card+`.querySelector('button').title`))
	if _, port, _ := strings.Cut(s.RTMPAddr(), ":"); err != nil || rtmp != "rtmp://127.0.0.1:"+port+"/live/cam" {
		t.Errorf("RTMP address %q, %v", rtmp, err)
	}
	width, err := peer.ShotDesktopAndPhone(ctx, shots, "loopback-page")
	if err != nil || width > 375 {
		t.Errorf("at 375 px wide the page is %d px wide (%v)", width, err)
	}

	// A page of another origin reads the API and the playlist.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>elsewhere</title>")
	}))
	defer other.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(other.URL)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/streams", "/live/cam/master.m3u8", "/live/cam/index.m3u8"} {
		js := fmt.Sprintf(`fetch(%q, {headers: {"Authorization": "Bearer none"}}).then(r => r.status + " " + r.headers.get("content-type")).catch(e => "failed: " + e)`, base+path)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil || !strings.HasPrefix(got, "200 ") {
			t.Errorf("a page of another origin fetching %s: %q, %v", path, got, err)
		}
	}

	// hls.js (from npm, pinned: .ci/webpeers) in low-latency mode plays the
	// LL-HLS playlist from a page of another origin.
	hlsjs, err := os.ReadFile("testdata/webpeers/node_modules/hls.js/dist/hls.min.js")
	if err != nil {
		t.Fatalf("hls.js is not installed: run `make deps-test` (npm ci in publish/loopback/testdata/webpeers): %v", err)
	}
	player := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hls.min.js" {
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write(hlsjs)
			return
		}
		fmt.Fprintf(w, `<!doctype html><video id="v" muted autoplay playsinline></video><script src="/hls.min.js"></script><script>
window.hlsErrors = [];
const hls = new Hls({lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5});
hls.on(Hls.Events.ERROR, (e, d) => hlsErrors.push(d.type + ":" + d.details + (d.fatal ? " (fatal)" : "")));
hls.loadSource(%q);
hls.attachMedia(document.getElementById("v"));
window.hlsjs = hls;
</script>`, base+"/live/cam/ll/index.m3u8")
	}))
	defer player.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(player.URL)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('v').currentTime > 0.5`, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		errs, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`hlsErrors.join("; ")`))
		t.Fatalf("hls.js never played the LL-HLS playlist: %v (%s)", err, errs)
	}
	// On a loaded machine (two packages' tests at once on 2 cores) the
	// publisher and the browser can starve for a moment and hls.js stalls;
	// it then catches up (maxLiveSyncPlaybackRate). So up to three 6 s
	// windows are watched and one of them must play steadily, near live.
	var played, lat, part float64
	var errs string
	for try := 1; try <= 3; try++ {
		t0, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById('v').currentTime`))
		time.Sleep(6 * time.Second)
		t1, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById('v').currentTime`))
		lat, _ = chromedp.Run(ctx, chromedp.Evaluate[float64](`hlsjs.latency`))
		part, _ = chromedp.Run(ctx, chromedp.Evaluate[float64](`hlsjs.levels[0].details.partTarget`))
		errs, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`hlsErrors.join("; ")`))
		played = t1 - t0
		t.Logf("hls.js on LL-HLS, window %d: played %.2f s in 6 s, latency %.2f s (its own figure), part target %v, errors %q", try, played, lat, part, errs)
		if played >= 5 && lat > 0 && lat <= 2 {
			break
		}
	}
	if played < 5 || part != 0.2 || lat <= 0 || lat > 2 || strings.Contains(errs, "fatal") {
		t.Errorf("hls.js on LL-HLS: played %.2f s in 6 s, latency %.2f s, part target %v, errors %q", played, lat, part, errs)
	}

	// The stream ends: the page says nothing is live, without a reload.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](card+` !== null`, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	_ = ff.Process.Kill()
	empty, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById('empty')?.textContent`, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)))
	if err != nil || !strings.Contains(empty, "Nothing is live") {
		t.Errorf("after the stream ended: %q, %v", empty, err)
	}

	// The page's parsers (web/flv.js) take damaged input: the FLV reader
	// stops with an error, never throws or hangs; the SPS reader returns a
	// size or throws an Error.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/live/nothing")); err != nil {
		t.Fatal(err)
	}
	runs, err := chromedp.Run(ctx, chromedp.Evaluate[int](damagedInput, chromedp.EvalAwaitPromise))
	if err != nil || runs != 200 {
		t.Errorf("damaged input: %d runs, %v", runs, err)
	}
	// Frame times that wobble and a gap in the sound leave what is buffered
	// in one piece (pictures last until the next; before, they overlapped
	// and Chromium dropped the rest of the group of pictures).
	ranges, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(wobblyInput, wobblyFLV(t)), chromedp.EvalAwaitPromise))
	if err != nil || strings.Count(ranges, "[") != 2 {
		t.Errorf("wobbly frame times and a gap in the sound: buffered video and audio %q (want one range each), %v", ranges, err)
	}
	if t.Failed() {
		t.Logf("chromium said:\n%s", logs.String())
	}
}

// wobblyFLV is 3 s of H.264 and AAC from the ffmpeg CLI whose pictures'
// times step 33, 60, 10 and 30 ms in turn, with two sound frames left
// out, base64-encoded.
func wobblyFLV(t *testing.T) string {
	t.Helper()
	out, err := peer.FFmpeg(context.Background(),
		"-f", "lavfi", "-i", "testsrc2=size=160x96:rate=30", "-f", "lavfi", "-i", "sine=sample_rate=48000",
		"-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-bf", "0", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-f", "flv", "pipe:1")
	if err != nil {
		t.Fatal(err)
	}
	tr := flv.NewTagReader(bytes.NewReader(out))
	if _, err := tr.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_ = flv.WriteHeader(&b, true, true)
	steps := []uint32{33, 60, 10, 30}
	var vt uint32
	pictures, sounds := 0, 0
	for {
		tag, err := tr.ReadTag()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ts := tag.Timestamp
		switch {
		case tag.Type == flv.TagTypeVideo && len(tag.Data) > 1 && tag.Data[1] == 1:
			ts = vt
			vt += steps[pictures%len(steps)]
			pictures++
		case tag.Type == flv.TagTypeAudio && len(tag.Data) > 1 && tag.Data[1] == 1:
			sounds++
			if sounds == 41 || sounds == 42 {
				continue
			}
		}
		_ = flv.WriteTag(&b, tag.Type, ts, tag.Data)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// wobblyInput feeds web/flv.js the FLV in base64 (%%q) and returns the
// video and the audio buffered ranges, or why the player failed.
const wobblyInput = `(async () => {
  let failed = "";
  const p = new FLVPlayer(document.createElement("video"), null, (e) => { failed = "the player failed: " + e.message; });
  await p.opened;
  p.feed(Uint8Array.from(atob(%q), (c) => c.charCodeAt(0)));
  const busy = (t) => t && (t.sb.updating || t.queue.length > 0);
  for (let i = 0; i < 200 && !failed && (busy(p.vtrack) || busy(p.atrack)); i++) await new Promise((r) => setTimeout(r, 20));
  if (failed) return failed;
  const r = (sb) => { let s = ""; for (let i = 0; i < sb.buffered.length; i++) s += "[" + sb.buffered.start(i).toFixed(3) + "," + sb.buffered.end(i).toFixed(3) + "]"; return s; };
  const out = r(p.vtrack.sb) + " " + r(p.atrack.sb);
  p.close();
  return out;
})()`

// damagedInput feeds web/flv.js 200 damaged FLV streams, in random
// pieces, and its SPS reader 5000 damaged configurations.
const damagedInput = `(async () => {
  const hex = (h) => Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
  const avcC = hex("0164001fffe1001a6764001facd9405005bb0110000003001000000303c0f1831960");
  const tag = (type, ts, body) => {
    const t = new Uint8Array(11 + body.length + 4);
    t.set([type, body.length >> 16, (body.length >> 8) & 255, body.length & 255, (ts >> 16) & 255, (ts >> 8) & 255, ts & 255, 0, 0, 0, 0]);
    t.set(body, 11);
    const n = 11 + body.length;
    t.set([n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255], 11 + body.length);
    return t;
  };
  const seed = concat([hex("464c5601050000000900000000"),
    tag(9, 0, concat([hex("1700000000"), avcC])), tag(8, 0, hex("af001190")),
    tag(9, 0, hex("17010000000000000565888400")), tag(8, 0, hex("af0121100405")),
    tag(9, 33, hex("27010000000000000541e02000"))]);
  let runs = 0;
  for (let i = 0; i < 200; i++) {
    const p = new FLVPlayer(document.createElement("video"), null, () => {});
    await p.opened;
    const m = seed.slice();
    for (let k = 1 + Math.floor(Math.random() * 8); k > 0; k--) m[Math.floor(Math.random() * m.length)] = Math.floor(Math.random() * 256);
    const end = Math.random() < 0.3 ? Math.floor(Math.random() * m.length) : m.length;
    for (let o = 0; o < end; ) {
      const c = 1 + Math.floor(Math.random() * 40);
      if (!p.feed(m.subarray(o, Math.min(o + c, end)))) break;
      o += c;
    }
    p.close();
    runs++;
  }
  for (let i = 0; i < 5000; i++) {
    const a = avcC.slice();
    a[8 + Math.floor(Math.random() * (a.length - 8))] ^= 1 << Math.floor(Math.random() * 8);
    try {
      const r = spsSize(a.subarray(0, Math.random() < 0.2 ? Math.floor(Math.random() * a.length) : a.length));
      if (typeof r.width !== "number" || typeof r.height !== "number") throw new TypeError("no size");
    } catch (e) {
      if (!(e instanceof Error) || e instanceof TypeError || e instanceof RangeError) throw e;
    }
  }
  return runs;
})()`
