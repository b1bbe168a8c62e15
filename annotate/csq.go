package annotate

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/gas-project/gas/refdata"
	"github.com/gas-project/gas/vcf"
)

// csqFields are the fixed columns of the CSQ field, in VEP's order: its
// --vcf columns, the columns its default flags add (IMPACT, DISTANCE,
// STRAND, FLAGS), then those of --canonical and --mane_select that the gene
// model can fill. The source columns (known-variant fields, region tracks)
// follow.
var csqFields = []string{
	"Allele", "Consequence", "IMPACT", "SYMBOL", "Gene", "Feature_type", "Feature", "BIOTYPE", "EXON", "INTRON",
	"HGVSc", "HGVSp", "cDNA_position", "CDS_position", "Protein_position", "Amino_acids", "Codons",
	"Existing_variation", "DISTANCE", "STRAND", "FLAGS", "CANONICAL", "MANE",
}

// csqDescriptionPrefix starts the description of INFO/CSQ. Tools find the
// columns after "Format: " (bcftools +split-vep) and recognise VEP output by
// this sentence (vcf2maf), so it is VEP's own.
const csqDescriptionPrefix = "Consequence annotations from Ensembl VEP. Format: "

// csqColumns returns the CSQ column names: the fixed ones, then one per
// annotation source field (NAME_FIELD) and one per region track.
func (e *engine) csqColumns() []string {
	cols := append([]string(nil), csqFields...)
	cols = append(cols, e.srcKeys...)
	return append(cols, e.trackKeys...)
}

// csqHeader is the ##INFO line declaring CSQ.
func (e *engine) csqHeader() string {
	return `##INFO=<ID=CSQ,Number=.,Type=String,Description="` + csqDescriptionPrefix + strings.Join(e.csqColumns(), "|") + `">`
}

// CSQColumns returns the CSQ column names a run with a bundle writes (for a
// service describing its export): the fixed VEP columns, then one per field
// of the bundle's annotation sources (refdata.Bundle.Sources; the field's
// Key, NAME_FIELD) and one per track (refdata.Bundle.Tracks).
func CSQColumns(sources []refdata.SourceInfo, tracks []string) []string {
	cols := append([]string(nil), csqFields...)
	for _, src := range sources {
		for _, f := range src.Fields {
			cols = append(cols, f.Key)
		}
	}
	for _, t := range tracks {
		cols = append(cols, infoKey(t))
	}
	return cols
}

