// Package sharedtest locates the read-only test data that sits beside the
// checkout (../shared/testdata from the module root) for tests in any package.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns ../shared/testdata (joined with parts) seen from the module
// root. It skips the test when the path is absent: a fresh clone has no
// shared data beside it, CI has.
func Dir(t testing.TB, parts ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("go.mod not found above the test directory; shared test data unavailable")
		}
		dir = parent
	}
	p := filepath.Join(append([]string{dir, "..", "shared", "testdata"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared test data not found at %s (it sits beside the checkout in CI): %v", p, err)
	}
	return p
}
