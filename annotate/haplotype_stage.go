package annotate

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// hapStage is the writer side of haplotype mode. Records come in input
// order; the stage writes them straight through until one has a
// candidate (an allele changing codons of a transcript), then holds the
// output from that record on — a window — until a record starts past every
// codon the held candidates touch (or the contig changes). Then no later
// record can share a codon with them: the stage finds the haplotypes on
// which candidates share a codon, adds one combined entry per such group
// to each member record and updates the members' FORMAT bitmasks, and
// writes the window. Memory is the window: the records within the codons of
// neighbouring candidates, usually a few; a codon split by an intron holds
// the records in the intron.
type hapStage struct {
	e   *engine
	out io.Writer
	wk  *worker // computes combined consequences

	open     bool
	contig   int
	lastPos  int
	maxBound int
	carry    []byte    // output of the window's records
	recs     []winRec  // window records, in order
	items    []winItem // their candidates
	arena    []byte    // the candidates' alleles

	stats        hapStats
	groups       int64 // combined consequences written (groups × member records)
	pairs        int64 // sample × pairs of codon-sharing candidates left local for want of phase
	conflicts    int64 // haplotype groups left local (inconsistent phase sets, overlapping alleles)
	unsortedLine int64 // first line found out of order, 0 if none
}

type winRec struct {
	start, end int // the line in carry, newline included
	pos        int
	lineNo     int64
	entries    int
	hasFormat  bool
	items      int // first candidate in hapStage.items
	nItems     int
}

type winItem struct {
	rec int // in hapStage.recs
	hapItem
}

func newHapStage(e *engine, out io.Writer) *hapStage {
	return &hapStage{e: e, out: out, wk: newWorker(e), contig: -2}
}

// block takes one annotated job, in input order.
func (st *hapStage) block(j *job) error {
	h := &j.hap
	st.stats.unphased += h.stats.unphased
	st.stats.polyploid += h.stats.polyploid
	st.stats.noGT += h.stats.noGT
	direct := 0 // j.out[direct:] is neither written nor held
	for i := range h.recs {
		r := &h.recs[i]
		sameContig := r.contig == st.contig
		if sameContig && r.pos < st.lastPos && st.unsortedLine == 0 {
			st.unsortedLine = r.lineNo
		}
		if st.open && (!sameContig || r.pos < st.lastPos || r.pos > st.maxBound) {
			if err := st.close(); err != nil {
				return err
			}
		}
		st.contig, st.lastPos = r.contig, r.pos
		candidate := r.nItems > 0 && r.hasFormat && r.contig >= 0
		if !st.open {
			if !candidate {
				continue
			}
			if err := st.write(j.out[direct:r.start]); err != nil {
				return err
			}
			direct = r.start
			st.open, st.maxBound = true, 0
		}
		wr := winRec{start: len(st.carry) + r.start - direct, pos: r.pos, lineNo: r.lineNo, entries: r.entries,
			hasFormat: r.hasFormat, items: len(st.items)}
		st.carry = append(st.carry, j.out[direct:r.end]...)
		wr.end = len(st.carry)
		direct = r.end
		if candidate {
			for k := r.items; k < r.items+r.nItems; k++ {
				it := h.items[k]
				it.ref = st.keep(h.arena, it.ref)
				it.alt = st.keep(h.arena, it.alt)
				it.label = st.keep(h.arena, it.label)
				it.vref = st.keep(h.arena, it.vref)
				it.valt = st.keep(h.arena, it.valt)
				st.items = append(st.items, winItem{rec: len(st.recs), hapItem: it})
				st.maxBound = max(st.maxBound, it.bound)
			}
			wr.nItems = len(st.items) - wr.items
		}
		st.recs = append(st.recs, wr)
	}
	if st.open {
		st.carry = append(st.carry, j.out[direct:]...)
		return nil
	}
	return st.write(j.out[direct:])
}

func (st *hapStage) keep(from []byte, off [2]int) [2]int {
	at := len(st.arena)
	st.arena = append(st.arena, from[off[0]:off[1]]...)
	return [2]int{at, len(st.arena)}
}

