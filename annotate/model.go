package annotate

import (
	"errors"
	"sync/atomic"

	"github.com/gas-project/gas/refdata"
)

// seqSource gives forward-strand reference bases of one contig, 1-based and
// inclusive. The returned slice may alias read-only memory (a memory-mapped
// bundle): callers copy before changing it. An error means the bases are not
// available (no FASTA, range out of the contig).
type seqSource interface {
	Seq(start, end int) ([]byte, error)
}

// errNoSequence reports that a contig has no reference sequence.
var errNoSequence = errors.New("no reference sequence")

// txModel is a transcript with the derived coordinates the engine needs on
// every variant: cDNA offsets per exon and the CDS in cDNA coordinates. It is
// built once per transcript and shared read-only by all workers.
type txModel struct {
	t   *refdata.Transcript
	rev bool
	// cstart[i] is the cDNA position of the first transcribed base of the
	// exon t.Exons[i] (genomic order).
	cstart  []int
	cdnaLen int
	coding  bool
	// cdsS and cdsE are the cDNA positions of the first and last coding base
	// in transcription order; cdsLen = cdsE-cdsS+1.
	cdsS, cdsE, cdsLen int
	// phase is the number of leading CDS bases before the first complete
	// codon (5'-incomplete models).
	phase int
	nmd   bool
	// segs holds the coding parts of a frameshifted transcript (see
	// refdata.Transcript.CDS) in cDNA coordinates and transcription order;
	// nil for an ordinary CDS. cdsS/cdsE still bound the coding region of
	// the transcript (HGVS c. numbering counts transcript bases, each once)
	// while cdsLen counts translated bases.
	segs []cdsSeg
	// stop caches whether the CDS ends in a stop codon, read from the
	// sequence on first use: stopUnknown, stopYes or stopNo.
	stop atomic.Int32
	// annIDs is the transcript's part of an ANN entry, escaped once:
	// gene name|gene ID|transcript|transcript ID|biotype.
	annIDs []byte
}

const (
	stopUnknown = iota
	stopYes
	stopNo
)

// cdsSeg is one coding part in cDNA coordinates: bases cs..ce, the first of
// which is translated base q of the protein's coding sequence.
type cdsSeg struct{ cs, ce, q int }

// newTxModel derives the coordinates of t. A transcript whose CDS ends do not
// fall inside its exons is treated as non-coding rather than guessed at.
func newTxModel(t *refdata.Transcript) *txModel {
	m := &txModel{t: t, rev: t.Strand == refdata.Reverse, cstart: make([]int, len(t.Exons))}
	m.annIDs = appendANNIDs(nil, t)
	n := len(t.Exons)
	c := 1
	for k := 0; k < n; k++ {
		i := m.exonAt(k)
		m.cstart[i] = c
		c += t.Exons[i].End - t.Exons[i].Start + 1
	}
	m.cdnaLen = c - 1
	m.nmd = t.Biotype == "nonsense_mediated_decay" || t.Biotype == "NMD"
	if t.Coding() {
		a, okA := m.cdna(t.CDSStart)
		b, okB := m.cdna(t.CDSEnd)
		if okA && okB {
			if m.rev {
				a, b = b, a
			}
			m.coding = true
			m.cdsS, m.cdsE = a, b
			m.cdsLen = b - a + 1
			m.phase = t.Phase
			if m.phase < 0 || m.phase > 2 {
				m.phase = 0
			}
			if len(t.CDS) > 0 && !m.segments() {
				m.coding = false
			}
		}
	}
	return m
}

// segments fills m.segs from the transcript's coding parts, reporting false
// when a part does not start and end in an exon.
func (m *txModel) segments() bool {
	parts := m.t.CDS
	m.segs = make([]cdsSeg, len(parts))
	q := 1
	for k := range parts {
		p := parts[k]
		if m.rev {
			p = parts[len(parts)-1-k]
		}
		a, okA := m.cdna(p.Start)
		b, okB := m.cdna(p.End)
		if !okA || !okB {
			m.segs = nil
			return false
		}
		if m.rev {
			a, b = b, a
		}
		m.segs[k] = cdsSeg{cs: a, ce: b, q: q}
		q += b - a + 1
	}
	m.cdsLen = q - 1
	return true
}

// cdsQ maps a cDNA position to its translated CDS position: the first one
// when a slip reads the base twice, ok=false when a slip skips it or it is
// not coding.
func (m *txModel) cdsQ(c int) (int, bool) {
	if m.segs == nil {
		return c - m.cdsS + 1, c >= m.cdsS && c <= m.cdsE
	}
	for _, s := range m.segs {
		if c >= s.cs && c <= s.ce {
			return s.q + c - s.cs, true
		}
	}
	return 0, false
}

