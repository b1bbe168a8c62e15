package annotate

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Summary counts what one annotation run saw and produced; it succeeds
// AnnTools' .count.log. It is serialised as JSON for charts and written as
// text for people (WriteText).
type Summary struct {
	Bundle         string `json:"bundle"`          // bundle name
	BundleChecksum string `json:"bundle_checksum"` // bundle checksum
	Records        int64  `json:"records"`         // data records read
	Alleles        int64  `json:"alleles"`         // ALT alleles seen
	Annotated      int64  `json:"annotated"`       // alleles annotated
	NotAnnotated   int64  `json:"not_annotated"`   // alleles with a note only: *, ., non-SV symbolic alleles, SVs of unknown length
	// RefEqualsAlt counts ALT alleles equal to REF: no change to describe,
	// so a note-only entry like NotAnnotated's, but counted apart (they are
	// not symbolic). Alleles = Annotated + NotAnnotated + RefEqualsAlt.
	RefEqualsAlt int64            `json:"ref_equals_alt"`
	Skipped      int64            `json:"skipped"`      // malformed records written through, or left out when htslib could not read them (OnError=skip)
	Known        int64            `json:"known"`        // alleles matching a known variant
	Novel        int64            `json:"novel"`        // alleles with no known variant
	Consequences map[string]int64 `json:"consequences"` // SO term -> alleles×transcripts with that term
	Impacts      map[string]int64 `json:"impacts"`      // HIGH/MODERATE/LOW/MODIFIER -> count (most severe per allele)
	Chromosomes  map[string]int64 `json:"chromosomes"`  // contig as in input -> records
	Tracks       map[string]int64 `json:"tracks"`       // track name -> records with a hit
	Sources      map[string]int64 `json:"sources"`      // annotation source -> alleles found in it
	// HaplotypeEntries counts the combined consequences haplotype mode
	// added (one per member record of each haplotype group).
	HaplotypeEntries int64 `json:"haplotype_entries,omitempty"`
	// Uncovered counts records on contigs or regions where the bundle has
	// no gene models (contig absent from the bundle, or outside the span its
	// gene model covers): their consequences say little. NoSequence counts
	// records where the bundle has no reference sequence: contigs absent or
	// without FASTA, or an N base at POS (a gap, or sequence the bundle
	// does not know): REF is not checked there, nor protein changes
	// computed. The shares are of Records.
	Uncovered       int64   `json:"uncovered"`
	NoSequence      int64   `json:"no_sequence"`
	UncoveredShare  float64 `json:"uncovered_share"`
	NoSequenceShare float64 `json:"no_sequence_share"`
	// BundleCoverage says in one line what the bundle covers.
	BundleCoverage string   `json:"bundle_coverage,omitempty"`
	Warnings       []string `json:"warnings"` // e.g. contigs absent from the bundle (capped)
	Errors         []string `json:"errors"`   // skipped-record reasons (capped)
	Seconds        float64  `json:"seconds"`  // wall time of the run
}

