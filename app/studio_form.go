package app

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"onair/app/engine"
	"onair/encode"
)

// studioForm is what the Studio's fields say, as plain values: the form →
// engine config logic lives here, apart from the widgets (studioView.form
// reads them), so it is tested without a window.
type studioForm struct {
	// video is the video picker's spec: testsrc, screen:N, camera:ID, or
	// file: for a media file (its path is filePath).
	video string
	// audio is the audio picker's spec: tone, none, mic:ID, or file for
	// the audio of the media file.
	audio    string
	filePath string
	title    string
	clock    bool
	pointer  bool   // draw the mouse pointer in a screen capture
	size     string // a sizePresets label
	custom   string // the custom size entry (WIDTHxHEIGHT)
	fps      string
	vbitrate string
	abitrate string
	preset   string
	keyint   string
	vcodec   string // h264, hevc, av1
	acodec   string // aac, opus
	// trustEnhanced: send HEVC/Opus where the server does not announce
	// Enhanced RTMP.
	trustEnhanced bool
	server        string // rtmp://host/app
	key           string // the stream key: a secret
	insecure      bool
	service       string // a publish/services ID; "" for Custom (the server as typed)
}

// videoSpec is the chosen video source as a --video spec.
func (f studioForm) videoSpec() string {
	v := f.video
	if v == "file:" {
		v += strings.TrimSpace(f.filePath)
	}
	return v
}

// audioSpec is the chosen audio source as an --audio spec: the media file's
// audio names the file unless the video is that file too.
func (f studioForm) audioSpec() string {
	a := f.audio
	if a == "file" && f.video != "file:" {
		a += ":" + strings.TrimSpace(f.filePath)
	}
	return a
}

// destination is the URL to publish to: server + "/" + key.
func (f studioForm) destination() (string, error) {
	server := strings.TrimSpace(f.server)
	key := strings.TrimSpace(f.key)
	if server == "" {
		return "", errors.New("no destination: give the server URL, e.g. rtmp://live.example.com/app")
	}
	if key == "" {
		return server, nil
	}
	return strings.TrimRight(server, "/") + "/" + key, nil
}

// dest is the destination the form names: on the chosen service, or the
// server and key typed (Custom…).
func (f studioForm) dest() (string, error) {
	svc, isSvc, err := f.chosenService()
	if err != nil {
		return "", err
	}
	if isSvc {
		return f.serviceDest(svc)
	}
	return f.destination()
}

// streamName is the stream's name on the loopback server when the
// destination is the loopback server at loopRTMP ("" otherwise).
func (f studioForm) streamName(loopRTMP string) string {
	server := strings.TrimRight(strings.TrimSpace(f.server), "/")
	if loopRTMP == "" || server != "rtmp://"+loopRTMP+"/live" {
		return ""
	}
	return strings.TrimSpace(f.key)
}

// config is the broadcast the form asks for, without the window's parts
// (Preview, Logger); the first bad field's error otherwise.
func (f studioForm) config() (engine.Config, error) {
	c, err := f.media()
	if err != nil {
		return c, err
	}
	dest, err := f.dest()
	if err != nil {
		return c, err
	}
	c.URLs = []string{dest}
	return c, nil
}

// recordConfig is the broadcast that records into path, with no
// destination (Start Recording when not live).
func (f studioForm) recordConfig(path string) (engine.Config, error) {
	c, err := f.media()
	c.Record = path
	return c, err
}

// media is the broadcast's sources and output settings, without a
// destination.
func (f studioForm) media() (engine.Config, error) {
	var c engine.Config
	out, err := parseVideoOutput(sizeOf(f.size, f.custom), strings.TrimSpace(f.fps), f.vbitrate)
	if err != nil {
		return c, err
	}
	ab, err := engine.ParseBitrate(f.abitrate)
	if err != nil {
		return c, err
	}
	if !encode.ValidPreset(f.preset) {
		return c, fmt.Errorf("preset %q: want one of %s", f.preset, strings.Join(encode.Presets(), ", "))
	}
	ki, err := parseKeyint(f.keyint)
	if err != nil {
		return c, err
	}
	vc, err := engine.ParseVideoCodec(f.vcodec)
	if err != nil {
		return c, err
	}
	ac, err := engine.ParseAudioCodec(f.acodec)
	if err != nil {
		return c, err
	}
	svc, isSvc, err := f.chosenService()
	if err != nil {
		return c, err
	}
	return engine.Config{
		Video: f.videoSpec(), Audio: f.audioSpec(),
		OverlayText: strings.TrimSpace(f.title), OverlayClock: f.clock,
		HideCursor: !f.pointer,
		Width:      out.width, Height: out.height, FPS: out.fps, VideoBitrate: out.bitrate, AudioBitrate: ab,
		Preset: f.preset, Profile: studioProfile(svc, isSvc), KeyInterval: ki,
		VideoCodec: vc, AudioCodec: ac, TrustEnhanced: f.trustEnhanced,
		Insecure: f.insecure,
	}, nil
}

// parseKeyint reads 2s, 500ms or a plain number of seconds.
func parseKeyint(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	d, err := time.ParseDuration(v)
	if err != nil {
		var secs float64
		if _, err2 := fmt.Sscanf(v, "%g", &secs); err2 == nil && fmt.Sprint(secs) == v {
			d, err = time.Duration(secs*float64(time.Second)), nil
		}
	}
	if err != nil || d < 100*time.Millisecond || d > time.Minute {
		return 0, fmt.Errorf("keyframe interval %q: want a duration from 0.1s to 60s, e.g. 2s", v)
	}
	return d, nil
}
