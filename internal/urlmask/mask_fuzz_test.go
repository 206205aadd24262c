package urlmask

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzMask: whatever the input, Mask never panics and, for a URL that
// parses, shows no user info, no query value, no fragment and no RTMP
// stream key. (Moved from player's FuzzMaskURL, with its corpus.)
func FuzzMask(f *testing.F) {
	for _, s := range []string{
		"rtmp://example.com/live/KEY123",
		"rtmps://user:PASSWD@example.com:443/app/inst/KEY123?token=T0K",
		"http://example.com/live/s.m3u8?token=T0K",
		"srt://example.com:9000?streamid=publish:T0K",
		"rtmp://[::1]:1935/live/KEY123#frag",
		"clip.mp4",
		"rtmp://example.com//live//KEY123",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := Mask(raw)
		s := strings.TrimSpace(raw)
		scheme, _, ok := splitScheme(s)
		if !ok {
			return
		}
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		out := strings.TrimPrefix(got, scheme+"://")
		if u.User != nil && !strings.HasPrefix(out, Token+"@") {
			t.Fatalf("Mask(%q) = %q shows the user info", raw, got)
		}
		if strings.Contains(got, "#") {
			t.Fatalf("Mask(%q) = %q shows the fragment", raw, got)
		}
		if out == Token+"@"+Token {
			// The fallback for an '@' that cannot be placed: nothing
			// after the scheme is shown, key and query included.
			return
		}
		path, query, _ := strings.Cut(out, "?")
		checkQuery(t, raw, got, query)
		if isRTMP(u.Scheme) {
			p := strings.TrimRight(u.Path, "/")
			if i := strings.LastIndexByte(p, '/'); i > 0 {
				if last := path[strings.LastIndexByte(path, '/')+1:]; last != Token {
					t.Fatalf("Mask(%q) = %q: last element %q, want the mask", raw, got, last)
				}
			}
		}
	})
}

// checkQuery fails unless every parameter of a masked query is hidden.
func checkQuery(t *testing.T, raw, got, query string) {
	t.Helper()
	if query == "" {
		return
	}
	for _, p := range strings.Split(query, "&") {
		k, v, ok := strings.Cut(p, "=")
		switch {
		case p == "", p == Token:
		case ok && v == Token && plainKey(k):
		default:
			t.Fatalf("Mask(%q) = %q shows query parameter %q", raw, got, p)
		}
	}
}

// marker is the secret FuzzMaskParts hides in a URL; it must never come out.
const marker = "S3CRETMARK"

// FuzzMaskParts builds URLs from fuzzed parts with the marker as the
// password, the RTMP stream key and a query value, escaped (well formed) or
// raw (often malformed), and checks that the marker never survives.
func FuzzMaskParts(f *testing.F) {
	f.Add(uint8(0), "user", "pre", "example.com:1935", "live", "k", "token", "v", "x")
	f.Add(uint8(1), "", "", "h", "app/inst", "", "passphrase", "", "")
	f.Add(uint8(2), "admin", "p/ss", "[::1]:554", "", "a@b", "streamid", "#!::r=", "%zz")
	f.Add(uint8(0xff), "u:x", "p?#", "h%zz", "a@b/c", "k?", "a#b", "&z", " ")
	f.Add(uint8(0x13), "", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, mode uint8, user, pass, host, app, key, qkey, qval, tail string) {
		schemes := []string{"rtmp", "rtmps", "rtmpt", "rtmpts", "rtmpe", "rtmpte", "rtmfp", "http", "https", "rtsp", "srt", "RTMP"}
		scheme := schemes[int(mode&0x0f)%len(schemes)]
		escape := mode&0x10 != 0
		withUser := mode&0x20 != 0
		bareQuery := mode&0x40 != 0
		rtmp := isRTMP(scheme)
		clean := func(s, drop string) string {
			for strings.Contains(s, marker) {
				s = strings.ReplaceAll(s, marker, "")
			}
			return strings.Map(func(r rune) rune {
				if strings.ContainsRune(drop, r) {
					return -1
				}
				return r
			}, s)
		}
		// Parts around a secret may not hold the delimiters that would
		// give the secret another role (a '/' after the key makes it app).
		user, pass = clean(user, "@:/?#"), clean(pass, "@")
		host = clean(host, "@/?#")
		app, key = clean(app, "?#"), clean(key, "/?#")
		qkey, qval, tail = clean(qkey, "=&"), clean(qval, "&"), clean(tail, "")
		if escape {
			user, pass = url.PathEscape(user), url.PathEscape(pass)
			app, key = url.PathEscape(app), url.PathEscape(key)
			qkey, qval = url.QueryEscape(qkey), url.QueryEscape(qval)
			tail = url.QueryEscape(tail)
		}
		var b strings.Builder
		b.WriteString(scheme + "://")
		if withUser {
			b.WriteString(user + ":" + pass + marker + "@")
		}
		b.WriteString(host + "/" + app + "/")
		if rtmp {
			b.WriteString(key + marker)
		} else {
			b.WriteString(key)
		}
		if bareQuery {
			b.WriteString("?" + qval + marker)
		} else {
			b.WriteString("?" + qkey + "=" + qval + marker)
		}
		b.WriteString("&" + tail)
		raw := b.String()
		if got := Mask(raw); strings.Contains(got, marker) {
			t.Fatalf("Mask(%q) = %q shows the secret", raw, got)
		}
		if got := MaskDest(raw); strings.Contains(got, marker) {
			t.Fatalf("MaskDest(%q) = %q shows the secret", raw, got)
		}
	})
}
