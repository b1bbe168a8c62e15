package annotate

import (
	"bytes"
	"strconv"

	"github.com/gas-project/gas/refdata"
)

// inframeReach is how many codons after an in-frame indel are read to place
// its protein description at the most C-terminal equivalent position.
const inframeReach = 30

// flank is how far up- and downstream of a transcript a variant is still
// reported against it (upstream_gene_variant / downstream_gene_variant).
const flank = 5000

// variant is one normalised ALT allele: the shared prefix and suffix of REF
// and ALT are trimmed, so a pure insertion has an empty ref and end == pos-1
// (the new bases go between pos-1 and pos), and a pure deletion has an empty
// alt. Bases are upper-case, forward strand.
type variant struct {
	pos, end int
	ref, alt []byte
}

func (v *variant) insertion() bool { return v.end < v.pos }

// normalise trims the alleles to the bases that change. The common suffix
// is trimmed first but never past the anchor base (both alleles keep at least
// one base), then the common prefix, then any suffix left. This keeps a VCF
// indel next to its anchor base, where the writer placed it (an insertion
// after the first base of a contig stays inside the contig; CCC>CC deletes
// the base after the anchor), which is also how bcftools places indels. A
// trimmed-to-nothing allele (REF == ALT) reports ok=false.
func normalise(pos int, ref, alt []byte) (v variant, ok bool) {
	for len(ref) > 1 && len(alt) > 1 && ref[len(ref)-1] == alt[len(alt)-1] {
		ref, alt = ref[:len(ref)-1], alt[:len(alt)-1]
	}
	for len(ref) > 0 && len(alt) > 0 && ref[0] == alt[0] {
		ref, alt = ref[1:], alt[1:]
		pos++
	}
	for len(ref) > 0 && len(alt) > 0 && ref[len(ref)-1] == alt[len(alt)-1] {
		ref, alt = ref[:len(ref)-1], alt[:len(alt)-1]
	}
	if len(ref) == 0 && len(alt) == 0 {
		return variant{}, false
	}
	return variant{pos: pos, end: pos + len(ref) - 1, ref: ref, alt: alt}, true
}

// rankKind says whether effect.rank counts exons or introns.
type rankKind uint8

const (
	rankNone rankKind = iota
	rankExon
	rankIntron
)

// effect is the consequence of one allele on one transcript. HGVS strings are
// slices of the scratch arena and live until the arena is reset.
type effect struct {
	m        *txModel
	terms    termSet
	kind     rankKind
	rank     int
	cdnaPos  int
	cdsPos   int
	aaPos    int
	distance int
	hgvsC    []byte
	hgvsP    []byte
	warn     string
}

// Warning texts for the ERRORS / WARNINGS / INFO sub-field.
const (
	warnNoSequence = "WARNING_NO_REFERENCE_SEQUENCE"
	warnIncomplete = "WARNING_TRANSCRIPT_INCOMPLETE"
	noteSymbolic   = "INFO_NOT_ANNOTATED_SYMBOLIC_ALLELE"
	noteNoChange   = "INFO_NOT_ANNOTATED_REF_EQUALS_ALT"
	warnNoContig   = "WARNING_CONTIG_NOT_IN_BUNDLE"
)

// scratch holds one worker's reusable buffers so that annotating a record
// does not allocate in the common case.
type scratch struct {
	arena []byte // HGVS text of the current record
	w, aw []byte // reference and alternate cDNA windows
	refT  []byte // REF and ALT in transcript orientation
	altT  []byte
	raa   []byte // translations
	aaa   []byte
	gs    []byte // genomic bases for 3' shifting
	slid  []byte // REF of a deletion slid off an exon junction
	slid2 []byte // REF of an indel slid off the start codon
	ins   []byte
}

