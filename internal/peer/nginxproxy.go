package peer

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// NginxProxy is nginx as an HTTP and HTTPS reverse proxy in front of an
// HTTP backend, the way a site puts its media server behind a web front:
// http://127.0.0.1:HTTPPort and https://127.0.0.1:HTTPSPort (the
// certificate CertFile, self-signed by the caller) forward every request
// to the backend over HTTP/1.1 keep-alive, unbuffered.
type NginxProxy struct {
	HTTPPort, HTTPSPort int
	*nginxProc
}

// StartNginxProxy writes a configuration into dir and starts the proxy on
// free ports, TLS with the PEM files certFile and keyFile.
func StartNginxProxy(dir, backend, certFile, keyFile string) (*NginxProxy, error) {
	bin, err := Require("nginx", "nginx")
	if err != nil {
		return nil, err
	}
	httpPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	httpsPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o777); err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, "tmp")
	conf := fmt.Sprintf(`%s
http {
  access_log off;
  client_body_temp_path %s/body;
  proxy_temp_path %s/proxy;
  fastcgi_temp_path %s/fastcgi;
  uwsgi_temp_path %s/uwsgi;
  scgi_temp_path %s/scgi;
  upstream backend {
    server %s;
    keepalive 8;
  }
  server {
    listen 127.0.0.1:%d;
    listen 127.0.0.1:%d ssl;
    ssl_certificate %s;
    ssl_certificate_key %s;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`, nginxMain(dir), tmp, tmp, tmp, tmp, tmp, backend, httpPort, httpsPort, certFile, keyFile)
	proc, err := startNginxProc(bin, dir, conf, "127.0.0.1:"+strconv.Itoa(httpsPort))
	if err != nil {
		return nil, err
	}
	return &NginxProxy{HTTPPort: httpPort, HTTPSPort: httpsPort, nginxProc: proc}, nil
}

// HTTPAddr is the plain HTTP host:port.
func (n *NginxProxy) HTTPAddr() string { return "127.0.0.1:" + strconv.Itoa(n.HTTPPort) }

// HTTPSAddr is the HTTPS host:port.
func (n *NginxProxy) HTTPSAddr() string { return "127.0.0.1:" + strconv.Itoa(n.HTTPSPort) }
