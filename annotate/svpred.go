package annotate

import "github.com/gas-project/gas/refdata"

// This file decides the consequences of a structural variant on one
// transcript the way Ensembl VEP does for a TranscriptStructuralVariation:
// the pre-consequence predicates of BaseVariationFeatureOverlapAllele
// (_bvf_preds, _bvfo_preds) choose which consequence types are tried, and
// the structural-variant branches of the predicates in
// Bio::EnsEMBL::Variation::Utils::VariationEffect decide each one. Only
// arithmetic on exon coordinates is used: no sequence, no per-base state and
// no transcript model, so a deletion of many megabases over hundreds of
// transcripts costs one pass over each transcript's exons.

// svClass is how a structural variant changes the amount of sequence, which
// is all VEP's predicates ask of it.
type svClass uint8

const (
	svNone       svClass = iota
	svLoss               // <DEL>, <DEL:ME…>, copy-number loss: VEP's deletion
	svGain               // <DUP>, <DUP:TANDEM>, copy-number gain: VEP's copy_number_gain
	svInsertion          // <INS>, <INS:ME…>
	svInversion          // <INV>: no change of length
	svCopyNumber         // <CNV> with no direction (INFO/CN missing or 1)
	svBreakend           // a breakend: VEP's chromosome_breakpoint
)

// structVar is one structural-variant allele in VEP's coordinates: start is
// the first affected base (POS+1: POS is the padding base) and end the last.
// An insertion lies between start-1 and start and has end == start-1; a
// breakend is the single base start == end == POS+1, as VEP places it.
type structVar struct {
	class      svClass
	start, end int
}

func (v *structVar) insertion() bool { return v.end == v.start-1 }

// lo and hi are the sorted ends; for an insertion they are the two bases
// either side of it, as VEP's min_vf/max_vf.
func (v *structVar) lo() int { return min(v.start, v.end) }
func (v *structVar) hi() int { return max(v.start, v.end) }

// Length classes as VEP's pre-consequence predicates see them.
func (v *structVar) deletion() bool       { return v.class == svLoss }
func (v *structVar) copyNumberGain() bool { return v.class == svGain }
func (v *structVar) increaseLength() bool { return v.class == svGain || v.class == svInsertion }
func (v *structVar) decreaseLength() bool { return v.class == svLoss || v.class == svBreakend }

// length is VEP's StructuralVariationFeature length, end-start+1.
func (v *structVar) length() int { return v.end - v.start + 1 }

// vepOverlap is VEP's overlap(): true when [a1,b1] and [a2,b2] share a base,
// with no check that either range is well formed (an insertion's
// start > end is meant to take part as it is).
func vepOverlap(a1, b1, a2, b2 int) bool { return b1 >= a2 && a1 <= b2 }

// frameshiftIntronMax is the largest end-start of an intron VEP treats as a
// "frameshift intron" (an alignment gap in the model, not a real intron):
// such introns make nearby variants count as exonic.
const frameshiftIntronMax = 12

// svEffect is the consequence of one structural variant on one transcript.
type svEffect struct {
	t     *refdata.Transcript
	terms termSet
	// Overlapped exon and intron ranks (transcription order, 1-based; 0
	// when none): VEP's EXON and INTRON "first-last/total" fields.
	exon1, exon2     int
	intron1, intron2 int
	// overlapBP is the number of transcript bases (genomic span) the
	// variant covers; 0 for breakends and insertions (VEP's OverlapBP).
	overlapBP int
	// distance to the transcript for up/downstream terms, -1 otherwise.
	distance int
	// What VEP's CSQ shows of the overlap: whole (the variant covers the
	// transcript: no numbers or positions), exon and coding (its "exon"
	// and "coding" predicates, which gate the positions), and the mapped
	// ends in transcription order, cDNA and CDS (0: an end in a gap).
	whole, exon, coding bool
	cdna1, cdna2        int
	cds1, cds2          int
}

// svTx holds what the predicates need of one transcript, derived from its
// exons on the spot.
type svTx struct {
	t   *refdata.Transcript
	rev bool
	// translation: the transcript has a CDS whose ends lie in its exons
	// (VEP's $feat->translation).
	translation bool
	// Genomic coding region (coding_region_start/end) and the cDNA
	// positions of its first and last base in transcription order.
	crs, cre     int
	cdsC1, cdsC2 int
	cdnaLen      int
	fsIntrons    bool // has a frameshift intron: exon overlaps are stretched
	proteinCode  bool // biotype protein_coding
	nmd          bool // biotype nonsense_mediated_decay
}

