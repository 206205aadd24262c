package publish

import (
	"errors"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		in                        string
		scheme, addr, app, key, s string
	}{
		{"rtmp://127.0.0.1/live/abc", "rtmp", "127.0.0.1:1935", "live", "abc", "rtmp://127.0.0.1:1935/live/****"},
		{"rtmp://example.com:1940/live/abc", "rtmp", "example.com:1940", "live", "abc", "rtmp://example.com:1940/live/****"},
		{"rtmps://live.example.com/app/instance/sk_123", "rtmps", "live.example.com:443", "app/instance", "sk_123", "rtmps://live.example.com:443/app/instance/****"},
		{"rtmp://h/live/key?token=s3cret&x=1", "rtmp", "h:1935", "live", "key?token=s3cret&x=1", "rtmp://h:1935/live/****"},
		{"RTMP://[::1]:1935/live/k/", "rtmp", "[::1]:1935", "live", "k", "rtmp://[::1]:1935/live/****"},
		{"rtmp://h/live/a%20b", "rtmp", "h:1935", "live", "a b", "rtmp://h:1935/live/****"},
		{"RTMFP://h/live/key", "rtmfp", "h:1935", "live", "key", "rtmfp://h:1935/live/****"},
	}
	for _, c := range cases {
		tg, err := ParseURL(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if tg.Scheme != c.scheme || tg.Addr() != c.addr || tg.App != c.app || tg.Key != c.key || tg.String() != c.s {
			t.Errorf("%s: got %s %s %q %q %s", c.in, tg.Scheme, tg.Addr(), tg.App, tg.Key, tg.String())
		}
	}
}

func TestParseURLErrorsHideKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"http://h/live/SECRETKEY", "unsupported scheme"},
		{"h/live/SECRETKEY", "missing scheme"},
		{"rtmp:///live/SECRETKEY", "missing host"},
		{"rtmp://h/SECRETKEY", "want /app/streamkey"},
		{"rtmp://h/live/", "want /app/streamkey"},
		{"rtmp://user:SECRETKEY@h/live/x", "user info"},
		{"rtmp://h:99999999/live/SECRETKEY%zz", "rtmp://h:99999999/live/****"},
	}
	for _, c := range cases {
		_, err := ParseURL(c.in)
		if !errors.Is(err, ErrBadURL) {
			t.Errorf("%s: err %v, want ErrBadURL", c.in, err)
			continue
		}
		if strings.Contains(err.Error(), "SECRETKEY") {
			t.Errorf("%s: error shows the key: %v", c.in, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not say %q", c.in, err, c.want)
		}
	}
}
