// Package audiodev is the one miniaudio (malgo) bootstrap of the module:
// which backends a machine may have, their names, and a context on one
// backend whose messages go to a logger. Package capture opens capture
// devices (microphones, monitors) on it, package player its audio output.
package audiodev

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"onair/internal/logx"

	"github.com/gen2brain/malgo"
)

// BackendNull is miniaudio's null backend (ma_backend_null): no sound, but
// a device on it consumes samples in real time. malgo v0.11.24's
// BackendNull constant is 13, which is ma_backend_custom: its enumeration
// lacks BackendCustom, so every name after BackendWebaudio is off by one.
const BackendNull = malgo.Backend(14)

// soundCardPath is where Linux lists its sound cards.
const soundCardPath = "/dev/snd"

// HasSoundCard reports whether the machine has a sound card (Linux's
// /dev/snd). Without one, ALSA and JACK can only fail, and libasound and
// libjack then print their errors straight to stderr: callers leave them
// out.
func HasSoundCard() bool {
	_, err := os.Stat(soundCardPath)
	return err == nil
}

// SystemBackends are the system backends to try for playback, in
// miniaudio's order. On Linux they are PulseAudio (which PipeWire also
// serves), then ALSA and JACK only when the machine has a sound card
// (HasSoundCard).
func SystemBackends() []malgo.Backend {
	if runtime.GOOS != "linux" {
		return []malgo.Backend{
			malgo.BackendWasapi, malgo.BackendDsound, malgo.BackendWinmm,
			malgo.BackendCoreaudio, malgo.BackendSndio, malgo.BackendAudio4,
			malgo.BackendOss, malgo.BackendPulseaudio, malgo.BackendAlsa,
			malgo.BackendJack, malgo.BackendAaudio, malgo.BackendOpensl,
			malgo.BackendWebaudio,
		}
	}
	if HasSoundCard() {
		return []malgo.Backend{malgo.BackendPulseaudio, malgo.BackendAlsa, malgo.BackendJack}
	}
	return []malgo.Backend{malgo.BackendPulseaudio}
}

// Name is the name of backend b as miniaudio reports it: "pulseaudio",
// "alsa", "null", …; "backend N" for one it does not know.
func Name(b malgo.Backend) string {
	switch b {
	case malgo.BackendWasapi:
		return "wasapi"
	case malgo.BackendDsound:
		return "dsound"
	case malgo.BackendWinmm:
		return "winmm"
	case malgo.BackendCoreaudio:
		return "coreaudio"
	case malgo.BackendSndio:
		return "sndio"
	case malgo.BackendAudio4:
		return "audio4"
	case malgo.BackendOss:
		return "oss"
	case malgo.BackendPulseaudio:
		return "pulseaudio"
	case malgo.BackendAlsa:
		return "alsa"
	case malgo.BackendJack:
		return "jack"
	case malgo.BackendAaudio:
		return "aaudio"
	case malgo.BackendOpensl:
		return "opensl"
	case malgo.BackendWebaudio:
		return "webaudio"
	case BackendNull:
		return "null"
	}
	return fmt.Sprintf("backend %d", b)
}

// Open initialises a miniaudio context on backend b alone. miniaudio's
// messages go to log at debug level as "miniaudio: …", except the
// PulseAudio backend's list of each libpulse symbol it loads; a nil log
// discards them. The error is malgo's, for the caller to wrap. Close the
// context with Close.
func Open(b malgo.Backend, log *slog.Logger) (*malgo.AllocatedContext, error) {
	log = logx.OrDiscard(log)
	return malgo.InitContext([]malgo.Backend{b}, malgo.ContextConfig{}, func(msg string) {
		msg = strings.TrimSpace(msg)
		if !strings.HasPrefix(msg, "Loading symbol") {
			log.Debug("miniaudio: " + msg)
		}
	})
}

// Close uninitialises and frees a context from Open, once its devices are
// uninitialised; it returns Uninit's error. A nil ctx is a no-op.
func Close(ctx *malgo.AllocatedContext) error {
	if ctx == nil {
		return nil
	}
	err := ctx.Uninit()
	ctx.Free()
	return err
}
