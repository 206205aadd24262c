package loopback

import (
	"net/http"
	"strings"
)

// CORS: every answer of the HTTP port may be read by a page of any origin
// (a player page served elsewhere, hls.js, a dashboard reading the API),
// and OPTIONS is a preflight on every path, answered here without reaching
// a handler (OPTIONS on a .flv address must not start a stream). The API
// still wants its token: the header carries it (Authorization), never a
// cookie, so no credentials are allowed.
const (
	corsMethods = "GET, HEAD, POST, PATCH, DELETE, OPTIONS"
	// corsHeaders is what a preflight allows when it does not list what it
	// wants (Access-Control-Request-Headers).
	corsHeaders = "Authorization, Content-Type, Range, If-Match"
	// corsExpose: what a page may read beyond the simple headers: WHEP's
	// session address and ICE servers, byte ranges and lengths.
	corsExpose = "Location, Link, ETag, Content-Length, Content-Range, Accept-Ranges"
	// corsMaxAge: how long, in seconds, a browser keeps a preflight's
	// answer.
	corsMaxAge = "86400"
)

// withCORS adds the CORS headers to every answer of h and answers
// preflights itself.
func withCORS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Expose-Headers", corsExpose)
		if r.Method != http.MethodOptions {
			h.ServeHTTP(w, r)
			return
		}
		hd.Set("Access-Control-Allow-Methods", corsMethods)
		allow := corsHeaders
		if list, ok := headerList(r.Header.Get("Access-Control-Request-Headers")); ok {
			allow = list
		}
		hd.Set("Access-Control-Allow-Headers", allow)
		hd.Set("Access-Control-Max-Age", corsMaxAge)
		hd.Set("Allow", corsMethods)
		hd.Add("Vary", "Access-Control-Request-Headers")
		w.WriteHeader(http.StatusNoContent)
	})
}

// headerList reads s as a comma-separated list of header names (tokens)
// and returns it rebuilt from them, to be echoed back; false when s is
// empty, too long, or not such a list.
func headerList(s string) (string, bool) {
	if s == "" || len(s) > 1024 {
		return "", false
	}
	names := strings.Split(s, ",")
	for i, f := range names {
		f = strings.Trim(f, " \t")
		if f == "" {
			return "", false
		}
		for j := 0; j < len(f); j++ {
			c := f[j]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
				return "", false
			}
		}
		names[i] = f
	}
	return strings.Join(names, ", "), true
}
