//go:build unix && !linux

package refdata

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile memory-maps path read-only. The pages are loaded by the kernel on
// first touch and shared between processes opening the same bundle, which is
// what keeps Open fast and memory flat for a whole-genome bundle.
func mapFile(path string) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	if size == 0 {
		return nil, nil, nil
	}
	if size != int64(int(size)) {
		return nil, nil, fmt.Errorf("mmap %s: file too large", path)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}

// hugeMappings reports whether mapFile aligns large files for huge pages.
const hugeMappings = false
