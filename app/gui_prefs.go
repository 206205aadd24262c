package app

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
)

// The window's settings, kept with Fyne's preferences (app ID
// dev.onair.studio: ~/.config/fyne/dev.onair.studio/preferences.json on
// Linux). Every setting is saved when it changes.
const (
	prefVideo          = "studio.video" // a source spec: testsrc, screen:0, camera:ID, file:
	prefAudio          = "studio.audio" // a source spec: tone, none, mic:ID, file
	prefFile           = "studio.file"  // the media file's path
	prefTitle          = "studio.overlay.text"
	prefClock          = "studio.overlay.clock"
	prefCursor         = "studio.screen.cursor" // draw the mouse pointer in a screen capture
	prefSize           = "studio.size"          // a sizePresets label
	prefCustom         = "studio.size.custom"
	prefFPS            = "studio.fps"
	prefVBitrate       = "studio.vbitrate"
	prefABitrate       = "studio.abitrate"
	prefPreset         = "studio.preset"
	prefVCodec         = "studio.vcodec" // h264, hevc, av1
	prefACodec         = "studio.acodec" // aac, opus
	prefTrustEnhanced  = "dest.trust_enhanced"
	prefKeyint         = "studio.keyint"
	prefServer         = "dest.server" // empty: the loopback server's rtmp://ADDR/live
	prefKey            = "dest.key"
	prefInsecure       = "dest.insecure"
	prefService        = "dest.service" // a publish/services ID; empty: Custom (dest.server, dest.key)
	prefDests          = "dest.list"    // the Studio's destinations: a JSON list of destSetting (keys included, as dest.key)
	prefRecent         = "player.recent"
	prefVolume         = "player.volume"
	prefMuted          = "player.muted"
	prefOverlay        = "player.stats"
	prefPlayerInsecure = "player.insecure" // accept any rtmps certificate
	prefLoopback       = "loopback.on"
	prefLoopbackRecord = "loopback.record" // record every stream the loopback server gets
	prefLoopbackLadder = "loopback.ladder" // the transcoded ladder, "480p,360p" ("": off)
	maxRecentURLs      = 10
)

// videoCodecChoices and audioCodecChoices are the Studio's codec pickers:
// a label and the --vcodec/--acodec value, the default first.
func videoCodecChoices() []sourceChoice {
	return []sourceChoice{{"H.264", "h264"}, {"HEVC (Enhanced RTMP)", "hevc"}, {"AV1 (Enhanced RTMP)", "av1"}}
}

func audioCodecChoices() []sourceChoice {
	return []sourceChoice{{"AAC", "aac"}, {"Opus (Enhanced RTMP)", "opus"}}
}

// sizePreset is one choice of the output size picker.
type sizePreset struct{ label, size string }

var sizePresets = []sizePreset{
	{"SD 640×480", "sd"},
	{"HD 1280×720", "hd"},
	{"FHD 1920×1080", "fhd"},
	{"UHD 3840×2160", "uhd"},
	{"Custom", ""},
}

func sizeLabels() []string {
	out := make([]string, len(sizePresets))
	for i, p := range sizePresets {
		out[i] = p.label
	}
	return out
}

// sizeOf is the parseSize argument for a picker label (custom: the entry).
func sizeOf(label, custom string) string {
	for _, p := range sizePresets {
		if p.label == label && p.size != "" {
			return p.size
		}
	}
	return custom
}

// addRecent puts u first in the recent URL list, without duplicates, at
// most maxRecentURLs long.
func addRecent(list []string, u string) []string {
	u = strings.TrimSpace(u)
	if u == "" {
		return list
	}
	out := []string{u}
	for _, v := range list {
		if v != u && len(out) < maxRecentURLs {
			out = append(out, v)
		}
	}
	return out
}

func prefString(p fyne.Preferences, key, def string) string {
	return p.StringWithFallback(key, def)
}

// The setters write only a changed value (every write makes Fyne save
// the file and its watcher read it back), and nothing while the window is
// being built: what the widgets start with is not the streamer's choice.

func (g *gui) setString(key, v string) {
	if !g.building && g.prefs.String(key) != v {
		g.prefs.SetString(key, v)
	}
}

func (g *gui) setBool(key string, v bool) {
	if !g.building && g.prefs.BoolWithFallback(key, !v) != v {
		g.prefs.SetBool(key, v)
	}
}

func (g *gui) setFloat(key string, v float64) {
	if !g.building && g.prefs.FloatWithFallback(key, v+1) != v {
		g.prefs.SetFloat(key, v)
	}
}

func (g *gui) setStrings(key string, v []string) {
	if !g.building && !slices.Equal(g.prefs.StringList(key), v) {
		g.prefs.SetStringList(key, v)
	}
}
