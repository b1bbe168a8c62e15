package annotate

// Transcripts with programmed ribosomal frameshifting have coding parts that
// overlap (a -1 slip reads a base twice) or leave a base out (+1). A base may
// then sit in two codons, so the coding effect is computed on the whole
// translated sequence: the parts are cut from the reference cDNA and from
// the alternate cDNA, translated, and compared by the same classification as
// an ordinary CDS. Such transcripts are rare (viral polyproteins, a handful
// of human genes), so their cost does not touch the common path.

// slipCodingEffect is codingEffect for a transcript with coding parts
// (m.segs). c1 is the cDNA position of the first REF base (for an insertion,
// of the base after it); sc.refT and sc.altT hold the alleles in transcript
// orientation.
func (sc *scratch) slipCodingEffect(m *txModel, v *variant, src seqSource, c1 int, ef *effect) {
	cEnd := c1 + len(sc.refT) - 1 // last REF base; c1-1 for an insertion
	delta := len(sc.altT) - len(sc.refT)
	if delta != 0 && !m.clearOfSlips(c1, cEnd, v.insertion()) {
		// An indel across a slip site moves the site itself: which bases are
		// read twice or skipped cannot be known from the model.
		ef.terms.add(soCodingSequence)
		return
	}
	q1, ok := m.cdsQ(c1)
	if v.insertion() && c1-1 >= 1 {
		if qa, okA := m.cdsQ(c1 - 1); okA {
			q1, ok = qa+1, true
		}
	}
	if !ok {
		// A base a +1 slip skips is not translated: the protein is unchanged
		// as far as the model can tell, and no codon can be named.
		ef.terms.add(soCodingSequence)
		return
	}
	q2 := q1 + len(sc.refT) - 1
	f := m.phase
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
		ef.terms.add(soCodingSequence) // the partial first codon of a 5'-incomplete CDS
		return
	}
	nCodons := (m.cdsLen - f) / 3
	if (right-1-f)/3 >= nCodons {
		ef.terms.add(soIncompleteTerminalCodon)
		ef.terms.add(soCodingSequence)
		return
	}
	var err error
	sc.gs, err = m.appendCDNA(sc.gs[:0], src, 1, m.cdnaLen)
	if err != nil || len(sc.gs) != m.cdnaLen {
		ef.terms.add(soCodingSequence)
		ef.warn = warnNoSequence
		return
	}
	// The alternate cDNA: bases before c1, ALT, bases after cEnd.
	sc.ins = append(sc.ins[:0], sc.gs[:c1-1]...)
	sc.ins = append(sc.ins, sc.altT...)
	sc.ins = append(sc.ins, sc.gs[cEnd:]...)
	frameshift := delta%3 != 0
	sc.w = m.appendParts(sc.w[:0], sc.gs, 0, 0, 0, frameshift)
	sc.aw = m.appendParts(sc.aw[:0], sc.ins, c1, cEnd, delta, frameshift)
	sc.w, sc.aw = sc.w[f:], sc.aw[f:]
	varCodon := (left - 1 - f) / 3
	if !v.insertion() {
		varCodon = (q1 - 1 - f) / 3
	}
	startCodon := !m.t.StartIncomplete && f == 0 && len(sc.w) >= 3 && translateCodon(sc.w[:3]) == 'M'
	sc.classify(m, src, ef, codingWindow{
		firstAA: 1, q1: q1, q2: q2, varCodon: varCodon, next: m.cdsE + 1,
		startCodon: startCodon, frameshift: frameshift,
	})
}

// clearOfSlips reports whether the change of cDNA bases c1..cEnd (an
// insertion between cEnd and c1 when ins) lies wholly inside or wholly
// outside each coding part, so that the parts can follow it.
func (m *txModel) clearOfSlips(c1, cEnd int, ins bool) bool {
	for _, s := range m.segs {
		var inside, outside bool
		if ins {
			inside = s.cs <= cEnd && c1 <= s.ce
			outside = c1 <= s.cs || cEnd >= s.ce
		} else {
			inside = s.cs <= c1 && cEnd <= s.ce
			outside = cEnd < s.cs || c1 > s.ce
		}
		// The first and last part may be cut at the CDS ends: those are not
		// slip sites, and the caller has checked the change is coding.
		if !inside && !outside && !(s.cs == m.cdsS && c1 <= s.cs) && !(s.ce == m.cdsE && cEnd >= s.ce) {
			return false
		}
	}
	return true
}

// appendParts appends to dst the coding parts cut from the cDNA seq (index 0
// is cDNA position 1), in which bases c1..cEnd were replaced by a sequence
// delta bases longer: parts after the change move by delta and the part
// holding it grows by delta. withTail adds the 3' UTR, where a frameshifted
// protein may end.
func (m *txModel) appendParts(dst, seq []byte, c1, cEnd, delta int, withTail bool) []byte {
	last := 0
	for _, s := range m.segs {
		cs, ce := s.cs, s.ce
		switch {
		case delta == 0:
		case cs > cEnd:
			cs, ce = cs+delta, ce+delta
		case ce >= c1:
			ce += delta
		}
		dst = append(dst, seq[cs-1:ce]...)
		last = max(last, ce)
	}
	if withTail && last < len(seq) {
		dst = append(dst, seq[last:]...)
	}
	return dst
}
