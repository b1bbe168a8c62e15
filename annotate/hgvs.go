package annotate

import "strconv"

// hgvsPos is one position in HGVS c./n. coordinates: an optional '-' (5' UTR)
// or '*' (3' UTR) prefix, a base position and an intron offset.
type hgvsPos struct {
	prefix byte
	base   int
	off    int
}

// hpos converts a genomic position to HGVS coordinates (outside the
// transcript: up- or downstream numbering). Intronic positions are given from the nearest exon, the
// upstream one on a tie (so the middle base of an odd intron gets '+').
func (m *txModel) hpos(g int) (hgvsPos, bool) {
	t := m.t
	if g < t.Start || g > t.End {
		// Up- or downstream: HGVS numbering runs on past the transcript
		// ends, c.-N before the first base (counted from the ATG) and c.*N
		// after the last; n.-N / n.*N from the ends of a non-coding one.
		d, down := t.Start-g, m.rev
		if g > t.End {
			d, down = g-t.End, !m.rev
		}
		switch {
		case !m.coding && down:
			return hgvsPos{prefix: '*', base: d}, true
		case !m.coding:
			return hgvsPos{prefix: '-', base: d}, true
		case down:
			return m.cpos(m.cdnaLen + d), true
		}
		return m.cpos(1 - d), true
	}
	ex := t.Exons
	i, ok := m.findExon(g)
	if ok {
		c, _ := m.cdna(g)
		return m.cpos(c), true
	}
	if i == 0 || i >= len(ex) {
		return hgvsPos{}, false
	}
	l, r := ex[i-1], ex[i] // g lies in the intron between l and r
	dl, dr := g-l.End, r.Start-g
	if !m.rev {
		if dl <= dr {
			c, _ := m.cdna(l.End)
			p := m.cpos(c)
			p.off = dl
			return p, true
		}
		c, _ := m.cdna(r.Start)
		p := m.cpos(c)
		p.off = -dr
		return p, true
	}
	if dr <= dl {
		c, _ := m.cdna(r.Start)
		p := m.cpos(c)
		p.off = dr
		return p, true
	}
	c, _ := m.cdna(l.End)
	p := m.cpos(c)
	p.off = -dl
	return p, true
}

// cpos converts a cDNA position to c. (coding) or n. (non-coding) numbering.
func (m *txModel) cpos(c int) hgvsPos {
	if !m.coding {
		return hgvsPos{base: c}
	}
	switch {
	case c < m.cdsS:
		return hgvsPos{prefix: '-', base: m.cdsS - c}
	case c > m.cdsE:
		return hgvsPos{prefix: '*', base: c - m.cdsE}
	}
	return hgvsPos{base: c - m.cdsS + 1}
}

func appendHPos(dst []byte, p hgvsPos) []byte {
	if p.prefix != 0 {
		dst = append(dst, p.prefix)
	}
	dst = strconv.AppendInt(dst, int64(p.base), 10)
	if p.off > 0 {
		dst = append(dst, '+')
		dst = strconv.AppendInt(dst, int64(p.off), 10)
	} else if p.off < 0 {
		dst = strconv.AppendInt(dst, int64(p.off), 10)
	}
	return dst
}

// feature returns the bounds of the exon or intron that holds all of [a, b],
// or ok=false when the range crosses a boundary or leaves the transcript.
func (m *txModel) feature(a, b int) (lo, hi int, ok bool) {
	t := m.t
	if a < t.Start || b > t.End {
		return 0, 0, false
	}
	i, in := m.findExon(a)
	if in {
		x := t.Exons[i]
		return x.Start, x.End, b <= x.End
	}
	if i == 0 || i >= len(t.Exons) {
		return 0, 0, false
	}
	lo, hi = t.Exons[i-1].End+1, t.Exons[i].Start-1
	return lo, hi, b <= hi
}

// shiftWindow caps how far an indel is shifted 3' (and how much sequence is
// read for it); repeats longer than this are rare and the HGVS stays valid,
// only not fully 3'-shifted.
const shiftWindow = 2000

