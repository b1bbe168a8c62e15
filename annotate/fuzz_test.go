package annotate

import (
	"bytes"
	"context"
	"io"
	"testing"
)

// FuzzAnnotate feeds arbitrary VCF text through the whole pipeline on the
// model reference: it must never panic, and it either succeeds or returns an
// error (input errors as *InputError).
func FuzzAnnotate(f *testing.F) {
	g := modelGenome()
	f.Add([]byte(vcfHead + "m\t44\t.\tG\tA,C\t.\tPASS\tDP=3\n"))
	f.Add([]byte(vcfHead + "m\t49\t.\tGAAACCC\tG\t.\t.\t.\nm\t60\t.\t" + string(g[59:62]) + "\t" + string(g[59]) + "\t.\t.\t.\n"))
	f.Add([]byte(vcfHead + "m\t131\t.\tAC\tA,<DEL>,*\t.\t.\t.\nns\t44\t.\tG\tGT\t.\t.\t.\n"))
	f.Add([]byte(vcfHead + "m\t1\t.\t" + string(g[0]) + "\t" + string(g[0]) + "TTTTTTT\t.\t.\t.\nm\t200\t.\t" + string(g[199]) + "\tA\t.\t.\t.\n"))
	f.Add([]byte(vcfHead + "m\t41\t.\tATGGCTTGG\tA\t.\t.\t.\nm\t100\t.\tGAAAAAAAAAA\tG\t.\t.\t.\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ref := modelRef()
		_, err := run(context.Background(), bytes.NewReader(in), io.Discard, ref, bundleMeta{}, Options{Workers: 2})
		if err != nil && !IsInputError(err) {
			t.Fatalf("non-input error: %v", err)
		}
		_, _ = run(context.Background(), bytes.NewReader(in), io.Discard, ref, bundleMeta{}, Options{Workers: 1, OnError: Skip, Transcripts: Pick})
	})
}
