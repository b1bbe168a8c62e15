package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/vcf"
)

// checkVCF reads a whole (plain, gzip or BGZF) VCF with the same reader and
// record parser the annotator uses, so an upload that passes here will not
// fail in the worker for its format. It returns the number of data records,
// or the first problem as an EINVALID *gas.Error whose message is written for
// the user. Reading to the end also proves the compression intact (a
// truncated upload fails here, not later). maxBytes caps the decompressed
// size, against compression bombs.
func checkVCF(ctx context.Context, r io.Reader, maxBytes int64) (int64, error) {
	rd, err := vcf.NewReader(r, vcf.ReaderOptions{MaxLineBytes: vcf.DefaultMaxLineBytes, MaxInputBytes: maxBytes, Workers: 1})
	if err != nil {
		return 0, vcfError(err)
	}
	defer rd.Close()
	var (
		blk     vcf.Block
		rec     vcf.Record
		records int64
	)
	for {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("check vcf: %w", err)
		}
		err := rd.ReadBlock(&blk, 0)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, vcfError(err)
		}
		for i := 0; i < blk.Len(); i++ {
			if err := vcf.ParseRecord(blk.Line(i), blk.LineNo(i), &rec); err != nil {
				return 0, vcfError(err)
			}
			records++
		}
	}
	if records == 0 {
		return 0, invalid("The file has a VCF header but no variant records to annotate.")
	}
	return records, nil
}

// vcfError turns a reader error into a user-facing EINVALID error, or
// passes an I/O error (from the blob store) through as internal.
func vcfError(err error) error {
	var pe *vcf.ParseError
	if errors.As(err, &pe) {
		msg := pe.Error()
		return &gas.Error{Code: gas.EINVALID, Message: "This file cannot be annotated: " + strings.TrimSuffix(msg, ".") + ".", Err: err}
	}
	return fmt.Errorf("check vcf: %w", err)
}

func invalid(msg string) error {
	return &gas.Error{Code: gas.EINVALID, Message: msg}
}