func newSVTx(t *refdata.Transcript) svTx {
	x := svTx{t: t, rev: t.Strand == refdata.Reverse}
	for i, e := range t.Exons {
		x.cdnaLen += e.End - e.Start + 1
		if i > 0 {
			is, ie := t.Exons[i-1].End+1, e.Start-1
			if is <= ie && ie-is <= frameshiftIntronMax {
				x.fsIntrons = true
			}
		}
	}
	x.proteinCode = t.Biotype == "protein_coding"
	x.nmd = t.Biotype == "nonsense_mediated_decay" || t.Biotype == "NMD"
	if t.Coding() {
		a, okA := x.cdna(t.CDSStart)
		b, okB := x.cdna(t.CDSEnd)
		if okA && okB {
			x.translation = true
			x.crs, x.cre = t.CDSStart, t.CDSEnd
			x.cdsC1, x.cdsC2 = min(a, b), max(a, b)
		}
	}
	return x
}

// cdna maps an exonic genomic position to its cDNA position.
func (x *svTx) cdna(g int) (int, bool) {
	ex := x.t.Exons
	before := 0 // exonic bases 5' of exon i in genomic order
	for _, e := range ex {
		if g < e.Start {
			return 0, false
		}
		if g <= e.End {
			if x.rev {
				return x.cdnaLen - (before + g - e.Start), true
			}
			return before + g - e.Start + 1, true
		}
		before += e.End - e.Start + 1
	}
	return 0, false
}

// insAfter is the cDNA position after which an insertion between genomic
// bases p and p+1 lies, in transcript orientation, as Ensembl's mapper
// (map_insert) places it: from the exonic flank, ok=false when neither
// flank is exonic.
func (x *svTx) insAfter(p int) (int, bool) {
	first, second := p, p+1 // flanks in transcription order
	if x.rev {
		first, second = p+1, p
	}
	if c, ok := x.cdna(first); ok {
		return c, true
	}
	if c, ok := x.cdna(second); ok {
		return c - 1, true
	}
	return 0, false
}

// svPre are VEP's pre-consequence predicates for the transcript: which
// keys exist decides which consequence types are tried at all.
type svPre struct {
	complete bool // complete_overlap (the variant covers the transcript)
	within   bool // within_feature
	// The keys below exist only for a partial overlap (within && !complete).
	exon, intron bool
	utr          bool
	coding       bool
}

