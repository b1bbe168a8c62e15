package refdata

import (
	"fmt"
	"strings"
)

// Source kinds.
const (
	// KindKnown is a VCF of known variants (dbSNP, ClinVar, gnomAD sites):
	// its INFO fields become source fields and its IDs may fill the output's
	// ID column.
	KindKnown = "known"
	// KindScores is an allele-keyed table: tab-separated chrom, pos, ref,
	// alt, then value columns (CADD, REVEL or SpliceAI-style precomputed
	// files), plain or gzip/BGZF, with an optional '#' header line naming
	// the columns.
	KindScores = "scores"
)

// LegacyKnownName is the name of the source that BuildOptions.KnownVariants
// (gas refdata build --known-variants) stands for.
const LegacyKnownName = "known"

// SourceSpec describes one annotation source to build into a bundle.
type SourceSpec struct {
	// Name is the lower-case prefix of the source's INFO keys (NAME_FIELD)
	// and its name in the bundle: a letter, then letters, digits or '_'.
	Name string
	// Kind is KindKnown (VCF) or KindScores (tab-separated table).
	Kind string
	// Path is the input file, plain or gzip/BGZF. Sorted input (by contig,
	// then position) is streamed; unsorted input is sorted externally.
	Path string
	// Fields lists the INFO fields (known) or value columns (scores) to
	// keep, in output order; empty keeps every declared INFO field or every
	// value column.
	Fields []string
	// ID marks the source whose IDs fill the VCF ID column. See IDSources
	// for the default when no source of a build sets it.
	ID bool
	// Version describes the release (e.g. "build 156"); empty takes it from
	// the file's header (##dbSNP_BUILD_ID, ##fileDate, ##source or, for a
	// table, its first '##' line).
	Version string
}

// SourceInfo describes one annotation source of a built bundle, as the
// manifest records it and the engine writes it into output headers.
type SourceInfo struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Version string `json:"version"`
	// File and SHA256 name the input the source was built from (its
	// checksum is the one written to output headers).
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// ID reports whether the source's IDs fill the VCF ID column.
	ID     bool        `json:"id"`
	Fields []FieldInfo `json:"fields"`
	// Alleles is the number of alleles stored.
	Alleles int64 `json:"alleles"`
	// Data names the bundle files holding the source (index, then values).
	Data   [2]string    `json:"data"`
	Report SourceReport `json:"report"`
}

// FieldInfo describes one field of a source.
type FieldInfo struct {
	Name string `json:"name"` // as in the source (INFO key or column name)
	Key  string `json:"key"`  // output INFO key: SOURCE_FIELD
	// Number and Type are the source's declaration (for a table, Number 1
	// and the type inferred from the values: Float or String).
	Number      string `json:"number"`
	Type        string `json:"type"`
	Description string `json:"description"`
	// Stored is how values are kept: Float (float32), Integer, Flag or
	// String. A value that does not parse as the stored type is dropped and
	// counted in the build report (SourceReport.BadValues).
	Stored string `json:"stored"`
}

// PerAllele reports whether the field has one value per allele (so the
// engine keeps its type), as opposed to a list it writes as one escaped
// string.
func (f FieldInfo) PerAllele() bool {
	switch f.Number {
	case "A", "R", "1", "0":
		return true
	}
	return false
}

// OutputType is the VCF Type of the field's output INFO key. A flag
// becomes an Integer (1 set, 0 not set, '.' when the allele is not in the
// source): the output is Number=A, which a Flag cannot be.
func (f FieldInfo) OutputType() string {
	if f.Stored == "Flag" {
		return "Integer"
	}
	if !f.PerAllele() {
		return "String"
	}
	switch f.Type {
	case "Integer", "Float", "String", "Character":
		return f.Type
	}
	return "String"
}

