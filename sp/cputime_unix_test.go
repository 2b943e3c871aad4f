//go:build unix

package sp_test

import "syscall"

// cpuTime is the CPU time this process has used, in nanoseconds (user + system, every
// thread, the garbage collector's included). On a shared machine it moves far less than
// wall time when neighbours are busy.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
