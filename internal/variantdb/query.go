package variantdb

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gas-project/gas/vcf"
)

// Index is an open, read-only variant index. It is safe for concurrent use.
type Index struct {
	db      *sql.DB
	Meta    Meta
	chroms  map[int64]string
	terms   map[string]int // term name -> bit
	bitTerm [maxTerms]string
	tracks  []string
	// allTerms is the union of all records' term masks.
	allTerms int64
	c        *cols // filter columns, loaded by Open
	info     resultInfo

	mu       sync.Mutex
	lazy     map[string][]byte   // columns loaded on first use (sort orders, chrom, tracks, nann)
	names    map[int64][2]string // gene number -> name, ID (gene view), loaded on first use
	carriers *carrierSets        // per record (gene view), made on first use
	allGenes []GeneRow           // the gene view of the whole result, made on first use
}

// Meta is what the index records about its build.
type Meta struct {
	Records     int64  // VCF data records
	Annotations int64  // ANN entries
	Malformed   int64  // records without annotation (written through by the engine)
	Known       int64  // records with a known ALT
	SHA256      string // of the source result as stored
	FreqField   string // INFO field used as the frequency; "" when none
}

// ErrSchema is returned by Open for an index written by another version of
// this package: rebuild it from the result (Build) instead of failing.
var ErrSchema = errors.New("variantdb: index of another format; rebuild it")

