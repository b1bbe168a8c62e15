package archive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// envFailingDisk makes the test binary, run as a child, the process whose
// writes fail (TestSidecarWriteFailureIsReported).
const envFailingDisk = "GAS_TEST_ARCHIVE_FAILING_DISK"

// TestSidecarWriteFailureIsReported writes an object on a "disk" that
// refuses writes past a few dozen bytes: a child process of this test
// binary, run with RLIMIT_FSIZE lowered, so the write of the metadata
// sidecar fails for real (EFBIG) after the small compressed object went
// through. Put must report the failure and must not leave a truncated
// sidecar in place. The limit is set in a child so the other tests keep
// their disk.
func TestSidecarWriteFailureIsReported(t *testing.T) {
	if dir := os.Getenv(envFailingDisk); dir != "" {
		failingDiskChild(dir)
		return
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSidecarWriteFailureIsReported$", "-test.count=1")
	cmd.Env = append(os.Environ(), envFailingDisk+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "put failed:") {
		t.Fatalf("Put on a failing disk reported no error:\n%s", out)
	}
	side := filepath.Join(dir, metaDir, "user", "1", "j", "result.vcf.gz.json")
	if b, err := os.ReadFile(side); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a sidecar was left after the failed write (%d bytes %q, err %v)", len(b), b, err)
	}
}

// failingDiskChild is the child's side: Put with files limited to 48
// bytes, which the compressed object fits and its sidecar does not.
func failingDiskChild(dir string) {
	// Past the limit the kernel sends SIGXFSZ, which would kill the
	// process; ignored, the write fails with EFBIG instead.
	signal.Ignore(syscall.SIGXFSZ)
	s, err := NewLocal(LocalConfig{Dir: dir})
	if err != nil {
		fmt.Println("setup:", err)
		os.Exit(2)
	}
	lim := syscall.Rlimit{Cur: 48, Max: 48}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fmt.Println("setrlimit:", err)
		os.Exit(2)
	}
	if _, err := s.Put(context.Background(), "user/1/j/result.vcf.gz", strings.NewReader("x")); err != nil {
		fmt.Println("put failed:", err)
	} else {
		fmt.Println("put succeeded")
	}
	os.Exit(0)
}
