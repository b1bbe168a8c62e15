package synth

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// window is the stretch of sequence generated, written and used for variant
// REF alleles at a time; pad is how far past it the sequence is kept so that
// a deletion starting near the end still sees its bases.
const (
	window   = 1 << 16
	pad      = 16
	maxIndel = 10
)

// background draws uniform random bases, two bits at a time.
type background struct {
	r     *rand.Rand
	bits  uint64
	nbits int
}

func (b *background) fill(dst []byte) {
	for i := range dst {
		if b.nbits == 0 {
			b.bits, b.nbits = b.r.Uint64(), 32
		}
		dst[i] = bases[b.bits&3]
		b.bits >>= 2
		b.nbits--
	}
}

// variant is one VCF record under construction.
type variant struct {
	pos  int
	ref  []byte
	alts [][]byte
}

// knownRec is one known-variants record before its rsID is assigned.
type knownRec struct {
	pos      int
	ref, alt []byte
	order    int // draw order, to keep the sort stable and deterministic
}

// chromWriter holds the state of one chromosome being written.
type chromWriter struct {
	gen   *generator
	name  string
	len   int
	genes []*gene

	// Sequence: buf holds bases [bufStart, bufStart+len(buf)).
	bg       background
	buf      []byte
	bufStart int
	col      int // FASTA column of the next base
	// Gene patches: genes before nextGene are fully written; the patches of
	// cached are kept while the window overlaps it.
	nextGene  int
	varGene   int // first gene that may overlap the current variant window
	cached    int
	cachedPat []patch

	vr, kr *rand.Rand
	gr     *rand.Rand // genotypes; nil without samples
	// Variant allocation.
	rateGenic, rateOther float64
	expected             float64 // expected variants up to the current window end
	assigned             int
	want                 int
	// Known allocation.
	wantMatched, wantRandom int
	doneMatched, doneRandom int

	seen  map[int]struct{}
	vars  []variant
	known []knownRec
	line  []byte
}

func (g *generator) writeChrom(ctx context.Context, c int, genes []*gene) error {
	o := g.opt
	cw := &chromWriter{
		gen:      g,
		name:     chromName(c),
		len:      o.ChromLen,
		genes:    genes,
		bg:       background{r: stream(o.Seed, kindBackground, c)},
		cached:   -1,
		bufStart: 1,
		vr:       stream(o.Seed, kindVariants, c),
		kr:       stream(o.Seed, kindKnown, c),
		gr:       genotypeStream(o, c),
		want:     share(o.Variants, o.Chroms, c),
		seen:     make(map[int]struct{}),
		buf:      make([]byte, 0, window+pad),
	}
	genic := 0
	for _, gn := range genes {
		genic += gn.end - gn.start + 1
	}
	other := cw.len - genic
	// Half the variants inside genes, unless that would crowd them.
	cw.rateGenic, cw.rateOther = float64(cw.want)/float64(cw.len), float64(cw.want)/float64(cw.len)
	if genic > 0 && other > 0 {
		cw.rateGenic = min(0.5*float64(cw.want)/float64(genic), 0.2)
		cw.rateOther = (float64(cw.want) - cw.rateGenic*float64(genic)) / float64(other)
	}
	k := share(o.Known, o.Chroms, c)
	cw.wantMatched = min(k/2, 2*cw.want/5)
	cw.wantRandom = k - cw.wantMatched

	hdr := ">" + cw.name + "\n"
	g.fa.w.WriteString(hdr)
	g.faOffset += int64(len(hdr))
	fmt.Fprintf(&g.fai, "%s\t%d\t%d\t60\t61\n", cw.name, cw.len, g.faOffset)
	g.faOffset += int64(cw.len) + int64((cw.len+59)/60)

	for ws := 1; ws <= cw.len; ws += window {
		if err := ctx.Err(); err != nil {
			return err
		}
		we := min(ws+window, cw.len+1)
		cw.extend(ws, min(we+pad, cw.len+1))
		cw.writeFASTA(we - ws)
		cw.variants(ws, we)
		cw.buf = append(cw.buf[:0], cw.buf[we-ws:]...)
		cw.bufStart = we
	}
	if cw.col > 0 {
		g.fa.w.WriteByte('\n')
	}
	return nil
}

