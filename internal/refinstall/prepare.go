package refinstall

import (
	"archive/zip"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
)

// conversion is what convertTrack did.
type conversion struct {
	written, skipped int
	from             string // what was read, e.g. "zip member x.tsv (gwas-catalog)"
}

// convertTrack writes a BED file at out from a track source in format
// (gwas-catalog: the builder reads BED and UCSC tables itself). The input
// may be plain, gzip, or a zip holding one .tsv, read without unpacking it
// to disk. Rows skipped are associations without a single mapped position.
func convertTrack(ctx context.Context, format, in, out string) (c conversion, err error) {
	c.from = format
	src, err := os.Open(in)
	if err != nil {
		return c, err
	}
	defer src.Close()
	var r io.Reader = src
	if isZip(src) {
		if format != FormatGWASCat {
			return c, fmt.Errorf("%s: a zip archive, but format %s is read from a plain or gzip table", in, format)
		}
		member, rc, err := openZipTable(src, in)
		if err != nil {
			return c, err
		}
		defer rc.Close()
		r = rc
		c.from = "zip member " + member + " (" + format + ")"
	}
	r, err = maybeGunzip(r)
	if err != nil {
		return c, fmt.Errorf("%s: %w", in, err)
	}
	dst, err := os.Create(out)
	if err != nil {
		return c, err
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
	case FormatGWASCat:
		c.written, c.skipped, err = convertGWAS(ctx, sc, w, in)
	default:
		return c, fmt.Errorf("track format %q needs no conversion", format)
	}
	if err != nil {
		return c, err
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("%s: %w", in, err)
	}
	return c, w.Flush()
}

// isZip tells whether f starts with a zip local file header.
func isZip(f *os.File) bool {
	var magic [4]byte
	n, _ := f.ReadAt(magic[:], 0)
	return n == 4 && string(magic[:]) == "PK\x03\x04"
}

// openZipTable opens the one table (.tsv, .txt or .csv) of a zip archive
// for streaming; the archive's directory is read in place, nothing is
// unpacked to disk.
func openZipTable(f *os.File, name string) (string, io.ReadCloser, error) {
	st, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	var tables []*zip.File
	for _, zf := range zr.File {
		ext := strings.ToLower(path.Ext(zf.Name))
		if !zf.FileInfo().IsDir() && (ext == ".tsv" || ext == ".txt" || ext == ".csv") && !strings.HasPrefix(path.Base(zf.Name), ".") {
			tables = append(tables, zf)
		}
	}
	if len(tables) != 1 {
		var names []string
		for _, zf := range zr.File {
			names = append(names, zf.Name)
		}
		return "", nil, fmt.Errorf("%s: want one table (.tsv) in the zip, found %d among %q", name, len(tables), names)
	}
	rc, err := tables[0].Open()
	if err != nil {
		return "", nil, fmt.Errorf("%s: %s: %w", name, tables[0].Name, err)
	}
	return tables[0].Name, rc, nil
}

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
