package annotate

import (
	"bytes"
	"github.com/gas-project/gas/vcf"
	"strconv"

	"github.com/gas-project/gas/refdata"
)

// allele appends the ANN (or CSQ) entries of ALT allele ai to dst.
func (wk *worker) allele(dst, alt []byte, ai int, v *variant, contig int, known bool, src seqSource, st *blockStats) []byte {
	e := wk.e
	if !known {
		st.terms[soIntergenic]++
		st.impacts[3]++
		return wk.intergenic(dst, alt, ai, warnNoContig)
	}
	hi := max(v.end, v.pos)
	wk.txs = e.ref.Overlapping(contig, v.pos-flank, hi+flank, wk.txs[:0])
	wk.effs = wk.effs[:0]
	for _, t := range wk.txs {
		if !wk.wanted(t) {
			continue
		}
		m := e.models.get(t)
		wk.effs = append(wk.effs, effect{})
		ef := &wk.effs[len(wk.effs)-1]
		wk.sc.compute(m, v, src, ef)
		if ef.terms.empty() {
			wk.effs = wk.effs[:len(wk.effs)-1]
		}
	}
	if len(wk.effs) == 0 {
		st.terms[soIntergenic]++
		st.impacts[3]++
		return wk.intergenic(dst, alt, ai, "")
	}
	effs := wk.effs
	if e.opt.Transcripts == Pick {
		best := 0
		for i := 1; i < len(effs); i++ {
			if better(&effs[i], &effs[best]) {
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
		if e.opt.Format == FormatCSQ {
			dst = wk.csqEntry(dst, ai, ef, src, nil)
		} else {
			dst = appendEntry(dst, alt, ef)
		}
		if e.opt.Haplotypes {
			wk.hapCandidate(ai, wk.nEntry, v, ef)
		}
		wk.nEntry++
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

// wanted applies the transcript mode and the explicit transcript list.
func (wk *worker) wanted(t *refdata.Transcript) bool {
	e := wk.e
	switch {
	case e.chosen != nil:
		if t.Index < 0 || t.Index >= len(e.chosen) || !e.chosen[t.Index] {
			return false
		}
	case e.opt.Transcripts == Canonical:
		if !t.Canonical {
			return false
		}
	case e.opt.Transcripts == MANESelect:
		if !t.MANESelect {
			return false
		}
	}
	if e.ids != nil {
		if _, ok := e.ids[t.ID]; !ok {
			if _, ok := e.ids[stripVersion(t.ID)]; !ok {
				return false
			}
		}
	}
	return true
}

// better orders effects for Pick: most severe, then canonical, then MANE,
// then longest CDS, then longest transcript, then ID for determinism.
func better(a, b *effect) bool {
	ra, rb := impactRank(a.terms.impact()), impactRank(b.terms.impact())
	if ra != rb {
		return ra < rb
	}
	if ta, tb := a.terms.mostSevere(), b.terms.mostSevere(); ta != tb {
		return ta < tb
	}
	at, bt := a.m.t, b.m.t
	if at.Canonical != bt.Canonical {
		return at.Canonical
	}
	if at.MANESelect != bt.MANESelect {
		return at.MANESelect
	}
	if a.m.cdsLen != b.m.cdsLen {
		return a.m.cdsLen > b.m.cdsLen
	}
	if a.m.cdnaLen != b.m.cdnaLen {
		return a.m.cdnaLen > b.m.cdnaLen
	}
	return at.ID < bt.ID
}

// intergenic writes the entry of an allele no transcript is near.
func (wk *worker) intergenic(dst, alt []byte, ai int, warn string) []byte {
	wk.nEntry++
	if wk.e.opt.Format == FormatCSQ {
		return wk.csqEntry(dst, ai, nil, nil, nil)
	}
	return appendIntergenic(dst, alt, warn)
}

func appendIntergenic(dst, alt []byte, warn string) []byte {
	dst = appendEscaped(dst, alt)
	dst = append(dst, "|intergenic_variant|MODIFIER|||intergenic_region||||||||||"...)
	return append(dst, warn...)
}

// appendNote writes an ANN entry that only carries a note in the last
// sub-field (an allele with no sequence change to annotate).
func appendNote(dst, alt []byte, note string) []byte {
	dst = appendEscaped(dst, alt)
	dst = append(dst, "|||||||||||||||"...)
	return append(dst, note...)
}

// appendANNIDs appends the sub-fields of an ANN entry that name the
// transcript: gene name (the gene ID for an unnamed gene), gene ID, feature
// type, transcript ID and biotype, escaped.
func appendANNIDs(dst []byte, t *refdata.Transcript) []byte {
	if t.GeneName != "" {
		dst = appendEscapedString(dst, t.GeneName)
	} else {
		dst = appendEscapedString(dst, t.GeneID)
	}
	dst = append(dst, '|')
	dst = appendEscapedString(dst, t.GeneID)
	dst = append(dst, "|transcript|"...)
	dst = appendEscapedString(dst, t.ID)
	dst = append(dst, '|')
	return appendEscapedString(dst, t.Biotype)
}

// appendEntry writes one ANN entry (16 '|'-separated sub-fields).
func appendEntry(dst, alt []byte, ef *effect) []byte {
	m := ef.m
	t := m.t
	dst = appendEscaped(dst, alt)
	dst = append(dst, '|')
	dst = ef.terms.appendTerms(dst)
	dst = append(dst, '|')
	dst = append(dst, ef.terms.impact()...)
	dst = append(dst, '|')
	dst = append(dst, m.annIDs...)
	dst = append(dst, '|')
	switch ef.kind {
	case rankExon:
		dst = strconv.AppendInt(dst, int64(ef.rank), 10)
		dst = append(dst, '/')
		dst = strconv.AppendInt(dst, int64(len(t.Exons)), 10)
	case rankIntron:
		dst = strconv.AppendInt(dst, int64(ef.rank), 10)
		dst = append(dst, '/')
		dst = strconv.AppendInt(dst, int64(len(t.Exons)-1), 10)
	}
	dst = append(dst, '|')
	dst = appendEscaped(dst, ef.hgvsC)
	dst = append(dst, '|')
	dst = appendEscaped(dst, ef.hgvsP)
	dst = append(dst, '|')
	if ef.cdnaPos > 0 {
		dst = strconv.AppendInt(dst, int64(ef.cdnaPos), 10)
		dst = append(dst, '/')
		dst = strconv.AppendInt(dst, int64(m.cdnaLen), 10)
	}
	dst = append(dst, '|')
	if ef.cdsPos > 0 {
		dst = strconv.AppendInt(dst, int64(ef.cdsPos), 10)
		dst = append(dst, '/')
		dst = strconv.AppendInt(dst, int64(m.cdsLen), 10)
	}
	dst = append(dst, '|')
	if ef.aaPos > 0 && m.coding {
		dst = strconv.AppendInt(dst, int64(ef.aaPos), 10)
		dst = append(dst, '/')
		dst = strconv.AppendInt(dst, int64(m.aaLen(nil)), 10)
	}
	dst = append(dst, '|')
	if ef.distance >= 0 {
		dst = strconv.AppendInt(dst, int64(ef.distance), 10)
	}
	dst = append(dst, '|')
	return append(dst, ef.warn...)
}

// needsEscape marks bytes that cannot appear raw inside an ANN sub-field or
// an INFO value: the VCF 4.3 reserved characters plus the ANN separators.
var needsEscape = func() [256]bool {
	var t [256]bool
	for _, c := range []byte{',', '|', ';', '=', '%', ':', ' ', '\t', '\r', '\n', '&'} {
		t[c] = true
	}
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t[0x7f] = true
	return t
}()

const hexDigits = "0123456789ABCDEF"

// appendEscaped percent-encodes reserved characters (VCF 4.3 style), so a
// gene name like "A,B|C" cannot break the field structure.
func appendEscaped(dst, s []byte) []byte {
	for _, c := range s {
		if needsEscape[c] {
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

func appendEscapedString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needsEscape[c] {
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// beginInfo starts the INFO field key= in the record's added fields.
func (wk *worker) beginInfo(key string) {
	if len(wk.info) > 0 {
		wk.info = append(wk.info, ';')
	}
	wk.info = append(wk.info, key...)
	wk.info = append(wk.info, '=')
}

// cutField splits the first field off a "K=V;K=V" string.
func cutField(info []byte) (field, rest []byte) {
	if i := bytes.IndexByte(info, ';'); i >= 0 {
		return info[:i], info[i+1:]
	}
	return info, nil
}

// infoField finds key in a "K=V;K=V" string; a flag gives a nil value.
func infoField(info []byte, key string) ([]byte, bool) {
	for len(info) > 0 {
		var f []byte
		f, info = cutField(info)
		if len(f) >= len(key) && string(f[:len(key)]) == key {
			if len(f) == len(key) {
				return nil, true
			}
			if f[len(key)] == '=' {
				return f[len(key)+1:], true
			}
		}
	}
	return nil, false
}

// tracks appends INFO/<TRACK>=names for every track overlapping [start, end].
func (wk *worker) tracks(contig, start, end int, st *blockStats) {
	for i, key := range wk.e.trackKeys {
		wk.hits = wk.e.ref.TrackHits(i, contig, start, end, wk.hits[:0])
		if len(wk.hits) == 0 {
			continue
		}
		st.tracks[i]++
		wk.beginInfo(key)
		for j, h := range wk.hits {
			if j > 0 {
				wk.info = append(wk.info, ',')
			}
			wk.info = appendEscaped(wk.info, h)
		}
	}
}

// stripOwnKeys removes fields the engine is about to write from the input
// INFO (re-annotating a file must not duplicate keys, which htslib rejects).
// One pass over the fields, each key looked up in the set of the engine's
// keys; the INFO is copied only when it holds one.
func (wk *worker) stripOwnKeys(rec *vcf.Record) {
	info := rec.Info
	if len(info) == 1 && info[0] == '.' {
		return
	}
	own := wk.e.ownKeys
	rest := info
	found := false
	for len(rest) > 0 && !found {
		var f []byte
		f, rest = cutField(rest)
		found = own[string(fieldKey(f))]
	}
	if !found {
		return
	}
	wk.clean = wk.clean[:0]
	for len(info) > 0 {
		var f []byte
		f, info = cutField(info)
		if len(f) == 0 || own[string(fieldKey(f))] {
			continue
		}
		if len(wk.clean) > 0 {
			wk.clean = append(wk.clean, ';')
		}
		wk.clean = append(wk.clean, f...)
	}
	rec.Info = wk.clean
}

// fieldKey is the key of an INFO field: up to its '=', or all of a flag.
func fieldKey(f []byte) []byte {
	if i := bytes.IndexByte(f, '='); i >= 0 {
		return f[:i]
	}
	return f
}
