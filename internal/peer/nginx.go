package peer

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// rtmpModule is where Debian's libnginx-mod-rtmp puts the module.
const rtmpModule = "/usr/lib/nginx/modules/ngx_rtmp_module.so"

// Nginx is an nginx process with the RTMP module, serving:
//   - rtmp://127.0.0.1:RTMPPort/live/NAME: publish and play;
//   - rtmp://127.0.0.1:RTMPPort/deny/NAME: every publish is denied;
//   - HLS of /live streams under Dir/hls/NAME.m3u8.
type Nginx struct {
	RTMPPort int
	Dir      string

	mu     sync.Mutex
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	waited chan struct{}
}

// StartNginx writes a configuration into dir and starts nginx on a free
// port (or on port, when non-zero, e.g. to restart on the same port).
func StartNginx(dir string, port int) (*Nginx, error) {
	bin, err := Require("nginx", "nginx libnginx-mod-rtmp")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(rtmpModule); err != nil {
		return nil, fmt.Errorf("the nginx RTMP module is missing (%s): run `make deps-test` (or `sudo apt-get install libnginx-mod-rtmp`): %w", rtmpModule, ErrMissing)
	}
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{"logs", "hls", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o777); err != nil {
			return nil, err
		}
	}
	conf := fmt.Sprintf(`load_module %s;
daemon off;
master_process off;
worker_processes 1;
error_log %s/logs/error.log info;
pid %s/logs/nginx.pid;
events { worker_connections 1024; }
rtmp {
  server {
    listen 127.0.0.1:%d;
    chunk_size 4096;
    application live {
      live on;
      record off;
      hls on;
      hls_path %s/hls;
      hls_fragment 1s;
      hls_playlist_length 6s;
    }
    application deny {
      live on;
      deny publish all;
    }
  }
}
`, rtmpModule, dir, dir, port, dir)
	cf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	n := &Nginx{RTMPPort: port, Dir: dir, stderr: &bytes.Buffer{}, waited: make(chan struct{})}
	n.cmd = exec.Command(bin, "-p", dir, "-c", cf, "-e", filepath.Join(dir, "logs", "stderr.log"))
	n.cmd.Stderr = n.stderr
	n.cmd.Stdout = n.stderr
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting nginx: %w", err)
	}
	go func() { _ = n.cmd.Wait(); close(n.waited) }()
	// Ready when the port accepts.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", n.Addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return n, nil
		}
		select {
		case <-n.waited:
			return nil, fmt.Errorf("nginx exited at start: %s %s", n.stderr.String(), n.ErrorLog())
		default:
		}
		if time.Now().After(deadline) {
			n.Stop()
			return nil, fmt.Errorf("nginx did not listen on %s within 5 s: %s", n.Addr(), n.ErrorLog())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Addr is the RTMP host:port.
func (n *Nginx) Addr() string { return "127.0.0.1:" + strconv.Itoa(n.RTMPPort) }

// URL is the RTMP URL of stream name in application app.
func (n *Nginx) URL(app, name string) string {
	return "rtmp://" + n.Addr() + "/" + app + "/" + name
}

// ErrorLog returns nginx's error log so far.
func (n *Nginx) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(n.Dir, "logs", "error.log"))
	return string(b)
}

// Stop ends nginx (SIGTERM, then SIGKILL) and waits for it.
func (n *Nginx) Stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	terminate(n.cmd.Process, n.waited, 3*time.Second)
}

// PID of the nginx process.
func (n *Nginx) PID() int { return n.cmd.Process.Pid }

// Exited is closed when nginx has exited.
func (n *Nginx) Exited() <-chan struct{} { return n.waited }
