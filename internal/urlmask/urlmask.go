// Package urlmask is OnAir's one rule for showing a URL in a log line or an
// error message without its secrets.
//
// Mask hides:
//   - the stream key, the last path element, of RTMP-family URLs (rtmp,
//     rtmps, rtmpt, rtmpts, rtmpe, rtmpte, rtmfp);
//   - the user info (user and password) of any scheme;
//   - the query values of any scheme (keys stay, so a reader still sees
//     "token=" or "passphrase="), and the fragment.
//
// It never fails. Input that net/url cannot parse is masked with string
// rules that err on the side of hiding too much.
package urlmask

import (
	"net/url"
	"strings"
)

// Token replaces every hidden part.
const Token = "****"

// Mask returns raw with its secrets replaced by Token. A string without a
// scheme is a local path when it starts with '/', '.', '~' or a drive
// letter and is returned as it is (bar a query); otherwise it is taken for
// a URL that lacks its scheme and masked like an RTMP URL.
func Mask(raw string) string { return mask(raw, false) }

// MaskDest is Mask for a publish destination: the last path element is
// taken for a stream key whatever the scheme, so a mistyped
// "http://host/live/key" shows no key either.
func MaskDest(raw string) string { return mask(raw, true) }

func mask(raw string, dest bool) string {
	s := strings.TrimSpace(raw)
	scheme, rest, ok := splitScheme(s)
	if !ok {
		if !dest && isLocalPath(s) {
			path, query, hasQuery := strings.Cut(s, "?")
			if hasQuery {
				return path + "?" + maskQuery(query)
			}
			return path
		}
		// "host/app/key" or "host:port/app/key": a URL missing its scheme.
		return maskRest(rest, true, true)
	}
	_, err := url.Parse(s)
	return scheme + "://" + maskRest(rest, dest || isRTMP(scheme), err != nil)
}

// isRTMP reports whether scheme is one whose last path element is a
// stream key.
func isRTMP(scheme string) bool {
	switch strings.ToLower(scheme) {
	case "rtmp", "rtmps", "rtmpt", "rtmpts", "rtmpe", "rtmpte", "rtmfp":
		return true
	}
	return false
}

// splitScheme splits "scheme://rest"; ok is false unless the part before
// "://" is a valid scheme (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
func splitScheme(s string) (scheme, rest string, ok bool) {
	i := strings.Index(s, "://")
	if i <= 0 {
		return "", s, false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return "", s, false
		}
	}
	return s[:i], s[i+3:], true
}

// isLocalPath reports whether a string without a scheme names a local file.
func isLocalPath(s string) bool {
	if s == "" || strings.ContainsAny(s[:1], "/.~\\") {
		return true
	}
	if len(s) >= 3 && s[1] == ':' && (s[2] == '\\' || s[2] == '/') {
		c := s[0] | 0x20
		return 'a' <= c && c <= 'z' // C:\ or C:/
	}
	// No '/', no '@', no '?': a bare file name such as "clip.mp4".
	return !strings.ContainsAny(s, "/@?#")
}

// maskRest masks what follows "scheme://": [userinfo@]host[/path][?query][#fragment].
// malformed selects the stricter rules for input net/url rejects.
func maskRest(rest string, rtmp, malformed bool) string {
	var b strings.Builder
	// The user info ends at the last '@' before the query: a '#' there is
	// more likely part of a password than a fragment.
	q := strings.IndexByte(rest, '?')
	if q < 0 {
		q = len(rest)
	}
	at := strings.LastIndexByte(rest[:q], '@')
	if malformed {
		// A '?' may sit in a password too: then an '@' before the first
		// '/' but after the '?' cannot be told from one in a query value.
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			slash = len(rest)
		}
		if strings.LastIndexByte(rest[:slash], '@') > q {
			return Token + "@" + Token
		}
	}
	if at >= 0 {
		b.WriteString(Token + "@")
		if strings.Contains(rest[:at], "/") && rtmp {
			// The '@' ends a password holding '/' or sits in the
			// path: the stream key cannot be told apart.
			b.WriteString(Token)
			return b.String()
		}
		rest = rest[at+1:]
	}
	end := strings.IndexAny(rest, "?#")
	if end < 0 {
		end = len(rest)
	}
	hostPath := rest[:end]
	if rtmp {
		hostPath = maskLastElement(hostPath)
	}
	b.WriteString(hostPath)
	if end < len(rest) && rest[end] == '?' {
		// The query runs to the end: a '#' in it (SRT's "streamid=#!::…")
		// belongs to the value it sits in.
		b.WriteString("?" + maskQuery(rest[end+1:]))
	}
	return b.String()
}

// maskLastElement replaces the last element of "host/app/…/key" by Token,
// dropping trailing slashes; "host" and "host/app" have no key.
func maskLastElement(hostPath string) string {
	slash := strings.IndexByte(hostPath, '/')
	if slash < 0 {
		return hostPath
	}
	host, path := hostPath[:slash], strings.TrimRight(hostPath[slash:], "/")
	last := strings.LastIndexByte(path, '/')
	if last <= 0 {
		return host + path
	}
	return host + path[:last+1] + Token
}

// maskQuery keeps the keys of "k=v&k2=v2" and replaces every value by
// Token. A parameter without '=' or without a value ("?s3cret", "?s3cret=")
// or with a key of unusual characters is replaced whole.
func maskQuery(q string) string {
	if q == "" {
		return ""
	}
	params := strings.Split(q, "&")
	for i, p := range params {
		if p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		switch {
		case !ok || v == "" || !plainKey(k):
			params[i] = Token
		default:
			params[i] = k + "=" + Token
		}
	}
	return strings.Join(params, "&")
}

// plainKey reports whether k looks like a parameter name (letters, digits,
// '-', '_', '.', '~', '[' and ']') rather than data.
func plainKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == '~' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return true
}
