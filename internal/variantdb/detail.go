package variantdb

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// ErrNoRecord is returned by Variant for a record number outside the result.
var ErrNoRecord = errors.New("variantdb: no such record")

// Variant is everything the index holds about one record: the page of a
// variant.
type Variant struct {
	Row
	Alts        []string
	Annotations []Annotation
	Sources     []SourceValues // every source field, in header order
	OtherInfo   [][2]string    // the remaining INFO keys (tracks, the input's own), decoded
	Format      []string       // FORMAT keys
	Genotypes   []Genotype     // the samples, in header order (at most MaxStoredSamples)
	Samples     int            // the result's number of samples
}

// SourceValues is one source field's values on a record, one per ALT ("" where
// the ALT has none).
type SourceValues struct {
	Field  SourceField
	Values []string
}

// Genotype is one sample's column on a record.
type Genotype struct {
	Sample string
	GT     string
	Class  int      // GTMissing, GTRef, GTHet, GTHomAlt
	Values []string // one per FORMAT key
}

// ClassName is the zygosity in words.
func (g Genotype) ClassName() string {
	return [...]string{"no call", "hom-ref", "het", "hom-alt"}[g.Class]
}

// Variant returns record rid (1-based) in full.
func (ix *Index) Variant(ctx context.Context, rid int64) (*Variant, error) {
	if rid < 1 || rid > ix.Meta.Records {
		return nil, ErrNoRecord
	}
	rows, err := ix.rows(ctx, []int64{rid})
	if err != nil {
		return nil, err
	}
	if len(rows) != 1 || rows[0].RID != rid {
		return nil, ErrNoRecord
	}
	v := &Variant{Row: rows[0]}
	if err := ix.decorate(ctx, rows, nil); err != nil {
		return nil, err
	}
	v.Row = rows[0]
	if v.Alt != "" && v.Alt != "." {
		v.Alts = strings.Split(v.Alt, ",")
	}
	if v.Annotations, err = ix.annotations(ctx, rid); err != nil {
		return nil, err
	}
	for i := range v.Annotations {
		a := &v.Annotations[i]
		if a.AlleleIndex >= 0 && a.AlleleIndex < len(v.Alts) {
			a.Allele = v.Alts[a.AlleleIndex]
		}
	}
	src := map[string]bool{}
	for _, sf := range ix.info.sources {
		src[sf.Key] = true
		sv := SourceValues{Field: sf, Values: make([]string, max(len(v.Alts), 1))}
		val, _ := v.infoValue(sf.Key)
		for i, one := range strings.Split(val, ",") {
			if i < len(sv.Values) && one != "." {
				sv.Values[i] = unescape([]byte(one))
			}
		}
		v.Sources = append(v.Sources, sv)
	}
	for _, kv := range strings.Split(v.Info, ";") {
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		if !src[k] {
			v.OtherInfo = append(v.OtherInfo, [2]string{k, unescape([]byte(val))})
		}
	}
	v.Format, v.Genotypes = ix.genotypes(v.samples)
	v.Samples = len(ix.info.samples)
	return v, nil
}

// genotypes parses FORMAT and sample columns: every sample of the header.
func (ix *Index) genotypes(samples string) (format []string, out []Genotype) {
	if samples == "" {
		return nil, nil
	}
	cols := strings.Split(samples, "\t")
	format = strings.Split(cols[0], ":")
	gtAt := slices.Index(format, "GT")
	for i, name := range ix.info.samples[:min(len(ix.info.samples), MaxStoredSamples)] {
		g := Genotype{Sample: name}
		if i+1 < len(cols) {
			g.Values = strings.Split(cols[i+1], ":")
		}
		if gtAt >= 0 && gtAt < len(g.Values) {
			g.GT = g.Values[gtAt]
			g.Class = gtClass([]byte(g.GT))
		}
		out = append(out, g)
	}
	return format, out
}

// Carriers returns the samples of a row that carry an ALT (het or
// hom-alt), in header order.
func (ix *Index) Carriers(r Row) []Genotype {
	_, all := ix.genotypes(r.samples)
	var out []Genotype
	for _, g := range all {
		if g.Class == GTHet || g.Class == GTHomAlt {
			out = append(out, g)
		}
	}
	return out
}

func (v *Variant) infoValue(key string) (string, bool) {
	for _, kv := range strings.Split(v.Info, ";") {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			return val, true
		}
	}
	return "", false
}

// GeneRow is one gene of the gene view.
type GeneRow struct {
	GID          int64
	Name, ID     string
	Records      int64       // records of the view with an annotation on the gene
	Impacts      [5]int64    // by the gene's own most severe impact: none, MODIFIER, LOW, MODERATE, HIGH
	Consequences []TermCount // records per term, most severe first
	Carriers     []Carrier   // samples with an ALT on some of those records
}

