//go:build !unix

package refdata

import "os"

// mapFile reads the whole file where memory mapping is not available.
func mapFile(path string) ([]byte, func() error, error) {
	data, err := os.ReadFile(path)
	return data, nil, err
}

// hugeMappings reports whether mapFile aligns large files for huge pages.
const hugeMappings = false
