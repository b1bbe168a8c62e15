//go:build unix

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir takes an exclusive lock on <dir>/gas.lock so that two
// servers never share one data directory (the embedded mode assumes it is
// the only worker of its queue). The lock dies with the process, crash
// included; release closes it.
func lockDataDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, "gas.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data dir %s is in use by another gas process (lock %s): %w", dir, path, err)
	}
	return func() { f.Close() }, nil
}