// Impact returns the count of records whose most severe impact on the gene is rank.
func (g GeneRow) Impact(rank int) int64 { return g.Impacts[rank+1] }

// TermCount is a consequence term and its record count.
type TermCount struct {
	Term string
	N    int64
}

// Carrier counts one sample's records with an ALT: het and hom-alt.
type Carrier struct {
	Sample   string
	Het, Hom int64
}

// Genes returns the gene view of f (conditions only): one row per gene
// with an annotation on some record of the view (restricted to the panel's
// genes when f has a panel), the most affected first (HIGH, then MODERATE,
// then record counts, then name).
func (ix *Index) Genes(ctx context.Context, f Filter) ([]GeneRow, error) {
	f = f.normalize()
	m, err := ix.compile(ctx, f)
	if err != nil {
		return nil, err
	}
	if m.none {
		return nil, nil
	}
	if m.all {
		// The whole result's gene view is asked for most and never
		// changes: made once per open index.
		ix.mu.Lock()
		cached := ix.allGenes
		ix.mu.Unlock()
		if cached != nil {
			return slices.Clone(cached), nil
		}
	}
	gp, err := ix.genePairs(ctx)
	if err != nil {
		return nil, err
	}
	var only map[int64]bool
	if panel := f.panel(); len(panel) > 0 {
		if only, err = ix.panelGIDs(ctx, panel); err != nil {
			return nil, err
		}
	}
	carriers, err := ix.carrierMasks(ctx)
	if err != nil {
		return nil, err
	}
	// The view's records as a bitmap, made in one pass in record order:
	// the pairs come in gene order, and matching each would jump around
	// every filter column.
	var sel []uint64
	if !m.all {
		sel = make([]uint64, (ix.Meta.Records+63)/64)
		m.each(func(i int) bool {
			sel[i>>6] |= 1 << (i & 63)
			return true
		})
	}
	names, err := ix.geneNames(ctx)
	if err != nil {
		return nil, err
	}
	var out []GeneRow
	var cur *GeneRow
	var terms [64]int64
	var het, hom []int64
	finish := func() {
		if cur == nil {
			return
		}
		for b, n := range terms {
			if n > 0 && ix.bitTerm[b] != "" {
				cur.Consequences = append(cur.Consequences, TermCount{ix.bitTerm[b], n})
			}
		}
		for s := range het {
			if het[s]+hom[s] > 0 {
				cur.Carriers = append(cur.Carriers, Carrier{ix.info.samples[s], het[s], hom[s]})
			}
		}
		out = append(out, *cur)
		cur = nil
	}
	for k := 0; k < gp.n; k++ {
		gid := int64(binary.LittleEndian.Uint32(gp.gid[4*k:]))
		if only != nil && !only[gid] {
			continue
		}
		i := int(binary.LittleEndian.Uint32(gp.rid[4*k:])) - 1
		if sel != nil && sel[i>>6]&(1<<(i&63)) == 0 {
			continue
		}
		if cur == nil || cur.GID != gid {
			finish()
			nm := names[gid]
			cur = &GeneRow{GID: gid, Name: nm[0], ID: nm[1]}
			terms = [64]int64{}
			het, hom = make([]int64, ix.info.genotyped()), make([]int64, ix.info.genotyped())
		}
		cur.Records++
		cur.Impacts[min(gp.imp[k], 4)]++
		for t := binary.LittleEndian.Uint64(gp.terms[8*k:]); t != 0; t &= t - 1 {
			terms[bits.TrailingZeros64(t)]++
		}
		if carriers != nil {
			h, o := carriers.of(i)
			for w := range h {
				for b := h[w]; b != 0; b &= b - 1 {
					het[64*w+bits.TrailingZeros64(b)]++
				}
				for b := o[w]; b != 0; b &= b - 1 {
					hom[64*w+bits.TrailingZeros64(b)]++
				}
			}
		}
	}
	finish()
	slices.SortStableFunc(out, func(a, b GeneRow) int {
		return cmp.Or(-cmp.Compare(a.Impacts[4], b.Impacts[4]), -cmp.Compare(a.Impacts[3], b.Impacts[3]),
			-cmp.Compare(a.Records, b.Records), cmp.Compare(a.Name, b.Name), cmp.Compare(a.GID, b.GID))
	})
	if m.all && only == nil {
		ix.mu.Lock()
		ix.allGenes = slices.Clone(out)
		ix.mu.Unlock()
	}
	return out, nil
}

// carrierSets holds, per record, the genotyped samples (those the
// genotype filter covers) that are het and those that are hom-alt, as two
// bitsets of words 64-bit words each: sample s is bit s%64 of word s/64.
type carrierSets struct {
	words int
	bits  []uint64 // record i: het at [2*words*i, +words), hom after it
}