// extend generates sequence so that buf covers [ws, to).
func (cw *chromWriter) extend(ws, to int) {
	from := cw.bufStart + len(cw.buf)
	if to <= from {
		return
	}
	n := len(cw.buf)
	cw.buf = cw.buf[:n+to-from]
	cw.bg.fill(cw.buf[n:])
	// Overlay the genes that touch [from, to).
	for i := cw.nextGene; i < len(cw.genes); i++ {
		g := cw.genes[i]
		if g.start >= to {
			break
		}
		if g.end < from {
			cw.nextGene = i + 1
			continue
		}
		if cw.cached != i {
			cw.cached, cw.cachedPat = i, g.patches()
		}
		for _, p := range cw.cachedPat {
			for j, b := range p.seq {
				if q := p.pos + j; q >= from && q < to {
					cw.buf[q-cw.bufStart] = b
				}
			}
		}
	}
}

func (cw *chromWriter) base(pos int) byte { return cw.buf[pos-cw.bufStart] }

func (cw *chromWriter) writeFASTA(n int) {
	w := cw.gen.fa.w
	s := cw.buf[:n]
	for len(s) > 0 {
		k := min(60-cw.col, len(s))
		w.Write(s[:k])
		s = s[k:]
		cw.col += k
		if cw.col == 60 {
			w.WriteByte('\n')
			cw.col = 0
		}
	}
}

// genicIn returns the gene spans clipped to [ws, we), as half-open ranges.
func (cw *chromWriter) genicIn(ws, we int, dst []span) []span {
	dst = dst[:0]
	for i := cw.varGene; i < len(cw.genes); i++ {
		g := cw.genes[i]
		if g.start >= we {
			break
		}
		if g.end < ws {
			cw.varGene = i + 1
			continue
		}
		if a, b := max(g.start, ws), min(g.end+1, we); a < b {
			dst = append(dst, span{a, b})
		}
	}
	return dst
}

// pick maps an offset into the union of ranges (genic) or into the rest of
// [ws, we) (not genic) to a position.
func pick(ranges []span, ws, we, off int, genic bool) int {
	if genic {
		for _, r := range ranges {
			if off < r.len() {
				return r.a + off
			}
			off -= r.len()
		}
		return ranges[len(ranges)-1].b - 1
	}
	prev := ws
	for _, r := range ranges {
		if gap := r.a - prev; off < gap {
			return prev + off
		} else {
			off -= gap
		}
		prev = r.b
	}
	return prev + off
}

// variants draws, writes and counts the variant and known records whose
// POS falls in [ws, we).
func (cw *chromWriter) variants(ws, we int) {
	st := cw.gen.stats
	ranges := cw.genicIn(ws, we, nil)
	genic := 0
	for _, r := range ranges {
		genic += r.len()
	}
	other := we - ws - genic
	eg, eo := cw.rateGenic*float64(genic), cw.rateOther*float64(other)
	cw.expected += eg + eo
	n := int(math.Round(cw.expected)) - cw.assigned
	if we > cw.len {
		n = cw.want - cw.assigned // the last window takes what rounding left
	}
	n = max(0, min(n, (we-ws)/4))
	cw.assigned += n

	// Distinct positions, genic or not in proportion to the expectations.
	clear(cw.seen)
	pGenic := 0.0
	if eg+eo > 0 {
		pGenic = eg / (eg + eo)
	}
	positions := make([]int, 0, n)
	for tries := 0; len(positions) < n && tries < 20*n+20; tries++ {
		var p int
		if genic > 0 && (other == 0 || cw.vr.Float64() < pGenic) {
			p = pick(ranges, ws, we, cw.vr.IntN(genic), true)
		} else {
			p = pick(ranges, ws, we, cw.vr.IntN(other), false)
		}
		if _, dup := cw.seen[p]; dup {
			continue
		}
		cw.seen[p] = struct{}{}
		positions = append(positions, p)
	}
	slices.Sort(positions)

	cw.vars = cw.vars[:0]
	for _, p := range positions {
		v := cw.drawVariant(p)
		cw.vars = append(cw.vars, v)
		st.Variants++
		if len(v.alts) > 1 {
			st.MultiAllelic++
		}
		if len(v.ref) == 1 && len(v.alts[0]) == 1 {
			st.SNVs++
		} else {
			st.Indels++
		}
		if inRanges(ranges, p) {
			st.InGenes++
		}
		cw.writeVariant(v)
	}
	cw.knownIn(ws, we)
}

