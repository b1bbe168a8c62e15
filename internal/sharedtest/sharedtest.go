// Package sharedtest is test data for tests in any package: it locates the
// read-only data that sits beside the checkout (../shared/testdata from the
// module root) and makes the small inputs many tests need (gzip files).
package sharedtest

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// Gzip returns b gzip-compressed, as an uploaded .vcf.gz would be.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

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
