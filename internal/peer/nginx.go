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
//   - rtmp://127.0.0.1:RTMPPort/vod/FILE: the FLV or MP4 file Dir/vod/FILE
//     on demand (the play directive: duration in onMetaData, seek, pause);
//   - HLS of /live streams under Dir/hls/NAME.m3u8, served over HTTP at
//     HLSURL(NAME) with CORS (what a page of another origin, hls.js, needs).
type Nginx struct {
	RTMPPort int
	HTTPPort int
	*nginxProc
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
	httpPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	for _, sub := range []string{"hls", "vod"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o777); err != nil {
			return nil, err
		}
	}
	conf := fmt.Sprintf(`load_module %s;
%s
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
    application vod {
      play %s/vod;
    }
  }
}
http {
  access_log off;
  client_body_temp_path %[6]s/tmp/body;
  proxy_temp_path %[6]s/tmp/proxy;
  fastcgi_temp_path %[6]s/tmp/fastcgi;
  uwsgi_temp_path %[6]s/tmp/uwsgi;
  scgi_temp_path %[6]s/tmp/scgi;
  types {
    application/vnd.apple.mpegurl m3u8;
    video/mp2t ts;
  }
  server {
    listen 127.0.0.1:%[7]d;
    location /hls/ {
      alias %[6]s/hls/;
      add_header Cache-Control no-cache;
      add_header Access-Control-Allow-Origin *;
    }
  }
}
`, rtmpModule, nginxMain(dir), port, dir, dir, dir, httpPort)
	proc, err := startNginxProc(bin, dir, conf, "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, err
	}
	return &Nginx{RTMPPort: port, HTTPPort: httpPort, nginxProc: proc}, nil
}

// HLSURL is the HTTP URL of the HLS playlist of stream name in application live.
func (n *Nginx) HLSURL(name string) string {
	return "http://127.0.0.1:" + strconv.Itoa(n.HTTPPort) + "/hls/" + name + ".m3u8"
}

// Addr is the RTMP host:port.
func (n *Nginx) Addr() string { return "127.0.0.1:" + strconv.Itoa(n.RTMPPort) }

// URL is the RTMP URL of stream name in application app.
func (n *Nginx) URL(app, name string) string {
	return "rtmp://" + n.Addr() + "/" + app + "/" + name
}

// nginxMain is the main context of a configuration rooted in dir: one
// process in the foreground, logs under dir/logs.
func nginxMain(dir string) string {
	return fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
error_log %s/logs/error.log info;
pid %s/logs/nginx.pid;
events { worker_connections 4096; }`, dir, dir)
}

// nginxProc is a running nginx rooted in Dir.
type nginxProc struct {
	Dir string

	mu     sync.Mutex
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	waited chan struct{}
}

// startNginxProc writes conf into dir and runs nginx with it until it
// accepts on ready (host:port).
func startNginxProc(bin, dir, conf, ready string) (*nginxProc, error) {
	for _, d := range []string{"logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o777); err != nil {
			return nil, err
		}
	}
	cf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	n := &nginxProc{Dir: dir, stderr: &bytes.Buffer{}, waited: make(chan struct{})}
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
		c, err := net.DialTimeout("tcp", ready, 200*time.Millisecond)
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
			return nil, fmt.Errorf("nginx did not listen on %s within 5 s: %s", ready, n.ErrorLog())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ErrorLog returns nginx's error log so far.
func (n *nginxProc) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(n.Dir, "logs", "error.log"))
	return string(b)
}

// Stop ends nginx (SIGTERM, then SIGKILL) and waits for it.
func (n *nginxProc) Stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	terminate(n.cmd.Process, n.waited, 3*time.Second)
}

// PID of the nginx process.
func (n *nginxProc) PID() int { return n.cmd.Process.Pid }

// Exited is closed when nginx has exited.
func (n *nginxProc) Exited() <-chan struct{} { return n.waited }
