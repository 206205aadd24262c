package hls

import (
	"bytes"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"
)

// Apple's Low-Latency HLS (RFC 8216bis, "Low-Latency HLS"): a media
// playlist of CMAF segments that start at keyframes, each made of parts
// of about the part target, listed as they are made (EXT-X-PART), the
// next one announced (EXT-X-PRELOAD-HINT), and reloads that block until
// a given part is there (_HLS_msn, _HLS_part).

// LLPart is one part of a segment in the playlist.
type LLPart struct {
	Duration    time.Duration
	Independent bool // it starts with a keyframe
}

// LLSegment is a segment in the playlist; the last one may be in progress
// (Complete false): its parts are listed, the segment itself is not yet.
type LLSegment struct {
	MSN      uint64
	Duration time.Duration
	Parts    []LLPart
	Complete bool
}

// LLPlaylist is what an LL-HLS media playlist says.
type LLPlaylist struct {
	PartTarget time.Duration
	// Target is the longest segment's duration (EXT-X-TARGETDURATION is
	// its whole seconds, rounded up).
	Target   time.Duration
	Segments []LLSegment
	Ended    bool
}

// LLPartName and LLSegmentName are the URIs the playlist gives parts and
// segments, relative to it.
func LLPartName(msn uint64, part int) string { return fmt.Sprintf("s%d.%d.m4s", msn, part) }
func LLSegmentName(msn uint64) string        { return fmt.Sprintf("s%d.m4s", msn) }

// LLInitName is the initialization section's URI (EXT-X-MAP).
const LLInitName = "init.mp4"

// ParseLLName reads a part's or a segment's name: part is -1 for a
// segment.
func ParseLLName(name string) (msn uint64, part int, ok bool) {
	rest, found := cutPrefixSuffix(name, "s", ".m4s")
	if !found {
		return 0, 0, false
	}
	a, b, hasPart := cut(rest, '.')
	m, err := strconv.ParseUint(a, 10, 63)
	if err != nil || (len(a) > 1 && a[0] == '0') {
		return 0, 0, false
	}
	if !hasPart {
		return m, -1, true
	}
	p, err := strconv.ParseUint(b, 10, 31)
	if err != nil || (len(b) > 1 && b[0] == '0') {
		return 0, 0, false
	}
	return m, int(p), true
}

func cutPrefixSuffix(s, prefix, suffix string) (string, bool) {
	if len(s) < len(prefix)+len(suffix)+1 || s[:len(prefix)] != prefix || s[len(s)-len(suffix):] != suffix {
		return "", false
	}
	return s[len(prefix) : len(s)-len(suffix)], true
}

func cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// LLRequest is a playlist request's blocking-reload query.
type LLRequest struct {
	Block bool   // _HLS_msn was given: wait for it
	MSN   uint64 // _HLS_msn
	Part  int    // _HLS_part; -1 when absent (the whole segment MSN)
}

// ParseLLRequest reads _HLS_msn and _HLS_part. _HLS_part without
// _HLS_msn, or values that are not numbers, are an error (400).
func ParseLLRequest(q url.Values) (LLRequest, error) {
	r := LLRequest{Part: -1}
	msn, part := q.Get("_HLS_msn"), q.Get("_HLS_part")
	if msn == "" {
		if part != "" {
			return r, fmt.Errorf("_HLS_part without _HLS_msn")
		}
		return r, nil
	}
	m, err := strconv.ParseUint(msn, 10, 63)
	if err != nil {
		return r, fmt.Errorf("_HLS_msn=%q is not a segment number", msn)
	}
	r.Block, r.MSN = true, m
	if part != "" {
		p, err := strconv.ParseUint(part, 10, 31)
		if err != nil {
			return r, fmt.Errorf("_HLS_part=%q is not a part number", part)
		}
		r.Part = int(p)
	}
	return r, nil
}

// Marshal writes the playlist. Parts are listed for the segments within
// three target durations of the end (the spec's rule), and the next part
// of the segment in progress is announced as a preload hint.
func (p *LLPlaylist) Marshal() []byte {
	var b bytes.Buffer
	target := int64(math.Ceil(p.Target.Seconds()))
	if target < 1 {
		target = 1
	}
	pt := p.PartTarget.Seconds()
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:9\n")
	fmt.Fprintf(&b, "#EXT-X-TARGETDURATION:%d\n", target)
	fmt.Fprintf(&b, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=%.3f\n", 3*pt)
	fmt.Fprintf(&b, "#EXT-X-PART-INF:PART-TARGET=%.3f\n", pt)
	if len(p.Segments) > 0 {
		fmt.Fprintf(&b, "#EXT-X-MEDIA-SEQUENCE:%d\n", p.Segments[0].MSN)
	}
	b.WriteString("#EXT-X-INDEPENDENT-SEGMENTS\n")
	fmt.Fprintf(&b, "#EXT-X-MAP:URI=%q\n", LLInitName)
	// Parts are listed from the first segment that ends within three
	// target durations of the end.
	var total time.Duration
	partsFrom := len(p.Segments)
	for i := len(p.Segments) - 1; i >= 0; i-- {
		partsFrom = i
		total += p.Segments[i].Duration
		if total > 3*time.Duration(target)*time.Second {
			break
		}
	}
	for i, s := range p.Segments {
		if i >= partsFrom {
			for j, part := range s.Parts {
				fmt.Fprintf(&b, "#EXT-X-PART:DURATION=%.5f,URI=%q", part.Duration.Seconds(), LLPartName(s.MSN, j))
				if part.Independent {
					b.WriteString(",INDEPENDENT=YES")
				}
				b.WriteByte('\n')
			}
		}
		if s.Complete {
			fmt.Fprintf(&b, "#EXTINF:%.5f,\n%s\n", s.Duration.Seconds(), LLSegmentName(s.MSN))
		}
	}
	if p.Ended {
		b.WriteString("#EXT-X-ENDLIST\n")
	} else if n := len(p.Segments); n > 0 {
		last := p.Segments[n-1]
		msn, part := last.MSN, len(last.Parts)
		if last.Complete {
			msn, part = last.MSN+1, 0
		}
		fmt.Fprintf(&b, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=%q\n", LLPartName(msn, part))
	}
	return b.Bytes()
}
