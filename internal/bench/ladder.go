package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"onair/internal/peer"
)

// runLadderBench: the loopback server's own work on one 720p30
// 2.5 Mbit/s stream (onair live), with nobody watching:
//   - recording: CPU of `onair serve --record` less that of plain
//     `onair serve`, beside the ffmpeg CLI recording the same stream
//     (-c copy to fragmented MP4, reading it over RTMP);
//   - the transcoded ladder: CPU of `onair serve --transcode 480p,360p`
//     less plain serve, and the renditions' frame rates (real time is 30),
//     beside the ffmpeg CLI making the same two renditions (decode once,
//     libx264 veryfast zerolatency, the same bitrates) from the stream.
func runLadderBench(bin string, dur time.Duration) error {
	tmp, err := os.MkdirTemp("", "onair-bench-ladder")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	type result struct {
		cpu       float64
		fps       [2]float64
		dropped   int
		peerCPU   float64
		peerSpeed float64
	}
	run := func(what string, extra ...string) (result, error) {
		var r result
		port, err := peer.FreePort()
		if err != nil {
			return r, err
		}
		hport, err := peer.FreePort()
		if err != nil {
			return r, err
		}
		addr, haddr := fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", hport)
		srv := exec.Command(bin, append([]string{"serve", "--rtmp", addr, "--http", haddr, "--log-level", "warn"}, extra...)...)
		srv.Stderr = os.Stderr
		if err := srv.Start(); err != nil {
			return r, err
		}
		defer func() { _ = srv.Process.Signal(os.Interrupt); _ = srv.Wait() }()
		time.Sleep(300 * time.Millisecond)
		pub, err := startPublisher(bin, "rtmp://"+addr+"/live/bench", dur+30*time.Second)
		if err != nil {
			return r, err
		}
		defer func() { _ = pub.Process.Signal(os.Interrupt); _ = pub.Wait() }()
		time.Sleep(3 * time.Second)
		var peerCmd *exec.Cmd
		switch what {
		case "record-peer":
			peerCmd = exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", "rtmp://"+addr+"/live/bench", "-c", "copy",
				"-f", "mp4", "-movflags", "frag_keyframe+empty_moov", "-y", filepath.Join(tmp, "peer.mp4"))
		case "ladder-peer":
			peerCmd = exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", "rtmp://"+addr+"/live/bench",
				"-map", "0:v", "-map", "0:a", "-s", "854x480", "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-b:v", "1360k", "-c:a", "copy", "-f", "flv", "-y", filepath.Join(tmp, "480.flv"),
				"-map", "0:v", "-map", "0:a", "-s", "640x360", "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-b:v", "883k", "-c:a", "copy", "-f", "flv", "-y", filepath.Join(tmp, "360.flv"))
		}
		if peerCmd != nil {
			if err := peerCmd.Start(); err != nil {
				return r, fmt.Errorf("ffmpeg: %w", err)
			}
			defer func() { _ = peerCmd.Process.Kill(); _ = peerCmd.Wait() }()
			time.Sleep(3 * time.Second)
		}
		frames0 := renditionFrames(haddr)
		u0, s0, _ := procUserSys(srv.Process.Pid)
		var pu0, ps0 time.Duration
		if peerCmd != nil {
			pu0, ps0, _ = procUserSys(peerCmd.Process.Pid)
		}
		start := time.Now()
		time.Sleep(dur)
		u1, s1, err := procUserSys(srv.Process.Pid)
		if err != nil {
			return r, err
		}
		el := time.Since(start).Seconds()
		r.cpu = (u1 + s1 - u0 - s0).Seconds() / el
		frames1 := renditionFrames(haddr)
		for i, n := range frames1 {
			if i < 2 {
				r.fps[i] = float64(n-frames0[i]) / el
			}
		}
		if st := ladderStatus(haddr); st != nil {
			r.dropped = len(st.Dropped)
		}
		if peerCmd != nil {
			pu1, ps1, err := procUserSys(peerCmd.Process.Pid)
			if err != nil {
				return r, fmt.Errorf("ffmpeg ended early: %w", err)
			}
			r.peerCPU = (pu1 + ps1 - pu0 - ps0).Seconds() / el
		}
		return r, nil
	}
	fmt.Fprintln(os.Stderr, "bench: ladder: plain serve ...")
	plain, err := run("plain")
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: ladder: serve --record ...")
	rec, err := run("record", "--record", filepath.Join(tmp, "rec"))
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: ladder: ffmpeg -c copy recording ...")
	recPeer, err := run("record-peer")
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: ladder: serve --transcode 480p,360p ...")
	lad, err := run("ladder", "--transcode", "480p,360p")
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: ladder: ffmpeg making the same renditions ...")
	ladPeer, err := run("ladder-peer")
	if err != nil {
		return err
	}
	fmt.Printf("\nServer work: one 720p30 2.5 Mbit/s stream (onair live), no viewers, %v each; CPU s/s of the server process "+
		"(plain serve: %.3f), the ffmpeg CLI's own\n\n", dur, plain.cpu)
	fmt.Println("| measure | OnAir serve | ffmpeg CLI | target | result |")
	fmt.Println("|---|---|---|---|---|")
	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "FAIL"
	}
	recOver := rec.cpu - plain.cpu
	recOK := recOver <= max(recPeer.peerCPU, 0.01)
	fmt.Printf("| recording (fMP4): CPU s/s added | %.3f | %.3f | ≤ ffmpeg -c copy | %s |\n", recOver, recPeer.peerCPU, verdict(recOK))
	ladOver := lad.cpu - plain.cpu
	realTime := lad.fps[0] >= 29 && lad.fps[1] >= 29 && lad.dropped == 0
	fmt.Printf("| ladder 480p + 360p: CPU s/s added | %.3f | %.3f | ≤ 1.2× ffmpeg | %s |\n", ladOver, ladPeer.peerCPU, verdict(ladOver <= 1.2*ladPeer.peerCPU))
	fmt.Printf("| ladder: renditions' frame rate (source 30) | %.1f, %.1f fps, %d dropped | — | real time on 2 cores | %s |\n",
		lad.fps[0], lad.fps[1], lad.dropped, verdict(realTime))
	if !recOK || !realTime || ladOver > 1.2*ladPeer.peerCPU {
		return fmt.Errorf("a server-work target was missed")
	}
	return nil
}

// ladderStatus is the ladder of stream "bench" from /api/streams.
type ladderInfo struct {
	Renditions []struct {
		Frames int64 `json:"frames"`
	} `json:"renditions"`
	Dropped []string `json:"dropped"`
}

func ladderStatus(haddr string) *ladderInfo {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+haddr+"/api/streams", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var st struct {
		Streams []struct {
			Name      string      `json:"name"`
			Transcode *ladderInfo `json:"transcode"`
		} `json:"streams"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil {
		return nil
	}
	for _, s := range st.Streams {
		if s.Name == "bench" {
			return s.Transcode
		}
	}
	return nil
}

// renditionFrames are the frames each rendition of "bench" encoded so far.
func renditionFrames(haddr string) []int64 {
	st := ladderStatus(haddr)
	if st == nil {
		return []int64{0, 0}
	}
	out := []int64{0, 0}
	for i, r := range st.Renditions {
		if i < 2 {
			out[i] = r.Frames
		}
	}
	return out
}
