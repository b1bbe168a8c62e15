package web

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gas-project/gas"
)

// maxLineBytes is the longest VCF line accepted at upload; the engine's
// default limit is the same 1 MiB.
const maxLineBytes = 1 << 20

// checkVCF reads a whole (plain, gzip or BGZF) VCF and reports the first
// problem in words for the user as an EINVALID *gas.Error, or the number of
// data records. It checks what the annotator will need: the fileformat line,
// the #CHROM header, eight columns and a numeric POS per record, and intact
// compression to the last byte (a truncated upload fails here, not in the
// worker). maxBytes caps the decompressed size, against compression bombs.
func checkVCF(ctx context.Context, r io.Reader, maxBytes int64) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("check vcf: %w", err)
	}
	var src io.Reader = br
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		// gzip.Reader reads concatenated members, which is what BGZF is.
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, invalid("The file looks gzip-compressed but its gzip header is damaged.")
		}
		defer zr.Close()
		src = zr
	}
	lr := &io.LimitedReader{R: src, N: maxBytes + 1}
	lines := bufio.NewReaderSize(lr, 64<<10)
	var lineNo, records int64
	seenHeader := false
	for {
		line, err := readLine(lines)
		if errors.Is(err, io.EOF) && line == nil {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			var ce flate.CorruptInputError
			switch {
			case errors.Is(err, errLineTooLong):
				return 0, invalid(fmt.Sprintf("Line %d is longer than %d bytes.", lineNo+1, maxLineBytes))
			case errors.As(err, &ce), errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.Is(err, io.ErrUnexpectedEOF):
				return 0, invalid("The compressed file is damaged or incomplete (" + gzipReason(err) + "). Compress it again with bgzip or gzip and upload it again.")
			default:
				return 0, fmt.Errorf("check vcf: %w", err)
			}
		}
		if lr.N <= 0 {
			return 0, invalid(fmt.Sprintf("The file is larger than %s once decompressed.", formatBytes(maxBytes)))
		}
		lineNo++
		if lineNo%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, fmt.Errorf("check vcf: %w", err)
			}
		}
		s := strings.TrimSuffix(string(line), "\r")
		switch {
		case lineNo == 1:
			if !strings.HasPrefix(s, "##fileformat=VCF") {
				return 0, invalid("This is not a VCF file: the first line must be ##fileformat=VCFv4.x.")
			}
		case strings.HasPrefix(s, "##"):
			if seenHeader {
				return 0, invalid(fmt.Sprintf("Line %d: a ## meta line comes after the #CHROM header line.", lineNo))
			}
		case strings.HasPrefix(s, "#"):
			if seenHeader {
				return 0, invalid(fmt.Sprintf("Line %d: a second #CHROM header line.", lineNo))
			}
			cols := strings.Split(s, "\t")
			want := []string{"#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"}
			if len(cols) < len(want) {
				return 0, invalid(fmt.Sprintf("Line %d: the header line must have the tab-separated columns %s.", lineNo, strings.Join(want, " ")))
			}
			for i, c := range want {
				if cols[i] != c {
					return 0, invalid(fmt.Sprintf("Line %d: header column %d is %q, expected %q (columns must be separated by tabs).", lineNo, i+1, cols[i], c))
				}
			}
			seenHeader = true
		case s == "":
			// A blank line (often the last one) carries no record.
		default:
			if !seenHeader {
				return 0, invalid(fmt.Sprintf("Line %d: a data line comes before the #CHROM header line.", lineNo))
			}
			cols := strings.SplitN(s, "\t", 9)
			if len(cols) < 8 {
				return 0, invalid(fmt.Sprintf("Line %d: a record needs at least 8 tab-separated columns, found %d.", lineNo, len(cols)))
			}
			if pos, err := strconv.ParseInt(cols[1], 10, 64); err != nil || pos < 0 {
				return 0, invalid(fmt.Sprintf("Line %d: POS %q is not a position.", lineNo, cols[1]))
			}
			if cols[0] == "" || cols[3] == "" || cols[4] == "" {
				return 0, invalid(fmt.Sprintf("Line %d: CHROM, REF and ALT must not be empty.", lineNo))
			}
			records++
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if lineNo == 0 {
		return 0, invalid("The file is empty.")
	}
	if !seenHeader {
		return 0, invalid("The file has no #CHROM header line.")
	}
	if records == 0 {
		return 0, invalid("The file has a header but no variant records to annotate.")
	}
	return records, nil
}

var errLineTooLong = errors.New("line too long")

// readLine returns one line without its newline, refusing lines longer than
// maxLineBytes instead of buffering them.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxLineBytes+1 {
			return nil, errLineTooLong
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(buf) == 0 {
				return nil, io.EOF
			}
			return buf, io.EOF
		default:
			return nil, err
		}
	}
}

// gzipReason turns a decompression error into a few words.
func gzipReason(err error) string {
	switch {
	case errors.Is(err, gzip.ErrChecksum):
		return "checksum mismatch"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends too early"
	default:
		return "corrupt data"
	}
}

func invalid(msg string) error {
	return &gas.Error{Code: gas.EINVALID, Message: msg}
}
