package app

import (
	"errors"
	"fmt"
	"strings"

	"onair/app/engine"
	"onair/publish/services"
)

// The Studio's Service picker, as plain values: which service a label is,
// where each service keeps its server and key in the preferences, and what
// the form means with a service chosen. Tested without a window.

// customService is the picker's label for a server typed by hand (no
// service): the Studio as it was before services.
const customService = "Custom…"

// serviceLabels are the picker's choices: Custom first, then the services.
func serviceLabels(list []services.Service) []string {
	out := []string{customService}
	for _, s := range list {
		out = append(out, s.Name)
	}
	return out
}

// serviceIDOf is the ID of the service labelled label ("" for Custom or an
// unknown label).
func serviceIDOf(list []services.Service, label string) string {
	for _, s := range list {
		if s.Name == label {
			return s.ID
		}
	}
	return ""
}

// serviceLabelOf is the picker's label for a service ID (Custom for "" or
// an ID no longer listed).
func serviceLabelOf(list []services.Service, id string) string {
	for _, s := range list {
		if s.ID == id {
			return s.Name
		}
	}
	return customService
}

// serverPref and keyPref are where the server and the stream key are kept
// for a service ("": Custom, the keys used before services), so that each
// service remembers its own.
func serverPref(id string) string {
	if id == "" {
		return prefServer
	}
	return prefServer + "." + id
}

func keyPref(id string) string {
	if id == "" {
		return prefKey
	}
	return prefKey + "." + id
}

// chosenService is the chosen service; ok is false for Custom.
func (f studioForm) chosenService() (services.Service, bool, error) {
	if f.service == "" {
		return services.Service{}, false, nil
	}
	svc, ok := services.Lookup(f.service)
	if !ok {
		return svc, false, fmt.Errorf("unknown service %q: choose another in the Service list", f.service)
	}
	return svc, true, nil
}

// serviceDest is the destination on a service: the server field (the
// service's server, or another the streamer typed) with the key joined.
func (f studioForm) serviceDest(svc services.Service) (string, error) {
	server := strings.TrimSpace(f.server)
	if server == "" {
		return "", fmt.Errorf("no server: choose %s again in the Service list", svc.Name)
	}
	u, err := services.JoinKey(server, f.key)
	if errors.Is(err, services.ErrNoKey) {
		return "", fmt.Errorf("no stream key: paste your %s stream key%s", svc.Name, keyWhere(svc))
	}
	if err != nil {
		return "", fmt.Errorf("stream key: %w", err)
	}
	return u, nil
}

// keyWhere says where a service's key is found: " (from LINK)", or "".
func keyWhere(svc services.Service) string {
	if svc.KeyLink == "" {
		return ""
	}
	return " (from " + svc.KeyLink + ")"
}

// serviceWarnings are the sentences for the form's settings beyond the
// chosen service's limits (none for Custom); a field that does not parse
// is left out (config says what is wrong with it).
func (f studioForm) serviceWarnings() []string {
	svc, ok, err := f.chosenService()
	if !ok || err != nil {
		return nil
	}
	var st services.Settings
	if w, h, err := engine.ParseSize(sizeOf(f.size, f.custom)); err == nil {
		st.Width, st.Height = w, h
	}
	if fps, err := engine.ParseFPS(strings.TrimSpace(f.fps)); err == nil {
		st.FPS = fps
	}
	if vb, err := engine.ParseBitrate(f.vbitrate); err == nil {
		st.VideoBitrate = vb
	}
	if ab, err := engine.ParseBitrate(f.abitrate); err == nil {
		st.AudioBitrate = ab
	}
	if ki, err := parseKeyint(f.keyint); err == nil {
		st.KeyInterval = ki
	}
	st.Profile = studioProfile(svc, true)
	var out []string
	for _, w := range svc.Check(st) {
		out = append(out, w.Message)
	}
	return out
}

// studioProfile is the H.264 profile the Studio encodes with: high, or
// the chosen service's recommendation.
func studioProfile(svc services.Service, ok bool) string {
	if ok && svc.Limits.Profile != "" {
		return svc.Limits.Profile
	}
	return "high"
}