func (st *hapStage) bytesOf(off [2]int) []byte { return st.arena[off[0]:off[1]] }

func (st *hapStage) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := st.out.Write(b); err != nil {
		return fmt.Errorf("annotate: write output: %w", err)
	}
	return nil
}

// close ends the window: combines what shares a codon, writes the records.
func (st *hapStage) close() error {
	if len(st.items) > 1 {
		st.combine()
	}
	err := st.write(st.carry)
	st.open = false
	st.carry, st.recs, st.items, st.arena = st.carry[:0], st.recs[:0], st.items[:0], st.arena[:0]
	return err
}

// finish closes the last window and adds the counts to the summary.
func (st *hapStage) finish(sum *Summary) error {
	var err error
	if st.open {
		err = st.close()
	}
	sum.HaplotypeEntries += st.groups
	if st.stats.unphased > 0 {
		addCapped(&sum.Warnings, "haplotype mode: "+itoa(st.stats.unphased)+" heterozygous genotypes are unphased; "+
			"their alleles are annotated on their own (local calls)"+st.pairsNote())
	} else if st.pairs > 0 {
		addCapped(&sum.Warnings, "haplotype mode: "+st.pairsNote()[2:])
	}
	if st.stats.polyploid > 0 {
		addCapped(&sum.Warnings, "haplotype mode: "+itoa(st.stats.polyploid)+" genotypes have more than two alleles; "+
			"their FORMAT value is '.' and their alleles get local calls only")
	}
	if st.stats.noGT > 0 {
		addCapped(&sum.Warnings, "haplotype mode: "+itoa(st.stats.noGT)+" records with samples have no GT field; they get local calls only")
	}
	if st.conflicts > 0 {
		addCapped(&sum.Warnings, "haplotype mode: "+itoa(st.conflicts)+" groups of variants sharing a codon were left as local calls "+
			"(alleles in different phase sets, or overlapping alleles on one haplotype)")
	}
	if st.unsortedLine > 0 {
		addCapped(&sum.Warnings, "haplotype mode: the input is not sorted by position (line "+itoa(st.unsortedLine)+
			"); variants are combined only with their neighbours in the sorted stretches")
	}
	return err
}

func (st *hapStage) pairsNote() string {
	if st.pairs == 0 {
		return ""
	}
	return "; " + itoa(st.pairs) + " times a sample carried two variants sharing a codon whose phase is unknown"
}

// winGT holds the genotypes of one window record.
type winGT struct {
	gts []gt
	ps  [][]byte // PS values (nil when the record has none)
}

// hapGroup is one combined consequence: candidates (of different records)
// that share codons of one transcript on the same haplotype of some
// samples.
type hapGroup struct {
	members []int    // window items, in genomic order
	haps    [][2]int // (sample, slot) carrying exactly this group
	entry   []int    // per member, the new entry's number in its record
	text    [][]byte // per member, the rendered entry
	ok      bool
}

