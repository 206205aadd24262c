package loopback

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/avplane"
	"onair/publish/flv"
)

// Snapshots: GET /live/NAME.jpg is the stream's latest keyframe (the one
// the GOP cache starts with) decoded and scaled to JPEG, ?w=320 for a
// thumbnail. Each keyframe is decoded once per width however many ask:
// the first request decodes, those that come meanwhile wait for it.

// ErrNoPicture is returned by Snapshot when the stream is not live or has
// no keyframe yet.
var ErrNoPicture = errors.New("no picture: the stream is not live or has no keyframe yet")

// Widths a snapshot may be asked at.
const (
	minSnapshotWidth = 16
	maxSnapshotWidth = 3840
)

// snapshot is one decoded keyframe at one width.
type snapshot struct {
	key  *Unit
	w    int
	done chan struct{}
	jpg  []byte
	err  error
}

// snapshots caches, per stream, the snapshots of its latest keyframe at
// the last few widths asked.
type snapshots struct {
	mu      sync.Mutex
	last    map[string][]*snapshot
	decodes atomic.Int64 // keyframes decoded, for the tests
}

// maxSnapshotWidths bounds the widths cached per stream.
const maxSnapshotWidths = 4

// Keyframe is the stream's video sequence header and the keyframe its GOP
// cache starts with; ok false when it has none.
func (h *Hub) Keyframe(name string) (seq, key *Unit, ok bool) {
	h.mu.Lock()
	s := h.streams[name]
	h.mu.Unlock()
	if s == nil {
		return nil, nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pub == nil || s.vseq == nil || len(s.gop) == 0 || s.gop[0].Kind != KindVideo || !s.gop[0].Key {
		return nil, nil, false
	}
	return s.vseq, s.gop[0], true
}

// Snapshot is stream name's latest keyframe as JPEG, width w (0: the
// picture's own; the height keeps the aspect). ErrNoPicture when there is
// none.
func (s *Server) Snapshot(name string, w int) ([]byte, error) {
	seq, key, ok := s.hub.Keyframe(name)
	if !ok {
		return nil, ErrNoPicture
	}
	s.snaps.mu.Lock()
	if s.snaps.last == nil {
		s.snaps.last = map[string][]*snapshot{}
	}
	var sn *snapshot
	list := s.snaps.last[name][:0:0]
	for _, c := range s.snaps.last[name] {
		if c.key != key {
			continue // an older keyframe's
		}
		if c.w == w {
			sn = c
		}
		list = append(list, c)
	}
	mine := sn == nil
	if mine {
		sn = &snapshot{key: key, w: w, done: make(chan struct{})}
		list = append(list, sn)
		if len(list) > maxSnapshotWidths {
			list = list[1:]
		}
	}
	s.snaps.last[name] = list
	s.snaps.mu.Unlock()
	if mine {
		s.snaps.decodes.Add(1)
		sn.jpg, sn.err = decodeJPEG(seq, key, w)
		close(sn.done)
	}
	<-sn.done
	return sn.jpg, sn.err
}

// forgetSnapshots drops a stream's cached snapshots (it ended).
func (s *Server) forgetSnapshots(name string) {
	s.snaps.mu.Lock()
	defer s.snaps.mu.Unlock()
	delete(s.snaps.last, name)
}

// serveSnapshot answers /live/NAME.jpg[?w=W].
func (s *Server) serveSnapshot(w http.ResponseWriter, r *http.Request, name string) {
	width := 0
	if q := r.URL.Query().Get("w"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < minSnapshotWidth || n > maxSnapshotWidth {
			http.Error(w, fmt.Sprintf("w=%q: want a width from %d to %d", q, minSnapshotWidth, maxSnapshotWidth), http.StatusBadRequest)
			return
		}
		width = n
	}
	jpg, err := s.Snapshot(name, width)
	switch {
	case errors.Is(err, ErrNoPicture):
		http.Error(w, "no live stream named "+name+" with a picture yet", http.StatusNotFound)
		return
	case err != nil:
		s.log.Warn("snapshot failed", "stream", name, "err", err)
		http.Error(w, "cannot decode the stream's keyframe: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Length", strconv.Itoa(len(jpg)))
	_, _ = w.Write(jpg)
}

// decodeJPEG decodes keyframe key with the configuration in seq (AVC,
// HEVC, AV1) and encodes it as JPEG, scaled to width w (0: as decoded).
func decodeJPEG(seq, key *Unit, w int) ([]byte, error) {
	hdr, err := flv.ParseVideo(seq.Body)
	if err != nil || !hdr.Header {
		return nil, fmt.Errorf("video sequence header: %v", err)
	}
	pic, err := flv.ParseVideo(key.Body)
	if err != nil || len(pic.Data) == 0 {
		return nil, fmt.Errorf("keyframe: %v", err)
	}
	d, err := openVideoDecoder(hdr)
	if err != nil {
		return nil, err
	}
	defer d.close()
	var img *image.YCbCr
	var imgErr error
	first := func(f *astiav.Frame, _ time.Duration) {
		if img == nil && imgErr == nil {
			img, imgErr = toYCbCr(f, w)
		}
	}
	if err := d.decode(pic.Data, 0, 0, true, first); err != nil {
		return nil, fmt.Errorf("decoding the keyframe: %w", err)
	}
	if err := d.flush(first); err != nil { // the picture comes out now
		return nil, fmt.Errorf("decoding the keyframe: %w", err)
	}
	if imgErr != nil {
		return nil, imgErr
	}
	if img == nil {
		return nil, fmt.Errorf("decoding the keyframe: %w", astiav.ErrEof)
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// toYCbCr scales f to width w (0: its own; even sizes) in YUV 4:2:0 and
// copies it, in JPEG's full range, into an image.YCbCr, which image/jpeg
// encodes without a colour conversion.
func toYCbCr(f *astiav.Frame, w int) (*image.YCbCr, error) {
	sw, sh := f.Width(), f.Height()
	if w <= 0 || w > sw {
		w = sw
	}
	h := (sh*w/sw + 1) &^ 1
	w = (w + 1) &^ 1
	sws, err := astiav.CreateSoftwareScaleContext(sw, sh, f.PixelFormat(), w, h, astiav.PixelFormatYuv420P,
		astiav.NewSoftwareScaleContextFlags(astiav.SoftwareScaleContextFlagBicubic))
	if err != nil {
		return nil, fmt.Errorf("swscale %dx%d %s: %w", sw, sh, f.PixelFormat(), err)
	}
	defer sws.Free()
	dst := astiav.AllocFrame()
	defer dst.Free()
	if err := sws.ScaleFrame(f, dst); err != nil {
		return nil, err
	}
	// Video's limited range (Y 16–235, C 16–240) to JPEG's full range.
	// (swscale's own way, a yuvj format, is deprecated and says so.)
	var luma, chroma [256]byte
	for v := range 256 {
		luma[v] = byte(min(255, max(0, (v-16)*255/219)))
		chroma[v] = byte(min(255, max(0, 128+(v-128)*255/224)))
	}
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i, p := range [][]byte{img.Y, img.Cb, img.Cr} {
		pw, ph, stride, lut := w, h, img.YStride, &luma
		if i > 0 {
			pw, ph, stride, lut = w/2, h/2, img.CStride, &chroma
		}
		plane, ls := avplane.View(dst, i, ph)
		if plane == nil {
			return nil, errors.New("scaled picture has no planes")
		}
		for y := 0; y < ph; y++ {
			row, src := p[y*stride:y*stride+pw], plane[y*ls:y*ls+pw]
			for x, v := range src {
				row[x] = lut[v]
			}
		}
	}
	return img, nil
}

// writeSnapshots writes every live stream's snapshot into
// RecordDir/NAME/NAME-YYYY-MM-DD_HH-MM-SS.jpg every SnapshotEvery, until
// the server closes.
func (s *Server) writeSnapshots() {
	t := time.NewTicker(s.cfg.SnapshotEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		for _, st := range s.hub.Streams() {
			if st.Publisher == "" {
				continue
			}
			jpg, err := s.Snapshot(st.Name, 0)
			if err != nil {
				continue // no keyframe yet
			}
			dir := filepath.Join(s.cfg.RecordDir, st.Name)
			path := filepath.Join(dir, st.Name+"-"+time.Now().Format("2006-01-02_15-04-05")+".jpg")
			if err := os.MkdirAll(dir, 0o755); err == nil {
				err = os.WriteFile(path, jpg, 0o644)
			}
			if err != nil {
				s.snapLog.Warn(s.log, "cannot write a snapshot", "stream", st.Name, "err", err)
			}
		}
	}
}
