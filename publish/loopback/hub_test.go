package loopback

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func video(dts int, key bool) *Unit {
	ft := byte(0x27)
	if key {
		ft = 0x17
	}
	return &Unit{Kind: KindVideo, DTS: time.Duration(dts) * time.Millisecond, Body: []byte{ft, 1, 0, 0, 0, byte(dts)}}
}

func audio(dts int) *Unit {
	return &Unit{Kind: KindAudio, DTS: time.Duration(dts) * time.Millisecond, Body: []byte{0xaf, 1, byte(dts)}}
}

func headers(p *Publication) {
	p.Write(&Unit{Kind: KindData, Body: []byte{2, 0, 10}})
	p.Write(&Unit{Kind: KindVideo, Body: []byte{0x17, 0, 0, 0, 0, 1}})
	p.Write(&Unit{Kind: KindAudio, Body: []byte{0xaf, 0, 0x11, 0x90}})
}

func TestLateJoinerGetsHeadersAndGOP(t *testing.T) {
	h := NewHub(HubConfig{})
	defer h.Close()
	p, err := h.Publish("s", "1.2.3.4:5", nil)
	if err != nil {
		t.Fatal(err)
	}
	headers(p)
	p.Write(video(0, true))
	p.Write(video(33, false))
	p.Write(video(66, true)) // the GOP restarts here
	p.Write(audio(70))
	p.Write(video(100, false))
	r, err := h.Play("s", "rtmp")
	if err != nil {
		t.Fatal(err)
	}
	got := r.Next(nil)
	if len(got) != 6 {
		t.Fatalf("joined with %d units, want 3 headers + 3 of the GOP", len(got))
	}
	if !got[0].Header || !got[1].Header || !got[2].Header {
		t.Fatalf("first units are not the headers: %+v", got[:3])
	}
	if !got[3].Key || got[3].DTS != 66*time.Millisecond {
		t.Fatalf("GOP starts with %+v, want the keyframe at 66 ms", got[3])
	}
	if _, err := h.Play("nothing", "rtmp"); err != ErrNoStream {
		t.Fatalf("play of a missing stream: %v", err)
	}
}

// TestCrowdBatches: with a crowd watching, the units that come within
// crowdWindow go to each viewer in one write when the stream's timer closes
// the batch; a few viewers get each unit on its own.
func TestCrowdBatches(t *testing.T) {
	for _, tc := range []struct {
		viewers int
		want    string
	}{
		{crowdMinViewers - 1, "v0 a10 a30 v33"},
		{crowdMinViewers, "[v0 a10 a30 v33]"},
	} {
		t.Run(fmt.Sprint(tc.viewers, " viewers"), func(t *testing.T) {
			h := NewHub(HubConfig{})
			defer h.Close()
			p, err := h.Publish("s", "1.2.3.4:5", nil)
			if err != nil {
				t.Fatal(err)
			}
			var hs []*handOff
			for range tc.viewers {
				r, err := h.Play("s", "rtmp")
				if err != nil {
					t.Fatal(err)
				}
				ho := &handOff{}
				r.setDirect(ho)
				hs = append(hs, ho)
			}
			for _, u := range []*Unit{video(0, true), audio(10), audio(30), video(33, false)} {
				p.Write(u)
			}
			time.Sleep(crowdWindow + 100*time.Millisecond) // the timer closes the batch
			p.Write(audio(50))
			p.Write(audio(70))
			time.Sleep(crowdWindow + 100*time.Millisecond)
			p.Write(audio(90)) // a batch of its own
			time.Sleep(crowdWindow + 100*time.Millisecond)
			want := tc.want + " a50 a70 a90"
			if tc.viewers >= crowdMinViewers {
				want = tc.want + " [a50 a70] a90"
			}
			for i, ho := range hs {
				if ho.String() != want {
					t.Errorf("viewer %d took %q, want %q", i, ho, want)
				}
			}
		})
	}
}

func TestSlowViewerDropsToKeyframe(t *testing.T) {
	h := NewHub(HubConfig{ReaderQueue: 10})
	defer h.Close()
	p, _ := h.Publish("s", "", nil)
	headers(p)
	slow, _ := h.Play("s", "rtmp")
	fast, _ := h.Play("s", "flv")
	var fastGot []*Unit
	for i := 0; i < 40; i++ {
		p.Write(video(i*33, i%15 == 0))
		fastGot = append(fastGot, fast.Next(nil)...)
	}
	if fast.Dropped() != 0 || len(fastGot) != 3+40 {
		t.Fatalf("fast viewer: %d units, %d dropped", len(fastGot), fast.Dropped())
	}
	got := slow.Next(nil)
	if slow.Dropped() == 0 {
		t.Fatal("the slow viewer dropped nothing")
	}
	// What it still has starts at a keyframe.
	if len(got) == 0 || !got[0].Key {
		t.Fatalf("after dropping, the slow viewer resumes with %+v, want a keyframe", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].DTS <= got[i-1].DTS {
			t.Fatalf("out of order: %v then %v", got[i-1].DTS, got[i].DTS)
		}
	}
}

func TestTakeover(t *testing.T) {
	h := NewHub(HubConfig{})
	defer h.Close()
	tookOver := make(chan struct{})
	p1, _ := h.Publish("s", "a", func() { close(tookOver) })
	headers(p1)
	p1.Write(video(0, true))
	r, _ := h.Play("s", "rtmp")
	r.Next(nil)
	p2, _ := h.Publish("s", "b", nil)
	select {
	case <-tookOver:
	default:
		t.Fatal("the old publisher was not told")
	}
	p1.Write(video(33, false)) // ignored: p1 was taken over
	p1.Close()                 // must not end the stream
	headers(p2)
	p2.Write(video(1000, true))
	got := r.Next(nil)
	if len(got) != 4 || got[3].DTS != time.Second {
		t.Fatalf("viewer after takeover got %d units: %+v", len(got), got)
	}
	select {
	case <-r.Done():
		t.Fatal("the viewer was let go on takeover")
	default:
	}
	p2.Close()
	select {
	case <-r.Done():
	case <-time.After(time.Second):
		t.Fatal("the viewer was not let go when the stream ended")
	}
	if len(h.Streams()) != 0 {
		t.Fatalf("streams after the end: %+v", h.Streams())
	}
}

// TestWaitLive: WaitLive returns once the stream carries video at a
// measured rate, and gives up with ctx's error on a stream that never does.
func TestWaitLive(t *testing.T) {
	h := NewHub(HubConfig{})
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if _, err := h.WaitLive(ctx, "s"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitLive on no stream: %v, want the deadline", err)
	}
	p, err := h.Publish("s", "1.2.3.4:5", nil)
	if err != nil {
		t.Fatal(err)
	}
	headers(p)
	for dts := 0; dts <= 1000; dts += 100 {
		p.Write(video(dts, dts == 0))
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	st, err := h.WaitLive(ctx2, "s")
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "s" || st.Video == nil || st.FPS <= 0 {
		t.Fatalf("WaitLive = %+v, want stream s with video and a rate", st)
	}
}