// compute fills ef with the consequence of v on m. src may be nil (no
// sequence for the contig): positional terms are still computed.
func (sc *scratch) compute(m *txModel, v *variant, src seqSource, ef *effect) {
	*ef = effect{m: m, distance: -1}
	t := m.t
	ins := v.insertion()
	s, e := v.pos, v.end

	// Outside the transcript: up- or downstream.
	before, after, dist := false, false, 0
	if ins {
		if s <= t.Start {
			before, dist = true, t.Start-s+1
		} else if s-1 >= t.End {
			after, dist = true, s-t.End
		}
	} else {
		if e < t.Start {
			before, dist = true, t.Start-e
		} else if s > t.End {
			after, dist = true, s-t.End
		}
	}
	if before || after {
		if dist > flank {
			return // too far: no terms, the caller drops the transcript
		}
		ef.distance = dist
		if before != m.rev {
			ef.terms.add(soUpstream)
		} else {
			ef.terms.add(soDownstream)
		}
		sc.hgvsC(m, v, src, ef)
		return
	}

	if sv, ok := sc.slide(m, v, src); ok {
		v = &sv
		s, e = v.pos, v.end
	}
	if sv, ok := sc.clearStart(m, v, src); ok {
		v = &sv
		s, e = v.pos, v.end
	}
	ex := t.Exons
	n := len(ex)
	// Start scanning one exon before the variant: splice zones reach 8
	// bases into the neighbouring intron.
	i0, _ := m.findExon(s - 1)
	if i0 > 0 {
		i0--
	}
	exonHits, intronHits := 0, 0
	firstExon, firstIntron := -1, -1
	coding, codingWhole, gapHit, intronic := false, false, false, false
	for i := i0; i < n; i++ {
		x := ex[i]
		if x.Start > e+9 && x.Start > s+9 {
			break
		}
		// Exon i.
		var hit bool
		var a, b int // exonic part, genomic
		if ins {
			// An insertion at an exon/intron junction lands between the exon
			// and an intact splice dinucleotide, so its bases join the exon.
			hit = (x.Start <= s-1 && s <= x.End) || (s-1 == x.End && i+1 < n) || (s == x.Start && i > 0)
			a, b = s-1, s
		} else {
			hit = s <= x.End && e >= x.Start
			a, b = max(s, x.Start), min(e, x.End)
		}
		if hit {
			exonHits++
			r := m.rankOf(i)
			if firstExon < 0 || r < m.rankOf(firstExon) {
				firstExon = i
			}
			if !m.coding {
				ef.terms.add(soNonCodingExon)
			} else {
				var lowPart, highPart, cdsPart bool
				if ins {
					lowPart = s <= t.CDSStart
					highPart = s-1 >= t.CDSEnd
					cdsPart = !lowPart && !highPart
				} else {
					lowPart = a < t.CDSStart
					highPart = b > t.CDSEnd
					cdsPart = b >= t.CDSStart && a <= t.CDSEnd
				}
				if lowPart {
					if m.rev {
						ef.terms.add(soUTR3)
					} else {
						ef.terms.add(soUTR5)
					}
				}
				if highPart {
					if m.rev {
						ef.terms.add(soUTR5)
					} else {
						ef.terms.add(soUTR3)
					}
				}
				if cdsPart {
					coding = true
					codingWhole = !lowPart && !highPart && (ins || (s >= x.Start && e <= x.End))
				}
			}
		}
		if i+1 >= n {
			break
		}
		// Intron between exon i and i+1, and its splice zones.
		is, ie := x.End+1, ex[i+1].Start-1
		if is > ie {
			continue
		}
		if ie-is <= frameshiftIntronMax {
			// An "intron" of at most 13 bases is an alignment gap of the
			// model (VEP's frameshift intron), not a spliced intron: no
			// splice sites or splice region around it, no intron_variant.
			// A change of its bases is exonic; the transcript lacks them,
			// so its effect on the protein is unknown.
			if (ins && s-1 >= is && s <= ie) || (!ins && s <= ie && e >= is) {
				gapHit = true
				switch {
				case !m.coding:
					ef.terms.add(soNonCodingExon)
				case ie < t.CDSStart || is > t.CDSEnd:
					if (ie < t.CDSStart) != m.rev {
						ef.terms.add(soUTR5)
					} else {
						ef.terms.add(soUTR3)
					}
				default:
					coding = true
				}
			}
			continue
		}
		if ins {
			if s-1 >= is && s <= ie {
				intronHits++
				if firstIntron < 0 || m.rankOf(i) < m.rankOf(firstIntron) {
					firstIntron = i
				}
			}
			// VEP's intronic test: inside the intron clear of its 2-base
			// sites, or right next to one on the inner side.
			if (s-1 >= is+2 && s <= ie-2) || s == is+2 || s-1 == ie-2 {
				intronic = true
			}
		} else if s <= ie && e >= is {
			intronHits++
			if firstIntron < 0 || m.rankOf(i) < m.rankOf(firstIntron) {
				firstIntron = i
			}
			if overlaps(s, e, is+2, ie-2) {
				intronic = true
			}
		}
		sc.splice(m, v, x, ex[i+1], is, ie, ef)
	}
	if exonHits > 1 || (exonHits > 0 && intronHits > 0) || gapHit {
		codingWhole = false
	}
	if gapHit {
		exonHits++ // exonic for positions and the coding tests below
	}
	// VEP's precedence among the splice terms (VariationEffect.pm): a
	// changed donor or acceptor site is not also a splice region, and the
	// donor's 5th base and region (intron bases 3-6) refine the splice
	// region on the donor side, the 5th base the region.
	if ef.terms.hasAny(1<<soSpliceDonor | 1<<soSpliceAcceptor | 1<<soSpliceDonorRegion | 1<<soSpliceDonor5th) {
		ef.terms.del(soSpliceRegion)
	}
	if ef.terms.has(soSpliceDonor5th) {
		ef.terms.del(soSpliceDonorRegion)
	}
	if intronHits > 0 {
		if intronic {
			ef.terms.add(soIntron)
		}
		if !m.coding {
			ef.terms.add(soNonCodingTranscript)
		}
	}
	switch {
	case firstExon >= 0:
		ef.kind, ef.rank = rankExon, m.rankOf(firstExon)
	case firstIntron >= 0:
		ef.kind, ef.rank = rankIntron, m.rankOf(firstIntron)
		if m.rev {
			ef.rank-- // intron k lies after exon k in transcription order
		}
	}
	if m.nmd {
		ef.terms.add(soNMDTranscript)
	}
	if exonHits > 0 {
		sc.positions(m, v, ef)
	}
	if (coding || ef.terms.has(soUTR5)) && (len(v.ref) == 0 || len(v.alt) == 0) && m.overlapsStart(v) && sc.startRetained(m, v, src) {
		// The indel, as written, covers start codon bases, but the same
		// transcript results from a placement wholly inside the 5' UTR: the
		// start codon and the frame are intact (VEP's test: the edited
		// UTR+CDS still ends with the whole CDS). A 5' UTR term for UTR bases
		// the allele covers stays, as VEP reports it.
		ef.terms.add(soStartRetained)
		ef.aaPos = 1
		coding = false
		p := append(sc.arena[len(sc.arena):], "p.Met1="...)
		sc.arena = append(sc.arena, p...)
		ef.hgvsP = sc.arena[len(sc.arena)-len(p):]
	}
	if coding {
		if codingWhole {
			sc.codingEffect(m, v, src, ef)
		} else {
			sc.partialCoding(m, v, src, ef)
		}
	}
	if ef.aaPos > 0 && src != nil {
		m.endsWithStop(src) // AA.length: read whether the CDS ends in a stop
	}
	sc.hgvsC(m, v, src, ef)
}

// splice adds splice terms for the intron [is, ie] between exons left and
// right (genomic order), with VEP's zones (BaseTranscriptVariationAllele's
// _intron_effects): donor and acceptor sites (the 2 intron bases at each
// end), splice region (exon bases 1-3, intron bases 3-8), the donor's 5th
// base and region (intron bases 3-6), and the acceptor's polypyrimidine
// tract (intron bases 3-17 before it). A substitution or deletion counts
// when it overlaps a zone; an insertion when it falls strictly inside a
// site or region (an insertion between an exon and its splice site leaves
// the dinucleotide intact), and for the tract when either flank is in it.
// compute applies VEP's precedence among them afterwards.
func (sc *scratch) splice(m *txModel, v *variant, left, right refdata.Exon, is, ie int, ef *effect) {
	s, e := v.pos, v.end
	if s > ie+3 || max(e, s) < is-3 {
		return
	}
	leftSite := soSpliceDonor
	rightSite := soSpliceAcceptor
	// Donor side: its 5th base and region; acceptor side: the tract.
	fifth, drS, drE := is+4, is+2, is+5
	ptS, ptE := ie-16, ie-2
	if m.rev {
		leftSite, rightSite = soSpliceAcceptor, soSpliceDonor
		fifth, drS, drE = ie-4, ie-5, ie-2
		ptS, ptE = is+2, is+16
	}
	ptS, ptE = max(ptS, is), min(ptE, ie)
	lsE := min(is+1, ie) // left site [is, lsE]
	rsS := max(ie-1, is) // right site [rsS, ie]
	lzS, lzE := max(left.Start, is-3), min(is+7, ie)
	rzS, rzE := max(ie-7, is), min(right.End, ie+3)
	if v.insertion() {
		p := s
		if p-1 == is && p == lsE && lsE > is {
			ef.terms.add(leftSite)
		}
		if p-1 == rsS && p == ie && rsS < ie {
			ef.terms.add(rightSite)
		}
		if (p-1 >= lzS && p <= lzE) || (p-1 >= rzS && p <= rzE) {
			ef.terms.add(soSpliceRegion)
		}
		if p-1 >= drS && p <= drE {
			ef.terms.add(soSpliceDonorRegion)
		}
		if p >= ptS && p-1 <= ptE {
			ef.terms.add(soSplicePolypyrimidine)
		}
		return
	}
	if s <= lsE && e >= is {
		ef.terms.add(leftSite)
	}
	if s <= ie && e >= rsS {
		ef.terms.add(rightSite)
	}
	// Splice region: exonic 1-3 bases or intronic 3-8 bases, per side.
	if overlaps(s, e, max(left.Start, is-3), is-1) || overlaps(s, e, is+2, min(is+7, ie)) ||
		overlaps(s, e, max(ie-7, is), ie-2) || overlaps(s, e, ie+1, min(right.End, ie+3)) {
		ef.terms.add(soSpliceRegion)
	}
	// The fifth intron base of a donor is highly conserved (VEP reports it
	// separately), as are bases 3-6 (the donor region).
	if s <= fifth && e >= fifth {
		ef.terms.add(soSpliceDonor5th)
	}
	if overlaps(s, e, drS, drE) {
		ef.terms.add(soSpliceDonorRegion)
	}
	if overlaps(s, e, ptS, ptE) {
		ef.terms.add(soSplicePolypyrimidine)
	}
}

