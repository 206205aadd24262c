package loopback

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/media"
	"onair/internal/ratelog"
	"onair/publish/flv"
	"onair/publish/loopback/hls"
)

// hlsOut feeds one stream into an HLS muxer, through the hub like any
// viewer (a slow muxer drops, it never holds the publisher up).
type hlsOut struct {
	s       *Server
	name    string
	reader  *Reader
	created chan struct{} // closed when muxer is set (or the stream ended first)
	mu      sync.Mutex
	muxer   *hls.Muxer
	ll      *hls.LLMuxer         // LL-HLS of the same stream (nil without H.264)
	viewers map[string]time.Time // HLS clients by address, last seen

	// skipped counts the media units that could not go into the muxer
	// (undecodable, or refused by it); skipLog logs them, rate-limited.
	skipped atomic.Uint64
	skipLog ratelog.Limiter
}

// skip counts a unit that could not be used and logs it, rate-limited.
func (o *hlsOut) skip(log *slog.Logger, name string, err error) {
	o.skipped.Add(1)
	o.skipLog.Warn(log, "HLS packet skipped", "stream", name, "err", err)
}

// startHLS starts the HLS output of a stream that just got a publisher.
// Its reader is lazy: segments last seconds, waking for each audio frame
// buys nothing.
func (s *Server) startHLS(name string) {
	startInternal(s, s.hls, name, func(r *Reader) *hlsOut {
		return &hlsOut{s: s, name: name, reader: r, created: make(chan struct{}), viewers: map[string]time.Time{}}
	})
}

func (o *hlsOut) hubReader() *Reader { return o.reader }

func (o *hlsOut) run() {
	s, name := o.s, o.name
	var video, audio *media.CodecConfig
	lengthSize := 4 // NAL unit length size, from the AVC sequence header
	defer func() {
		o.mu.Lock()
		if o.ll != nil {
			o.ll.Close()
		}
		if o.muxer != nil {
			o.muxer.Close()
		} else {
			close(o.created)
		}
		o.mu.Unlock()
	}()
	var pending []*media.Packet
	var buf []*Unit
	for {
		buf = o.reader.Next(buf)
		for _, u := range buf {
			switch {
			case u.Kind == KindVideo && u.Header:
				video, lengthSize = videoConfig(u, lengthSize)
			case u.Kind == KindAudio && u.Header:
				audio = audioConfig(u)
			case u.Kind == KindData:
			default:
				p, err := toPacket(u, lengthSize)
				if err != nil {
					o.skip(s.log, name, err)
					continue
				}
				if p == nil {
					continue
				}
				o.mu.Lock()
				m := o.muxer
				o.mu.Unlock()
				if m == nil {
					// Wait for both headers (or a second of media) before muxing.
					pending = append(pending, p)
					if (video == nil || audio == nil) && len(pending) < 100 {
						continue
					}
					if video == nil && audio == nil {
						pending = pending[:0]
						continue
					}
					nm, err := hls.NewMuxer(hls.MuxerConfig{Video: video, Audio: audio, Logger: s.log})
					if err != nil {
						s.log.Warn("no HLS for this stream", "stream", name, "err", err)
						return
					}
					ll, err := hls.NewLLMuxer(hls.LLConfig{Video: video, Audio: audio, Logger: s.log})
					if err != nil {
						s.log.Debug("no LL-HLS for this stream", "stream", name, "err", err)
					}
					o.mu.Lock()
					o.muxer, o.ll = nm, ll
					close(o.created)
					o.mu.Unlock()
					m = nm
					for _, q := range pending {
						_ = m.WritePacket(q)
						if ll != nil {
							_ = ll.WritePacket(q)
						}
					}
					pending = nil
					continue
				}
				if err := m.WritePacket(p); err != nil {
					o.skip(s.log, name, err)
				}
				if ll := o.ll; ll != nil { // set before created was closed, never changed
					if err := ll.WritePacket(p); err != nil {
						o.skip(s.log, name, err)
					}
				}
			}
		}
		if len(buf) > 0 {
			continue
		}
		select {
		case <-o.reader.Done():
			return
		case <-o.reader.Ready():
		}
	}
}

// videoConfig is the H.264 track of an AVC sequence header, and the NAL
// unit length size its record declares (LengthSizeMinusOne+1: 1, 2 or 4);
// nil and lengthSize unchanged when it does not decode.
func videoConfig(u *Unit, lengthSize int) (*media.CodecConfig, int) {
	var tag flv.VideoTag
	var rec flv.AVCDecoderConfigurationRecord
	if tag.Unmarshal(u.Body) != nil || rec.Unmarshal(tag.Data) != nil {
		return nil, lengthSize
	}
	c := &media.CodecConfig{Codec: media.CodecH264, Extradata: rec.AnnexB()}
	if len(rec.SPS) > 0 {
		c.Width, c.Height, _ = flv.SPSSize(rec.SPS[0])
	}
	return c, int(rec.LengthSizeMinusOne) + 1
}

