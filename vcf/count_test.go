package vcf

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestCountRecords(t *testing.T) {
	t.Parallel()
	plain := genVCF(12345, 41)
	withBlanks := append(append([]byte{}, plain...), "\n\r\n1\t5\t.\tA\tC\t.\t.\t."...)
	for name, tc := range map[string]struct {
		in   []byte
		want int64
	}{
		"plain":  {plain, 12345},
		"gzip":   {gzipBytes(t, plain), 12345},
		"bgzf":   {bgzfBytes(t, plain, 2), 12345},
		"blanks": {withBlanks, 12346},
		"header": {[]byte(testHeader), 0},
	} {
		n, err := CountRecords(context.Background(), bytes.NewReader(tc.in), ReaderOptions{Workers: 2})
		if err != nil || n != tc.want {
			t.Errorf("%s: CountRecords = %d, %v; want %d", name, n, err, tc.want)
		}
	}
	gz := gzipBytes(t, plain)
	_, err := CountRecords(context.Background(), bytes.NewReader(gz[:len(gz)/2]), ReaderOptions{})
	expectParseError(t, err, -1, "truncated gzip input")
	_, err = CountRecords(context.Background(), bytes.NewReader([]byte("no")), ReaderOptions{})
	expectParseError(t, err, 1, "not a VCF file")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CountRecords(ctx, bytes.NewReader(plain), ReaderOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	// Cancelled while counting: the reader cancels after its first read.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	n, err := CountRecords(ctx, &cancelReader{r: bytes.NewReader(plain), cancel: cancel}, ReaderOptions{})
	if !errors.Is(err, context.Canceled) || n >= 12345 {
		t.Errorf("cancelled while counting: %d, %v", n, err)
	}
}

type cancelReader struct {
	r      *bytes.Reader
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	defer c.cancel()
	return c.r.Read(p[:min(len(p), 4096)])
}
