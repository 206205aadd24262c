package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Transports (`-only transport`, issue 11): glass-to-glass latency and CPU
// of the whole chain in one process (`onair demo --via V`: test source ->
// x264 + AAC at 720p30 -> the loopback server over V -> the player), for
// plain RTMP, RTMPS, RTMPT and RTMPE side by side, then over RTMP with
// Opus (and HEVC) in Enhanced RTMP. The peer: the ffmpeg CLI's own chain
// (push and low-latency pull, video only) through `onair serve` over
// rtmp://, rtmps:// and rtmpt://, measured in the same run. Targets: RTMPT
// within 100 ms of plain RTMP (p50); with Opus, 40 ms (p50).

const transportDur = 15 * time.Second

type transportRow struct {
	via            string
	label          string   // the row's name: via, and the codecs when not H.264 + AAC
	extra          []string // more `onair demo` flags
	p50, p95, cpu  float64  // ms, ms, CPU s per s
	ffmpegP50      float64  // ms, when ffmpegMeasured
	ffmpegMeasured bool
}

func runTransportBench(bin string) error {
	srv, addr, haddr, saddr, err := startServeTLS(bin)
	if err != nil {
		return err
	}
	defer stopCmd(srv)
	var rows []transportRow
	plan := []transportRow{{via: "rtmp"}, {via: "rtmps"}, {via: "rtmpt"}, {via: "rtmpe"},
		{via: "rtmp", label: "rtmp, H.264 + Opus 10 ms", extra: []string{"--acodec", "opus"}},
		{via: "rtmp", label: "rtmp, HEVC ultrafast + Opus 10 ms", extra: []string{"--vcodec", "hevc", "--acodec", "opus", "--preset", "ultrafast"}},
		{via: "rtmp", label: "rtmp, AV1 (SVT preset 12) + Opus 10 ms", extra: []string{"--vcodec", "av1", "--acodec", "opus", "--preset", "ultrafast"}},
	}
	for _, r := range plan {
		via := r.via
		if r.label == "" {
			r.label = via
		}
		fmt.Fprintf(os.Stderr, "bench: transport: OnAir over %s ...\n", r.label)
		args := append([]string{"demo", "--via", via, "--duration", transportDur.String(), "--preset", "veryfast", "--stats-json"}, r.extra...)
		cmd := exec.Command(bin, args...)
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("onair demo --via %s %v: %w", via, r.extra, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		var last map[string]any
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
			return err
		}
		r.p50, r.p95 = num(last, "latency_ms_p50"), num(last, "latency_ms_p95")
		r.cpu = cpuOf(cmd.ProcessState) / transportDur.Seconds()
		peerURL := map[string]string{"rtmp": "rtmp://" + addr, "rtmpt": "rtmpt://" + haddr, "rtmps": "rtmps://" + saddr}[via]
		if peerURL != "" && len(r.extra) == 0 {
			fmt.Fprintf(os.Stderr, "bench: transport: ffmpeg over %s ...\n", via)
			if r.ffmpegP50, err = ffmpegChainLatency(peerURL+"/live/ff"+via, transportDur); err != nil {
				return fmt.Errorf("ffmpeg over %s: %w", via, err)
			}
			r.ffmpegMeasured = true
		}
		rows = append(rows, r)
	}
	fmt.Printf("\nTransports: onair demo --via V (720p30 veryfast, A/V-synced player at low latency), %v each; peer: ffmpeg push + low-latency pull through onair serve (video only), %d cores\n\n", transportDur, numCPU())
	fmt.Println("| transport | OnAir G2G p50 ms | OnAir G2G p95 ms | OnAir CPU s/s (whole chain) | ffmpeg chain G2G p50 ms | target | result |")
	fmt.Println("|---|---|---|---|---|---|---|")
	plain := rows[0].p50
	failed := false
	for _, r := range rows {
		ff := "— (FFmpeg 5.1 has no E-RTMP)"
		if r.via == "rtmpe" {
			ff = "— (Debian's FFmpeg has no RTMPE client)"
		}
		if r.ffmpegMeasured {
			ff = fmt.Sprintf("%.0f", r.ffmpegP50)
		}
		target, verdict := "—", "ok"
		if strings.Contains(r.label, "Opus") && !strings.Contains(r.label, "AV1") {
			target = "≤ 40 (Opus, A/V-synced)"
			if r.p50 > 40 || r.p50 == 0 {
				verdict, failed = "FAIL", true
			}
		}
		if r.via == "rtmpt" {
			target = fmt.Sprintf("≤ rtmp + 100 (%.0f)", plain+100)
			if r.p50 > plain+100 || r.p50 == 0 {
				verdict, failed = "FAIL", true
			}
		}
		fmt.Printf("| %s | %.0f | %.0f | %.2f | %s | %s | %s |\n", r.label, r.p50, r.p95, r.cpu, ff, target, verdict)
	}
	if failed {
		return fmt.Errorf("a transport latency target was missed")
	}
	return nil
}