func audioConfig(u *Unit) *media.CodecConfig {
	var tag flv.AudioTag
	var asc flv.AudioSpecificConfig
	if tag.Unmarshal(u.Body) != nil || asc.Unmarshal(tag.Data) != nil {
		return nil
	}
	return &media.CodecConfig{Codec: media.CodecAAC, Extradata: append([]byte(nil), tag.Data...),
		SampleRate: asc.SampleRate, Channels: asc.Channels()}
}

// errEmptyFrame is returned by toPacket for an audio tag that carries no
// AAC frame: the unit cannot be used and is counted as skipped.
var errEmptyFrame = errors.New("empty frame")

// toPacket turns an FLV media unit into a media.Packet (Annex-B for H.264,
// its AVCC NAL units read with lengthSize-byte lengths). It returns nil and
// no error for a unit that carries no media (an AVC end of sequence), and
// an error for one that cannot be used.
func toPacket(u *Unit, lengthSize int) (*media.Packet, error) {
	switch u.Kind {
	case KindVideo:
		var tag flv.VideoTag
		if err := tag.Unmarshal(u.Body); err != nil {
			return nil, fmt.Errorf("video tag at %v: %w", u.DTS, err)
		}
		if tag.AVCPacketType != flv.AVCPacketTypeNALU {
			return nil, nil
		}
		nalus, err := flv.UnmarshalAVCC(tag.Data, lengthSize)
		if err != nil {
			return nil, fmt.Errorf("H.264 picture at %v: %w", u.DTS, err)
		}
		return &media.Packet{Codec: media.CodecH264, DTS: u.DTS,
			PTS: u.DTS + time.Duration(tag.CompositionTime)*time.Millisecond,
			Key: u.Key, Data: flv.JoinAnnexB(nalus)}, nil
	case KindAudio:
		var tag flv.AudioTag
		if err := tag.Unmarshal(u.Body); err != nil {
			return nil, fmt.Errorf("audio tag at %v: %w", u.DTS, err)
		}
		if tag.AACPacketType != flv.AACPacketTypeRaw {
			return nil, nil
		}
		if len(tag.Data) == 0 {
			return nil, fmt.Errorf("AAC frame at %v: %w", u.DTS, errEmptyFrame)
		}
		return &media.Packet{Codec: media.CodecAAC, DTS: u.DTS, PTS: u.DTS, Key: true, Data: tag.Data}, nil
	}
	return nil, nil
}

// serveHLS serves /live/NAME/FILE from the stream's muxer.
func (s *Server) serveHLS(w http.ResponseWriter, r *http.Request, name, file string) {
	if file == "master.m3u8" {
		s.serveMaster(w, r, name)
		return
	}
	s.mu.Lock()
	o := s.hls[name]
	s.mu.Unlock()
	if o == nil {
		http.Error(w, "no live stream named "+name, http.StatusNotFound)
		return
	}
	select {
	case <-o.created:
	case <-r.Context().Done():
		return
	case <-time.After(5 * time.Second):
	}
	o.mu.Lock()
	m, ll := o.muxer, o.ll
	_, known := o.viewers[r.RemoteAddr]
	o.mu.Unlock()
	if file == "index.m3u8" || file == "ll/index.m3u8" {
		// A client's first playlist asks the play hook; its reloads do not.
		if !known {
			if err := s.allow(r.Context(), hookEvent{Action: "play", Stream: name, Client: r.RemoteAddr, Protocol: "hls", Query: r.URL.RawQuery}); err != nil {
				http.Error(w, err.Error(), http.StatusForbidden)
				return
			}
		}
		o.mu.Lock()
		o.viewers[r.RemoteAddr] = time.Now()
		o.mu.Unlock()
	}
	if m == nil {
		http.Error(w, "stream has no media yet", http.StatusServiceUnavailable)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + file
	if rest, ok := strings.CutPrefix(file, "ll/"); ok {
		if ll == nil {
			http.Error(w, "LL-HLS needs H.264 video, which this stream does not have", http.StatusNotFound)
			return
		}
		r2.URL.Path = "/" + rest
		ll.ServeHTTP(w, r2)
		return
	}
	m.ServeHTTP(w, r2)
}

// activeViewers counts the HLS clients that fetched the playlist lately.
func (o *hlsOut) activeViewers(within time.Duration) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for addr, seen := range o.viewers {
		if time.Since(seen) <= within {
			n++
		} else {
			delete(o.viewers, addr)
		}
	}
	return n
}