// of returns record i's het and hom bitsets.
func (c *carrierSets) of(i int) (het, hom []uint64) {
	at := 2 * c.words * i
	return c.bits[at : at+c.words], c.bits[at+c.words : at+2*c.words]
}

// carrierMasks returns every record's carriers, made once per open index
// from the genotype columns (16 bytes per record for up to 64 samples, 64
// for 256; the class-only columns it reads are 1 byte per sample and
// record); nil without samples.
func (ix *Index) carrierMasks(ctx context.Context) (*carrierSets, error) {
	ng := ix.info.gtSamples
	if ix.info.genotyped() == 0 {
		return nil, nil
	}
	cols := make([][]byte, ix.info.genotyped())
	for s := range cols {
		var err error
		if s < ng {
			cols[s], err = ix.column(ctx, "gt:"+strconv.Itoa(s), 4)
		} else {
			cols[s], err = ix.column(ctx, "gc:"+strconv.Itoa(s), 1)
		}
		if err != nil {
			return nil, err
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.carriers != nil {
		return ix.carriers, nil
	}
	c := &carrierSets{words: (len(cols) + 63) / 64}
	c.bits = make([]uint64, 2*c.words*int(ix.Meta.Records))
	for s, col := range cols {
		w, bit := s/64, uint64(1)<<(s%64)
		for i := range int(ix.Meta.Records) {
			var class int
			if s < ng {
				class = int(binary.LittleEndian.Uint32(col[4*i:]) & 3) // packed class, GQ, DP
			} else {
				class = int(col[i] & 3) // class alone
			}
			switch class {
			case GTHet:
				c.bits[2*c.words*i+w] |= bit
			case GTHomAlt:
				c.bits[2*c.words*i+c.words+w] |= bit
			}
		}
	}
	ix.carriers = c
	return c, nil
}

type genePairCols struct {
	n                    int
	gid, rid, imp, terms []byte
}

func (ix *Index) genePairs(ctx context.Context) (*genePairCols, error) {
	var n int64
	if err := ix.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'gene_pairs'`).Scan(&n); err != nil {
		return nil, fmt.Errorf("variantdb: gene pairs: %w", err)
	}
	gp := &genePairCols{n: int(n)}
	for _, c := range []struct {
		dst   *[]byte
		name  string
		width int
	}{{&gp.gid, "gp:gid", 4}, {&gp.rid, "gp:rid", 4}, {&gp.imp, "gp:imp", 1}, {&gp.terms, "gp:terms", 8}} {
		b, err := ix.columnN(ctx, c.name, c.width, n)
		if err != nil {
			return nil, err
		}
		*c.dst = b
	}
	return gp, nil
}

// columnN is column for a column of n values (not one per record).
func (ix *Index) columnN(ctx context.Context, name string, width int, n int64) ([]byte, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if b, ok := ix.lazy[name]; ok {
		return b, nil
	}
	b, err := readColumn(ctx, ix.db, name, width, n)
	if err != nil {
		return nil, err
	}
	ix.lazy[name] = b
	return b, nil
}

func (ix *Index) panelGIDs(ctx context.Context, panel []string) (map[int64]bool, error) {
	out := map[int64]bool{}
	args := make([]any, len(panel))
	for i, k := range panel {
		args[i] = k
	}
	for start := 0; start < len(args); start += 500 {
		part := args[start:min(len(args), start+500)]
		rows, err := ix.db.QueryContext(ctx, `SELECT gid FROM gene WHERE key IN (`+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`)`, part...)
		if err != nil {
			return nil, fmt.Errorf("variantdb: gene panel: %w", err)
		}
		for rows.Next() {
			var g int64
			if err := rows.Scan(&g); err != nil {
				rows.Close()
				return nil, err
			}
			out[g] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// geneNames maps gene numbers to (name, ID), read from the transcripts
// once per open index.
func (ix *Index) geneNames(ctx context.Context) (map[int64][2]string, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.names != nil {
		return ix.names, nil
	}
	names := map[int64][2]string{}
	rows, err := ix.db.QueryContext(ctx, `SELECT g.gid, tx.gene, tx.gene_id FROM tx
		JOIN gene g ON g.key = lower(CASE WHEN tx.gene_id != '' THEN tx.gene_id ELSE tx.gene END) ORDER BY tx.id`)
	if err != nil {
		return nil, fmt.Errorf("variantdb: gene names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g int64
		var name, id sql.NullString
		if err := rows.Scan(&g, &name, &id); err != nil {
			return nil, fmt.Errorf("variantdb: gene names: %w", err)
		}
		if _, ok := names[g]; !ok {
			names[g] = [2]string{name.String, id.String}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("variantdb: gene names: %w", err)
	}
	ix.names = names
	return names, nil
}
