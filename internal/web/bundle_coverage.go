package web

import (
	"context"

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
		return b.Coverage()
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
	covers  string // the bundle's Coverage line
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
	return &coverage{b: b, contigs: b.Manifest().Contigs, covers: b.Coverage()}
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
