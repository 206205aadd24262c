package audiodev

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/gen2brain/malgo"
)

func TestName(t *testing.T) {
	for b, want := range map[malgo.Backend]string{
		malgo.BackendPulseaudio: "pulseaudio",
		malgo.BackendAlsa:       "alsa",
		malgo.BackendWasapi:     "wasapi",
		BackendNull:             "null",
		malgo.BackendNull:       "backend 13", // malgo's misnumbered constant
	} {
		if got := Name(b); got != want {
			t.Errorf("Name(%d) = %q, want %q", b, got, want)
		}
	}
}

func TestSystemBackends(t *testing.T) {
	bs := SystemBackends()
	if len(bs) == 0 || bs[0] != malgo.BackendPulseaudio && bs[0] != malgo.BackendWasapi {
		t.Fatalf("SystemBackends() = %v", bs)
	}
	for _, b := range bs {
		if b == BackendNull || b == malgo.BackendNull {
			t.Errorf("SystemBackends() has the null backend: %v", bs)
		}
		if !HasSoundCard() && (b == malgo.BackendAlsa || b == malgo.BackendJack) {
			t.Errorf("no sound card, yet %s is tried", Name(b))
		}
	}
}

// The null backend is there on every machine: a context opens on it, and
// a playback device starts.
func TestOpenNull(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, err := Open(BackendNull, log)
	if err != nil {
		t.Fatalf("Open(null): %v", err)
	}
	dc := malgo.DefaultDeviceConfig(malgo.Playback)
	dc.Playback.Format = malgo.FormatF32
	dc.Playback.Channels = 2
	dc.SampleRate = 48000
	dev, err := malgo.InitDevice(ctx.Context, dc, malgo.DeviceCallbacks{})
	if err != nil {
		t.Fatalf("null playback device: %v", err)
	}
	if err := dev.Start(); err != nil {
		t.Errorf("starting the null device: %v", err)
	}
	dev.Uninit()
	if err := Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := Close(nil); err != nil {
		t.Errorf("Close(nil): %v", err)
	}
	if strings.Contains(logs.String(), "Loading symbol") {
		t.Errorf("symbol loading logged:\n%s", logs.String())
	}
	// A nil logger discards.
	ctx, err = Open(BackendNull, nil)
	if err != nil {
		t.Fatalf("Open(null) with a nil logger: %v", err)
	}
	_ = Close(ctx)
}
