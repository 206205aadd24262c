package app

import (
	"bufio"
	"encoding/json"
	"io"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"onair/internal/peer"
)

// jsonLine is one --stats-json line and when the test read it.
type jsonLine struct {
	at time.Time
	m  map[string]any
}

func (l jsonLine) num(k string) float64 {
	v, _ := l.m[k].(float64)
	return v
}

// startJSON starts cmd and hands its stdout's JSON lines to the returned
// channel, closed at the end of its output; stderr goes to errb. The
// process is stopped (SIGTERM, then waited for) when the test ends.
func startJSON(t *testing.T, cmd *exec.Cmd, errb *syncBuffer) <-chan jsonLine {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan jsonLine, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				ch <- jsonLine{time.Now(), m}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		go func() {
			for range ch { // let the reader finish
			}
		}()
		<-done
		_ = cmd.Wait()
	})
	return ch
}

// TestDynamicBitrate runs `onair live --vbitrate 2500k` through a proxy
// that limits it to 1 Mbit/s on its way to nginx-rtmp, with `onair play`
// reading the stream back from nginx: the target drops under 1000 kb/s,
// the send queue (kernel included) comes under 500 ms and stays there, no
// reconnect happens, and the reader sees pictures less than 1.5 s old (the
// test signal's capture time). When the limit lifts, the target climbs
// back to 2500 kb/s. `make bench` times the reaction and the recovery.
func TestDynamicBitrate(t *testing.T) {
	bin := buildBinary(t)
	ng := startNginx(t, 0)
	th, err := peer.StartThrottle(ng.Addr(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()

	var liveErr, playErr syncBuffer
	live := startJSON(t, exec.Command(bin, "live", "--to", "rtmp://"+th.Addr()+"/live/dbr",
		"--vbitrate", "2500k", "--size", "640x360", "--preset", "ultrafast", "--stats-json", "--log-level", "info"), &liveErr)
	defer func() {
		if t.Failed() {
			t.Logf("onair live's stderr:\n%s", liveErr.String())
			t.Logf("onair play's stderr:\n%s", playErr.String())
		}
	}()
	next := func(within time.Duration) jsonLine {
		t.Helper()
		select {
		case l, ok := <-live:
			if !ok {
				t.Fatal("onair live ended")
			}
			if l.num("reconnects") != 0 || l.m["state"] != "live" {
				t.Fatalf("onair live: state %v, reconnects %v: want live, no reconnect: %v", l.m["state"], l.m["reconnects"], l.m)
			}
			return l
		case <-time.After(within):
			t.Fatalf("no stats line from onair live in %v", within)
			return jsonLine{}
		}
	}
	next(20 * time.Second) // live
	play := startJSON(t, exec.Command(bin, "play", ng.URL("live", "dbr"), "--stats-json", "--null-audio"), &playErr)

	// Unlimited for 3 s: the configured bitrate.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		if l := next(5 * time.Second); l.num("vbitrate_target_kbps") != 2500 {
			t.Fatalf("unlimited: target %v kb/s, want 2500", l.m["vbitrate_target_kbps"])
		}
	}

	// 1 Mbit/s for 20 s.
	const limited = 20 * time.Second
	th.SetRate(125_000)
	start := time.Now()
	var reacted, settled time.Duration
	var worstQueue, peakQueue float64
	var lines []jsonLine
	stalls := 0
	prev := start
	for time.Since(start) < limited {
		l := next(5 * time.Second)
		lines = append(lines, l)
		since := l.at.Sub(start)
		target, queue := l.num("vbitrate_target_kbps"), l.num("queue_ms")
		// A line more than 1.4 s after the one before says the machine
		// stalled onair live (seen on a loaded 2-core machine): what
		// queued meanwhile is the machine's, not the link's; the next
		// line is judged.
		stalled := l.at.Sub(prev) > 1400*time.Millisecond
		prev = l.at
		switch {
		case reacted == 0 && target < 1000:
			reacted = since
		case reacted != 0 && settled == 0 && queue < 500:
			settled = since
		case settled != 0 && stalled:
			stalls++
		case settled != 0:
			worstQueue = max(worstQueue, queue)
		}
		peakQueue = max(peakQueue, queue)
	}
	// The reader's figures over the settled stretch, from 2 s after the
	// queue came under 500 ms (what was queued before has reached it).
	var worstP50, worstP95 float64
	readerLines := 0
	for drained := false; !drained; {
		select {
		case l, ok := <-play:
			if !ok {
				t.Fatal("onair play ended")
			}
			if settled != 0 && l.at.Sub(start) > settled+2*time.Second && l.m["latency_ms_p50"] != nil {
				readerLines++
				worstP50 = max(worstP50, l.num("latency_ms_p50"))
				worstP95 = max(worstP95, l.num("latency_ms_p95"))
			}
		default:
			drained = true
		}
	}
	for _, l := range lines {
		t.Logf("limited +%4.1fs: target %6.1f kb/s  video %6.1f kb/s  queue %5.0f ms  dropped %v",
			l.at.Sub(start).Seconds(), l.num("vbitrate_target_kbps"), l.num("video_kbps"), l.num("queue_ms"), l.m["drops"])
	}
	t.Logf("1 Mbit/s: target under 1000 kb/s after %v; queue under 500 ms after %v, then at most %.0f ms (at most %.0f ms before; %d lines after a stall not judged); reader latency p50 ≤ %.0f ms, p95 ≤ %.0f ms over %d s",
		reacted, settled, worstQueue, peakQueue, stalls, worstP50, worstP95, readerLines)
	if reacted == 0 || reacted > 5*time.Second {
		t.Errorf("the target went under 1000 kb/s after %v, want within 5 s", reacted)
	}
	if settled == 0 || settled > 12*time.Second {
		t.Errorf("the queue came under 500 ms after %v, want within 12 s", settled)
	}
	if worstQueue >= 500 || stalls > 3 {
		t.Errorf("the queue reached %.0f ms after it had come under 500 ms (%d lines after stalls not judged)", worstQueue, stalls)
	}
	if readerLines < 3 {
		t.Errorf("the reader gave %d latency figures while limited", readerLines)
	}
	if worstP50 >= 1500 {
		t.Errorf("the reader saw pictures %.0f ms old (p50 of a second), want under 1500 ms", worstP50)
	}

	// Unlimited again: back to 2500 kb/s within 45 s.
	th.SetRate(0)
	start = time.Now()
	var recovered time.Duration
	for recovered == 0 {
		l := next(5 * time.Second)
		if l.num("vbitrate_target_kbps") >= 2500 {
			recovered = l.at.Sub(start)
		} else if time.Since(start) > 45*time.Second {
			t.Fatalf("the target is %v kb/s 45 s after the limit lifted, want 2500", l.m["vbitrate_target_kbps"])
		}
	}
	t.Logf("unlimited: target back at 2500 kb/s after %v", recovered)
}
