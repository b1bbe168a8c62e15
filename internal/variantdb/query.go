package variantdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"net/url"
	"os"
	"strconv"
	"strings"
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
	ix := &Index{db: db, chroms: map[int64]string{}, terms: map[string]int{}}
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
		return fmt.Errorf("index schema %q, want %q: rebuild it", meta["schema"], schemaVersion)
	}
	num := func(k string) int64 { n, _ := strconv.ParseInt(meta[k], 10, 64); return n }
	ix.Meta = Meta{Records: num("records"), Annotations: num("annotations"), Malformed: num("malformed"),
		Known: num("known"), SHA256: meta["sha256"], FreqField: meta["freq_field"]}
	ix.allTerms = num("terms")
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
	return scanAll(ix.db, `SELECT bit, name FROM track ORDER BY bit`, func(_ int64, name string) { ix.tracks = append(ix.tracks, name) })
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
	Gene         string   // the most severe annotation's gene,
	Consequence  string   // its terms (a&b),
	HGVSc, HGVSp string   // and HGVS
	Known        bool     //
	Freq         *float64 // highest known frequency
	Annotations  int      // ANN entries of the record
	TrackHits    string   // "TRACK=name1,name2;TRACK2=…"
	Malformed    string   // why the record has no annotation, "" normally
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

// where builds the SQL condition of a filter over rec. ok is false when
// the filter can match nothing (a term absent from the result).
func (ix *Index) where(f Filter) (cond string, args []any, ok bool) {
	var c []string
	if f.Gene != "" {
		c = append(c, `rec.rid IN (SELECT rid FROM rec_gene WHERE gene = ?)`)
		args = append(args, asciiLower(f.Gene))
	}
	if f.HasImpact {
		c = append(c, `rec.impact >= ?`)
		args = append(args, f.MinImpact)
	}
	if f.Consequence != "" {
		bit, found := ix.terms[f.Consequence]
		if !found {
			return "", nil, false
		}
		c = append(c, `(rec.terms & ?) != 0`)
		args = append(args, int64(1)<<bit)
	}
	switch f.Known {
	case KnownOnly:
		c = append(c, `rec.known = 1`)
	case NovelOnly:
		c = append(c, `rec.known = 0`)
	}
	if f.MaxFreq != nil {
		c = append(c, `(rec.freq IS NULL OR rec.freq <= ?)`)
		args = append(args, *f.MaxFreq)
	}
	if len(c) == 0 {
		return "", nil, true
	}
	return " WHERE " + strings.Join(c, " AND "), args, true
}

// orderBy matches one of the indexes of createIndexes, so pages in sort
// order are read from the index; rid keeps the order total.
func orderBy(f Filter) string {
	var cols []string
	switch f.Sort {
	case SortGene:
		cols = []string{"gene", "chrom", "pos", "rid"}
	case SortImpact:
		cols = []string{"impact", "chrom", "pos", "rid"}
	case SortFreq:
		cols = []string{"freq", "chrom", "pos", "rid"}
	default:
		cols = []string{"chrom", "pos", "rid"}
	}
	if f.Desc {
		for i := range cols {
			cols[i] += " DESC"
		}
	}
	return " ORDER BY " + strings.Join(cols, ", ")
}

// Count returns the number of records matching the filter's conditions.
func (ix *Index) Count(ctx context.Context, f Filter) (int64, error) {
	f = f.normalize()
	cond, args, ok := ix.where(f)
	if !ok {
		return 0, nil
	}
	if cond == "" {
		return ix.Meta.Records, nil
	}
	var n int64
	if err := ix.db.QueryRowContext(ctx, `SELECT count(*) FROM rec`+cond, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("variantdb: count: %w", err)
	}
	return n, nil
}

const rowColumns = `rid, chrom, pos, vid, ref, alt, impact, terms, known, freq, gene, csq, hgvsc, hgvsp, nann, trackhits, bad`

// Query returns one page of the view f and the view's total. A page past
// the end is ErrUnknownPage (page 1 of an empty view is an empty result).
func (ix *Index) Query(ctx context.Context, f Filter) (*Result, error) {
	f = f.normalize()
	res := &Result{Filter: f}
	total, err := ix.Count(ctx, f)
	if err != nil {
		return nil, err
	}
	res.Total = total
	res.Pages = int((total + int64(f.PerPage) - 1) / int64(f.PerPage))
	if f.Page > 1 && f.Page > res.Pages {
		return res, ErrUnknownPage
	}
	if total == 0 {
		return res, nil
	}
	cond, args, _ := ix.where(f)
	q := `SELECT ` + rowColumns + ` FROM rec` + cond + orderBy(f) + ` LIMIT ? OFFSET ?`
	args = append(args, f.PerPage, (f.Page-1)*f.PerPage)
	err = ix.scanRows(ctx, q, args, func(r *Row) error {
		res.Rows = append(res.Rows, *r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
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
			&r.Gene, &r.Consequence, &r.HGVSc, &r.HGVSp, &r.Annotations, &r.TrackHits, &bad); err != nil {
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
