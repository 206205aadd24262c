package services

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Settings are the encoder settings checked against a service's limits. A
// zero field is not checked.
type Settings struct {
	Width, Height int
	FPS           float64
	VideoBitrate  int // bits per second
	AudioBitrate  int // bits per second
	KeyInterval   time.Duration
	Profile       string // H.264 profile: baseline, main, high
}

// Field names one of the Settings.
type Field int

// The fields a Warning is about.
const (
	FieldSize Field = iota + 1
	FieldFPS
	FieldVideoBitrate
	FieldAudioBitrate
	FieldKeyInterval
	FieldProfile
)

// Warning is one setting beyond what a service accepts or recommends.
type Warning struct {
	Field Field
	// Message is one sentence for the streamer: "Twitch accepts at most
	// 6000 kb/s of video; you chose 8000 kb/s."
	Message string
	// Limit holds the value to apply in Field's place (Width and Height
	// for FieldSize); the other fields are zero.
	Limit Settings
}

// Apply returns s with w's limit in place of the setting w is about.
func (w Warning) Apply(s Settings) Settings {
	switch w.Field {
	case FieldSize:
		s.Width, s.Height = w.Limit.Width, w.Limit.Height
	case FieldFPS:
		s.FPS = w.Limit.FPS
	case FieldVideoBitrate:
		s.VideoBitrate = w.Limit.VideoBitrate
	case FieldAudioBitrate:
		s.AudioBitrate = w.Limit.AudioBitrate
	case FieldKeyInterval:
		s.KeyInterval = w.Limit.KeyInterval
	case FieldProfile:
		s.Profile = w.Limit.Profile
	}
	return s
}

// fpsSlack lets 59.94 and 60000/1001 pass a 60 fps limit, and 30 pass a
// 30 fps row.
const fpsSlack = 0.01

// Check returns a warning for each setting in s beyond the service's
// limits, in the order of the Field constants; none when s is within them.
func (s Service) Check(st Settings) []Warning {
	l := s.Limits
	var out []Warning
	if st.Width > 0 && st.Height > 0 && l.MaxWidth > 0 {
		long, short := max(st.Width, st.Height), min(st.Width, st.Height)
		maxLong, maxShort := max(l.MaxWidth, l.MaxHeight), min(l.MaxWidth, l.MaxHeight)
		if long > maxLong || short > maxShort {
			limit := Settings{Width: l.MaxWidth, Height: l.MaxHeight}
			if st.Height > st.Width {
				limit.Width, limit.Height = limit.Height, limit.Width
			}
			out = append(out, Warning{Field: FieldSize, Limit: limit, Message: fmt.Sprintf(
				"%s accepts pictures up to %dx%d; you chose %dx%d.", s.Name, limit.Width, limit.Height, st.Width, st.Height)})
		}
	}
	if st.FPS > 0 && l.MaxFPS > 0 && st.FPS > l.MaxFPS+fpsSlack {
		out = append(out, Warning{Field: FieldFPS, Limit: Settings{FPS: l.MaxFPS}, Message: fmt.Sprintf(
			"%s accepts at most %s frames per second; you chose %s.", s.Name, fmtFloat(l.MaxFPS), fmtFloat(st.FPS))})
	}
	if st.VideoBitrate > 0 {
		limit, at := l.videoCap(st)
		if st.VideoBitrate > limit {
			out = append(out, Warning{Field: FieldVideoBitrate, Limit: Settings{VideoBitrate: limit}, Message: fmt.Sprintf(
				"%s accepts at most %s of video%s; you chose %s.", s.Name, kbps(limit), at, kbps(st.VideoBitrate))})
		}
	}
	if st.AudioBitrate > 0 && l.MaxAudioBitrate > 0 && st.AudioBitrate > l.MaxAudioBitrate {
		out = append(out, Warning{Field: FieldAudioBitrate, Limit: Settings{AudioBitrate: l.MaxAudioBitrate}, Message: fmt.Sprintf(
			"%s accepts at most %s of audio; you chose %s.", s.Name, kbps(l.MaxAudioBitrate), kbps(st.AudioBitrate))})
	}
	if st.KeyInterval > 0 && l.MaxKeyInterval > 0 && st.KeyInterval > l.MaxKeyInterval {
		out = append(out, Warning{Field: FieldKeyInterval, Limit: Settings{KeyInterval: l.KeyInterval}, Message: fmt.Sprintf(
			"%s wants a keyframe at least every %v (%v recommended); you chose every %v.", s.Name, l.MaxKeyInterval, l.KeyInterval, st.KeyInterval)})
	}
	if st.Profile != "" && l.Profile != "" && profileRank(st.Profile) > profileRank(l.Profile) {
		out = append(out, Warning{Field: FieldProfile, Limit: Settings{Profile: l.Profile}, Message: fmt.Sprintf(
			"%s recommends the H.264 %s profile; you chose %s.", s.Name, l.Profile, strings.ToLower(st.Profile))})
	}
	return out
}

// Fit returns st with every limit Check warns about applied. A smaller
// picture may have a lower bitrate cap, so it checks again until nothing
// is left.
func (s Service) Fit(st Settings) Settings {
	for i := 0; i <= int(FieldProfile); i++ {
		ws := s.Check(st)
		if len(ws) == 0 {
			break
		}
		for _, w := range ws {
			st = w.Apply(st)
		}
	}
	return st
}

// videoCap is the video bitrate cap for st's size and frame rate, and
// " at WxH F fps" when a row of the size table gave it (the first row, from
// the smallest, that holds as many pixels and frames).
func (l Limits) videoCap(st Settings) (int, string) {
	pixels := st.Width * st.Height
	if pixels <= 0 || st.FPS <= 0 {
		return l.MaxVideoBitrate, ""
	}
	for _, r := range l.VideoBitrateBySize {
		if pixels <= r.Width*r.Height && st.FPS <= r.FPS+fpsSlack {
			return r.MaxVideoBitrate, fmt.Sprintf(" at %dx%d %s fps", r.Width, r.Height, fmtFloat(r.FPS))
		}
	}
	return l.MaxVideoBitrate, ""
}

func kbps(bps int) string { return fmtFloat(float64(bps)/1000) + " kb/s" }

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
