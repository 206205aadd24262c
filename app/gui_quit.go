package app

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// quitGrace is how long the window toolkit gets, once asked to quit, to
// return from its run loop before quitWatch ends the program itself.
const quitGrace = 3 * time.Second

// quitWatch covers a race in Fyne 2.7.1 (still in its main branch):
// when the GL loop ends it queues the app's "stopped" hook (Fyne's own,
// which saves the preferences) and drains its function queue by
// looking at what has reached the queue's output. The hook, handed to
// that queue by another goroutine, can still be on its way: it is then
// never run, the lifecycle goroutine waits for it for ever, and
// ShowAndRun never returns (seen twice in CI under load: the window
// shut, the process stayed). Nothing in Fyne's API reaches that queue,
// so the watch ends the program instead: once asked to quit, if
// ShowAndRun has not returned within quitGrace, it stops the engines
// the way runGUI does after ShowAndRun (a recording is finished, a
// broadcast sends what is queued) and calls exit(0).
type quitWatch struct {
	quitting  chan struct{} // closed when the loop is asked to end
	quitOnce  sync.Once
	returned  chan struct{} // closed when ShowAndRun returned
	wg        sync.WaitGroup
	grace     time.Duration
	onTimeout func() // stops the engines, then ends the process
}

// newQuitWatch starts the watch: ctx ending asks the loop to end with
// quit (via fyne.Do), and the grace starts from then or from quitLoop.
func newQuitWatch(ctx context.Context, grace time.Duration, quit, onTimeout func()) *quitWatch {
	q := &quitWatch{quitting: make(chan struct{}), returned: make(chan struct{}), grace: grace, onTimeout: onTimeout}
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		select {
		case <-ctx.Done():
			q.asked()
			fyne.Do(quit)
		case <-q.quitting:
		case <-q.returned:
			return
		}
		t := time.NewTimer(q.grace)
		defer t.Stop()
		select {
		case <-q.returned:
		case <-t.C:
			q.onTimeout()
		}
	}()
	return q
}

// asked records that the loop was asked to end; any goroutine.
func (q *quitWatch) asked() { q.quitOnce.Do(func() { close(q.quitting) }) }

// done is called when ShowAndRun has returned; it waits for the watch.
func (q *quitWatch) done() {
	close(q.returned)
	q.wg.Wait()
}