// Open opens an index built by Build. The file is opened immutable: it is
// never written after the build, so readers need no locks.
func Open(path string) (*Index, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("variantdb: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("immutable", "1")
	q.Add("_pragma", "query_only(1)")
	q.Add("_pragma", "cache_size(-16384)")
	q.Add("_pragma", "mmap_size(268435456)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("variantdb: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	ix := &Index{db: db, chroms: map[int64]string{}, terms: map[string]int{}, lazy: map[string][]byte{}}
	if err := ix.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("variantdb: open %s: %w", path, err)
	}
	return ix, nil
}

// Close releases the file.
func (ix *Index) Close() error { return ix.db.Close() }

func (ix *Index) load() error {
	meta := map[string]string{}
	rows, err := ix.db.Query(`SELECT key, value FROM meta`)
	if err != nil {
		return fmt.Errorf("not a variant index: %w", err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return err
		}
		meta[k] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if meta["schema"] != schemaVersion {
		return fmt.Errorf("%w: file has %q, this program reads %q", ErrSchema, meta["schema"], schemaVersion)
	}
	num := func(k string) int64 { n, _ := strconv.ParseInt(meta[k], 10, 64); return n }
	ix.Meta = Meta{Records: num("records"), Annotations: num("annotations"), Malformed: num("malformed"),
		Known: num("known"), SHA256: meta["sha256"], FreqField: meta["freq_field"]}
	ix.allTerms = num("terms")
	if err := ix.loadResultInfo(meta); err != nil {
		return err
	}
	if err := scanAll(ix.db, `SELECT id, name FROM chrom`, func(id int64, name string) { ix.chroms[id] = name }); err != nil {
		return err
	}
	if err := scanAll(ix.db, `SELECT bit, name FROM term`, func(bit int64, name string) {
		if bit >= 0 && bit < maxTerms {
			ix.terms[name] = int(bit)
			ix.bitTerm[bit] = name
		}
	}); err != nil {
		return err
	}
	if err := scanAll(ix.db, `SELECT bit, name FROM track ORDER BY bit`, func(_ int64, name string) { ix.tracks = append(ix.tracks, name) }); err != nil {
		return err
	}
	ix.c, err = loadCols(context.Background(), ix.db, ix.Meta.Records)
	return err
}

// column returns a lazily loaded column (kept for the Index's life).
func (ix *Index) column(ctx context.Context, name string, width int) ([]byte, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if b, ok := ix.lazy[name]; ok {
		return b, nil
	}
	b, err := readColumn(ctx, ix.db, name, width, ix.Meta.Records)
	if err != nil {
		return nil, err
	}
	ix.lazy[name] = b
	return b, nil
}

func scanAll(db *sql.DB, q string, fn func(int64, string)) error {
	rows, err := db.Query(q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			return err
		}
		fn(id, s)
	}
	return rows.Err()
}

// Row is one record of the variant table.
type Row struct {
	RID          int64    // 1-based record ordinal in the result
	Chrom        string   //
	Pos          int64    //
	ID           string   // ID column (rsIDs), "" for none
	Ref, Alt     string   // Alt as written (comma-separated)
	Impact       int      // worst impact rank, ImpactNone without annotation
	Consequences []string // every term of the record, most severe first
	Gene         string   // the most severe annotation's gene (of the panel's genes, with a gene filter),
	GeneID       string   // its ID,
	Transcript   string   // its feature (transcript),
	Consequence  string   // its terms (a&b),
	HGVSc, HGVSp string   // and HGVS
	Known        bool     //
	Freq         *float64 // highest known frequency
	Annotations  int      // ANN entries of the record
	TrackHits    string   // "TRACK=name1,name2;TRACK2=…"
	Malformed    string   // why the record has no annotation, "" normally
	Info         string   // INFO without ANN
	samples      string   // FORMAT and sample columns as written
}

// Source returns the record's value of a source field as written for
// display: the per-ALT values decoded and joined by ", ", "" when no ALT
// has one.
func (r Row) Source(key string) string {
	v, ok := vcf.InfoValue([]byte(r.Info), key)
	if !ok {
		return ""
	}
	parts := strings.Split(string(v), ",")
	any := false
	for i, p := range parts {
		if p != "." && p != "" {
			any = true
		}
		parts[i] = unescape([]byte(p))
	}
	if !any {
		return ""
	}
	return strings.Join(parts, ", ")
}

// ImpactName is the row's impact as text.
func (r Row) ImpactName() string { return ImpactName(r.Impact) }

// Result is one page of a view.
type Result struct {
	Filter Filter // normalised (defaults filled)
	Total  int64  // records matching the filter
	Pages  int    // pages of Filter.PerPage
	Rows   []Row
}

// ErrUnknownPage is returned for a page past the last one; the web shows
// the last page instead.
var ErrUnknownPage = errors.New("variantdb: page past the end")

// compile turns a filter's conditions into a matcher. A condition that
// names what the result does not have (a sample, a source field) is a
// *FilterError.
func (ix *Index) compile(ctx context.Context, f Filter) (*matcher, error) {
	m := &matcher{c: ix.c, hasImpact: f.HasImpact, minImpact: f.MinImpact, known: f.Known}
	if f.MaxFreq != nil {
		m.maxFreq, m.hasFreq = *f.MaxFreq, true
		if f.FreqField != "" {
			sf, ok := ix.sourceField(f.FreqField)
			if !ok || !sf.Numeric() {
				return nil, &FilterError{ParamFreqFld, fmt.Sprintf("%q is not a numeric source field of this result", clip(f.FreqField))}
			}
			col, err := ix.column(ctx, "src:"+f.FreqField, 4)
			if err != nil {
				return nil, err
			}
			m.freqCol = col
		}
	}
	for _, i := range f.Impacts {
		if i >= ImpactModifier && i <= ImpactHigh {
			m.impacts |= 1 << (i + 1)
		}
	}
	for _, c := range f.Consequences {
		if bit, found := ix.terms[c]; found {
			m.termMask |= 1 << bit
		}
	}
	if len(f.Consequences) > 0 && m.termMask == 0 {
		m.none = true
		return m, nil
	}
	if err := ix.compileRegions(ctx, f, m); err != nil {
		return nil, err
	}
	if err := ix.compileSig(ctx, f, m); err != nil {
		return nil, err
	}
	if err := ix.compileGenotypes(ctx, f, m); err != nil {
		return nil, err
	}
	if panel := f.panel(); len(panel) > 0 {
		g, err := geneRecords(ctx, ix.db, panel)
		if err != nil {
			return nil, err
		}
		m.genes = g.recs
		m.geneImp, m.geneTerms = g.imp, g.terms
		m.geneSet = make([]uint64, (ix.Meta.Records+63)/64)
		for _, i := range g.recs {
			m.geneSet[i>>6] |= 1 << (i & 63)
		}
	}
	m.all = f.panel() == nil && !f.HasImpact && m.impacts == 0 && len(f.Consequences) == 0 && f.Known == KnownAny &&
		f.MaxFreq == nil && m.regions == nil && m.sigCols == nil && m.gtCols == nil
	return m, nil
}

// Count returns the number of records matching the filter's conditions.
func (ix *Index) Count(ctx context.Context, f Filter) (int64, error) {
	m, err := ix.compile(ctx, f.normalize())
	if err != nil {
		return 0, err
	}
	return m.count(), nil
}

const rowColumns = `rid, chrom, pos, vid, ref, alt, impact, terms, known, freq, gene, csq, hgvsc, hgvsp, nann, trackhits, bad, info, samples`

// Query returns one page of the view f and the view's total. A page past
// the end is ErrUnknownPage (page 1 of an empty view is an empty result).
func (ix *Index) Query(ctx context.Context, f Filter) (*Result, error) {
	f = f.normalize()
	if _, ok := sortQueries[f.Sort]; !ok {
		return nil, fmt.Errorf("variantdb: unknown sort key %q", f.Sort)
	}
	res := &Result{Filter: f}
	m, err := ix.compile(ctx, f)
	if err != nil {
		return nil, err
	}
	res.Total = m.count()
	res.Pages = int((res.Total + int64(f.PerPage) - 1) / int64(f.PerPage))
	if f.Page > 1 && f.Page > res.Pages {
		return res, ErrUnknownPage
	}
	if res.Total == 0 {
		return res, nil
	}
	order, err := ix.column(ctx, "sort:"+f.Sort, 4)
	if err != nil {
		return nil, err
	}
	skip := (f.Page - 1) * f.PerPage
	rids := make([]int64, 0, f.PerPage)
	n := len(order) / 4
	for j := 0; j < n && len(rids) < f.PerPage; j++ {
		k := j
		if f.Desc {
			k = n - 1 - j
		}
		rid := int64(binary.LittleEndian.Uint32(order[4*k:]))
		if !m.all && !m.match(int(rid-1)) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		rids = append(rids, rid)
	}
	if res.Rows, err = ix.rows(ctx, rids); err != nil {
		return nil, err
	}
	return res, ix.decorate(ctx, res.Rows, f.panel())
}

// decorate sets each row's shown annotation: its most severe entry (the
// first on ties), among the entries on the panel's genes when there is a
// panel, with its transcript.
func (ix *Index) decorate(ctx context.Context, rows []Row, panel []string) error {
	for i := range rows {
		r := &rows[i]
		if r.Annotations == 0 {
			continue
		}
		anns, err := ix.annotations(ctx, r.RID)
		if err != nil {
			return err
		}
		var best *Annotation
		for k := range anns {
			a := &anns[k]
			if len(panel) > 0 && !slices.Contains(panel, asciiLower(a.Gene)) && !slices.Contains(panel, asciiLower(a.GeneID)) {
				continue
			}
			if best == nil || a.Impact > best.Impact {
				best = a
			}
		}
		if best == nil {
			continue
		}
		r.Gene, r.GeneID, r.Transcript = best.Gene, best.GeneID, best.Feature
		r.Consequence, r.HGVSc, r.HGVSp = strings.Join(best.Consequences, "&"), best.HGVSc, best.HGVSp
		r.Impact = best.Impact
	}
	return nil
}

// Annotation is one ANN entry: an ALT allele's effect on one feature.
type Annotation struct {
	Allele       string   // the ALT it is about
	AlleleIndex  int      // its index in the ALT column, -1 when it matches none
	Consequences []string // SO terms, most severe first
	Impact       int
	Gene, GeneID string
	FeatureType  string
	Feature      string // transcript ID
	Biotype      string
	Rank         string // exon or intron / total
	HGVSc, HGVSp string
	CDNA, CDS    string // pos / length
	AA           string
	Distance     string
	Notes        string
}

// ImpactName is the entry's impact as text.
func (a Annotation) ImpactName() string { return ImpactName(a.Impact) }

// annotations returns a record's ANN entries in order.
func (ix *Index) annotations(ctx context.Context, rid int64) ([]Annotation, error) {
	rows, err := ix.db.QueryContext(ctx, `SELECT ann.allele, ann.terms, ann.impact,
		coalesce(tx.gene, ''), coalesce(tx.gene_id, ''), coalesce(tx.feature_type, ''), coalesce(tx.feature, ''), coalesce(tx.biotype, ''),
		ann.rank, ann.hgvsc, ann.hgvsp, ann.cdna, ann.cds, ann.aa, ann.distance, ann.notes
		FROM ann LEFT JOIN tx ON tx.id = ann.tx WHERE ann.k BETWEEN ? AND ? ORDER BY ann.k`, rid<<16, rid<<16|0xffff)
	if err != nil {
		return nil, fmt.Errorf("variantdb: annotations: %w", err)
	}
	defer rows.Close()
	var out []Annotation
	for rows.Next() {
		var a Annotation
		var terms int64
		if err := rows.Scan(&a.AlleleIndex, &terms, &a.Impact, &a.Gene, &a.GeneID, &a.FeatureType, &a.Feature, &a.Biotype,
			&a.Rank, &a.HGVSc, &a.HGVSp, &a.CDNA, &a.CDS, &a.AA, &a.Distance, &a.Notes); err != nil {
			return nil, fmt.Errorf("variantdb: annotations: %w", err)
		}
		a.Consequences = ix.termList(terms)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("variantdb: annotations: %w", err)
	}
	return out, nil
}

// rows fetches records by rid, in the order given.
func (ix *Index) rows(ctx context.Context, rids []int64) ([]Row, error) {
	if len(rids) == 0 {
		return nil, nil
	}
	args := make([]any, len(rids))
	at := make(map[int64]int, len(rids))
	for i, r := range rids {
		args[i] = r
		at[r] = i
	}
	q := `SELECT ` + rowColumns + ` FROM rec WHERE rid IN (` + strings.TrimSuffix(strings.Repeat("?,", len(rids)), ",") + `)`
	out := make([]Row, len(rids))
	err := ix.scanRows(ctx, q, args, func(r *Row) error {
		out[at[r.RID]] = *r
		return nil
	})
	return out, err
}

// scanRows runs a rec query selecting rowColumns and calls fn per row (the
// Row is reused between calls).
func (ix *Index) scanRows(ctx context.Context, q string, args []any, fn func(*Row) error) error {
	rows, err := ix.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("variantdb: query: %w", err)
	}
	defer rows.Close()
	var r Row
	for rows.Next() {
		var chrom, terms, known int64
		var freq sql.NullFloat64
		var bad sql.NullString
		if err := rows.Scan(&r.RID, &chrom, &r.Pos, &r.ID, &r.Ref, &r.Alt, &r.Impact, &terms, &known, &freq,
			&r.Gene, &r.Consequence, &r.HGVSc, &r.HGVSp, &r.Annotations, &r.TrackHits, &bad, &r.Info, &r.samples); err != nil {
			return fmt.Errorf("variantdb: query: %w", err)
		}
		r.Chrom = ix.chroms[chrom]
		r.Consequences = ix.termList(terms)
		r.Known = known != 0
		r.Freq = nil
		if freq.Valid {
			v := freq.Float64
			r.Freq = &v
		}
		r.Malformed = bad.String
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("variantdb: query: %w", err)
	}
	return nil
}

// termList expands a term mask, most severe first (bit order).
func (ix *Index) termList(mask int64) []string {
	var out []string
	for m := uint64(mask); m != 0; m &= m - 1 {
		if n := ix.bitTerm[bits.TrailingZeros64(m)]; n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Terms returns the consequence terms present in the result, most severe
// first: the choices of the consequence filter.
func (ix *Index) Terms() []string { return ix.termList(ix.allTerms) }

// Tracks returns the region-track INFO keys of the result.
func (ix *Index) Tracks() []string { return append([]string(nil), ix.tracks...) }
