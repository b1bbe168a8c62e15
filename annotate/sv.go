package annotate

import (
	"bytes"
	"strconv"

	"github.com/gas-project/gas/refdata"
	"github.com/gas-project/gas/vcf"
)

// Structural variants: symbolic ALT alleles (<DEL>, <DUP>, <INV>, <CNV>,
// <INS> and their subtypes) and breakends, placed by POS and END/SVLEN as
// VCF 4.4 defines them and annotated per transcript by VEP's rules
// (svpred.go). Their ANN entries carry the transcript consequences; the
// SVANN INFO field adds, per entry, the overlapped exons and introns and the
// overlap in bases and percent of the transcript.

// svannKey is the INFO key of the per-transcript overlap entries.
const svannKey = "SVANN"

// svannHeader declares SVANN; the "Format: " description lets bcftools
// +split-vep read it like a CSQ field.
const svannHeader = `##INFO=<ID=SVANN,Number=.,Type=String,Description="Structural variant overlaps, one per transcript entry (ANN or CSQ) of a structural-variant allele, in the same order: ` +
	`Consequence as in that entry, EXON and INTRON as first-last/total in transcription order, OverlapBP transcript bases covered, OverlapPC percent of the transcript covered. Format: Allele|Consequence|Feature|EXON|INTRON|OverlapBP|OverlapPC">`

// Notes for structural-variant alleles that are left unannotated.
const (
	noteSVNoLength = "INFO_NOT_ANNOTATED_SV_LENGTH_UNKNOWN"
)

// svScratch is a worker's reusable state for structural variants.
type svScratch struct {
	effs []svEffect
	ann  []byte // SVANN entries of the current record, without the key
}

// svType is the first level of a symbolic allele's type.
type svType uint8

const (
	svtNone svType = iota
	svtDel
	svtDup
	svtIns
	svtInv
	svtCNV
	svtBND
)

// parseSVAlt reads the type of a symbolic ALT. For the legacy copy-number
// alleles <CNn> (and <CN=n>) it returns the copy number too. Symbolic
// alleles that are not structural variants the engine annotates (the
// overlapping-deletion allele *, the missing allele, gVCF's <*> and
// <NON_REF>, IUPAC codes, <CNV:TR> tandem repeats) give svtNone.
func parseSVAlt(alt []byte) (t svType, cn float64, hasCN bool) {
	n := len(alt)
	if n >= 3 && alt[0] == '<' && alt[n-1] == '>' {
		id := alt[1 : n-1]
		top, sub := id, []byte(nil)
		if i := bytes.IndexByte(id, ':'); i >= 0 {
			top, sub = id[:i], id[i+1:]
		}
		switch {
		case eqFold(top, "DEL"):
			return svtDel, 0, false
		case eqFold(top, "DUP"):
			return svtDup, 0, false
		case eqFold(top, "INS"):
			return svtIns, 0, false
		case eqFold(top, "INV"):
			return svtInv, 0, false
		case eqFold(top, "CNV"):
			if sub != nil && (eqFold(sub, "TR") || bytes.HasPrefix(bytes.ToUpper(sub), []byte("TR:"))) {
				// A tandem-repeat summary allele: its CN counts repeat
				// copies, not copies of the region.
				return svtNone, 0, false
			}
			return svtCNV, 0, false
		case len(top) > 2 && eqFold(top[:2], "CN"):
			d := top[2:]
			if d[0] == '=' {
				d = d[1:]
			}
			if v, ok := parseUint(d); ok {
				return svtCNV, float64(v), true
			}
		}
		return svtNone, 0, false
	}
	if n == 1 {
		return svtNone, 0, false // * or .
	}
	if bytes.IndexByte(alt, '[') >= 0 || bytes.IndexByte(alt, ']') >= 0 || alt[0] == '.' || alt[n-1] == '.' {
		return svtBND, 0, false
	}
	return svtNone, 0, false
}

func eqFold(b []byte, s string) bool { return len(b) == len(s) && bytes.EqualFold(b, []byte(s)) }

