package annotate

// Summary counts what one annotation run saw and produced; it succeeds
// AnnTools' .count.log. It is serialised as JSON for charts and written as
// text for people (WriteText).
type Summary struct {
	Bundle         string           `json:"bundle"`          // bundle name
	BundleChecksum string           `json:"bundle_checksum"` // bundle checksum
	Records        int64            `json:"records"`         // data records read
	Alleles        int64            `json:"alleles"`         // ALT alleles seen
	Annotated      int64            `json:"annotated"`       // alleles annotated
	NotAnnotated   int64            `json:"not_annotated"`   // symbolic/star alleles passed through
	Skipped        int64            `json:"skipped"`         // malformed records written through (OnError=skip)
	Known          int64            `json:"known"`           // alleles matching a known variant
	Novel          int64            `json:"novel"`           // alleles with no known variant
	Consequences   map[string]int64 `json:"consequences"`    // SO term -> alleles×transcripts with that term
	Impacts        map[string]int64 `json:"impacts"`         // HIGH/MODERATE/LOW/MODIFIER -> count (most severe per allele)
	Chromosomes    map[string]int64 `json:"chromosomes"`     // contig as in input -> records
	Tracks         map[string]int64 `json:"tracks"`          // track name -> records with a hit
	Warnings       []string         `json:"warnings"`        // e.g. contigs absent from the bundle (capped)
	Errors         []string         `json:"errors"`          // skipped-record reasons (capped)
	Seconds        float64          `json:"seconds"`         // wall time of the run
}