// WriteText writes the summary as a plain-text report for people (the
// successor of AnnTools' .count.log): totals, then impacts, consequences,
// chromosomes and tracks sorted by count, then warnings and errors.
func (s *Summary) WriteText(w io.Writer) error {
	var b []byte
	line := func(k string, v int64) {
		b = append(b, "  "...)
		b = append(b, k...)
		for i := len(k); i < 36; i++ {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, v, 10)
		b = append(b, '\n')
	}
	b = append(b, "GAS annotation summary\n"...)
	b = append(b, "bundle: "+s.Bundle+" ("+s.BundleChecksum+")\n"...)
	if s.BundleCoverage != "" {
		b = append(b, "bundle covers: "+s.BundleCoverage+"\n"...)
	}
	b = append(b, "time: "+strconv.FormatFloat(s.Seconds, 'f', 2, 64)+" s\n\n"...)
	b = append(b, "Totals\n"...)
	line("records", s.Records)
	line("ALT alleles", s.Alleles)
	line("alleles annotated", s.Annotated)
	line("alleles not annotated (symbolic, *)", s.NotAnnotated)
	line("alleles with REF = ALT (no change)", s.RefEqualsAlt)
	line("records skipped (malformed)", s.Skipped)
	line("known alleles", s.Known)
	line("novel alleles", s.Novel)
	if s.HaplotypeEntries > 0 {
		line("haplotype (combined) entries", s.HaplotypeEntries)
	}
	share := func(k string, n int64, f float64) {
		line(k, n)
		if n > 0 {
			b = append(b[:len(b)-1], " ("+percent(f)+")\n"...)
		}
	}
	share("records outside the bundle's genes", s.Uncovered, s.UncoveredShare)
	share("records without reference sequence", s.NoSequence, s.NoSequenceShare)
	section := func(title string, m map[string]int64, order []string) {
		if len(m) == 0 {
			return
		}
		b = append(b, '\n')
		b = append(b, title...)
		b = append(b, '\n')
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		if order != nil {
			rank := map[string]int{}
			for i, k := range order {
				rank[k] = i + 1
			}
			sort.Slice(keys, func(i, j int) bool {
				ri, rj := rank[keys[i]], rank[keys[j]]
				if ri == 0 {
					ri = len(order) + 1
				}
				if rj == 0 {
					rj = len(order) + 1
				}
				if ri != rj {
					return ri < rj
				}
				return keys[i] < keys[j]
			})
		} else {
			sort.Slice(keys, func(i, j int) bool {
				if m[keys[i]] != m[keys[j]] {
					return m[keys[i]] > m[keys[j]]
				}
				return keys[i] < keys[j]
			})
		}
		for _, k := range keys {
			line(k, m[k])
		}
	}
	section("Impacts (most severe per allele)", s.Impacts, []string{"HIGH", "MODERATE", "LOW", "MODIFIER"})
	section("Consequences (allele x transcript)", s.Consequences, termNames[:])
	section("Records per chromosome", s.Chromosomes, nil)
	section("Records per track", s.Tracks, nil)
	section("Alleles per annotation source", s.Sources, nil)
	list := func(title string, l []string) {
		if len(l) == 0 {
			return
		}
		b = append(b, '\n')
		b = append(b, title...)
		b = append(b, '\n')
		for _, x := range l {
			b = append(b, "  "+x+"\n"...)
		}
	}
	list("Warnings", s.Warnings)
	list("Errors (skipped records)", s.Errors)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("annotate: write summary: %w", err)
	}
	return nil
}

// Coverage warnings start with the record counts and contain one of these
// (oldNoSequencePhrase: summaries written before N bases counted).
const (
	uncoveredPhrase     = " lie on contigs or regions without gene models in bundle "
	noSequencePhrase    = " lie where the reference sequence is missing or unknown (N) in bundle "
	oldNoSequencePhrase = " lie on contigs without reference sequence in bundle "
)

// FinishCoverage sets the shares from Uncovered, NoSequence and Records and
// (re)writes the two coverage warnings, which make an incomplete bundle
// visible wherever the summary is shown. The engine calls it at the end of
// a run; whoever adds up partial summaries (the pieces of a split job)
// calls it again on the total, which replaces the pieces' warnings.
func (s *Summary) FinishCoverage() {
	kept := s.Warnings[:0]
	for _, w := range s.Warnings {
		if !IsCoverageWarning(w) {
			kept = append(kept, w)
		}
	}
	s.Warnings = kept
	s.UncoveredShare, s.NoSequenceShare = 0, 0
	if s.Records == 0 {
		return
	}
	s.UncoveredShare = float64(s.Uncovered) / float64(s.Records)
	s.NoSequenceShare = float64(s.NoSequence) / float64(s.Records)
	what := ""
	if s.BundleCoverage != "" {
		what = " (" + s.BundleCoverage + ")"
	}
	if s.Uncovered > 0 {
		addCapped(&s.Warnings, itoa(s.Uncovered)+" of "+itoa(s.Records)+" records ("+percent(s.UncoveredShare)+")"+
			uncoveredPhrase+s.Bundle+what+": they are reported as intergenic")
	}
	if s.NoSequence > 0 {
		addCapped(&s.Warnings, itoa(s.NoSequence)+" of "+itoa(s.Records)+" records ("+percent(s.NoSequenceShare)+")"+
			noSequencePhrase+s.Bundle+": REF is not checked and protein changes are not computed there")
	}
}

// IsCoverageWarning reports whether w is one of the two warnings
// FinishCoverage writes, for pages that show coverage apart from the other
// warnings.
func IsCoverageWarning(w string) bool {
	return strings.Contains(w, uncoveredPhrase) || strings.Contains(w, noSequencePhrase) || strings.Contains(w, oldNoSequencePhrase)
}

func percent(f float64) string {
	return strconv.FormatFloat(100*f, 'f', 1, 64) + "%"
}
