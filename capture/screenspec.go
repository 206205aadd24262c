package capture

import (
	"fmt"
	"image"
	"strconv"
	"strings"
)

// maxXCoord is the largest X11 coordinate (16-bit signed).
const maxXCoord = 32767

// ParseScreenSpec reads what follows "screen" in a source spec: "" (the
// whole of screen 0), ":N" (the whole of screen N), "+X,Y,W,H" (the W×H
// pixels of screen 0 whose top-left corner is at X,Y) or ":N+X,Y,W,H". It
// returns a ScreenConfig with Screen and Region set; errors wrap
// ErrInvalidConfig and say what is wrong. Whether the region fits the
// screen is for NewScreen to check.
func ParseScreenSpec(s string) (ScreenConfig, error) {
	var cfg ScreenConfig
	bad := func(format string, args ...any) (ScreenConfig, error) {
		return ScreenConfig{}, fmt.Errorf("%w: screen%s: %s", ErrInvalidConfig, s, fmt.Sprintf(format, args...))
	}
	rest := s
	if strings.HasPrefix(rest, ":") {
		num, _, _ := strings.Cut(rest[1:], "+")
		n, ok := parseCoord(num)
		if !ok {
			return bad("the screen number after the colon must be a whole number from 0 (as in screen:1), not %q", num)
		}
		cfg.Screen = n
		rest = rest[1+len(num):]
	}
	if rest == "" {
		return cfg, nil
	}
	if !strings.HasPrefix(rest, "+") {
		return bad("want :N for a screen number and +X,Y,W,H for a region (as in screen:0+0,0,1280,720), not %q", rest)
	}
	f := strings.Split(rest[1:], ",")
	if len(f) != 4 {
		return bad("a region is four numbers, +X,Y,W,H (left, top, width, height), not %d", len(f))
	}
	var v [4]int
	for i, name := range []string{"X", "Y", "width", "height"} {
		n, ok := parseCoord(f[i])
		if !ok {
			return bad("the region's %s must be a whole number from 0 to %d, not %q", name, maxXCoord, f[i])
		}
		v[i] = n
	}
	if v[2] == 0 || v[3] == 0 || v[2]%2 != 0 || v[3]%2 != 0 {
		return bad("the region's width and height must be even and more than 0, not %dx%d", v[2], v[3])
	}
	if v[0]+v[2] > maxXCoord+1 || v[1]+v[3] > maxXCoord+1 {
		return bad("the region %dx%d at %d,%d goes past X11's largest coordinate, %d", v[2], v[3], v[0], v[1], maxXCoord)
	}
	cfg.Region = image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3])
	return cfg, nil
}

// parseCoord reads a decimal number 0..maxXCoord written with digits only.
func parseCoord(s string) (int, bool) {
	if s == "" || len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n <= maxXCoord
}
