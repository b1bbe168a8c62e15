// Package e2e holds the end-to-end proofs of issue 4: the real gas binary is
// built once, started as a child process on a temporary data directory, and
// driven over HTTP the way a browser would, through bursts of uploads,
// SIGKILLs and restarts. Bad-input jobs are checked in-process on the real
// store, queue and worker. The package has no code outside its tests.
package e2e
