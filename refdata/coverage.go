package refdata

import (
	"fmt"
	"strconv"
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

// Coverage says in one line what the bundle covers, for people choosing
// one and for the output header: its Description when one was given at
// build, else composed from the per-contig coverage, e.g. "GRCh38, chr21:
// 24.8–26.2 Mb and 6 small contigs; sources dbsnp, clinvar". An open
// Bundle's Coverage counts the genes on small contigs instead.
func (m *Manifest) Coverage() string { return m.describe(nil) }

// Coverage is Manifest.Coverage with the gene models at hand: gene slices
// on small contigs are counted by gene ("6 genes on small contigs").
func (b *Bundle) Coverage() string {
	return b.manifest.describe(func(small map[int]bool) int {
		genes := map[string]bool{}
		for i := range b.tx {
			if small[b.tx[i].Contig] {
				genes[b.tx[i].GeneID] = true
			}
		}
		return len(genes)
	})
}

// smallContig is the length under which a contig with gene models counts
// as a slice of a genome around a gene or a few (an unplaced scaffold, a
// test slice), described by what it holds rather than its span.
const smallContig = 1_000_000

// isPrimaryName reports the names of human primary chromosomes without a
// prefix; they are shown as chr1 … chrY, the way most people write them
// (the bundle accepts both).
func isPrimaryName(name string) bool {
	switch {
	case name == "X" || name == "Y":
		return true
	case len(name) == 1 || len(name) == 2:
		for _, r := range name {
			if r < '0' || r > '9' {
				return false
			}
		}
		return true
	}
	return false
}

// describe composes the coverage line; genesOn, when given, counts the
// genes on the small contigs (by bundle contig ID).
func (m *Manifest) describe(genesOn func(small map[int]bool) int) string {
	if m.Description != "" {
		return m.Description
	}
	var whole, part, noSeq []string
	withGenes := 0
	small := map[int]bool{}
	for i := range m.Contigs {
		c := &m.Contigs[i]
		if !c.HasGenes || c.Covered == nil {
			continue
		}
		withGenes++
		name := c.Name
		if isPrimaryName(name) {
			name = "chr" + name
		}
		if !c.HasSequence {
			noSeq = append(noSeq, name)
		}
		mito := strings.EqualFold(strings.TrimPrefix(c.Name, "chr"), "M") || strings.EqualFold(c.Name, "MT")
		switch {
		case c.Length > 0 && c.Length < smallContig && !mito:
			small[i] = true
		case c.whole():
			whole = append(whole, name)
		default:
			part = append(part, name+":"+span(c.Covered.Start-1, c.Covered.End))
		}
	}
	var what []string
	switch {
	case len(whole) > 3:
		what = append(what, strconv.Itoa(len(whole))+" whole contigs")
	case len(whole) > 0:
		what = append(what, strings.Join(whole, ", "))
	}
	switch {
	case len(part) > 3:
		what = append(what, "parts of "+strconv.Itoa(len(part))+" contigs")
	default:
		what = append(what, part...)
	}
	if len(small) > 0 {
		if genesOn != nil {
			what = append(what, count(genesOn(small), "gene", "genes")+" on small contigs")
		} else {
			what = append(what, count(len(small), "small contig", "small contigs"))
		}
	}
	s := m.Assembly
	if s == "" {
		s = "unnamed assembly"
	}
	if len(what) == 0 {
		return s + ", no gene models"
	}
	s += ", " + joinAnd(what)
	switch {
	case len(noSeq) == withGenes:
		s += "; no reference sequence"
	case len(noSeq) > 3:
		s += fmt.Sprintf("; no reference sequence for %d contigs", len(noSeq))
	case len(noSeq) > 0:
		s += "; no reference sequence for " + strings.Join(noSeq, ", ")
	}
	if len(m.AnnotationSources) > 0 {
		names := make([]string, len(m.AnnotationSources))
		for i, src := range m.AnnotationSources {
			names[i] = src.Name
		}
		s += "; sources " + strings.Join(names, ", ")
	}
	if len(m.Tracks) > 0 {
		s += "; tracks " + strings.Join(m.Tracks, ", ")
	}
	return s
}

// joinAnd joins "a", "b", "c" as "a, b and c".
func joinAnd(l []string) string {
	if len(l) < 2 {
		return strings.Join(l, "")
	}
	return strings.Join(l[:len(l)-1], ", ") + " and " + l[len(l)-1]
}

// count writes n with the noun's singular or plural.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// span writes a 0-based start and an end in the unit of the end, one
// decimal where it matters: 24.8–26.2 Mb, 9.7–33.9 kb, 100–250 bp.
func span(start, end int64) string {
	unit, div := "bp", 1.0
	switch {
	case end >= 1e6:
		unit, div = "Mb", 1e6
	case end >= 1e3:
		unit, div = "kb", 1e3
	}
	f := func(n int64) string {
		return strings.TrimSuffix(strconv.FormatFloat(float64(n)/div, 'f', 1, 64), ".0")
	}
	return f(start) + "–" + f(end) + " " + unit
}
