// Package refdata builds and opens reference bundles: versioned directories
// holding a gene model, an optional genome sequence, annotation sources
// (known variants such as dbSNP or ClinVar, allele-keyed score tables) and
// region tracks, stored as compact indexes that open quickly (the large
// parts are memory-mapped, so opening costs neither time nor memory in
// proportion to the data).
package refdata

import (
	"bytes"
	"fmt"
	"sort"
)

// Bundle is an opened reference bundle. All query methods are safe for
// concurrent use and do not allocate beyond the growth of the caller's dst.
type Bundle struct {
	dir      string
	manifest *Manifest

	contigs   []string
	contigIdx map[string]int
	aliasIdx  map[string]int // other names (alias table, chrM/MT), by contig

	// Transcripts sorted by (Contig, Start, End); per contig an interval index.
	tx      []Transcript
	txIndex []ivIndex // per contig

	// Sequence: seq[seqOff[c] : seqOff[c]+seqLen[c]] is contig c; seqLen -1 means no sequence.
	seq    []byte
	seqOff []int64
	seqLen []int64

	sources []*srcIndex

	tracks []track

	closers []func() error
}

// Manifest describes the bundle; do not modify it.
func (b *Bundle) Manifest() *Manifest { return b.manifest }

// Contigs returns the contig names in ID order; do not modify it.
func (b *Bundle) Contigs() []string { return b.contigs }

// ContigID returns the ID of a contig by name. An exact match wins; then
// the contig's aliases (from the alias table the bundle was built with,
// e.g. NC_000001.11 for 1, and chrM/MT for GRCh38); then the name with the
// "chr" prefix added or removed (chr1 <-> 1), because user VCFs and
// reference files disagree on this all the time. hg19's chrM is not
// GRCh37's MT: without an alias saying so, they do not match.
func (b *Bundle) ContigID(name []byte) (int, bool) {
	if id, ok := b.contigIdx[string(name)]; ok { // no allocation: map lookup with string(b)
		return id, true
	}
	if id, ok := b.aliasIdx[string(name)]; ok {
		return id, true
	}
	if len(name) > 64 {
		return 0, false
	}
	var buf [80]byte
	alt := buf[:0]
	if len(name) > 3 && string(name[:3]) == "chr" {
		alt = append(alt, name[3:]...)
	} else {
		alt = append(append(alt, "chr"...), name...)
	}
	if id, ok := b.contigIdx[string(alt)]; ok {
		return id, true
	}
	if id, ok := b.aliasIdx[string(alt)]; ok {
		return id, true
	}
	return 0, false
}

// Transcripts returns all transcripts, sorted by contig and start; Index is
// the position in this slice. Do not modify them.
func (b *Bundle) Transcripts() []Transcript { return b.tx }

// Overlapping appends to dst the transcripts whose [Start,End] overlaps
// [start,end] (1-based, inclusive) on contig, sorted by Start, and returns
// the extended slice. It does not allocate unless dst must grow.
func (b *Bundle) Overlapping(contig, start, end int, dst []*Transcript) []*Transcript {
	if contig < 0 || contig >= len(b.txIndex) || end < start {
		return dst
	}
	b.txIndex[contig].query(start, end, func(i int32) {
		dst = append(dst, &b.tx[i])
	})
	return dst
}

// HasSequence reports whether the bundle holds the sequence of contig.
func (b *Bundle) HasSequence(contig int) bool {
	return contig >= 0 && contig < len(b.seqLen) && b.seqLen[contig] >= 0
}

// Seq returns the bases [start,end] (1-based, inclusive) of contig, uppercase
// A, C, G, T or N. The slice may alias a memory-mapped file: the caller must
// not modify it. A range outside the contig is an error, not a clipped result,
// because a VCF REF beyond the contig end means the wrong reference.
func (b *Bundle) Seq(contig, start, end int) ([]byte, error) {
	if !b.HasSequence(contig) {
		if contig < 0 || contig >= len(b.contigs) {
			return nil, fmt.Errorf("refdata: seq: no contig %d", contig)
		}
		return nil, fmt.Errorf("refdata: seq: contig %s has no sequence in this bundle", b.contigs[contig])
	}
	n := b.seqLen[contig]
	if start < 1 || end < start-1 || int64(end) > n {
		return nil, fmt.Errorf("refdata: seq: %s:%d-%d is outside the contig (length %d)", b.contigs[contig], start, end, n)
	}
	off := b.seqOff[contig]
	return b.seq[off+int64(start-1) : off+int64(end) : off+int64(end)], nil
}

// Sources describes the annotation sources in output order; the index of
// a source is its number in Lookup. Do not modify it.
func (b *Bundle) Sources() []SourceInfo { return b.manifest.AnnotationSources }

// Lookup finds allele a on contig in source src and fills h with its ID and
// values. The first record of the source with the same normalised alleles
// wins. cur (one per source and goroutine, may be nil) makes lookups along
// sorted input cheap. It does not allocate once h's buffers have grown.
func (b *Bundle) Lookup(src int, cur *Cursor, contig int, a *Allele, h *Hit) bool {
	if src < 0 || src >= len(b.sources) {
		return false
	}
	return b.sources[src].lookup(cur, contig, a, h)
}

// Tracks returns the region track names in ID order.
func (b *Bundle) Tracks() []string { return b.manifest.Tracks }

// TrackHits appends to dst the distinct names of the intervals of track that
// overlap [start,end] (1-based, inclusive) on contig, in interval start
// order. An interval without a name (a 3-column BED line) contributes the
// track name itself, so that a plain region list still marks a variant.
// The names alias bundle memory: do not modify them.
func (b *Bundle) TrackHits(track, contig, start, end int, dst [][]byte) [][]byte {
	if track < 0 || track >= len(b.tracks) || end < start {
		return dst
	}
	t := &b.tracks[track]
	if contig < 0 || contig >= len(t.index) {
		return dst
	}
	n0 := len(dst)
	t.index[contig].query(start, end, func(i int32) {
		name := t.name(i)
		for _, d := range dst[n0:] {
			if bytes.Equal(d, name) {
				return
			}
		}
		dst = append(dst, name)
	})
	return dst
}

// Close releases the memory mappings. The bundle and every slice it returned
// must not be used afterwards.
func (b *Bundle) Close() error {
	var first error
	for i := len(b.closers) - 1; i >= 0; i-- {
		if err := b.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	b.closers = nil
	return first
}

// sortTranscripts orders transcripts by contig, start, end and ID so that the
// per-contig interval index can be built over contiguous ranges.
func sortTranscripts(tx []Transcript) {
	sort.Slice(tx, func(i, j int) bool {
		a, c := &tx[i], &tx[j]
		if a.Contig != c.Contig {
			return a.Contig < c.Contig
		}
		if a.Start != c.Start {
			return a.Start < c.Start
		}
		if a.End != c.End {
			return a.End < c.End
		}
		return a.ID < c.ID
	})
}
