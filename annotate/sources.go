package annotate

import (
	"bytes"

	"github.com/gas-project/gas/refdata"
)

// sourceValues is what the annotation sources say about each ALT allele of
// the record being annotated. It is the one place output writers read
// source values from: the INFO writer (sourceInfo) and any other format
// (one column per source field) use found, hit and the engine's sources.
type sourceValues struct {
	n       int           // sources
	alleles int           // ALT alleles added for this record
	hits    []refdata.Hit // [allele*n + source]; reused, so their buffers persist
	ok      []bool
}

// reset starts a record with n sources.
func (v *sourceValues) reset(n int) {
	v.n, v.alleles = n, 0
	v.ok = v.ok[:0]
}

// addAllele adds the next ALT allele, found in no source yet, and returns
// its index.
func (v *sourceValues) addAllele() int {
	a := v.alleles
	v.alleles++
	need := v.alleles * v.n
	for len(v.hits) < need {
		if len(v.hits) < cap(v.hits) {
			v.hits = v.hits[:len(v.hits)+1]
		} else {
			v.hits = append(v.hits, refdata.Hit{})
		}
	}
	for len(v.ok) < need {
		v.ok = append(v.ok, false)
	}
	return a
}

// found reports whether source s has ALT allele a.
func (v *sourceValues) found(a, s int) bool { return v.ok[a*v.n+s] }

// hit is what source s says about ALT allele a (valid when found).
func (v *sourceValues) hit(a, s int) *refdata.Hit { return &v.hits[a*v.n+s] }

// lookupSources looks the ALT allele up in every source, recording the
// hits as the record's next allele. found reports a hit in any source,
// known one in a known-variant source.
func (wk *worker) lookupSources(contig int, contigOK bool, pos int, ref, alt []byte, st *blockStats) (found, known bool) {
	e := wk.e
	a := wk.src.addAllele()
	if !contigOK || len(e.sources) == 0 || !wk.lookup.Set(pos, ref, alt) {
		return false, false
	}
	if len(wk.curs) != len(e.sources) {
		wk.curs = make([]refdata.Cursor, len(e.sources))
	}
	for s := range e.sources {
		if e.ref.Lookup(s, &wk.curs[s], contig, &wk.lookup, wk.src.hit(a, s)) {
			wk.src.ok[a*wk.src.n+s] = true
			st.sources[s]++
			found = true
			known = known || e.srcKnown[s]
		}
	}
	return found, known
}

// sourceInfo appends one KEY=v1,v2 field per source field that any allele
// has a value for, with '.' for the others.
func (wk *worker) sourceInfo() {
	sv := &wk.src
	for s, src := range wk.e.sources {
		for f, fi := range src.Fields {
			present := false
			for a := 0; a < sv.alleles && !present; a++ {
				present = sv.found(a, s) && sv.hit(a, s).Has(f)
			}
			if !present {
				continue
			}
			wk.beginInfo(fi.Key)
			for a := 0; a < sv.alleles; a++ {
				if a > 0 {
					wk.info = append(wk.info, ',')
				}
				ok := false
				if sv.found(a, s) {
					wk.val, ok = sv.hit(a, s).AppendValue(wk.val[:0], f)
				}
				if !ok || len(wk.val) == 0 {
					wk.info = append(wk.info, '.')
					continue
				}
				wk.info = appendEscaped(wk.info, wk.val)
			}
		}
	}
}

// mergeIDs returns the ID column with the IDs of the ID sources added,
// without duplicates; nil when there is none.
func (wk *worker) mergeIDs(orig []byte) []byte {
	wk.id = wk.id[:0]
	if !(len(orig) == 1 && orig[0] == '.') {
		wk.id = append(wk.id, orig...)
	}
	sv := &wk.src
	for s, src := range wk.e.sources {
		if !src.ID {
			continue
		}
		for a := 0; a < sv.alleles; a++ {
			if !sv.found(a, s) {
				continue
			}
			kid := sv.hit(a, s).ID()
			for len(kid) > 0 {
				var one []byte
				if i := bytes.IndexByte(kid, ';'); i >= 0 {
					one, kid = kid[:i], kid[i+1:]
				} else {
					one, kid = kid, nil
				}
				if len(one) == 0 || (len(one) == 1 && one[0] == '.') || hasID(wk.id, one) {
					continue
				}
				if len(wk.id) > 0 {
					wk.id = append(wk.id, ';')
				}
				wk.id = append(wk.id, one...)
			}
		}
	}
	if len(wk.id) == 0 {
		return nil
	}
	return wk.id
}

func hasID(list, id []byte) bool {
	for len(list) > 0 {
		var one []byte
		if i := bytes.IndexByte(list, ';'); i >= 0 {
			one, list = list[:i], list[i+1:]
		} else {
			one, list = list, nil
		}
		if bytes.Equal(one, id) {
			return true
		}
	}
	return false
}

// coverCounts are the records a block saw outside what the bundle covers.
type coverCounts struct {
	uncovered  int64 // contig missing, without gene models, or position outside the covered span
	noSequence int64 // contig missing or without sequence, or an unknown (N) base at POS
}

// count classifies one record.
func (c *coverCounts) count(meta *bundleMeta, ref reference, contig int, ok bool, pos int64) {
	if !ok {
		c.uncovered++
		c.noSequence++
		return
	}
	if !ref.HasSequence(contig) || UnknownBase(ref, contig, pos) {
		c.noSequence++
	}
	if meta.Coverage == nil {
		return
	}
	if contig >= len(meta.Coverage) {
		c.uncovered++
		return
	}
	cv := &meta.Coverage[contig]
	if !cv.genes || pos < cv.start || pos > cv.end {
		c.uncovered++
	}
}

// UnknownBase reports whether the reference base at pos (1-based) of a
// contig with sequence is N or cannot be read: a gap of the assembly, or
// sequence the bundle does not know (the demo knows only the coding exons
// of chr21). REF is not checked there, so such records count as without
// reference sequence.
func UnknownBase(ref interface {
	Seq(contig, start, end int) ([]byte, error)
}, contig int, pos int64) bool {
	b, err := ref.Seq(contig, int(pos), int(pos))
	return err != nil || len(b) == 0 || b[0] == 'N' || b[0] == 'n'
}