func overlaps(s, e, a, b int) bool { return a <= b && s <= b && e >= a }

// positions fills cDNA.pos and CDS.pos for an exonic variant.
func (sc *scratch) positions(m *txModel, v *variant, ef *effect) {
	var g int
	switch {
	case v.insertion():
		if c, ok := m.insAfter(v.pos); ok {
			ef.cdnaPos = c
			if m.coding && c >= m.cdsS && c <= m.cdsE {
				ef.cdsPos = c - m.cdsS + 1
			}
		}
		return
	case m.rev:
		g = v.end
	default:
		g = v.pos
	}
	c, ok := m.cdna(g)
	if !ok {
		// The first base is intronic (a deletion reaching into an exon).
		if c2, ok2 := m.cdna(v.pos); ok2 {
			c, ok = c2, true
		} else if c2, ok2 := m.cdna(v.end); ok2 {
			c, ok = c2, true
		}
	}
	if !ok {
		return
	}
	ef.cdnaPos = c
	if m.coding && c >= m.cdsS && c <= m.cdsE {
		ef.cdsPos = c - m.cdsS + 1
	}
}

// partialCoding classifies a variant that touches the CDS but does not lie
// inside one exon's coding part (it crosses a UTR or an intron boundary).
func (sc *scratch) partialCoding(m *txModel, v *variant, src seqSource, ef *effect) {
	t := m.t
	lo, hi := v.pos, v.end
	if v.insertion() {
		lo, hi = v.pos-1, v.pos
	}
	startG1, startG2 := t.CDSStart, t.CDSStart+2 // start codon, genomic, plus strand
	stopG1, stopG2 := t.CDSEnd-2, t.CDSEnd
	if m.rev {
		startG1, startG2, stopG1, stopG2 = t.CDSEnd-2, t.CDSEnd, t.CDSStart, t.CDSStart+2
	}
	if lo < t.Start || hi > t.End {
		// Part of the transcript itself is deleted: the outcome cannot be
		// predicted codon by codon.
		ef.terms.add(soCodingSequence)
		return
	}
	hit := false
	if !t.StartIncomplete && m.phase == 0 && overlaps(lo, hi, startG1, startG2) {
		ef.terms.add(soStartLost)
		ef.aaPos = 1
		hit = true
	}
	if !t.EndIncomplete && overlaps(lo, hi, stopG1, stopG2) && m.endsWithStop(src) {
		hit = true
		switch sc.stopKept(m, v, src) {
		case stopYes:
			ef.terms.add(soStopRetained)
		default:
			ef.terms.add(soStopLost)
		}
		// A deletion from the last codons through the stop into the 3' UTR,
		// by whole codons, keeps the frame of what is read after it.
		if !v.insertion() && len(v.alt) == 0 && len(v.ref)%3 == 0 {
			if _, _, one := m.feature(v.pos, v.end); one {
				ef.terms.add(soInframeDeletion)
			}
		}
	}
	if !hit {
		ef.terms.add(soCodingSequence)
	}
}

// stopKept tells whether a change written over the stop codon and the
// 3' UTR (inside one exon) leaves a stop codon where the reference has
// one: the alternate transcript's codon at the stop's cDNA position, as
// VEP's _ins_del_stop_altered reads it. stopUnknown when it cannot be read
// (no sequence, the change crosses an intron, or the transcript ends).
func (sc *scratch) stopKept(m *txModel, v *variant, src seqSource) int32 {
	if src == nil || v.insertion() {
		return stopUnknown
	}
	if _, _, one := m.feature(v.pos, v.end); !one {
		return stopUnknown
	}
	a := sc.orient(m, v) // cDNA of the first changed base
	b := a + len(sc.refT) - 1
	var codon [3]byte
	for k := range 3 {
		i := m.cdsE - 2 + k // cDNA position in the alternate transcript
		var c int
		switch j := i - a; {
		case i < a:
			c = i
		case j < len(sc.altT):
			codon[k] = sc.altT[j]
			continue
		default:
			c = b + 1 + j - len(sc.altT)
		}
		if c > m.cdnaLen {
			return stopNo // the transcript ends: no codon there
		}
		var err error
		sc.ins, err = m.appendCDNA(sc.ins[:0], src, c, c)
		if err != nil || len(sc.ins) != 1 {
			return stopUnknown
		}
		codon[k] = sc.ins[0]
	}
	if translateCodon(codon[:]) == '*' {
		return stopYes
	}
	return stopNo
}

