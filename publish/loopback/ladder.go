package loopback

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// A transcoded ladder (Config.Transcode, "480p,360p"): each live stream
// is decoded once and encoded again at each rendition's height, published
// as NAME_480p beside NAME (see transcode.go). This file holds the pure
// parts: the rendition list, sizes and bitrates, and the watchdog that
// tells when the machine cannot keep up.

// ErrBadLadder is returned by ParseLadder for a rendition list it cannot
// read.
var ErrBadLadder = errors.New("bad rendition list")

// Rendition is one rung of the ladder.
type Rendition struct {
	// Name is what the rendition's stream adds to its source's name after
	// an underscore: "480p" makes NAME_480p.
	Name string
	// Height of the picture; the width keeps the source's aspect.
	Height int
	// Bitrate in bits per second; 0: scaled from the source's (see
	// renditionBitrate).
	Bitrate int
}

// Rendition heights and bitrates allowed.
const (
	minRenditionHeight  = 64
	maxRenditionHeight  = 4320
	minRenditionBitrate = 100_000
	maxRenditionBitrate = 50_000_000
	maxRenditions       = 8
)

// ParseLadder reads a comma-separated rendition list: HEIGHTp with an
// optional bitrate, "480p", "360p@600k", "1080p@4.5M". Heights must be even,
// from 64 to 4320, and different; at most 8 renditions. An empty list is
// no ladder (nil). Errors wrap ErrBadLadder and name the entry.
func ParseLadder(s string) ([]Rendition, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []Rendition
	seen := map[int]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		r, err := parseRendition(item)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrBadLadder, item, err)
		}
		if seen[r.Height] {
			return nil, fmt.Errorf("%w: %dp is listed twice", ErrBadLadder, r.Height)
		}
		seen[r.Height] = true
		out = append(out, r)
	}
	if len(out) > maxRenditions {
		return nil, fmt.Errorf("%w: %d renditions, at most %d", ErrBadLadder, len(out), maxRenditions)
	}
	return out, nil
}

func parseRendition(item string) (Rendition, error) {
	size, rate, hasRate := strings.Cut(item, "@")
	h, ok := strings.CutSuffix(strings.ToLower(size), "p")
	if !ok {
		return Rendition{}, errors.New("want a height such as 480p, optionally with a bitrate: 480p@1000k")
	}
	height, err := strconv.Atoi(h)
	if err != nil || h != strconv.Itoa(height) {
		return Rendition{}, errors.New("the height is not a whole number")
	}
	if height < minRenditionHeight || height > maxRenditionHeight || height%2 != 0 {
		return Rendition{}, fmt.Errorf("height %d: want an even height from %d to %d", height, minRenditionHeight, maxRenditionHeight)
	}
	r := Rendition{Name: strconv.Itoa(height) + "p", Height: height}
	if hasRate {
		bps, err := parseBitrate(rate)
		if err != nil {
			return Rendition{}, err
		}
		r.Bitrate = bps
	}
	return r, nil
}

// parseBitrate reads 800k, 1.5M, 600000 (bits per second).
func parseBitrate(s string) (int, error) {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k") || strings.HasSuffix(s, "K"):
		mult, s = 1e3, s[:len(s)-1]
	case strings.HasSuffix(s, "m") || strings.HasSuffix(s, "M"):
		mult, s = 1e6, s[:len(s)-1]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("bitrate %q: want bits per second, such as 800k or 1.5M", s)
	}
	bps := v * mult
	if bps < minRenditionBitrate || bps > maxRenditionBitrate {
		return 0, fmt.Errorf("bitrate %g b/s: want %dk to %dM", bps, minRenditionBitrate/1000, maxRenditionBitrate/1_000_000)
	}
	return int(bps), nil
}

// String is the list as ParseLadder reads it.
func (r Rendition) String() string {
	if r.Bitrate == 0 {
		return r.Name
	}
	return fmt.Sprintf("%s@%dk", r.Name, r.Bitrate/1000)
}

// renditionName is the stream name of source's rendition r.
func renditionName(source string, r Rendition) string { return source + "_" + r.Name }

// renditionSize is the picture size of a rendition of height h from a
// source of sw×sh: the source's aspect, both even. ok false when the
// rendition would not be smaller than the source (it is then left out).
func renditionSize(sw, sh, h int) (w, hh int, ok bool) {
	if sw <= 0 || sh <= 0 || h >= sh {
		return 0, 0, false
	}
	w = int(math.Round(float64(sw)*float64(h)/float64(sh)/2)) * 2
	return max(w, 2), h, true
}

// defaultSourceBitrate is assumed for a 720p source whose metadata gives
// no bitrate; other sizes scale from it like renditions do.
const defaultSourceBitrate = 2_500_000

// renditionBitrate is the bitrate of a w×h rendition of a sw×sh source at
// srcBps (0: unknown, then defaultSourceBitrate for 1280×720 scaled to the
// source): the source's scaled by the pixel ratio to the power 0.75 (a
// smaller picture needs more bits per pixel), at least 150 kb/s and never
// above the source's.
func renditionBitrate(sw, sh, srcBps, w, h int) int {
	if srcBps <= 0 {
		srcBps = int(defaultSourceBitrate * math.Pow(float64(sw*sh)/(1280*720), 0.75))
	}
	bps := int(float64(srcBps) * math.Pow(float64(w*h)/float64(sw*sh), 0.75))
	bps = max(bps, 150_000)
	return min(bps, max(srcBps, minRenditionBitrate))
}

// lagWatch tells when a transcoder falls behind real time: it keeps the
// smallest offset seen between the wall clock and the media time of the
// pictures it finished (when it was keeping up) and reports the lag beyond
// it. Not safe for concurrent use.
//
// The base creeps up by lagCreep of the time passed, so that a publisher
// whose clock runs a little slower than this machine's is not taken for a
// slow transcoder.
type lagWatch struct {
	base time.Duration // wall − media offset when in time
	last time.Duration // wall time of the last observation
	have bool
}

// lagCreep: up to 1 ms per 500 ms of drift between the publisher's clock
// and this machine's is forgiven.
const lagCreep = 500

// observe records that the picture at media time pts was done at wall
// time now (any monotonic clock) and returns how far behind it is.
func (l *lagWatch) observe(now, pts time.Duration) time.Duration {
	off := now - pts
	if l.have && now > l.last {
		l.base = min(l.base+(now-l.last)/lagCreep, off)
	}
	l.last = now
	if !l.have || off < l.base {
		l.base, l.have = off, true
	}
	return off - l.base
}

// forgive takes the lag at now/pts as the new normal: after a rendition
// is dropped the backlog drains while the watch measures from here.
func (l *lagWatch) forgive(now, pts time.Duration) {
	l.base, l.last, l.have = now-pts, now, true
}

// reset forgets the timeline (a new publisher starts it again).
func (l *lagWatch) reset() { *l = lagWatch{} }

// maxLag is how far behind real time a transcoder may fall before it
// drops a rendition.
const maxLag = time.Second
