package main

import (
	"os"
	"syscall"
)

// maxrssFromSys reads the peak RSS (MB) from the rusage of a finished
// process.
func maxrssFromSys(ps *os.ProcessState) float64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	return 0
}
