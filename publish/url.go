package publish

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"onair/internal/urlmask"
	"onair/publish/rtmp"
)

// ErrBadURL is returned by ParseURL when a destination URL cannot be used;
// the message says why and never contains the stream key.
var ErrBadURL = errors.New("bad stream URL")

// Target is a parsed publish destination
// SCHEME://host[:port]/app[/instance]/streamkey[?query], SCHEME one of
// rtmp.SchemeNames or rtmfp (RTMP over UDP, package rtmfp).
type Target struct {
	// Scheme is the scheme in lower case: "rtmp", "rtmps", "rtmpt",
	// "rtmpts", "rtmpe", "rtmpte" or "rtmfp".
	Scheme string
	// Transport is what the scheme asks of the connection (TLS, HTTP
	// tunnel, encryption); zero for rtmfp.
	Transport rtmp.Scheme
	// RTMFP: the destination speaks RTMFP over UDP (default port 1935).
	RTMFP bool
	// Host is the host name or address, without port.
	Host string
	// Port defaults to the scheme's: 1935 for rtmp, 443 for rtmps and
	// rtmpts, 80 for rtmpt.
	Port string
	// App is everything between the host and the last path element,
	// e.g. "live" or "app/instance".
	App string
	// Key is the stream name, with the original query ("key?token=…")
	// kept for servers that authenticate with it. Never log it.
	Key string
}

// ParseURL parses a destination URL.
func ParseURL(raw string) (*Target, error) {
	masked := urlmask.MaskDest(raw)
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: not a URL: %w", masked, ErrBadURL)
	}
	sc, ok := rtmp.LookupScheme(u.Scheme)
	rtmfp := strings.EqualFold(u.Scheme, "rtmfp")
	switch {
	case u.Scheme == "":
		return nil, fmt.Errorf("%s: missing scheme, want rtmp:// or rtmps://: %w", masked, ErrBadURL)
	case rtmfp:
		sc = rtmp.Scheme{Name: "rtmfp", Port: "1935"}
	case !ok:
		return nil, fmt.Errorf("%s: unsupported scheme %q, want %s or rtmfp: %w", masked, u.Scheme, rtmp.SchemeNames(), ErrBadURL)
	}
	t := &Target{Scheme: sc.Name, Transport: sc, Port: sc.Port, RTMFP: rtmfp}
	if u.User != nil {
		return nil, fmt.Errorf("%s: user info in the URL is not supported: %w", masked, ErrBadURL)
	}
	t.Host = u.Hostname()
	if t.Host == "" {
		return nil, fmt.Errorf("%s: missing host: %w", masked, ErrBadURL)
	}
	if p := u.Port(); p != "" {
		t.Port = p
	}
	path := strings.Trim(u.EscapedPath(), "/")
	i := strings.LastIndexByte(path, '/')
	if i <= 0 || i == len(path)-1 {
		// The one path element may be the key: show none of it.
		return nil, fmt.Errorf("%s://%s/%s: want /app/streamkey after the host: %w", u.Scheme, u.Host, urlmask.Token, ErrBadURL)
	}
	app, err := url.PathUnescape(path[:i])
	if err != nil {
		return nil, fmt.Errorf("%s: bad escaping in the app name: %w", masked, ErrBadURL)
	}
	key, err := url.PathUnescape(path[i+1:])
	if err != nil {
		return nil, fmt.Errorf("%s: bad escaping in the stream key: %w", masked, ErrBadURL)
	}
	t.App, t.Key = app, key
	if u.RawQuery != "" {
		t.Key += "?" + u.RawQuery
	}
	return t, nil
}

// Addr is host:port for dialing.
func (t *Target) Addr() string { return net.JoinHostPort(t.Host, t.Port) }

// TCURL is the tcUrl sent in connect: the URL up to and including the app.
func (t *Target) TCURL() string {
	return t.Scheme + "://" + t.Addr() + "/" + t.App
}

// String is the URL with the stream key masked.
func (t *Target) String() string {
	return t.TCURL() + "/" + urlmask.Token
}
