package vcf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
)

// Record is one data line split into its columns. Every byte slice aliases
// the line given to ParseRecord, so a Record is valid only as long as that
// line is; nothing is copied.
type Record struct {
	LineNo int64
	Chrom  []byte
	Pos    int64 // 1-based
	ID     []byte
	Ref    []byte
	// Alts holds the ALT alleles. Its capacity is reused across calls; a "."
	// ALT column gives zero Alts.
	Alts   [][]byte
	Qual   []byte
	Filter []byte
	Info   []byte
	// Rest is the FORMAT column and the sample columns joined by tabs,
	// without the leading tab; nil when the line has only 8 columns.
	Rest []byte
}

// ParseRecord splits a data line (without its newline) into rec, validating
// what an annotator relies on: at least 8 columns, a non-empty CHROM, POS a
// positive integer, REF made of A, C, G, T, N (any case) and each ALT either
// such a sequence or a symbolic allele (see IsSymbolic). It does not allocate
// once rec.Alts has enough capacity, so worker goroutines can call it on
// every record of a stream.
func ParseRecord(line []byte, lineNo int64, rec *Record) error {
	rec.LineNo = lineNo
	if len(line) > 0 && line[0] == '#' {
		return &ParseError{Line: lineNo, Msg: "unexpected header line after the #CHROM line; header lines must come before the data"}
	}
	if i := bytes.IndexByte(line, 0); i >= 0 {
		// Never valid in VCF text; htslib cuts the field there, so the
		// record would be read as something else than was written.
		col := bytes.Count(line[:i], []byte{'\t'})
		return &ParseError{Line: lineNo, Msg: fmt.Sprintf("has a NUL byte in column %d (%s)", col+1, columnName(col))}
	}
	var tabs [7]int
	n := findTabs(line, &tabs)
	if n < 7 {
		return columnsError(line, lineNo, n+1)
	}
	var cols [8][]byte
	cols[0] = line[:tabs[0]]
	for k := 1; k < 7; k++ {
		cols[k] = line[tabs[k-1]+1 : tabs[k]]
	}
	start := tabs[6] + 1
	rest := line[start:]
	if t := bytes.IndexByte(rest, '\t'); t >= 0 {
		cols[7] = rest[:t]
		rec.Rest = rest[t+1:]
	} else {
		cols[7] = rest
		rec.Rest = nil
	}
	rec.Chrom, rec.ID, rec.Ref = cols[0], cols[2], cols[3]
	rec.Qual, rec.Filter, rec.Info = cols[5], cols[6], cols[7]
	rec.Alts = rec.Alts[:0]

	if len(rec.Chrom) == 0 {
		return &ParseError{Line: lineNo, Msg: "CHROM (column 1) is empty"}
	}
	pos, ok := parsePos(cols[1])
	if !ok {
		return &ParseError{Line: lineNo, Msg: "POS " + quote(cols[1]) + " is not a positive integer"}
	}
	rec.Pos = pos
	if len(rec.Ref) == 0 {
		return &ParseError{Line: lineNo, Msg: "REF (column 4) is empty"}
	}
	if i := firstNonACGTN(rec.Ref); i >= 0 {
		return &ParseError{Line: lineNo, Msg: "REF " + quote(rec.Ref) + " has " + badChar(rec.Ref[i]) + "; only A, C, G, T and N are allowed"}
	}
	alt := cols[4]
	if len(alt) == 0 {
		return &ParseError{Line: lineNo, Msg: `ALT (column 5) is empty; use "." when there is no alternate allele`}
	}
	if len(alt) == 1 && alt[0] == '.' {
		return nil
	}
	for {
		var a []byte
		if c := bytes.IndexByte(alt, ','); c >= 0 {
			a, alt = alt[:c], alt[c+1:]
		} else {
			a, alt = alt, nil
		}
		if len(a) == 0 {
			return &ParseError{Line: lineNo, Msg: "ALT " + quote(cols[4]) + " has an empty allele"}
		}
		// Sequence alleles are the common case: test them first so that
		// IsSymbolic's searches run only for the rare other kinds.
		if i := firstNonACGTN(a); i >= 0 && !IsSymbolic(a) {
			return &ParseError{Line: lineNo, Msg: "ALT allele " + quote(a) + " has " + badChar(a[i]) + "; only A, C, G, T, N or a symbolic allele (<DEL>, *, breakend) are allowed"}
		}
		rec.Alts = append(rec.Alts, a)
		if alt == nil {
			break
		}
	}
	return nil
}

// findTabs stores the positions of the first seven tabs of line in tabs and
// returns how many it found. It tests eight bytes at a time (the exact
// zero-byte test of "Bit Twiddling Hacks" applied to line XOR tabs), which
// avoids one unpredictable branch per byte on these short columns.
func findTabs(line []byte, tabs *[7]int) int {
	const ones, low7 = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f
	n, i := 0, 0
	for ; i+8 <= len(line); i += 8 {
		x := binary.LittleEndian.Uint64(line[i:]) ^ (ones * '\t')
		m := ^((x&low7 + low7) | x | low7)
		for m != 0 {
			tabs[n] = i + bits.TrailingZeros64(m)>>3
			n++
			if n == 7 {
				return n
			}
			m &= m - 1
		}
	}
	for ; i < len(line); i++ {
		if line[i] == '\t' {
			tabs[n] = i
			n++
			if n == 7 {
				return n
			}
		}
	}
	return n
}

