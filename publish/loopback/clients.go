package loopback

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Moderation: every RTMP and HTTP-FLV connection that publishes or plays is
// a client with an id; GET /api/clients lists them, POST
// /api/clients/ID/kick drops one, POST /api/streams/NAME/kick ends a
// publish and POST /api/streams/NAME/ban?for=10m refuses the name (and ends
// its publish) until then. With Config.APIToken the API wants
// "Authorization: Bearer TOKEN" (or ?token=TOKEN); a server that listens
// beyond this machine must have one.

// ErrNeedAPIToken is returned by Start when the server listens beyond this
// machine without an API token: anyone could kick and ban.
var ErrNeedAPIToken = errors.New("listening on a non-loopback address needs an API token")

// ErrBanned is wrapped by the refusal of a publish to a banned name.
var ErrBanned = errors.New("this stream name is banned on this server")

// maxBan bounds a ban.
const maxBan = 30 * 24 * time.Hour

// client is one connection that publishes or plays.
type client struct {
	id     uint64
	role   string // "publish" or "play"
	proto  string // "rtmp", "http-flv"
	remote string
	stream string
	since  time.Time
	bytes  func() uint64 // received (publish) or sent (play)
	kick   func()
}

// ClientInfo is a client as /api/clients lists it.
type ClientInfo struct {
	ID       string    `json:"id"`
	Role     string    `json:"role"`
	Protocol string    `json:"protocol"`
	Address  string    `json:"address"`
	Stream   string    `json:"stream"`
	Since    time.Time `json:"since"`
	Bytes    uint64    `json:"bytes"`
}

// addClient registers c and returns the function that removes it.
func (s *Server) addClient(c *client) (remove func()) {
	c.id = s.nextClient.Add(1)
	c.since = time.Now()
	s.mu.Lock()
	s.clients[c.id] = c
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.clients, c.id)
		s.mu.Unlock()
	}
}

// Clients lists the connections that publish or play, oldest first.
func (s *Server) Clients() []ClientInfo {
	s.mu.Lock()
	cs := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
	out := make([]ClientInfo, 0, len(cs))
	for _, c := range cs {
		out = append(out, ClientInfo{ID: strconv.FormatUint(c.id, 10), Role: c.role, Protocol: c.proto,
			Address: c.remote, Stream: c.stream, Since: c.since, Bytes: c.bytes()})
	}
	return out
}

// KickClient drops client id; false when there is none.
func (s *Server) KickClient(id uint64) bool {
	s.mu.Lock()
	c := s.clients[id]
	s.mu.Unlock()
	if c == nil {
		return false
	}
	s.log.Info("client kicked", "id", id, "role", c.role, "stream", c.stream, "remote", c.remote)
	c.kick()
	return true
}

// KickStream ends stream name's publish; false when nobody publishes it.
func (s *Server) KickStream(name string) bool {
	s.mu.Lock()
	var pubs []*client
	for _, c := range s.clients {
		if c.role == "publish" && c.stream == name {
			pubs = append(pubs, c)
		}
	}
	s.mu.Unlock()
	for _, c := range pubs {
		s.log.Info("publisher kicked", "stream", name, "remote", c.remote)
		c.kick()
	}
	return len(pubs) > 0
}

// Ban refuses publishing name for d (and ends its publish now); d <= 0
// lifts a ban.
func (s *Server) Ban(name string, d time.Duration) {
	s.mu.Lock()
	if d <= 0 {
		delete(s.bans, name)
	} else {
		s.bans[name] = time.Now().Add(min(d, maxBan))
	}
	s.mu.Unlock()
	if d > 0 {
		s.log.Info("stream banned", "stream", name, "for", d)
		s.KickStream(name)
	}
}

// banned is the error for a publish of a banned name, nil when it is not.
func (s *Server) banned(name string) error {
	s.mu.Lock()
	until, ok := s.bans[name]
	if ok && time.Now().After(until) {
		delete(s.bans, name)
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return fmt.Errorf("%w for another %v", ErrBanned, time.Until(until).Round(time.Second))
}

// authorized checks the API token, when there is one.
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.APIToken == "" {
		return true
	}
	got := r.URL.Query().Get("token")
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		got = h
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.APIToken)) == 1
}

// serveAPI answers /api/…, after the token check.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="onair"`)
		http.Error(w, "this server's API needs its token: Authorization: Bearer TOKEN", http.StatusUnauthorized)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/")
	switch {
	case path == "streams":
		s.serveStatus(w, r)
	case path == "recordings":
		s.serveRecordings(w, r)
	case path == "clients":
		writeJSON(w, map[string]any{"clients": s.Clients()})
	default:
		s.serveModeration(w, r, path)
	}
}

// serveModeration answers POST clients/ID/kick, streams/NAME/kick and
// streams/NAME/ban?for=D.
func (s *Server) serveModeration(w http.ResponseWriter, r *http.Request, path string) {
	parts := strings.Split(path, "/")
	if len(parts) != 3 || parts[1] == "" || (parts[0] != "clients" && parts[0] != "streams") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	what, target, action := parts[0], parts[1], parts[2]
	switch {
	case what == "clients" && action == "kick":
		id, err := strconv.ParseUint(target, 10, 64)
		if err != nil || !s.KickClient(id) {
			http.Error(w, "no client "+strconv.Quote(target), http.StatusNotFound)
			return
		}
		writeJSON(w, map[string]any{"kicked": target})
	case what == "streams" && action == "kick":
		if !s.KickStream(target) {
			http.Error(w, "nobody publishes "+strconv.Quote(target), http.StatusNotFound)
			return
		}
		writeJSON(w, map[string]any{"kicked": target})
	case what == "streams" && action == "ban":
		d, err := time.ParseDuration(r.URL.Query().Get("for"))
		if err != nil || d <= 0 || d > maxBan {
			http.Error(w, "ban?for=D: want a duration such as 10m (at most 720h)", http.StatusBadRequest)
			return
		}
		s.Ban(target, d)
		writeJSON(w, map[string]any{"banned": target, "until": time.Now().Add(d)})
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// countBytes counts bytes for a client's figure.
type countBytes struct{ n atomic.Uint64 }

func (c *countBytes) add(n int)    { c.n.Add(uint64(n)) }
func (c *countBytes) load() uint64 { return c.n.Load() }
