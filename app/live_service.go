package app

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"onair/app/engine"
	"onair/publish/services"
)

// serviceFlags are onair live's --service and --key: a well-known service
// instead of (or beside) --to, and the stream key for it.
type serviceFlags struct {
	service, key string
}

func addServiceFlags(fs *flag.FlagSet) *serviceFlags {
	f := &serviceFlags{}
	fs.StringVar(&f.service, "service", "", "stream to a service: "+strings.Join(services.IDs(), ", ")+
		" (its server, keyframe interval and profile; needs --key)")
	fs.StringVar(&f.key, "key", "", "the stream key for --service")
	return f
}

// apply adds the service's destination to cfg.URLs (after any --to), sets
// cfg's keyframe interval and profile to the service's unless --keyint or
// --profile was given, and returns a sentence for each setting beyond the
// service's limits (to warn about: the streamer may know better). fs has
// been parsed.
func (f *serviceFlags) apply(fs *flag.FlagSet, cfg *engine.Config) ([]string, error) {
	id, key := strings.TrimSpace(f.service), f.key
	if id == "" {
		if key != "" {
			return nil, errors.New("--key needs --service (with --to the key is the URL's last part)")
		}
		return nil, nil
	}
	list, err := services.Load()
	if err != nil {
		return nil, err
	}
	var svc *services.Service
	var ids []string
	for i := range list {
		ids = append(ids, list[i].ID)
		if list[i].ID == strings.ToLower(id) {
			svc = &list[i]
		}
	}
	if svc == nil {
		return nil, fmt.Errorf("unknown service %q: want one of %s (or --to URL for another server)", id, strings.Join(ids, ", "))
	}
	u, err := svc.URL(key)
	if errors.Is(err, services.ErrNoKey) {
		where := ""
		if svc.KeyLink != "" {
			where = " (from " + svc.KeyLink + ")"
		}
		return nil, fmt.Errorf("--service %s needs --key with your %s stream key%s", svc.ID, svc.Name, where)
	}
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	cfg.URLs = append(cfg.URLs, u)
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	if !given["keyint"] {
		cfg.KeyInterval = svc.Limits.KeyInterval
	}
	if !given["profile"] && svc.Limits.Profile != "" {
		cfg.Profile = svc.Limits.Profile
	}
	var out []string
	for _, w := range svc.Check(services.Settings{
		Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, VideoBitrate: cfg.VideoBitrate,
		AudioBitrate: cfg.AudioBitrate, KeyInterval: cfg.KeyInterval, Profile: cfg.Profile,
	}) {
		out = append(out, w.Message)
	}
	return out, nil
}