// evaluate fills ef with the consequences of v on the transcript.
func (x *svTx) evaluate(v *structVar, ef *svEffect) {
	t := x.t
	*ef = svEffect{t: t, distance: -1}
	S, E := v.start, v.end
	lo, hi := v.lo(), v.hi()
	ins := v.insertion()
	var p svPre
	p.complete = S <= t.Start && E >= t.End
	p.within = p.complete || vepOverlap(S, E, t.Start, t.End)
	stretch := 0
	if x.fsIntrons {
		stretch = frameshiftIntronMax
	}

	// One pass over exons and introns collects every overlap the
	// predicates ask about.
	var (
		exonStretched  bool // _overlapped_exons non-empty
		exonPrecise    bool // an exon overlaps [S,E] itself
		exonContains   bool // an exon contains [S,E]
		cdsExonic      bool // an exonic base of [S,E] is coding
		intronAny      bool // _overlapped_introns non-empty
		intronic       bool // VEP's _intron_effects intronic
		inFSIntron     bool // within_frameshift_intron
		ppTract, ppRev bool // polypyrimidine tract at the intron's 3'/5' end
	)
	n := len(t.Exons)
	for i, e := range t.Exons {
		if vepOverlap(lo, hi, e.Start-stretch, e.End+stretch) {
			exonStretched = true
			if vepOverlap(S, E, e.Start, e.End) {
				exonPrecise = true
				r := x.rank(i)
				ef.exon1, ef.exon2 = minRank(ef.exon1, r), max(ef.exon2, r)
			}
		}
		if S >= e.Start && E <= e.End {
			exonContains = true
		}
		if x.translation && !ins {
			if a, b := max(e.Start, x.crs), min(e.End, x.cre); a <= b && vepOverlap(S, E, a, b) {
				cdsExonic = true
			}
		}
		if i+1 == n {
			break
		}
		is, ie := e.End+1, t.Exons[i+1].Start-1
		if is > ie {
			continue // overlapping exons (RefSeq): no intron, but it keeps its number
		}
		inTree := vepOverlap(lo, hi, is-3, ie+3) // VEP's intron interval tree
		boundary := vepOverlap(lo, hi, is-3, is+7) || vepOverlap(lo, hi, ie-7, ie+3)
		if !inTree && !boundary {
			continue
		}
		if inTree && vepOverlap(S, E, is, ie) {
			r := x.intronRank(i)
			ef.intron1, ef.intron2 = minRank(ef.intron1, r), max(ef.intron2, r)
		}
		if inTree {
			intronAny = true
		}
		if ie-is <= frameshiftIntronMax && vepOverlap(S, E, is, ie) {
			inFSIntron = true
			continue
		}
		if inTree {
			if vepOverlap(S, E, is+2, ie-2) || (ins && (S == is+2 || E == ie-2)) {
				intronic = true
			}
			if vepOverlap(lo, hi, ie-16, ie-2) {
				ppTract = true
			}
			if vepOverlap(lo, hi, is+2, is+16) {
				ppRev = true
			}
		}
		if boundary {
			if vepOverlap(S, E, ie-16, ie-2) {
				ppTract = true
			}
			if vepOverlap(S, E, is+2, is+16) {
				ppRev = true
			}
		}
	}

	// Mapped positions (VEP's cdna_coords / cds_coords), for the
	// insertion from the flank the mapper keeps.
	var withinCDNA, withinCDS bool
	var cdnaS, cdnaE int // transcription-order ends; 0 when a gap
	if ins {
		if a, ok := x.insAfter(E); ok {
			withinCDNA = a >= 1 && a+1 <= x.cdnaLen
			withinCDS = x.translation && a >= x.cdsC1 && a+1 <= x.cdsC2
			cdnaS, cdnaE = a+1, a
		}
	} else {
		withinCDNA = exonPrecise
		withinCDS = cdsExonic
		// Each end maps on its own (0 when it falls in a gap).
		cdnaS, _ = x.cdna(S)
		cdnaE, _ = x.cdna(E)
		if x.rev {
			cdnaS, cdnaE = cdnaE, cdnaS
		}
	}
	ef.cdna1, ef.cdna2 = cdnaS, cdnaE
	if x.translation {
		pad := 0
		if t.StartIncomplete && t.Phase > 0 && t.Phase < 3 {
			pad = 3 - t.Phase // the N bases Ensembl puts before a 5'-incomplete CDS
		}
		cds := func(c int) int {
			if c == 0 || c < x.cdsC1 || c > x.cdsC2 {
				return 0
			}
			return c - x.cdsC1 + 1 + pad
		}
		if ins {
			if cdnaE >= x.cdsC1 && cdnaS <= x.cdsC2 {
				ef.cds1, ef.cds2 = cdnaS-x.cdsC1+1+pad, cdnaE-x.cdsC1+1+pad
			}
		} else {
			ef.cds1, ef.cds2 = cds(cdnaS), cds(cdnaE)
		}
	}
	if inFSIntron {
		withinCDNA = withinCDNA || p.within
		withinCDS = withinCDS || (x.translation && vepOverlap(S, E, x.crs, x.cre))
	}

	if p.within && !p.complete {
		p.exon = exonStretched
		p.intron = intronAny
		if x.translation {
			if !vepOverlap(lo, hi, x.crs, x.cre) {
				p.utr = true
			} else {
				if lo < x.crs || hi > x.cre {
					p.utr = true
				}
				// With the exon key present and set, a variant touching
				// the coding region is "coding" whatever the mapper says.
				p.coding = p.exon
			}
		}
	}

	ef.whole, ef.exon, ef.coding = p.complete, p.exon, p.coding
	if p.within && !ins && v.class != svBreakend {
		ef.overlapBP = min(E, t.End) - max(S, t.Start) + 1
	}

	// Tier 1: a variant covering the whole transcript. Once one of these
	// holds VEP tries nothing else.
	if p.complete && v.deletion() {
		ef.terms.add(soTranscriptAblation)
		return
	}
	if p.complete && v.copyNumberGain() {
		ef.terms.add(soTranscriptAmplification)
		return
	}

	// Tier 3, in VEP's rank order. Each consequence type is tried only
	// when its "include" keys allow it, then its predicate decides.
	completeWithin := S >= t.Start && E <= t.End
	overlapsStart := false // _overlaps_start_codon
	if x.translation && !x.t.StartIncomplete && cdnaS != 0 && cdnaE != 0 {
		overlapsStart = vepOverlap(cdnaS, cdnaE, x.cdsC1, x.cdsC1+2)
	}
	frameshift := v.deletion() && exonContains && v.length()%3 != 0
	inframeDel := v.deletion() && exonContains && S >= x.crs && E <= x.cre && x.translation && v.length()%3 == 0
	if p.coding {
		if frameshift {
			ef.terms.add(soFrameshift)
		}
		if v.deletion() && x.translation && vepOverlap(x.stopG1(), x.stopG2(), S, E) {
			ef.terms.add(soStopLost)
		}
		if overlapsStart && vepOverlap(x.startG1(), x.startG2(), S, E) {
			ef.terms.add(soStartLost)
		}
	}
	if v.increaseLength() && withinCDNA && completeWithin && (v.copyNumberGain() || v.class == svInsertion) {
		ef.terms.add(soFeatureElongation)
	}
	if v.decreaseLength() {
		switch {
		case v.class == svBreakend && p.within:
			ef.terms.add(soFeatureTruncation)
		case !withinCDNA:
		case v.deletion() && (completeWithin || (p.within && !p.complete && (E > t.End || S < t.Start))):
			ef.terms.add(soFeatureTruncation)
		}
	}
	if p.coding {
		if inframeDel {
			ef.terms.add(soInframeDeletion)
		}
		if overlapsStart {
			// VEP's start_retained_variant holds for any structural
			// variant that overlaps the start codon in cDNA: its test of
			// whether the start was altered answers "no" for them.
			ef.terms.add(soStartRetained)
		}
		if !p.complete && withinCDS && !inframeDel && !frameshift {
			ef.terms.add(soCodingSequence)
		}
	}
	// splice_polypyrimidine_tract_variant is one of VEP's splice terms
	// that structural variants get: tried when the variant overlaps an
	// intron and no exon, it holds within intron bases 3-17 before the
	// acceptor, in transcript orientation.
	if p.within && !p.complete && p.intron && !p.exon {
		if (!x.rev && ppTract) || (x.rev && ppRev) {
			ef.terms.add(soSplicePolypyrimidine)
		}
	}
	if p.exon && p.utr && withinCDNA {
		before, after := x.beforeCoding(v), x.afterCoding(v)
		if x.rev {
			before, after = after, before
		}
		if before {
			ef.terms.add(soUTR5)
		}
		if after {
			ef.terms.add(soUTR3)
		}
	}
	ncExon := !p.complete && !x.translation && exonPrecise
	if p.exon && !x.proteinCode && p.within && ncExon {
		ef.terms.add(soNonCodingExon)
	}
	if p.intron && intronic {
		ef.terms.add(soIntron)
	}
	if x.nmd && p.within {
		ef.terms.add(soNMDTranscript)
	}
	if !x.proteinCode && p.within && !x.translation && !ncExon {
		ef.terms.add(soNonCodingTranscript)
	}
	if x.proteinCode && p.within && p.complete && x.translation {
		ef.terms.add(soCodingTranscript)
	}
	if !p.within {
		up, down := x.before(v), x.after(v)
		if x.rev {
			up, down = down, up
		}
		if up {
			ef.terms.add(soUpstream)
		}
		if down {
			ef.terms.add(soDownstream)
		}
		if up || down {
			ef.distance = min(abs(S-t.Start), abs(S-t.End), abs(E-t.Start), abs(E-t.End))
		}
	}
	if ef.terms.empty() {
		// VEP's default consequence when no predicate holds.
		ef.terms.add(soIntergenic)
	}
}

