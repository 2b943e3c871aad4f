//go:build !unix

package redisstore_test

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
