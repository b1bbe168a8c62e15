package refdata

// Strand is the orientation of a feature on its contig.
type Strand int8

// Strands.
const (
	Forward Strand = 1
	Reverse Strand = -1
)

// Exon is one exon in genomic coordinates, 1-based and inclusive.
type Exon struct {
	Start, End int
}

// CDSPart is one coding part of a transcript (one GFF CDS line), genomic,
// 1-based and inclusive. Phase is the GFF phase: the number of its bases,
// from its 5' end in transcription order, that complete a codon begun in the
// previous part (or that are skipped, for the first part of a 5'-incomplete
// model).
type CDSPart struct {
	Start, End int
	Phase      int
}

// Transcript is one gene model transcript as the engine needs it. All
// coordinates are genomic, 1-based and inclusive, whatever the strand; Exons
// are sorted by ascending Start. The coding region is the part of the exons
// inside [CDSStart, CDSEnd]; both are 0 for a non-coding transcript.
type Transcript struct {
	ID       string // e.g. ENST00000000001 (version suffix kept when the source has it)
	GeneID   string
	GeneName string
	Biotype  string // transcript biotype, e.g. protein_coding, lncRNA
	// ProteinID names the protein the CDS encodes (the protein_id of its
	// CDS lines: Ensembl ENSP…, RefSeq NP_…), "" when the gene model gives
	// none or the bundle predates it (transcripts.bin version 3).
	ProteinID string
	Contig    int // index into Bundle.Contigs()
	Strand    Strand
	Start     int
	End       int
	Exons     []Exon

	CDSStart int
	CDSEnd   int
	// CDS lists the coding parts, sorted by ascending Start, only when the
	// coding sequence is not simply every exonic base of [CDSStart, CDSEnd]
	// once: programmed ribosomal frameshifting, where a -1 slip reads one base
	// twice (SARS-CoV-2 ORF1ab: 266-13468 and 13468-21555) and a +1 slip
	// skips one inside an exon. The translated sequence is the concatenation
	// of the parts in transcription order. nil for an ordinary transcript,
	// which keeps the common case compact in the bundle and on the hot path.
	CDS []CDSPart
	// Phase is the GFF phase of the first coding base in transcription order
	// (0 for a complete CDS): the number of bases to skip before the first
	// complete codon. Non-zero only for 5'-incomplete models.
	Phase int
	// StartIncomplete/EndIncomplete mark CDSs without a proper start or stop
	// (cds_start_NF/cds_end_NF tags, a non-zero phase, or a CDS length that is
	// not a multiple of three). Such models get coding_sequence_variant where a
	// precise call would be a guess.
	StartIncomplete bool
	EndIncomplete   bool

	Canonical  bool // tag Ensembl_canonical
	MANESelect bool // tag MANE_Select

	// Index is the transcript's position in the bundle (stable for one bundle),
	// useful as a compact key.
	Index int
}

// Coding reports whether the transcript has a CDS.
func (t *Transcript) Coding() bool { return t.CDSStart > 0 && t.CDSEnd >= t.CDSStart }
