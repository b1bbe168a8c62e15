package annotate

import (
	"bytes"
	"strconv"

	"github.com/gas-project/gas/vcf"
)

// Haplotype mode (Options.Haplotypes), the worker side.
//
// Workers annotate every record on its own, as in the default mode, and in
// addition (1) write the per-sample FORMAT field that says which of the
// record's entries each haplotype carries, from the genotypes, and (2) list
// the record's candidates: the alleles whose change falls inside the coding
// sequence of a transcript, with the codons it touches. The writer
// goroutine (haplotype_stage.go) then holds a window of records around each
// candidate, finds the haplotypes on which two candidates share a codon,
// and adds the combined consequences to those records.

// hapRec is what the writer needs of one output record.
type hapRec struct {
	start, end int // the line in job.out, newline included
	contig     int // -1 when the contig is not in the bundle
	pos        int
	lineNo     int64
	entries    int // entries in the record's ANN/CSQ
	items      int // first candidate in job.hitems
	nItems     int
	hasFormat  bool // the line carries the FORMAT field (samples with GT)
}

// hapItem is one candidate: allele ai+1 (its GT code) of a record changes
// codons k1..k2 of transcript m; its local entry is number entry.
type hapItem struct {
	m          *txModel
	allele     int // GT allele code (1 = first ALT)
	entry      int
	k1, k2     int // 0-based codon numbers (in the CDS, after the phase)
	dlen       int // length change of the allele (ALT minus REF bases)
	bound      int // the largest genomic position of those codons' bases
	v          variant
	ref, alt   [2]int // offsets in job.harena: VCF REF, VCF ALT
	label      [2]int // offsets in job.harena: the allele as its entries name it
	vref, valt [2]int // offsets in job.harena: the normalised variant's bases
}

// hapJob is the haplotype part of a job, reused across blocks.
type hapJob struct {
	recs   []hapRec
	items  []hapItem
	arena  []byte
	stats  hapStats
	format formatScratch
}

func (h *hapJob) reset() {
	h.recs, h.items, h.arena = h.recs[:0], h.items[:0], h.arena[:0]
	h.stats = hapStats{}
}

func (h *hapJob) keep(b []byte) [2]int {
	at := len(h.arena)
	h.arena = append(h.arena, b...)
	return [2]int{at, len(h.arena)}
}

// hapStats are the haplotype counts of a block.
type hapStats struct {
	unphased  int64 // heterozygous genotypes without phase
	polyploid int64 // genotypes with more than two alleles
	noGT      int64 // records with samples but no GT
}

// codonSpan gives the codons of m a variant changes, when the change lies in
// the coding sequence of one exon: 0-based codon numbers k1 <= k2 (in the
// CDS after the phase; an insertion touches the codons on both sides) and
// bound, the largest genomic position a later record sharing a codon with
// it can start at. While a haplotype's frame is shifted its group also
// takes the next codon (where the shifted frame first reads changed
// bases), so the bound covers the codon after k2 for a frameshift and, for
// a frameshift in a later record, the codon before k1.
func codonSpan(m *txModel, v *variant) (k1, k2, bound int, ok bool) {
	if !m.coding || m.segs != nil {
		return 0, 0, 0, false
	}
	var c1, c2 int // cDNA, transcript order
	if v.insertion() {
		c, ok := m.insAfter(v.pos)
		if !ok {
			return 0, 0, 0, false
		}
		if _, ok := m.cdna(v.pos - 1); !ok {
			return 0, 0, 0, false
		}
		if _, ok := m.cdna(v.pos); !ok {
			return 0, 0, 0, false
		}
		c1, c2 = c, c+1
	} else {
		a, okA := m.cdna(v.pos)
		b, okB := m.cdna(v.end)
		if !okA || !okB {
			return 0, 0, 0, false
		}
		ia, _ := m.findExon(v.pos)
		ib, _ := m.findExon(v.end)
		if ia != ib {
			return 0, 0, 0, false
		}
		c1, c2 = min(a, b), max(a, b)
	}
	if c1 < m.cdsS || c2 > m.cdsE {
		return 0, 0, 0, false
	}
	f := m.phase
	q1, q2 := c1-m.cdsS+1, c2-m.cdsS+1
	if q1-1 < f {
		return 0, 0, 0, false // the partial first codon of a 5'-incomplete CDS
	}
	k1, k2 = (q1-1-f)/3, (q2-1-f)/3
	nCodons := (m.cdsLen - f) / 3
	if k2 >= nCodons {
		k2 = nCodons - 1
	}
	if k1 > k2 {
		return 0, 0, 0, false
	}
	b1, b2 := max(k1-1, 0), k2
	if (len(v.alt)-len(v.ref))%3 != 0 {
		b2 = min(k2+1, nCodons-1)
	}
	// The codons' bases run from CDS position f+3*b1+1 to f+3*b2+3.
	ga, okA := m.genomic(m.cdsS + f + 3*b1)
	gb, okB := m.genomic(min(m.cdsS+f+3*b2+2, m.cdsE))
	if !okA || !okB {
		return 0, 0, 0, false
	}
	return k1, k2, max(ga, gb), true
}