// combine finds the haplotype groups of the window and rewrites their
// member records.
func (st *hapStage) combine() {
	items := st.items
	type pair struct{ a, b int }
	var pairs []pair
	for a := range items {
		for b := a + 1; b < len(items); b++ {
			x, y := &items[a], &items[b]
			if x.rec != y.rec && x.m.t == y.m.t && x.k1 <= y.reach() && y.k1 <= x.reach() {
				pairs = append(pairs, pair{a, b})
			}
		}
	}
	if len(pairs) == 0 {
		return
	}
	// Genotypes of the records involved, read from the held lines.
	gts := map[int]*winGT{}
	for _, p := range pairs {
		for _, k := range [2]int{p.a, p.b} {
			r := items[k].rec
			if gts[r] == nil {
				gts[r] = st.readGT(r)
			}
		}
	}
	nSamples := -1
	for _, g := range gts {
		if nSamples < 0 || len(g.gts) < nSamples {
			nSamples = len(g.gts)
		}
	}
	adj := map[int][]int{}
	for _, p := range pairs {
		adj[p.a] = append(adj[p.a], p.b)
		adj[p.b] = append(adj[p.b], p.a)
	}
	involved := make([]int, 0, len(adj))
	for k := range adj {
		involved = append(involved, k)
	}
	slices.Sort(involved)
	groups := []*hapGroup{}
	byKey := map[string]*hapGroup{}
	carried := make([]int, 0, len(involved))
	var key strings.Builder
	for s := 0; s < nSamples; s++ {
		// Pairs a sample carries whose phase is unknown stay local.
		for _, p := range pairs {
			ga, gb := &gts[items[p.a].rec].gts[s], &gts[items[p.b].rec].gts[s]
			if carries(ga, items[p.a].allele) && carries(gb, items[p.b].allele) &&
				!combinable(gts[items[p.a].rec], gts[items[p.b].rec], s) {
				st.pairs++
			}
		}
		for slot := 0; slot < 2; slot++ {
			carried = carried[:0]
			for _, k := range involved {
				g := &gts[items[k].rec].gts[s]
				if slot < g.n && g.n <= 2 && int(g.a[slot]) == items[k].allele {
					carried = append(carried, k)
				}
			}
			if len(carried) < 2 {
				continue
			}
			for _, members := range st.sweep(carried, gts, s) {
				if len(members) < 2 {
					continue
				}
				if !phaseConsistent(gts, items, members, s) {
					st.conflicts++
					continue
				}
				slices.Sort(members)
				key.Reset()
				for _, k := range members {
					key.WriteString(strconv.Itoa(k))
					key.WriteByte(',')
				}
				g := byKey[key.String()]
				if g == nil {
					g = &hapGroup{members: members}
					byKey[key.String()] = g
					groups = append(groups, g)
				}
				g.haps = append(g.haps, [2]int{s, slot})
			}
		}
	}
	if len(groups) == 0 {
		return
	}
	// Render each group's entries, numbered after each record's own.
	added := make([]int, len(st.recs))
	for _, g := range groups {
		st.render(g)
		if !g.ok {
			st.conflicts++
			continue
		}
		g.entry = make([]int, len(g.members))
		for i, k := range g.members {
			r := items[k].rec
			g.entry[i] = st.recs[r].entries + added[r]
			added[r]++
		}
		st.groups += int64(len(g.members))
	}
	st.rewrite(groups, added)
}

// reach is the last codon a change can share with a later one on the same
// haplotype: the codon after it too for a frameshift.
func (it *hapItem) reach() int {
	if it.dlen%3 != 0 {
		return it.k2 + 1
	}
	return it.k2
}

// sweep groups the candidates one haplotype of sample s carries (carried,
// in window order) the way the haplotype reads them: per transcript, in
// transcript order, a candidate joins the group before it when it starts in
// a codon the group reaches (the group's last codon, and the next one while
// the group's changes so far shift the frame) and its copy can be on the
// same haplotype as the group's.
func (st *hapStage) sweep(carried []int, gts map[int]*winGT, s int) [][]int {
	items := st.items
	order := slices.Clone(carried)
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := &items[a], &items[b]
		if x.m.t != y.m.t {
			return x.m.t.Index - y.m.t.Index
		}
		if x.k1 != y.k1 {
			return x.k1 - y.k1
		}
		if x.m.rev {
			return y.v.pos - x.v.pos
		}
		return x.v.pos - y.v.pos
	})
	var groups [][]int
	var cur []int
	reach, shift := 0, 0
	for _, k := range order {
		it := &items[k]
		join := len(cur) > 0 && items[cur[0]].m.t == it.m.t && it.k1 <= reach
		for _, o := range cur {
			if join && !combinable(gts[items[o].rec], gts[it.rec], s) {
				join = false
			}
		}
		if !join {
			if len(cur) > 1 {
				groups = append(groups, cur)
			}
			cur, reach, shift = nil, 0, 0
		}
		cur = append(cur, k)
		shift += it.dlen
		reach = max(reach, it.k2)
		if shift%3 != 0 {
			reach = max(reach, it.k2+1)
		}
	}
	if len(cur) > 1 {
		groups = append(groups, cur)
	}
	return groups
}

