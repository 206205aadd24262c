package loopback

import (
	"math"
	"net/http"
	"net/url"
	"strconv"

	"onair/internal/media"
	"onair/publish/flv"
	"onair/publish/loopback/hls"
)

// serveMaster answers /live/NAME/master.m3u8: an HLS master playlist whose
// variants are the stream itself and its transcoded renditions (see
// transcode.go), largest first. HLS carries H.264 only, so a source in
// another codec is listed through its renditions alone.
func (s *Server) serveMaster(w http.ResponseWriter, r *http.Request, name string) {
	live := map[string]StreamInfo{}
	for _, st := range s.hub.Streams() {
		live[st.Name] = st
	}
	src, ok := live[name]
	if !ok {
		http.Error(w, "no live stream named "+name, http.StatusNotFound)
		return
	}
	var vs []hls.Variant
	if v, ok := s.variant(src, "index.m3u8", 0); ok {
		vs = append(vs, v)
	}
	if info, ok := s.Transcode(name); ok {
		for _, g := range info.Renditions {
			if st, ok := live[g.Stream]; ok {
				if v, ok := s.variant(st, "../"+url.PathEscape(g.Stream)+"/index.m3u8", g.Bitrate); ok {
					vs = append(vs, v)
				}
			}
		}
	}
	if len(vs) == 0 {
		http.Error(w, "stream "+name+" has no H.264 video for HLS yet (and no transcoded rendition)", http.StatusUnsupportedMediaType)
		return
	}
	body := hls.MasterPlaylist(vs)
	h := w.Header()
	h.Set("Content-Type", "application/vnd.apple.mpegurl")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// variant describes stream st for a master playlist; videoBps is its
// encoder's bitrate when known (a rendition), used until the stream's own
// rate is measured. ok false when it has no H.264 video.
func (s *Server) variant(st StreamInfo, uri string, videoBps int) (hls.Variant, bool) {
	vseq, aseq := s.hub.Headers(st.Name)
	if vseq == nil || st.Video == nil || st.Video.Codec != media.CodecH264.String() {
		return hls.Variant{}, false
	}
	var avcC, asc []byte
	if info, err := flv.ParseVideo(vseq.Body); err == nil {
		avcC = info.Data
	}
	if aseq != nil {
		if info, err := flv.ParseAudio(aseq.Body); err == nil && info.Codec == media.CodecAAC {
			asc = info.Data
		}
	}
	// BANDWIDTH is a peak: the measured mean (audio included) with a
	// tenth more, or the encoder's target and 128 kb/s of audio.
	bw := int(st.Kbps * 1100)
	if bw == 0 {
		bw = videoBps + 128_000
	}
	if videoBps > 0 {
		bw = max(bw, videoBps)
	}
	return hls.Variant{URI: uri, Bandwidth: bw, Width: st.Video.Width, Height: st.Video.Height,
		FrameRate: math.Round(st.FPS), Codecs: hls.CodecsOf(avcC, asc)}, true
}
