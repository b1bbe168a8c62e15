// Package annotate is the annotation engine: it streams a VCF, computes the
// effect of each ALT allele on the transcripts of a reference bundle
// (Sequence Ontology terms, HGVS), adds known-variant IDs and frequencies and
// region-track hits, and writes a standard annotated VCF. It knows nothing of
// the service that calls it.
package annotate

import (
	"errors"
)

// TranscriptMode selects which transcripts are reported per allele.
type TranscriptMode string

// Transcript modes.
const (
	AllTranscripts TranscriptMode = "all"       // every overlapping transcript (default)
	Canonical      TranscriptMode = "canonical" // Ensembl_canonical-tagged transcripts only
	MANESelect     TranscriptMode = "mane"      // MANE_Select-tagged transcripts only
	Pick           TranscriptMode = "pick"      // one per allele: most severe, then canonical, then longest
)

// OnError says what to do with a malformed record.
type OnError string

// Error policies.
const (
	Stop OnError = "stop" // return the error (default)
	Skip OnError = "skip" // write the record through unannotated (left out when htslib could not read it back) and count it
)

// Options tune one annotation run. The zero value is valid: all transcripts,
// stop on error, ANN in plain VCF out, local calls, GOMAXPROCS workers.
type Options struct {
	Transcripts   TranscriptMode
	TranscriptIDs []string // when set, only these transcripts (IDs with or without version)
	OnError       OnError
	BGZF          bool  // write BGZF-compressed output instead of plain text
	Workers       int   // parallel annotation workers; <= 0 means GOMAXPROCS
	MaxLineBytes  int   // longest accepted input line; <= 0 means 1 MiB
	MaxInputBytes int64 // limit on decompressed input size; <= 0 means unlimited
	// Progress, when set, is called from time to time with the number of data
	// records written so far. It must be cheap and safe for concurrent use.
	Progress func(records int64)
	// Version is written to the ##gas_version header line.
	Version string
	// Format is the consequence field written: FormatANN ("" too) or
	// FormatCSQ (Ensembl VEP's CSQ).
	Format Format
	// Haplotypes combines the changes that variants on the same phased
	// haplotype of a sample make to one codon into one consequence, as
	// bcftools csq does by default, and writes per sample which entries each
	// haplotype carries (see docs/annotation.md, "Haplotype mode").
	// Unphased heterozygous genotypes keep their local calls.
	Haplotypes bool
}

// InputError is a problem with the input itself (malformed record, bad
// compression, input too large). Retrying will not help; the message is
// written for the user who supplied the file.
type InputError struct {
	Line int64 // 1-based line number, 0 when not tied to a line
	Msg  string
}

// Error formats the problem as "line N: message", or the message alone
// when it is not tied to a line.
func (e *InputError) Error() string {
	if e.Line > 0 {
		return "line " + itoa(e.Line) + ": " + e.Msg
	}
	return e.Msg
}

// IsInputError reports whether err (or anything it wraps) is an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
