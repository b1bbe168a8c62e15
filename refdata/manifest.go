package refdata

import "time"

// FormatVersion is the version of the bundle layout this package writes and
// reads. Open refuses any other, because the binary files are read in place.
// Version 2 added the coding parts of frameshifted transcripts
// (Transcript.CDS); version 3 replaced the single known-variants table by
// any number of annotation sources (src.NAME.idx/.dat) and records
// per-contig coverage and aliases.
const FormatVersion = 3

// BuildOptions describe the sources of a bundle.
type BuildOptions struct {
	Name, Assembly string // e.g. "demo", "GRCh38"
	// Genes is a GFF3 or GTF file, plain or gzip/BGZF; the format is detected
	// from the content.
	Genes string
	// FASTA is the genome sequence (optional), plain or gzip/BGZF. When given,
	// its contig order defines the contig IDs.
	FASTA string
	// Sources are the annotation sources: known-variant VCFs and allele-keyed
	// score tables, each written as NAME_FIELD INFO keys (see SourceSpec).
	Sources []SourceSpec
	// KnownVariants and KnownInfo are the older way to give one known-variant
	// VCF: they stand for a source named "known" (SourceSpec{Name: "known",
	// Kind: KindKnown, Path: KnownVariants, Fields: KnownInfo}).
	KnownVariants string
	KnownInfo     []string
	// ContigAliases is a UCSC chromAlias file or an NCBI assembly report
	// (optional): with it chr1, 1, NC_000001.11 and CM000663.2 name one
	// contig in every source and in the VCFs annotated with the bundle.
	ContigAliases string
	// Tracks are region files: BED(-like) (chrom, 0-based start, end,
	// optional name) or UCSC table dumps with a leading bin column.
	Tracks []Track
	// Description is the one-line summary of what the bundle covers; empty
	// composes one from the contents (Manifest.Coverage).
	Description string
	// SortMemory bounds the memory an external sort of an unsorted source
	// fills before spilling a run (default 384 MiB).
	SortMemory int
	// TempDir holds the external sort's runs (default: next to Out).
	TempDir string
	// SkipSpaceCheck builds even when the free disk space looks too small
	// for the estimate made before building.
	SkipSpaceCheck bool
	// Out is the bundle directory to create. It must not exist; the bundle is
	// written to a temporary sibling and renamed, so a failed build leaves
	// nothing behind.
	Out string
	// Version is the gas version recorded in the manifest.
	Version string
	// Progress, when set, is called as stages advance (done/total in bytes of
	// the source being read, total 0 when unknown).
	Progress func(stage string, done, total int64)
	// Origins, keyed by the role the build gives an input (Source.Role),
	// say where downloaded inputs came from; each is stored with its source
	// in the manifest (optional; set by the installer).
	Origins map[string]*Origin
}

// Track names a region-track source file. Format is TrackBED or TrackUCSC;
// empty decides from the file (a .txt table with a leading bin column is a
// UCSC table, anything else BED).
type Track struct {
	Name, Path string
	Format     string
}

// Manifest is the bundle's description, stored as manifest.json.
type Manifest struct {
	Name     string    `json:"name"`
	Assembly string    `json:"assembly"`
	Checksum string    `json:"checksum"` // sha256 over the data files, in Files order
	Created  time.Time `json:"created"`
	// Modified is when a source was last added or removed (zero: never).
	Modified      time.Time `json:"modified,omitzero"`
	FormatVersion int       `json:"format_version"`
	Version       string    `json:"gas_version"`
	// Description says in one line what the bundle covers (given at build,
	// else composed by Coverage).
	Description string   `json:"description"`
	Sources     []Source `json:"sources"` // the input files
	Counts      Counts   `json:"counts"`
	// AnnotationSources are the known-variant and score sources, in output
	// order.
	AnnotationSources []SourceInfo `json:"annotation_sources"`
	Tracks            []string     `json:"tracks"`
	Contigs           []ContigInfo `json:"contigs"`
	Files             []FileInfo   `json:"files"`
}

// Source is one input file of the bundle.
type Source struct {
	Role   string `json:"role"` // genes, fasta, aliases, known:NAME, scores:NAME (known for the source named known), track:NAME
	Path   string `json:"path"` // base name
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Origin is where the file was downloaded from and how it was checked
	// (absent for local files).
	Origin *Origin `json:"origin,omitempty"`
}

// Counts summarise the bundle content.
type Counts struct {
	Contigs           int              `json:"contigs"`
	Genes             int              `json:"genes"`
	Transcripts       int              `json:"transcripts"`
	CodingTranscripts int              `json:"coding_transcripts"`
	Bases             int64            `json:"bases"`
	KnownVariants     int64            `json:"known_variants"` // alleles of the known-variant sources
	TrackIntervals    map[string]int64 `json:"track_intervals"`
}

// ContigInfo describes one contig. Length is from the FASTA, else from a
// source's ##contig line, else the largest coordinate seen.
type ContigInfo struct {
	Name        string `json:"name"`
	Length      int64  `json:"length"`
	HasSequence bool   `json:"has_sequence"`
	// HasGenes reports gene models on the contig (Transcripts of them), and
	// Covered the span they annotate: the gene model's ##sequence-region
	// declaration, else its transcripts' extent widened by the 5 kb of
	// upstream/downstream calls. nil without gene models.
	HasGenes    bool  `json:"has_genes"`
	Transcripts int   `json:"transcripts"`
	Covered     *Span `json:"covered,omitempty"`
	// Aliases are other names of the contig a VCF may use (from the alias
	// table; chrM/MT for GRCh38), besides the chr1 <-> 1 rule.
	Aliases []string `json:"aliases,omitempty"`
}

// Span is a 1-based, inclusive range of a contig.
type Span struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// FileInfo is one data file of the bundle, checked by size at Open and by
// hash in Verify.
type FileInfo struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}