// codingEffect computes codon-level consequences and HGVS.p for a variant
// inside the coding part of one exon.
func (sc *scratch) codingEffect(m *txModel, v *variant, src seqSource, ef *effect) {
	t := m.t
	if src == nil {
		ef.terms.add(soCodingSequence)
		ef.warn = warnNoSequence
		return
	}
	c1 := sc.orient(m, v)
	if m.segs != nil {
		sc.slipCodingEffect(m, v, src, c1, ef)
		return
	}
	f := m.phase
	q1 := c1 - m.cdsS + 1 // CDS position of the first REF base
	q2 := q1 + len(sc.refT) - 1
	left, right := q1, q2
	if v.insertion() {
		left, right = q1-1, q1
		if left <= f {
			left = q1
		}
		if right > m.cdsLen {
			right = left
		}
	}
	if left-1 < f {
		// Inside the partial codon of a 5'-incomplete CDS, residue 1 of the
		// Ensembl protein (padded with Ns, see aaOff): its amino acid is
		// unknown, but a length change that is not a multiple of 3 still
		// shifts the frame of every complete codon after it (VEP's
		// frameshift needs only the CDS coordinates and the lengths).
		ef.aaPos = 1
		switch d := len(sc.altT) - len(sc.refT); {
		case d%3 != 0:
			ef.terms.add(soFrameshift)
		case d == 0:
			ef.terms.add(soCodingSequence)
		default:
			sc.partialCodonIndel(m, src, q1, q2, ef)
		}
		return
	}
	ciA, ciB := (left-1-f)/3, (right-1-f)/3
	nCodons := (m.cdsLen - f) / 3
	if ciB >= nCodons {
		ef.terms.add(soIncompleteTerminalCodon)
		ef.terms.add(soCodingSequence)
		return
	}
	ef.aaPos = (q1-1-f)/3 + 1 + m.aaOff()
	if v.insertion() {
		ef.aaPos = ciA + 1 + m.aaOff()
	}
	// One codon of context before (insertion flanks, dup detection), and
	// after: one codon, or for an in-frame indel up to inframeReach codons,
	// so that trimming unchanged residues moves a deletion or duplication in
	// a run of repeated residues to its most C-terminal position (HGVS).
	frameshift := (len(sc.altT)-len(sc.refT))%3 != 0
	wA, wB := ciA, ciB
	if wA > 0 {
		wA--
	}
	reach := 1
	if !frameshift && len(sc.altT) != len(sc.refT) {
		reach = inframeReach
	}
	if d := len(sc.altT) - len(sc.refT); !frameshift && d > 0 {
		// An insertion is a duplication when the inserted residues, moved
		// to their most C-terminal place, repeat the residues before them:
		// the window must hold that many residues before the change.
		wA = max(wA-d/3, 0)
	}
	wB = min(wB+reach, nCodons-1)
	wq1 := f + 3*wA + 1
	wq2 := f + 3*wB + 3
	to := m.cdsS + wq2 - 1
	if frameshift {
		to = m.cdnaLen // translate into the 3' UTR to find the new stop
	}
	var err error
	sc.w, err = m.appendCDNA(sc.w[:0], src, m.cdsS+wq1-1, to)
	if err != nil {
		ef.terms.add(soCodingSequence)
		ef.warn = warnNoSequence
		return
	}
	o := q1 - wq1
	if o+len(sc.refT) > len(sc.w) {
		ef.terms.add(soCodingSequence)
		ef.warn = warnIncomplete
		return
	}
	sc.aw = append(sc.aw[:0], sc.w[:o]...)
	sc.aw = append(sc.aw, sc.altT...)
	sc.aw = append(sc.aw, sc.w[o+len(sc.refT):]...)
	firstAA := wA + 1
	// start_lost needs a real ATG start: models starting at an alternative
	// codon (CTG, TTG in bacteria) or mid-protein have none to lose.
	startCodon := !t.StartIncomplete && f == 0 && wA == 0 && len(sc.w) >= 3 && translateCodon(sc.w[:3]) == 'M'
	varCodon := (q1 - 1 - f) / 3 // codon of the first changed base
	if v.insertion() {
		varCodon = ciA
	}
	sc.classify(m, src, ef, codingWindow{
		firstAA: firstAA, q1: q1, q2: q2, varCodon: varCodon, next: m.cdsS + wq2,
		startCodon: startCodon, frameshift: frameshift,
	})
}

// partialCodonIndel classifies an in-frame insertion or deletion that
// begins in the partial first codon of a 5'-incomplete CDS (CDS positions
// q1..q2; q2 = q1-1 for an insertion before q1) as VEP does on such a
// transcript: its codons from the padded first one (Ns, as in the Ensembl
// protein) to the last one the change reaches, translated with X for a
// codon holding an N, then VEP's inframe_deletion, inframe_insertion,
// protein_altering_variant and stop_gained predicates. Start codon terms do
// not apply: the transcript's start is not known (cds_start_NF).
func (sc *scratch) partialCodonIndel(m *txModel, src seqSource, q1, q2 int, ef *effect) {
	pad := m.vepPad()
	last := max(q2, q1-1, 1) // last CDS position the change covers or follows
	end := (last+pad+2)/3*3 - pad
	if end > m.cdsLen {
		ef.terms.add(soCodingSequence)
		return
	}
	var err error
	sc.w, err = m.appendCDNA(sc.w[:0], src, m.cdsS, m.cdsS+end-1)
	if err != nil || len(sc.w) != end {
		ef.terms.add(soCodingSequence)
		ef.warn = warnNoSequence
		return
	}
	ref := append(bytes.Repeat([]byte{'N'}, pad), sc.w...)
	alt := append(append(append(bytes.Repeat([]byte{'N'}, pad), sc.w[:q1-1]...), sc.altT...), sc.w[q2:]...)
	refPep, altPep := translate(nil, ref), translate(nil, alt)
	if bytes.IndexByte(altPep, '*') >= 0 && bytes.IndexByte(refPep, '*') < 0 {
		ef.terms.add(soStopGained)
	}
	switch {
	case len(alt) < len(ref) && (len(sc.altT) == 0 || bytes.HasPrefix(ref, alt) || bytes.HasSuffix(ref, alt)):
		// After trimming the codons' common ends a pure deletion leaves
		// nothing of ALT: VEP's inframe_deletion.
		ef.terms.add(soInframeDeletion)
	case len(alt) > len(ref):
		if i := bytes.IndexByte(altPep, '*'); i >= 0 {
			altPep = altPep[:i+1] // an insertion keeping the stop it brings
		}
		if bytes.HasPrefix(altPep, refPep) || bytes.HasSuffix(altPep, refPep) {
			// VEP's coding_unknown (the X of the padded codon) stands
			// beside an insertion, not beside the terms below.
			ef.terms.add(soInframeInsertion)
			ef.terms.add(soCodingSequence)
		} else {
			ef.terms.add(soProteinAltering)
		}
	default:
		ef.terms.add(soProteinAltering)
	}
}

// orient puts REF and ALT in transcript orientation into sc.refT and
// sc.altT and returns the cDNA position of the first REF base (for an
// insertion, of the base after it).
func (sc *scratch) orient(m *txModel, v *variant) int {
	sc.refT = append(sc.refT[:0], v.ref...)
	sc.altT = append(sc.altT[:0], v.alt...)
	if m.rev {
		revComp(sc.refT)
		revComp(sc.altT)
	}
	var c1 int
	switch {
	case v.insertion():
		c, _ := m.insAfter(v.pos)
		c1 = c + 1
	case m.rev:
		c1, _ = m.cdna(v.end)
	default:
		c1, _ = m.cdna(v.pos)
	}
	return c1
}

// codingWindow describes the reference (sc.w) and alternate (sc.aw) coding
// windows classify compares: both start at the first base of codon
// firstAA; the change covers translated CDS positions q1..q2 and begins in
// codon varCodon (0-based); next is the cDNA position after the reference
// window, where a stop-lost protein's extension is read on.
type codingWindow struct {
	firstAA, q1, q2, varCodon, next int
	startCodon, frameshift          bool
}

