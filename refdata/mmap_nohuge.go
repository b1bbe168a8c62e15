//go:build unix && !linux

package refdata

import "os"

// hugeMappings reports whether mapFile aligns large files for huge pages.
const hugeMappings = false

// mapLarge maps a large file as any other where huge pages of files are
// not asked for.
func mapLarge(f *os.File, path string, n uintptr) ([]byte, func() error, error) {
	return mapPlain(f, path, int(n))
}
