//go:build pins

// Package pins keeps the project's pinned libraries in go.mod before any
// code uses them (fyne for the window, malgo for audio, mediadevices for
// capture), so that `go mod tidy` does not drop them or their versions.
// It is never built: the build tag "pins" is never set.
package pins

import (
	_ "fyne.io/fyne/v2"
	_ "github.com/gen2brain/malgo"
	_ "github.com/pion/mediadevices"
)
