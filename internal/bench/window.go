package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"onair/internal/peer"
)

// Window benchmark (`-only window`): the window's own cost, each process
// measured from /proc over windowMeasure after windowWarmup, on an Xvfb
// display (Mesa's software rendering, as on any machine without a
// graphics card):
//
//   - an empty Fyne window of the same size (internal/bench/emptywindow):
//     the floor of any Fyne window here;
//   - the OnAir window idle: Studio tab, the test source's preview on,
//     nothing live, the loopback server on (its default);
//   - `onair live` at 720p30 veryfast 2500k to nginx-rtmp: the CLI;
//   - the OnAir window live with the same settings to the same server
//     (Studio defaults; the destination and loopback off are seeded in its
//     preferences), the preview showing the broadcast.
//
// The CLI and the live window are measured twice each, alternating, and
// keep their lowest figure. Targets: idle ≤ 15 % of a core; live window
// ≤ 1.3 × the CLI.

const (
	windowWarmup  = 5 * time.Second
	windowMeasure = 10 * time.Second
	windowIdleMax = 15.0 // % of a core
	windowLiveMax = 1.3  // × the CLI
	windowRounds  = 2
)

var previewRate = regexp.MustCompile(`msg="preview rate" fps=([0-9.]+) repaint_ms=([0-9.]+)`)

type windowRow struct {
	name   string
	note   string  // the preview's rate
	cpu    float64 // % of one core
	xcpu   float64 // the X server's, % of one core
	target string
	ok     bool
}

func runWindowBench(bin string, ng *peer.Nginx) error {
	x, err := peer.StartXvfb("1280x800x24")
	if err != nil {
		return err
	}
	defer x.Stop()
	dir, err := os.MkdirTemp("", "onair-bench-window-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	empty := filepath.Join(dir, "emptywindow")
	if out, err := exec.Command("go", "build", "-o", empty, "./internal/bench/emptywindow").CombinedOutput(); err != nil {
		return fmt.Errorf("building the empty window: %v: %s", err, out)
	}
	env := func(home string) []string {
		return append(x.Env(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	}
	measure := func(name string, cmd *exec.Cmd, ready string) (windowRow, error) {
		fmt.Fprintf(os.Stderr, "bench: window: %s ...\n", name)
		var out peer.LockedBuffer // exec copies into it while we read it
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			return windowRow{}, err
		}
		defer func() {
			_ = cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
		}()
		time.Sleep(windowWarmup)
		if ready != "" && !strings.Contains(out.String(), ready) {
			return windowRow{}, fmt.Errorf("%s: no %q within %v: %s", name, ready, windowWarmup, out.String())
		}
		u0, s0, err := procUserSys(cmd.Process.Pid)
		if err != nil {
			return windowRow{}, err
		}
		xu0, xs0, _ := procUserSys(x.PID)
		start := time.Now()
		time.Sleep(windowMeasure)
		u1, s1, err := procUserSys(cmd.Process.Pid)
		if err != nil {
			return windowRow{}, fmt.Errorf("%s ended early: %s", name, out.String())
		}
		xu1, xs1, _ := procUserSys(x.PID)
		el := time.Since(start).Seconds()
		r := windowRow{name: name, cpu: (u1 + s1 - u0 - s0).Seconds() / el * 100,
			xcpu: (xu1 + xs1 - xu0 - xs0).Seconds() / el * 100}
		if m := previewRate.FindAllStringSubmatch(out.String(), -1); len(m) > 0 {
			r.note = fmt.Sprintf("preview %s fps, a repaint %s ms", m[len(m)-1][1], m[len(m)-1][2])
		}
		return r, nil
	}

	var rows []windowRow
	// The empty window.
	cmd := exec.Command(empty)
	cmd.Env = env(filepath.Join(dir, "empty"))
	r, err := measure("empty Fyne window 1200×760", cmd, "")
	if err != nil {
		return err
	}
	r.target, r.ok = "floor", true
	floor := r.cpu
	rows = append(rows, r)

	// The idle window.
	idleHome := filepath.Join(dir, "idle")
	cmd = exec.Command(bin, "--rtmp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--null-audio", "--log-level", "debug")
	cmd.Env = env(idleHome)
	r, err = measure("OnAir window idle (preview on)", cmd, "loopback server on")
	if err != nil {
		return err
	}
	r.target, r.ok = fmt.Sprintf("≤ %.0f %%", windowIdleMax), r.cpu <= windowIdleMax
	rows = append(rows, r)

	// The CLI and the window, live with the same settings.
	liveHome := filepath.Join(dir, "live")
	if err := seedWindowPrefs(liveHome, ng.URL("live", "")); err != nil {
		return err
	}
	var clis, wins []windowRow
	for i := 0; i < windowRounds; i++ {
		cmd = exec.Command(bin, "live", "--to", ng.URL("live", "wincli"), "--size", "1280x720", "--fps", "30",
			"--preset", "veryfast", "--vbitrate", "2500k", "--abitrate", "128k", "--keyint", "2s",
			"--duration", (windowWarmup + windowMeasure + 5*time.Second).String(), "--log-level", "info")
		r, err = measure("onair live 720p30 veryfast 2500k (CLI)", cmd, "")
		if err != nil {
			return err
		}
		clis = append(clis, r)
		cmd = exec.Command(bin, "--startstreaming", "--null-audio", "--log-level", "debug")
		cmd.Env = env(liveHome)
		r, err = measure("OnAir window live 720p30 (same settings)", cmd, "destination live")
		if err != nil {
			return err
		}
		wins = append(wins, r)
	}
	r = lowestCPU(clis, func(r windowRow) float64 { return r.cpu })
	r.target, r.ok = "—", true
	cli := r.cpu
	rows = append(rows, r)
	r = lowestCPU(wins, func(r windowRow) float64 { return r.cpu })
	r.target = fmt.Sprintf("≤ %.1f× the CLI (%.2f×)", windowLiveMax, r.cpu/cli)
	r.ok = r.cpu <= windowLiveMax*cli
	rows = append(rows, r)

	fmt.Printf("\nWindow: CPU %% of one core over %v after %v, Xvfb 1280x800 (Mesa software rendering), %d cores\n\n", windowMeasure, windowWarmup, numCPU())
	fmt.Println("| process | CPU % of a core | Xvfb % | target | result |")
	fmt.Println("|---|---|---|---|---|")
	failed := false
	for _, r := range rows {
		verdict := "ok"
		if !r.ok {
			verdict, failed = "FAIL", true
		}
		name := r.name
		if r.note != "" {
			name += " — " + r.note
		}
		fmt.Printf("| %s | %.1f | %.1f | %s | %s |\n", name, r.cpu, r.xcpu, r.target, verdict)
	}
	fmt.Printf("\n(the idle window is %.1f points above the empty one)\n", rows[1].cpu-floor)
	if failed {
		return fmt.Errorf("a window target was missed")
	}
	return nil
}

// seedWindowPrefs writes the window's preferences under home: one
// destination, server (rtmp://host/app/) with the key "window", and the
// loopback server off, so that the window's process does what the CLI's
// does.
func seedWindowPrefs(home, server string) error {
	dests, err := json.Marshal([]map[string]string{{"server": strings.TrimSuffix(server, "/"), "key": "window"}})
	if err != nil {
		return err
	}
	prefs, err := json.Marshal(map[string]any{"dest.list": string(dests), "loopback.on": false})
	if err != nil {
		return err
	}
	d := filepath.Join(home, ".config", "fyne", "dev.onair.studio")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(d, "preferences.json"), prefs, 0o644)
}
