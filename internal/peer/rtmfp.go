package peer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNoRTMFPPeer is returned when RTMFP_PEER_DIR does not name a folder
// with the RTMFP reference's tools: the tests that need them do not run
// (make test says so in one line), the OnAir-to-OnAir ones do.
var ErrNoRTMFPPeer = errors.New("the RTMFP reference peer (zenomt/rtmfp-cpp) is not built: set RTMFP_PEER_DIR to a folder with tcserver, tcpublish and tcconn (.ci/run builds them with ../shared/peers/build-rtmfp-cpp)")

// RTMFPTool is the path of one of the RTMFP reference's tools (tcserver,
// tcpublish, tcconn) in RTMFP_PEER_DIR.
func RTMFPTool(name string) (string, error) {
	dir := os.Getenv("RTMFP_PEER_DIR")
	if dir == "" {
		return "", ErrNoRTMFPPeer
	}
	p := filepath.Join(dir, name)
	if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not in RTMFP_PEER_DIR=%s: %w", name, dir, ErrNoRTMFPPeer)
	}
	return p, nil
}

// FreeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func FreeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// TCServer is the RTMFP reference's live server (tcserver): RTMFP on UDP
// and RTMP on TCP, the same streams on both.
type TCServer struct {
	RTMFPAddr, RTMPAddr string
	cmd                 *exec.Cmd
	out                 *LockedBuffer
	waited              chan struct{}
}

// StartTCServer starts tcserver on free loopback ports.
func StartTCServer() (*TCServer, error) {
	bin, err := RTMFPTool("tcserver")
	if err != nil {
		return nil, err
	}
	up, err := FreeUDPPort()
	if err != nil {
		return nil, err
	}
	tp, err := FreePort()
	if err != nil {
		return nil, err
	}
	s := &TCServer{RTMFPAddr: "127.0.0.1:" + strconv.Itoa(up), RTMPAddr: "127.0.0.1:" + strconv.Itoa(tp),
		out: &LockedBuffer{}, waited: make(chan struct{})}
	s.cmd = exec.Command(bin, "-B", s.RTMFPAddr, "-b", s.RTMPAddr)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting tcserver: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.waited) }()
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, err := net.DialTimeout("tcp", s.RTMPAddr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.waited:
			return nil, fmt.Errorf("tcserver exited at start: %s", s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("tcserver did not listen on %s: %s", s.RTMPAddr, s.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Fingerprint is the SHA-256 of tcserver's certificate (hex), from the
// first line it prints; it waits up to 5 s for it.
func (s *TCServer) Fingerprint() (string, error) {
	for deadline := time.Now().Add(5 * time.Second); ; {
		for _, line := range strings.Split(s.out.String(), "\n") {
			var m struct {
				Type        string `json:"@type"`
				Fingerprint string `json:"fingerprint"`
			}
			if json.Unmarshal([]byte(line), &m) == nil && m.Type == "rtmfp" && m.Fingerprint != "" {
				return m.Fingerprint, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("tcserver printed no fingerprint: %s", s.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Log is what tcserver printed (JSON lines, flushed every 5 s).
func (s *TCServer) Log() string { return s.out.String() }

// Stop ends tcserver and waits for it.
func (s *TCServer) Stop() { terminate(s.cmd.Process, s.waited, 3*time.Second) }
