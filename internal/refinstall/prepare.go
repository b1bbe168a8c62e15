package refinstall

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// convertTrack writes a BED file at out from a track source in format
// (ucsc-bin or gwas-catalog). It returns the number of intervals written
// and of rows skipped (GWAS rows without a single mapped position).
func convertTrack(ctx context.Context, format, in, out string) (written, skipped int, err error) {
	src, err := os.Open(in)
	if err != nil {
		return 0, 0, err
	}
	defer src.Close()
	r, err := maybeGunzip(src)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", in, err)
	}
	dst, err := os.Create(out)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := dst.Close(); cerr != nil && err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(out)
		}
	}()
	w := bufio.NewWriterSize(dst, 1<<20)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 16<<20) // GWAS rows carry long free-text columns
	switch format {
	case FormatUCSCBin:
		written, err = convertUCSCBin(ctx, sc, w, in)
	case FormatGWASCat:
		written, skipped, err = convertGWAS(ctx, sc, w, in)
	default:
		return 0, 0, fmt.Errorf("track format %q needs no conversion", format)
	}
	if err != nil {
		return 0, 0, err
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", in, err)
	}
	return written, skipped, w.Flush()
}

// convertUCSCBin drops the leading "bin" column of a UCSC table such as
// cpgIslandExt (bin, chrom, chromStart, chromEnd, name, …), leaving BED.
func convertUCSCBin(ctx context.Context, sc *bufio.Scanner, w *bufio.Writer, in string) (int, error) {
	n, line := 0, 0
	for sc.Scan() {
		line++
		if line&0xffff == 0 && ctx.Err() != nil {
			return n, ctx.Err()
		}
		b := sc.Text()
		if strings.TrimSpace(b) == "" || b[0] == '#' {
			continue
		}
		f := strings.Split(b, "\t")
		if len(f) < 4 {
			return n, fmt.Errorf("%s:%d: want bin, chrom, start, end: %d columns", in, line, len(f))
		}
		if _, err := strconv.Atoi(f[0]); err != nil {
			return n, fmt.Errorf("%s:%d: first column %q is not a UCSC bin number: is this a plain BED file (format \"bed\")?", in, line, f[0])
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", f[1], f[2], f[3], nameCol(f, 4))
		n++
	}
	return n, nil
}

// nameCol is the BED name column from field i, "." when absent.
func nameCol(f []string, i int) string { return field(f, i) }

// field is f[i] trimmed, or "." when absent or empty.
func field(f []string, i int) string {
	if i < len(f) {
		if v := strings.TrimSpace(f[i]); v != "" {
			return v
		}
	}
	return "."
}

// convertGWAS turns the GWAS Catalog associations TSV into one 1-base BED
// interval per association at CHR_ID:CHR_POS, named after the trait.
// Associations without one mapped position (no mapping, or haplotypes
// listing several, "1;1" or "1 x 2") are skipped and counted.
func convertGWAS(ctx context.Context, sc *bufio.Scanner, w *bufio.Writer, in string) (written, skipped int, err error) {
	if !sc.Scan() {
		if sc.Err() != nil {
			return 0, 0, sc.Err()
		}
		return 0, 0, fmt.Errorf("%s: empty file", in)
	}
	col := map[string]int{}
	for i, h := range strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t") {
		col[h] = i
	}
	need := []string{"CHR_ID", "CHR_POS", "DISEASE/TRAIT"}
	for _, k := range need {
		if _, ok := col[k]; !ok {
			return 0, 0, fmt.Errorf("%s: header has no %s column: not a GWAS Catalog associations file?", in, k)
		}
	}
	trait := col["DISEASE/TRAIT"]
	if i, ok := col["MAPPED_TRAIT"]; ok {
		trait = i // the ontology-annotated file's normalised trait name
	}
	line := 1
	for sc.Scan() {
		line++
		if line&0xffff == 0 && ctx.Err() != nil {
			return written, skipped, ctx.Err()
		}
		f := strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t")
		if len(f) <= col["CHR_POS"] || len(f) <= col["CHR_ID"] {
			skipped++
			continue
		}
		chr, posText := strings.TrimSpace(f[col["CHR_ID"]]), strings.TrimSpace(f[col["CHR_POS"]])
		pos, err := strconv.Atoi(posText)
		if chr == "" || strings.ContainsAny(chr, "; x") || err != nil || pos < 1 {
			skipped++
			continue
		}
		name := field(f, trait)
		if name == "." {
			name = field(f, col["DISEASE/TRAIT"])
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", chr, pos-1, pos, name)
		written++
	}
	if written == 0 {
		return 0, skipped, errors.New(in + ": no association with a mapped position")
	}
	return written, skipped, nil
}

// maybeGunzip returns a reader of r's content, decompressed when it starts
// with the gzip magic bytes.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return gzip.NewReader(br) // reads all members: BGZF too
	}
	return br, nil
}
