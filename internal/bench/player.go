package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"onair/capture"
	"onair/internal/media"
	"onair/internal/peer"
	"onair/internal/testsignal"
)

// Player benchmarks (issue 4): time to first frame, glass-to-glass
// latency, latency creep and memory, OnAir beside the ffmpeg CLI.

type playerFigures struct {
	ttffOnAir, ttffFFDefault, ttffFFTuned time.Duration
	g2gOnAir, g2gOnAirVideo, g2gFF        float64 // ms, p50
	avOnAir                               float64 // ms
	rssMB                                 float64
	creepFirst, creepLast                 float64 // p95 ms, first and last minute
	creepDur                              time.Duration
}

// startServe runs `onair serve` on free ports and returns its RTMP
// address.
func startServe(bin string) (*exec.Cmd, string, error) {
	cmd, addr, _, err := startServeHTTP(bin)
	return cmd, addr, err
}

// startServeHTTP runs `onair serve` (with extra arguments) on free ports,
// waits until it accepts RTMP connections, and returns its RTMP and HTTP
// (HLS, HTTP-FLV, RTMPT, the web pages) addresses.
func startServeHTTP(bin string, extra ...string) (*exec.Cmd, string, string, error) {
	port, err := peer.FreePort()
	if err != nil {
		return nil, "", "", err
	}
	hport, err := peer.FreePort()
	if err != nil {
		return nil, "", "", err
	}
	addr, haddr := fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", hport)
	cmd := exec.Command(bin, append([]string{"serve", "--rtmp", addr, "--http", haddr, "--log-level", "warn"}, extra...)...)
	cmd.Stderr = os.Stderr // warnings, and a crash's trace
	if err := cmd.Start(); err != nil {
		return nil, "", "", err
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return cmd, addr, haddr, nil
		}
		if time.Now().After(deadline) {
			stopCmd(cmd)
			return nil, "", "", fmt.Errorf("onair serve did not listen on %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func stopCmd(c *exec.Cmd) {
	if c != nil && c.Process != nil {
		_ = c.Process.Signal(os.Interrupt)
		_ = c.Wait()
	}
}

// medianDur of ds.
func medianDur(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// onairPlay runs `onair play --stats-json` and returns its final line.
func onairPlay(bin, url string, dur time.Duration, extra ...string) (map[string]any, *os.ProcessState, error) {
	args := append([]string{"play", url, "--stats-json", "--null-audio", "--duration", dur.String()}, extra...)
	cmd := exec.Command(bin, args...)
	out, err := cmd.Output()
	if err != nil {
		return nil, cmd.ProcessState, fmt.Errorf("onair play: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		return nil, nil, err
	}
	return last, cmd.ProcessState, nil
}

func num(m map[string]any, k string) float64 {
	v, _ := m[k].(float64)
	return v
}

// ffmpegFirstFrame times `ffmpeg -i URL -frames:v 1` from start to exit.
func ffmpegFirstFrame(url string, tuned bool) (time.Duration, error) {
	args := []string{"-v", "error"}
	if tuned {
		args = append(args, "-fflags", "nobuffer", "-probesize", "32", "-analyzeduration", "0")
	}
	args = append(args, "-i", url, "-frames:v", "1", "-f", "null", "-")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	start := time.Now()
	if out, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("ffmpeg: %v: %s", err, out)
	}
	return time.Since(start), nil
}

func runPlayerBench(bin string, ng *peer.Nginx, creep time.Duration) (playerFigures, error) {
	var f playerFigures
	srv, addr, err := startServe(bin)
	if err != nil {
		return f, err
	}
	defer stopCmd(srv)
	url := "rtmp://" + addr + "/live/ttff"
	pub, err := startPublisher(bin, url, 120*time.Second)
	if err != nil {
		return f, err
	}
	defer stopCmd(pub)
	time.Sleep(2 * time.Second)

	// Time to first frame, 7 runs each, at different points of the GOP.
	fmt.Fprintln(os.Stderr, "bench: player: time to first frame ...")
	var ours, ffd, fft []time.Duration
	for i := 0; i < 7; i++ {
		time.Sleep(time.Duration(170*i) * time.Millisecond)
		last, _, err := onairPlay(bin, url, 1500*time.Millisecond, "--no-audio")
		if err != nil {
			return f, err
		}
		ours = append(ours, time.Duration(num(last, "first_frame_ms")*1e6))
		d, err := ffmpegFirstFrame(url, false)
		if err != nil {
			return f, err
		}
		ffd = append(ffd, d)
		if d, err = ffmpegFirstFrame(url, true); err != nil {
			return f, err
		}
		fft = append(fft, d)
	}
	f.ttffOnAir, f.ttffFFDefault, f.ttffFFTuned = medianDur(ours), medianDur(ffd), medianDur(fft)
	stopCmd(pub)

	// Glass-to-glass, OnAir's chain: onair demo at 720p30, with audio in
	// sync (the product) and video only (like the ffmpeg chain, which
	// carries and syncs no audio).
	fmt.Fprintln(os.Stderr, "bench: player: glass-to-glass, OnAir ...")
	for _, videoOnly := range []bool{false, true} {
		args := []string{"demo", "--duration", "15s", "--preset", "veryfast", "--stats-json"}
		if videoOnly {
			args = append(args, "--no-audio")
		}
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			return f, fmt.Errorf("onair demo: %w", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		var last map[string]any
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
			return f, err
		}
		if videoOnly {
			f.g2gOnAirVideo = num(last, "latency_ms_p50")
		} else {
			f.g2gOnAir, f.avOnAir = num(last, "latency_ms_p50"), num(last, "av_offset_ms")
		}
	}

	// Glass-to-glass, the ffmpeg chain.
	fmt.Fprintln(os.Stderr, "bench: player: glass-to-glass, ffmpeg -> nginx-rtmp -> ffmpeg ...")
	if f.g2gFF, err = ffmpegChainLatency(ng.URL("live", "g2g"), 15*time.Second); err != nil {
		return f, fmt.Errorf("ffmpeg chain: %w", err)
	}

	// Memory at 1080p30.
	fmt.Fprintln(os.Stderr, "bench: player: memory at 1080p30 ...")
	url1080 := "rtmp://" + addr + "/live/fhd"
	pub1080 := exec.Command(bin, "live", "--to", url1080, "--size", "1920x1080", "--fps", "30",
		"--vbitrate", "6000k", "--preset", "ultrafast", "--duration", "40s")
	if err := pub1080.Start(); err != nil {
		return f, err
	}
	defer stopCmd(pub1080)
	time.Sleep(2 * time.Second)
	_, ps, err := onairPlay(bin, url1080, 15*time.Second)
	if err != nil {
		return f, err
	}
	f.rssMB = maxRSSMB(ps)
	stopCmd(pub1080)

	if creep > 0 {
		fmt.Fprintf(os.Stderr, "bench: player: latency creep over %v ...\n", creep)
		f.creepDur = creep
		f.creepFirst, f.creepLast, err = measureCreep(bin, addr, creep)
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

// measureCreep plays a live stream at low latency for d and returns the
// p95 latency of the first and of the last minute (from the per-second
// lines' p95, their median over each minute).
func measureCreep(bin, addr string, d time.Duration) (first, last float64, err error) {
	url := "rtmp://" + addr + "/live/creep"
	pub, err := startPublisher(bin, url, d+30*time.Second)
	if err != nil {
		return 0, 0, err
	}
	defer stopCmd(pub)
	time.Sleep(2 * time.Second)
	cmd := exec.Command(bin, "play", url, "--stats-json", "--null-audio", "--duration", d.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	var p95s []float64
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil || m["final"] == true {
			continue
		}
		if v, ok := m["latency_ms_p95"].(float64); ok {
			p95s = append(p95s, v)
		}
	}
	if err := cmd.Wait(); err != nil {
		return 0, 0, err
	}
	minute := min(60, len(p95s)/2)
	if minute == 0 {
		return 0, 0, fmt.Errorf("no latency figures")
	}
	return median(p95s[:minute]), median(p95s[len(p95s)-minute:]), nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func maxRSSMB(ps *os.ProcessState) float64 {
	if ps == nil {
		return 0
	}
	return maxrssFromSys(ps)
}

// ffmpegChainLatency: the ffmpeg CLI encodes our test source (fed raw,
// so its frames carry the timecode stripe) with the same x264 settings and
// pushes it to nginx-rtmp; a second ffmpeg with low-latency flags pulls it
// and writes raw luma to us; a frame's latency is when we read it minus
// its stripe time. Returns the p50 in ms.
// startServeTLS is startServeHTTP with an RTMPS listener too (a
// self-signed certificate made in a temporary config folder); it returns
// the RTMPS address last.
func startServeTLS(bin string) (*exec.Cmd, string, string, string, error) {
	var ports [3]int
	for i := range ports {
		p, err := peer.FreePort()
		if err != nil {
			return nil, "", "", "", err
		}
		ports[i] = p
	}
	cfg, err := os.MkdirTemp("", "onair-bench-cfg-")
	if err != nil {
		return nil, "", "", "", err
	}
	addr, haddr, saddr := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1]), fmt.Sprintf("127.0.0.1:%d", ports[2])
	cmd := exec.Command(bin, "serve", "--rtmp", addr, "--http", haddr, "--rtmps", saddr, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+cfg)
	if err := cmd.Start(); err != nil {
		return nil, "", "", "", err
	}
	time.Sleep(500 * time.Millisecond)
	return cmd, addr, haddr, saddr, nil
}

func ffmpegChainLatency(url string, dur time.Duration) (float64, error) {
	const w, h, fps = 1280, 720, 30
	ctx, cancel := context.WithTimeout(context.Background(), dur+30*time.Second)
	defer cancel()
	push := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p",
		"-s", fmt.Sprintf("%dx%d", w, h), "-r", strconv.Itoa(fps), "-i", "-",
		"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-b:v", "2500k", "-maxrate", "2500k",
		"-bufsize", "2500k", "-g", "60", "-bf", "0", "-f", "flv", url)
	stdin, err := push.StdinPipe()
	if err != nil {
		return 0, err
	}
	if err := push.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = push.Process.Kill(); _ = push.Wait() }()
	src, err := capture.NewTestVideo(capture.TestVideoConfig{Width: w, Height: h, FPS: fps})
	if err != nil {
		return 0, err
	}
	frames := make(chan *media.VideoFrame, 8)
	if err := src.Start(func(f *media.VideoFrame) {
		select {
		case frames <- f:
		default:
			f.Release()
		}
	}); err != nil {
		return 0, err
	}
	defer func() { src.Close(); close(frames) }() // the source's last push before the close
	go func() {
		for f := range frames {
			writePlanes(stdin, f)
			f.Release()
		}
	}()
	time.Sleep(3 * time.Second)

	pull := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-fflags", "nobuffer", "-flags", "low_delay",
		"-probesize", "32", "-analyzeduration", "0", "-i", url, "-t", strconv.Itoa(int(dur.Seconds())),
		"-f", "rawvideo", "-pix_fmt", "gray", "-")
	out, err := pull.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := pull.Start(); err != nil {
		return 0, err
	}
	buf := make([]byte, w*h)
	var lat []float64
	skip := 2 * fps // the first frames come from the server's burst
	for {
		if _, err := io.ReadFull(out, buf); err != nil {
			break
		}
		now := time.Now().UnixMilli()
		if ms, ok := testsignal.ReadStripe(buf, w, w, h); ok {
			if skip > 0 {
				skip--
				continue
			}
			lat = append(lat, float64(now-ms))
		}
	}
	_ = pull.Wait()
	if len(lat) == 0 {
		return 0, fmt.Errorf("no frame with a readable stripe came through")
	}
	return median(lat), nil
}

func writePlanes(w io.Writer, f *media.VideoFrame) {
	rows := [3]int{f.Height, f.Height / 2, f.Height / 2}
	cols := [3]int{f.Width, f.Width / 2, f.Width / 2}
	for i := 0; i < 3; i++ {
		for y := 0; y < rows[i]; y++ {
			if _, err := w.Write(f.Planes[i][y*f.Strides[i] : y*f.Strides[i]+cols[i]]); err != nil {
				return
			}
		}
	}
}

func printPlayerTable(f playerFigures) bool {
	ok := true
	v := func(b bool) string {
		if b {
			return "ok"
		}
		ok = false
		return "FAIL"
	}
	fmt.Printf("\nPlayer: loopback RTMP, 720p30 (onair live -> onair serve); glass-to-glass from the test signal's stripe\n\n")
	fmt.Println("| measure | OnAir | ffmpeg CLI | target | result |")
	fmt.Println("|---|---|---|---|---|")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/1e6) }
	fmt.Printf("| time to first frame (median of 7) | %s | %s default, %s tuned | ≤ 300 ms and ≤ tuned ffmpeg | %s |\n",
		ms(f.ttffOnAir), ms(f.ttffFFDefault), ms(f.ttffFFTuned), v(f.ttffOnAir <= 300*time.Millisecond && f.ttffOnAir <= f.ttffFFTuned))
	fmt.Printf("| glass-to-glass p50, 720p30, video only | %.0f ms (OnAir → OnAir serve → OnAir) | %.0f ms (ffmpeg → nginx-rtmp → ffmpeg, low-latency flags) | ≤ ffmpeg chain | %s |\n",
		f.g2gOnAirVideo, f.g2gFF, v(f.g2gOnAirVideo > 0 && f.g2gOnAirVideo <= f.g2gFF))
	fmt.Printf("| glass-to-glass p50, 720p30, audio in sync | %.0f ms (A/V %+.0f ms) | — (the CLI does not sync audio) | ≤ 100 ms, A/V within ±40 ms | %s |\n",
		f.g2gOnAir, f.avOnAir, v(f.g2gOnAir > 0 && f.g2gOnAir <= 100 && f.avOnAir >= -40 && f.avOnAir <= 40))
	fmt.Printf("| player RSS at 1080p30 | %.0f MB | — | ≤ 200 MB | %s |\n", f.rssMB, v(f.rssMB > 0 && f.rssMB <= 200))
	if f.creepDur > 0 {
		fmt.Printf("| latency creep over %v: p95 first → last minute | %.0f → %.0f ms | — | within 20 ms | %s |\n",
			f.creepDur, f.creepFirst, f.creepLast, v(f.creepLast-f.creepFirst <= 20))
	}
	return ok
}