// minRank is min for ranks where 0 means "none yet".
func minRank(a, b int) int {
	if a == 0 || b < a {
		return b
	}
	return a
}

// rank is the transcription-order number of the exon at genomic index i.
func (x *svTx) rank(i int) int {
	if x.rev {
		return len(x.t.Exons) - i
	}
	return i + 1
}

// intronRank numbers the intron after genomic exon i in transcription order.
func (x *svTx) intronRank(i int) int {
	if x.rev {
		return len(x.t.Exons) - 1 - i
	}
	return i + 1
}

// Start and stop codons, genomic, as VEP's structural-variant branches of
// start_lost and stop_lost place them (three bases from the coding region's
// ends, with no regard for introns).
func (x *svTx) startG1() int {
	if x.rev {
		return x.cre - 2
	}
	return x.crs
}
func (x *svTx) startG2() int { return x.startG1() + 2 }
func (x *svTx) stopG1() int {
	if x.rev {
		return x.crs
	}
	return x.cre - 2
}
func (x *svTx) stopG2() int { return x.stopG1() + 2 }

// beforeCoding and afterCoding are VEP's _before_coding/_after_coding: the
// variant touches the transcript genomically 5'/3' of the coding region
// (plus strand view), an insertion right at the coding start/end included.
func (x *svTx) beforeCoding(v *structVar) bool {
	if !x.translation {
		return false
	}
	if v.insertion() && v.start == x.crs {
		return true
	}
	return vepOverlap(v.start, v.end, x.t.Start, x.crs-1)
}

func (x *svTx) afterCoding(v *structVar) bool {
	if !x.translation {
		return false
	}
	if v.insertion() && v.end == x.cre {
		return true
	}
	return vepOverlap(v.start, v.end, x.cre+1, x.t.End)
}

// before and after are VEP's _before_start/_after_end with its 5 kb
// up/downstream distance.
func (x *svTx) before(v *structVar) bool {
	return v.end >= x.t.Start-flank && v.end < x.t.Start
}

func (x *svTx) after(v *structVar) bool {
	return v.start <= x.t.End+flank && v.start > x.t.End
}
