package refdata

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// recordWrites notes the size of every write it is given.
type recordWrites struct {
	sizes []int
	buf   bytes.Buffer
}

func (r *recordWrites) Write(p []byte) (int, error) {
	r.sizes = append(r.sizes, len(p))
	return r.buf.Write(p)
}

// TestBundleWriterAlignedWrites: small writes and a copy from a file (the
// way srcWriter appends its tables) reach the file only in whole 2 MiB
// writes, the last one excepted, and nothing is lost or reordered.
func TestBundleWriterAlignedWrites(t *testing.T) {
	tmp, err := os.CreateTemp(t.TempDir(), "table")
	if err != nil {
		t.Fatal(err)
	}
	table := bytes.Repeat([]byte("0123456789abcdef"), 300_000) // 4.8 MB
	if _, err := tmp.Write(table); err != nil {
		t.Fatal(err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	rec := &recordWrites{}
	w := newBundleWriter(rec)
	for i := 0; i < 200_000; i++ {
		line := []byte{byte(i), byte(i >> 8), ';', byte(i >> 16), '\n'}[:1+i%5]
		w.Write(line)
		want.Write(line)
	}
	if _, err := io.Copy(w, tmp); err != nil {
		t.Fatal(err)
	}
	want.Write(table)
	w.Write([]byte("tail"))
	want.WriteString("tail")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rec.buf.Bytes(), want.Bytes()) {
		t.Fatalf("written %d bytes differ from the %d given", rec.buf.Len(), want.Len())
	}
	if len(rec.sizes) < 3 {
		t.Fatalf("%d writes for %d bytes", len(rec.sizes), want.Len())
	}
	for i, n := range rec.sizes[:len(rec.sizes)-1] {
		if n != hugePage {
			t.Fatalf("write %d of %d is %d bytes, want %d: sizes %v", i, len(rec.sizes), n, hugePage, rec.sizes)
		}
	}
}

// TestMapFileLarge: a file of several huge pages maps whole and, where
// the platform maps with huge pages, at an address aligned to one; a small
// file and an empty one map too. Closing unmaps.
func TestMapFileLarge(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 100, hugePage - 1, hugePage, 3*hugePage + 12345} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*7 + i>>13)
		}
		path := filepath.Join(dir, "f")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, closeFn, err := mapFile(path)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(m, data) {
			t.Fatalf("size %d: mapped %d bytes differ from the file", size, len(m))
		}
		if hugeMappings && size >= hugePage && uintptr(unsafe.Pointer(&m[0]))%hugePage != 0 {
			t.Errorf("size %d mapped at %p, not aligned to %d", size, &m[0], hugePage)
		}
		if closeFn != nil {
			if err := closeFn(); err != nil {
				t.Fatalf("size %d: unmap: %v", size, err)
			}
		}
	}
}
