//go:build !unix

package sp_test

// cpuTime is unknown here; benchmarks then report no cpu-ns/op.
func cpuTime() int64 { return 0 }
