package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"onair/internal/peer"
)

// HEVC (`-only hevc`, issue 11): CPU of `onair live --vcodec hevc` (the
// test source, libx265 and AAC, pushed as Enhanced RTMP to `onair serve`)
// beside the ffmpeg CLI encoding lavfi's testsrc2 and a sine with libx265
// and AAC, same settings, paced at real time (-re) into the null muxer:
// Debian's FFmpeg 5.1 cannot put HEVC in FLV, so the peer does not push,
// which only spares it work. Lowest CPU of two rounds each.

func runHEVCBench(bin string, dur time.Duration) error {
	srv, addr, err := startServe(bin)
	if err != nil {
		return err
	}
	defer stopCmd(srv)
	scenarios := []scenario{
		{name: "720p30 HEVC ultrafast 2500k", size: "1280x720", preset: "ultrafast", bitrate: "2500k"},
		{name: "720p30 HEVC superfast 2500k", size: "1280x720", preset: "superfast", bitrate: "2500k"},
	}
	fmt.Printf("\nHEVC: test source -> libx265 + AAC -> Enhanced RTMP -> onair serve, beside ffmpeg -re testsrc2 -> libx265 + AAC -> null, %v per run, %d cores\n\n", dur, numCPU())
	fmt.Println("| scenario | OnAir CPU s/s | ffmpeg CPU s/s | ratio | OnAir fps out | OnAir dropped | result |")
	fmt.Println("|---|---|---|---|---|---|---|")
	failed := false
	for i, s := range scenarios {
		var ours, ffm []result
		for round := 0; round < 2; round++ {
			fmt.Fprintf(os.Stderr, "bench: %s: OnAir (round %d) ...\n", s.name, round+1)
			r, err := runOnAir(bin, fmt.Sprintf("rtmp://%s/live/hevc%d", addr, i), s, dur, "--vcodec", "hevc")
			if err != nil {
				return fmt.Errorf("%s: onair: %w", s.name, err)
			}
			ours = append(ours, r)
			fmt.Fprintf(os.Stderr, "bench: %s: ffmpeg (round %d) ...\n", s.name, round+1)
			f, err := runFFmpegHEVC(s, dur)
			if err != nil {
				return fmt.Errorf("%s: ffmpeg: %w", s.name, err)
			}
			ffm = append(ffm, f)
		}
		o := lowestCPU(ours, func(r result) float64 { return r.cpu })
		f := lowestCPU(ffm, func(r result) float64 { return r.cpu })
		verdict := "ok"
		if o.dropped > 0 || o.fpsOut < 29 {
			verdict, failed = fmt.Sprintf("not real time: %.1f fps, %d dropped", o.fpsOut, o.dropped), true
		}
		fmt.Printf("| %s | %.3f | %.3f | %.2f× | %.1f | %d | %s |\n", s.name, o.cpu, f.cpu, o.cpu/f.cpu, o.fpsOut, o.dropped, verdict)
	}
	if failed {
		return fmt.Errorf("HEVC did not keep real time")
	}
	return nil
}

// runFFmpegHEVC encodes with the ffmpeg CLI as onair's HEVC encoder is set
// up (encode/hevc.go): tune zerolatency, keyint 2 s, one frame thread, IDR
// keyframes, a one-second VBV at the bitrate.
func runFFmpegHEVC(s scenario, dur time.Duration) (result, error) {
	bin, err := peer.Require("ffmpeg", "ffmpeg")
	if err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur+60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-hide_banner", "-nostdin", "-v", "error",
		"-re", "-f", "lavfi", "-i", "testsrc2=size="+s.size+":rate=30",
		"-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-c:v", "libx265", "-preset", s.preset, "-tune", "zerolatency", "-pix_fmt", "yuv420p",
		"-b:v", s.bitrate, "-maxrate", s.bitrate, "-bufsize", s.bitrate, "-g", "60", "-keyint_min", "60", "-bf", "0",
		"-x265-params", "log-level=error:scenecut=0:open-gop=0:frame-threads=1:info=0",
		"-c:a", "aac", "-b:a", "128k", "-ac", "2",
		"-t", fmt.Sprintf("%.3f", dur.Seconds()), "-f", "null", "-")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("%w: %s", err, errb.String())
	}
	return result{cpu: cpuOf(cmd.ProcessState) / time.Since(start).Seconds(), fpsOut: 30}, nil
}