// SourceReport is what a source build read and skipped. A record GAS cannot
// use is skipped and counted, never fatal.
type SourceReport struct {
	Records int64 `json:"records"` // data lines read
	Alleles int64 `json:"alleles"` // alleles stored
	// Skipped counts the records or alleles left out, by reason:
	// bad_line (unparseable line), iupac (IUPAC code in REF or ALT),
	// symbolic (<DEL>, *, breakends), no_alt (ALT '.'), no_change (ALT equal
	// to REF), duplicate (same alleles again at a position: the first wins).
	Skipped map[string]int64 `json:"skipped,omitempty"`
	// BadValues counts field values that did not parse as their type.
	BadValues int64 `json:"bad_values,omitempty"`
	// Examples are the first skipped lines, "file:line: reason".
	Examples []string `json:"examples,omitempty"`
	// Sorted is false when the input was not sorted by contig and position
	// and was sorted externally in Runs runs.
	Sorted bool `json:"sorted"`
	Runs   int  `json:"runs,omitempty"`
	// NewContigs are contigs of the source that the bundle did not have
	// (they are added without sequence or gene models).
	NewContigs []string `json:"new_contigs,omitempty"`
	Seconds    float64  `json:"seconds"`
}

const maxExamples = 10

func (r *SourceReport) skip(reason, file string, line int64) {
	if r.Skipped == nil {
		r.Skipped = map[string]int64{}
	}
	r.Skipped[reason]++
	if len(r.Examples) < maxExamples {
		r.Examples = append(r.Examples, fmt.Sprintf("%s:%d: %s", file, line, strings.ReplaceAll(reason, "_", " ")))
	}
}

// SkippedTotal is the number of records and alleles left out.
func (r *SourceReport) SkippedTotal() int64 {
	var n int64
	for _, v := range r.Skipped {
		n += v
	}
	return n
}

// ValidSourceName reports whether s can name a source: a lower-case letter,
// then lower-case letters, digits or '_', at most 32 characters (it becomes
// an INFO key prefix and a file name).
func ValidSourceName(s string) bool {
	if s == "" || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// IDSources applies the default ID rule to specs: when no spec sets ID, the
// sources named "dbsnp" and the legacy "known" source fill the ID column
// (dbSNP rs numbers are what users expect there; a ClinVar variation ID or
// a gnomAD key is not). It returns the specs with ID set.
func IDSources(specs []SourceSpec) []SourceSpec {
	for _, s := range specs {
		if s.ID {
			return specs
		}
	}
	out := append([]SourceSpec(nil), specs...)
	for i := range out {
		if out[i].Kind == KindKnown && (out[i].Name == "dbsnp" || out[i].Name == LegacyKnownName) {
			out[i].ID = true
		}
	}
	return out
}

// sourceSpecs returns the sources of a build: opt.Sources plus the legacy
// KnownVariants/KnownInfo pair as a source named "known", checked and with
// the ID rule applied.
func sourceSpecs(opt BuildOptions) ([]SourceSpec, error) {
	specs := append([]SourceSpec(nil), opt.Sources...)
	if opt.KnownVariants != "" {
		specs = append(specs, SourceSpec{Name: LegacyKnownName, Kind: KindKnown, Path: opt.KnownVariants, Fields: opt.KnownInfo})
	}
	seen := map[string]bool{}
	for i := range specs {
		s := &specs[i]
		if s.Kind == "" {
			s.Kind = KindKnown
		}
		if err := checkSpec(*s); err != nil {
			return nil, err
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("source %s given twice", s.Name)
		}
		seen[s.Name] = true
	}
	return IDSources(specs), nil
}

func checkSpec(s SourceSpec) error {
	if !ValidSourceName(s.Name) {
		return fmt.Errorf("source name %q: want a lower-case letter, then lower-case letters, digits or '_' (at most 32)", s.Name)
	}
	switch s.Kind {
	case KindKnown, KindScores:
	default:
		return fmt.Errorf("source %s: kind %q, want %q or %q", s.Name, s.Kind, KindKnown, KindScores)
	}
	if s.Path == "" {
		return fmt.Errorf("source %s: no file", s.Name)
	}
	if s.Kind == KindScores && s.ID {
		return fmt.Errorf("source %s: a scores table has no IDs to fill the ID column", s.Name)
	}
	return nil
}

// fieldKey is the output INFO key of a source field: NAME_FIELD, with
// characters an INFO key cannot hold replaced by '_'.
func fieldKey(source, field string) string {
	b := []byte(source + "_" + field)
	for i, c := range b {
		if !(c == '_' || c == '.' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}