// carries reports whether genotype g holds allele a.
func carries(g *gt, a int) bool {
	return g.n <= 2 && (int(g.a[0]) == a || (g.n == 2 && int(g.a[1]) == a))
}

// definite reports a genotype whose copies need no phase to be placed: one
// copy, or two equal ones.
func definite(g *gt) bool { return g.n == 1 || (g.n == 2 && g.a[0] == g.a[1]) }

// combinable reports whether sample s's copies at two records can be put on
// the same haplotypes: one of them needs no phase, or both are phased in
// the same phase set (PS; no PS means one set per sample and contig).
func combinable(a, b *winGT, s int) bool {
	ga, gb := &a.gts[s], &b.gts[s]
	if definite(ga) || definite(gb) {
		return true
	}
	if !ga.phased || !gb.phased {
		return false
	}
	return bytes.Equal(psOf(a, s), psOf(b, s))
}

func psOf(g *winGT, s int) []byte {
	if g.ps == nil {
		return nil
	}
	return g.ps[s]
}

// phaseConsistent checks a group found through copies that need no phase:
// its members that do need it must share one phase set.
func phaseConsistent(gts map[int]*winGT, items []winItem, members []int, s int) bool {
	var ref *winGT
	for _, k := range members {
		g := gts[items[k].rec]
		if definite(&g.gts[s]) {
			continue
		}
		if ref == nil {
			ref = g
			continue
		}
		if !combinable(ref, g, s) {
			return false
		}
	}
	return true
}

// readGT parses the genotypes (and phase sets) of window record r.
func (st *hapStage) readGT(r int) *winGT {
	line := st.carry[st.recs[r].start : st.recs[r].end-1]
	w := &winGT{}
	cols := bytes.Split(line, []byte{'\t'})
	if len(cols) < 10 {
		return w
	}
	keys := bytes.Split(cols[8], []byte{':'})
	psIdx := -1
	for i, k := range keys {
		if string(k) == "PS" {
			psIdx = i
		}
	}
	w.gts = make([]gt, len(cols)-9)
	if psIdx >= 0 {
		w.ps = make([][]byte, len(cols)-9)
	}
	for i, c := range cols[9:] {
		f := c
		if k := bytes.IndexByte(c, ':'); k >= 0 {
			f = c[:k]
		}
		w.gts[i] = parseGT(f)
		if psIdx >= 0 {
			sub := bytes.Split(c, []byte{':'})
			if psIdx < len(sub) && !(len(sub[psIdx]) == 1 && sub[psIdx][0] == '.') {
				w.ps[i] = sub[psIdx]
			}
		}
	}
	return w
}

// render computes group g's combined consequence and its entry for each
// member record (g.ok false when it cannot be combined).
func (st *hapStage) render(g *hapGroup) {
	items := st.items
	slices.SortFunc(g.members, func(a, b int) int { return items[a].v.pos - items[b].v.pos })
	wk := st.wk
	m := items[g.members[0]].m
	if !st.e.ref.HasSequence(st.contig) {
		return
	}
	wk.cs = contigSeq{st.e.ref, st.contig}
	src := &wk.cs
	wk.sc.arena = wk.sc.arena[:0]
	var ef effect
	var cv variant
	if !st.combined(g, m, src, &cv, &ef) || ef.terms.empty() {
		return
	}
	g.text = make([][]byte, len(g.members))
	csq := st.e.opt.Format == FormatCSQ
	if csq {
		// The combined change, as VEP would see it written as one allele.
		vv := &wk.vep
		vv.start, vv.end = cv.pos, cv.end
		vv.buf = append(append(vv.buf[:0], cv.ref...), cv.alt...)
		vv.ref = vv.buf[:len(cv.ref)]
		vv.alts = append(vv.alts[:0], vv.buf[len(cv.ref):])
		if len(vv.ref) == 0 {
			vv.ref = []byte("-")
		}
		if len(vv.alts[0]) == 0 {
			vv.alts[0] = []byte("-")
		}
		wk.src.reset(len(wk.e.sources))
		wk.src.addAllele() // the combined allele is in no source
		wk.clearTracks()
	}
	for i, k := range g.members {
		label := st.label(g, k)
		var t []byte
		if csq {
			t = wk.csqEntry(nil, 0, &ef, src, label)
		} else {
			t = appendEntry(append([]byte(nil), label...), nil, &ef)
			// appendEntry wrote an empty allele before its first '|'.
		}
		g.text[i] = t
	}
	g.ok = true
}

