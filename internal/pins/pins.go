//go:build pins

// Package pins names, in one place, the libraries the project pins in
// go.mod (fyne for the window, malgo for audio, mediadevices for capture,
// go-astiav for FFmpeg, go-rtmp). Every one of them is used today — go-rtmp
// only in tests, as a third-party RTMP peer (publish/rtmp/handshake
// replaced its handshake: it had no digest form and its S2 did not echo
// C1); this file only keeps the list readable and
// keeps `go mod tidy` from dropping a pin while a package that uses it is
// being rewritten. It is never built: the build tag "pins" is never set.
package pins

import (
	_ "fyne.io/fyne/v2"
	_ "github.com/asticode/go-astiav"
	_ "github.com/gen2brain/malgo"
	_ "github.com/pion/mediadevices"
	_ "github.com/yutopp/go-rtmp"
)
