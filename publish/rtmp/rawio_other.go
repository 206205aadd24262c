//go:build !linux

package rtmp

import (
	"io"
	"net"
)

// rawWriter and rawReader are Linux-only: elsewhere every media write goes
// through the blocking path, and reads through net.Conn.
type rawWriter struct{ ok bool }

func (*rawWriter) init(net.Conn) {}

func (*rawWriter) writev([][]byte) (int, error) { return 0, nil }

func newRawReader(nc net.Conn) io.Reader { return nc }
