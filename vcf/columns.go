package vcf

import (
	"bytes"
	"fmt"
	"strings"
)

// Columns returns the number of columns of the #CHROM line: 8 without
// genotypes, else FORMAT and one per sample. Every data record must have
// as many (see CheckColumns).
func (h *Header) Columns() int {
	if h.chrom == "" {
		return 8
	}
	return strings.Count(h.chrom, "\t") + 1
}

// CheckColumns reports a parsed record whose number of columns differs
// from the #CHROM line's (want, from Header.Columns): missing or extra
// sample columns, or a FORMAT column without samples. htslib refuses such
// records (bcftools view fails), so a file that has them cannot be turned
// into readable output. Trailing tabs and spaces name no column, as in the
// header.
func CheckColumns(rec *Record, want int) error {
	got := 8
	if rest := bytes.TrimRight(rec.Rest, "\t "); rec.Rest != nil && len(rest) > 0 {
		got = 9 + bytes.Count(rest, []byte{'\t'})
	}
	if got == want {
		return nil
	}
	samples := max(want-9, 0)
	var msg string
	switch {
	case got == 9 && samples == 0:
		msg = "has a FORMAT column but the header lists no samples; remove the FORMAT column or add the sample columns"
	case got == 9:
		msg = fmt.Sprintf("has a FORMAT column but no sample columns; the header lists %d sample(s)", samples)
	case got == 8:
		msg = fmt.Sprintf("has no FORMAT and sample columns; the header lists %d sample(s)", samples)
	case want == 8:
		msg = fmt.Sprintf("has %d columns after INFO but the header lists no samples", got-8)
	default:
		msg = fmt.Sprintf("has %d sample column(s); the header lists %d sample(s)", got-9, samples)
	}
	return &ParseError{Line: rec.LineNo, Msg: msg}
}

// columnName names the column of 0-based index i for messages.
func columnName(i int) string {
	switch {
	case i == 0:
		return "CHROM"
	case i < len(fixedColumns):
		return fixedColumns[i]
	case i == len(fixedColumns):
		return "FORMAT"
	}
	return fmt.Sprintf("sample %d", i-len(fixedColumns))
}