// classify computes codon-level terms and HGVS.p from the coding windows.
// Array indexes count codons from the window start (firstAA-1 before it);
// reported positions add m.aaOff(), the padded codon of a 5'-incomplete CDS.
func (sc *scratch) classify(m *txModel, src seqSource, ef *effect, cw codingWindow) {
	firstAA, varCodon, startCodon := cw.firstAA, cw.varCodon, cw.startCodon
	wA := firstAA - 1
	off := m.aaOff()
	if cw.frameshift {
		sc.frameshift(m, cw, ef)
		return
	}
	sc.raa = translate(sc.raa[:0], sc.w)
	sc.aaa = translate(sc.aaa[:0], sc.aw)
	ra, aa := sc.raa, sc.aaa
	d := len(sc.altT) - len(sc.refT)
	// The codons the change touches (an insertion: both flanks), reference
	// and alternate; VEP's peptide alleles are their translations.
	c0, c1 := varCodon-wA, cw.lastCodon(m)-wA+1
	if hasX(ra, c0, c1) || hasX(aa, c0, c1+d/3) {
		// An ambiguous base (N) in a changed codon: which amino acid the
		// reference or the allele encodes is unknown, so is the change
		// (VEP's coding_unknown; no synonymous or missense call on an X).
		ef.terms.add(soCodingSequence)
		ef.aaPos = varCodon + 1 + off
		return
	}
	pf := 0
	for pf < len(ra) && pf < len(aa) && ra[pf] == aa[pf] {
		pf++
	}
	if k := bytes.IndexByte(ra[:pf], '*'); k >= 0 && k >= c0 && (d != 0 || k < c1) {
		// The protein is unchanged through its stop: an indel written at
		// the stop codon only adds or removes bases after it (T>TAAC in
		// TAA), or inserts a new stop right before it (the old one is then
		// never read), or a substitution there keeps the stop. VEP and
		// bcftools call it stop_retained_variant with the in-frame term of
		// the codon change.
		sc.stopRetainedIndel(ef, firstAA+k+off)
		return
	}
	// A stop at or after the first change ends the new protein (a stop
	// before it is shared with the reference and changes nothing).
	truncated := false
	if k := bytes.IndexByte(aa[pf:], '*'); k >= 0 && pf+k+1 < len(aa) {
		aa = aa[:pf+k+1]
		truncated = true
	}
	sf := 0
	if !truncated {
		for sf < len(ra)-pf && sf < len(aa)-pf && ra[len(ra)-1-sf] == aa[len(aa)-1-sf] {
			sf++
		}
	}
	r := ra[pf : len(ra)-sf]
	a := aa[pf : len(aa)-sf]
	if truncated && len(r) > len(a) {
		r = r[:len(a)] // after a new stop the rest of the protein is gone
	}
	keptStop := false
	if truncated && len(r) > 0 && len(a) > 0 && r[len(r)-1] == '*' && a[len(a)-1] == '*' {
		// Both proteins end at this stop: residues inserted before the
		// stop codon (CTG|GCC TAG|TAA reads L A *). HGVS names the inserted
		// residues; VEP reports the stop as retained (its peptide allele
		// ends in the stop), which it is.
		r, a = r[:len(r)-1], a[:len(a)-1]
		keptStop = true
	}
	pos := firstAA + pf + off
	p := sc.arena[len(sc.arena):]
	p = append(p, "p."...)
	switch {
	case len(r) == 0 && len(a) == 0:
		ra0 := ra[varCodon-wA]
		switch {
		case ra0 == '*':
			ef.terms.add(soStopRetained)
		case startCodon && varCodon == 0 && len(sc.refT) != len(sc.altT):
			ef.terms.add(soStartRetained)
		default:
			ef.terms.add(soSynonymous)
		}
		p = appendAA(p, ra0, varCodon+1+off)
		p = append(p, '=')
		ef.aaPos = varCodon + 1 + off
	case startCodon && pos == 1 && len(r) > 0 && r[0] == 'M' && (len(a) == 0 || a[0] != 'M'):
		ef.terms.add(soStartLost)
		if d < 0 {
			ef.terms.add(soInframeDeletion)
		} else if d > 0 {
			ef.terms.add(soInframeInsertion)
		}
		p = append(p, "Met1?"...)
		ef.aaPos = 1
	case bytes.IndexByte(r, '*') >= 0 && bytes.IndexByte(a, '*') < 0:
		k := bytes.IndexByte(r, '*')
		var x byte // the residue read where the stop was
		n := -1    // residues to the next stop, counting x as 0
		ok := false
		switch {
		case k < len(a):
			// The stop reads as a[k]; extension's ok only says whether a
			// codon follows, which a[k] already is.
			x, ok = a[k], true
			_, n, _ = sc.extension(m, src, cw.next, pf+k)
		case k == 0 && len(a) == 0:
			// Only the stop codon is deleted: the 3' UTR is read on in
			// frame, and its first codon takes the stop's place.
			x, n, ok = sc.extension(m, src, cw.next, pf)
			if ok && x == '*' {
				// The next codon is a stop too: the protein keeps its
				// length (VEP's _ins_del_stop_altered reads the same codon).
				sc.stopRetainedIndel(ef, pos)
				return
			}
		}
		ef.terms.add(soStopLost)
		// An in-frame indel that removes the stop is also an in-frame
		// insertion or deletion: the codons change length by whole codons
		// (VEP's inframe_deletion is codon-based and does not give way to
		// stop_lost; bcftools reports both as well).
		if d < 0 {
			ef.terms.add(soInframeDeletion)
		} else if d > 0 {
			ef.terms.add(soInframeInsertion)
		}
		if ok {
			p = appendAA(p, '*', pos+k)
			p = append(p, aaThree[x]...)
			p = append(p, "extTer"...)
			if n >= 0 {
				p = strconv.AppendInt(p, int64(n), 10)
			} else {
				p = append(p, '?')
			}
		} else {
			// Residues before the stop change too, or the transcript ends
			// before a codon can take the stop's place: no extension can
			// be named (HGVS p.?).
			p = append(p, '?')
		}
		ef.aaPos = pos + k
	default:
		if bytes.IndexByte(a, '*') >= 0 && bytes.IndexByte(r, '*') < 0 {
			ef.terms.add(soStopGained)
		} else if keptStop || bytes.IndexByte(r, '*') >= 0 {
			ef.terms.add(soStopRetained)
		}
		// The term of an in-frame length change, by VEP's tests on the
		// touched codons; next to a stop term only the in-frame ones.
		if d != 0 {
			if it, ok := sc.vepInframe(m, sc.raa, sc.aaa, cw, c0, c1, d); ok {
				ef.terms.add(it)
			}
		}
		switch {
		case len(r) == len(a):
			if !ef.terms.has(soStopGained) && !ef.terms.has(soStopRetained) {
				ef.terms.add(soMissense)
			}
			if len(r) == 1 {
				p = appendAA(p, r[0], pos)
				p = append(p, aaThree[a[0]]...)
			} else {
				p = appendAARange(p, r, pos)
				p = append(p, "delins"...)
				p = appendAAs(p, a)
			}
		case len(a) == 0:
			p = appendAARange(p, r, pos)
			p = append(p, "del"...)
		case len(r) == 0:
			if pf >= len(a) && bytes.Equal(ra[pf-len(a):pf], a) {
				p = appendAARange(p, ra[pf-len(a):pf], pos-len(a))
				p = append(p, "dup"...)
			} else if pf >= 1 && pf < len(ra) {
				p = appendAA(p, ra[pf-1], pos-1)
				p = append(p, '_')
				p = appendAA(p, ra[pf], pos)
				p = append(p, "ins"...)
				p = appendAAs(p, a)
			} else {
				p = append(p, '?')
			}
		default:
			p = appendAARange(p, r, pos)
			p = append(p, "delins"...)
			p = appendAAs(p, a)
		}
		ef.aaPos = pos
	}
	sc.arena = append(sc.arena, p...)
	ef.hgvsP = sc.arena[len(sc.arena)-len(p):]
}

