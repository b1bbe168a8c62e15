package refdata

import "time"

// FormatVersion is the version of the bundle layout this package writes and
// reads. Open refuses any other, because the binary files are read in place.
// Version 2 added the coding parts of frameshifted transcripts
// (Transcript.CDS).
const FormatVersion = 2

// BuildOptions describe the sources of a bundle.
type BuildOptions struct {
	Name, Assembly string // e.g. "demo", "GRCh38"
	// Genes is a GFF3 or GTF file, plain or gzip/BGZF; the format is detected
	// from the content.
	Genes string
	// FASTA is the genome sequence (optional), plain or gzip/BGZF. When given,
	// its contig order defines the contig IDs.
	FASTA string
	// KnownVariants is a VCF(.gz) of known variants such as dbSNP (optional).
	KnownVariants string
	// KnownInfo lists the INFO fields carried from the known variants; empty
	// means every INFO key declared in its header.
	KnownInfo []string
	// Tracks are BED(-like) region files: chrom, 0-based start, end, optional name.
	Tracks []Track
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

// Track names a region-track source file.
type Track struct{ Name, Path string }

// Manifest is the bundle's description, stored as manifest.json.
type Manifest struct {
	Name          string    `json:"name"`
	Assembly      string    `json:"assembly"`
	Checksum      string    `json:"checksum"` // sha256 over the data files, in Files order
	Created       time.Time `json:"created"`
	FormatVersion int       `json:"format_version"`
	Version       string    `json:"gas_version"`
	Sources       []Source  `json:"sources"`
	Counts        Counts    `json:"counts"`
	// KnownInfo are the INFO keys carried from the known variants, and
	// KnownInfoHeaders their ##INFO header lines, for the annotator's output
	// header.
	KnownInfo        []string     `json:"known_info"`
	KnownInfoHeaders []string     `json:"known_info_headers"`
	Tracks           []string     `json:"tracks"`
	Contigs          []ContigInfo `json:"contigs"`
	Files            []FileInfo   `json:"files"`
}

// Source is one input file of the bundle.
type Source struct {
	Role   string `json:"role"` // genes, fasta, known, track:NAME
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
	KnownVariants     int64            `json:"known_variants"`
	TrackIntervals    map[string]int64 `json:"track_intervals"`
}

// ContigInfo describes one contig. Length is from the FASTA, else from a
// known-variants ##contig line, else the largest coordinate seen.
type ContigInfo struct {
	Name        string `json:"name"`
	Length      int64  `json:"length"`
	HasSequence bool   `json:"has_sequence"`
}

// FileInfo is one data file of the bundle, checked by size at Open and by
// hash in Verify.
type FileInfo struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}