// columnsError explains a short line. Space-separated columns are the most
// common cause (files edited by hand or exported from spreadsheets), so it
// says so when that is likely.
func columnsError(line []byte, lineNo int64, found int) error {
	msg := "expected at least 8 tab-separated columns (CHROM POS ID REF ALT QUAL FILTER INFO), found " + strconv.Itoa(found)
	if bytes.Count(line, []byte{' '}) >= 7-(found-1) && found < 8 {
		msg += "; columns must be separated by tabs, not spaces"
	}
	return &ParseError{Line: lineNo, Msg: msg}
}

// parsePos parses a strictly positive decimal integer without allocating
// (strconv.ParseInt would need a string conversion on the hot path).
func parsePos(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n > 0
}

// acgtn marks the bytes allowed in a sequence allele.
var acgtn = [256]bool{'A': true, 'C': true, 'G': true, 'T': true, 'N': true, 'a': true, 'c': true, 'g': true, 't': true, 'n': true}

func firstNonACGTN(b []byte) int {
	for i, c := range b {
		if !acgtn[c] {
			return i
		}
	}
	return -1
}

func badChar(c byte) string {
	if c >= 0x21 && c < 0x7f {
		return fmt.Sprintf("the character %q", c)
	}
	return fmt.Sprintf("the byte 0x%02x", c)
}

// IsSymbolic reports whether an ALT allele is not a literal sequence and so
// cannot be annotated base by base: a symbolic allele such as <DEL> or
// <INS:ME>, the overlapping-deletion allele *, a breakend (t[p[, ]p]t, or a
// single breakend .A / A.), or the missing allele ".".
func IsSymbolic(alt []byte) bool {
	n := len(alt)
	if n == 0 {
		return false
	}
	if alt[0] == '<' && n >= 3 && alt[n-1] == '>' {
		return true
	}
	if n == 1 && (alt[0] == '*' || alt[0] == '.') {
		return true
	}
	if bytes.IndexByte(alt, '[') >= 0 || bytes.IndexByte(alt, ']') >= 0 {
		return true
	}
	if n > 1 && (alt[0] == '.' || alt[n-1] == '.') {
		return true
	}
	return false
}

// AppendRecord appends rec as a VCF data line, ending in a newline, to dst.
// When id is non-nil it replaces the ID column; a non-empty infoAdd is
// appended to INFO after a ';' (or replaces a missing "." INFO). All other
// columns are copied from rec's original bytes, so annotating does not
// reformat what the user supplied.
func AppendRecord(dst []byte, rec *Record, id []byte, infoAdd []byte) []byte {
	dst = append(dst, rec.Chrom...)
	dst = append(dst, '\t')
	dst = strconv.AppendInt(dst, rec.Pos, 10)
	dst = append(dst, '\t')
	if id == nil {
		id = rec.ID
	}
	dst = appendOrDot(dst, id)
	dst = append(dst, '\t')
	dst = append(dst, rec.Ref...)
	dst = append(dst, '\t')
	if len(rec.Alts) == 0 {
		dst = append(dst, '.')
	}
	for i, a := range rec.Alts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, a...)
	}
	dst = append(dst, '\t')
	dst = appendOrDot(dst, rec.Qual)
	dst = append(dst, '\t')
	dst = appendOrDot(dst, rec.Filter)
	dst = append(dst, '\t')
	dst = appendInfo(dst, rec.Info, infoAdd)
	if rec.Rest != nil {
		dst = append(dst, '\t')
		dst = append(dst, rec.Rest...)
	}
	return append(dst, '\n')
}

func appendOrDot(dst, b []byte) []byte {
	if len(b) == 0 {
		return append(dst, '.')
	}
	return append(dst, b...)
}

func appendInfo(dst, info, add []byte) []byte {
	missing := len(info) == 0 || (len(info) == 1 && info[0] == '.')
	switch {
	case len(add) == 0:
		return appendOrDot(dst, info)
	case missing:
		return append(dst, add...)
	default:
		dst = append(dst, info...)
		dst = append(dst, ';')
		return append(dst, add...)
	}
}

// InfoValue returns the value of key in an INFO column. A flag present
// without a value gives an empty, non-nil value and ok true.
func InfoValue(info []byte, key string) (value []byte, ok bool) {
	for len(info) > 0 {
		var f []byte
		if s := bytes.IndexByte(info, ';'); s >= 0 {
			f, info = info[:s], info[s+1:]
		} else {
			f, info = info, nil
		}
		if len(f) < len(key) || string(f[:len(key)]) != key {
			continue
		}
		if len(f) == len(key) {
			return f[len(f):], true
		}
		if f[len(key)] == '=' {
			return f[len(key)+1:], true
		}
	}
	return nil, false
}
