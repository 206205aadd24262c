// Package assets embeds OnAir's icon and other static files into the binary.
package assets

import _ "embed"

//go:embed icon.png
var icon []byte

// Icon is the application icon (512×512 PNG).
func Icon() []byte { return icon }
