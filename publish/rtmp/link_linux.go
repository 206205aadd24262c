package rtmp

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// readLink asks the kernel for the socket's TCP_INFO (Linux 4.6 or later
// fills the fields Link uses; an older one leaves them zero).
func readLink(rc syscall.RawConn) (Link, bool) {
	var info *unix.TCPInfo
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); cerr != nil || err != nil {
		return Link{}, false
	}
	return Link{Unsent: int(info.Notsent_bytes), Acked: info.Bytes_acked}, true
}
