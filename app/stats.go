package app

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"onair/app/engine"
)

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
	Drops       engine.Drops `json:"drops"`
	EncodeMsP50 float64      `json:"encode_ms_p50"`
	QueueMs     float64      `json:"queue_ms"`
	Reconnects  int64        `json:"reconnects"`
	// Repeated counts frames repeated to keep a constant frame rate (a
	// camera or screen slower than --fps); cumulative.
	Repeated int64 `json:"repeated"`
	// AudioPeakDB and AudioRMSDB are the sent audio's levels over the
	// last 300 ms, in dBFS (absent without audio).
	AudioPeakDB *float64     `json:"audio_peak_db,omitempty"`
	AudioRMSDB  *float64     `json:"audio_rms_db,omitempty"`
	Outputs     []outputLine `json:"outputs,omitempty"`
	// RTMFP: the first RTMFP destination's session figures.
	RTMFP *rtmfpLine `json:"rtmfp,omitempty"`
	// Recording is there only while recording.
	Recording *recordingLine `json:"recording,omitempty"`
	Final     bool           `json:"final,omitempty"`

	// VideoTargetKbps is the video encoder's bitrate target (dynamic
	// bitrate lowers it below --vbitrate).
	VideoTargetKbps float64 `json:"vbitrate_target_kbps"`
}