// vepInframe names an in-frame length change (d bases, a multiple of 3) as
// VEP's predicates do, on the codons the change touches (window codons
// [c0, c1) of the reference): an insertion is inframe_insertion when the
// alternate peptide, up to a stop, starts or ends with the reference one
// (the reference residues are kept, others added); a deletion is
// inframe_deletion when the alternate codons are the reference ones with
// whole codons' worth of bases taken out at one place. Otherwise the change
// alters residues as well as the length — protein_altering_variant
// (p.Leu317delinsPheGln) — unless a peptide starts with a stop or the
// alternate peptide, stop included, still starts or ends with the reference
// one (then no term: a stop term says it). An insertion between two codons
// touches none, so it is always inframe_insertion.
func (sc *scratch) vepInframe(m *txModel, ra, aa []byte, cw codingWindow, c0, c1, d int) (term, bool) {
	if d > 0 && len(sc.refT) == 0 && (cw.q1-1-m.phase)%3 == 0 {
		c0++
		c1 = c0
	}
	refPep, altPep := clip(ra, c0, c1), clip(aa, c0, c1+d/3)
	if d > 0 {
		cut := altPep
		if k := bytes.IndexByte(cut, '*'); k >= 0 {
			cut = cut[:k+1]
		}
		if bytes.HasPrefix(cut, refPep) || bytes.HasSuffix(cut, refPep) {
			return soInframeInsertion, true
		}
	} else if inframeDeletion(clip(sc.w, 3*c0, 3*c1), clip(sc.aw, 3*c0, 3*c1+d)) {
		return soInframeDeletion, true
	}
	if (len(refPep) > 0 && refPep[0] == '*') || (len(altPep) > 0 && altPep[0] == '*') ||
		bytes.HasPrefix(altPep, refPep) || bytes.HasSuffix(altPep, refPep) {
		return 0, false
	}
	return soProteinAltering, true
}

// inframeDeletion is VEP's codon test: the alternate codons are the
// reference codons less whole codons' worth of bases taken out at one
// place.
func inframeDeletion(refC, altC []byte) bool {
	if bytes.HasPrefix(refC, altC) || bytes.HasSuffix(refC, altC) {
		return true
	}
	for len(refC) > 0 && len(altC) > 0 && refC[0] == altC[0] {
		refC, altC = refC[1:], altC[1:]
	}
	for len(refC) > 0 && len(altC) > 0 && refC[len(refC)-1] == altC[len(altC)-1] {
		refC, altC = refC[:len(refC)-1], altC[:len(altC)-1]
	}
	return len(altC) == 0 && len(refC)%3 == 0
}

// clip returns p[a:b] clamped to p.
func clip(p []byte, a, b int) []byte {
	a, b = max(a, 0), min(b, len(p))
	if a >= b {
		return nil
	}
	return p[a:b]
}

// lastCodon is the 0-based codon of the last changed base (an insertion:
// of the base after it).
func (cw *codingWindow) lastCodon(m *txModel) int {
	return (max(cw.q1, cw.q2) - 1 - m.phase) / 3
}

// hasX reports whether the residues p[a:b] (clamped) include an X, the
// translation of a codon with an ambiguous base.
func hasX(p []byte, a, b int) bool {
	return bytes.IndexByte(clip(p, a, b), 'X') >= 0
}

// stopRetainedIndel reports a change at the stop codon that keeps the
// protein, stop included, unchanged; pos is the stop's position.
func (sc *scratch) stopRetainedIndel(ef *effect, pos int) {
	ef.terms.add(soStopRetained)
	if d := len(sc.altT) - len(sc.refT); d > 0 {
		ef.terms.add(soInframeInsertion)
	} else if d < 0 {
		ef.terms.add(soInframeDeletion)
	}
	p := append(sc.arena[len(sc.arena):], "p."...)
	p = appendAA(p, '*', pos)
	p = append(p, '=')
	sc.arena = append(sc.arena, p...)
	ef.hgvsP = sc.arena[len(sc.arena)-len(p):]
	ef.aaPos = pos
}

// frameshift fills terms and HGVS.p for a frameshift; sc.w and sc.aw hold the
// reference and alternate sequence from the window start to the transcript
// end.
func (sc *scratch) frameshift(m *txModel, cw codingWindow, ef *effect) {
	firstAA, q1, q2, startCodon := cw.firstAA, cw.q1, cw.q2, cw.startCodon
	wA := firstAA - 1
	off := m.aaOff()
	sc.raa = translate(sc.raa[:0], sc.w)
	sc.aaa = translate(sc.aaa[:0], sc.aw)
	ra, aa := sc.raa, sc.aaa
	// Without its start codon the protein has no reading frame to shift, so
	// start_lost replaces frameshift_variant there.
	startLost := startCodon && q1 <= 3
	if startLost {
		ef.terms.add(soStartLost)
	} else {
		ef.terms.add(soFrameshift)
	}
	// stop_lost needs a stop to lose: the change must touch the CDS's last
	// codon and that codon must be a stop. A CDS whose translation runs out
	// without one (no stop in the model, whatever its tags) loses nothing.
	f := m.phase
	nCodons := (m.cdsLen - f) / 3
	stopS := f + 3*(nCodons-1) + 1
	if si := nCodons - 1 - wA; !m.t.EndIncomplete && stopS+2 == m.cdsLen && q2 >= stopS && q1 <= m.cdsLen &&
		si >= 0 && si < len(ra) && ra[si] == '*' {
		ef.terms.add(soStopLost)
	}
	// The alternate bases that hold the change, as VEP's peptide allele
	// reads them, bases [altS, altE) of sc.aw: the touched reference codons,
	// longer or shorter by the indel; for an insertion between two codons,
	// the inserted bases alone.
	altS := 3 * (cw.varCodon - wA)
	altE := 3*(cw.lastCodon(m)-wA+1) + len(sc.altT) - len(sc.refT)
	if len(sc.refT) == 0 && (q1-1-m.phase)%3 == 0 {
		altS = 3 * (cw.varCodon - wA + 1)
		altE = altS + len(sc.altT)
	}
	if k := bytes.IndexByte(ra, '*'); k >= 0 {
		ra = ra[:k+1]
	}
	k := 0
	for k < len(ra) && k < len(aa) && ra[k] == aa[k] {
		k++
	}
	p := sc.arena[len(sc.arena):]
	p = append(p, "p."...)
	switch {
	case startLost:
		p = append(p, "Met1?"...)
		ef.aaPos = 1
	case hasX(ra, cw.varCodon-wA, cw.lastCodon(m)-wA+1) || (k < len(ra) && ra[k] == 'X'):
		// An ambiguous base (N) in the reference codons: where the new
		// frame first differs, and how, is unknown (AA.pos stays the codon
		// of the change).
		p = append(p, '?')
	case k >= len(ra) || k >= len(aa):
		p = append(p, '?')
	default:
		pos := firstAA + k + off
		ef.aaPos = pos
		p = appendAA(p, ra[k], pos)
		if aa[k] == '*' {
			// The first residue the shifted frame reads is a stop. When the
			// alternate codons of the change hold it, the change itself makes
			// it (TAT>TAAT): stop_gained, as VEP calls it when its peptide
			// allele has a stop. A stop completed by the bases after them,
			// or further on, is the frameshift's own end (fsTerN).
			if 3*k >= altS && 3*k+3 <= altE {
				ef.terms.add(soStopGained)
			}
			p = append(p, "Ter"...)
			break
		}
		p = append(p, aaThree[aa[k]]...)
		p = append(p, "fsTer"...)
		if j := bytes.IndexByte(aa[k:], '*'); j >= 0 {
			p = strconv.AppendInt(p, int64(j+1), 10)
		} else {
			p = append(p, '?')
		}
	}
	sc.arena = append(sc.arena, p...)
	ef.hgvsP = sc.arena[len(sc.arena)-len(p):]
}

