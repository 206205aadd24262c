package services

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"
)

//go:embed services.json
var servicesJSON []byte

// fileFormat is the data file's "format" this code reads.
const fileFormat = 1

// Load returns the services in the embedded data file, in its order. An
// error is a bug in the file (a test loads it).
func Load() ([]Service, error) { return parse(servicesJSON) }

// Lookup returns the service whose ID is id (case-insensitive).
func Lookup(id string) (Service, bool) {
	list, err := Load()
	if err != nil {
		return Service{}, false
	}
	return find(list, id)
}

// IDs are the IDs of the services in the data file, in its order.
func IDs() []string {
	list, _ := Load()
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

func find(list []Service, id string) (Service, bool) {
	id = strings.ToLower(strings.TrimSpace(id))
	for _, s := range list {
		if s.ID == id {
			return s, true
		}
	}
	return Service{}, false
}

// The data file's shape.
type (
	jsonFile struct {
		Format   int           `json:"format"`
		Note     string        `json:"note"`
		Services []jsonService `json:"services"`
	}
	jsonService struct {
		ID      string       `json:"id"`
		Name    string       `json:"name"`
		KeyLink string       `json:"stream_key_link"`
		Servers []jsonServer `json:"servers"`
		Limits  *jsonLimits  `json:"limits"`
	}
	jsonServer struct {
		Name   string `json:"name"`
		URL    string `json:"url"`
		Source string `json:"source"`
	}
	jsonLimits struct {
		KeyInt      float64       `json:"keyint_s"`
		MaxKeyInt   float64       `json:"max_keyint_s"`
		Profile     string        `json:"profile"`
		MaxVideo    int           `json:"max_video_kbps"`
		MaxAudio    int           `json:"max_audio_kbps"`
		MaxWidth    int           `json:"max_width"`
		MaxHeight   int           `json:"max_height"`
		MaxFPS      float64       `json:"max_fps"`
		VideoBySize []jsonSizeCap `json:"video_kbps_by_size"`
		Source      string        `json:"source"`
	}
	jsonSizeCap struct {
		Width   int     `json:"width"`
		Height  int     `json:"height"`
		FPS     float64 `json:"fps"`
		MaxKbps int     `json:"max_kbps"`
	}
)

// Bounds that catch a slip of the unit (b/s for kb/s, ms for s).
const (
	maxKbps   = 1_000_000 // 1 Gb/s
	maxKeyInt = 60        // seconds
	maxSide   = 16384
	maxFPS    = 1000
)

// parse reads and validates a data file.
func parse(data []byte) ([]Service, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f jsonFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one JSON value", ErrBadFile)
	}
	if f.Format != fileFormat {
		return nil, fmt.Errorf("%w: format %d, want %d", ErrBadFile, f.Format, fileFormat)
	}
	if len(f.Services) == 0 {
		return nil, fmt.Errorf("%w: no services", ErrBadFile)
	}
	out := make([]Service, 0, len(f.Services))
	for i, js := range f.Services {
		s, err := js.service()
		if err != nil {
			name := js.ID
			if name == "" {
				name = fmt.Sprintf("#%d", i+1)
			}
			return nil, fmt.Errorf("%w: service %s: %v", ErrBadFile, name, err)
		}
		if _, dup := find(out, s.ID); dup {
			return nil, fmt.Errorf("%w: service %s listed twice", ErrBadFile, s.ID)
		}
		out = append(out, s)
	}
	return out, nil
}