func inRanges(rs []span, p int) bool {
	for _, r := range rs {
		if p >= r.a && p < r.b {
			return true
		}
	}
	return false
}

func otherBase(r *rand.Rand, not ...byte) byte {
	for {
		b := bases[r.IntN(4)]
		if !slices.Contains(not, b) {
			return b
		}
	}
}

func randomBases(r *rand.Rand, dst []byte, n int) []byte {
	for range n {
		dst = append(dst, bases[r.IntN(4)])
	}
	return dst
}

// drawVariant makes the record at p: 85% SNVs (a few with two ALTs), 7.5%
// deletions and 7.5% insertions of 1–10 bases.
func (cw *chromWriter) drawVariant(p int) variant {
	r := cw.vr
	ref := cw.base(p)
	x := r.Float64()
	switch {
	case x < 0.85 || p+1 > cw.len:
		a := otherBase(r, ref)
		v := variant{pos: p, ref: []byte{ref}, alts: [][]byte{{a}}}
		if r.IntN(25) == 0 {
			v.alts = append(v.alts, []byte{otherBase(r, ref, a)})
		}
		return v
	case x < 0.925:
		k := min(1+r.IntN(maxIndel), cw.len-p)
		refs := make([]byte, k+1)
		for i := range refs {
			refs[i] = cw.base(p + i)
		}
		return variant{pos: p, ref: refs, alts: [][]byte{{ref}}}
	default:
		alt := randomBases(r, []byte{ref}, 1+r.IntN(maxIndel))
		return variant{pos: p, ref: []byte{ref}, alts: [][]byte{alt}}
	}
}

func (cw *chromWriter) writeVariant(v variant) {
	b := append(cw.line[:0], cw.name...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(v.pos), 10)
	b = append(b, "\t.\t"...)
	b = append(b, v.ref...)
	b = append(b, '\t')
	for i, a := range v.alts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, a...)
	}
	b = append(b, "\t50\tPASS\t."...)
	if cw.gr != nil {
		b = cw.genotypes(b, len(v.alts))
	}
	b = append(b, '\n')
	cw.line = b
	cw.gen.vcf.w.Write(b)
}