func appendAA(dst []byte, aa byte, pos int) []byte {
	dst = append(dst, aaThree[aa]...)
	return strconv.AppendInt(dst, int64(pos), 10)
}

func appendAAs(dst, aas []byte) []byte {
	for _, a := range aas {
		dst = append(dst, aaThree[a]...)
	}
	return dst
}

// appendAARange writes "Xaa12" or "Xaa12_Yaa14" for the peptide r starting at
// pos.
func appendAARange(dst, r []byte, pos int) []byte {
	dst = appendAA(dst, r[0], pos)
	if len(r) > 1 {
		dst = append(dst, '_')
		dst = appendAA(dst, r[len(r)-1], pos+len(r)-1)
	}
	return dst
}

// overlapsStart reports whether v, where it is written, covers a base of the
// start codon (an insertion: lies between two of its bases), in cDNA terms
// as VEP's _overlaps_start_codon. An allele only partly inside the exons
// counts when its exonic end lies in the codon.
func (m *txModel) overlapsStart(v *variant) bool {
	if !m.coding {
		return false
	}
	if v.insertion() {
		c, ok := m.insAfter(v.pos)
		return ok && c >= m.cdsS && c < m.cdsS+2
	}
	a, okA := m.cdna(v.pos)
	b, okB := m.cdna(v.end)
	if m.rev {
		a, b, okA, okB = b, a, okB, okA
	}
	switch {
	case okA && okB:
		return a <= m.cdsS+2 && b >= m.cdsS
	case okA:
		return a >= m.cdsS && a <= m.cdsS+2
	case okB:
		return b >= m.cdsS && b <= m.cdsS+2
	}
	return false
}

// startRetained reports whether an indel near the start codon of a complete
// CDS can slide (giving the same transcript sequence) between a placement
// wholly inside the 5' UTR and one touching the start codon, e.g. deleting
// the A of ATG after an A. The start codon then survives: the HGVS 3' rule
// places such an indel on the codon, the VCF left-aligned form in the UTR.
func (sc *scratch) startRetained(m *txModel, v *variant, src seqSource) bool {
	t := m.t
	if src == nil || t.StartIncomplete || m.phase != 0 || (len(v.ref) > 0 && len(v.alt) > 0) {
		return false
	}
	sg := t.CDSStart
	if m.rev {
		sg = t.CDSEnd
	}
	if v.pos > sg+70 || v.end < sg-70 {
		return false
	}
	// cDNA of the first affected base in transcript orientation.
	var c1 int
	var ok bool
	switch {
	case v.insertion():
		c1, ok = m.insAfter(v.pos)
		c1++
	case m.rev:
		c1, ok = m.cdna(v.end)
	default:
		c1, ok = m.cdna(v.pos)
	}
	if !ok {
		return false
	}
	from := max(1, c1-64)
	n := len(v.ref)
	var err error
	sc.w, err = m.appendCDNA(sc.w[:0], src, from, c1+n+64)
	if err != nil {
		return false
	}
	o := c1 - from
	if v.insertion() {
		k := len(v.alt)
		sc.ins = append(sc.ins[:0], v.alt...)
		if m.rev {
			revComp(sc.ins)
		}
		// The insertion goes before w[o]. Leftmost placement:
		l := o
		for i := k - 1; l > 0 && sc.w[l-1] == sc.ins[i]; {
			l--
			if i--; i < 0 {
				i = k - 1
			}
		}
		r := o
		for i := 0; r < len(sc.w) && sc.w[r] == sc.ins[i]; {
			r++
			if i++; i == k {
				i = 0
			}
		}
		// Before w[x] means between cDNA from+x-1 and from+x: in the UTR
		// when from+x <= cdsS, touching the codon when from+x > cdsS.
		return from+l <= m.cdsS && from+r > m.cdsS && from+r <= m.cdsS+3
	}
	if o+n > len(sc.w) {
		return false
	}
	s, e := o, o+n-1
	for s > 0 && sc.w[s-1] == sc.w[e] {
		s--
		e--
	}
	le := e
	s, e = o, o+n-1
	for e+1 < len(sc.w) && sc.w[e+1] == sc.w[s] {
		s++
		e++
	}
	return from+le < m.cdsS && from+e >= m.cdsS && from+s < m.cdsS+3
}

// slideReach bounds how far slide looks for an equivalent placement.
const slideReach = 200

