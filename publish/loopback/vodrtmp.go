package loopback

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"onair/publish/rtmp"
)

// vodLead is how far ahead of real time a recording is sent: the player
// gets a short burst at the start and after each seek, then the media at
// its pace.
const vodLead = time.Second

// vodCmd is a player's seek or pause, handed to the sending goroutine.
type vodCmd struct {
	seek  bool
	pause bool
	at    time.Duration
}

// vodPlay sends one recording to one RTMP player, paced in real time, and
// obeys its seeks and pauses (as nginx-rtmp's play module answers them:
// StreamEOF, Seek.Notify, StreamBegin, then the media from the keyframe at
// or before the target; Pause.Notify and Unpause.Notify). At the end it
// sends StreamEOF, onPlayStatus NetStream.Play.Complete and
// NetStream.Play.Stop, and stays for a seek back until the player goes.
type vodPlay struct {
	sess *rtmp.ServerSession
	f    *vodFile
	name string
	log  *slog.Logger
	cmds chan vodCmd
	args rtmp.PlayArgs
}

// startVOD opens the recording an RTMP play asks for (app vod…) and
// starts sending it once the session is playing.
func (c *rtmpConn) startVOD(sess *rtmp.ServerSession, candidates []string) error {
	root := c.srv.cfg.VODDir
	if root == "" {
		return ErrVODOff
	}
	var err error
	var path, name string
	for _, name = range candidates {
		if path, err = vodPath(root, name); !errors.Is(err, ErrVODNotFound) {
			break
		}
	}
	if err != nil {
		c.srv.log.Info("vod play refused", "name", clip(candidates[0]), "remote", sess.RemoteAddr(), "err", err)
		return err
	}
	f, err := openVOD(path)
	if err != nil {
		c.srv.log.Info("vod play refused", "name", name, "remote", sess.RemoteAddr(), "err", err)
		return fmt.Errorf("%q: %w", name, err)
	}
	if err := c.srv.allow(c.srv.ctx, hookEvent{Action: "play", Stream: "vod/" + name, Client: sess.RemoteAddr(), Protocol: "rtmp"}); err != nil {
		f.close()
		return err
	}
	if err := sess.SendUserControl(rtmp.UserControlStreamIsRecorded); err != nil {
		f.close()
		return err
	}
	v := &vodPlay{sess: sess, f: f, name: name, log: c.srv.log, cmds: make(chan vodCmd, 8), args: sess.PlayArgs()}
	c.vod = v
	c.name = "vod/" + name
	c.leave = c.srv.addClient(&client{role: "play", proto: "rtmp", remote: sess.RemoteAddr(), stream: c.name, bytes: sess.BytesSent, kick: sess.Close})
	c.srv.log.Info("play", "proto", "rtmp", "vod", name, "remote", sess.RemoteAddr(), "start", v.args.Start, "duration", f.duration)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer f.close()
		v.run()
	}()
	return nil
}

// OnSeek and OnPause come from the session's reading goroutine.
func (c *rtmpConn) OnSeek(at time.Duration) {
	if c.vod != nil {
		c.vod.command(vodCmd{seek: true, at: at})
	}
}

func (c *rtmpConn) OnPause(pause bool, at time.Duration) {
	if c.vod != nil {
		c.vod.command(vodCmd{pause: pause, at: at})
	}
}

// command never blocks: a player that floods commands loses the oldest
// ones it sent.
func (v *vodPlay) command(cmd vodCmd) {
	for {
		select {
		case v.cmds <- cmd:
			return
		default:
		}
		select {
		case <-v.cmds:
		default:
		}
	}
}

func (v *vodPlay) run() {
	defer v.sess.Close()
	select {
	case <-v.sess.Playing():
	case <-v.sess.Done():
		return
	}
	start := max(v.args.Start, 0)
	end := time.Duration(-1)
	if v.args.Duration >= 0 {
		end = start + v.args.Duration
	}
	if err := v.restart(start); err != nil {
		v.log.Info("vod play ended", "vod", v.name, "err", err)
		return
	}
	var (
		paused bool
		ended  bool
		next   *Unit // read, not yet sent
		wall   = time.Now()
		base   = start // media time due at wall; -1: the next unit's
		timer  = time.NewTimer(0)
	)
	defer timer.Stop()
	for {
		// Send what is due.
		for !paused && !ended {
			if next == nil {
				u, err := v.f.src.next()
				if err != nil || end >= 0 && u.DTS > end {
					if err != nil && !errors.Is(err, io.EOF) {
						v.log.Warn("vod read failed", "vod", v.name, "err", err)
					}
					if v.finish() != nil {
						return
					}
					ended = true
					break
				}
				next = u
			}
			if base < 0 {
				base, wall = next.DTS, time.Now()
			}
			due := wall.Add(next.DTS - base - vodLead)
			if wait := time.Until(due); wait > 0 {
				if v.sess.Flush() != nil {
					return
				}
				timer.Reset(wait)
				break
			}
			if v.sess.WriteMedia(uint8(next.Kind), uint32(next.DTS/time.Millisecond), next.Body) != nil {
				return
			}
			next = nil
		}
		if v.sess.Flush() != nil {
			return
		}
		select {
		case <-v.sess.Done():
			return
		case <-timer.C:
		case cmd := <-v.cmds:
			switch {
			case cmd.seek:
				if v.sess.SendUserControl(rtmp.UserControlStreamEOF) != nil {
					return
				}
				if err := v.restartAt(cmd.at); err != nil {
					v.log.Info("vod play ended", "vod", v.name, "err", err)
					return
				}
				// Paced from the time asked for: what lies between the
				// keyframe and it goes at once.
				next, base, wall, ended, end = nil, cmd.at, time.Now(), false, -1
			case cmd.pause:
				if v.sess.SendStatus("NetStream.Pause.Notify", "Paused video on demand") != nil {
					return
				}
				paused = true
			default:
				if v.sess.SendStatus("NetStream.Unpause.Notify", "Unpaused video on demand") != nil {
					return
				}
				paused, base = false, -1 // paced again from now
			}
		}
	}
}

// restart sends the headers and moves the file to start.
func (v *vodPlay) restart(start time.Duration) error {
	if start > 0 {
		if err := v.f.src.seek(start); err != nil {
			return err
		}
	}
	return v.sendHeaders(start)
}

// restartAt is a seek: the file moves, the player is told, and the
// headers go again before the keyframe.
func (v *vodPlay) restartAt(at time.Duration) error {
	if err := v.f.src.seek(at); err != nil {
		return err
	}
	if err := v.sess.SendStatus("NetStream.Seek.Notify", "Seeking"); err != nil {
		return err
	}
	if err := v.sess.SendUserControl(rtmp.UserControlStreamBegin); err != nil {
		return err
	}
	return v.sendHeaders(at)
}

func (v *vodPlay) sendHeaders(at time.Duration) error {
	for _, h := range v.f.headers {
		if err := v.sess.WriteMedia(uint8(h.Kind), uint32(at/time.Millisecond), h.Body); err != nil {
			return err
		}
	}
	return nil
}

// finish tells the player the recording ended.
func (v *vodPlay) finish() error {
	if err := v.sess.SendUserControl(rtmp.UserControlStreamEOF); err != nil {
		return err
	}
	if err := v.sess.SendPlayStatus("NetStream.Play.Complete", 0); err != nil {
		return err
	}
	if err := v.sess.SendStatus("NetStream.Play.Stop", "Stopped video on demand"); err != nil {
		return err
	}
	return v.sess.Flush()
}
