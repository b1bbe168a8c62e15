package vcf

import (
	"bytes"
	"compress/gzip"
	"context"
	"github.com/gas-project/gas/internal/sharedtest"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

var benchData = sync.OnceValue(func() []byte { return genVCF(200_000, 42) })

// BenchmarkReadBlock measures header parsing plus splitting the whole input
// into blocks, for each input encoding; MB/s is decompressed VCF text.
func BenchmarkReadBlock(b *testing.B) {
	plain := benchData()
	inputs := []struct {
		name string
		data []byte
		opt  ReaderOptions
	}{
		{"plain", plain, ReaderOptions{}},
		{"gzip", gzipBytes(b, plain), ReaderOptions{}},
		{"bgzf-1", bgzfBytes(b, plain, 0), ReaderOptions{Workers: 1}},
		{"bgzf-2", bgzfBytes(b, plain, 0), ReaderOptions{Workers: 2}},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			var blk Block
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(in.data), in.opt)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if err := r.ReadBlock(&blk, 4096); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
				r.Close()
			}
		})
	}
}

// BenchmarkStdlibGzip is the reference point for BenchmarkReadBlock/gzip:
// compress/gzip decompression alone, no line handling.
func BenchmarkStdlibGzip(b *testing.B) {
	plain := benchData()
	gz := gzipBytes(b, plain)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		zr, _ := gzip.NewReader(bytes.NewReader(gz))
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseRecord parses every line of a block; MB/s is line bytes.
func BenchmarkParseRecord(b *testing.B) {
	r, err := NewReader(bytes.NewReader(benchData()), ReaderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var blk Block
	if err := r.ReadBlock(&blk, 100_000); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(blk.Bytes()))
	b.ReportAllocs()
	var rec Record
	for b.Loop() {
		for i := range blk.Len() {
			if err := ParseRecord(blk.Line(i), blk.LineNo(i), &rec); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*blk.Len()), "ns/record")
}

// BenchmarkAppendRecord rebuilds lines with an ID and an INFO addition, as
// the annotator does for every record.
func BenchmarkAppendRecord(b *testing.B) {
	r, _ := NewReader(bytes.NewReader(benchData()), ReaderOptions{})
	var blk Block
	r.ReadBlock(&blk, 10_000)
	recs := make([]Record, blk.Len())
	for i := range recs {
		ParseRecord(blk.Line(i), blk.LineNo(i), &recs[i])
	}
	b.SetBytes(int64(blk.Bytes()))
	b.ReportAllocs()
	var out []byte
	id, add := []byte("rs123"), []byte("ANN=C|missense_variant|MODERATE")
	for b.Loop() {
		out = out[:0]
		for i := range recs {
			out = AppendRecord(out, &recs[i], id, add)
		}
	}
}

// BenchmarkBGZFWrite compresses the benchmark VCF; MB/s is uncompressed
// input. The ratio metric is compressed/uncompressed size.
func BenchmarkBGZFWrite(b *testing.B) {
	plain := benchData()
	for _, level := range []int{2, 6} {
		for _, workers := range []int{1, 2} {
			b.Run("level"+strconv.Itoa(level)+"-workers"+strconv.Itoa(workers), func(b *testing.B) {
				b.SetBytes(int64(len(plain)))
				b.ReportAllocs()
				var n countWriter
				for b.Loop() {
					n = 0
					bw, _ := NewBGZFWriterLevel(&n, workers, level)
					for p := plain; len(p) > 0; p = p[min(len(p), 32<<10):] {
						bw.Write(p[:min(len(p), 32<<10)])
					}
					if err := bw.Close(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)/float64(len(plain)), "ratio")
			})
		}
	}
}

// BenchmarkStdlibGzipWrite is compress/gzip at its default level, what a
// naive writer would use, for comparison with BenchmarkBGZFWrite.
func BenchmarkStdlibGzipWrite(b *testing.B) {
	plain := benchData()
	b.SetBytes(int64(len(plain)))
	var n countWriter
	for b.Loop() {
		n = 0
		zw := gzip.NewWriter(&n)
		zw.Write(plain)
		zw.Close()
	}
	b.ReportMetric(float64(n)/float64(len(plain)), "ratio")
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// BenchmarkBGZFWriteKnownVariants compresses real dbSNP records (the shared
// vep-chr21 known variants, 5.8 MB of text), to compare with `bgzip -@1`.
func BenchmarkBGZFWriteKnownVariants(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(sharedtest.Dir(b), "vep-chr21", "known_variants.vcf.gz"))
	if err != nil {
		b.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	for _, level := range []int{1, 2, 3, 4, 5, 6} {
		b.Run("level"+strconv.Itoa(level), func(b *testing.B) {
			b.SetBytes(int64(len(plain)))
			var n countWriter
			for b.Loop() {
				n = 0
				bw, _ := NewBGZFWriterLevel(&n, 1, level)
				bw.Write(plain)
				if err := bw.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/float64(len(plain)), "ratio")
		})
	}
}

// BenchmarkCountRecords is the pre-count a progress bar waits for.
func BenchmarkCountRecords(b *testing.B) {
	plain := benchData()
	bg := bgzfBytes(b, plain, 0)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		if _, err := CountRecords(context.Background(), bytes.NewReader(bg), ReaderOptions{Workers: 2}); err != nil {
			b.Fatal(err)
		}
	}
}