// recordingLine is the `recording` object of a `--stats-json` line.
type recordingLine struct {
	Path    string  `json:"path"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	// Error says why the recording stopped early (a full disk).
	Error string `json:"error,omitempty"`
}

// outputLine is one destination in a `--stats-json` line's `outputs`.
type outputLine struct {
	URL        string  `json:"url"`
	State      string  `json:"state"`
	VideoKbps  float64 `json:"video_kbps"`
	Dropped    int64   `json:"dropped"` // this destination's network drops (cumulative)
	Reconnects int64   `json:"reconnects"`
	// ID is the destination's engine id (1, 2, … in --to order).
	ID int `json:"id"`
	// QueueMs is the media waiting to be sent to it (publish.Stats.QueueSpan).
	QueueMs float64 `json:"queue_ms"`
	// Health is its light (health.go): ok, adapting, bad or off.
	Health string `json:"health"`
	health health // Health's value, for the window
	// RTMFP: its session's figures, for an rtmfp:// destination.
	RTMFP *rtmfpLine `json:"rtmfp,omitempty"`
}

// rtmfpLine is an RTMFP destination's session: round trip, and the
// cumulative fragments lost and sent again and messages abandoned at
// their deadline.
type rtmfpLine struct {
	RTTMs       float64 `json:"rtt_ms"`
	Lost        uint64  `json:"lost"`
	Retransmits uint64  `json:"retransmits"`
	Abandoned   uint64  `json:"abandoned"`
}

func rtmfpLineOf(o engine.Output) *rtmfpLine {
	if o.RTMFP == nil {
		return nil
	}
	return &rtmfpLine{RTTMs: round1(float64(o.RTMFP.RTT) / float64(time.Millisecond)), Lost: o.RTMFP.Lost,
		Retransmits: o.RTMFP.Retransmits, Abandoned: o.RTMFP.Abandoned}
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// since is cur-prev for counters that restart when the output they come
// from changes (the first destination ended): 0 rather than negative.
func since[T int64 | uint64](cur, prev T) T {
	if cur < prev {
		return 0
	}
	return cur - prev
}

// rates turns two samples into per-second figures; prev may be the zero
// sample (start) for whole-run figures. hw remembers the destinations'
// drops for their health between lines; nil: drops since prev.
func rates(prev, cur engine.Sample, final bool, hw *healthWatch) liveLine {
	dt := (cur.At - prev.At).Seconds()
	if dt <= 0 {
		dt = 1
	}
	l := liveLine{
		State:       cur.State,
		FPSIn:       round1(float64(cur.FramesIn-prev.FramesIn) / dt),
		FPSOut:      round1(float64(since(cur.FramesSent, prev.FramesSent)) / dt),
		VideoKbps:   round1(float64(since(cur.VideoBytes, prev.VideoBytes)) * 8 / 1000 / dt),
		AudioKbps:   round1(float64(since(cur.AudioBytes, prev.AudioBytes)) * 8 / 1000 / dt),
		FramesSent:  cur.FramesSent,
		Dropped:     cur.Drops.Total(),
		Drops:       cur.Drops,
		EncodeMsP50: round1(float64(cur.EncodeP50) / float64(time.Millisecond)),
		QueueMs:     round1(float64(cur.QueueSpan) / float64(time.Millisecond)),
		Reconnects:  cur.Reconnects,
		Repeated:    cur.Repeated,
		Final:       final,
	}
	if cur.HasAudio {
		p, r := round1(cur.AudioPeak), round1(cur.AudioRMS)
		l.AudioPeakDB, l.AudioRMSDB = &p, &r
	}
	l.T = math.Round(cur.At.Seconds()*1000) / 1000
	l.VideoTargetKbps = round1(float64(cur.VideoBitrateTarget) / 1000)
	// Every line notes the drops (hw), listed with several destinations.
	outs := outputRates(prev, cur, hw)
	if len(outs) > 1 {
		l.Outputs = outs
	}
	for _, o := range outs {
		if o.RTMFP != nil {
			l.RTMFP = o.RTMFP
			break
		}
	}
	if r := cur.Recording; r != nil {
		l.Recording = &recordingLine{Path: r.Path, Bytes: r.Bytes, Seconds: math.Round(r.Duration.Seconds()*1000) / 1000}
		if r.Err != nil {
			l.Recording.Error = r.Err.Error()
		}
	}
	return l
}

// outputRates is every destination's line: its figures between the two
// samples and its health (hw as rates).
func outputRates(prev, cur engine.Sample, hw *healthWatch) []outputLine {
	dt := (cur.At - prev.At).Seconds()
	if dt <= 0 {
		dt = 1
	}
	if hw == nil {
		hw = &healthWatch{}
		hw.observe(prev.Outputs, prev.At)
	}
	hw.observe(cur.Outputs, cur.At)
	// The video encoder's bitrate target (dynamic bitrate lowers it).
	target := cur.VideoBitrateTarget
	var out []outputLine
	for _, o := range cur.Outputs {
		var pv uint64
		for _, po := range prev.Outputs {
			if po.ID == o.ID {
				pv = po.VideoBytes
			}
		}
		out = append(out, outputLine{
			URL: o.URL, State: o.State.String(), Dropped: o.Dropped, Reconnects: o.Reconnects,
			VideoKbps: round1(float64(since(o.VideoBytes, pv)) * 8 / 1000 / dt),
			ID:        o.ID, QueueMs: round1(float64(o.QueueSpan) / float64(time.Millisecond)),
			RTMFP: rtmfpLineOf(o),
		})
		l := &out[len(out)-1]
		l.health = hw.health(o, cur.At, target)
		l.Health = l.health.String()
	}
	return out
}

// outputsText is the destinations' part of the human line when there are
// several: "[1 live ok 2480 kb/s q 40ms] [2 reconnecting bad 0 kb/s q
// 0ms r3]", with r (reconnects) and net (network drops) when not 0.
func outputsText(outs []outputLine) string {
	var b strings.Builder
	for _, o := range outs {
		fmt.Fprintf(&b, "  [%d %s %s %.0f kb/s q %.0fms", o.ID, o.State, o.Health, o.VideoKbps, o.QueueMs)
		if o.Reconnects > 0 {
			fmt.Fprintf(&b, " r%d", o.Reconnects)
		}
		if o.Dropped > 0 {
			fmt.Fprintf(&b, " net %d", o.Dropped)
		}
		b.WriteString("]")
	}
	return b.String()
}

// fmtBytes is a file size for people: 512 B, 3.4 MB, 1.20 GB.
func fmtBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000_000:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	case n < 1000_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
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
	if r := l.RTMFP; r != nil && len(l.Outputs) == 0 {
		extra += fmt.Sprintf("  rtmfp rtt %.0f ms lost %d resent %d abandoned %d", r.RTTMs, r.Lost, r.Retransmits, r.Abandoned)
	}
	extra += outputsText(l.Outputs)
	if r := l.Recording; r != nil {
		extra += fmt.Sprintf("  rec %s %s", fmtUptime(time.Duration(r.Seconds*float64(time.Second))), fmtBytes(r.Bytes))
	}
	fmt.Fprintf(w, "%6.1fs %-12s in %5.1f fps  out %5.1f fps  video %7.1f kb/s (target %.0f)  audio %5.1f kb/s  %s  encode %.1f ms  queue %.0f ms  reconnects %d%s\n",
		l.T, l.State, l.FPSIn, l.FPSOut, l.VideoKbps, l.VideoTargetKbps, l.AudioKbps, l.Drops.Text(), l.EncodeMsP50, l.QueueMs, l.Reconnects, extra)
}
