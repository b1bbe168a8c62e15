//go:build unix

package refdata

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile memory-maps path read-only. The pages are loaded by the kernel on
// first touch and shared between processes opening the same bundle, which is
// what keeps Open fast and memory flat for a whole-genome bundle. A file of
// a huge page or more goes to mapLarge, which on Linux maps it for huge
// pages (mmap_linux.go).
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
	if size != int64(int(size)) || uint64(size) > ^uint64(0)>>2 {
		return nil, nil, fmt.Errorf("mmap %s: file too large", path)
	}
	if size >= hugePage {
		return mapLarge(f, path, uintptr(size))
	}
	return mapPlain(f, path, int(size))
}

// mapPlain maps the whole file wherever the kernel places it.
func mapPlain(f *os.File, path string, size int) ([]byte, func() error, error) {
	data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	return data, func() error { return unix.Munmap(data) }, nil
}
