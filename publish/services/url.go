package services

import (
	"fmt"
	"net/url"
	"strings"

	"onair/internal/urlmask"
	"onair/publish"
)

// URL is the destination for key on the service's default server.
func (s Service) URL(key string) (string, error) {
	if len(s.Servers) == 0 {
		return "", fmt.Errorf("%s: no server", s.Name)
	}
	return JoinKey(s.Servers[0].URL, key)
}

// JoinKey joins a stream key to a server URL rtmp[s]://host[:port]/app:
// one slash between them whatever the server ends with, the key's own
// query (Facebook's keys carry one: "123?s_bl=1&a=…") kept after it, and
// the key's other characters escaped. The result reads back through
// publish.ParseURL with the key intact. Errors (ErrNoKey, ErrBadKey, or
// the server's publish.ErrBadURL) never contain the key.
func JoinKey(server, key string) (string, error) {
	server = strings.TrimRight(strings.TrimSpace(server), "/")
	key = strings.TrimSpace(key)
	if key == "" {
		return "", ErrNoKey
	}
	lower := strings.ToLower(key)
	if strings.Contains(lower, "://") {
		return "", fmt.Errorf("%w: it looks like a URL: paste only the key, the server is set", ErrBadKey)
	}
	if strings.ContainsAny(server, "?#") {
		return "", fmt.Errorf("server %s: want rtmp[s]://host[:port]/app without a query: %w", urlmask.Mask(server), publish.ErrBadURL)
	}
	name, query, hasQuery := strings.Cut(key, "?")
	if hasQuery && query == "" {
		key, hasQuery = name, false
	}
	switch {
	case name == "":
		return "", fmt.Errorf("%w: it starts with '?'", ErrBadKey)
	case strings.ContainsAny(name, "/\\"):
		return "", fmt.Errorf("%w: it has a slash, which would split it from the server's app", ErrBadKey)
	case strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "", fmt.Errorf("%w: it has a space or a control character", ErrBadKey)
	case strings.Contains(query, "#"):
		return "", fmt.Errorf("%w: it has a '#'", ErrBadKey)
	}
	joined := server + "/" + url.PathEscape(name)
	if hasQuery {
		joined += "?" + query
	}
	t, err := publish.ParseURL(joined)
	if err != nil {
		// The server alone says what is wrong, and shows no key.
		return "", fmt.Errorf("server %s: want rtmp[s]://host[:port]/app: %w", urlmask.Mask(server), publish.ErrBadURL)
	}
	if t.Key != key {
		return "", fmt.Errorf("%w: it does not survive in a URL (escaping in it?)", ErrBadKey)
	}
	return joined, nil
}
