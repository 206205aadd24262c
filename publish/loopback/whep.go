package loopback

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"onair/internal/media"
	"onair/publish/flv"
)

// WHEP (WebRTC-HTTP Egress Protocol, RFC 9725): POST /live/NAME/whep with
// an SDP offer answers 201 with the SDP answer and the session's address
// in Location (/live/NAME/whep/ID), which DELETE ends. ICE gathers fully
// before the answer (no trickle): on loopback and a LAN that takes
// milliseconds. H.264 is forwarded as published, its SPS and PPS before
// every keyframe; the AAC sound is transcoded to Opus once per stream
// (opus.go) for all of its WebRTC viewers.

// ErrWHEP* are what a WHEP request can be refused for (the message goes to
// the client with a 4xx status).
var (
	ErrWHEPOffer = errors.New("bad WHEP offer")
	ErrWHEPCodec = errors.New("the stream's video cannot be sent over WebRTC")
)

// maxWHEPOffer bounds an offer's size.
const maxWHEPOffer = 64 << 10

// whepGather bounds how long ICE gathering may take before the answer.
const whepGather = 5 * time.Second

// whepConnect bounds how long a viewer may take to connect after the
// answer (ICE and DTLS).
const whepConnect = 15 * time.Second

// whepSession is one WebRTC viewer.
type whepSession struct {
	id, name string
	pc       *webrtc.PeerConnection
	cancel   context.CancelFunc
	done     chan struct{}
}

