package player

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/urlmask"
	"onair/publish/rtmp"
)

// source is what a URL names: its kind decides the demuxer options.
type source struct {
	url  string // what FFmpeg opens
	kind sourceKind
	// shown is the URL for messages: credentials and query (tokens,
	// stream keys) removed.
	shown string
	// vod: an RTMP stream found, once open, to be a recording (video on
	// demand): played as a file is, with seek and pause on the server.
	vod bool
}

type sourceKind int

const (
	kindFile sourceKind = iota
	kindRTMP
	kindHLS
	kindHTTP // HTTP-FLV or another progressive HTTP stream
	kindRTSP
	kindSRT
)

// live reports whether the source is a live network stream (no seeking,
// drop rather than wait).
func (s source) live() bool { return s.kind != kindFile && !s.vod }

// parseSource checks a URL or path and says what kind of source it is.
func parseSource(raw string) (source, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return source{}, fmt.Errorf("no URL given: %w", ErrUnsupportedURL)
	}
	i := strings.Index(raw, "://")
	if i < 0 {
		// A local path.
		if _, err := os.Stat(raw); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return source{}, fmt.Errorf("%s: no such file: %w", raw, ErrNotFound)
			}
			return source{}, fmt.Errorf("%s: %w: %w", raw, ErrNotFound, err)
		}
		return source{url: "file:" + raw, kind: kindFile, shown: raw}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return source{}, fmt.Errorf("malformed URL: %w", ErrUnsupportedURL)
	}
	s := source{url: raw, shown: urlmask.Mask(raw)}
	switch strings.ToLower(u.Scheme) {
	case "file":
		p := u.Path
		if _, err := os.Stat(p); err != nil {
			return source{}, fmt.Errorf("%s: no such file: %w", p, ErrNotFound)
		}
		return source{url: "file:" + p, kind: kindFile, shown: p}, nil
	case "rtmp", "rtmps", "rtmpt", "rtmpts", "rtmpe", "rtmpte", "rtmfp":
		s.kind = kindRTMP
	case "http", "https":
		if strings.HasSuffix(strings.ToLower(u.Path), ".m3u8") {
			s.kind = kindHLS
		} else {
			s.kind = kindHTTP
		}
	case "rtsp", "rtsps":
		s.kind = kindRTSP
	case "srt":
		s.kind = kindSRT
	default:
		return source{}, fmt.Errorf("scheme %q: want rtmp, rtmps, rtmpt(s), rtmpe, rtmpte, rtmfp, http(s) (HLS .m3u8 or HTTP-FLV), rtsp, srt or a file: %w", u.Scheme, ErrUnsupportedURL)
	}
	if u.Host == "" {
		return source{}, fmt.Errorf("%s: no host in the URL: %w", s.shown, ErrUnsupportedURL)
	}
	return s, nil
}

// demuxOptions are FFmpeg's options for opening s.
func demuxOptions(s source, lat Latency, stall time.Duration) map[string]string {
	o := map[string]string{}
	if s.live() {
		// Any read that waits longer than this fails (microseconds).
		o["rw_timeout"] = strconv.FormatInt(stall.Microseconds(), 10)
	}
	if lat == LatencyLow && s.live() {
		o["probesize"] = "8192"
		o["analyzeduration"] = "0"
		o["fpsprobesize"] = "0"
	} else if s.live() {
		o["probesize"] = "500000"
		o["analyzeduration"] = "1000000"
	}
	switch s.kind {
	case kindRTMP:
		o["rtmp_live"] = "live"
		if lat == LatencyLow {
			o["rtmp_buffer"] = "100"
		}
	case kindHLS:
		if lat == LatencyLow {
			o["live_start_index"] = "-1"
		}
		o["http_persistent"] = "1"
	case kindRTSP:
		o["rtsp_transport"] = "tcp"
		o["timeout"] = strconv.FormatInt(stall.Microseconds(), 10)
	case kindSRT:
		if lat == LatencyLow {
			o["latency"] = "120000" // µs
		}
	}
	return o
}

// input is an open demuxer and what it reads from.
type input struct {
	fc    *astiav.FormatContext
	intr  astiav.IOInterrupter
	tags  tagSource   // what feeds our demuxer: the RTMP client, an HTTP-FLV response
	demux *flvDemuxer // our FLV demuxer, in place of FFmpeg's
}