// hgvsC writes HGVS.c (or n.) for v on m. Indels are shifted to their most 3'
// position in transcript orientation within their exon or intron, and an
// insertion that repeats the bases before it is written as a dup, as the HGVS
// recommendations require. Without sequence the unshifted form is written.
func (sc *scratch) hgvsC(m *txModel, v *variant, src seqSource, ef *effect) {
	s, e := v.pos, v.end
	ins := v.insertion()
	p := sc.arena[len(sc.arena):]
	if m.coding {
		p = append(p, "c."...)
	} else {
		p = append(p, "n."...)
	}
	sc.ins = append(sc.ins[:0], v.alt...)
	dup := false
	if src != nil && (len(v.ref) == 0 || len(v.alt) == 0) {
		a, b := s, e
		if ins {
			a, b = s-1, s
		}
		if lo, hi, ok := m.feature(a, b); ok {
			lo = max(lo, a-shiftWindow)
			hi = min(hi, b+shiftWindow)
			if g, err := src.Seq(lo, hi); err == nil && len(g) == hi-lo+1 {
				// Bases are read in place (a mapped bundle), upper-cased on
				// the fly: copying the window cost a whole intron per indel.
				B := func(x int) byte { return upperBase(g[x-lo]) }
				switch {
				case ins && !m.rev:
					for s < hi && B(s) == sc.ins[0] {
						c := sc.ins[0]
						copy(sc.ins, sc.ins[1:])
						sc.ins[len(sc.ins)-1] = c
						s++
					}
					k := len(sc.ins)
					if s-k >= lo && equalUpper(g[s-k-lo:s-lo], sc.ins) {
						dup, s, e = true, s-k, s-1
					}
				case ins:
					for s-1 > lo && B(s-1) == sc.ins[len(sc.ins)-1] {
						c := sc.ins[len(sc.ins)-1]
						copy(sc.ins[1:], sc.ins[:len(sc.ins)-1])
						sc.ins[0] = c
						s--
					}
					k := len(sc.ins)
					if s+k-1 <= hi && equalUpper(g[s-lo:s+k-lo], sc.ins) {
						dup, e = true, s+k-1
					}
				case !m.rev:
					for e+1 <= hi && B(e+1) == B(s) {
						s++
						e++
					}
				default:
					for s-1 >= lo && B(s-1) == B(e) {
						s--
						e--
					}
				}
			}
		}
	}
	if m.rev {
		revComp(sc.ins)
	}
	switch {
	case dup || !ins:
		// A range: first and last base in transcript orientation.
		g1, g2 := s, e
		if m.rev {
			g1, g2 = e, s
		}
		p1, ok := m.hpos(g1)
		if !ok {
			return
		}
		p = appendHPos(p, p1)
		if g1 != g2 {
			p2, ok := m.hpos(g2)
			if !ok {
				return
			}
			p = append(p, '_')
			p = appendHPos(p, p2)
		}
		switch {
		case dup:
			p = append(p, "dup"...)
		case len(v.alt) == 0:
			p = append(p, "del"...)
		case len(v.ref) == 1 && len(v.alt) == 1:
			r, a := v.ref[0], v.alt[0]
			if m.rev {
				r, a = complement[r], complement[a]
			}
			p = append(p, r, '>', a)
		default:
			p = append(p, "delins"...)
			p = append(p, sc.ins...)
		}
	default:
		g1, g2 := s-1, s
		if m.rev {
			g1, g2 = s, s-1
		}
		p1, ok1 := m.hpos(g1)
		p2, ok2 := m.hpos(g2)
		if !ok1 || !ok2 {
			return
		}
		p = appendHPos(p, p1)
		p = append(p, '_')
		p = appendHPos(p, p2)
		p = append(p, "ins"...)
		p = append(p, sc.ins...)
	}
	sc.arena = append(sc.arena, p...)
	ef.hgvsC = sc.arena[len(sc.arena)-len(p):]
}

// upperBase upper-cases an ASCII letter (soft-masked FASTA is lower case).
func upperBase(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 32
	}
	return c
}

// equalUpper reports whether ref, upper-cased, equals the upper-case allele
// a.
func equalUpper(ref, a []byte) bool {
	if len(ref) != len(a) {
		return false
	}
	for i, c := range ref {
		if upperBase(c) != a[i] {
			return false
		}
	}
	return true
}
