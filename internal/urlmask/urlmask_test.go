package urlmask

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		// RTMP family: the last path element is the stream key.
		{"rtmp", "rtmp://h/live/key", "rtmp://h/live/****"},
		{"rtmp port trailing slash", "rtmp://example.com:1935/live/KEY123/", "rtmp://example.com:1935/live/****"},
		{"rtmp app instance", "rtmp://example.com/app/instance/KEY123", "rtmp://example.com/app/instance/****"},
		{"rtmp app only", "rtmp://h/live", "rtmp://h/live"},
		{"rtmp host only", "rtmp://h", "rtmp://h"},
		{"rtmp query", "rtmp://h/live/key?t=1", "rtmp://h/live/****?t=****"},
		{"rtmp app query", "rtmp://h/live?token=x", "rtmp://h/live?token=****"},
		{"rtmp bare query", "rtmp://example.com/live/KEY123?T0K", "rtmp://example.com/live/****?****"},
		{"rtmp fragment", "rtmp://example.com/live/KEY123#T0K", "rtmp://example.com/live/****"},
		{"rtmp userinfo", "rtmp://u:p@h/live/key", "rtmp://****@h/live/****"},
		{"rtmp ipv6", "rtmp://[::1]:1935/live/KEY123", "rtmp://[::1]:1935/live/****"},
		{"rtmp double slashes", "rtmp://example.com//live//KEY123", "rtmp://example.com//live//****"},
		{"rtmp upper case", " RTMP://h/live/KEY123 ", "RTMP://h/live/****"},
		{"rtmps", "rtmps://user:PASSWD@example.com/live/KEY123?token=T0K", "rtmps://****@example.com/live/****?token=****"},
		{"rtmpt", "rtmpt://h:80/live/KEY123", "rtmpt://h:80/live/****"},
		{"rtmpts", "rtmpts://h/live/KEY123", "rtmpts://h/live/****"},
		{"rtmpe", "rtmpe://h/live/KEY123", "rtmpe://h/live/****"},
		{"rtmpte", "rtmpte://h/live/KEY123", "rtmpte://h/live/****"},
		{"rtmfp", "rtmfp://h/live/KEY123", "rtmfp://h/live/****"},
		// Other schemes: the path stays, user info and query values go.
		{"hls token", "http://example.com/live/s.m3u8?token=T0K", "http://example.com/live/s.m3u8?token=****"},
		{"https flv sig", "https://example.com/x.flv?sig=T0K&expires=1", "https://example.com/x.flv?sig=****&expires=****"},
		{"https userinfo", "https://user:PASSWD@example.com/s.flv", "https://****@example.com/s.flv"},
		{"https empty value", "https://example.com/s.flv?T0K=", "https://example.com/s.flv?****"},
		{"https odd key", "https://example.com/s.flv?a%20T0K=1", "https://example.com/s.flv?****"},
		{"rtsp userinfo", "rtsp://admin:PASSWD@cam.local:554/stream1", "rtsp://****@cam.local:554/stream1"},
		{"rtsp user only", "rtsp://PASSWD@example.com/cam", "rtsp://****@example.com/cam"},
		{"srt passphrase", "srt://example.com:9000?passphrase=T0K&mode=caller", "srt://example.com:9000?passphrase=****&mode=****"},
		{"srt streamid", "srt://example.com:9000?streamid=publish:T0K", "srt://example.com:9000?streamid=****"},
		{"srt streamid hash", "srt://h:9000?streamid=#!::r=live/T0K,m=publish&latency=1", "srt://h:9000?streamid=****&latency=****"},
		// Local paths stay.
		{"abs path", "/home/me/clip.mp4", "/home/me/clip.mp4"},
		{"file name", "clip.mp4", "clip.mp4"},
		{"garbage", "garbage", "garbage"},
		{"empty", "", ""},
		// Malformed URLs: string rules, nothing secret survives.
		{"bad escape", "rtmp://h:99999999/live/SECRETKEY%zz", "rtmp://h:99999999/live/****"},
		{"bad escape query", "http://h/x.m3u8?token=T0K%zz", "http://h/x.m3u8?token=****"},
		{"control char", "rtmp://h/live/KEY123\x01", "rtmp://h/live/****"},
		{"password with slash", "rtmp://u:PASS/WD@h/live/KEY123", "rtmp://****@****"},
		{"password with slash http", "http://u:PASS/WD@h/x?token=T0K", "http://****@h/x?token=****"},
		{"password with question mark", "rtsp://u:PA?SSWD@h/cam", "rtsp://****@****"},
		{"password with hash", "rtsp://u:PA#SSWD@h:x/cam", "rtsp://****@h:x/cam"},
		{"password with hash parses", "rtsp://u:123#PASSWD@h/cam", "rtsp://****@h/cam"},
		{"at in key", "rtmp://h/live/a@KEY123%zz", "rtmp://****@****"},
		{"at in key parses", "rtmp://h/live/a@KEY123", "rtmp://****@****"},
		{"at in srt query", "srt://h:9000?streamid=x@T0K", "srt://h:9000?streamid=****"},
		{"at in malformed srt query", "srt://h:9x00?streamid=x@T0K", "srt://****@****"},
		{"no scheme", "h/live/SECRETKEY", "h/live/****"},
		{"no scheme port", "h:1935/live/SECRETKEY", "h:1935/live/****"},
		{"no scheme userinfo", "u:PASSWD@h", "****@h"},
		{"opaque", "rtmp:h/live/KEY123", "rtmp:h/live/****"},
		{"query inside query", "h/live/KEY123?u=http://x", "h/live/****?u=****"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Mask(c.in); got != c.want {
				t.Errorf("Mask(%q) = %q, want %q", c.in, got, c.want)
			}
			for _, secret := range []string{"KEY123", "SECRETKEY", "T0K", "PASSWD", "PASS", "SSWD"} {
				if strings.Contains(c.in, secret) && strings.Contains(Mask(c.in), secret) {
					t.Errorf("Mask(%q) shows %s", c.in, secret)
				}
			}
		})
	}
}