// knownIn draws the known records of [ws, we): copies of some of the
// window's variants (most with the same allele, some with another allele at
// the same position, which must not match) and random records elsewhere.
func (cw *chromWriter) knownIn(ws, we int) {
	r := cw.kr
	st := cw.gen.stats
	cw.known = cw.known[:0]
	// Matched records follow the variants' own allocation so they are
	// spread like them.
	target := 0
	if cw.want > 0 {
		target = int(math.Round(float64(cw.wantMatched) * float64(cw.assigned) / float64(cw.want)))
	}
	if we > cw.len {
		target = cw.wantMatched
	}
	m := min(target-cw.doneMatched, len(cw.vars))
	m = max(m, 0)
	cw.doneMatched += m
	// Selection sampling: exactly m of the window's variants, in order.
	left := len(cw.vars)
	for _, v := range cw.vars {
		if m == 0 {
			break
		}
		if r.IntN(left) < m {
			m--
			alt := v.alts[r.IntN(len(v.alts))]
			if r.IntN(100) < 85 {
				cw.known = append(cw.known, knownRec{pos: v.pos, ref: v.ref, alt: alt})
				st.KnownMatching++
			} else {
				ref := v.ref[0]
				not := []byte{ref}
				for _, a := range v.alts {
					if len(a) == 1 && len(v.ref) == 1 {
						not = append(not, a[0])
					}
				}
				cw.known = append(cw.known, knownRec{pos: v.pos, ref: []byte{ref}, alt: []byte{otherBase(r, not...)}})
			}
		}
		left--
	}
	rt := int(math.Round(float64(cw.wantRandom) * float64(we-1) / float64(cw.len)))
	nr := rt - cw.doneRandom
	cw.doneRandom = rt
	for range nr {
		p := ws + r.IntN(we-ws)
		ref := cw.base(p)
		switch x := r.IntN(10); {
		case x == 0 && p+5 <= cw.len:
			k := 1 + r.IntN(4)
			refs := make([]byte, k+1)
			for i := range refs {
				refs[i] = cw.base(p + i)
			}
			cw.known = append(cw.known, knownRec{pos: p, ref: refs, alt: []byte{ref}})
		case x == 1:
			cw.known = append(cw.known, knownRec{pos: p, ref: []byte{ref}, alt: randomBases(r, []byte{ref}, 1+r.IntN(4))})
		default:
			cw.known = append(cw.known, knownRec{pos: p, ref: []byte{ref}, alt: []byte{otherBase(r, ref)}})
		}
	}
	for i := range cw.known {
		cw.known[i].order = i
	}
	slices.SortFunc(cw.known, func(a, b knownRec) int {
		return cmp.Or(cmp.Compare(a.pos, b.pos), cmp.Compare(a.order, b.order))
	})
	w := cw.gen.known.w
	for _, k := range cw.known {
		cw.gen.rsNext++
		st.Known++
		b := append(cw.line[:0], cw.name...)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(k.pos), 10)
		b = append(b, "\trs"...)
		b = strconv.AppendInt(b, 100000+cw.gen.rsNext, 10)
		b = append(b, '\t')
		b = append(b, k.ref...)
		b = append(b, '\t')
		b = append(b, k.alt...)
		b = append(b, "\t.\t.\tMAF="...)
		b = strconv.AppendFloat(b, 0.0001+0.4999*r.Float64(), 'f', 4, 64)
		b = append(b, ";AF_EUR="...)
		b = strconv.AppendFloat(b, r.Float64(), 'f', 4, 64)
		b = append(b, '\n')
		cw.line = b
		w.Write(b)
	}
}

// writeTracks writes chromosome c's share of every track. Interval starts
// are drawn as ascending uniform order statistics one at a time, so a track
// is sorted without holding it.
func (g *generator) writeTracks(c int) {
	o := g.opt
	name := chromName(c)
	var line []byte
	for ti, t := range o.Tracks {
		r := stream(o.Seed, kindTrack+uint64(ti), c)
		n := share(t.Intervals, o.Chroms, c)
		w := g.tracks[ti].w
		u := 0.0
		for i := n; i > 0; i-- {
			u = 1 - (1-u)*math.Pow(r.Float64(), 1/float64(i))
			start := min(int(u*float64(o.ChromLen-1)), o.ChromLen-1)
			end := min(start+100+r.IntN(4900), o.ChromLen)
			g.stats.TrackIntervals[t.Name]++
			line = append(line[:0], name...)
			line = append(line, '\t')
			line = strconv.AppendInt(line, int64(start), 10)
			line = append(line, '\t')
			line = strconv.AppendInt(line, int64(end), 10)
			line = append(line, '\t')
			line = append(line, t.Name...)
			line = append(line, '_')
			line = strconv.AppendInt(line, int64(g.stats.TrackIntervals[t.Name]), 10)
			line = append(line, '\n')
			w.Write(line)
		}
	}
}

func genotypeStream(o Options, c int) *rand.Rand {
	if o.Samples == 0 {
		return nil
	}
	return stream(o.Seed, kindGenotypes, c)
}

// genotypes appends the FORMAT column and one phased GT per sample: an
// allele frequency for the record, then each haplotype an ALT (one of the
// record's, evenly) with that probability.
func (cw *chromWriter) genotypes(b []byte, alts int) []byte {
	r := cw.gr
	af := r.Float64() * 0.5
	if r.IntN(2) == 0 {
		af = r.Float64() * 0.02
	}
	cut := uint32(af * (1 << 32))
	b = append(b, "\tGT"...)
	for range cw.gen.opt.Samples {
		x := r.Uint64()
		h1, h2 := byte('0'), byte('0')
		if uint32(x) < cut {
			h1 = '1' + byte(r.IntN(alts))
		}
		if uint32(x>>32) < cut {
			h2 = '1' + byte(r.IntN(alts))
		}
		b = append(b, '\t', h1, '|', h2)
	}
	return b
}
