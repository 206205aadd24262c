package peer

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Xvfb is a virtual X server of a test's or bench's own, on a display
// number it picked itself, listening on local sockets only:
//
//	Xvfb -displayfd 3 -screen 0 WxHxD [-screen 1 …] -nolisten tcp -noreset
//
// With -displayfd the server takes the first display number whose sockets
// it can bind (the abstract socket @/tmp/.X11-unix/XN makes that atomic
// between servers of one machine, so two started at once never share a
// number and a stale socket file does not stop it) and writes the number
// to the pipe only once it accepts connections: there is no probing of
// lock files and no race to lose. -noreset: when its last client leaves,
// Xvfb would otherwise reset, and the root window lose the picture a
// client put there (ImageMagick's display -window root).
type Xvfb struct {
	// Display is the X11 display name, ":N"; screen S of it is
	// Display+".S".
	Display string
	// PID is the process ID of the server (for reading its CPU time in
	// /proc/PID/stat).
	PID int
	// Screens are the -screen sizes it was started with, "WxHxDEPTH".
	Screens []string

	cmd    *exec.Cmd
	log    LockedBuffer
	waited chan struct{}
	stop   sync.Once
}

// xvfbStartTimeout bounds the server's start-up, on a loaded machine too.
const xvfbStartTimeout = 10 * time.Second

// StartXvfb starts Xvfb with one screen per size ("1280x720x24": width,
// height and depth; screen 0 first), or Xvfb's default screen when there
// is none, and returns once the display accepts connections. Stop it when
// done.
func StartXvfb(screens ...string) (*Xvfb, error) {
	bin, err := Require("Xvfb", "xvfb")
	if err != nil {
		return nil, err
	}
	args := []string{"-displayfd", "3"}
	for i, s := range screens {
		args = append(args, "-screen", strconv.Itoa(i), s)
	}
	args = append(args, "-nolisten", "tcp", "-noreset")
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	x := &Xvfb{Screens: screens, waited: make(chan struct{})}
	x.cmd = exec.Command(bin, args...)
	x.cmd.ExtraFiles = []*os.File{w} // fd 3
	x.cmd.Stdout, x.cmd.Stderr = &x.log, &x.log
	err = x.cmd.Start()
	w.Close()
	if err != nil {
		return nil, fmt.Errorf("starting Xvfb: %w", err)
	}
	x.PID = x.cmd.Process.Pid
	go func() { _ = x.cmd.Wait(); close(x.waited) }()

	// The number comes on a line when the server is ready; EOF when it
	// exits first.
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- s
	}()
	var s string
	select {
	case s = <-line:
	case <-time.After(xvfbStartTimeout):
		x.Stop()
		return nil, fmt.Errorf("Xvfb %s: no display within %v: %s", strings.Join(args, " "), xvfbStartTimeout, x.Log())
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		x.Stop()
		return nil, fmt.Errorf("Xvfb %s exited at start (display %q): %s", strings.Join(args, " "), s, x.Log())
	}
	x.Display = ":" + strconv.Itoa(n)
	// Ready by -displayfd's promise; a connection to its socket confirms it.
	c, err := net.DialTimeout("unix", x.Socket(), time.Second)
	if err != nil {
		x.Stop()
		return nil, fmt.Errorf("Xvfb on %s does not accept connections: %w: %s", x.Display, err, x.Log())
	}
	c.Close()
	return x, nil
}

// Socket is the path of the display's Unix socket.
func (x *Xvfb) Socket() string {
	return "/tmp/.X11-unix/X" + strings.TrimPrefix(x.Display, ":")
}

// Env is the environment for a client of this server: this process's, with
// DISPLAY set to it (for screen S, set DISPLAY to Display+".S" instead).
func (x *Xvfb) Env() []string {
	return append(envWithout("DISPLAY"), "DISPLAY="+x.Display)
}

// Log is what the server printed.
func (x *Xvfb) Log() string { return x.log.String() }

// Stop ends the server (SIGTERM, then SIGKILL after 5 s) and waits for it.
// It may be called more than once, and concurrently.
func (x *Xvfb) Stop() {
	x.stop.Do(func() { terminate(x.cmd.Process, x.waited, 5*time.Second) })
}

// terminate sends p SIGTERM, then SIGKILL after grace, and returns once
// waited (closed when p's Wait has returned) is closed.
func terminate(p *os.Process, waited <-chan struct{}, grace time.Duration) {
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-waited:
	case <-time.After(grace):
		_ = p.Kill()
		<-waited
	}
}
