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

// Enhanced codecs (`-only codecs`, issue 11): CPU of `onair live --vcodec
// hevc|av1` (the test source, libx265 or SVT-AV1 and AAC, pushed as
// Enhanced RTMP to `onair serve`) beside the ffmpeg CLI encoding lavfi's
// testsrc2 and a sine with the same encoder and settings, paced at real
// time (-re) into the null muxer: Debian's FFmpeg 5.1 cannot put HEVC or
// AV1 in FLV, so the peer does not push, which only spares it work. The
// pictures differ (OnAir's test source, FFmpeg's testsrc2), so the encoders
// do not face quite the same work. Lowest CPU of two rounds each.

func runCodecsBench(bin string, dur time.Duration) error {
	srv, addr, err := startServe(bin)
	if err != nil {
		return err
	}
	defer stopCmd(srv)
	scenarios := []scenario{
		{name: "720p30 HEVC ultrafast 2500k", size: "1280x720", preset: "ultrafast", bitrate: "2500k"},
		{name: "720p30 HEVC superfast 2500k", size: "1280x720", preset: "superfast", bitrate: "2500k"},
		{name: "720p30 AV1 SVT preset 12 2500k", size: "1280x720", preset: "ultrafast", bitrate: "2500k"},
	}
	fmt.Printf("\nEnhanced codecs: test source -> libx265 or SVT-AV1 + AAC -> Enhanced RTMP -> onair serve, beside ffmpeg -re testsrc2 -> the same encoder + AAC -> null, %v per run, %d cores\n\n", dur, numCPU())
	fmt.Println("| scenario | OnAir CPU s/s | ffmpeg CPU s/s | ratio | OnAir fps out | OnAir dropped (2 rounds) | result |")
	fmt.Println("|---|---|---|---|---|---|---|")
	failed := false
	for i, s := range scenarios {
		var ours, ffm []result
		for round := 0; round < 2; round++ {
			fmt.Fprintf(os.Stderr, "bench: %s: OnAir (round %d) ...\n", s.name, round+1)
			codec := "hevc"
			if strings.Contains(s.name, "AV1") {
				codec = "av1"
			}
			r, err := runOnAir(bin, fmt.Sprintf("rtmp://%s/live/enh%d", addr, i), s, dur, "--vcodec", codec)
			if err != nil {
				return fmt.Errorf("%s: onair: %w", s.name, err)
			}
			ours = append(ours, r)
			fmt.Fprintf(os.Stderr, "bench: %s: ffmpeg (round %d) ...\n", s.name, round+1)
			f, err := runFFmpegEncoder(s, codec, dur)
			if err != nil {
				return fmt.Errorf("%s: ffmpeg: %w", s.name, err)
			}
			ffm = append(ffm, f)
		}
		o := lowestCPU(ours, func(r result) float64 { return r.cpu })
		f := lowestCPU(ffm, func(r result) float64 { return r.cpu })
		// Real time: a round with no frame dropped at full rate (a
		// neighbour's burst on a shared machine only ever adds drops, as
		// it adds CPU); both rounds' drops are shown.
		verdict := fmt.Sprintf("not real time: %d and %d dropped", ours[0].dropped, ours[1].dropped)
		for _, r := range ours {
			if r.dropped == 0 && r.fpsOut >= 29 {
				verdict = "ok"
			}
		}
		if verdict != "ok" {
			failed = true
		}
		fmt.Printf("| %s | %.3f | %.3f | %.2f× | %.1f | %d, %d | %s |\n", s.name, o.cpu, f.cpu, o.cpu/f.cpu, o.fpsOut,
			ours[0].dropped, ours[1].dropped, verdict)
	}
	if failed {
		return fmt.Errorf("an enhanced codec did not keep real time")
	}
	return nil
}

// runFFmpegEncoder encodes with the ffmpeg CLI as onair's encoder is set
// up: for HEVC (encode/hevc.go) tune zerolatency, keyint 2 s, one frame
// thread, IDR keyframes, a one-second VBV at the bitrate; for AV1
// (encode/av1.go) SVT-AV1 preset 12, low delay, CBR, no lookahead.
func runFFmpegEncoder(s scenario, codec string, dur time.Duration) (result, error) {
	bin, err := peer.Require("ffmpeg", "ffmpeg")
	if err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur+60*time.Second)
	defer cancel()
	args := []string{"-hide_banner", "-nostdin", "-v", "error",
		"-re", "-f", "lavfi", "-i", "testsrc2=size=" + s.size + ":rate=30",
		"-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"}
	if codec == "av1" {
		args = append(args, "-c:v", "libsvtav1", "-preset", "12", "-pix_fmt", "yuv420p",
			"-b:v", s.bitrate, "-g", "60", "-svtav1-params", "pred-struct=1:rc=2:lookahead=0:scd=0:irefresh-type=2")
	} else {
		args = append(args, "-c:v", "libx265", "-preset", s.preset, "-tune", "zerolatency", "-pix_fmt", "yuv420p",
			"-b:v", s.bitrate, "-maxrate", s.bitrate, "-bufsize", s.bitrate, "-g", "60", "-keyint_min", "60", "-bf", "0",
			"-x265-params", "log-level=error:scenecut=0:open-gop=0:frame-threads=1:info=0")
	}
	args = append(args, "-c:a", "aac", "-b:a", "128k", "-ac", "2",
		"-t", fmt.Sprintf("%.3f", dur.Seconds()), "-f", "null", "-")
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "SVT_LOG=1")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("%w: %s", err, errb.String())
	}
	return result{cpu: cpuOf(cmd.ProcessState) / time.Since(start).Seconds(), fpsOut: 30}, nil
}
