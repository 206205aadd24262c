//go:build !linux

package rtmp

import "syscall"

// readLink: the kernel's figures are read on Linux only.
func readLink(syscall.RawConn) (Link, bool) { return Link{}, false }
