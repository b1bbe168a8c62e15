package variantdb

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Filtering, counting and sorting a million records in SQL means scanning
// the rec table (hundreds of milliseconds in pure-Go SQLite) or many
// covering indexes. Instead the build stores, next to the rows, packed
// per-record arrays ("columns", in rid order) and the record order of each
// sort key ("sort:KEY", rids); an open Index holds the filter columns in
// memory (17 bytes per record) and answers a count with one pass over them
// and a page by walking the sort order until the page is full. Every view
// then costs a few milliseconds, whatever its conditions.
//
// Column encodings, little-endian, one value per record:
//
//	flags   1 byte: bits 0-2 impact+1 (0 = none), bit 3 known, bit 4 malformed
//	terms   8 bytes: consequence bit mask
//	freq    8 bytes: float64 frequency, NaN when the record has none
//	chrom   4 bytes: chrom.id
//	tracks  8 bytes: track bit mask
//	nann    4 bytes: number of ANN entries
//	sort:*  4 bytes: rid, in the key's order (ties by contig, position, rid)
//	pos     4 bytes: POS
//	src:KEY 4 bytes: float32, the largest value of numeric source field KEY over the ALTs, NaN for none
//	sig:KEY 8 bytes: bit mask over the sigterm dictionary of significance field KEY
//	gt:N    4 bytes: sample N's genotype, packed (extra.go packGT)
//
// and, one value per (gene, record) pair of rec_gene in (gid, rid) order
// (the gene view's input; meta gene_pairs is their number):
//
//	gp:gid 4 bytes, gp:rid 4 bytes, gp:imp 1 byte (impact+1), gp:terms 8 bytes
const chunkRecords = 1 << 16

const (
	flagKnown     = 1 << 3
	flagMalformed = 1 << 4
)

// sortQueries give each sort key's ascending record order. SQLite sorts
// with bounded memory (spilling to temporary files), so the build stays
// within its budget for any size.
var sortQueries = map[string]string{
	SortPos:    `SELECT rid FROM rec ORDER BY chrom, pos, rid`,
	SortGene:   `SELECT rid FROM rec ORDER BY gene, chrom, pos, rid`,
	SortImpact: `SELECT rid FROM rec ORDER BY impact, chrom, pos, rid`,
	SortFreq:   `SELECT rid FROM rec ORDER BY freq, chrom, pos, rid`,
}

// colWriter appends fixed-width values and stores a chunk every
// chunkRecords values.
type colWriter struct {
	name  string
	width int
	buf   []byte
	chunk int
	n     int
}

// newRIDColumns are the columns in rid order, filled during the load in
// this order (loader.putColumns).
func newRIDColumns() []*colWriter {
	return []*colWriter{{name: "flags", width: 1}, {name: "terms", width: 8}, {name: "freq", width: 8},
		{name: "chrom", width: 4}, {name: "tracks", width: 8}, {name: "nann", width: 4}}
}

func (c *colWriter) put(tx *sql.Tx, v uint64) error {
	switch c.width {
	case 1:
		c.buf = append(c.buf, byte(v))
	case 4:
		c.buf = binary.LittleEndian.AppendUint32(c.buf, uint32(v))
	default:
		c.buf = binary.LittleEndian.AppendUint64(c.buf, v)
	}
	c.n++
	if c.n == chunkRecords {
		return c.flush(tx)
	}
	return nil
}

func (c *colWriter) flush(tx *sql.Tx) error {
	if c.n == 0 {
		return nil
	}
	if _, err := tx.Exec(`INSERT INTO col VALUES (?,?,?)`, c.name, c.chunk, c.buf); err != nil {
		return fmt.Errorf("variantdb: write column %s: %w", c.name, err)
	}
	c.chunk++
	c.n = 0
	c.buf = c.buf[:0]
	return nil
}

// writeSorts stores the record order of each sort key. The sort queries
// are read while the chunks are written in the same transaction:
// database/sql lets a Tx execute while a query's rows are open, and SQLite
// allows it across tables. sorted says the records are in (chrom, pos)
// order already: the position order is then the file order, read without
// a sort.
func writeSorts(ctx context.Context, db *sql.DB, sorted bool) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("variantdb: begin: %w", err)
	}
	defer tx.Rollback()
	for _, key := range []string{SortPos, SortGene, SortImpact, SortFreq} {
		c := &colWriter{name: "sort:" + key, width: 4}
		q := sortQueries[key]
		if key == SortPos && sorted {
			q = `SELECT rid FROM rec ORDER BY rid`
		}
		if err := writeSort(ctx, tx, c, q); err != nil {
			return fmt.Errorf("variantdb: sort by %s: %w", key, err)
		}
	}
	if err := writeGenePairs(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("variantdb: commit sort orders: %w", err)
	}
	return nil
}