// parseUint reads a non-negative decimal integer.
func parseUint(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 12 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseInt reads a decimal integer with an optional sign.
func parseInt(b []byte) (int, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	n, ok := parseUint(b)
	if neg {
		n = -n
	}
	return n, ok
}

// nthValue returns value i of a comma-separated INFO value and the number
// of values.
func nthValue(val []byte, i int) (v []byte, count int) {
	count = bytes.Count(val, []byte{','}) + 1
	for k := 0; ; k++ {
		j := bytes.IndexByte(val, ',')
		if k == i {
			if j >= 0 {
				return val[:j], count
			}
			return val, count
		}
		if j < 0 {
			return nil, count
		}
		val = val[j+1:]
	}
}

// perAllele returns the value of a Number=A INFO field for ALT i: present
// is false when the field is absent or the value is the missing value '.'.
// A field with a different number of values than ALT alleles is an error.
func perAllele(rec *vcf.Record, key string, i int) (v []byte, present bool, err error) {
	val, ok := infoField(rec.Info, key)
	if !ok {
		return nil, false, nil
	}
	if val == nil {
		return nil, false, svErr(rec, key+" has no value")
	}
	v, count := nthValue(val, i)
	if count != len(rec.Alts) {
		return nil, false, svErr(rec, key+" has "+itoa(int64(count))+" values for "+itoa(int64(len(rec.Alts)))+" ALT alleles (one per ALT allele expected)")
	}
	if len(v) == 1 && v[0] == '.' {
		return nil, false, nil
	}
	return v, true, nil
}

func svErr(rec *vcf.Record, msg string) error {
	return &InputError{Line: rec.LineNo, Msg: msg + " at " + string(rec.Chrom) + ":" + itoa(rec.Pos)}
}

// symbolicSVCount counts the record's ALT alleles that need a length
// (<DEL>, <DUP>, <INV>, <CNV>): with more than one, END cannot stand in for
// a missing SVLEN.
func symbolicSVCount(rec *vcf.Record) int {
	n := 0
	for _, a := range rec.Alts {
		switch t, _, _ := parseSVAlt(a); t {
		case svtDel, svtDup, svtInv, svtCNV:
			n++
		}
	}
	return n
}

// structural locates ALT allele i of rec, a symbolic allele. A symbolic
// allele the engine does not annotate gives a note; malformed END, SVLEN or
// CN values give an *InputError.
func (wk *worker) structural(rec *vcf.Record, i int, alt []byte, st *blockStats) (structVar, string, error) {
	typ, cn, hasCN := parseSVAlt(alt)
	if typ == svtNone {
		return structVar{}, noteSymbolic, nil
	}
	pos := int(rec.Pos)
	// SVLEN and END are checked whatever the type, so a malformed value
	// never passes silently.
	svlen, hasLen, err := perAllele(rec, "SVLEN", i)
	if err != nil {
		return structVar{}, "", err
	}
	length := 0
	if hasLen {
		n, ok := parseInt(svlen)
		if !ok {
			return structVar{}, "", svErr(rec, "SVLEN value \""+short(svlen)+"\" of ALT "+string(alt)+" is not an integer")
		}
		length = abs(n) // VCF 4.4: a negative SVLEN (older versions' deletions) counts as its absolute value
	}
	end, hasEnd := 0, false
	if v, ok := infoField(rec.Info, "END"); ok {
		n, ok := parseInt(v)
		if !ok {
			return structVar{}, "", svErr(rec, "END value \""+short(v)+"\" is not an integer")
		}
		if n < pos {
			return structVar{}, "", svErr(rec, "END "+itoa(int64(n))+" is before POS")
		}
		end, hasEnd = n, true
	}
	switch typ {
	case svtBND:
		// The local end of the adjacency. END, when present, is a caller's
		// note of the mate's position, not this record's extent.
		return structVar{class: svBreakend, start: pos + 1, end: pos + 1}, "", nil
	case svtIns:
		// The new sequence goes after the padding base; SVLEN is its
		// length, which the consequences do not need.
		return structVar{class: svInsertion, start: pos + 1, end: pos}, "", nil
	}
	if !hasLen {
		if hasEnd && symbolicSVCount(rec) == 1 {
			length = end - pos
			hasLen = true
		} else {
			addCapped(&st.warnings, "line "+itoa(rec.LineNo)+": "+string(alt)+" at "+string(rec.Chrom)+":"+itoa(rec.Pos)+
				" has no SVLEN (nor an END that gives it): not annotated")
			return structVar{}, noteSVNoLength, nil
		}
	}
	if length == 0 {
		return structVar{}, "", svErr(rec, string(alt)+" has length 0")
	}
	v := structVar{start: pos + 1, end: pos + length}
	switch typ {
	case svtDel:
		v.class = svLoss
	case svtDup:
		v.class = svGain
	case svtInv:
		v.class = svInversion
	case svtCNV:
		if !hasCN {
			val, present, err := perAllele(rec, "CN", i)
			if err != nil {
				return structVar{}, "", err
			}
			if present {
				f, err := strconv.ParseFloat(string(val), 64)
				if err != nil || f < 0 {
					return structVar{}, "", svErr(rec, "CN value \""+short(val)+"\" of ALT "+string(alt)+" is not a copy number")
				}
				cn, hasCN = f, true
			}
		}
		// INFO/CN is the allele's copy number (VCF 4.4): 1 is the
		// reference, below is a loss, above a gain. Without it the
		// direction is unknown.
		switch {
		case !hasCN || cn == 1:
			v.class = svCopyNumber
		case cn < 1:
			v.class = svLoss
		default:
			v.class = svGain
		}
	}
	return v, "", nil
}

// svAllele appends the ANN entries of one structural-variant allele to dst
// and its SVANN entries to the record's list.
func (wk *worker) svAllele(dst, alt []byte, ai int, v *structVar, contig int, known bool, st *blockStats) []byte {
	e := wk.e
	csq := e.opt.Format == FormatCSQ
	if !known {
		st.terms[soIntergenic]++
		st.impacts[3]++
		if csq {
			return wk.csqEntry(dst, ai, nil, nil, vepSVAllele(alt))
		}
		return appendIntergenic(dst, alt, warnNoContig)
	}
	wk.txs = e.ref.Overlapping(contig, v.start-flank, v.end+flank, wk.txs[:0])
	effs := wk.sv.effs[:0]
	for _, t := range wk.txs {
		if !wk.wanted(t) {
			continue
		}
		x := newSVTx(t)
		effs = append(effs, svEffect{})
		x.evaluate(v, &effs[len(effs)-1])
	}
	wk.sv.effs = effs
	if len(effs) == 0 {
		st.terms[soIntergenic]++
		st.impacts[3]++
		if csq {
			return wk.csqEntry(dst, ai, nil, nil, vepSVAllele(alt))
		}
		return appendIntergenic(dst, alt, "")
	}
	if e.opt.Transcripts == Pick {
		best := 0
		for i := 1; i < len(effs); i++ {
			if svBetter(&effs[i], &effs[best]) {
				best = i
			}
		}
		effs = effs[best : best+1]
	}
	worst := 3
	for i := range effs {
		ef := &effs[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		if csq {
			dst = wk.svCSQEntry(dst, ai, alt, ef)
		} else {
			dst = appendSVEntry(dst, alt, ef)
		}
		wk.sv.ann = appendSVAnn(wk.sv.ann, alt, ef)
		for t := term(0); t < numTerms; t++ {
			if ef.terms.has(t) {
				st.terms[t]++
			}
		}
		worst = min(worst, impactRank(ef.terms.impact()))
	}
	st.impacts[worst]++
	return dst
}

// svBetter orders structural-variant effects for Pick as better does the
// others: most severe, then canonical, then MANE, then longest CDS, then
// longest cDNA, then ID.
func svBetter(a, b *svEffect) bool {
	ra, rb := impactRank(a.terms.impact()), impactRank(b.terms.impact())
	if ra != rb {
		return ra < rb
	}
	if ta, tb := a.terms.mostSevere(), b.terms.mostSevere(); ta != tb {
		return ta < tb
	}
	at, bt := a.t, b.t
	if at.Canonical != bt.Canonical {
		return at.Canonical
	}
	if at.MANESelect != bt.MANESelect {
		return at.MANESelect
	}
	ac, an := codingLengths(at)
	bc, bn := codingLengths(bt)
	if ac != bc {
		return ac > bc
	}
	if an != bn {
		return an > bn
	}
	return at.ID < bt.ID
}

// codingLengths returns the coding and the exonic length of t.
func codingLengths(t *refdata.Transcript) (cds, cdna int) {
	for _, e := range t.Exons {
		cdna += e.End - e.Start + 1
		if t.Coding() {
			if a, b := max(e.Start, t.CDSStart), min(e.End, t.CDSEnd); a <= b {
				cds += b - a + 1
			}
		}
	}
	return cds, cdna
}

// appendSVEntry writes one ANN entry of a structural variant. Rank is the
// first overlapped exon in transcription order, else the first intron (the
// full ranges are in SVANN); there is no HGVS and no cDNA/CDS/protein
// position for a change of this size.
func appendSVEntry(dst, alt []byte, ef *svEffect) []byte {
	t := ef.t
	dst = appendEscaped(dst, alt)
	dst = append(dst, '|')
	dst = ef.terms.appendTerms(dst)
	dst = append(dst, '|')
	dst = append(dst, ef.terms.impact()...)
	dst = append(dst, '|')
	dst = appendANNIDs(dst, t)
	dst = append(dst, '|')
	switch {
	case ef.exon1 > 0:
		dst = strconv.AppendInt(dst, int64(ef.exon1), 10)
		dst = append(dst, '/')
		dst = strconv.AppendInt(dst, int64(len(t.Exons)), 10)
	case ef.intron1 > 0:
		dst = strconv.AppendInt(dst, int64(ef.intron1), 10)
		dst = append(dst, '/')
		dst = strconv.AppendInt(dst, int64(len(t.Exons)-1), 10)
	}
	dst = append(dst, "||||||"...)
	if ef.distance >= 0 {
		dst = strconv.AppendInt(dst, int64(ef.distance), 10)
	}
	return append(dst, '|')
}

// appendSVAnn writes one SVANN entry:
// Allele|Consequence|Feature|EXON|INTRON|OverlapBP|OverlapPC. The
// consequences are repeated so that the field reads on its own (bcftools
// +split-vep needs a Consequence column).
func appendSVAnn(dst, alt []byte, ef *svEffect) []byte {
	t := ef.t
	if len(dst) > 0 {
		dst = append(dst, ',')
	}
	dst = appendEscaped(dst, alt)
	dst = append(dst, '|')
	dst = ef.terms.appendTerms(dst)
	dst = append(dst, '|')
	dst = appendEscapedString(dst, t.ID)
	dst = append(dst, '|')
	dst = appendRange(dst, ef.exon1, ef.exon2, len(t.Exons))
	dst = append(dst, '|')
	dst = appendRange(dst, ef.intron1, ef.intron2, len(t.Exons)-1)
	dst = append(dst, '|')
	if ef.overlapBP > 0 {
		dst = strconv.AppendInt(dst, int64(ef.overlapBP), 10)
		dst = append(dst, '|')
		pc := 100 * float64(ef.overlapBP) / float64(t.End-t.Start+1)
		return strconv.AppendFloat(dst, pc, 'f', 2, 64)
	}
	return append(dst, '|')
}

// appendRange writes VEP's "first-last/total" (or "n/total"); nothing when
// first is 0.
func appendRange(dst []byte, first, last, total int) []byte {
	if first == 0 {
		return dst
	}
	dst = strconv.AppendInt(dst, int64(first), 10)
	if last != first {
		dst = append(dst, '-')
		dst = strconv.AppendInt(dst, int64(last), 10)
	}
	dst = append(dst, '/')
	return strconv.AppendInt(dst, int64(total), 10)
}

// flushSVAnn appends the record's SVANN field to the INFO being built.
func (wk *worker) flushSVAnn() {
	if len(wk.sv.ann) == 0 {
		return
	}
	wk.beginInfo(svannKey)
	wk.info = append(wk.info, wk.sv.ann...)
}

// vepSVAllele is what VEP writes in CSQ's Allele column for a structural
// variant: the class SO term of the ALT (VEP's %SO_TERMS), or for a
// breakend the local end written with a dot on the side of the mate.
func vepSVAllele(alt []byte) []byte {
	n := len(alt)
	if n >= 3 && alt[0] == '<' && alt[n-1] == '>' {
		id := bytes.ToUpper(alt[1 : n-1])
		parts := bytes.Split(id, []byte{':'})
		top := string(parts[0])
		if (top == "INS" || top == "DEL") && len(parts) > 1 && string(parts[1]) == "ME" {
			kind := map[string]string{"INS": "insertion", "DEL": "deletion"}[top]
			if len(parts) > 2 {
				switch el := string(parts[2]); el {
				case "ALU":
					return []byte("Alu_" + kind)
				case "L1", "LINE1":
					return []byte("LINE1_" + kind)
				case "SVA", "HERV":
					return []byte(el + "_" + kind)
				}
			}
			return []byte("mobile_element_" + kind)
		}
		switch {
		case top == "DUP" && len(parts) > 1 && string(parts[1]) == "TANDEM":
			return []byte("tandem_duplication")
		case top == "DEL":
			return []byte("deletion")
		case top == "INS":
			return []byte("insertion")
		case top == "DUP":
			return []byte("duplication")
		case top == "INV":
			return []byte("inversion")
		case top == "CN0" || top == "CN=0":
			return []byte("deletion")
		case top == "CN2" || top == "CN=2":
			return []byte("duplication")
		}
		return []byte("copy_number_variation")
	}
	// A breakend: the local bases, with '.' where the mate joins.
	open := bytes.IndexAny(alt, "[]")
	if open < 0 {
		return []byte("chromosome_breakpoint") // a single breakend (t. or .t)
	}
	if open == 0 {
		return append([]byte{'.'}, alt[bytes.LastIndexAny(alt, "[]")+1:]...)
	}
	return append(alt[:open:open], '.')
}

// svCSQEntry writes one CSQ entry of a structural variant on a transcript,
// with the columns VEP fills for one: numbers and positions only for a
// partial overlap (VEP's exon/coding predicates), no HGVS, amino acids or
// codons.
func (wk *worker) svCSQEntry(dst []byte, ai int, alt []byte, ef *svEffect) []byte {
	t := ef.t
	sep := func() { dst = append(dst, '|') }
	dst = appendCSQEscaped(dst, vepSVAllele(alt))
	sep()
	dst = ef.terms.appendTerms(dst)
	sep()
	dst = append(dst, ef.terms.impact()...)
	sep()
	dst = appendCSQEscapedString(dst, t.GeneName)
	sep()
	dst = appendCSQEscapedString(dst, t.GeneID)
	sep()
	dst = append(dst, "Transcript"...)
	sep()
	dst = appendCSQEscapedString(dst, t.ID)
	sep()
	dst = appendCSQEscapedString(dst, t.Biotype)
	sep() // EXON
	if !ef.whole && ef.exon {
		dst = appendRange(dst, ef.exon1, ef.exon2, len(t.Exons))
	}
	sep() // INTRON
	if !ef.whole {
		dst = appendRange(dst, ef.intron1, ef.intron2, len(t.Exons)-1)
	}
	dst = append(dst, "||"...) // HGVSc, HGVSp
	sep()                      // cDNA_position
	if ef.exon {
		dst = formatCoords(dst, ef.cdna1, ef.cdna2, ef.cdna1 > 0, ef.cdna2 > 0)
	}
	sep() // CDS_position
	if ef.coding {
		dst = formatCoords(dst, ef.cds1, ef.cds2, ef.cds1 > 0, ef.cds2 > 0)
	}
	sep() // Protein_position
	if ef.coding {
		dst = formatCoords(dst, (ef.cds1+2)/3, (ef.cds2+2)/3, ef.cds1 > 0, ef.cds2 > 0)
	}
	dst = append(dst, "||"...) // Amino_acids, Codons
	sep()
	dst = wk.csqKnownIDs(dst, ai)
	sep() // DISTANCE
	if ef.distance >= 0 {
		dst = strconv.AppendInt(dst, int64(ef.distance), 10)
	}
	sep() // STRAND
	if t.Strand == refdata.Reverse {
		dst = append(dst, "-1"...)
	} else {
		dst = append(dst, '1')
	}
	sep() // FLAGS
	switch {
	case t.StartIncomplete && t.EndIncomplete:
		dst = append(dst, "cds_start_NF&cds_end_NF"...)
	case t.StartIncomplete:
		dst = append(dst, "cds_start_NF"...)
	case t.EndIncomplete:
		dst = append(dst, "cds_end_NF"...)
	}
	sep() // CANONICAL
	if t.Canonical {
		dst = append(dst, "YES"...)
	}
	sep() // MANE
	if t.MANESelect {
		dst = append(dst, "MANE_Select"...)
	}
	return wk.csqSources(dst, ai)
}
