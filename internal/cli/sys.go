package cli

import "runtime"

// numCPU is the number of cores, split among concurrent annotation jobs.
func numCPU() int { return runtime.NumCPU() }
