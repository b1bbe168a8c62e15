//go:build unix

package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// An output that is a FIFO (or a device such as /dev/null) is written in
// place; renaming a temporary file over it would replace the node.
func TestAnnotateOutputToFIFOKeepsIt(t *testing.T) {
	t.Parallel()
	bundle := demoBundle(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "demo.vcf")
	if err := os.WriteFile(in, refdata.DemoVCF(), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until the command opens it for writing
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	code, _, errOut := run(t, nil, "annotate", "--bundle", bundle, "-o", fifo, in)
	if code != 0 {
		t.Fatalf("annotate -o FIFO: exit %d\n%s", code, errOut)
	}
	st, err := os.Lstat(fifo)
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: mode %v, %v", st.Mode(), err)
	}
	if out := <-got; !strings.HasPrefix(out, "##fileformat=VCF") {
		t.Fatalf("reader got %.200q", out)
	}
}