// label names the combined entry of member k the ANN way for compound
// variants: its own allele, then "-CHROM:POS_REF>ALT" for each other member
// as written in the VCF.
func (st *hapStage) label(g *hapGroup, k int) []byte {
	items := st.items
	csq := st.e.opt.Format == FormatCSQ
	esc := appendEscaped
	if csq {
		esc = appendCSQEscaped
	}
	l := esc(nil, st.bytesOf(items[k].label))
	for _, o := range g.members {
		if o == k {
			continue
		}
		r := &st.recs[items[o].rec]
		line := st.carry[r.start:r.end]
		chrom := line[:bytes.IndexByte(line, '\t')]
		l = append(l, '-')
		l = esc(l, chrom)
		l = append(l, ':')
		l = strconv.AppendInt(l, int64(r.pos), 10)
		l = append(l, '_')
		l = esc(l, st.bytesOf(items[o].ref))
		l = append(l, '>')
		l = esc(l, st.bytesOf(items[o].alt))
	}
	return l
}

// combined computes the consequence of group g's changes made together on
// transcript m into ef; cv is the combined change as one genomic allele.
func (st *hapStage) combined(g *hapGroup, m *txModel, src seqSource, cv *variant, ef *effect) bool {
	items := st.items
	first := &items[g.members[0]]
	exon := -1
	lo, hi := first.v.pos, first.v.pos-1
	for _, k := range g.members {
		v := &items[k].v
		i, _ := m.findExon(max(v.pos, v.end))
		if v.insertion() {
			i, _ = m.findExon(v.pos - 1)
		}
		if exon >= 0 && i != exon {
			return st.splicedCombined(g, m, src, ef)
		}
		exon = i
		lo, hi = min(lo, v.pos), max(hi, v.end, v.pos-1)
	}
	refSpan, err := src.Seq(lo, hi)
	if err != nil && hi >= lo {
		return false
	}
	ref := upper(append([]byte(nil), refSpan...))
	alt := make([]byte, 0, len(ref)+8)
	cur := lo
	for _, k := range g.members {
		v := &items[k].v
		if v.pos < cur {
			return false // overlapping alleles on one haplotype
		}
		alt = append(alt, ref[cur-lo:v.pos-lo]...)
		alt = append(alt, st.bytesOf(items[k].valt)...)
		cur = v.end + 1
		if v.insertion() {
			cur = v.pos
		}
	}
	alt = append(alt, ref[cur-lo:]...)
	nv, ok := normalise(lo, ref, alt)
	if !ok {
		return false
	}
	*cv = variant{pos: lo, end: hi, ref: ref, alt: alt}
	st.wk.sc.compute(m, &nv, src, ef)
	return true
}