func (js jsonService) service() (Service, error) {
	s := Service{ID: js.ID, Name: strings.TrimSpace(js.Name), KeyLink: js.KeyLink}
	if !validID(js.ID) {
		return s, fmt.Errorf("id %q: want lower-case letters, digits and '-'", js.ID)
	}
	if js.ID == "custom" {
		return s, fmt.Errorf("id %q is kept for a server typed by hand", js.ID)
	}
	if s.Name == "" {
		return s, fmt.Errorf("no name")
	}
	if js.KeyLink != "" {
		if u, err := url.Parse(js.KeyLink); err != nil || u.Scheme != "https" || u.Host == "" {
			return s, fmt.Errorf("stream_key_link %q: want an https:// address", js.KeyLink)
		}
	}
	if len(js.Servers) == 0 {
		return s, fmt.Errorf("no servers")
	}
	for _, jv := range js.Servers {
		v := Server{Name: strings.TrimSpace(jv.Name), URL: jv.URL, Source: strings.TrimSpace(jv.Source)}
		if v.Name == "" {
			return s, fmt.Errorf("server %q: no name", jv.URL)
		}
		if v.Source == "" {
			return s, fmt.Errorf("server %q: no source", v.Name)
		}
		if err := checkServerURL(v.URL); err != nil {
			return s, fmt.Errorf("server %q: %v", v.Name, err)
		}
		s.Servers = append(s.Servers, v)
	}
	if js.Limits == nil {
		return s, fmt.Errorf("no limits")
	}
	l, err := js.Limits.limits()
	if err != nil {
		return s, fmt.Errorf("limits: %v", err)
	}
	s.Limits = l
	return s, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 32 || id[0] == '-' {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// checkServerURL accepts rtmp[s]://host[:port]/app[/instance] with no user
// info, query or fragment, that a key joins into a URL publish.ParseURL
// reads back.
func checkServerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	switch {
	case u.Scheme != "rtmp" && u.Scheme != "rtmps":
		return fmt.Errorf("scheme %q: want rtmp or rtmps", u.Scheme)
	case u.Hostname() == "":
		return fmt.Errorf("no host")
	case u.User != nil:
		return fmt.Errorf("user info")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fmt.Errorf("a query or fragment: the key is joined after the app, so it would land before the key")
	case strings.Trim(u.Path, "/") == "":
		return fmt.Errorf("no app after the host")
	}
	if _, err := JoinKey(raw, "key"); err != nil {
		return err
	}
	return nil
}

func (jl jsonLimits) limits() (Limits, error) {
	l := Limits{Profile: jl.Profile, Source: strings.TrimSpace(jl.Source)}
	if l.Source == "" {
		return l, fmt.Errorf("no source")
	}
	if !(jl.KeyInt > 0 && jl.KeyInt <= maxKeyInt) {
		return l, fmt.Errorf("keyint_s %v: want more than 0 and at most %d", jl.KeyInt, maxKeyInt)
	}
	l.KeyInterval = seconds(jl.KeyInt)
	l.MaxKeyInterval = l.KeyInterval
	if jl.MaxKeyInt != 0 {
		if !(jl.MaxKeyInt >= jl.KeyInt && jl.MaxKeyInt <= maxKeyInt) {
			return l, fmt.Errorf("max_keyint_s %v: want from keyint_s (%v) to %d", jl.MaxKeyInt, jl.KeyInt, maxKeyInt)
		}
		l.MaxKeyInterval = seconds(jl.MaxKeyInt)
	}
	if l.Profile != "" && profileRank(l.Profile) < 0 {
		return l, fmt.Errorf("profile %q: want baseline, main or high", l.Profile)
	}
	if !(jl.MaxVideo > 0 && jl.MaxVideo <= maxKbps) {
		return l, fmt.Errorf("max_video_kbps %d: want more than 0 and at most %d", jl.MaxVideo, maxKbps)
	}
	l.MaxVideoBitrate = jl.MaxVideo * 1000
	if !(jl.MaxAudio >= 0 && jl.MaxAudio <= maxKbps) {
		return l, fmt.Errorf("max_audio_kbps %d: want from 0 (none) to %d", jl.MaxAudio, maxKbps)
	}
	l.MaxAudioBitrate = jl.MaxAudio * 1000
	if (jl.MaxWidth == 0) != (jl.MaxHeight == 0) || jl.MaxWidth < 0 || jl.MaxHeight < 0 ||
		jl.MaxWidth > maxSide || jl.MaxHeight > maxSide {
		return l, fmt.Errorf("max_width %d, max_height %d: want both (up to %d) or neither", jl.MaxWidth, jl.MaxHeight, maxSide)
	}
	l.MaxWidth, l.MaxHeight = jl.MaxWidth, jl.MaxHeight
	if !(jl.MaxFPS >= 0 && jl.MaxFPS <= maxFPS) {
		return l, fmt.Errorf("max_fps %v: want from 0 (none) to %d", jl.MaxFPS, maxFPS)
	}
	l.MaxFPS = jl.MaxFPS
	for i, r := range jl.VideoBySize {
		switch {
		case r.Width <= 0 || r.Height <= 0 || r.Width > maxSide || r.Height > maxSide:
			return l, fmt.Errorf("video_kbps_by_size row %d: size %dx%d", i+1, r.Width, r.Height)
		case !(r.FPS > 0 && r.FPS <= maxFPS):
			return l, fmt.Errorf("video_kbps_by_size row %d: fps %v", i+1, r.FPS)
		case !(r.MaxKbps > 0 && r.MaxKbps <= jl.MaxVideo):
			return l, fmt.Errorf("video_kbps_by_size row %d: max_kbps %d, want more than 0 and at most max_video_kbps (%d)", i+1, r.MaxKbps, jl.MaxVideo)
		}
		if i > 0 {
			p := jl.VideoBySize[i-1]
			if r.Width*r.Height < p.Width*p.Height || r.Width*r.Height == p.Width*p.Height && r.FPS <= p.FPS {
				return l, fmt.Errorf("video_kbps_by_size row %d: rows go from the smallest size and frame rate up", i+1)
			}
		}
		l.VideoBitrateBySize = append(l.VideoBitrateBySize, SizeCap{Width: r.Width, Height: r.Height, FPS: r.FPS, MaxVideoBitrate: r.MaxKbps * 1000})
	}
	return l, nil
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// profileRank orders the H.264 profiles; -1 for an unknown one.
func profileRank(p string) int {
	switch strings.ToLower(p) {
	case "baseline":
		return 0
	case "main":
		return 1
	case "high":
		return 2
	}
	return -1
}