// tagSource gives flvDemuxer FLV tags.
type tagSource interface {
	// nextTag blocks for the next tag; its errors are FFmpeg's codes
	// (ErrEof at the end, ErrEtimedout on a stall, ErrExit when aborted).
	nextTag() (flvTag, error)
	// Abort makes a blocked nextTag return.
	Abort()
	Close()
}

// readFrame reads the next packet from whichever demuxer there is.
func (in *input) readFrame(pkt *astiav.Packet) error {
	if in.demux != nil {
		return in.demux.readFrame(pkt)
	}
	return in.fc.ReadFrame(pkt)
}

// vod is the source of a recorded RTMP stream, nil for anything else.
func (in *input) vod() *rtmpSource {
	if rs, ok := in.tags.(*rtmpSource); ok && rs.vod {
		return rs
	}
	return nil
}

// interrupt makes a read blocked on the network return ErrEagain (a seek
// waits).
func (in *input) interrupt() {
	if rs, ok := in.tags.(*rtmpSource); ok {
		rs.interrupt()
	}
}

// abort makes blocked reads return.
func (in *input) abort() {
	in.intr.Interrupt()
	if in.tags != nil {
		in.tags.Abort()
	}
}

// close frees the demuxer and its source.
func (in *input) close() {
	if in.demux != nil {
		in.demux.close() // frees fc, which was never opened
		in.demux, in.fc = nil, nil
	}
	if in.fc != nil {
		in.fc.CloseInput()
		in.fc.Free()
		in.fc = nil
	}
	if in.tags != nil {
		in.tags.Close()
		in.tags = nil
	}
}

// openOptions are the Config fields that opening needs.
type openOptions struct {
	latency    Latency
	timeout    time.Duration
	stall      time.Duration
	insecure   bool
	ffmpegRTMP bool
	start      time.Duration // a recording's start
	log        *slog.Logger
}

// usesOwnRTMP reports whether s is pulled with OnAir's RTMP client.
func usesOwnRTMP(s source, o openOptions) bool {
	if s.kind != kindRTMP {
		return false
	}
	scheme := s.url[:strings.Index(s.url, "://")]
	if strings.EqualFold(scheme, "rtmfp") {
		return true // FFmpeg has no RTMFP client
	}
	sc, ok := rtmp.LookupScheme(scheme)
	// FFmpeg as Debian builds it has no RTMPE client: OnAir's it is.
	return ok && (!o.ffmpegRTMP || sc.Encrypt)
}

// openInput opens and probes s within o.timeout; ctx ending aborts it.
func openInput(ctx context.Context, s source, o openOptions) (*input, error) {
	in := &input{fc: astiav.AllocFormatContext()}
	if in.fc == nil {
		return nil, errors.New("player: allocating the demuxer failed")
	}
	in.intr = in.fc.SetInterruptCallback()
	// No AVFMT_FLAG_NOBUFFER: it discards the packets read while probing,
	// and with them the keyframe a server's GOP cache sends first.
	d := astiav.NewDictionary()
	defer d.Free()
	own := usesOwnRTMP(s, o)
	for k, v := range demuxOptions(s, o.latency, o.stall) {
		if own && (strings.HasPrefix(k, "rtmp_") || k == "rw_timeout") {
			continue
		}
		_ = d.Set(k, v, 0)
	}
	octx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	// A watchdog interrupts FFmpeg's blocking calls on timeout or cancel.
	stop := make(chan struct{})
	watchDone := make(chan struct{})
	var timedOut bool
	go func() {
		defer close(watchDone)
		select {
		case <-stop:
		case <-octx.Done():
			timedOut = ctx.Err() == nil
			in.abort()
		}
	}()
	err := func() error {
		if s.kind == kindHTTP {
			// HTTP-FLV through our demuxer (Enhanced RTMP tags); anything
			// else over HTTP goes to FFmpeg.
			hs, err := openHTTPFLV(octx, s, o.stall, o.insecure)
			switch {
			case err == nil:
				in.tags, own = hs, true
			case !errors.Is(err, errNotFLV):
				return err
			}
		} else if s.kind == kindFile && sniffEnhancedFLV(strings.TrimPrefix(s.url, "file:")) {
			fs, err := openFileFLV(s)
			if err != nil {
				return err
			}
			in.tags, own = fs, true
		} else if own {
			rs, err := dialRTMPSource(octx, s, o, o.log)
			if err != nil {
				return err
			}
			in.tags = rs
		}
		if own {
			in.demux = newFLVDemuxer(in.fc, in.tags.nextTag)
			if err := in.demux.open(octx); err != nil {
				if errors.Is(err, errNoTracks) {
					return fmt.Errorf("%s: %w: %w", s.shown, err, ErrUnsupportedCodec)
				}
				return err
			}
			if rs, ok := in.tags.(*rtmpSource); ok && rs.c.Recorded() && in.demux.duration > 0 {
				rs.vod = true // a recording: its end is Play.Stop
			}
			return nil
		}
		if err := in.fc.OpenInput(s.url, nil, d); err != nil {
			in.fc.Free() // avformat_open_input frees the context on failure
			in.fc = nil
			return err
		}
		return in.fc.FindStreamInfo(nil)
	}()
	close(stop)
	<-watchDone
	if err != nil {
		in.close()
		switch {
		case timedOut:
			return nil, fmt.Errorf("%s: no media arrived within %v (is anything published there?): %w", s.shown, o.timeout, ErrUnreachable)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, ErrNotFound), errors.Is(err, ErrUnreachable), errors.Is(err, ErrUnsupportedURL):
			return nil, err
		}
		return nil, classifyOpenError(s, err)
	}
	in.intr.Resume()
	return in, nil
}