// rewrite copies the window's records with the groups' entries added to
// their ANN/CSQ field and their haplotypes' FORMAT bits moved from the
// members' own entries to the combined ones.
func (st *hapStage) rewrite(groups []*hapGroup, added []int) {
	items := st.items
	type mod struct{ slot, clear, set int }
	perRec := make([]map[int][]mod, len(st.recs))
	texts := make([][][]byte, len(st.recs))
	for _, g := range groups {
		if !g.ok {
			continue
		}
		for i, k := range g.members {
			r := items[k].rec
			texts[r] = append(texts[r], g.text[i])
			if perRec[r] == nil {
				perRec[r] = map[int][]mod{}
			}
			for _, h := range g.haps {
				perRec[r][h[0]] = append(perRec[r][h[0]], mod{slot: h[1], clear: items[k].entry, set: g.entry[i]})
			}
		}
	}
	key := st.e.opt.Format.field()
	out := make([]byte, 0, len(st.carry)+1024)
	prev := 0
	var words []uint32
	for r := range st.recs {
		wr := &st.recs[r]
		out = append(out, st.carry[prev:wr.start]...)
		prev = wr.end
		line := st.carry[wr.start:wr.end]
		if len(texts[r]) == 0 {
			out = append(out, line...)
			continue
		}
		cols := bytes.SplitN(line[:len(line)-1], []byte{'\t'}, 10)
		for c := 0; c < 7; c++ {
			out = append(out, cols[c]...)
			out = append(out, '\t')
		}
		// INFO: the new entries go at the end of the consequence field.
		info := cols[7]
		at := fieldEnd(info, key)
		out = append(out, info[:at]...)
		for _, t := range texts[r] {
			out = append(out, ',')
			out = append(out, t...)
		}
		out = append(out, info[at:]...)
		if len(cols) < 10 {
			out = append(out, '\n')
			continue
		}
		out = append(out, '\t')
		out = append(out, cols[8]...)
		samples := cols[9]
		for s := 0; ; s++ {
			var c []byte
			t := bytes.IndexByte(samples, '\t')
			if t >= 0 {
				c, samples = samples[:t], samples[t+1:]
			} else {
				c = samples
			}
			out = append(out, '\t')
			mods := perRec[r][s]
			if len(mods) == 0 {
				out = append(out, c...)
			} else {
				// Our field is the sample's last one.
				k := bytes.LastIndexByte(c, ':')
				out = append(out, c[:k+1]...)
				words = parseBits(words[:0], c[k+1:])
				for _, md := range mods {
					words = setBit(words, 2*md.clear+md.slot, false)
					words = setBit(words, 2*md.set+md.slot, true)
				}
				out = appendBits(out, words)
			}
			if t < 0 {
				break
			}
		}
		out = append(out, '\n')
	}
	out = append(out, st.carry[prev:]...)
	st.carry = out
}

// fieldEnd returns the offset in info just after the value of key.
func fieldEnd(info []byte, key string) int {
	off := 0
	for off < len(info) {
		end := bytes.IndexByte(info[off:], ';')
		if end < 0 {
			end = len(info)
		} else {
			end += off
		}
		f := info[off:end]
		if len(f) > len(key) && string(f[:len(key)]) == key && f[len(key)] == '=' {
			return end
		}
		off = end + 1
	}
	return len(info)
}

func parseBits(dst []uint32, s []byte) []uint32 {
	for len(s) > 0 {
		var f []byte
		if c := bytes.IndexByte(s, ','); c >= 0 {
			f, s = s[:c], s[c+1:]
		} else {
			f, s = s, nil
		}
		n, _ := strconv.ParseUint(string(f), 10, 32)
		dst = append(dst, uint32(n))
	}
	return dst
}

func setBit(w []uint32, b int, on bool) []uint32 {
	for len(w) <= b/30 {
		w = append(w, 0)
	}
	if on {
		w[b/30] |= 1 << (b % 30)
	} else {
		w[b/30] &^= 1 << (b % 30)
	}
	return w
}

