package services

import (
	"errors"
	"strings"
	"testing"

	"onair/publish"
)

var joinCases = []struct {
	name, server, key, want string
	err                     error
}{
	{"plain", "rtmp://live.twitch.tv/app", "live_1_abc", "rtmp://live.twitch.tv/app/live_1_abc", nil},
	{"trailing slashes", "rtmps://live-api-s.facebook.com:443/rtmp//", "123", "rtmps://live-api-s.facebook.com:443/rtmp/123", nil},
	{"spaces around", " rtmp://h/app ", "  k1 \n", "rtmp://h/app/k1", nil},
	{"key with a query", "rtmps://live-api-s.facebook.com:443/rtmp/", "1234?s_bl=1&s_sw=0&a=AbCd",
		"rtmps://live-api-s.facebook.com:443/rtmp/1234?s_bl=1&s_sw=0&a=AbCd", nil},
	{"empty query dropped", "rtmp://h/app", "k?", "rtmp://h/app/k", nil},
	{"escaped", "rtmp://h/app", "a%b;c", "rtmp://h/app/a%25b%3Bc", nil},
	{"app and instance", "rtmp://h:1936/app/inst", "k", "rtmp://h:1936/app/inst/k", nil},
	{"no key", "rtmp://h/app", "  ", "", ErrNoKey},
	{"a URL pasted", "rtmp://h/app", "rtmp://h/app/k", "", ErrBadKey},
	{"slash", "rtmp://h/app", "a/b", "", ErrBadKey},
	{"backslash", "rtmp://h/app", `a\b`, "", ErrBadKey},
	{"space inside", "rtmp://h/app", "a b", "", ErrBadKey},
	{"only a query", "rtmp://h/app", "?a=1", "", ErrBadKey},
	{"fragment", "rtmp://h/app", "k?a=1#x", "", ErrBadKey},
	{"server without app", "rtmp://h", "k", "", publish.ErrBadURL},
	{"server with a query", "rtmp://h/app?x=1", "k", "", publish.ErrBadURL},
	{"server of another scheme", "http://h/app", "k", "", publish.ErrBadURL},
}

func TestJoinKey(t *testing.T) {
	for _, c := range joinCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := JoinKey(c.server, c.key)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("JoinKey = %q, %v; want %v", got, err, c.err)
				}
				if k := strings.TrimSpace(c.key); len(k) > 1 && strings.Contains(err.Error(), k) {
					t.Errorf("the error shows the key: %v", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("JoinKey = %q, %v; want %q", got, err, c.want)
			}
			tg, err := publish.ParseURL(got)
			if err != nil || tg.Key != wantKey(strings.TrimSpace(c.key)) {
				t.Errorf("ParseURL(%q) = %+v, %v", got, tg, err)
			}
		})
	}
}

// FuzzJoinKey: JoinKey never panics; what it returns reads back through
// publish.ParseURL with the key intact, and its errors never show a key.
func FuzzJoinKey(f *testing.F) {
	for _, c := range joinCases {
		f.Add(c.server, c.key)
	}
	f.Fuzz(func(t *testing.T, server, key string) {
		got, err := JoinKey(server, key)
		k := strings.TrimSpace(key)
		if err != nil {
			// A key too short, without a digit (the messages' fixed words
			// have none) or found in the server cannot be told apart from
			// the rest of the message.
			if len(k) >= 8 && strings.ContainsAny(k, "0123456789") && !strings.Contains(server, k) &&
				strings.Contains(err.Error(), k) {
				t.Fatalf("error shows the key %q: %v", k, err)
			}
			return
		}
		tg, err := publish.ParseURL(got)
		if err != nil {
			t.Fatalf("JoinKey(%q, %q) = %q, which does not parse: %v", server, key, got, err)
		}
		if tg.Key != wantKey(k) {
			t.Fatalf("JoinKey(%q, %q) = %q: key %q", server, key, got, tg.Key)
		}
	})
}

// wantKey is the key a URL made by JoinKey carries: k, less a '?' with
// nothing after it.
func wantKey(k string) string {
	if name, query, ok := strings.Cut(k, "?"); ok && query == "" {
		return name
	}
	return k
}
