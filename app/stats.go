package app

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"onair/publish"
)

// liveSample is one reading of a broadcast's cumulative counters.
type liveSample struct {
	at         time.Duration // since start
	state      string
	framesIn   int64
	framesSent int64
	videoBytes uint64
	audioBytes uint64
	drops      dropCounts
	encodeP50  time.Duration
	queueSpan  time.Duration
	reconnects int64
	outputs    []publish.Stats
	repeated   int64   // frames the preprocessor repeated to keep the rate
	hasAudio   bool    // audioPeak and audioRMS mean something
	audioPeak  float64 // dBFS, last 300 ms
	audioRMS   float64
}

// dropCounts says where a broadcast's drops happened, as OBS tells
// rendering lag from encoding lag from the network. Video frames and
// audio blocks count alike.
type dropCounts struct {
	// Source: capture slots the sources skipped (they fell behind, or
	// every buffer was held downstream).
	Source int64 `json:"source"`
	// Preprocess: frames the constant-rate stage left out (a feed faster
	// than the output rate, or frames replaced before it could take them).
	Preprocess int64 `json:"preprocess"`
	// Encoder: frames and blocks the encoders' queues dropped (encoding
	// could not keep up).
	Encoder int64 `json:"encoder"`
	// Network: packets the destinations' send queues dropped (the
	// connection could not keep up), over all destinations.
	Network int64 `json:"network"`
}

// total is the number of drops, wherever they happened.
func (d dropCounts) total() int64 { return d.Source + d.Preprocess + d.Encoder + d.Network }

// text is "dropped N", followed by where when N > 0: "dropped 5 (source
// 1, network 4)".
func (d dropCounts) text() string {
	var parts []string
	for _, p := range []struct {
		name string
		n    int64
	}{{"source", d.Source}, {"preprocess", d.Preprocess}, {"encoder", d.Encoder}, {"network", d.Network}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p.name, p.n))
		}
	}
	if len(parts) == 0 {
		return "dropped 0"
	}
	return fmt.Sprintf("dropped %d (%s)", d.total(), strings.Join(parts, ", "))
}

// liveLine is a `--stats-json` line for `onair live` (see
// shared/specs/stats-json.md).
type liveLine struct {
	T          float64 `json:"t"`
	State      string  `json:"state"`
	FPSIn      float64 `json:"fps_in"`
	FPSOut     float64 `json:"fps_out"`
	VideoKbps  float64 `json:"video_kbps"`
	AudioKbps  float64 `json:"audio_kbps"`
	FramesSent int64   `json:"frames_sent"`
	Dropped    int64   `json:"dropped"`
	// Drops breaks Dropped down by where it happened; cumulative.
	Drops       dropCounts `json:"drops"`
	EncodeMsP50 float64    `json:"encode_ms_p50"`
	QueueMs     float64    `json:"queue_ms"`
	Reconnects  int64      `json:"reconnects"`
	// Repeated counts frames repeated to keep a constant frame rate (a
	// camera or screen slower than --fps); cumulative.
	Repeated int64 `json:"repeated"`
	// AudioPeakDB and AudioRMSDB are the sent audio's levels over the
	// last 300 ms, in dBFS (absent without audio).
	AudioPeakDB *float64     `json:"audio_peak_db,omitempty"`
	AudioRMSDB  *float64     `json:"audio_rms_db,omitempty"`
	Outputs     []outputLine `json:"outputs,omitempty"`
	Final       bool         `json:"final,omitempty"`
}

type outputLine struct {
	URL        string  `json:"url"`
	State      string  `json:"state"`
	VideoKbps  float64 `json:"video_kbps"`
	Dropped    int64   `json:"dropped"`
	Reconnects int64   `json:"reconnects"`
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// rates turns two samples into per-second figures; prev may be the zero
// sample (start) for whole-run figures.
func rates(prev, cur liveSample, final bool) liveLine {
	dt := (cur.at - prev.at).Seconds()
	if dt <= 0 {
		dt = 1
	}
	l := liveLine{

		State:       cur.state,
		FPSIn:       round1(float64(cur.framesIn-prev.framesIn) / dt),
		FPSOut:      round1(float64(cur.framesSent-prev.framesSent) / dt),
		VideoKbps:   round1(float64(cur.videoBytes-prev.videoBytes) * 8 / 1000 / dt),
		AudioKbps:   round1(float64(cur.audioBytes-prev.audioBytes) * 8 / 1000 / dt),
		FramesSent:  cur.framesSent,
		Dropped:     cur.drops.total(),
		Drops:       cur.drops,
		EncodeMsP50: round1(float64(cur.encodeP50) / float64(time.Millisecond)),
		QueueMs:     round1(float64(cur.queueSpan) / float64(time.Millisecond)),
		Reconnects:  cur.reconnects,
		Repeated:    cur.repeated,
		Final:       final,
	}
	if cur.hasAudio {
		p, r := round1(cur.audioPeak), round1(cur.audioRMS)
		l.AudioPeakDB, l.AudioRMSDB = &p, &r
	}
	l.T = math.Round(cur.at.Seconds()*1000) / 1000
	if len(cur.outputs) > 1 {
		for i, o := range cur.outputs {
			var pv uint64
			if i < len(prev.outputs) {
				pv = prev.outputs[i].VideoBytes
			}
			l.Outputs = append(l.Outputs, outputLine{
				URL: o.URL, State: o.State.String(), Dropped: o.Dropped, Reconnects: o.Reconnects,
				VideoKbps: round1(float64(o.VideoBytes-pv) * 8 / 1000 / dt),
			})
		}
	}
	return l
}

func writeJSONLine(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "%s\n", b)
}

func writeHumanLine(w io.Writer, l liveLine) {
	extra := ""
	if l.Repeated > 0 {
		extra += fmt.Sprintf("  repeated %d", l.Repeated)
	}
	if l.AudioPeakDB != nil {
		extra += fmt.Sprintf("  level %.0f dB", *l.AudioPeakDB)
	}
	fmt.Fprintf(w, "%6.1fs %-12s in %5.1f fps  out %5.1f fps  video %7.1f kb/s  audio %5.1f kb/s  %s  encode %.1f ms  queue %.0f ms  reconnects %d%s\n",
		l.T, l.State, l.FPSIn, l.FPSOut, l.VideoKbps, l.AudioKbps, l.Drops.text(), l.EncodeMsP50, l.QueueMs, l.Reconnects, extra)
}
