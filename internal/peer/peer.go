// Package peer starts and drives the third-party programs that OnAir is
// tested and benchmarked against: nginx with the RTMP module as a server,
// the ffmpeg/ffprobe CLI as publisher and player, headless Chromium for the
// web pages (StartChromium), and the environment they
// need: an Xvfb display (StartXvfb), a private PulseAudio server
// (StartPulse) and a slow link (StartThrottle). Everything listens on loopback ports or sockets picked at
// run time.
//
// A missing program is an error that says how to install it; tests must
// fail on it, never skip.
package peer

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// ErrMissing is returned when a peer program is not installed.
var ErrMissing = errors.New("peer program not installed")

// Require checks that a program is on PATH and says which Debian package
// brings it when it is not.
func Require(program, debPackage string) (string, error) {
	p, err := exec.LookPath(program)
	if err != nil {
		return "", fmt.Errorf("%s is not installed: run `make deps-test` (or `sudo apt-get install %s`): %w", program, debPackage, ErrMissing)
	}
	return p, nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// envWithout is this process's environment without the variables named.
func envWithout(names ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, k) {
			env = append(env, kv)
		}
	}
	return env
}
