package vcf

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"time"
)

// TestNoGoroutineLeak checks that the parallel BGZF reader and writer stop
// all their goroutines on Close, whether the stream was read to the end,
// abandoned early or broken. It does not call t.Parallel so that no other
// test's goroutines are counted.
func TestNoGoroutineLeak(t *testing.T) {
	plain := genVCF(20000, 21)
	bg := bgzfBytes(t, plain, 2)
	before := runtime.NumGoroutine()

	for _, in := range [][]byte{bg, bg[:len(bg)/2], corruptMiddle(bg)} {
		r, err := NewReader(bytes.NewReader(in), ReaderOptions{Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		var b Block
		for r.ReadBlock(&b, 0) == nil {
		}
		r.Close()
	}
	r, err := NewReader(bytes.NewReader(bg), ReaderOptions{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // abandoned right after the header
	// Abandoned while decompressing a plain gzip member after BGZF ones.
	mixed := slicesConcat(bgzfBytes(t, plain[:len(genHeader)], 1), gzipBytes(t, plain[len(genHeader):]))
	for _, blocks := range []int{0, 1, 1000} {
		r, err := NewReader(bytes.NewReader(mixed), ReaderOptions{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		var b Block
		for i := 0; i < blocks && r.ReadBlock(&b, 10) == nil; i++ {
		}
		r.Close()
	}
	// A header error after BGZF detection must not leak either.
	if _, err := NewReader(bytes.NewReader(bgzfBytes(t, []byte("##fileformat=VCFv4.2\n"), 1)), ReaderOptions{}); err == nil {
		t.Fatal("header without #CHROM accepted")
	}
	bw := NewBGZFWriter(io.Discard, 3)
	bw.Write(plain)
	bw.Close()
	bw = NewBGZFWriter(&failWriter{err: io.ErrShortWrite}, 3)
	bw.Write(plain)
	bw.Close()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
