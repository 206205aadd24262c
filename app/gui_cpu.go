package app

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strconv"
	"time"
)

// cpuMeter measures this process's CPU use from /proc/self/stat (user +
// system time), as a percentage of one core like top shows it.
type cpuMeter struct {
	lastTicks int64
	lastAt    time.Time
	ok        bool
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// sample returns the CPU percentage since the previous call; ok is false
// on the first call and where /proc is missing.
func (m *cpuMeter) sample() (pct float64, ok bool) {
	ticks, err := readProcTicks()
	now := time.Now()
	if err != nil {
		return 0, false
	}
	if m.ok {
		dt := now.Sub(m.lastAt).Seconds()
		if dt > 0 {
			pct = float64(ticks-m.lastTicks) / clockTicks / dt * 100
			ok = true
		}
	}
	m.lastTicks, m.lastAt, m.ok = ticks, now, true
	return pct, ok
}

// cores is how many cores the percentage is out of.
func (m *cpuMeter) cores() int { return runtime.NumCPU() }

func readProcTicks() (int64, error) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, err
	}
	return parseProcStatTicks(b)
}

// parseProcStatTicks reads utime + stime (fields 14 and 15) from a
// /proc/PID/stat line; the command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last ')'.
func parseProcStatTicks(b []byte) (int64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("/proc/self/stat: no command field")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state): utime is field 14, f[11]; stime f[12].
	if len(f) < 13 {
		return 0, errors.New("/proc/self/stat: too few fields")
	}
	u, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("/proc/self/stat: bad utime or stime")
	}
	return u + s, nil
}
