package record

import (
	"github.com/asticode/go-astiav"
)

// Seconds is the media a recorded file holds as FFmpeg reads it (of a
// fragmented MP4 still being written: up to its last whole fragment); 0
// when it cannot be read.
func Seconds(path string) float64 {
	fc := astiav.AllocFormatContext()
	if fc == nil {
		return 0
	}
	if err := fc.OpenInput("file:"+path, nil, nil); err != nil {
		fc.Free() // avformat_open_input frees on failure; Free of the Go side only
		return 0
	}
	defer func() {
		fc.CloseInput()
		fc.Free()
	}()
	if d := fc.Duration(); d > 0 {
		return float64(d) / 1e6
	}
	if err := fc.FindStreamInfo(nil); err != nil {
		return 0
	}
	return max(0, float64(fc.Duration())/1e6)
}
