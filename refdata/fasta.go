package refdata

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
)

// fastaContig is one sequence written by writeFASTA.
type fastaContig struct {
	name   string
	length int64
}

// baseTable maps input bytes to stored bases: ACGT in either case stay
// (upper-cased), every other IUPAC code becomes N, and anything else is an
// error (0).
var baseTable = func() (t [256]byte) {
	for _, c := range "ACGTN" {
		t[c], t[c+'a'-'A'] = byte(c), byte(c)
	}
	for _, c := range "RYSWKMBDHVU" {
		t[c], t[c+'a'-'A'] = 'N', 'N'
	}
	t['*'], t['-'], t['.'] = 'N', 'N', 'N'
	return t
}()

// writeFASTA copies the sequences of a FASTA file to w as plain uppercase
// bases, one contig after the other, and returns the contigs in file order.
func writeFASTA(ctx context.Context, r io.Reader, w io.Writer, file string) ([]fastaContig, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	bw := newBundleWriter(w)
	var out []fastaContig
	seen := map[string]bool{}
	line := 0
	buf := make([]byte, 0, 1<<16)
	for {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A very long sequence line: handle it in pieces.
			err = nil
		}
		if len(b) == 0 && err != nil {
			if err == io.EOF {
				break
			}
			return nil, fmt.Errorf("%s: line %d: %w", file, line+1, err)
		}
		isLineEnd := len(b) > 0 && b[len(b)-1] == '\n'
		if isLineEnd || err == io.EOF {
			line++
		}
		b = bytes.TrimRight(b, "\r\n")
		if line&0xfff == 0 {
			if e := ctx.Err(); e != nil {
				return nil, e
			}
		}
		switch {
		case len(b) > 0 && b[0] == '>':
			f := bytes.Fields(b[1:])
			if len(f) == 0 {
				return nil, fmt.Errorf("%s:%d: FASTA header without a name", file, line)
			}
			name := string(f[0])
			if seen[name] {
				return nil, fmt.Errorf("%s:%d: sequence %s appears twice", file, line, name)
			}
			seen[name] = true
			out = append(out, fastaContig{name: name})
		case len(b) > 0 && b[0] == ';':
			// old-style FASTA comment
		default:
			if len(b) == 0 {
				break
			}
			if len(out) == 0 {
				return nil, fmt.Errorf("%s:%d: sequence before the first '>' header", file, line)
			}
			buf = buf[:0]
			for i, c := range b {
				u := baseTable[c]
				if u == 0 {
					if c == ' ' || c == '\t' {
						continue
					}
					return nil, fmt.Errorf("%s:%d: column %d: %q is not a nucleotide code", file, line, i+1, c)
				}
				buf = append(buf, u)
			}
			if _, werr := bw.Write(buf); werr != nil {
				return nil, fmt.Errorf("write sequence: %w", werr)
			}
			out[len(out)-1].length += int64(len(buf))
		}
		if err == io.EOF {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("write sequence: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no sequences (not a FASTA file?)", file)
	}
	return out, nil
}
