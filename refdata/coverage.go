package refdata

import (
	"fmt"
	"strings"
)

// coverFlank widens a gene model's extent by the distance of upstream and
// downstream calls: a variant that close to the outermost gene is still
// annotated meaningfully.
const coverFlank = 5000

// coverage sets HasGenes, Transcripts and Covered of every contig from the
// transcripts (already renumbered to bundle contigs) and the gene model's
// ##sequence-region declarations.
func coverage(contigs []ContigInfo, tx []Transcript, regions map[int]Span) {
	lo := make([]int64, len(contigs))
	hi := make([]int64, len(contigs))
	for i := range tx {
		t := &tx[i]
		c := &contigs[t.Contig]
		if c.Transcripts == 0 || int64(t.Start) < lo[t.Contig] {
			lo[t.Contig] = int64(t.Start)
		}
		hi[t.Contig] = max(hi[t.Contig], int64(t.End))
		c.Transcripts++
		c.HasGenes = true
	}
	for i := range contigs {
		c := &contigs[i]
		if !c.HasGenes {
			continue
		}
		r, found := regions[i]
		if !found {
			r = Span{Start: max(1, lo[i]-coverFlank), End: hi[i] + coverFlank}
			if c.Length > 0 {
				r.End = min(r.End, c.Length)
			}
		}
		c.Covered = &r
	}
}

// Covers reports whether pos (1-based) on contig c lies where the bundle
// has gene models.
func (c *ContigInfo) Covers(pos int64) bool {
	return c.HasGenes && c.Covered != nil && pos >= c.Covered.Start && pos <= c.Covered.End
}

// whole reports whether the covered span is (nearly) the whole contig.
func (c *ContigInfo) whole() bool {
	if c.Covered == nil {
		return false
	}
	if c.Length <= 0 {
		return true
	}
	return float64(c.Covered.End-c.Covered.Start+1) >= 0.9*float64(c.Length)
}

// Coverage is the one-line description of what the bundle covers: its
// Description when one was given at build, else composed from the
// contigs with gene models, their sequence, the sources and tracks, e.g.
// "GRCh38: 25 whole contigs with sequence; sources dbsnp (dbSNP build 156),
// clinvar".
func (m *Manifest) Coverage() string {
	if m.Description != "" {
		return m.Description
	}
	return describe(m)
}

func describe(m *Manifest) string {
	var whole, part []string
	genes, seq := 0, 0
	for i := range m.Contigs {
		c := &m.Contigs[i]
		if !c.HasGenes {
			continue
		}
		genes++
		if c.HasSequence {
			seq++
		}
		if c.whole() {
			whole = append(whole, c.Name)
		} else {
			part = append(part, c.Name+":"+span(c.Covered.Start-1, c.Covered.End))
		}
	}
	var what []string
	switch {
	case len(whole) == 1:
		what = append(what, "contig "+whole[0])
	case len(whole) > 1 && len(whole) <= 3:
		what = append(what, "contigs "+strings.Join(whole, ", "))
	case len(whole) > 3:
		what = append(what, fmt.Sprintf("%d whole contigs", len(whole)))
	}
	switch {
	case len(part) == 0:
	case len(part) <= 3:
		what = append(what, part...)
	default:
		what = append(what, fmt.Sprintf("parts of %d contigs", len(part)))
	}
	s := m.Assembly
	if s == "" {
		s = "unnamed assembly"
	}
	if len(what) == 0 {
		return s + ": no gene models"
	}
	s += ": " + strings.Join(what, ", ")
	switch {
	case seq == genes:
		s += " (with sequence)"
	case seq == 0:
		s += " (no sequence)"
	default:
		s += fmt.Sprintf(" (sequence for %d of %d)", seq, genes)
	}
	if len(m.AnnotationSources) > 0 {
		var names []string
		for _, src := range m.AnnotationSources {
			names = append(names, src.Name)
		}
		s += "; sources " + strings.Join(names, ", ")
	}
	if len(m.Tracks) > 0 {
		s += "; tracks " + strings.Join(m.Tracks, ", ")
	}
	return s
}

// span formats a 0-based start and an end in the unit of the end: 25-26 Mb,
// 20-60 kb, 100-250 bp (one decimal where it matters).
func span(start, end int64) string {
	unit, div := "bp", 1.0
	switch {
	case end >= 1e6:
		unit, div = "Mb", 1e6
	case end >= 1e3:
		unit, div = "kb", 1e3
	}
	f := func(n int64) string {
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/div), ".0")
	}
	return f(start) + "-" + f(end) + " " + unit
}