// classifyOpenError turns FFmpeg's error into one of the package's.
func classifyOpenError(s source, err error) error {
	switch {
	case errors.Is(err, astiav.ErrHttpNotFound):
		return fmt.Errorf("%s: the server says there is no such stream (HTTP 404): %w", s.shown, ErrNotFound)
	case errors.Is(err, astiav.ErrHttpForbidden), errors.Is(err, astiav.ErrHttpUnauthorized):
		return fmt.Errorf("%s: the server refused access (HTTP 401/403): %w", s.shown, ErrNotFound)
	case errors.Is(err, astiav.ErrHttpServerError), errors.Is(err, astiav.ErrHttpOther4Xx), errors.Is(err, astiav.ErrHttpBadRequest):
		return fmt.Errorf("%s: the server answered with an HTTP error (%v): %w", s.shown, err, ErrNotFound)
	case isErrno(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%s: connection refused (is the server running?): %w", s.shown, ErrUnreachable)
	case errors.Is(err, astiav.ErrEtimedout), isErrno(err, syscall.ETIMEDOUT):
		return fmt.Errorf("%s: no answer (timed out): %w", s.shown, ErrUnreachable)
	case isErrno(err, syscall.EHOSTUNREACH), isErrno(err, syscall.ENETUNREACH), isErrno(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("%s: host unreachable: %w", s.shown, ErrUnreachable)
	case isErrno(err, syscall.ENOENT):
		return fmt.Errorf("%s: no such file: %w", s.shown, ErrNotFound)
	case errors.Is(err, astiav.ErrProtocolNotFound):
		return fmt.Errorf("%s: this FFmpeg cannot open that protocol: %w", s.shown, ErrUnsupportedURL)
	case errors.Is(err, astiav.ErrInvaliddata):
		return fmt.Errorf("%s: not a media stream OnAir can read (invalid data): %w", s.shown, ErrCorrupt)
	case errors.Is(err, astiav.ErrEof):
		return fmt.Errorf("%s: the stream ended before any media arrived: %w", s.shown, ErrCorrupt)
	case errors.Is(err, astiav.ErrEio) && s.live():
		return fmt.Errorf("%s: cannot connect or read (unknown host, or the server closed the connection): %w", s.shown, ErrUnreachable)
	}
	return fmt.Errorf("%s: %v: %w", s.shown, err, ErrCorrupt)
}

// isErrno reports whether err is FFmpeg's AVERROR(e): the negated errno.
func isErrno(err error, e syscall.Errno) bool {
	var ae astiav.Error
	return errors.As(err, &ae) && int(ae) == -int(e)
}
