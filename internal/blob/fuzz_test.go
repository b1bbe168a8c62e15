package blob

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzValidKey checks the one property that matters: a key that passes
// maps to a path strictly inside the store's root.
func FuzzValidKey(f *testing.F) {
	for _, k := range []string{"user/1/x/result.vcf.gz", "../x", "a/../../b", "/etc/passwd", ".meta/a", "a//b", "a/./b", `a\b`} {
		f.Add(k)
	}
	s := &FS{root: "/srv/gas/blobs"}
	f.Fuzz(func(t *testing.T, key string) {
		if ValidKey(key) != nil {
			return
		}
		p := s.path(key)
		rel, err := filepath.Rel(s.root, p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
			t.Fatalf("key %q maps to %q, outside %q", key, p, s.root)
		}
		if strings.HasPrefix(rel, metaDir) {
			t.Fatalf("key %q reaches the metadata folder", key)
		}
	})
}
