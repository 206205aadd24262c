package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"onair/internal/peer"
)

// rtmfpScenario is one way the stream goes from `onair live` through
// `onair serve` to `onair play`.
type rtmfpScenario struct {
	name   string
	scheme string           // rtmp or rtmfp, both legs
	imp    *peer.Impairment // on both legs (RTMFP only: a UDP relay), nil for none
}

type rtmfpResult struct {
	p50, p95             float64 // glass to glass, ms
	frames               float64
	pubCPU, srvCPU, play float64 // CPU s/s
	rtmfp                map[string]any
	err                  error
}

// runRTMFPBench: RTMFP beside RTMP on loopback, glass to glass (the test
// signal read by `onair play`) and the CPU of each process, clean and
// over a path losing 2 % each way with 50 ms each way. A TCP path cannot
// be made to lose packets without the kernel's netem (root), so RTMP has
// no lossy row.
func runRTMFPBench(bin string, dur time.Duration) error {
	loss := &peer.Impairment{Loss: 0.02, Delay: 50 * time.Millisecond, Reorder: 0.05, Jitter: 10 * time.Millisecond}
	delay := &peer.Impairment{Delay: 50 * time.Millisecond}
	scenarios := []rtmfpScenario{
		{name: "RTMP, loopback", scheme: "rtmp"},
		{name: "RTMFP, loopback", scheme: "rtmfp"},
		{name: "RTMFP, 50 ms each way", scheme: "rtmfp", imp: delay},
		{name: "RTMFP, 50 ms each way, 2 % loss, reordering", scheme: "rtmfp", imp: loss},
	}
	var results []rtmfpResult
	for _, sc := range scenarios {
		fmt.Fprintf(os.Stderr, "bench: rtmfp: %s ...\n", sc.name)
		results = append(results, benchRTMFPScenario(bin, sc, dur))
	}
	fmt.Printf("\nRTMFP beside RTMP: onair live (720p30, 2.5 Mbit/s, 1 s GOP, the test source) → onair serve → onair play (headless, null audio), "+
		"the same protocol on both legs, %v of play per row, %d cores; glass to glass from the test signal; CPU seconds per second of each process\n\n", dur, numCPU())
	fmt.Println("| path | glass to glass p50 | p95 | pictures shown | publisher CPU | server CPU | player CPU | publisher's RTMFP figures |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	failed := false
	for i, sc := range scenarios {
		r := results[i]
		if r.err != nil {
			failed = true
			fmt.Printf("| %s | FAIL: %v | | | | | | |\n", sc.name, r.err)
			continue
		}
		fig := "—"
		if r.rtmfp != nil {
			fig = fmt.Sprintf("rtt %v ms, lost %v, resent %v, abandoned %v", r.rtmfp["rtt_ms"], r.rtmfp["lost"], r.rtmfp["retransmits"], r.rtmfp["abandoned"])
		}
		fmt.Printf("| %s | %.0f ms | %.0f ms | %.0f | %.3f | %.3f | %.3f | %s |\n", sc.name, r.p50, r.p95, r.frames, r.pubCPU, r.srvCPU, r.play, fig)
	}
	if failed {
		return fmt.Errorf("a row failed")
	}
	return nil
}

func benchRTMFPScenario(bin string, sc rtmfpScenario, dur time.Duration) (r rtmfpResult) {
	up, err := peer.FreeUDPPort()
	if err != nil {
		r.err = err
		return r
	}
	udp := fmt.Sprintf("127.0.0.1:%d", up)
	srv, rtmpAddr, _, err := startServeHTTP(bin, "--rtmfp", udp)
	if err != nil {
		r.err = err
		return r
	}
	defer stopCmd(srv)
	pubAddr, playAddr := rtmpAddr, rtmpAddr
	if sc.scheme == "rtmfp" {
		pubAddr, playAddr = udp, udp
		if sc.imp != nil {
			for _, a := range []*string{&pubAddr, &playAddr} {
				relay, err := peer.StartUDPRelay(udp, *sc.imp)
				if err != nil {
					r.err = err
					return r
				}
				defer relay.Close()
				*a = relay.Addr()
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur+90*time.Second)
	defer cancel()
	pub := exec.CommandContext(ctx, bin, "live", "--to", sc.scheme+"://"+pubAddr+"/live/bench", "--size", "1280x720", "--fps", "30",
		"--vbitrate", "2500k", "--preset", "ultrafast", "--keyint", "1s", "--stats-json", "--duration", (dur + 6*time.Second).String())
	var pubOut bytes.Buffer
	pub.Stdout = &pubOut
	if err := pub.Start(); err != nil {
		r.err = err
		return r
	}
	time.Sleep(3 * time.Second)
	u0, s0, err := procUserSys(srv.Process.Pid)
	if err != nil {
		r.err = err
		return r
	}
	t0 := time.Now()
	play := exec.CommandContext(ctx, bin, "play", "--headless", "--null-audio", "--stats-json", "--duration", dur.String(),
		sc.scheme+"://"+playAddr+"/live/bench")
	var playOut, playErr bytes.Buffer
	play.Stdout, play.Stderr = &playOut, &playErr
	if err := play.Run(); err != nil {
		r.err = fmt.Errorf("onair play: %v: %s", err, playErr.String())
		return r
	}
	u1, s1, _ := procUserSys(srv.Process.Pid)
	r.srvCPU = (u1 - u0 + s1 - s0).Seconds() / time.Since(t0).Seconds()
	r.play = cpuOf(play.ProcessState) / dur.Seconds()
	if err := pub.Wait(); err != nil {
		r.err = fmt.Errorf("onair live: %v", err)
		return r
	}
	pl, lv := lastStatsLine(&playOut), lastStatsLine(&pubOut)
	if pl == nil || lv == nil {
		r.err = fmt.Errorf("no stats: play %q", strings.TrimSpace(playOut.String()))
		return r
	}
	r.p50, r.p95, r.frames = num(pl, "latency_ms_p50"), num(pl, "latency_ms_p95"), num(pl, "frames")
	r.pubCPU = cpuOf(pub.ProcessState) / max(num(lv, "t"), 1)
	r.rtmfp, _ = lv["rtmfp"].(map[string]any)
	return r
}
