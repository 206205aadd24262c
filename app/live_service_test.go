package app

import (
	"bytes"
	"context"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"onair/app/engine"
)

// liveServiceArgs parses args with --service, --key and the flags they
// interact with, declared as runLive declares them, and applies the
// service to onair live's default config.
func liveServiceArgs(args ...string) (engine.Config, []string, error) {
	fs := flag.NewFlagSet("onair live", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	keyint := fs.Duration("keyint", 2*time.Second, "")
	profile := fs.String("profile", "high", "")
	vbitrate := fs.String("vbitrate", "2500k", "")
	var to stringList
	fs.Var(&to, "to", "")
	svc := addServiceFlags(fs)
	if err := fs.Parse(args); err != nil {
		return engine.Config{}, nil, err
	}
	vb, err := engine.ParseBitrate(*vbitrate)
	if err != nil {
		return engine.Config{}, nil, err
	}
	cfg := engine.Config{Width: 1280, Height: 720, FPS: 30, VideoBitrate: vb, AudioBitrate: 128_000,
		Profile: *profile, KeyInterval: *keyint, URLs: to}
	warnings, err := svc.apply(fs, &cfg)
	return cfg, warnings, err
}

func TestLiveService(t *testing.T) {
	for _, c := range []struct {
		name    string
		args    []string
		urls    string // space-separated
		keyint  time.Duration
		profile string
		warn    string // a piece of the warnings, "" none
	}{
		{"twitch", []string{"--service", "twitch", "--key", "K"}, "rtmp://live.twitch.tv/app/K", 2 * time.Second, "main", ""},
		{"name in capitals", []string{"--service=Twitch", "--key=live_1_x"}, "rtmp://live.twitch.tv/app/live_1_x", 2 * time.Second, "main", ""},
		{"keyint 1s kept", []string{"--service", "twitch", "--key", "K", "--keyint", "1s"}, "rtmp://live.twitch.tv/app/K", time.Second, "main", ""},
		{"explicit settings beyond the limits warn", []string{"--service", "twitch", "--key", "K", "--keyint", "4s",
			"--profile", "high", "--vbitrate", "8000k"}, "rtmp://live.twitch.tv/app/K", 4 * time.Second, "high",
			"Twitch accepts at most 6000 kb/s of video; you chose 8000 kb/s.|wants a keyframe at least every 2s|main profile; you chose high"},
		{"youtube keeps the profile", []string{"--service", "youtube", "--key", "abcd-1234"},
			"rtmps://a.rtmps.youtube.com:443/live2/abcd-1234", 2 * time.Second, "high", ""},
		{"facebook key with a query", []string{"--service", "facebook", "--key", "1234?s_bl=1&a=Ab"},
			"rtmps://live-api-s.facebook.com:443/rtmp/1234?s_bl=1&a=Ab", 2 * time.Second, "main", ""},
		{"kick", []string{"--service", "kick", "--key", "sk_us-west-2_x"},
			"rtmps://fa723fc1b171.global-contribute.live-video.net:443/app/sk_us-west-2_x", 2 * time.Second, "high", ""},
		{"with --to too", []string{"--to", "rtmp://127.0.0.1/live/a", "--service", "youtube", "--key", "k"},
			"rtmp://127.0.0.1/live/a rtmps://a.rtmps.youtube.com:443/live2/k", 2 * time.Second, "high", ""},
		{"no service", []string{"--to", "rtmp://127.0.0.1/live/a"}, "rtmp://127.0.0.1/live/a", 2 * time.Second, "high", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, warnings, err := liveServiceArgs(c.args...)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(cfg.URLs, " "); got != c.urls {
				t.Errorf("URLs %q, want %q", got, c.urls)
			}
			if cfg.KeyInterval != c.keyint || cfg.Profile != c.profile {
				t.Errorf("keyint %v profile %q, want %v %q", cfg.KeyInterval, cfg.Profile, c.keyint, c.profile)
			}
			all := strings.Join(warnings, "|")
			if c.warn == "" && all != "" {
				t.Errorf("warnings %q", all)
			}
			for _, w := range strings.Split(c.warn, "|") {
				if !strings.Contains(all, w) {
					t.Errorf("warnings %q, want one saying %q", all, w)
				}
			}
		})
	}
}

func TestLiveServiceErrors(t *testing.T) {
	const secret = "live_SECRET_987654"
	for _, c := range []struct {
		name string
		args []string
		err  string
	}{
		{"unknown", []string{"--service", "vimeo", "--key", "k"},
			`unknown service "vimeo": want one of twitch, youtube, facebook, kick (or --to URL for another server)`},
		{"no key", []string{"--service", "twitch"}, "--service twitch needs --key with your Twitch stream key (from https://dashboard.twitch.tv/settings/stream)"},
		{"key without a service", []string{"--key", secret, "--to", "rtmp://h/app/x"}, "--key needs --service"},
		{"a URL for a key", []string{"--service", "twitch", "--key", "rtmp://live.twitch.tv/app/" + secret}, "paste only the key"},
		{"slash in the key", []string{"--service", "youtube", "--key", "a/" + secret}, "has a slash"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := liveServiceArgs(c.args...)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("error %v, want one saying %q", err, c.err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}
}

// TestRunLiveServiceErrors: onair live refuses a bad --service before it
// opens anything, with one line and exit status 1, and says what there is.
func TestRunLiveServiceErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"live", "--service", "nope", "--key", "k"}, "onair: unknown service \"nope\": want one of twitch, youtube, facebook, kick"},
		{[]string{"live", "--service", "kick"}, "onair: --service kick needs --key with your Kick stream key\n"},
		{[]string{"live", "--key", "k"}, "onair: no destination: give --to rtmp://host/app/streamkey, --service NAME --key KEY, or --record FILE to record only"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if code := Run(ctx, c.args, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), c.err) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), c.err)
			}
		})
	}
	var stderr bytes.Buffer
	Run(context.Background(), []string{"live", "-h"}, io.Discard, &stderr)
	if !strings.Contains(stderr.String(), "twitch, youtube, facebook, kick") || !strings.Contains(stderr.String(), "--service NAME --key KEY") {
		t.Errorf("onair live -h does not list the services: %s", stderr.String())
	}
}
