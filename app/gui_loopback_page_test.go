package app

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestGUILoopbackWebPage: the Loopback tab's first address is the server's
// web page, which Copy copies and Open in browser opens; the page is
// there.
func TestGUILoopbackWebPage(t *testing.T) {
	logs := &syncBuffer{}
	g, _, _ := newTestGUI(t, logs)
	srv := g.loop.server()
	if srv == nil {
		t.Fatalf("no server: %q", uiValue(g, func() string { return g.loop.note.Text }))
	}
	row := -1
	for i, r := range loopbackRows {
		if strings.HasPrefix(r.label, "Web page") {
			row = i
		}
	}
	want := "http://" + srv.HTTPAddr() + "/"
	if got := uiValue(g, func() string { return g.loop.urls[row].Text }); got != want {
		t.Fatalf("web page row %q, want %s", got, want)
	}
	g.onUI(func() { test.Tap(g.loop.copyBtns[row]) })
	if got := g.app.Clipboard().Content(); got != want {
		t.Fatalf("copied %q, want %s", got, want)
	}
	g.onUI(func() { test.Tap(g.loop.openBtn) })
	if got := uiValue(g, func() string { return g.loop.note.Text }); got != "Opened "+want+" in the browser." {
		t.Fatalf("after Open in browser: %q", got)
	}
	resp, err := http.Get(want)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<title>OnAir") {
		t.Fatalf("the page: %d, %.200s", resp.StatusCode, body)
	}
}

// TestPageHost: a server on every interface is shown at a LAN address.
func TestPageHost(t *testing.T) {
	if got := pageHost("127.0.0.1:8080"); got != "127.0.0.1:8080" {
		t.Errorf("loopback: %q", got)
	}
	for _, a := range []string{"0.0.0.0:8080", "[::]:8080"} {
		host, port, err := net.SplitHostPort(pageHost(a))
		if ip := net.ParseIP(host); err != nil || port != "8080" || ip == nil || ip.IsUnspecified() {
			t.Errorf("%s: %q", a, pageHost(a))
		}
	}
}
