package engine

import (
	"fmt"
	"strings"
	"time"

	"onair/publish"
)

// Sample is one reading of a broadcast's cumulative figures (Sample). Two
// readings make rates: the bytes and frames between them over the time
// between them.
type Sample struct {
	// At is the time since the sources started: opening the encoders,
	// connecting and filling the sources' buffers are not stream time.
	At time.Duration
	// State is the destinations' state (publish.State's words): the first
	// destination's, or a worse one of another (anything not live shows
	// over live). With no destination: "recording" while recording (record
	// only), "idle" otherwise.
	State string
	// FramesIn counts the pictures that reached the encoder's queue.
	FramesIn int64
	// FramesSent, VideoBytes, AudioBytes and QueueSpan are the first
	// destination's (publish.Stats); with none, the recording's (QueueSpan
	// 0). They restart when that first output changes.
	FramesSent int64
	VideoBytes uint64
	AudioBytes uint64
	QueueSpan  time.Duration
	// Drops says where frames and blocks were dropped.
	Drops Drops
	// EncodeP50 is the median time to encode a picture.
	EncodeP50 time.Duration
	// Reconnects counts the reconnections over all destinations, removed
	// ones included.
	Reconnects int64
	// Outputs are every destination's own figures, in the order they were
	// added (Config.URLs first); each one's QueueSpan is how far behind it
	// is (its send queue and the kernel's unsent bytes, publish.Stats).
	Outputs []Output
	// Recording is the recording's figures; nil when not recording.
	Recording *RecordingStats
	// VideoBitrateTarget is the video encoder's bitrate target in bits per
	// second: Config.VideoBitrate unless dynamic bitrate lowered it.
	VideoBitrateTarget int
	// Repeated counts the frames the preprocessor repeated to keep a
	// constant frame rate (a source slower than Config.FPS).
	Repeated int64
	// HasAudio says the broadcast sends audio: AudioPeak and AudioRMS mean
	// something.
	HasAudio bool
	// AudioPeak and AudioRMS are the sent audio's levels over the last
	// 300 ms, in dBFS (-90 for silence).
	AudioPeak float64
	AudioRMS  float64
}

// Output is one destination's figures and its id (AddDestination; the
// Config.URLs are 1, 2, …).
type Output struct {
	ID int
	publish.Stats
}

// Drops says where a broadcast's drops happened, as OBS tells rendering
// lag from encoding lag from the network. Video frames and audio blocks
// count alike.
type Drops struct {
	// Source: capture slots the sources skipped (they fell behind, or
	// every buffer was held downstream), and audio frames that reached
	// the mixer too late to be mixed.
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

// Total is the number of drops, wherever they happened.
func (d Drops) Total() int64 { return d.Source + d.Preprocess + d.Encoder + d.Network }

// Text is "dropped N", followed by where when N > 0: "dropped 5 (source
// 1, network 4)".
func (d Drops) Text() string {
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
	return fmt.Sprintf("dropped %d (%s)", d.Total(), strings.Join(parts, ", "))
}

// Sample reads the broadcast's counters; any goroutine, also after Close
// (the final figures).
func (b *Broadcast) Sample() Sample {
	s := Sample{At: b.clock.Now() - time.Duration(b.started.Load()), FramesIn: b.framesIn.Load()}
	d := &s.Drops
	d.Source = b.vsrc.Skipped()
	if b.pipSrc != nil {
		d.Source += b.pipSrc.Skipped()
	}
	d.Encoder = b.vq.Dropped()
	if b.pre != nil {
		d.Preprocess = b.pre.Dropped()
		s.Repeated = b.pre.Repeated()
	}
	if b.asrc != nil {
		s.HasAudio = true
		s.AudioPeak, s.AudioRMS = b.level.Read()
		d.Source += b.asrc.Skipped() // the mixer's own, when mixing
	}
	for _, src := range b.mixIn {
		d.Source += src.Skipped()
	}
	if b.mixer != nil {
		d.Source += b.mixer.Stats().Dropped // too late (or early) for the mix
	}
	if b.aq != nil {
		d.Encoder += b.aq.Dropped()
	}
	s.EncodeP50 = b.vstage.Stats().EncodeP50
	s.VideoBitrateTarget = b.venc.Bitrate()
	dests, rec, goneDropped, goneReconnects := b.outs.snapshot()
	d.Network += goneDropped
	s.Reconnects += goneReconnects
	state := "idle"
	if rec != nil {
		st := rec.Stats()
		s.Recording = recordingStats(st)
		if len(dests) == 0 {
			s.FramesSent, s.VideoBytes, s.AudioBytes = st.Frames, st.VideoBytes, st.AudioBytes
			state = "recording"
		}
	}
	for i, dst := range dests {
		st := dst.pub.Stats()
		s.Outputs = append(s.Outputs, Output{ID: dst.id, Stats: st})
		if i == 0 {
			s.FramesSent, s.VideoBytes, s.AudioBytes, s.QueueSpan = st.FramesSent, st.VideoBytes, st.AudioBytes, st.QueueSpan
			state = st.State.String()
		} else if st.State != publish.StateLive && state == publish.StateLive.String() {
			state = st.State.String() // the worst state shows
		}
		d.Network += st.Dropped
		s.Reconnects += st.Reconnects
	}
	s.State = state
	return s
}