// splicedCombined computes the combined change of members in different
// exons (a codon split by an intron) on the spliced coding sequence: the
// reference codons around them and the same codons with every member's
// change made, compared as the engine compares one change (classify).
// Positional terms (splice region, exon…) are each member's own, HGVS.c
// names the members in cis (c.[a;b]).
func (st *hapStage) splicedCombined(g *hapGroup, m *txModel, src seqSource, ef *effect) bool {
	items := st.items
	sc := &st.wk.sc
	type edit struct {
		c1, c2 int // cDNA span replaced (c2 = c1-1 for an insertion)
		alt    []byte
	}
	var edits []edit
	var local effect
	var pos termSet
	var hgvs []byte
	*ef = effect{m: m, distance: -1}
	first := true
	for _, k := range g.members {
		v := &items[k].v
		v.ref, v.alt = st.bytesOf(items[k].vref), st.bytesOf(items[k].valt)
		sc.compute(m, v, src, &local)
		if local.terms.empty() {
			return false
		}
		// The member's own terms that do not depend on the codons.
		for _, t := range [...]term{soSpliceAcceptor, soSpliceDonor, soSpliceDonor5th, soSpliceRegion, soNMDTranscript} {
			if local.terms.has(t) {
				pos.add(t)
			}
		}
		if len(local.hgvsC) < 2 {
			return false
		}
		if first {
			hgvs = append(hgvs, "c.["...)
		} else {
			hgvs = append(hgvs, ';')
		}
		hgvs = append(hgvs, local.hgvsC[2:]...)
		c1 := sc.orient(m, v)
		e := edit{c1: c1, c2: c1 + len(sc.refT) - 1, alt: append([]byte(nil), sc.altT...)}
		edits = append(edits, e)
		if first || c1 < ef.cdnaPos {
			ef.kind, ef.rank, ef.cdnaPos, ef.cdsPos = local.kind, local.rank, local.cdnaPos, local.cdsPos
		}
		first = false
	}
	hgvs = append(hgvs, ']')
	slices.SortFunc(edits, func(a, b edit) int { return a.c1 - b.c1 })
	for i := 1; i < len(edits); i++ {
		if edits[i].c1 <= edits[i-1].c2 {
			return false // overlapping changes
		}
	}
	f := m.phase
	cA, cB := edits[0].c1, edits[len(edits)-1].c2
	q1, q2 := cA-m.cdsS+1, cB-m.cdsS+1
	if q1-1 < f {
		return false
	}
	nCodons := (m.cdsLen - f) / 3
	ciA, ciB := (q1-1-f)/3, (max(q1, q2)-1-f)/3
	if ciB >= nCodons {
		return false
	}
	d := 0
	for _, e := range edits {
		d += len(e.alt) - (e.c2 - e.c1 + 1)
	}
	frameshift := d%3 != 0
	wA, wB := max(ciA-1, 0), ciB+1
	if !frameshift && d != 0 {
		wB = ciB + inframeReach
	}
	wB = min(wB, nCodons-1)
	wq1, wq2 := f+3*wA+1, f+3*wB+3
	to := m.cdsS + wq2 - 1
	if frameshift {
		to = m.cdnaLen
	}
	var err error
	if sc.w, err = m.appendCDNA(sc.w[:0], src, m.cdsS+wq1-1, to); err != nil {
		return false
	}
	base := m.cdsS + wq1 - 1 // cDNA position of sc.w[0]
	if cB-base+1 > len(sc.w) {
		return false
	}
	sc.aw, sc.refT, sc.altT = sc.aw[:0], sc.refT[:0], sc.altT[:0]
	at := base
	for _, e := range edits {
		sc.aw = append(sc.aw, sc.w[at-base:e.c1-base]...)
		sc.aw = append(sc.aw, e.alt...)
		at = e.c2 + 1
	}
	sc.aw = append(sc.aw, sc.w[at-base:]...)
	// The changed stretch, reference and alternate, for classify's length
	// tests (in-frame insertion or deletion, frameshift).
	sc.refT = append(sc.refT, sc.w[cA-base:cB-base+1]...)
	sc.altT = append(sc.altT, sc.aw[cA-base:cB-base+1+d]...)
	startCodon := !m.t.StartIncomplete && f == 0 && wA == 0 && len(sc.w) >= 3 && translateCodon(sc.w[:3]) == 'M'
	ef.aaPos = ciA + 1
	sc.classify(m, src, ef, codingWindow{firstAA: wA + 1, q1: q1, q2: q2, varCodon: ciA, next: m.cdsS + wq2,
		startCodon: startCodon, frameshift: frameshift})
	ef.terms |= pos
	at0 := len(sc.arena)
	sc.arena = append(sc.arena, hgvs...)
	ef.hgvsC = sc.arena[at0:]
	return !ef.terms.empty()
}
