package rtmp

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/publish/flv"
)

// acceptAll is a ServerHandler that lets every publish and play through.
type acceptAll struct {
	mu        sync.Mutex
	published []string
}

func (h *acceptAll) OnPublish(_ *ServerSession, _, name string) error {
	h.mu.Lock()
	h.published = append(h.published, name)
	h.mu.Unlock()
	return nil
}
func (h *acceptAll) OnPlay(*ServerSession, string, string) error { return nil }
func (h *acceptAll) OnMedia(uint8, uint32, []byte)               {}
func (h *acceptAll) OnStop()                                     {}

// serveOne runs our server end for each connection to a fresh listener.
func serveOne(t *testing.T, cfg ServerConfig, h ServerHandler) string {
	t.Helper()
	ln := listen(t)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := NewServerSession(nc, cfg)
				_ = s.Serve(h)
				s.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

// A publisher of HEVC and Opus goes ahead only where the server announces
// Enhanced RTMP for both, or when told to trust it; the error says what is
// missing and what to do.
func TestClientEnhancedCheck(t *testing.T) {
	checkLeaks(t)
	cases := []struct {
		name   string
		server []string
		trust  bool
		want   string // "" for success
	}{
		{"announced", []string{"avc1", "hvc1", "mp4a", "Opus"}, false, ""},
		{"not announced", nil, false, "does not announce Enhanced RTMP at all"},
		{"not announced, trusted", nil, true, ""},
		{"partly", []string{"hvc1"}, false, "publishing Opus needs it, and the server announces hvc1 only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &acceptAll{}
			addr := serveOne(t, ServerConfig{Enhanced: c.server, Logger: discardLogger()}, h)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cl, err := Dial(ctx, Config{Addr: addr, App: "live", TCURL: "rtmp://" + addr + "/live", Key: "secretkey",
				Enhanced: []string{"hvc1", "Opus"}, TrustEnhanced: c.trust, Settle: time.Millisecond, Logger: discardLogger()})
			if c.want == "" {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				if got := cl.ServerEnhanced(); c.server != nil && !slices.Equal(got.FourCCs, c.server) {
					t.Errorf("server announced %v, client read %v", c.server, got.FourCCs)
				}
				cl.Close()
				return
			}
			if err == nil {
				cl.Close()
				t.Fatal("Dial succeeded; want ErrNotEnhanced")
			}
			if !errors.Is(err, ErrNotEnhanced) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "--trust-enhanced") {
				t.Errorf("error %q: want ErrNotEnhanced saying %q and naming --trust-enhanced", err, c.want)
			}
			if strings.Contains(err.Error(), "secretkey") {
				t.Errorf("the stream key leaked into %q", err)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.published) != 0 {
				t.Errorf("the client published %v before failing", h.published)
			}
		})
	}
}

// The connect command carries fourCcList and the v2 info maps, with the
// flags of the role; a server's reply is read from either object.
func TestEnhancedConnectProperties(t *testing.T) {
	obj := enhancedConnect(flv.AMF0Object{{Key: "app", Value: "live"}}, []string{"hvc1", "Opus"}, false)
	b, err := flv.MarshalAMF0(obj)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := flv.UnmarshalAMF0(b)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := property(vals[0], "fourCcList").(flv.AMF0StrictArray)
	if len(list) != 2 || list[0] != "hvc1" || list[1] != "Opus" {
		t.Errorf("fourCcList %v", list)
	}
	if v := property(property(vals[0], "videoFourCcInfoMap"), "hvc1"); v != float64(fourCCCanEncode) {
		t.Errorf("videoFourCcInfoMap.hvc1 = %v, want CanEncode", v)
	}
	if v := property(property(vals[0], "audioFourCcInfoMap"), "Opus"); v != float64(fourCCCanEncode) {
		t.Errorf("audioFourCcInfoMap.Opus = %v, want CanEncode", v)
	}
	if got := enhancedConnect(nil, nil, true); got != nil {
		t.Errorf("nothing to announce added %v", got)
	}
	// A reply with the map in the information object and a wildcard.
	s := parseServerEnhanced([]any{
		flv.AMF0Object{{Key: "fmsVer", Value: "X"}},
		flv.AMF0Object{{Key: "videoFourCcInfoMap", Value: flv.AMF0ECMAArray{{Key: "*", Value: float64(fourCCCanForward)}}},
			{Key: "audioFourCcInfoMap", Value: flv.AMF0Object{{Key: "Opus", Value: float64(fourCCCanEncode)}}}},
	})
	if !s.Has("hvc1") || s.Has("Opus") {
		t.Errorf("parsed %+v: want any video (wildcard), not Opus (encode only)", s)
	}
	if parseServerEnhanced([]any{nil, "x", 1.0}).Announced() {
		t.Error("odd arguments read as an announcement")
	}
}
