//go:build unix

package variantdb

import "syscall"

// cpuSeconds is the CPU time (user + system, every thread) the process
// has used: a build's cost that a loaded machine does not inflate the way
// it does wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