// genomic maps a cDNA position to its genomic position.
func (m *txModel) genomic(c int) (int, bool) {
	for i, e := range m.t.Exons {
		cs := m.cstart[i]
		ce := cs + e.End - e.Start
		if c < cs || c > ce {
			continue
		}
		if m.rev {
			return e.End - (c - cs), true
		}
		return e.Start + (c - cs), true
	}
	return 0, false
}

// hapCandidate records allele ai's effect ef (entry number entry) as a
// candidate when its change lies in one exon's coding sequence.
func (wk *worker) hapCandidate(ai, entry int, v *variant, ef *effect) {
	k1, k2, bound, ok := codonSpan(ef.m, v)
	if !ok {
		return
	}
	h := &wk.job.hap
	rec := &wk.rec
	it := hapItem{m: ef.m, allele: ai + 1, entry: entry, k1: k1, k2: k2, dlen: len(v.alt) - len(v.ref), bound: bound, v: *v}
	it.ref = h.keep(rec.Ref)
	it.alt = h.keep(rec.Alts[ai])
	if wk.e.opt.Format == FormatCSQ {
		it.label = h.keep(wk.vep.alts[ai])
	} else {
		it.label = it.alt
	}
	it.vref = h.keep(v.ref)
	it.valt = h.keep(v.alt)
	it.v.ref, it.v.alt = nil, nil
	h.items = append(h.items, it)
}

// gt is one sample's genotype as haplotype mode reads it.
type gt struct {
	a      [2]int16 // allele codes of the first two copies; -1 missing
	n      int      // ploidy (copies written)
	phased bool     // the second copy is joined by '|'
}

// het reports a diploid genotype with two different called alleles.
func (g *gt) het() bool { return g.n == 2 && g.a[0] >= 0 && g.a[1] >= 0 && g.a[0] != g.a[1] }

// parseGT reads a GT value ("0|1", "1/0", "1", "./.", "0|1|1", "10/12").
// Anything it cannot read is missing.
func parseGT(s []byte) gt {
	g := gt{a: [2]int16{-1, -1}}
	i := 0
	if len(s) > 0 && (s[0] == '|' || s[0] == '/') {
		i++ // VCF 4.4 lets the first allele carry a phase indicator
	}
	for i < len(s) {
		v := int16(-1)
		if s[i] == '.' {
			i++
		} else {
			n, j := 0, i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' && j-i < 4 {
				n = n*10 + int(s[j]-'0')
				j++
			}
			if j == i {
				return gt{a: [2]int16{-1, -1}}
			}
			v, i = int16(n), j
		}
		if g.n < 2 {
			g.a[g.n] = v
		}
		g.n++
		if i >= len(s) {
			break
		}
		if g.n == 1 {
			g.phased = s[i] == '|'
		}
		if s[i] != '|' && s[i] != '/' {
			return gt{a: [2]int16{-1, -1}}
		}
		i++
	}
	return g
}

