package blob

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// tempPattern names the temporary files of unfinished writes; RemoveTemp
// finds them by it.
const tempPattern = ".tmp-*"

// WriteAtomic replaces the file at path with what write puts in it, so
// that readers, and the disk after a crash, see the old file or the whole
// new one: write fills a temporary file in the same directory, which is
// synced, closed and renamed over path, and then the directory is synced.
// beforeRename, when set, runs between the sync and the rename (to drop
// metadata that would describe the old file). On any error the temporary
// file is removed, path is left as it was, and the error says which step
// failed. The local file store and the local archive write every file
// through it.
func WriteAtomic(path string, write func(w io.Writer) error, beforeRename func() error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close() // a second Close only returns an error, ignored here
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	// Sync before rename: after a crash the name must not point at a file
	// whose data never reached the disk.
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if beforeRename != nil {
		if err := beforeRename(); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	renamed = true
	// The rename itself lives in the directory; sync it so the new name
	// survives a power cut, not just the data.
	return SyncDir(dir)
}