// appendCSQEscaped writes a CSQ value the way VEP does: ',' and '|' become
// '&' (VEP's list separator), ';' and '=' are percent-encoded, white space
// and control characters become '_'.
func appendCSQEscaped(dst, s []byte) []byte {
	for _, c := range s {
		switch {
		case c == ',' || c == '|':
			dst = append(dst, '&')
		case c == ';':
			dst = append(dst, "%3B"...)
		case c == '=':
			dst = append(dst, "%3D"...)
		case c <= ' ' || c == 0x7f:
			dst = append(dst, '_')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func appendCSQEscapedString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = appendCSQEscaped(dst, []byte{s[i]})
	}
	return dst
}

// vepView is how VEP sees a VCF record's alleles: when any ALT differs in
// length from REF (an indel record) and every allele (REF and the ALTs but
// '*') starts with the same base, that base is removed and the start moves
// by one; an allele left empty is '-'. start..end is the REF span after
// that (start = end+1 for an insertion), the coordinates every CSQ position
// is computed from.
type vepView struct {
	start, end int
	ref        []byte   // VEP's reference allele, "-" when empty
	alts       [][]byte // per ALT, aliases buf
	buf        []byte
}

// set computes the view of one record; symbolic alleles are kept as written.
func (vv *vepView) set(rec *vcf.Record) {
	pos := int(rec.Pos)
	vv.start, vv.end = pos, pos+len(rec.Ref)-1
	vv.buf = vv.buf[:0]
	indel := false
	for _, a := range rec.Alts {
		if len(a) != len(rec.Ref) && !vcf.IsSymbolic(a) {
			indel = true
		}
	}
	trim := false
	if indel {
		trim = true
		f := rec.Ref[0] &^ 0x20
		for _, a := range rec.Alts {
			if len(a) == 1 && a[0] == '*' {
				continue
			}
			if vcf.IsSymbolic(a) || a[0]&^0x20 != f {
				trim = false
			}
		}
	}
	add := func(b []byte) (int, int) {
		at := len(vv.buf)
		if len(b) == 0 {
			vv.buf = append(vv.buf, '-')
		} else {
			vv.buf = append(vv.buf, b...)
		}
		return at, len(vv.buf)
	}
	r := rec.Ref
	if trim {
		r = r[1:]
		vv.start++
	}
	ra, rb := add(r)
	type span struct{ a, b int }
	var spans [8]span
	sp := spans[:0]
	for _, a := range rec.Alts {
		if trim && !(len(a) == 1 && a[0] == '*') {
			a = a[1:]
		}
		x, y := add(a)
		sp = append(sp, span{x, y})
	}
	vv.ref = upper(vv.buf[ra:rb])
	vv.alts = vv.alts[:0]
	for _, s := range sp {
		a := vv.buf[s.a:s.b]
		if !vcf.IsSymbolic(a) {
			upper(a)
		}
		vv.alts = append(vv.alts, a)
	}
}

// seqOrEmpty turns VEP's "-" into an empty allele.
func seqOrEmpty(b []byte) []byte {
	if len(b) == 1 && b[0] == '-' {
		return nil
	}
	return b
}

// formatCoords writes a range the way VEP does (Utils::format_coords): "a"
// when both ends are equal, "lo-hi" otherwise, "?" for an end that does not
// map, "" when neither does.
func formatCoords(dst []byte, a, b int, okA, okB bool) []byte {
	switch {
	case okA && okB:
		if a > b {
			a, b = b, a
		}
		dst = strconv.AppendInt(dst, int64(a), 10)
		if b != a {
			dst = append(dst, '-')
			dst = strconv.AppendInt(dst, int64(b), 10)
		}
	case okA:
		dst = strconv.AppendInt(dst, int64(a), 10)
		dst = append(dst, "-?"...)
	case okB:
		dst = append(dst, "?-"...)
		dst = strconv.AppendInt(dst, int64(b), 10)
	}
	return dst
}

// vepPad is the number of N bases Ensembl puts before the CDS of a
// 5'-incomplete transcript so that its first complete codon keeps its frame
// (the start exon's phase); VEP's CDS and protein positions count them.
func (m *txModel) vepPad() int {
	if m.phase == 0 {
		return 0
	}
	return (3 - m.phase) % 3
}

// vepCDS maps a genomic base to VEP's CDS coordinate (padding included).
func (m *txModel) vepCDS(g int) (int, bool) {
	c, ok := m.cdna(g)
	if !ok || !m.coding || c < m.cdsS || c > m.cdsE {
		return 0, false
	}
	return c - m.cdsS + 1 + m.vepPad(), true
}

// vepEnds maps the two ends of VEP's span to a coordinate system in
// transcript order: first is the end VEP's mapper reports as the start (the
// genomic start on the forward strand, the genomic end on the reverse).
func vepEnds(m *txModel, s, e int, f func(int) (int, bool)) (a, b int, okA, okB bool) {
	if m.rev {
		s, e = e, s
	}
	a, okA = f(s)
	b, okB = f(e)
	return
}

// numbers writes the transcript-order numbers of the exons (or introns)
// overlapping [s, e] as VEP does ("2", "2-3"), then "/total".
func (m *txModel) numbers(dst []byte, s, e int, introns bool) []byte {
	ex := m.t.Exons
	lo, hi := 0, 0
	for i := range ex {
		a, b := ex[i].Start, ex[i].End
		if introns {
			if i+1 >= len(ex) {
				break
			}
			a, b = ex[i].End+1, ex[i+1].Start-1
			if a > b {
				continue
			}
		}
		// VEP's overlap(): also how an insertion (s = e+1) counts, inside
		// the feature only.
		if e >= a && s <= b {
			r := m.rankOf(i)
			if introns && m.rev {
				r--
			}
			if lo == 0 || r < lo {
				lo = r
			}
			if r > hi {
				hi = r
			}
		}
	}
	if lo == 0 {
		return dst
	}
	dst = strconv.AppendInt(dst, int64(lo), 10)
	if hi != lo {
		dst = append(dst, '-')
		dst = strconv.AppendInt(dst, int64(hi), 10)
	}
	dst = append(dst, '/')
	total := len(ex)
	if introns {
		total--
	}
	return strconv.AppendInt(dst, int64(total), 10)
}

// csqScratch holds one worker's buffers for CSQ columns.
type csqScratch struct {
	ref, alt []byte // allele bases in transcript orientation
	rc, ac   []byte // reference and alternate codons
	rp, ap   []byte // their peptides
	disp     []byte // "ref/alt" display codons
}

// vepCodons fills cs.rp/cs.ap (peptides) and cs.disp (display codons) the
// way VEP's TranscriptVariationAllele does for an allele whose span maps
// into the CDS at both ends: the codons from the first to the last one the
// span touches, the allele replacing the span, the allele's own bases
// upper-case and the rest lower-case, a trailing partial codon translated
// as X. It reports false when the codons cannot be given (no sequence, a
// slipped CDS, a span leaving the CDS).
func (cs *csqScratch) vepCodons(m *txModel, src seqSource, s, e int, ref, alt []byte) bool {
	if src == nil || m.segs != nil {
		return false
	}
	qa, qb, okA, okB := vepEnds(m, s, e, m.vepCDS)
	if !okA || !okB {
		return false
	}
	// VEP's cds_start/cds_end in transcript order (vepEnds gives them so);
	// an insertion has cds_start = cds_end+1.
	q1, q2 := qa, qb
	ts, te := (q1+2)/3, (q2+2)/3
	codonS, codonE := 3*ts-2, 3*te
	pad := m.vepPad()
	// Reference CDS bases [codonS, codonE], Ns for the padding.
	cs.rc = cs.rc[:0]
	for q := codonS; q <= codonE && q <= pad; q++ {
		cs.rc = append(cs.rc, 'N')
	}
	if codonE > pad {
		c0 := m.cdsS + max(codonS, pad+1) - pad - 1
		c1 := min(m.cdsS+codonE-pad-1, m.cdsE)
		if c0 <= c1 {
			var err error
			if cs.rc, err = m.appendCDNA(cs.rc, src, c0, c1); err != nil {
				return false
			}
		}
	}
	cs.ref = append(cs.ref[:0], ref...)
	cs.alt = append(cs.alt[:0], alt...)
	if m.rev {
		revComp(cs.ref)
		revComp(cs.alt)
	}
	upper(cs.alt)
	// Alternate codons: the bases before the span, the allele, the bases
	// after it up to the last reference codon.
	pre, post := q1-codonS, codonE-q2
	if pre < 0 || post < 0 || pre+post > len(cs.rc) {
		return false
	}
	cs.ac = append(cs.ac[:0], cs.rc[:pre]...)
	cs.ac = append(cs.ac, cs.alt...)
	cs.ac = append(cs.ac, cs.rc[len(cs.rc)-post:]...)
	cs.rp = vepPeptide(cs.rp[:0], cs.rc)
	cs.ap = vepPeptide(cs.ap[:0], cs.ac)
	// VEP's codon_position is counted from its cdna_start (for an
	// insertion, the base after it).
	pos := (q1-1)%3 + 1
	cs.disp = displayCodon(cs.disp[:0], cs.rc, pos, len(cs.ref))
	cs.disp = append(cs.disp, '/')
	cs.disp = displayCodon(cs.disp, cs.ac, pos, len(cs.alt))
	return true
}

// displayCodon appends codon in lower case with n bases from 1-based pos
// upper-cased; an empty codon is written "-".
func displayCodon(dst, codon []byte, pos, n int) []byte {
	if len(codon) == 0 {
		return append(dst, '-')
	}
	at := len(dst)
	for _, c := range codon {
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		dst = append(dst, c)
	}
	d := dst[at:]
	for i := max(pos-1, 0); i < pos-1+n && i < len(d); i++ {
		if d[i] >= 'a' && d[i] <= 'z' {
			d[i] -= 32
		}
	}
	return dst
}

// vepPeptide translates codons as VEP's peptide(): whole codons, then X for a
// partial one (unless the peptide is a lone stop), "-" when empty.
func vepPeptide(dst, codon []byte) []byte {
	at := len(dst)
	dst = translate(dst, codon)
	if len(codon)%3 != 0 && !(len(dst)-at == 1 && dst[at] == '*') {
		dst = append(dst, 'X')
	}
	if len(dst) == at {
		dst = append(dst, '-')
	}
	return dst
}

// csqEntry writes one CSQ entry (an allele × transcript) for the record's
// allele ai; ef is nil for an intergenic entry. allele overrides the
// Allele column when non-nil (haplotype entries).
func (wk *worker) csqEntry(dst []byte, ai int, ef *effect, src seqSource, allele []byte) []byte {
	vv := &wk.vep
	sep := func() { dst = append(dst, '|') }
	if allele != nil {
		dst = appendCSQEscaped(dst, allele)
	} else {
		dst = appendCSQEscaped(dst, vv.alts[ai])
	}
	sep()
	if ef == nil {
		// Consequence, IMPACT, then SYMBOL to Codons (14 columns) empty.
		dst = append(dst, "intergenic_variant|MODIFIER|||||||||||||||"...)
		dst = wk.csqKnownIDs(dst, ai)
		dst = append(dst, "|||||"...) // DISTANCE, STRAND, FLAGS, CANONICAL, MANE
		return wk.csqSources(dst, ai)
	}
	m := ef.m
	t := m.t
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
	s, e := vv.start, vv.end
	within := ef.distance < 0 // not an up/downstream entry
	sep()                     // EXON
	if within {
		dst = m.numbers(dst, s, e, false)
	}
	sep() // INTRON
	if within {
		dst = m.numbers(dst, s, e, true)
	}
	sep() // HGVSc
	if within && len(ef.hgvsC) > 0 {
		dst = appendCSQEscapedString(dst, t.ID)
		dst = append(dst, ':')
		dst = appendCSQEscaped(dst, ef.hgvsC)
	}
	sep() // HGVSp
	if within && len(ef.hgvsP) > 0 {
		// VEP names the protein (ENSP…:p.); a gene model without
		// protein_id on its CDS lines names none, so the transcript that
		// encodes it is named instead.
		if t.ProteinID != "" {
			dst = appendCSQEscapedString(dst, t.ProteinID)
		} else {
			dst = appendCSQEscapedString(dst, t.ID)
		}
		dst = append(dst, ':')
		dst = appendCSQEscaped(dst, ef.hgvsP)
	}
	sep() // cDNA_position
	if within {
		a, b, okA, okB := vepEnds(m, s, e, m.cdna)
		dst = formatCoords(dst, a, b, okA, okB)
	}
	var a, b int
	var okA, okB bool
	coding := within && m.coding
	if coding {
		a, b, okA, okB = vepEnds(m, s, e, m.vepCDS)
	}
	sep() // CDS_position
	if coding {
		dst = formatCoords(dst, a, b, okA, okB)
	}
	sep() // Protein_position
	if coding {
		dst = formatCoords(dst, (a+2)/3, (b+2)/3, okA, okB)
	}
	cs := &wk.csqs
	codons := coding && okA && okB && cs.vepCodons(m, src, s, e, seqOrEmpty(vv.ref), seqOrEmpty(vv.alts[ai]))
	sep() // Amino_acids
	if codons {
		dst = appendCSQEscaped(dst, cs.rp)
		if !bytes.Equal(cs.rp, cs.ap) {
			dst = append(dst, '/')
			dst = appendCSQEscaped(dst, cs.ap)
		}
	}
	sep() // Codons
	if codons {
		dst = append(dst, cs.disp...)
	}
	sep()
	dst = wk.csqKnownIDs(dst, ai)
	sep() // DISTANCE
	if !within {
		dst = strconv.AppendInt(dst, int64(vepDistance(s, e, t.Start, t.End)), 10)
	}
	sep() // STRAND
	if m.rev {
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

// vepDistance is VEP's distance_to_transcript: the smallest distance
// between an end of the variant and an end of the transcript.
func vepDistance(s, e, ts, te int) int {
	d := abs(s - ts)
	for _, x := range [3]int{s - te, e - ts, e - te} {
		d = min(d, abs(x))
	}
	return d
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// csqKnownIDs writes the allele's IDs from the ID sources joined by '&'.
func (wk *worker) csqKnownIDs(dst []byte, ai int) []byte {
	sv := &wk.src
	if ai >= sv.alleles {
		return dst
	}
	first := true
	for s, src := range wk.e.sources {
		if !src.ID || !sv.found(ai, s) {
			continue
		}
		ids := sv.hit(ai, s).ID()
		for len(ids) > 0 {
			var one []byte
			if i := bytes.IndexByte(ids, ';'); i >= 0 {
				one, ids = ids[:i], ids[i+1:]
			} else {
				one, ids = ids, nil
			}
			if len(one) == 0 || (len(one) == 1 && one[0] == '.') {
				continue
			}
			if !first {
				dst = append(dst, '&')
			}
			first = false
			dst = appendCSQEscaped(dst, one)
		}
	}
	return dst
}

// csqSources writes the source columns: the allele's value of each
// annotation source field, then the record's hits of each region track.
func (wk *worker) csqSources(dst []byte, ai int) []byte {
	sv := &wk.src
	for s, src := range wk.e.sources {
		for f := range src.Fields {
			dst = append(dst, '|')
			if ai >= sv.alleles || !sv.found(ai, s) {
				continue
			}
			var ok bool
			if wk.val, ok = sv.hit(ai, s).AppendValue(wk.val[:0], f); ok {
				dst = appendCSQEscaped(dst, wk.val)
			}
		}
	}
	for i := range wk.e.trackKeys {
		dst = append(dst, '|')
		if i < len(wk.trackHits) {
			dst = append(dst, wk.trackHits[i]...) // already escaped, '&'-joined
		}
	}
	return dst
}

// collectTracks stores each track's hits over [start, end] for the CSQ
// source columns, '&'-joined and escaped, and counts records with a hit.
func (wk *worker) collectTracks(contig, start, end int, st *blockStats) {
	n := len(wk.e.trackKeys)
	for len(wk.trackHits) < n {
		wk.trackHits = append(wk.trackHits, nil)
	}
	for i := 0; i < n; i++ {
		wk.trackHits[i] = wk.trackHits[i][:0]
		wk.hits = wk.e.ref.TrackHits(i, contig, start, end, wk.hits[:0])
		if len(wk.hits) == 0 {
			continue
		}
		st.tracks[i]++
		for j, h := range wk.hits {
			if j > 0 {
				wk.trackHits[i] = append(wk.trackHits[i], '&')
			}
			wk.trackHits[i] = appendCSQEscaped(wk.trackHits[i], h)
		}
	}
}

// clearTracks empties the stored track hits (a record on a contig the
// bundle does not have).
func (wk *worker) clearTracks() {
	for i := range wk.trackHits {
		wk.trackHits[i] = wk.trackHits[i][:0]
	}
}
