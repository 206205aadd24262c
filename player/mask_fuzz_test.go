package player

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzMaskURL: whatever the input, MaskURL never panics and never shows an
// RTMP stream key, a password or a query of a URL that parses.
func FuzzMaskURL(f *testing.F) {
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
		got := MaskURL(raw)
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || !strings.Contains(raw, "://") {
			return
		}
		if p, ok := u.User.Password(); ok && len(p) >= 4 && strings.Contains(got, p) {
			t.Fatalf("MaskURL(%q) = %q shows the password", raw, got)
		}
		if len(u.RawQuery) >= 4 && strings.Contains(got, u.RawQuery) {
			t.Fatalf("MaskURL(%q) = %q shows the query", raw, got)
		}
		switch strings.ToLower(u.Scheme) {
		case "rtmp", "rtmps", "rtmpt", "rtmpts":
			path := strings.TrimRight(u.Path, "/")
			if i := strings.LastIndexByte(path, '/'); i > 0 {
				// The last path element of the result is the mask.
				out, _, _ := strings.Cut(got, "?")
				if last := out[strings.LastIndexByte(out, '/')+1:]; last != "****" {
					t.Fatalf("MaskURL(%q) = %q: last element %q, want the mask", raw, got, last)
				}
			}
		}
	})
}