// serveWHEP answers POST /live/NAME/whep, and DELETE (or PATCH, which
// trickle ICE would use: refused) /live/NAME/whep/ID.
func (s *Server) serveWHEP(w http.ResponseWriter, r *http.Request, name, id string) {
	if id != "" {
		if r.Method != http.MethodDelete {
			w.Header().Set("Allow", "DELETE")
			http.Error(w, "a WHEP session takes DELETE (this server gathers ICE before it answers: no trickle)", http.StatusMethodNotAllowed)
			return
		}
		if !s.endWHEP(name, id) {
			http.Error(w, "no such WHEP session", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "WHEP: POST an SDP offer (Content-Type: application/sdp)", http.StatusMethodNotAllowed)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/sdp") {
		http.Error(w, "WHEP: the offer must be Content-Type: application/sdp, not "+ct, http.StatusUnsupportedMediaType)
		return
	}
	offer, err := io.ReadAll(io.LimitReader(r.Body, maxWHEPOffer+1))
	if err != nil {
		http.Error(w, "reading the offer: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(offer) > maxWHEPOffer {
		http.Error(w, "WHEP: the offer is larger than 64 KiB", http.StatusRequestEntityTooLarge)
		return
	}
	if err := s.allow(r.Context(), hookEvent{Action: "play", Stream: name, Client: r.RemoteAddr, Protocol: "whep", Query: r.URL.RawQuery}); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	sess, answer, err := s.startWHEP(name, string(offer), r.RemoteAddr)
	switch {
	case errors.Is(err, ErrNoStream):
		http.Error(w, "no live stream named "+name, http.StatusNotFound)
		return
	case errors.Is(err, ErrWHEPOffer):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case errors.Is(err, ErrWHEPCodec):
		http.Error(w, err.Error(), http.StatusNotAcceptable)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/sdp")
	h.Set("Location", "/live/"+name+"/whep/"+sess.id)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// startWHEP makes the peer connection for offer and starts sending the
// stream name to it.
// How long a WHEP viewer may be silent before ICE calls it disconnected,
// and then failed (the session ends).
const (
	whepDisconnected = 3 * time.Second
	whepFailed       = 5 * time.Second
)

func (s *Server) startWHEP(name, offer, remote string) (*whepSession, string, error) {
	vseq, _ := s.hub.Headers(name)
	if vseq == nil {
		return nil, "", ErrNoStream
	}
	hdr, err := flv.ParseVideo(vseq.Body)
	if err != nil || !hdr.Header || hdr.Codec != media.CodecH264 {
		return nil, "", fmt.Errorf("%w: it is not H.264 (%v), which is what this server sends over WebRTC", ErrWHEPCodec, hdr.Codec)
	}
	var rec flv.AVCDecoderConfigurationRecord
	if err := rec.Unmarshal(hdr.Data); err != nil {
		return nil, "", fmt.Errorf("%w: its H.264 configuration: %v", ErrWHEPCodec, err)
	}
	profile := fmt.Sprintf("%02x%02x%02x", rec.ProfileIndication, rec.ProfileCompatibility, rec.LevelIndication)
	videoCap := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + profile}
	audioCap := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1"}

	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: videoCap, PayloadType: 102}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, "", err
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: audioCap, PayloadType: 111}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, "", err
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	// A viewer that goes without a DELETE (a crashed tab, a phone out of
	// range) is let go after 8 s of silence rather than pion's 30 s: its
	// Opus encoding and sending cost the server all that time. Browsers
	// send RTCP about every second, so a live viewer is never that quiet.
	se.SetICETimeouts(whepDisconnected, whepFailed, time.Second)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", fmt.Errorf("WebRTC: %w", err)
	}
	fail := func(err error) (*whepSession, string, error) {
		_ = pc.Close()
		return nil, "", err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrWHEPOffer, err))
	}
	video, err := webrtc.NewTrackLocalStaticSample(videoCap, "video", "onair")
	if err != nil {
		return fail(err)
	}
	audio, err := webrtc.NewTrackLocalStaticSample(audioCap, "audio", "onair")
	if err != nil {
		return fail(err)
	}
	vs, err := pc.AddTrack(video)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrWHEPOffer, err))
	}
	as, err := pc.AddTrack(audio)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrWHEPOffer, err))
	}
	if len(vs.GetParameters().Codecs) == 0 {
		return fail(fmt.Errorf("%w: the offer has no H.264 of profile %s with packetization-mode 1 to receive it", ErrWHEPCodec, profile))
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrWHEPOffer, err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fail(fmt.Errorf("WebRTC: %w", err))
	}
	select {
	case <-gathered:
	case <-time.After(whepGather):
		return fail(errors.New("WebRTC: gathering ICE candidates took more than 5 s"))
	}
	rd, err := s.hub.Play(name, "whep")
	if err != nil {
		return fail(err)
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	ctx, cancel := context.WithCancel(s.ctx)
	sess := &whepSession{id: hex.EncodeToString(id), name: name, pc: pc, cancel: cancel, done: make(chan struct{})}
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			once.Do(func() { close(connected) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			cancel()
		}
	})
	s.mu.Lock()
	s.whep[sess.id] = sess
	s.mu.Unlock()
	leave := s.addClient(&client{role: "play", proto: "whep", remote: remote, stream: name, bytes: func() uint64 { return 0 },
		kick: cancel})
	sub := s.subscribeOpus(name)
	s.log.Info("play", "proto", "whep", "stream", name, "remote", remote)
	s.wg.Add(3)
	for _, snd := range []*webrtc.RTPSender{vs, as} {
		go func() { // RTCP from the browser (NACKs, reports) goes through pion's interceptors
			defer s.wg.Done()
			buf := make([]byte, 1500)
			for {
				if _, _, err := snd.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	go func() {
		defer s.wg.Done()
		defer close(sess.done)
		// What is written before the connection is up is lost: the GOP the
		// viewer starts with waits in the reader until then.
		select {
		case <-connected:
			s.sendWHEP(ctx, rd, sub, &rec, video, audio)
		case <-ctx.Done():
		case <-rd.Done():
		case <-time.After(whepConnect):
			s.log.Info("whep: the browser never connected", "stream", name, "remote", remote)
		}
		s.hub.Leave(name, rd)
		sub.close()
		leave()
		_ = pc.Close()
		s.mu.Lock()
		delete(s.whep, sess.id)
		s.mu.Unlock()
		s.log.Info("play ended", "proto", "whep", "stream", name, "remote", remote, "dropped", rd.Dropped())
	}()
	return sess, pc.LocalDescription().SDP, nil
}

// endWHEP ends session id of stream name and waits for it; false when
// there is none.
func (s *Server) endWHEP(name, id string) bool {
	s.mu.Lock()
	sess := s.whep[id]
	s.mu.Unlock()
	if sess == nil || sess.name != name {
		return false
	}
	sess.cancel()
	<-sess.done
	return true
}

// sendWHEP sends the stream's video from rd and the Opus sound from sub
// until ctx ends or the stream does.
func (s *Server) sendWHEP(ctx context.Context, rd *Reader, sub *opusSub, rec *flv.AVCDecoderConfigurationRecord, video, audio *webrtc.TrackLocalStaticSample) {
	params := rec.AnnexB()
	lengthSize := int(rec.LengthSizeMinusOne) + 1
	var buf []*Unit
	var sample []byte
	step := 33 * time.Millisecond
	var lastDTS time.Duration
	have, first := false, true
	for {
		select {
		case <-ctx.Done():
			return
		case <-rd.Done():
			return
		case p := <-sub.packets:
			_ = audio.WriteSample(pionmedia.Sample{Data: p.Data, Duration: p.Duration})
			continue
		case <-rd.Ready():
		}
		buf = rd.Next(buf)
		for i, u := range buf {
			if u.Kind != KindVideo || u.Header {
				continue
			}
			pic, err := flv.ParseVideo(u.Body)
			if err != nil || pic.Header || pic.End || pic.Command || pic.Metadata || pic.Codec != media.CodecH264 {
				continue
			}
			nalus, err := flv.UnmarshalAVCC(pic.Data, lengthSize)
			if err != nil {
				continue // a damaged picture: the next keyframe mends it
			}
			sample = sample[:0]
			if pic.Key && !hasSPS(nalus) {
				sample = append(sample, params...)
			}
			sample = append(sample, flv.JoinAnnexB(nalus)...)
			if have && u.DTS > lastDTS && u.DTS-lastDTS < time.Second {
				step = u.DTS - lastDTS
			}
			lastDTS, have = u.DTS, true
			d := step
			// The GOP a viewer joins with goes out at once: its pictures
			// get 1 ms each, so that the browser shows the newest at once
			// rather than playing the GOP in real time behind the live edge.
			if first && i < len(buf)-1 {
				d = time.Millisecond
			}
			_ = video.WriteSample(pionmedia.Sample{Data: sample, Duration: d})
		}
		first = false
	}
}

// hasSPS says whether an access unit carries a sequence parameter set.
func hasSPS(nalus [][]byte) bool {
	for _, n := range nalus {
		if len(n) > 0 && n[0]&0x1f == 7 {
			return true
		}
	}
	return false
}