// writeGenePairs stores rec_gene as the gp:* columns.
func writeGenePairs(ctx context.Context, tx *sql.Tx) error {
	gid, rid := &colWriter{name: "gp:gid", width: 4}, &colWriter{name: "gp:rid", width: 4}
	imp, terms := &colWriter{name: "gp:imp", width: 1}, &colWriter{name: "gp:terms", width: 8}
	rows, err := tx.QueryContext(ctx, `SELECT gid, rid, impact, terms FROM rec_gene ORDER BY gid, rid`)
	if err != nil {
		return fmt.Errorf("variantdb: gene pairs: %w", err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var g, r, i, t int64
		if err := rows.Scan(&g, &r, &i, &t); err != nil {
			return fmt.Errorf("variantdb: gene pairs: %w", err)
		}
		for _, p := range []struct {
			c *colWriter
			v uint64
		}{{gid, uint64(g)}, {rid, uint64(r)}, {imp, uint64(i + 1)}, {terms, uint64(t)}} {
			if err := p.c.put(tx, p.v); err != nil {
				return err
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("variantdb: gene pairs: %w", err)
	}
	for _, c := range []*colWriter{gid, rid, imp, terms} {
		if err := c.flush(tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta VALUES ('gene_pairs', ?)`, itoa(n)); err != nil {
		return fmt.Errorf("variantdb: gene pairs: %w", err)
	}
	return nil
}

func writeSort(ctx context.Context, tx *sql.Tx, c *colWriter, q string) error {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var rid int64
		if err := rows.Scan(&rid); err != nil {
			return err
		}
		if err := c.put(tx, uint64(rid)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return c.flush(tx)
}

// readColumn loads a column of n values of the given width.
func readColumn(ctx context.Context, db *sql.DB, name string, width int, n int64) ([]byte, error) {
	out := make([]byte, 0, n*int64(width))
	rows, err := db.QueryContext(ctx, `SELECT data FROM col WHERE name = ? ORDER BY chunk`, name)
	if err != nil {
		return nil, fmt.Errorf("variantdb: read column %s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b sql.RawBytes
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("variantdb: read column %s: %w", name, err)
		}
		out = append(out, b...)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("variantdb: read column %s: %w", name, err)
	}
	if int64(len(out)) != n*int64(width) {
		return nil, fmt.Errorf("variantdb: column %s has %d bytes, want %d: the index is damaged", name, len(out), n*int64(width))
	}
	return out, nil
}

func u64s(b []byte) []uint64 {
	out := make([]uint64, len(b)/8)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out
}

// cols are the in-memory filter columns of an open index.
type cols struct {
	flags []byte
	terms []uint64
	freq  []float64
}

func loadCols(ctx context.Context, db *sql.DB, n int64) (*cols, error) {
	fl, err := readColumn(ctx, db, "flags", 1, n)
	if err != nil {
		return nil, err
	}
	tb, err := readColumn(ctx, db, "terms", 8, n)
	if err != nil {
		return nil, err
	}
	fb, err := readColumn(ctx, db, "freq", 8, n)
	if err != nil {
		return nil, err
	}
	c := &cols{flags: fl, terms: u64s(tb), freq: make([]float64, n)}
	for i, v := range u64s(fb) {
		c.freq[i] = math.Float64frombits(v)
	}
	return c, nil
}

// matcher is a compiled filter: match(i) tells whether record i (rid-1)
// is in the view. genes, when not nil, is the sorted list of record
// indexes the panel allows, with geneImp and geneTerms the panel genes'
// own impact (+1, 0 none) and terms on each.
type matcher struct {
	c         *cols
	all       bool // no condition at all
	none      bool // a condition nothing can meet
	genes     []int32
	geneImp   []byte
	geneTerms []uint64
	geneSet   []uint64 // bitmap of genes
	minImpact int
	hasImpact bool
	impacts   uint8 // bit impact+1 set for each allowed impact; 0 = any
	termMask  uint64
	known     Known
	maxFreq   float64
	hasFreq   bool
	freqCol   []byte // float32 column of a chosen source field, nil = the index's frequency

	regions      []regionC
	chromB, posB []byte
	sigCols      [][]byte
	sigMasks     []uint64
	gtCols       [][]byte // packed class, GQ and DP per record (4 bytes)
	gcCols       [][]byte // class alone per record (1 byte)
	zyg          uint8    // bit class set for each allowed genotype class
	minGQ, minDP int
}

// regionC is a compiled region: a contig id and a POS range.
type regionC struct {
	chrom      uint32
	start, end int64
}

func (m *matcher) match(i int) bool {
	fl := m.c.flags[i]
	imp, terms := int(fl&7)-1, m.c.terms[i]
	if m.geneSet != nil {
		if m.geneSet[i>>6]&(1<<(i&63)) == 0 {
			return false
		}
		k, _ := slices.BinarySearch(m.genes, int32(i))
		imp, terms = int(m.geneImp[k])-1, m.geneTerms[k]
	}
	if m.hasImpact && imp < m.minImpact {
		return false
	}
	if m.impacts != 0 && (imp < 0 || m.impacts&(1<<(imp+1)) == 0) {
		return false
	}
	if m.termMask != 0 && terms&m.termMask == 0 {
		return false
	}
	switch m.known {
	case KnownOnly:
		if fl&flagKnown == 0 {
			return false
		}
	case NovelOnly:
		if !novel(fl, m.c.terms[i]) {
			return false
		}
	}
	// NaN (no frequency) compares false, so such records are kept.
	if m.hasFreq {
		f := m.c.freq[i]
		if m.freqCol != nil {
			f = float64(math.Float32frombits(binary.LittleEndian.Uint32(m.freqCol[4*i:])))
		}
		if f > m.maxFreq {
			return false
		}
	}
	if m.regions != nil && !m.inRegion(i) {
		return false
	}
	if m.sigCols != nil {
		hit := false
		for k, col := range m.sigCols {
			if binary.LittleEndian.Uint64(col[8*i:])&m.sigMasks[k] != 0 {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	if m.gtCols != nil && !m.carrier(i) {
		return false
	}
	return true
}

func (m *matcher) inRegion(i int) bool {
	c := binary.LittleEndian.Uint32(m.chromB[4*i:])
	p := int64(binary.LittleEndian.Uint32(m.posB[4*i:]))
	for _, r := range m.regions {
		if r.chrom == c && (r.start == 0 || p >= r.start && p <= r.end) {
			return true
		}
	}
	return false
}

// carrier says some chosen sample has an allowed genotype with enough
// GQ and DP (an absent GQ or DP does not exclude).
func (m *matcher) carrier(i int) bool {
	for _, col := range m.gtCols {
		class, gq, dp := unpackGT(binary.LittleEndian.Uint32(col[4*i:]))
		if m.zyg&(1<<class) == 0 || gq >= 0 && gq < m.minGQ || dp >= 0 && dp < m.minDP {
			continue
		}
		return true
	}
	for _, col := range m.gcCols {
		if m.zyg&(1<<(col[i]&3)) != 0 {
			return true
		}
	}
	return false
}

// novel tells a novel record from its flags and term mask: no ALT
// matches a known variant and some ALT was annotated (has a consequence
// term). A record whose alleles all carry a note only (REF = ALT, '*',
// <NON_REF>) was not looked up, so it is neither known nor novel, as in
// the engine's Summary, whose Known + Novel counts annotated alleles only.
func novel(flags byte, terms uint64) bool { return flags&flagKnown == 0 && terms != 0 }

// count returns the number of records in the view.
func (m *matcher) count() int64 {
	switch {
	case m.none:
		return 0
	case m.all:
		return int64(len(m.c.flags))
	}
	var n int64
	if m.genes != nil {
		for _, i := range m.genes {
			if m.match(int(i)) {
				n++
			}
		}
		return n
	}
	for i := range m.c.flags {
		if m.match(i) {
			n++
		}
	}
	return n
}

// each calls fn with every matching record index in rid order; fn returns
// false to stop.
func (m *matcher) each(fn func(i int) bool) {
	if m.none {
		return
	}
	if m.genes != nil {
		for _, i := range m.genes {
			if m.match(int(i)) && !fn(int(i)) {
				return
			}
		}
		return
	}
	for i := range m.c.flags {
		if (m.all || m.match(i)) && !fn(i) {
			return
		}
	}
}

// panelRecords are the records of a gene panel with the panel genes' own
// impact (+1) and terms on each, in record order.
type panelRecords struct {
	recs  []int32
	imp   []byte
	terms []uint64
}

// geneRecords returns the records of the gene keys (lower-cased names or
// IDs) of a panel.
func geneRecords(ctx context.Context, db *sql.DB, keys []string) (*panelRecords, error) {
	byRec := map[int32]int{}
	out := &panelRecords{}
	for start := 0; start < len(keys); start += 500 {
		part := keys[start:min(len(keys), start+500)]
		args := make([]any, len(part))
		for i, k := range part {
			args[i] = k
		}
		q := `SELECT rid, impact, terms FROM rec_gene WHERE gid IN (SELECT gid FROM gene WHERE key IN (` +
			strings.TrimSuffix(strings.Repeat("?,", len(part)), ",") + `))`
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("variantdb: gene filter: %w", err)
		}
		for rows.Next() {
			var rid, imp, terms int64
			if err := rows.Scan(&rid, &imp, &terms); err != nil {
				rows.Close()
				return nil, fmt.Errorf("variantdb: gene filter: %w", err)
			}
			// A record on several panel genes (or a name shared by several
			// genes) is listed once, with the most severe impact and all terms.
			i := int32(rid - 1)
			if k, ok := byRec[i]; ok {
				out.imp[k] = max(out.imp[k], byte(imp+1))
				out.terms[k] |= uint64(terms)
				continue
			}
			byRec[i] = len(out.recs)
			out.recs = append(out.recs, i)
			out.imp = append(out.imp, byte(imp+1))
			out.terms = append(out.terms, uint64(terms))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("variantdb: gene filter: %w", err)
		}
	}
	idx := make([]int, len(out.recs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return int(out.recs[a]) - int(out.recs[b]) })
	sorted := &panelRecords{recs: make([]int32, len(idx)), imp: make([]byte, len(idx)), terms: make([]uint64, len(idx))}
	for j, i := range idx {
		sorted.recs[j], sorted.imp[j], sorted.terms[j] = out.recs[i], out.imp[i], out.terms[i]
	}
	return sorted, nil
}
