package rtmfp

import (
	"time"
)

// Acknowledgements, loss detection, congestion control and the round
// trip (RFC 7016 §3.5.2, §3.5.4).

func (s *session) onAck(b []byte, now time.Time) {
	flow, window, cum, ranges, err := parseAck(b)
	if err != nil {
		s.stats.BadPackets++
		return
	}
	s.applyAck(flow, window, cum, ranges, now)
}

func (s *session) applyAck(flow, window, cum uint64, ranges [][2]uint64, now time.Time) {
	f := s.sendFlows[flow]
	if f == nil {
		return
	}
	acked, latest := f.ack(cum, ranges, int(min(window, 1<<30)))
	if acked > 0 {
		s.stats.BytesAcked += uint64(acked)
		s.lastProgress = now
		// The window grows only while it is used: a live stream that
		// sends less than it allows must not earn a window it never tried.
		if s.inFlight()+acked >= s.cwnd/2 {
			if s.cwnd < s.ssthresh {
				s.cwnd += acked
			} else {
				s.cwnd += max(1, mss*acked/s.cwnd)
			}
			s.cwnd = min(s.cwnd, 4<<20)
		}
	}
	if latest.After(f.ackedSentAt) {
		f.ackedSentAt = latest
	}
}

// detectLoss runs after a packet's acknowledgements, all of them applied
// (as RACK does for TCP): a fragment still in flight that was sent a
// little before one that was acknowledged, on any flow, is lost; the
// margin lets a path reorder a little. Comparing across flows finds a lost
// picture fragment as soon as the sound sent after it is acknowledged;
// it is safe because every acknowledgement packet covers every active
// flow (flush).
func (s *session) detectLoss(now time.Time) {
	var newest time.Time
	for _, sf := range s.sendFlows {
		if sf.ackedSentAt.After(newest) {
			newest = sf.ackedSentAt
		}
	}
	if newest.IsZero() {
		return
	}
	limit := newest.Add(-max(s.srtt/8, 5*time.Millisecond))
	lost := 0
	for _, sf := range s.sendFlows {
		lost += sf.markLost(limit)
	}
	if lost > 0 {
		s.stats.Lost += uint64(lost)
		s.congestion(now)
	}
}

// congestion cuts the window once per round trip: by an eighth when the
// session carries time-critical media (as RFC 7016 §3.5.4.2 lets a
// real-time sender do), else by half.
//
// A loss while the round trip is at its floor is taken as noise on the
// path (a radio link, a relay that drops at random), not as a queue
// overflowing: the window is kept. A queue shows as a longer round trip.
func (s *session) congestion(now time.Time) {
	if now.Sub(s.lastCut) < max(s.srtt, 20*time.Millisecond) {
		return
	}
	if s.haveRTT && s.srtt <= s.minRTT+max(s.minRTT/4, 10*time.Millisecond) {
		s.stats.NoiseLosses++
		return
	}
	s.lastCut = now
	cut := s.cwnd / 2
	for _, f := range s.sendFlows {
		if f.pri > priRoutine {
			cut = s.cwnd / 8
			break
		}
	}
	s.cwnd = max(s.cwnd-cut, minWindow)
	s.ssthresh = s.cwnd
}

func (s *session) rttSample(rtt time.Duration) {
	if !s.haveRTT || rtt < s.minRTT {
		s.minRTT = rtt
	}
	if !s.haveRTT {
		s.srtt, s.rttvar, s.haveRTT = rtt, rtt/2, true
	} else {
		d := s.srtt - rtt
		if d < 0 {
			d = -d
		}
		s.rttvar = (3*s.rttvar + d) / 4
		s.srtt = (7*s.srtt + rtt) / 8
	}
	s.erto = max(s.srtt+4*s.rttvar+200*time.Millisecond, minRTO)
}