// slide implements the one exception to calling an indel where it is
// written (see docs/annotation.md, "Where an indel is called"): SO defines
// splice_donor/acceptor_variant as changes of the 2-base site, and an exon
// junction is only crossed if the sequence change crosses it. A deletion
// written across an exon/intron junction, or over a splice site, that gives
// the same sequence when placed elsewhere (the deleted bases repeat), and an
// insertion written inside a site that could go outside it, are moved to the
// nearest equivalent placement that stays inside one exon or intron and
// clear of the sites, 3' in transcript orientation first as HGVS does. Failing
// that, a junction-crossing deletion takes the nearest placement inside one
// exon or intron (the site is then really changed). It returns false when
// the written placement stands.
func (sc *scratch) slide(m *txModel, v *variant, src seqSource) (variant, bool) {
	t := m.t
	ins := v.insertion()
	if src == nil || (len(v.alt) != 0 && len(v.ref) != 0) || v.pos < t.Start || v.end > t.End || (ins && v.end < t.Start) {
		return variant{}, false
	}
	_, _, inOne := m.feature(v.pos, v.end)
	if ins {
		inOne = true
	}
	if inOne && !m.touchesSite(v.pos, v.end) {
		return variant{}, false
	}
	lo := max(t.Start, v.pos-slideReach)
	hi := min(t.End, v.end+slideReach)
	g, err := src.Seq(lo, hi)
	if err != nil || len(g) != hi-lo+1 {
		return variant{}, false
	}
	b := func(x int) byte { return g[x-lo] &^ 0x20 }
	clear := func(s, e int) bool {
		if s > e { // an insertion between e and s
			return !m.touchesSite(s, e)
		}
		_, _, ok := m.feature(s, e)
		return ok && !m.touchesSite(s, e)
	}
	inside := func(s, e int) bool {
		_, _, ok := m.feature(s, e)
		return ok
	}
	dirs := [2]int{1, -1} // 3' in transcript orientation first
	if m.rev {
		dirs = [2]int{-1, 1}
	}
	tests := []func(s, e int) bool{clear}
	if !inOne {
		tests = append(tests, inside)
	}
	for _, accept := range tests {
		for _, d := range dirs {
			if s, k, ok := walk(&sc.slid, v, d, lo, hi, b, accept); ok {
				if ins {
					return variant{pos: s, end: s - 1, alt: sc.slid[:k]}, true
				}
				sc.slid = append(sc.slid[:0], g[s-lo:s-lo+k]...)
				upper(sc.slid)
				return variant{pos: s, end: s + k - 1, ref: sc.slid}, true
			}
		}
	}
	return variant{}, false
}

// walk moves v one base at a time in direction d (+1 right, -1 left) while
// the sequence stays the same, and returns the first start position that
// accept takes, with the length of the moved allele. For an insertion the
// rotated inserted bases are left in *buf.
func walk(buf *[]byte, v *variant, d, lo, hi int, b func(int) byte, accept func(s, e int) bool) (int, int, bool) {
	if v.insertion() {
		*buf = append((*buf)[:0], v.alt...)
		slid := *buf
		k := len(slid)
		for s := v.pos; ; {
			if d > 0 {
				if s > hi || b(s) != slid[0] {
					return 0, 0, false
				}
				c := slid[0]
				copy(slid, slid[1:])
				slid[k-1] = c
				s++
			} else {
				if s-1 < lo || b(s-1) != slid[k-1] {
					return 0, 0, false
				}
				c := slid[k-1]
				copy(slid[1:], slid[:k-1])
				slid[0] = c
				s--
			}
			if accept(s, s-1) {
				return s, k, true
			}
		}
	}
	for s, e := v.pos, v.end; ; {
		if d > 0 {
			if e+1 > hi || b(e+1) != b(s) {
				return 0, 0, false
			}
		} else if s-1 < lo || b(s-1) != b(e) {
			return 0, 0, false
		}
		s, e = s+d, e+d
		if accept(s, e) {
			return s, e - s + 1, true
		}
	}
}

// clearStart applies the placement rule to the start codon from the CDS
// side: an indel inside one exon written over start-codon bases that gives
// the same transcript placed 3' of the codon (in transcript orientation)
// leaves the ATG intact, and is called there: deleting GC from ATG|CGG is
// deleting CG after ATG, a frameshift from codon 2, not a lost start. The
// UTR side is VEP's start_retained test in compute.
func (sc *scratch) clearStart(m *txModel, v *variant, src seqSource) (variant, bool) {
	t := m.t
	if src == nil || !m.coding || t.StartIncomplete || m.phase != 0 || (len(v.alt) != 0 && len(v.ref) != 0) || !m.overlapsStart(v) {
		return variant{}, false
	}
	if _, _, ok := m.feature(v.pos, v.end); !ok && !v.insertion() {
		return variant{}, false
	}
	lo := max(t.Start, v.pos-slideReach)
	hi := min(t.End, v.end+slideReach)
	g, err := src.Seq(lo, hi)
	if err != nil || len(g) != hi-lo+1 {
		return variant{}, false
	}
	b := func(x int) byte { return g[x-lo] &^ 0x20 }
	clear := func(s, e int) bool {
		c := variant{pos: s, end: e}
		if s > e {
			c = variant{pos: s, end: s - 1}
			return !m.overlapsStart(&c) && !m.touchesSite(s, e)
		}
		_, _, ok := m.feature(s, e)
		return ok && !m.overlapsStart(&c) && !m.touchesSite(s, e)
	}
	d := 1
	if m.rev {
		d = -1
	}
	s, k, ok := walk(&sc.slid2, v, d, lo, hi, b, clear)
	if !ok {
		return variant{}, false
	}
	if v.insertion() {
		return variant{pos: s, end: s - 1, alt: sc.slid2[:k]}, true
	}
	sc.slid2 = append(sc.slid2[:0], g[s-lo:s-lo+k]...)
	upper(sc.slid2)
	return variant{pos: s, end: s + k - 1, ref: sc.slid2}, true
}

// touchesSite reports whether bases s..e (an insertion: s > e, between e
// and s) change a 2-base splice site: a deletion or substitution overlapping
// one, an insertion between its two bases.
func (m *txModel) touchesSite(s, e int) bool {
	ex := m.t.Exons
	i, _ := m.findExon(min(s, e))
	for k := max(i-1, 0); k <= i && k+1 < len(ex); k++ {
		is, ie := ex[k].End+1, ex[k+1].Start-1
		if ie-is <= frameshiftIntronMax {
			continue // an alignment gap has no splice sites
		}
		if s > e {
			if (e == is && s == is+1) || (e == ie-1 && s == ie) {
				return true
			}
			continue
		}
		if overlaps(s, e, is, is+1) || overlaps(s, e, ie-1, ie) {
			return true
		}
	}
	return false
}

// extension reads a stop-lost protein on: the alternate window sc.aw is
// continued with the transcript after it, from cDNA position from, and the
// residue at index at (where the reference stop was) is returned with the
// distance to the next stop counting that residue as 0 (HGVS
// p.Ter110GlnextTer17), -1 when the transcript ends first. ok is false
// when the transcript ends before a codon at index at.
func (sc *scratch) extension(m *txModel, src seqSource, from, at int) (x byte, n int, ok bool) {
	seq := append(sc.gs[:0], sc.aw...)
	seq, err := m.appendCDNA(seq, src, from, m.cdnaLen)
	sc.gs = seq
	if err != nil || 3*at+3 > len(seq) {
		return 0, -1, false
	}
	x = translateCodon(seq[3*at : 3*at+3])
	for i := 3 * at; i+3 <= len(seq); i += 3 {
		if translateCodon(seq[i:i+3]) == '*' {
			return x, i/3 - at, true
		}
	}
	return x, -1, true
}
