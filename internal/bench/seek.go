package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"onair/internal/media"
	"onair/internal/peer"
	"onair/player"
	"onair/publish/loopback"
)

// Seek latency: request → picture at the target, for a local 1080p file
// (x264's default 250-frame GOP: a seek decodes up to 8 s of pictures) and
// for the same file served by nginx-rtmp's play directive (RTMP video on
// demand, a keyframe a second there), beside mpv on the same files.
//
// OnAir's figure is measured in the player: Seek, then the first picture
// presented at or after the target. mpv's is the wall time of
// `mpv --start=T --frames=1` less that of `--start=0 --frames=1` (its
// start-up, open and first decode): what the seek itself adds.

// seekTargets are the positions sought, in this order, in the 60 s clip.
func seekTargets() []time.Duration {
	return []time.Duration{20 * time.Second, 45 * time.Second, 10 * time.Second, 52 * time.Second, 31 * time.Second}
}

type seekRow struct {
	what       string
	onairP50   time.Duration
	onairMax   time.Duration
	mpvSeek    time.Duration
	mpvWall    time.Duration
	mpvMissing string
}

// seekSink signals the first picture at or after a target.
type seekSink struct {
	mu     sync.Mutex
	target time.Duration
	got    chan struct{}
}

func (s *seekSink) arm(target time.Duration) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.target, s.got = target, make(chan struct{})
	return s.got
}

func (s *seekSink) Present(f *media.VideoFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// At the target, not a picture shown before the seek took effect
	// (after a seek back, those are later than the target).
	if s.got != nil && f.PTS >= s.target-time.Millisecond && f.PTS < s.target+2*time.Second {
		close(s.got)
		s.got = nil
	}
}

// onairSeeks opens url, and times each seek of seekTargets.
func onairSeeks(url string) (p50, worst time.Duration, err error) {
	sink := &seekSink{}
	p, err := player.Open(context.Background(), player.Config{URL: url, Sink: sink, NullAudio: true})
	if err != nil {
		return 0, 0, err
	}
	defer p.Close()
	deadline := time.Now().Add(10 * time.Second)
	for p.Stats().Frames < 10 {
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("%s: no pictures within 10 s", url)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var took []time.Duration
	for _, at := range seekTargets() {
		got := sink.arm(at)
		start := time.Now()
		if err := p.Seek(at); err != nil {
			return 0, 0, err
		}
		select {
		case <-got:
			took = append(took, time.Since(start))
		case <-time.After(10 * time.Second):
			return 0, 0, fmt.Errorf("%s: no picture at %v within 10 s of the seek", url, at)
		}
		time.Sleep(500 * time.Millisecond)
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	return took[len(took)/2], took[len(took)-1], nil
}

// mpvWall is the wall time of `mpv --start=at --frames=1` on url (no
// window, no sound), the best of three.
func mpvWall(bin, url string, at time.Duration) (time.Duration, error) {
	best := time.Duration(0)
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		out, err := exec.CommandContext(ctx, bin, "--no-config", "--really-quiet", "--vo=null", "--ao=null",
			fmt.Sprintf("--start=%.3f", at.Seconds()), "--frames=1", url).CombinedOutput()
		d := time.Since(start)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("mpv --start=%v %s: %v: %s", at, url, err, out)
		}
		if best == 0 || d < best {
			best = d
		}
	}
	return best, nil
}

// mpvSeek is what a seek to seekTargets adds to mpv's time to a first
// picture: the median over the targets of wall(start) − wall(0).
func mpvSeek(bin, url string) (seek, wall time.Duration, err error) {
	base, err := mpvWall(bin, url, 0)
	if err != nil {
		return 0, 0, err
	}
	var ds []time.Duration
	for _, at := range seekTargets() {
		w, err := mpvWall(bin, url, at)
		if err != nil {
			return 0, 0, err
		}
		ds = append(ds, w)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	wall = ds[len(ds)/2]
	return max(0, wall-base), wall, nil
}

func runSeekBench(ng *peer.Nginx) error {
	mpv, err := peer.Require("mpv", "mpv")
	if err != nil {
		return err
	}
	ff, err := peer.Require("ffmpeg", "ffmpeg")
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: seek: making a 60 s 1080p30 clip ...")
	local := filepath.Join(ng.Dir, "seek1080.mp4")
	vod := filepath.Join(ng.Dir, "vod", "seek1080.mp4")
	for _, c := range []struct {
		path string
		gop  string
	}{{local, "250"}, {vod, "30"}} {
		out, err := exec.Command(ff, "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30",
			"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "60", "-c:v", "libx264", "-preset", "ultrafast",
			"-g", c.gop, "-pix_fmt", "yuv420p", "-c:a", "aac", c.path).CombinedOutput()
		if err != nil {
			return fmt.Errorf("making %s: %v: %s", c.path, err, out)
		}
	}
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", VODDir: filepath.Dir(vod)})
	if err != nil {
		return err
	}
	defer srv.Close()
	plan := []struct{ what, url string }{
		{"local 1080p file, 250-frame GOP", local},
		{"nginx-rtmp VOD, 1080p, 30-frame GOP", ng.URL("vod", "seek1080.mp4")},
		{"onair serve --vod, 1080p, 30-frame GOP", "rtmp://" + srv.RTMPAddr() + "/vod/seek1080.mp4"},
	}
	var rows []seekRow
	for _, c := range plan {
		fmt.Fprintf(os.Stderr, "bench: seek: %s ...\n", c.what)
		r := seekRow{what: c.what}
		if r.onairP50, r.onairMax, err = onairSeeks(c.url); err != nil {
			return err
		}
		if r.mpvSeek, r.mpvWall, err = mpvSeek(mpv, c.url); err != nil {
			r.mpvMissing = err.Error()
		}
		rows = append(rows, r)
	}
	fmt.Printf("\nSeek: request → picture at the target, median (and worst) of %d seeks; mpv: wall time of --start=T --frames=1, less --start=0 (%d cores)\n\n", len(seekTargets()), numCPU())
	fmt.Println("| source | OnAir p50 (worst) | mpv seek (mpv wall) | target | result |")
	fmt.Println("|---|---|---|---|---|")
	failed := false
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/1e6) }
	for i, r := range rows {
		target, limit := "≤ 300 ms", 300*time.Millisecond
		if i >= 1 {
			target, limit = "≤ 1 s", time.Second
		}
		verdict := "ok"
		if r.onairP50 > limit {
			verdict, failed = "FAIL", true
		}
		peerText := fmt.Sprintf("%s (%s)", ms(r.mpvSeek), ms(r.mpvWall))
		if r.mpvMissing != "" {
			peerText = "— (" + r.mpvMissing + ")"
		}
		fmt.Printf("| %s | %s (%s) | %s | %s | %s |\n", r.what, ms(r.onairP50), ms(r.onairMax), peerText, target, verdict)
	}
	if failed {
		return fmt.Errorf("a seek latency target was missed")
	}
	return nil
}
