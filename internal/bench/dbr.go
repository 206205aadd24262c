package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"onair/internal/peer"
)

// Dynamic bitrate (`-only dbr`): `onair live --vbitrate 2500k` (720p30
// veryfast) to nginx-rtmp through peer.Throttle; after 3 s the link is
// limited to 1 Mbit/s for 20 s, then freed. Reaction: from the limit to
// the encoder's target under 1000 kb/s; recovery: from the lift to the
// target back at 2500 kb/s, both from the times of OnAir's own log lines
// ("video bitrate target", --log-level info). No peer: the ffmpeg CLI has
// no dynamic bitrate, and OBS's is not run here.

const (
	dbrRounds  = 3
	dbrLimited = 20 * time.Second
)

// dbrEvent is a target change OnAir logged.
type dbrEvent struct {
	at   time.Time
	kbps int
}

var dbrKbps = regexp.MustCompile(`msg="video bitrate target" kbps=(\d+)`)

func runDBRBench(bin string, ng *peer.Nginx) error {
	var reacts, recovers []time.Duration
	for i := 0; i < dbrRounds; i++ {
		fmt.Fprintf(os.Stderr, "bench: dbr: round %d of %d ...\n", i+1, dbrRounds)
		react, recov, err := dbrRound(bin, ng, i)
		if err != nil {
			return err
		}
		reacts, recovers = append(reacts, react), append(recovers, recov)
	}
	fmt.Printf("\nDynamic bitrate: onair live --vbitrate 2500k (720p30 veryfast) -> 1 Mbit/s token-bucket proxy -> nginx-rtmp, %d rounds, %d cores\n\n", dbrRounds, numCPU())
	fmt.Println("| measure | OnAir (median; rounds) | peer | target |")
	fmt.Println("|---|---|---|---|")
	row := func(name string, ds []time.Duration, target time.Duration) bool {
		med := medianOf(ds)
		var all []string
		for _, d := range ds {
			all = append(all, fmt.Sprintf("%.1f", d.Seconds()))
		}
		ok := med <= target
		verdict := "ok"
		if !ok {
			verdict = "FAIL"
		}
		fmt.Printf("| %s | %.1f s (%s) | — (no peer: the ffmpeg CLI has no dynamic bitrate) | ≤ %v: %s |\n",
			name, med.Seconds(), strings.Join(all, ", "), target, verdict)
		return ok
	}
	ok := row("DBR reaction time (limit to 1 Mbit/s → target under 1000 kb/s)", reacts, 5*time.Second)
	ok = row("DBR recovery time (limit lifted → target back at 2500 kb/s)", recovers, 45*time.Second) && ok
	if !ok {
		return fmt.Errorf("a dynamic bitrate target was missed")
	}
	return nil
}

func medianOf(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// dbrRound runs one limit-and-lift and returns the reaction and recovery.
func dbrRound(bin string, ng *peer.Nginx, i int) (react, recov time.Duration, err error) {
	th, err := peer.StartThrottle(ng.Addr(), 0)
	if err != nil {
		return 0, 0, err
	}
	defer th.Close()
	cmd := exec.Command(bin, "live", "--to", fmt.Sprintf("rtmp://%s/live/dbr%d", th.Addr(), i),
		"--vbitrate", "2500k", "--size", "1280x720", "--preset", "veryfast", "--log-level", "info", "--duration", "2m")
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
	}()
	live := make(chan struct{})
	events := make(chan dbrEvent, 64)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(errPipe)
		isLive := false
		for sc.Scan() {
			line := sc.Text()
			if !isLive && strings.Contains(line, "msg=live") {
				isLive = true
				close(live)
			}
			m := dbrKbps.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			ts, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
			at, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				continue
			}
			kbps, _ := strconv.Atoi(m[1])
			events <- dbrEvent{at, kbps}
		}
	}()
	select {
	case <-live:
	case <-time.After(20 * time.Second):
		return 0, 0, fmt.Errorf("dbr: onair live did not go live")
	}
	// until waits for a logged target that ok accepts, at most d.
	until := func(ok func(int) bool, d time.Duration) (time.Time, error) {
		deadline := time.After(d)
		for {
			select {
			case e, more := <-events:
				if !more {
					return time.Time{}, fmt.Errorf("dbr: onair live ended")
				}
				if ok(e.kbps) {
					return e.at, nil
				}
			case <-deadline:
				return time.Time{}, fmt.Errorf("dbr: no such target within %v", d)
			}
		}
	}
	time.Sleep(3 * time.Second)
	th.SetRate(125_000)
	limited := time.Now()
	at, err := until(func(k int) bool { return k < 1000 }, dbrLimited)
	if err != nil {
		return 0, 0, fmt.Errorf("%w (reaction)", err)
	}
	react = at.Sub(limited)
	time.Sleep(time.Until(limited.Add(dbrLimited)))
	th.SetRate(0)
	lifted := time.Now()
	if at, err = until(func(k int) bool { return k >= 2500 }, 90*time.Second); err != nil {
		return 0, 0, fmt.Errorf("%w (recovery)", err)
	}
	return react, at.Sub(lifted), nil
}
