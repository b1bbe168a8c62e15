// Package refdata builds and opens reference bundles: versioned directories
// holding a gene model, an optional genome sequence, optional known variants
// and region tracks, stored as compact indexes that open quickly (the large
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

	// Transcripts sorted by (Contig, Start, End); per contig an interval index.
	tx      []Transcript
	txIndex []ivIndex // per contig

	// Sequence: seq[seqOff[c] : seqOff[c]+seqLen[c]] is contig c; seqLen -1 means no sequence.
	seq    []byte
	seqOff []int64
	seqLen []int64

	known knownIndex

	tracks []track

	closers []func() error
}

// Manifest describes the bundle; do not modify it.
func (b *Bundle) Manifest() *Manifest { return b.manifest }

// Contigs returns the contig names in ID order; do not modify it.
func (b *Bundle) Contigs() []string { return b.contigs }

// ContigID returns the ID of a contig by name. An exact match wins; otherwise
// the UCSC and Ensembl spellings are tried (chr1 <-> 1, chrM <-> MT), because
// user VCFs and reference files disagree on this all the time.
func (b *Bundle) ContigID(name []byte) (int, bool) {
	if id, ok := b.contigIdx[string(name)]; ok { // no allocation: map lookup with string(b)
		return id, true
	}
	if len(name) > 64 {
		return 0, false
	}
	var buf [80]byte
	alt := buf[:0]
	switch {
	case bytes.Equal(name, []byte("chrM")):
		alt = append(alt, "MT"...)
	case bytes.Equal(name, []byte("MT")):
		alt = append(alt, "chrM"...)
	case bytes.HasPrefix(name, []byte("chr")):
		alt = append(alt, name[3:]...)
	default:
		alt = append(append(alt, "chr"...), name...)
	}
	if id, ok := b.contigIdx[string(alt)]; ok {
		return id, true
	}
	// chrM may also be stored as "M", and MT as "chrMT".
	switch {
	case bytes.Equal(name, []byte("chrM")) || bytes.Equal(name, []byte("MT")):
		for _, n := range []string{"M", "chrMT"} {
			if id, ok := b.contigIdx[n]; ok {
				return id, true
			}
		}
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

// KnownInfo returns the INFO keys the known variants carry, in output order.
func (b *Bundle) KnownInfo() []string { return b.manifest.KnownInfo }

// LookupKnown finds a known variant with the same normalised alleles as
// (pos, ref, alt) on contig. Alleles are normalised by trimming the common
// suffix, then the common prefix (moving pos), so a padded indel matches its
// differently padded twin. id is the known ID ("rs…", may be empty) and info
// is "KEY=VAL;KEY=VAL" of the KnownInfo fields present, ready to append to an
// INFO column. Both alias bundle memory: do not modify them.
func (b *Bundle) LookupKnown(contig, pos int, ref, alt []byte) (id []byte, info []byte, ok bool) {
	return b.known.lookup(contig, pos, ref, alt)
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
