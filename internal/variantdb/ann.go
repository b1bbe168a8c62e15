package variantdb

import (
	"bytes"
	"strings"
)

// Impact ranks; a higher rank is more severe. ImpactNone is a record or an
// entry without an impact (a note-only ANN entry, a record without ANN).
const (
	ImpactNone     = -1
	ImpactModifier = 0
	ImpactLow      = 1
	ImpactModerate = 2
	ImpactHigh     = 3
)

var impactNames = [...]string{"MODIFIER", "LOW", "MODERATE", "HIGH"}

// ImpactName returns HIGH, MODERATE, LOW, MODIFIER, or "" for ImpactNone.
func ImpactName(rank int) string {
	if rank < 0 || rank >= len(impactNames) {
		return ""
	}
	return impactNames[rank]
}

// ParseImpact accepts an impact name in any case.
func ParseImpact(s string) (int, bool) {
	for i, n := range impactNames {
		if strings.EqualFold(s, n) {
			return i, true
		}
	}
	return ImpactNone, false
}

// seedTerms are the SO terms the annotate engine emits, most severe first,
// so that their bits (and the term table) follow severity. Other terms get
// the next free bits as they are met.
var seedTerms = []string{
	"splice_acceptor_variant", "splice_donor_variant", "stop_gained", "frameshift_variant",
	"stop_lost", "start_lost", "inframe_insertion", "inframe_deletion", "missense_variant",
	"protein_altering_variant", "splice_donor_5th_base_variant", "splice_region_variant",
	"incomplete_terminal_codon_variant", "start_retained_variant", "stop_retained_variant",
	"synonymous_variant", "coding_sequence_variant", "5_prime_UTR_variant", "3_prime_UTR_variant",
	"non_coding_transcript_exon_variant", "intron_variant", "NMD_transcript_variant",
	"non_coding_transcript_variant", "upstream_gene_variant", "downstream_gene_variant",
	"intergenic_variant",
}

// maxTerms is the width of the consequence bit mask (an SQLite INTEGER is a
// signed 64-bit value; bit 63 is left alone to keep masks positive).
const maxTerms = 63

// annEntry is one ANN entry split into its 16 sub-fields. Slices alias the
// record line; decoded copies are made only when stored.
type annEntry struct {
	f [16][]byte
}

// splitANN calls fn for each comma-separated entry of an ANN value. Missing
// trailing sub-fields are empty, extra ones are joined into the last.
func splitANN(v []byte, e *annEntry, fn func(*annEntry) error) error {
	for len(v) > 0 {
		var ent []byte
		if c := bytes.IndexByte(v, ','); c >= 0 {
			ent, v = v[:c], v[c+1:]
		} else {
			ent, v = v, nil
		}
		for i := range e.f {
			e.f[i] = nil
		}
		for i := 0; i < 16; i++ {
			if i == 15 {
				e.f[i] = ent
				break
			}
			p := bytes.IndexByte(ent, '|')
			if p < 0 {
				e.f[i] = ent
				break
			}
			e.f[i], ent = ent[:p], ent[p+1:]
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// unescape reverses the engine's percent-encoding (%2C, %7C, %3D …) for
// display; a '%' not followed by two hex digits is kept as is.
func unescape(b []byte) string {
	if bytes.IndexByte(b, '%') < 0 {
		return string(b)
	}
	return string(appendUnescape(make([]byte, 0, len(b)), b))
}

// appendUnescape appends unescape(b) to dst.
func appendUnescape(dst, b []byte) []byte {
	if bytes.IndexByte(b, '%') < 0 {
		return append(dst, b...)
	}
	for i := 0; i < len(b); i++ {
		if b[i] == '%' && i+2 < len(b) {
			hi, ok1 := unhex(b[i+1])
			lo, ok2 := unhex(b[i+2])
			if ok1 && ok2 {
				dst = append(dst, hi<<4|lo)
				i += 2
				continue
			}
		}
		dst = append(dst, b[i])
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// asciiLower lower-cases ASCII letters only, so gene keys compare the same
// way in Go and in SQL.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
