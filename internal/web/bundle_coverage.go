package web

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/refdata"
)

// BundleOpener opens the reference bundles by name (jobs.BundleDir does).
// The site only reads them: their manifest (assembly, what they cover) and
// contig names, for the upload form and the pre-flight report.
type BundleOpener interface {
	Bundle(ctx context.Context, name string) (*refdata.Bundle, error)
}

// openBundle returns the named bundle, or nil when the site has no bundles
// or this one cannot be opened here (then nothing is claimed about it).
func (s *server) openBundle(ctx context.Context, name string) *refdata.Bundle {
	if s.d.Bundles == nil || name == "" {
		return nil
	}
	b, err := s.d.Bundles.Bundle(ctx, name)
	if err != nil || b == nil || b.Manifest() == nil {
		if err != nil {
			s.logger.DebugContext(ctx, "bundle not readable by the site", "bundle", name, "err", err)
		}
		return nil
	}
	return b
}

// bundleCovers is what the named bundle covers in one line ("" when the
// site cannot read it).
func (s *server) bundleCovers(ctx context.Context, name string) string {
	if b := s.openBundle(ctx, name); b != nil {
		return describeCoverage(b)
	}
	return ""
}

// coverage classifies records against one bundle the way the engine counts
// them for annotate.Summary: a contig the bundle lacks is uncovered and
// without sequence; a known contig is uncovered outside the span its gene
// models cover, and without sequence when the bundle has none for it or
// the base at POS is N (annotate.UnknownBase).
type coverage struct {
	b       *refdata.Bundle
	contigs []refdata.ContigInfo
	covers  string // describeCoverage of the bundle
	// The last contig looked up: VCFs are sorted, so the name repeats.
	primed bool
	last   string
	id     int
	found  bool
}

func newCoverage(b *refdata.Bundle) *coverage {
	if b == nil || b.Manifest() == nil {
		return nil
	}
	return &coverage{b: b, contigs: b.Manifest().Contigs, covers: describeCoverage(b)}
}

func (c *coverage) classify(chrom []byte, pos int64) (uncovered, noSequence, found bool) {
	if !c.primed || string(chrom) != c.last {
		c.primed, c.last = true, string(chrom)
		c.id, c.found = c.b.ContigID(chrom)
	}
	if !c.found {
		return true, true, false
	}
	if c.id >= len(c.contigs) || !c.contigs[c.id].Covers(pos) {
		uncovered = true
	}
	return uncovered, !c.b.HasSequence(c.id) || annotate.UnknownBase(c.b, c.id, pos), true
}

// smallContig is the length under which a contig with gene models counts
// as a slice of a genome around a gene or a few (an unplaced scaffold, a
// test slice), described by its genes rather than its span.
const smallContig = 1_000_000

// primaryName matches the names of human primary chromosomes without a
// prefix; they are shown as chr1 … chrY, the way most people write them
// (the bundle accepts both).
var primaryName = regexp.MustCompile(`^([0-9]{1,2}|X|Y)$`)

// describeCoverage says in one line what a bundle covers, for people
// choosing one: "GRCh38, chr21:24.8–26.2 Mb and 6 genes on small contigs;
// sources dbsnp, clinvar". It is derived from the manifest's per-contig
// coverage (the builder's own description wins when one was given) and
// says which contigs lack sequence, since protein changes need it.
func describeCoverage(b *refdata.Bundle) string {
	m := b.Manifest()
	if m.Description != "" {
		return m.Description
	}
	var whole, part, noSeq []string
	withGenes := 0
	smallIDs := map[int]bool{}
	for i := range m.Contigs {
		c := &m.Contigs[i]
		if !c.HasGenes || c.Covered == nil {
			continue
		}
		withGenes++
		name := c.Name
		if primaryName.MatchString(name) {
			name = "chr" + name
		}
		if !c.HasSequence {
			noSeq = append(noSeq, name)
		}
		span := c.Covered.End - c.Covered.Start + 1
		mito := strings.EqualFold(strings.TrimPrefix(c.Name, "chr"), "M") || strings.EqualFold(c.Name, "MT")
		switch {
		case c.Length > 0 && c.Length < smallContig && !mito:
			smallIDs[i] = true
		case c.Length <= 0 || float64(span) >= 0.9*float64(c.Length):
			whole = append(whole, name)
		default:
			part = append(part, name+":"+spanText(c.Covered.Start-1, c.Covered.End))
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
	if len(smallIDs) > 0 {
		genes := map[string]bool{}
		for _, t := range b.Transcripts() {
			if smallIDs[t.Contig] {
				genes[t.GeneID] = true
			}
		}
		what = append(what, fmt.Sprintf("%d %s on small contigs", len(genes), plural(len(genes), "gene", "genes")))
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
	return s
}

// joinAnd joins "a", "b", "c" as "a, b and c".
func joinAnd(l []string) string {
	if len(l) < 2 {
		return strings.Join(l, "")
	}
	return strings.Join(l[:len(l)-1], ", ") + " and " + l[len(l)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// spanText writes a 0-based start and an end in the unit of the end, one
// decimal where it matters: 24.8–26.2 Mb, 9.7–33.9 kb, 100–250 bp.
func spanText(start, end int64) string {
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