// TestMaskHidesSecrets: whatever the form, a secret never shows. (The list
// player's TestMaskURL checked.)
func TestMaskHidesSecrets(t *testing.T) {
	for _, in := range []string{
		"rtmp://example.com/live/KEY123",
		"rtmp://example.com/live/KEY123?",
		"rtmp://example.com/live/KEY123%zz",
		"rtmp://[::1]:1935/live/KEY123",
		"rtmp://example.com//live//KEY123",
		"rtmp://user:PASSWD@example.com/live/KEY123",
		"rtmp://example.com/live/KEY123?pwd=T0K&x=1",
		" rtmp://example.com/live/KEY123 ",
		"http://example.com/x.m3u8?T0K",
		"https://example.com/x.flv?sig=T0K",
		"srt://example.com:9000?passphrase=T0K",
		"rtsp://PASSWD@example.com/cam",
	} {
		got := Mask(in)
		for _, secret := range []string{"KEY123", "T0K", "PASSWD"} {
			if strings.Contains(got, secret) {
				t.Errorf("Mask(%q) = %q shows %s", in, got, secret)
			}
		}
	}
}

func TestMaskDest(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"http://h/live/SECRETKEY", "http://h/live/****"},
		{"srt://h/live/SECRETKEY?passphrase=x", "srt://h/live/****?passphrase=****"},
		{"rtmp://u:p@h/live/key", "rtmp://****@h/live/****"},
		{"h/live/SECRETKEY", "h/live/****"},
		{"./live/SECRETKEY", "./live/****"},
		{"/live/SECRETKEY", "/live/****"},
		{"rtmp://h/live", "rtmp://h/live"},
	} {
		if got := MaskDest(c.in); got != c.want {
			t.Errorf("MaskDest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
