package loopback

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"onair/publish/rtmp"
)

// TestRTMPViewersGetEveryUnit: through the publisher's direct fan-out
// (shared chunk encoding; for a crowd, units sent in batches), RTMP viewers
// get every unit published after they joined, byte for byte, in the
// publisher's order per track, on their own timeline; one joins mid-stream
// and gets the GOP first.
func TestRTMPViewersGetEveryUnit(t *testing.T) {
	t.Run("few", func(t *testing.T) { testViewersGetEveryUnit(t, 3) })
	t.Run("crowd", func(t *testing.T) { testViewersGetEveryUnit(t, crowdMinViewers) })
}

func testViewersGetEveryUnit(t *testing.T, viewers int) {
	s := startServer(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := dialPublish(ctx, s.RTMPAddr(), "every")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	vseq := []byte{0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0}
	aseq := []byte{0xaf, 0, 0x11, 0x90}
	if err := pub.WriteVideo(0, vseq); err != nil {
		t.Fatal(err)
	}
	if err := pub.WriteAudio(0, aseq); err != nil {
		t.Fatal(err)
	}
	type sent struct {
		typ  uint8
		dts  uint32
		body []byte
	}
	var all []sent
	audioFrames := 0
	// 30 fps video (a keyframe every 30 frames, of many chunks) and 48 kHz
	// AAC (a frame every 21.33 ms), interleaved by time with the audio 70 ms
	// behind, as OnAir's encoder sends them.
	write := func(from, to int) {
		t.Helper()
		for ms := from; ms < to; ms++ {
			if ms%100 == 0 || ms%100 == 33 || ms%100 == 66 {
				f := len(all)
				body := bytes.Repeat([]byte{byte(f)}, 3000+f%7*1500)
				body[0], body[1] = 0x27, 1
				if ms%1000 == 0 {
					body = bytes.Repeat([]byte{byte(f)}, 60000)
					body[0], body[1] = 0x17, 1
				}
				all = append(all, sent{9, uint32(ms), body})
				if err := pub.WriteVideo(uint32(ms), body); err != nil {
					t.Fatal(err)
				}
			}
			if ms == 70+audioFrames*64/3 {
				audioFrames++
				body := append([]byte{0xaf, 1}, bytes.Repeat([]byte{byte(ms)}, 300)...)
				all = append(all, sent{8, uint32(ms - 70), body})
				if err := pub.WriteAudio(uint32(ms-70), body); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	write(0, 1000)
	waitStream(t, s, "every")

	type viewer struct {
		c     *rtmp.Client
		first int // index in all of the first unit it must get
		got   []rtmp.Media
		err   chan error
	}
	join := func() *viewer {
		c, err := dialPlay(ctx, s.RTMPAddr(), "every")
		if err != nil {
			t.Fatal(err)
		}
		v := &viewer{c: c, first: len(all), err: make(chan error, 1)}
		return v
	}
	var vs []*viewer
	for range viewers {
		vs = append(vs, join())
	}
	for _, v := range vs {
		go func(v *viewer) {
			for {
				m, err := v.c.ReadMedia(ctx)
				if err != nil {
					v.err <- err
					return
				}
				v.got = append(v.got, m)
			}
		}(v)
	}
	time.Sleep(200 * time.Millisecond) // the viewers' GOP bursts go out
	write(1000, 1500)
	late := join()
	vs = append(vs, late)
	go func(v *viewer) {
		for {
			m, err := v.c.ReadMedia(ctx)
			if err != nil {
				v.err <- err
				return
			}
			v.got = append(v.got, m)
		}
	}(late)
	time.Sleep(200 * time.Millisecond)
	write(1500, 3000)
	time.Sleep(500 * time.Millisecond)
	for _, v := range vs {
		v.c.Close()
		<-v.err
	}

	for i, v := range vs {
		t.Run(fmt.Sprint("viewer ", i), func(t *testing.T) {
			// Skip metadata, headers and the GOP burst: what was published
			// after the join must follow, every unit, in order per track.
			want := all[v.first:]
			var media []rtmp.Media
			for _, m := range v.got {
				if len(m.Payload) > 1 && m.Payload[1] == 1 {
					media = append(media, m)
				}
			}
			// Find where the published-after-join units start.
			start := -1
			for j := range media {
				if bytes.Equal(media[j].Payload, want[0].body) && media[j].TypeID == want[0].typ {
					start = j
				}
			}
			if start < 0 {
				t.Fatalf("the first unit published after the join never came (%d media messages)", len(media))
			}
			got := media[start:]
			for _, typ := range []uint8{8, 9} {
				var g []rtmp.Media
				var w []sent
				for _, m := range got {
					if m.TypeID == typ {
						g = append(g, m)
					}
				}
				for _, m := range want {
					if m.typ == typ {
						w = append(w, m)
					}
				}
				if len(g) != len(w) {
					t.Fatalf("type %d: got %d units, want %d", typ, len(g), len(w))
				}
				for j := range w {
					if !bytes.Equal(g[j].Payload, w[j].body) {
						t.Fatalf("type %d, unit %d: payload differs", typ, j)
					}
					if j > 0 && g[j].Timestamp-g[j-1].Timestamp != w[j].dts-w[j-1].dts {
						t.Fatalf("type %d, unit %d: timestamp step %d, want %d", typ, j,
							g[j].Timestamp-g[j-1].Timestamp, w[j].dts-w[j-1].dts)
					}
				}
			}
		})
	}
}
