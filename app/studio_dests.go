package app

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"

	"fyne.io/fyne/v2"

	"onair/app/engine"
	"onair/internal/urlmask"
	"onair/publish/services"
)

// The Studio's destinations as plain values: what each is, how it is kept
// in the preferences and named in the window. Tested without a window.

// destSetting is one destination: a service and its server, or a server
// typed by hand (Custom), and the stream key. The key is a secret: it is
// kept in the preferences as the editor's keys are, never logged, and
// shown masked (label).
type destSetting struct {
	// Service is a publish/services ID; "" for Custom.
	Service string `json:"service,omitempty"`
	// Server is rtmp[s]://host/app; "" for Custom follows the loopback
	// server (its rtmp://ADDR/live).
	Server string `json:"server,omitempty"`
	Key    string `json:"key,omitempty"`
}

// form is the destination as the editor's fields say it, the loopback
// server's URL standing in for an empty Custom server.
func (d destSetting) form(loopbackURL string) studioForm {
	server := d.Server
	if server == "" && d.Service == "" {
		server = loopbackURL
	}
	return studioForm{service: d.Service, server: server, key: d.Key}
}

// url is where it publishes, with the key; studioForm.dest's errors.
func (d destSetting) url(loopbackURL string) (string, error) { return d.form(loopbackURL).dest() }

// label names it in the window without its key: "Twitch ·
// live.twitch.tv", or the URL masked ("rtmp://127.0.0.1:1935/live/****").
func (d destSetting) label(loopbackURL string) string {
	f := d.form(loopbackURL)
	if d.Service != "" {
		name := d.Service
		if svc, ok := services.Lookup(d.Service); ok {
			name = svc.Name
		}
		if u, err := url.Parse(f.server); err == nil && u.Host != "" {
			name += " · " + u.Hostname()
		}
		return name
	}
	u, err := f.dest()
	if err != nil || u == "" {
		return "Custom (no server yet)"
	}
	return urlmask.MaskDest(u)
}

// destsProfile is the H.264 profile for these destinations: the one
// encoder serves them all, so a service's recommendation (main for
// Twitch and Facebook) wins over high.
func destsProfile(dests []destSetting) string {
	for _, d := range dests {
		if svc, ok := services.Lookup(d.Service); ok && svc.Limits.Profile != "" {
			return svc.Limits.Profile
		}
	}
	return studioProfile(services.Service{}, false)
}

// loadDests reads the destinations kept in the preferences. The first
// time (none kept, as before there were several) it is the one the
// editor's fields kept: the chosen service with its server and key, or
// the Custom server (the loopback's) with its key ("preview").
func loadDests(p fyne.Preferences) []destSetting {
	if raw := p.String(prefDests); raw != "" {
		var list []destSetting
		if err := json.Unmarshal([]byte(raw), &list); err == nil {
			return list
		}
	}
	id := p.String(prefService)
	d := destSetting{Service: id, Server: p.String(serverPref(id)), Key: p.String(keyPref(id))}
	if id == "" {
		d.Key = prefString(p, prefKey, "preview")
	} else if svc, ok := services.Lookup(id); ok && d.Server == "" && len(svc.Servers) > 0 {
		d.Server = svc.Servers[0].URL
	}
	return []destSetting{d}
}

// formatDests is the preferences' form of the list (JSON).
func formatDests(list []destSetting) string {
	if list == nil {
		list = []destSetting{}
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// sessionConfig is the broadcast the Studio starts: the form's sources
// and output settings, the profile the destinations ask for, and no
// output yet (each destination and the recording is added once it runs).
func sessionConfig(f studioForm, dests []destSetting) (engine.Config, error) {
	c, err := f.media()
	if err != nil {
		return c, err
	}
	c.Profile = destsProfile(dests)
	c.OutputsLater = true
	return c, nil
}

// dialNoise is the part of a net error that repeats the address.
var dialNoise = regexp.MustCompile(`dial (tcp|udp)[46]? [^ ]+: `)

// rowFailure is why a destination failed, as its row says it: the error
// without the destination's (masked) URL, which the row shows already,
// and without the dialler's repetition of the address.
func rowFailure(msg, maskedURL string) string {
	msg = strings.TrimPrefix(msg, maskedURL+": ")
	return dialNoise.ReplaceAllString(msg, "")
}
