//go:build unix

package api_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used, every
// thread counted (the collector's too): benchmarks report it beside the
// wall time, which a machine shared with other work makes noisy.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
