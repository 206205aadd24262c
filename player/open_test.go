package player

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/asticode/go-astiav"
)

// TestClassifyOpenError: FFmpeg's AVERROR(errno) codes map to the
// package's errors, and the message shows the masked URL only.
func TestClassifyOpenError(t *testing.T) {
	s := source{url: "rtmp://h/live/KEY123", kind: kindRTMP, shown: "rtmp://h/live/****"}
	for _, c := range []struct {
		name string
		err  error
		want error
		says string
	}{
		{"refused", astiav.Error(-int(syscall.ECONNREFUSED)), ErrUnreachable, "connection refused"},
		{"timed out", astiav.Error(-int(syscall.ETIMEDOUT)), ErrUnreachable, "timed out"},
		{"host unreachable", astiav.Error(-int(syscall.EHOSTUNREACH)), ErrUnreachable, "host unreachable"},
		{"net unreachable", astiav.Error(-int(syscall.ENETUNREACH)), ErrUnreachable, "host unreachable"},
		{"addr not available", astiav.Error(-int(syscall.EADDRNOTAVAIL)), ErrUnreachable, "host unreachable"},
		{"no file", astiav.Error(-int(syscall.ENOENT)), ErrNotFound, "no such file"},
		{"wrapped refused", fmt.Errorf("open: %w", astiav.Error(-int(syscall.ECONNREFUSED))), ErrUnreachable, "connection refused"},
		{"other", errors.New("boom"), ErrCorrupt, "boom"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := classifyOpenError(s, c.err)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("classifyOpenError(%v) = %v, want %v saying %q", c.err, err, c.want, c.says)
			}
			if strings.Contains(err.Error(), "KEY123") {
				t.Errorf("classifyOpenError(%v) = %v shows the key", c.err, err)
			}
		})
	}
}
