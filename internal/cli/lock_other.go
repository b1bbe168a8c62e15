//go:build !unix

package cli

// lockDataDir is a no-op where flock is unavailable; run one server per
// data directory there.
func lockDataDir(string) (func(), error) { return func() {}, nil }