// bitWords is the number of 32-bit integers the FORMAT bitmask of n entries
// needs: 30 bits each (bit 31 stays clear, as in bcftools, so that no value
// looks like a BCF missing or end-of-vector code), two per entry.
func bitWords(n int) int { return (2*n + 29) / 30 }

// formatScratch holds the per-record masks and buffers of the FORMAT field.
type formatScratch struct {
	masks  []uint32 // per allele code (0 unused), bitWords(entries) words each: slot 0 bits
	words  int
	sample []uint32
	keys   [][]byte
}

// setMasks prepares the slot-0 masks of every allele from its entry range.
func (fs *formatScratch) setMasks(ranges [][2]int, entries int) {
	fs.words = max(bitWords(entries), 1)
	n := (len(ranges) + 1) * fs.words
	if cap(fs.masks) < n {
		fs.masks = make([]uint32, n)
	}
	fs.masks = fs.masks[:n]
	clear(fs.masks)
	for a, r := range ranges {
		m := fs.masks[(a+1)*fs.words : (a+2)*fs.words]
		for k := r[0]; k < r[1]; k++ {
			b := 2 * k
			m[b/30] |= 1 << (b % 30)
		}
	}
}

// appendBits writes a bitmask as comma-separated integers, trailing zero
// words dropped ("0" when empty).
func appendBits(dst []byte, w []uint32) []byte {
	n := len(w)
	for n > 1 && w[n-1] == 0 {
		n--
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendUint(dst, uint64(w[i]), 10)
	}
	if n == 0 {
		dst = append(dst, '0')
	}
	return dst
}

// appendSamples writes FORMAT and the sample columns of rest (without the
// leading tab) with the haplotype field key added last: each sample gets
// the bitmask of the entries its haplotypes carry. An existing key field is
// dropped (re-annotation), and a sample that leaves trailing fields out is
// padded with '.' so the new field lands in its place. It returns false,
// writing nothing, when the record has no GT.
func (wk *worker) appendSamples(dst, rest []byte, key string, ranges [][2]int, entries int, hs *hapStats) ([]byte, bool) {
	fs := &wk.job.hap.format
	tab := bytes.IndexByte(rest, '\t')
	format := rest
	if tab >= 0 {
		format = rest[:tab]
	}
	fs.keys = fs.keys[:0]
	for f := format; ; {
		c := bytes.IndexByte(f, ':')
		if c < 0 {
			fs.keys = append(fs.keys, f)
			break
		}
		fs.keys = append(fs.keys, f[:c])
		f = f[c+1:]
	}
	if len(fs.keys) == 0 || string(fs.keys[0]) != "GT" {
		hs.noGT++
		return dst, false
	}
	drop := -1
	for i, k := range fs.keys {
		if string(k) == key {
			drop = i
		}
	}
	nKeys := len(fs.keys)
	for i, k := range fs.keys {
		if i == drop {
			continue
		}
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, k...)
	}
	dst = append(dst, ':')
	dst = append(dst, key...)
	fs.setMasks(ranges, entries)
	if cap(fs.sample) < fs.words {
		fs.sample = make([]uint32, fs.words)
	}
	w := fs.sample[:fs.words]
	samples := []byte(nil)
	if tab >= 0 {
		samples = rest[tab+1:]
	}
	for tab >= 0 {
		var s []byte
		if t := bytes.IndexByte(samples, '\t'); t >= 0 {
			s, samples = samples[:t], samples[t+1:]
		} else {
			s, tab = samples, -1
		}
		dst = append(dst, '\t')
		if nKeys == 1 && len(s) == 3 && s[0] == '0' && s[2] == '0' && (s[1] == '|' || s[1] == '/') {
			// The common homozygous-reference genotype of a cohort: no
			// entry on either haplotype.
			dst = append(dst, s...)
			dst = append(dst, ":0"...)
			continue
		}
		// Copy the sample's fields but the dropped one, counting them.
		fields := 0
		first := s
		if c := bytes.IndexByte(s, ':'); c >= 0 {
			first = s[:c]
		}
		if drop < 0 {
			dst = append(dst, s...)
			fields = 1
			if nKeys > 1 {
				fields += bytes.Count(s, []byte{':'})
			}
		} else {
			for f := s; ; {
				c := bytes.IndexByte(f, ':')
				v := f
				if c >= 0 {
					v = f[:c]
				}
				if fields != drop { // drop > 0: GT comes first
					if fields > 0 {
						dst = append(dst, ':')
					}
					dst = append(dst, v...)
				}
				fields++
				if c < 0 {
					break
				}
				f = f[c+1:]
			}
			if drop < fields {
				fields--
			}
		}
		kept := nKeys
		if drop >= 0 {
			kept--
		}
		for ; fields < kept; fields++ {
			dst = append(dst, ":."...)
		}
		dst = append(dst, ':')
		g := parseGT(first)
		switch {
		case g.n > 2:
			hs.polyploid++
			dst = append(dst, '.')
			continue
		case g.het() && !g.phased:
			hs.unphased++
		}
		clear(w)
		for slot := 0; slot < g.n && slot < 2; slot++ {
			a := int(g.a[slot])
			if a <= 0 || a > len(ranges) {
				continue
			}
			m := fs.masks[a*fs.words : (a+1)*fs.words]
			for i := range w {
				w[i] |= m[i] << slot
			}
		}
		dst = appendBits(dst, w)
	}
	return dst, true
}

