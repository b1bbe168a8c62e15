package refdata

import (
	"fmt"
	"sort"
)

// codingParts returns a transcript's coding parts when they are not an
// ordinary CDS (see Transcript.CDS): when two CDS lines overlap (a -1
// ribosomal slip reads a base twice) or leave exonic bases between them (a
// +1 slip skips one). It returns nil for an ordinary transcript, whose parts
// are only cut by introns. parts is sorted by start; exons are merged.
//
// The translated sequence is the concatenation of the parts, so each part's
// GFF phase must continue the reading frame of the parts before it; a phase
// that does not is an error, because codons could not be placed.
func codingParts(file string, t *Transcript, parts []part, exons []Exon) ([]CDSPart, error) {
	var cds []part
	for _, pt := range parts {
		if pt.kind != partCDS {
			continue
		}
		if n := len(cds); n > 0 && cds[n-1].start == pt.start && cds[n-1].end == pt.end {
			continue // a duplicated line
		}
		cds = append(cds, pt)
	}
	special := false
	for i := 1; i < len(cds); i++ {
		a, b := cds[i-1], cds[i]
		gap := b.start - a.end - 1
		if gap < 0 || (gap > 0 && intronBases(exons, a.end+1, b.start-1) < gap) {
			special = true
		}
	}
	if !special {
		return nil, nil
	}
	for i := 1; i < len(cds); i++ {
		if a, b := cds[i-1], cds[i]; b.end <= a.end {
			return nil, fmt.Errorf("%s:%d: transcript %s: CDS %d-%d lies inside the CDS %d-%d (line %d)", file, b.line, t.ID, b.start, b.end, a.start, a.end, a.line)
		}
	}
	// GTF leaves the stop codon out of its CDS lines; a codon feature that no
	// CDS line covers is coding too.
	for _, pt := range parts {
		if pt.kind != partStartCodon && pt.kind != partStopCodon {
			continue
		}
		covered := false
		for _, c := range cds {
			if pt.start <= c.end && pt.end >= c.start {
				covered = true
			}
		}
		if !covered {
			pt.phase = -1
			cds = append(cds, pt)
		}
	}
	sort.SliceStable(cds, func(i, j int) bool { return cds[i].start < cds[j].start })
	// Parts that abut read on without a slip: one part.
	merged := cds[:1]
	for _, c := range cds[1:] {
		last := &merged[len(merged)-1]
		if c.start == last.end+1 {
			last.end = c.end
			if t.Strand == Reverse {
				last.phase = c.phase // the later part in genomic order comes first
			}
			continue
		}
		merged = append(merged, c)
	}
	out := make([]CDSPart, len(merged))
	read := 0 // bases of the parts before, in transcription order
	p0 := 0
	for k := range merged {
		i := k
		if t.Strand == Reverse {
			i = len(merged) - 1 - k
		}
		c := merged[i]
		want := 0
		if k == 0 {
			if c.phase > 0 {
				want = c.phase
			}
			p0 = want
		} else {
			want = (3 - ((read-p0)%3+3)%3) % 3
		}
		if k > 0 && c.phase >= 0 && c.phase != want {
			return nil, fmt.Errorf("%s:%d: transcript %s: CDS %d-%d has phase %d, but the coding parts before it leave phase %d", file, c.line, t.ID, c.start, c.end, c.phase, want)
		}
		out[i] = CDSPart{Start: c.start, End: c.end, Phase: want}
		read += c.end - c.start + 1
	}
	return out, nil
}
