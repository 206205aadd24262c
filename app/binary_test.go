package app

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/internal/leaktest"
)

// buildBinary builds the onair command once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "onair")
	cmd := exec.Command("go", "build", "-o", bin, "onair")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinarySignals runs the real program: SIGTERM stops it cleanly with
// exit status 0 and a final stats line; a rejected key exits with 1.
func TestBinarySignals(t *testing.T) {
	bin := buildBinary(t)
	ng := startNginx(t, 0)

	cmd := exec.Command(bin, "live", "--to", ng.URL("live", "sig"), "--size", "320x240",
		"--preset", "ultrafast", "--stats-json")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGTERM: %v; stderr: %s", err, errb.String())
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("no exit within 10 s of SIGTERM")
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last["final"] != true || last["state"] != "stopped" {
		t.Fatalf("last stdout line %q (%v)", lines[len(lines)-1], err)
	}
	// A source that fell behind (a busy host taking the CPU away) is a real
	// problem, and saying so on stderr is right; anything else is noise.
	var other []string
	for _, l := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		if l != "" && !strings.Contains(l, `level=WARN msg="falling behind, skipped `) {
			other = append(other, l)
		}
	}
	if len(other) != 0 {
		t.Errorf("stderr not empty with --stats-json and no problem: %q", errb.String())
	}

	rej := exec.Command(bin, "live", "--to", ng.URL("deny", "KEY42"), "--size", "320x240", "--preset", "ultrafast")
	msg, err := rej.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("rejected publish: %v, want exit status 1; output %q", err, msg)
	}
	if strings.Contains(string(msg), "KEY42") || !strings.Contains(string(msg), "rejected") {
		t.Errorf("rejected publish said %q", msg)
	}
}

// checkGoroutines waits until the number of goroutines is at most n, and
// reports the excess stacks if it does not get there.
func checkGoroutines(t *testing.T, n int) {
	t.Helper()
	leaktest.Check(t, n, 3*time.Second)
}
