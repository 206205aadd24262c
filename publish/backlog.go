package publish

import (
	"time"

	"onair/internal/media"
)

// How far behind a destination is: its send queue (media time, from the
// packets' timestamps) and the bytes the kernel still holds for it, which
// the rate the connection carries turns into time.

// sendRateWindow is how far back SendRate looks.
const sendRateWindow = time.Second

// maxKernelSpan caps the kernel's part of QueueSpan (a link that carried
// next to nothing).
const maxKernelSpan = time.Minute

// readLinkLocked reads the connection's unsent bytes and feeds the send
// rate meter; it returns the unsent bytes and the rate (0 until measured).
// Under p.mu.
func (p *Publisher) readLinkLocked(now time.Time) (int, float64) {
	c := p.client
	if c == nil {
		return 0, 0
	}
	if c != p.meterOf {
		p.meter.reset()
		p.meterOf, p.rate, p.rateOK = c, 0, false
	}
	l, ok := c.Link()
	if !ok {
		return 0, 0
	}
	p.rate, p.rateOK = p.meter.add(now, l.Acked)
	return l.Unsent, p.rate
}

// kernelSpanLocked is the time unsent bytes take to leave at the measured
// rate; 0 while there is no rate yet. Under p.mu.
func (p *Publisher) kernelSpanLocked(unsent int) time.Duration {
	if unsent <= 0 || !p.rateOK {
		return 0
	}
	d := time.Duration(float64(unsent) / max(p.rate, 1000) * float64(time.Second))
	return min(d, maxKernelSpan)
}

// shed says whether video packet pk is dropped under Config.DropAfter:
// once the destination is more than DropAfter behind, video is dropped up
// to a keyframe that finds it less than half that far behind. On the run
// goroutine.
func (p *Publisher) shed(pk *media.Packet) bool {
	if p.cfg.DropAfter <= 0 {
		return false
	}
	p.mu.Lock()
	behind := max(p.lastIn-pk.DTS, 0)
	unsent, _ := p.readLinkLocked(time.Now())
	behind += p.kernelSpanLocked(unsent)
	p.mu.Unlock()
	shedding := p.shedding.Load()
	if !shedding && behind > p.cfg.DropAfter {
		shedding = true
		p.shedding.Store(true)
		p.shedLog.Warn(p.log, "destination falling behind: dropping video up to a keyframe", "behind", behind.Round(time.Millisecond))
	}
	if !shedding {
		return false
	}
	if pk.Key && behind <= p.cfg.DropAfter/2 {
		p.shedding.Store(false)
		return false
	}
	return true
}
