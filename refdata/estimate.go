package refdata

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dustin/go-humanize"
)

// The space check reads the start of each large input: how much a gzip
// file inflates (sampleBytes of it), and how many bytes a source takes in
// the bundle per byte of input (sampleRecords records encoded for real).
const (
	sampleBytes   = 8 << 20
	sampleRecords = 20000
	spaceSlack    = 64 << 20
)

var errSampled = errors.New("sample complete")

// freeSpace is freeBytes, replaceable in tests.
var freeSpace = freeBytes

// checkSpace estimates what the build writes into dir's filesystem and
// refuses to start when less is free, saying what is needed.
func checkSpace(ctx context.Context, opt BuildOptions, specs []SourceSpec, dir string) error {
	free, ok := freeSpace(dir)
	if !ok {
		return nil
	}
	need, parts, err := estimateBuild(ctx, opt, specs)
	if err != nil {
		return err
	}
	need += spaceSlack
	if need <= free {
		return nil
	}
	return fmt.Errorf("not enough disk space in %s: the bundle needs about %s (%s; estimated from the inputs), %s is free (free some space, build elsewhere with --out, or skip this check with --no-space-check)",
		dir, humanize.IBytes(uint64(need)), strings.Join(parts, ", "), humanize.IBytes(uint64(free)))
}

// estimateBuild returns the bytes the bundle will take and a breakdown.
func estimateBuild(ctx context.Context, opt BuildOptions, specs []SourceSpec) (int64, []string, error) {
	var total int64
	var parts []string
	if opt.FASTA != "" {
		n, err := inflatedSize(opt.FASTA)
		if err != nil {
			return 0, nil, err
		}
		total += n
		parts = append(parts, "sequence "+humanize.IBytes(uint64(n)))
	}
	for _, spec := range specs {
		n, err := estimateSource(ctx, spec)
		if err != nil {
			return 0, nil, err
		}
		total += n
		parts = append(parts, "source "+spec.Name+" "+humanize.IBytes(uint64(n)))
	}
	return total, parts, nil
}

// inflatedSize estimates the decompressed size of a file: its size when
// plain, else its size times the ratio measured on its first sampleBytes.
func inflatedSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	br := bufio.NewReader(io.LimitReader(f, sampleBytes))
	magic, _ := br.Peek(2)
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return st.Size(), nil
	}
	gz, err := gzip.NewReader(br)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	n, _ := io.Copy(io.Discard, gz) // a cut stream ends in an error: expected
	read := min(st.Size(), sampleBytes)
	if read == 0 {
		return 0, nil
	}
	return int64(float64(n) / float64(read) * float64(st.Size())), nil
}

// countSink counts what a source would take in the bundle.
type countSink struct{ bytes int64 }

func (c *countSink) record(int, uint32) error { return nil }
func (c *countSink) add(_ int, _, _ uint32, body []byte) error {
	c.bytes += 8 + 1 + int64(len(body)) + 1 // key, length, body, block tables
	return nil
}
func (c *countSink) finish() (int, error) { return 0, nil }

// estimateSource encodes the first records of a source and scales their
// size by the input size.
func estimateSource(ctx context.Context, spec SourceSpec) (int64, error) {
	total, err := inflatedSize(spec.Path)
	if err != nil {
		return 0, err
	}
	src, err := openSource(spec.Path, spec.Kind+":"+spec.Name, "", nil)
	if err != nil {
		return 0, err
	}
	defer src.close()
	cr := &byteCounter{r: src.r}
	cnt := &countSink{}
	b := &srcBuild{ctx: ctx, spec: spec, cs: newContigSet(nil, ""), rep: &SourceReport{}, sink: cnt, file: spec.Path,
		lastID: -1, limit: sampleRecords}
	lr := &lineReader{br: bufio.NewReaderSize(cr, 1<<16)}
	var info SourceInfo
	if spec.Kind == KindKnown {
		err = b.readVCF(lr, &info)
	} else {
		err = b.readTable(lr, &info)
	}
	if err != nil && !errors.Is(err, errSampled) {
		return 0, err
	}
	if cr.n == 0 || cnt.bytes == 0 {
		return 0, nil
	}
	if !errors.Is(err, errSampled) {
		return cnt.bytes, nil // the whole file was read
	}
	return int64(float64(cnt.bytes) / float64(cr.n) * float64(total)), nil
}

type byteCounter struct {
	r io.Reader
	n int64
}

func (c *byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
