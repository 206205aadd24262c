package services

import (
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	ok := Settings{Width: 1280, Height: 720, FPS: 30, VideoBitrate: 2_500_000, AudioBitrate: 128_000,
		KeyInterval: 2 * time.Second, Profile: "main"}
	for _, c := range []struct {
		name, service string
		edit          func(*Settings)
		want          []string // one per warning: a piece of its message
		fields        []Field
		limit         Settings // the last warning's limit
	}{
		{"within twitch", "twitch", func(*Settings) {}, nil, nil, Settings{}},
		{"twitch bitrate", "twitch", func(s *Settings) { s.VideoBitrate = 8_000_000 },
			[]string{"Twitch accepts at most 6000 kb/s of video; you chose 8000 kb/s."}, []Field{FieldVideoBitrate},
			Settings{VideoBitrate: 6_000_000}},
		{"twitch at the cap", "twitch", func(s *Settings) { s.VideoBitrate, s.AudioBitrate = 6_000_000, 320_000 }, nil, nil, Settings{}},
		{"twitch audio", "twitch", func(s *Settings) { s.AudioBitrate = 384_000 },
			[]string{"Twitch accepts at most 320 kb/s of audio; you chose 384 kb/s."}, []Field{FieldAudioBitrate},
			Settings{AudioBitrate: 320_000}},
		{"twitch 4k", "twitch", func(s *Settings) { s.Width, s.Height = 3840, 2160 },
			[]string{"Twitch accepts pictures up to 1920x1080; you chose 3840x2160."}, []Field{FieldSize},
			Settings{Width: 1920, Height: 1080}},
		{"portrait within", "twitch", func(s *Settings) { s.Width, s.Height = 1080, 1920 }, nil, nil, Settings{}},
		{"portrait too tall", "twitch", func(s *Settings) { s.Width, s.Height = 1080, 2000 },
			[]string{"up to 1080x1920; you chose 1080x2000"}, []Field{FieldSize}, Settings{Width: 1080, Height: 1920}},
		{"59.94 fps passes 60", "twitch", func(s *Settings) { s.FPS = 60000.0 / 1001 }, nil, nil, Settings{}},
		{"120 fps", "youtube", func(s *Settings) { s.FPS = 120 },
			[]string{"YouTube Live accepts at most 60 frames per second; you chose 120."}, []Field{FieldFPS}, Settings{FPS: 60}},
		{"twitch keyint", "twitch", func(s *Settings) { s.KeyInterval = 4 * time.Second },
			[]string{"Twitch wants a keyframe at least every 2s (2s recommended); you chose every 4s."},
			[]Field{FieldKeyInterval}, Settings{KeyInterval: 2 * time.Second}},
		{"youtube takes 4 s", "youtube", func(s *Settings) { s.KeyInterval = 4 * time.Second }, nil, nil, Settings{}},
		{"youtube 5 s", "youtube", func(s *Settings) { s.KeyInterval = 5 * time.Second },
			[]string{"at least every 4s (2s recommended)"}, []Field{FieldKeyInterval}, Settings{KeyInterval: 2 * time.Second}},
		{"shorter keyint is fine", "twitch", func(s *Settings) { s.KeyInterval = time.Second }, nil, nil, Settings{}},
		{"twitch high profile", "twitch", func(s *Settings) { s.Profile = "High" },
			[]string{"Twitch recommends the H.264 main profile; you chose high."}, []Field{FieldProfile}, Settings{Profile: "main"}},
		{"baseline is below main", "facebook", func(s *Settings) { s.Profile = "baseline" }, nil, nil, Settings{}},
		{"youtube has no profile", "youtube", func(s *Settings) { s.Profile = "high" }, nil, nil, Settings{}},
		{"facebook 720p30 by size", "facebook", func(s *Settings) { s.VideoBitrate = 4_500_000 },
			[]string{"Facebook Live accepts at most 4000 kb/s of video at 1280x720 30 fps; you chose 4500 kb/s."},
			[]Field{FieldVideoBitrate}, Settings{VideoBitrate: 4_000_000}},
		{"facebook 720p60 takes more", "facebook", func(s *Settings) { s.FPS, s.VideoBitrate = 60, 4_500_000 }, nil, nil, Settings{}},
		{"facebook 480p", "facebook", func(s *Settings) { s.Width, s.Height, s.VideoBitrate = 640, 480, 2_500_000 },
			[]string{"at most 2000 kb/s of video at 854x480 30 fps"}, []Field{FieldVideoBitrate}, Settings{VideoBitrate: 2_000_000}},
		{"facebook 1080p60", "facebook", func(s *Settings) { s.Width, s.Height, s.FPS, s.VideoBitrate = 1920, 1080, 60, 9_000_000 }, nil, nil, Settings{}},
		{"facebook everything", "facebook", func(s *Settings) {
			*s = Settings{Width: 3840, Height: 2160, FPS: 120, VideoBitrate: 20_000_000, AudioBitrate: 192_000,
				KeyInterval: 10 * time.Second, Profile: "high"}
		}, []string{"up to 1920x1080", "at most 60 frames", "at most 9000 kb/s of video; you chose 20000",
			"at most 128 kb/s of audio", "every 4s", "main profile"},
			[]Field{FieldSize, FieldFPS, FieldVideoBitrate, FieldAudioBitrate, FieldKeyInterval, FieldProfile},
			Settings{Profile: "main"}},
		{"kick", "kick", func(s *Settings) { s.VideoBitrate, s.AudioBitrate = 9_000_000, 160_000 },
			[]string{"Kick accepts at most 8500 kb/s of video; you chose 9000 kb/s."}, []Field{FieldVideoBitrate},
			Settings{VideoBitrate: 8_500_000}},
		{"zero is not checked", "twitch", func(s *Settings) { *s = Settings{} }, nil, nil, Settings{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc, found := Lookup(c.service)
			if !found {
				t.Fatalf("no service %q", c.service)
			}
			st := ok
			c.edit(&st)
			got := svc.Check(st)
			if len(got) != len(c.want) {
				t.Fatalf("%d warnings %+v, want %d", len(got), got, len(c.want))
			}
			for i, w := range got {
				if !strings.Contains(w.Message, c.want[i]) || w.Field != c.fields[i] {
					t.Errorf("warning %d: %+v, want field %d saying %q", i, w, c.fields[i], c.want[i])
				}
			}
			if len(got) > 0 && got[len(got)-1].Limit != c.limit {
				t.Errorf("limit %+v, want %+v", got[len(got)-1].Limit, c.limit)
			}
			// What Fit returns passes Check.
			if w := svc.Check(svc.Fit(st)); len(w) != 0 {
				t.Errorf("after Fit: %+v", w)
			}
		})
	}
}