// exonAt maps a transcription-order exon number (0-based) to its index in
// t.Exons (genomic order).
func (m *txModel) exonAt(k int) int {
	if m.rev {
		return len(m.t.Exons) - 1 - k
	}
	return k
}

// rankOf maps a genomic-order exon index to its 1-based transcription rank.
func (m *txModel) rankOf(i int) int {
	if m.rev {
		return len(m.t.Exons) - i
	}
	return i + 1
}

// findExon returns the genomic-order index of the exon containing g.
func (m *txModel) findExon(g int) (int, bool) {
	ex := m.t.Exons
	lo, hi := 0, len(ex)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if ex[mid].End < g {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(ex) && ex[lo].Start <= g {
		return lo, true
	}
	return lo, false
}

// cdna maps an exonic genomic position to its cDNA position.
func (m *txModel) cdna(g int) (int, bool) {
	i, ok := m.findExon(g)
	if !ok {
		return 0, false
	}
	e := m.t.Exons[i]
	if m.rev {
		return m.cstart[i] + e.End - g, true
	}
	return m.cstart[i] + g - e.Start, true
}

// appendCDNA appends the transcript-orientation bases of cDNA positions
// [from, to] (clamped to the transcript) to dst.
func (m *txModel) appendCDNA(dst []byte, src seqSource, from, to int) ([]byte, error) {
	if src == nil {
		return dst, errNoSequence
	}
	if from < 1 {
		from = 1
	}
	if to > m.cdnaLen {
		to = m.cdnaLen
	}
	n := len(m.t.Exons)
	for k := 0; k < n && from <= to; k++ {
		i := m.exonAt(k)
		e := m.t.Exons[i]
		cs := m.cstart[i]
		ce := cs + e.End - e.Start
		if ce < from || cs > to {
			continue
		}
		a, b := max(from, cs), min(to, ce)
		var gs, ge int
		if m.rev {
			gs, ge = e.End-(b-cs), e.End-(a-cs)
		} else {
			gs, ge = e.Start+(a-cs), e.Start+(b-cs)
		}
		s, err := src.Seq(gs, ge)
		if err != nil {
			return dst, err
		}
		if len(s) != ge-gs+1 {
			return dst, errNoSequence
		}
		at := len(dst)
		dst = append(dst, s...)
		upper(dst[at:])
		if m.rev {
			revComp(dst[at:])
		}
	}
	return dst, nil
}

// insAfter returns the cDNA position after which an insertion between
// genomic positions p-1 and p goes, in transcript orientation. One flank may
// be intronic (an insertion at an exon junction joins the exon).
func (m *txModel) insAfter(p int) (int, bool) {
	if m.rev {
		if c, ok := m.cdna(p); ok {
			return c, true
		}
		c, ok := m.cdna(p - 1)
		return c - 1, ok
	}
	if c, ok := m.cdna(p - 1); ok {
		return c, true
	}
	c, ok := m.cdna(p)
	return c - 1, ok
}

// aaOff is the number of residues Ensembl puts before the first complete
// codon of a 5'-incomplete CDS: it pads the partial first codon with Ns
// into a whole one (an X), so protein positions, VEP's and GAS's, count
// it.
func (m *txModel) aaOff() int {
	if m.phase > 0 {
		return 1
	}
	return 0
}

// endsWithStop reports whether the CDS ends with a complete stop codon.
// The answer is read from src once and cached; without sequence the model's
// tags decide (a CDS not flagged 3'-incomplete is taken to end in a stop).
func (m *txModel) endsWithStop(src seqSource) bool {
	switch m.stop.Load() {
	case stopYes:
		return true
	case stopNo:
		return false
	}
	if !m.coding || m.t.EndIncomplete {
		return false
	}
	if src == nil {
		return true
	}
	st := int32(stopNo)
	if (m.cdsLen-m.phase)%3 == 0 && m.cdsLen-m.phase >= 3 {
		var b [3]byte
		c, err := m.appendCDNA(b[:0], src, m.cdsE-2, m.cdsE)
		if err != nil {
			return true // unreadable: keep the model's word, do not cache
		}
		if len(c) == 3 && translateCodon(c) == '*' {
			st = stopYes
		}
	}
	m.stop.Store(st)
	return st == stopYes
}

// aaLen is the protein length: the padded first codon of a 5'-incomplete
// CDS, then every complete codon, without a final stop codon. src may be
// nil (see endsWithStop).
func (m *txModel) aaLen(src seqSource) int {
	n := (m.cdsLen-m.phase)/3 + m.aaOff()
	if n > 0 && m.endsWithStop(src) {
		n--
	}
	return n
}
