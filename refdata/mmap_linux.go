package refdata

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapLarge maps a file of at least a huge page at an address aligned to
// one and marks it MADV_HUGEPAGE. Lookups along a sorted VCF touch a fresh
// page of each large file every few records; with 4 KiB pages each first
// touch costs a page-table and TLB fill (about 1.3 µs on a virtual machine
// with nested paging, see docs/benchmarks.md); with 2 MiB pages one in 512
// does. Linux maps a file with huge pages where its page cache holds it in
// 2 MiB folios: files written in aligned 2 MiB chunks (newBundleWriter), or
// read in from disk through such a mapping. A file already cached in small
// pages (read with read(2) while cold, copied in by another program) maps
// as an ordinary mapping until the kernel drops it from the cache.
func mapLarge(f *os.File, path string, n uintptr) ([]byte, func() error, error) {
	// Reserve address space one huge page larger than the file, place the
	// file at the first aligned address inside it and give back the rest.
	resv := n + hugePage
	base, err := unix.MmapPtr(-1, 0, nil, resv, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap %s: reserve: %w", path, err)
	}
	head := (hugePage - uintptr(base)%hugePage) % hugePage
	addr, err := unix.MmapPtr(int(f.Fd()), 0, unsafe.Add(base, head), n, unix.PROT_READ, unix.MAP_SHARED|unix.MAP_FIXED)
	if err != nil {
		unix.MunmapPtr(base, resv)
		return nil, nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	page := uintptr(os.Getpagesize())
	end := head + (n+page-1)&^(page-1) // offset in the reservation
	if head > 0 {
		unix.MunmapPtr(base, head)
	}
	if end < resv {
		unix.MunmapPtr(unsafe.Add(base, end), resv-end)
	}
	data := unsafe.Slice((*byte)(addr), n)
	// Advice only: where transparent huge pages are off it fails, and the
	// mapping stays an ordinary one.
	_ = unix.Madvise(data, unix.MADV_HUGEPAGE)
	return data, func() error { return unix.MunmapPtr(addr, n) }, nil
}

// hugeMappings reports whether mapFile aligns large files for huge pages.
const hugeMappings = true
