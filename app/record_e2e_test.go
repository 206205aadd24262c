package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/internal/peer"
)

// TestRecordKill9 records with the real program into each format, kills
// it with SIGKILL after about 8 s of media, and checks that each file
// plays and holds what was recorded up to a second before the kill. The
// three run at once.
func TestRecordKill9(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	// One after the other: three encoders at once beside the -race run of
	// the other packages once starved two of them for 40 s in CI.
	for _, ext := range []string{"mp4", "mkv", "flv"} {
		got, err := recordAndKill(bin, filepath.Join(dir, "kill."+ext))
		if err != nil {
			t.Errorf("%s: %v", ext, err)
		}
		t.Logf("%s: %s", ext, got)
	}
}

// recordAndKill returns what it found: the figures of the file.
func recordAndKill(bin, path string) (string, error) {
	cmd := exec.Command(bin, "live", "--record", path, "--duration", "30s", "--size", "320x240",
		"--preset", "ultrafast", "--keyint", "2s", "--stats-json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	var errb syncBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		return "", err
	}
	defer cmd.Process.Kill() //nolint:errcheck
	// Read the stats lines until the recording holds 8 s, then kill at once:
	// the line just read says how much was recorded at the kill (at least).
	var recorded float64
	sc := bufio.NewScanner(stdout)
	deadline := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		var l struct {
			State     string `json:"state"`
			Recording *struct {
				Path    string  `json:"path"`
				Bytes   int64   `json:"bytes"`
				Seconds float64 `json:"seconds"`
			} `json:"recording"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return "", fmt.Errorf("stats line %q: %w", sc.Text(), err)
		}
		if l.Recording == nil || l.Recording.Path != path || l.State != "recording" {
			return "", fmt.Errorf("stats line %q: want state recording and the recording", sc.Text())
		}
		if l.Recording.Seconds >= 8 {
			recorded = l.Recording.Seconds
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				return "", err
			}
			break
		}
	}
	_ = cmd.Wait()
	if recorded == 0 {
		return "", fmt.Errorf("never recorded 8 s; stderr: %s", errb.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m, err := peer.ProbeFile(ctx, path)
	if err != nil {
		return "", err
	}
	// It plays: every packet decodes (but perhaps the last, cut by the kill).
	if !m.Plays() || m.Codecs["video"] != "h264" || m.Codecs["audio"] != "aac" {
		return "", fmt.Errorf("after kill -9: %+v; want h264 and aac that decode", m)
	}
	got := fmt.Sprintf("the file holds %.2f s of video and %.2f s of audio; %.2f s were recorded at the kill",
		m.End["video"], m.End["audio"], recorded)
	if m.End["video"] < 7 || m.End["video"] < recorded-1 || m.End["audio"] < recorded-1 {
		return got, errors.New(got)
	}
	return got, nil
}

// TestRecordCLI: record only to a file while the run lasts; a folder that
// is not writable is one clear line and exit status 1, before anything
// starts.
func TestRecordCLI(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cli.mkv")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stdout, stderr, code := runLiveAsync(ctx, "--record", path, "--duration", "3s", "--size", "320x240", "--preset", "ultrafast")
	if c := <-code; c != 0 {
		t.Fatalf("exit %d; stderr %s", c, stderr.String())
	}
	msg := stderr.String()
	if !strings.Contains(msg, "onair: recording to "+path) || !strings.Contains(msg, " rec 0:0") ||
		!strings.Contains(msg, "into "+path) || stdout.String() != "" {
		t.Errorf("stderr %q", msg)
	}
	m, err := peer.ProbeFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Plays() || m.Codecs["video"] != "h264" || m.Codecs["audio"] != "aac" || m.End["video"] < 2 {
		t.Errorf("file: %+v", m)
	}

	unwritable, cleanup, err := peer.UnwritableDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--record", filepath.Join(unwritable, "x.mp4")}, "cannot create the recording " + filepath.Join(unwritable, "x.mp4") + ": "},
		{[]string{"--record", filepath.Join(dir, "x.avi")}, "want a name ending in .mp4, .mkv or .flv"},
		{nil, "give --to rtmp://host/app/streamkey, --service NAME --key KEY, or --record FILE"},
	} {
		_, stderr, code := runLiveAsync(ctx, append([]string{"--size", "320x240", "--preset", "ultrafast"}, c.args...)...)
		if got := <-code; got != 1 || !strings.Contains(stderr.String(), c.want) || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line saying %q", c.args, got, stderr.String(), c.want)
		}
	}
}
