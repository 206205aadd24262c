package loopback

import (
	"bytes"
	"embed"
	"html/template"
	"net"
	"net/http"
	"strings"
	"time"

	"onair/publish/loopback/hls"
)

// The web pages (embedded: the binary serves them as they are):
//   - http://HTTP/ (index.html): the live streams, with thumbnails,
//     codecs, uptime, viewers and their addresses, updated every 2 s from
//     /api/streams (with the page's ?token= when the API wants one);
//   - http://HTTP/live/NAME (watch.html): plays the stream over WebRTC
//     (web/whep.js, the browser's RTCPeerConnection against whep.go), over
//     HTTP-FLV into Media Source Extensions (web/flv.js: FLV to fragmented
//     MP4), or the HLS playlist where the browser plays HLS itself; the
//     latency from the test signal's stripe (web/stripe.js);
//   - http://HTTP/web/FILE.js: the pages' scripts.
//
//go:embed web
var webFiles embed.FS

// pages are the server's web pages, parsed once.
type pages struct {
	index, watch *template.Template
}

func newPages() pages {
	return pages{
		index: template.Must(template.ParseFS(webFiles, "web/index.html")),
		watch: template.Must(template.ParseFS(webFiles, "web/watch.html")),
	}
}

// serveIndex answers http://HTTP/.
func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	_, port, _ := net.SplitHostPort(s.RTMPAddr())
	s.servePage(w, r, s.pages.index, struct{ RTMPPort string }{port})
}

// serveWatch answers http://HTTP/live/NAME: the page plays whatever is
// live under that name, and waits for it when nothing is.
func (s *Server) serveWatch(w http.ResponseWriter, r *http.Request, name string) {
	s.servePage(w, r, s.pages.watch, struct{ Name string }{name})
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request, t *template.Template, data any) {
	if !hls.ReadOnly(w, r) {
		return
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b.Bytes())
}

// serveWebFile answers /web/FILE.js.
func (s *Server) serveWebFile(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/web/")
	if !strings.HasSuffix(name, ".js") || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	b, err := webFiles.ReadFile("web/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}
