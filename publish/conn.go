package publish

import (
	"onair/publish/rtmfp"
	"onair/publish/rtmp"
)

// conn is a connection the publisher sends on: OnAir's RTMP client
// (every TCP scheme) or its RTMFP one.
type conn interface {
	WriteVideo(ts uint32, body []byte) error
	WriteAudio(ts uint32, body []byte) error
	WriteData(body []byte) error
	// Done is closed when the connection failed; Err says why.
	Done() <-chan struct{}
	Err() error
	// Link is what waits to be sent and what the peer acknowledged.
	Link() (rtmp.Link, bool)
	Close() error
}

// rtmfpConn adapts the RTMFP client: its link figures come from the
// session's own queue and acknowledgements.
type rtmfpConn struct{ *rtmfp.Client }

func (c rtmfpConn) Link() (rtmp.Link, bool) {
	st := c.Stats()
	return rtmp.Link{Unsent: st.Unsent, Acked: st.BytesAcked}, true
}

var _ conn = (*rtmp.Client)(nil)
