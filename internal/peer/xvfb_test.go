package peer

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// xScreen is what the X server's connection setup reply says of a screen.
type xScreen struct{ Width, Height, Depth int }

// xConnect opens an X11 connection to x on its socket (no tool needed: the
// connection setup by hand) and returns its screens.
func xConnect(t *testing.T, x *Xvfb) []xScreen {
	t.Helper()
	c, err := net.DialTimeout("unix", x.Socket(), 2*time.Second)
	if err != nil {
		t.Fatalf("connecting to %s: %v\nXvfb:\n%s", x.Display, err, x.Log())
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	// Little-endian, protocol 11.0, no authorisation.
	if _, err := c.Write([]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(c, head); err != nil {
		t.Fatalf("X11 setup on %s: %v", x.Display, err)
	}
	le := binary.LittleEndian
	body := make([]byte, 4*int(le.Uint16(head[6:])))
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatalf("X11 setup on %s: %v", x.Display, err)
	}
	if head[0] != 1 {
		t.Fatalf("X11 setup on %s refused (status %d): %q", x.Display, head[0], body)
	}
	vendor, nScreens, nFormats := int(le.Uint16(body[16:])), int(body[20]), int(body[21])
	off := 32 + (vendor+3)/4*4 + 8*nFormats
	var screens []xScreen
	for i := 0; i < nScreens; i++ {
		s := body[off:]
		screens = append(screens, xScreen{int(le.Uint16(s[20:])), int(le.Uint16(s[22:])), int(s[38])})
		nDepths := int(s[39])
		off += 40
		for d := 0; d < nDepths; d++ {
			off += 8 + 24*int(le.Uint16(body[off+2:]))
		}
	}
	return screens
}

func TestXvfb(t *testing.T) {
	x, err := StartXvfb("640x480x24", "320x240x16")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Stop()
	if !strings.HasPrefix(x.Display, ":") || x.PID <= 0 {
		t.Fatalf("display %q, pid %d", x.Display, x.PID)
	}
	if env := x.Env(); env[len(env)-1] != "DISPLAY="+x.Display || strings.Count(strings.Join(env, "\n"), "\nDISPLAY=") > 1 {
		t.Errorf("Env: %v", env)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", x.PID)); err != nil {
		t.Errorf("PID %d: %v", x.PID, err)
	}
	if got, want := xConnect(t, x), []xScreen{{640, 480, 24}, {320, 240, 16}}; !reflect.DeepEqual(got, want) {
		t.Errorf("screens %v, want %v", got, want)
	}
	// -nolisten tcp: no port 6000+N.
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", 6000+displayNumber(t, x))); err == nil {
		c.Close()
		t.Error("Xvfb listens on TCP")
	}

	x.Stop()
	x.Stop() // a second Stop is a no-op
	if err := syscall.Kill(x.PID, 0); err == nil {
		t.Errorf("Xvfb (pid %d) still runs after Stop", x.PID)
	}
	if c, err := net.Dial("unix", x.Socket()); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Stop", x.Socket())
	}
}

// TestXvfbConcurrent starts servers at once: each gets a display of its own.
func TestXvfbConcurrent(t *testing.T) {
	const n = 3
	var wg sync.WaitGroup
	xs := make([]*Xvfb, n)
	errs := make([]error, n)
	for i := range xs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			xs[i], errs[i] = StartXvfb(fmt.Sprintf("%dx240x24", 320+2*i))
		}(i)
	}
	wg.Wait()
	for _, x := range xs {
		if x != nil {
			defer x.Stop()
		}
	}
	seen := map[string]bool{}
	for i, x := range xs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if seen[x.Display] {
			t.Fatalf("two servers on %s", x.Display)
		}
		seen[x.Display] = true
		// Each display is the server started with that size.
		if got, want := xConnect(t, x), []xScreen{{320 + 2*i, 240, 24}}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: screens %v, want %v", x.Display, got, want)
		}
	}
}

func TestXvfbBadScreen(t *testing.T) {
	x, err := StartXvfb("nonsense")
	if err == nil {
		x.Stop()
		t.Fatal("Xvfb started with screen size \"nonsense\"")
	}
	if !strings.Contains(err.Error(), "exited at start") {
		t.Errorf("error %v", err)
	}
}

func displayNumber(t *testing.T, x *Xvfb) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(x.Display, ":%d", &n); err != nil {
		t.Fatal(err)
	}
	return n
}
