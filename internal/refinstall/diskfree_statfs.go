//go:build linux || darwin || freebsd

package refinstall

import "syscall"

// freeSpace is the space available to this user on the file system that
// holds dir.
func freeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(uint64(st.Bavail) * uint64(st.Bsize)), nil
}
