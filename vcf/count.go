package vcf

import (
	"context"
	"io"
)

// CountRecords reads a whole VCF and returns the number of data lines (empty
// lines excluded), the total a progress bar needs before annotation starts.
// It applies the same detection, header checks and limits as NewReader but
// neither copies nor parses records, so it costs little more than
// decompression. ctx is checked every few thousand lines.
func CountRecords(ctx context.Context, in io.Reader, opt ReaderOptions) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	r, err := NewReader(in, opt)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var n int64
	for i := 0; ; i++ {
		if i&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		line, err := r.nextLine()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if len(line) > 0 {
			n++
		}
	}
}
