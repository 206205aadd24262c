package peer

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// UnwritableDir makes a folder inside parent in which no file can be
// created, for tests of what a program says then. Mode 0555 is enough for
// an ordinary user; root ignores modes, so for root the folder is also
// made immutable (chattr +i, from e2fsprogs). cleanup undoes that so the
// test's temporary folder can be removed.
func UnwritableDir(parent string) (dir string, cleanup func(), err error) {
	dir = filepath.Join(parent, "unwritable")
	if err := os.Mkdir(dir, 0o555); err != nil {
		return "", nil, err
	}
	cleanup = func() {}
	if writable(dir) {
		chattr, err := Require("chattr", "e2fsprogs")
		if err != nil {
			return "", nil, err
		}
		if out, err := exec.Command(chattr, "+i", dir).CombinedOutput(); err != nil {
			return "", nil, fmt.Errorf("chattr +i %s (root ignores folder modes; the immutable flag needs a file system that has it): %w: %s", dir, err, out)
		}
		cleanup = func() { _ = exec.Command(chattr, "-i", dir).Run() }
	}
	if writable(dir) {
		cleanup()
		return "", nil, errors.New("cannot make a folder unwritable here")
	}
	return dir, cleanup, nil
}

func writable(dir string) bool {
	f, err := os.CreateTemp(dir, "probe")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}
