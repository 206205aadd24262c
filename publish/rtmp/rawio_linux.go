package rtmp

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// rawWriter makes one non-blocking writev on a socket, beside the runtime's
// poller: a write that would block returns at once with what the socket
// took. It goes through RawConn.Control, which keeps the descriptor open
// during the call, not RawConn.Write, whose poller bookkeeping (the write
// lock, deadline checks) costs as much as the rest of the fan-out: the
// caller serializes its writes itself (conn.wmu) and needs no deadline for
// a call that does not wait.
type rawWriter struct {
	ok    bool
	rc    syscall.RawConn
	iov   [2 * MaxFastMessages]syscall.Iovec
	niov  int
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) // w.write, made once: no allocation per call
}

// init readies w for nc; w.ok is false when nc is not a socket.
func (w *rawWriter) init(nc net.Conn) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	w.rc, w.fn, w.ok = rc, w.write, true
}

// writev writes bufs (the first 2×MaxFastMessages) without waiting, and returns how many
// bytes the socket took: 0 when its buffer is full.
func (w *rawWriter) writev(bufs [][]byte) (int, error) {
	w.niov = 0
	for _, p := range bufs {
		if w.niov == len(w.iov) {
			break
		}
		if len(p) > 0 {
			w.iov[w.niov].Base = &p[0]
			w.iov[w.niov].SetLen(len(p))
			w.niov++
		}
	}
	if w.niov == 0 {
		return 0, nil
	}
	err := w.rc.Control(w.fn)
	if err != nil {
		return 0, err
	}
	switch w.errno {
	case 0:
		return w.n, nil
	case syscall.EAGAIN:
		return 0, nil
	}
	return 0, w.errno
}

// write is the RawConn callback: one attempt, never a wait for the poller.
// The socket is non-blocking (the runtime's poller sets O_NONBLOCK), so
// writev returns at once, having copied what fits into the socket buffer:
// a raw system call, without telling the scheduler, as for other calls that
// cannot block. Through syscall.Syscall, a publisher fanning out to many
// players spends so long in system calls in a row that the runtime hands
// its P to another thread over and over, which costs more than the writes.
func (w *rawWriter) write(fd uintptr) {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&w.iov[0])), uintptr(w.niov))
		if e == syscall.EINTR {
			continue
		}
		w.n, w.errno = int(n), e
		return
	}
}

// rawReader reads a socket through RawConn.Read with raw read system calls:
// it parks on the runtime's poller while there is nothing to read, like
// net.Conn's Read (deadlines included), and reads without telling the
// scheduler, as the socket is non-blocking. A Read through the syscall
// package wakes the runtime's monitor thread (sysmon) from its deep sleep
// each time the process was idle, and sysmon then polls every 20 µs until
// the process idles again: for a server that wakes for every message of a
// publisher, that costs more than the read.
type rawReader struct {
	rc    syscall.RawConn
	p     []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool // r.read, made once: no allocation per call
}

func newRawReader(nc net.Conn) io.Reader {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nc
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nc
	}
	r := &rawReader{rc: rc}
	r.fn = r.read
	return r
}

func (r *rawReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.p = p
	err := r.rc.Read(r.fn)
	r.p = nil
	switch {
	case err != nil:
		return 0, err
	case r.errno != 0:
		return 0, r.errno
	case r.n == 0:
		return 0, io.EOF
	}
	return r.n, nil
}

// read is the RawConn callback: false asks the poller to wait until the
// socket is readable and call again.
func (r *rawReader) read(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&r.p[0])), uintptr(len(r.p)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		r.n, r.errno = int(n), e
		if e != 0 {
			r.n = 0
		}
		return true
	}
}