// hapRecord appends the record in haplotype mode: with the FORMAT field of
// the entries each haplotype carries when the record has genotypes, and
// its hapRec (with the candidates hapCandidate listed) for the writer.
func (wk *worker) hapRecord(out []byte, rec *vcf.Record, id []byte, contig int, known bool) []byte {
	h := &wk.job.hap
	r := hapRec{start: len(out), contig: -1, pos: int(rec.Pos), lineNo: rec.LineNo, entries: wk.nEntry}
	if known {
		r.contig = contig
	}
	if n := len(h.recs); n > 0 {
		p := &h.recs[n-1]
		r.items = p.items + p.nItems
	}
	r.nItems = len(h.items) - r.items
	rest := rec.Rest
	if rest == nil || wk.nEntry == 0 {
		out = vcf.AppendRecord(out, rec, id, wk.info)
	} else {
		rec.Rest = nil
		out = vcf.AppendRecord(out, rec, id, wk.info)
		rec.Rest = rest
		out = append(out[:len(out)-1], '\t') // the newline goes after the samples
		mark := len(out)
		out, r.hasFormat = wk.appendSamples(out, rest, wk.e.opt.Format.field(), wk.ranges, wk.nEntry, &h.stats)
		if !r.hasFormat {
			out = append(out[:mark], rest...)
		}
		out = append(out, '\n')
	}
	r.end = len(out)
	h.recs = append(h.recs, r)
	return out
}

// addHaplotypeHeader declares the per-sample field of haplotype mode and
// says how the mode treats the file. The header goes out before any record
// is read, so what only the records show (unphased genotypes) is reported
// in the Summary.
func (e *engine) addHaplotypeHeader(h *vcf.Header) {
	key := e.opt.Format.field()
	if len(h.Samples()) == 0 {
		h.Add("##gas_haplotypes=WARNING: haplotype mode was asked for, but the file has no samples (no genotypes, " +
			"so no haplotypes): every call is local")
		return
	}
	h.Add(`##FORMAT=<ID=` + key + `,Number=.,Type=Integer,Description="Bitmask of the INFO/` + key +
		` entries that apply to each haplotype of the sample (GAS haplotype mode): bit 2k is entry k (0-based) on the haplotype of the first GT allele` +
		` and bit 2k+1 on the second; 30 bits per integer, so entry k is in integer floor(2k/30) (the convention of bcftools csq FORMAT/BCSQ)">`)
	h.Add("##gas_haplotypes=variants on one phased haplotype of a sample that change the same codon of a transcript are combined " +
		"into one consequence, written as extra " + key + " entries whose allele is ALT-CHROM:POS_REF>ALT (the other members); " +
		"unphased heterozygous genotypes get local calls only")
}
