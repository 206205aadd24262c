package app

import (
	"strings"

	"fyne.io/fyne/v2/widget"

	"onair/publish/services"
)

// The Studio's Service picker: choosing Twitch, YouTube Live, Facebook
// Live or Kick fills the server field with the service's ingest server and
// the keyframe interval with its recommendation, and brings back the key
// kept for that service; the status line says where the key is found and
// which settings go beyond the service's limits. Custom… is the server
// typed by hand, as before.

// newServiceSelect builds the picker on the saved choice and shows its
// hint; called while the Studio is built, once the server, key and output
// fields and the status line are.
func (s *studioView) newServiceSelect() {
	list, err := services.Load()
	if err != nil {
		s.g.log.Error("services list", "err", err) // a bug: a test loads the file
	}
	s.services = list
	s.serviceSel = widget.NewSelect(serviceLabels(list), nil)
	s.serviceSel.SetSelected(serviceLabelOf(list, s.g.prefs.String(prefService)))
	s.serviceSel.OnChanged = s.serviceChosen
	defer s.checkService()
	// The warnings follow the output fields.
	for _, e := range []*widget.Entry{s.fps, s.vbitrate, s.abitrate, s.keyint, s.custom} {
		prev := e.OnChanged
		e.OnChanged = func(v string) {
			if prev != nil {
				prev(v)
			}
			s.checkService()
		}
	}
	prevSize := s.sizeSel.OnChanged
	s.sizeSel.OnChanged = func(v string) {
		if prevSize != nil {
			prevSize(v)
		}
		s.checkService()
	}
}

// serviceID is the chosen service's ID ("" for Custom); UI goroutine.
func (s *studioView) serviceID() string {
	if s.serviceSel == nil {
		return s.g.prefs.String(prefService) // while the Studio is built
	}
	return serviceIDOf(s.services, s.serviceSel.Selected)
}

// serviceChosen follows the picker: the server and key kept for the
// service (its default server the first time), its keyframe interval;
// UI goroutine.
func (s *studioView) serviceChosen(label string) {
	if s.loadingRow {
		return
	}
	defer s.editorChanged()
	id := serviceIDOf(s.services, label)
	s.g.setString(prefService, id)
	s.server.SetText(s.savedServer())
	s.key.SetText(s.savedKey())
	s.svcNote = ""
	if id == "" {
		s.setStatus("Custom server: type its URL and the stream key.")
		return
	}
	svc, _ := services.Lookup(id)
	s.keyint.SetText(svc.Limits.KeyInterval.String())
	s.checkService()
}

// checkService shows the chosen service's hint and warnings on the
// status line while idle, unless it says something else (an error, the
// outcome of a stream); UI goroutine.
func (s *studioView) checkService() {
	if s.serviceSel == nil || s.phase != phaseIdle {
		return
	}
	id := s.serviceID()
	if id == "" {
		return
	}
	if s.svcNote != "" && s.status.Text != s.svcNote && !strings.HasPrefix(s.status.Text, "Ready") {
		return
	}
	svc, _ := services.Lookup(id)
	msg := svc.Name + ": server and keyframe interval set"
	if svc.Limits.Profile != "" {
		msg += ", profile " + svc.Limits.Profile
	}
	msg += "."
	if strings.TrimSpace(s.key.Text) == "" {
		msg = svc.Name + ": paste your stream key" + keyWhere(svc) + "."
	}
	if w := s.form().serviceWarnings(); len(w) > 0 {
		msg = strings.Join(w, " ")
	}
	s.svcNote = msg
	s.setStatus(msg)
}

// savedServer is the server kept for the chosen service (its default
// server if none), or for Custom the one typed (the loopback's while it
// follows it); UI goroutine.
func (s *studioView) savedServer() string {
	id := s.serviceID()
	server := s.g.prefs.String(serverPref(id))
	if server != "" {
		return server
	}
	if id == "" {
		return s.loopbackURL
	}
	if svc, ok := services.Lookup(id); ok && len(svc.Servers) > 0 {
		return svc.Servers[0].URL
	}
	return ""
}

// savedKey is the stream key kept for the chosen service ("preview", the
// loopback's, for Custom the first time); UI goroutine.
func (s *studioView) savedKey() string {
	if id := s.serviceID(); id != "" {
		return s.g.prefs.String(keyPref(id))
	}
	return prefString(s.g.prefs, prefKey, "preview")
}
