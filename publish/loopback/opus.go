package loopback

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asticode/go-astiav"

	"onair/encode"
	"onair/internal/media"
	"onair/internal/swr"
	"onair/publish/flv"
)

// opusSource gives a stream's sound as Opus to its WebRTC viewers: AAC is
// decoded and encoded to Opus (48 kHz stereo, 20 ms frames) once for all
// of them; Opus (Enhanced RTMP) passes through. It runs while anyone
// subscribes, as a hub reader: a slow machine loses sound, the stream is
// never held up.
type opusSource struct {
	name   string
	mu     sync.Mutex
	subs   map[*opusSub]struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// opusSub is one viewer's feed: a bounded queue that drops when full.
type opusSub struct {
	packets chan opusPacket
	src     *opusSource
	srv     *Server
}

type opusPacket struct {
	Data     []byte
	Duration time.Duration
}

// opusQueue: packets a viewer may fall behind (20 ms each) before it
// loses sound.
const opusQueue = 25

// subscribeOpus joins the Opus feed of stream name, starting it if need
// be; close leaves it.
func (s *Server) subscribeOpus(name string) *opusSub {
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.opus[name]
	if src == nil {
		ctx, cancel := context.WithCancel(s.ctx)
		src = &opusSource{name: name, subs: map[*opusSub]struct{}{}, cancel: cancel, done: make(chan struct{})}
		s.opus[name] = src
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(src.done)
			if err := s.runOpus(ctx, src); err != nil && ctx.Err() == nil {
				s.log.Warn("whep: no sound for WebRTC viewers", "stream", name, "err", err)
			}
		}()
	}
	sub := &opusSub{packets: make(chan opusPacket, opusQueue), src: src, srv: s}
	src.mu.Lock()
	src.subs[sub] = struct{}{}
	src.mu.Unlock()
	return sub
}

// close leaves the feed; the last one to leave stops it and waits for it.
func (sub *opusSub) close() {
	s, src := sub.srv, sub.src
	s.mu.Lock()
	src.mu.Lock()
	delete(src.subs, sub)
	last := len(src.subs) == 0
	src.mu.Unlock()
	if last && s.opus[src.name] == src {
		delete(s.opus, src.name)
	}
	s.mu.Unlock()
	if last {
		src.cancel()
		<-src.done
	}
}

// send hands p to every subscriber that has room.
func (src *opusSource) send(p opusPacket) {
	src.mu.Lock()
	defer src.mu.Unlock()
	for sub := range src.subs {
		select {
		case sub.packets <- p:
		default: // this viewer is behind: it loses the packet
		}
	}
}

// runOpus reads the stream's sound until ctx ends or the stream does.
func (s *Server) runOpus(ctx context.Context, src *opusSource) error {
	rd, err := s.hub.Play(src.name, "internal")
	if err != nil {
		return err
	}
	defer s.hub.Leave(src.name, rd)
	var tc *aacToOpus
	defer func() {
		if tc != nil {
			tc.close()
		}
	}()
	var buf []*Unit
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-rd.Done():
			return nil
		case <-rd.Ready():
		}
		buf = rd.Next(buf)
		for _, u := range buf {
			if u.Kind != KindAudio {
				continue
			}
			a, err := flv.ParseAudio(u.Body)
			if err != nil || a.End || a.Multichannel {
				continue
			}
			switch {
			case a.Codec == media.CodecOpus && !a.Header:
				src.send(opusPacket{Data: append([]byte(nil), a.Data...), Duration: opusDuration(a.Data)})
			case a.Codec == media.CodecAAC && a.Header:
				if tc != nil {
					tc.close()
				}
				if tc, err = newAACToOpus(a.Data); err != nil {
					return err
				}
			case a.Codec == media.CodecAAC && tc != nil:
				if err := tc.convert(a.Data, u.DTS, src.send); err != nil {
					s.log.Debug("whep: an AAC frame", "stream", src.name, "err", err)
				}
			}
		}
	}
}

// opusDuration is an Opus packet's duration from its TOC byte (RFC 6716
// 3.1), 20 ms when it cannot tell.
func opusDuration(p []byte) time.Duration {
	if len(p) == 0 {
		return 20 * time.Millisecond
	}
	toc := p[0]
	var frame time.Duration
	switch cfg := toc >> 3; {
	case cfg < 12: // SILK: 10, 20, 40, 60 ms
		frame = []time.Duration{10, 20, 40, 60}[cfg%4] * time.Millisecond
	case cfg < 16: // hybrid: 10, 20 ms
		frame = []time.Duration{10, 20}[cfg%2] * time.Millisecond
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = []time.Duration{2500, 5000, 10000, 20000}[cfg%4] * time.Microsecond
	}
	switch toc & 3 {
	case 0:
		return frame
	case 1, 2:
		return 2 * frame
	default:
		if len(p) < 2 || p[1]&0x3f == 0 {
			return 20 * time.Millisecond
		}
		return time.Duration(p[1]&0x3f) * frame
	}
}

// aacToOpus decodes AAC and encodes Opus.
type aacToOpus struct {
	cc   *astiav.CodecContext
	pkt  *astiav.Packet
	f    *astiav.Frame
	conv *swr.FrameConverter
	enc  *encode.AudioEncoder
	buf  []byte
}

func newAACToOpus(asc []byte) (*aacToOpus, error) {
	cc, err := openDecoderContext(media.CodecAAC, asc, nil)
	if err != nil {
		return nil, fmt.Errorf("the AAC decoder: %w", err)
	}
	enc, err := encode.NewAudio(encode.AudioConfig{Codec: media.CodecOpus, SampleRate: 48000, Channels: 2,
		Bitrate: 96_000, FrameDuration: 20 * time.Millisecond})
	if err != nil {
		cc.Free()
		return nil, fmt.Errorf("the Opus encoder: %w", err)
	}
	return &aacToOpus{cc: cc, pkt: astiav.AllocPacket(), f: astiav.AllocFrame(), conv: swr.NewFrameConverter(48000, 2), enc: enc}, nil
}

// convert decodes one AAC access unit and calls send with the Opus
// packets that come out.
func (t *aacToOpus) convert(au []byte, dts time.Duration, send func(opusPacket)) error {
	t.buf = append(append(t.buf[:0], au...), make([]byte, 64)...) // zeroed padding: decoders read ahead
	if err := t.pkt.FromData(t.buf); err != nil {
		return err
	}
	defer t.pkt.Unref()
	t.pkt.SetSize(len(au))
	if err := t.cc.SendPacket(t.pkt); err != nil && !errors.Is(err, astiav.ErrEagain) {
		return fmt.Errorf("decoding AAC: %w", err)
	}
	for {
		err := t.cc.ReceiveFrame(t.f)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("decoding AAC: %w", err)
		}
		samples, err := t.conv.Convert(t.f)
		t.f.Unref()
		if err != nil {
			return err
		}
		if len(samples) == 0 {
			continue
		}
		pkts, err := t.enc.Encode(&media.AudioFrame{PTS: dts, SampleRate: 48000, Channels: 2, Samples: samples})
		if err != nil {
			return fmt.Errorf("encoding Opus: %w", err)
		}
		for _, p := range pkts {
			d := p.Duration
			if d <= 0 {
				d = 20 * time.Millisecond
			}
			send(opusPacket{Data: p.Data, Duration: d})
		}
	}
}

func (t *aacToOpus) close() {
	t.enc.Close()
	t.conv.Close()
	t.f.Free()
	t.pkt.Free()
	t.cc.Free()
}
