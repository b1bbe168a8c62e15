package variantdb

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gas-project/gas/vcf"
)

// sqlDB is one load transaction with its prepared statements.
type sqlDB struct {
	tx              *sql.Tx
	rec, ann        rowSink // batches, or the bulk-loaded trees (bulk.go)
	gene            *batch
	txIns, termIns  *sql.Stmt
	chromIns, track *sql.Stmt
	geneIns         *sql.Stmt
}

// rowsPerInsert is how many rows one multi-row INSERT carries: the cost of
// a statement execution through database/sql is paid once per group.
const rowsPerInsert = 32

// rowSink takes a table's rows, all columns in order, in rowBuf form.
type rowSink interface {
	addRow(row []byte) error
}

// batch groups the rows of one table into multi-row INSERTs.
type batch struct {
	many, one *sql.Stmt
	cols      int
	args      []any
}

func newBatch(ctx context.Context, tx *sql.Tx, table string, cols int) (*batch, error) {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	b := &batch{cols: cols}
	var err error
	if b.one, err = tx.PrepareContext(ctx, "INSERT INTO "+table+" VALUES "+row); err != nil {
		return nil, err
	}
	rows := strings.TrimSuffix(strings.Repeat(row+",", rowsPerInsert), ",")
	if b.many, err = tx.PrepareContext(ctx, "INSERT INTO "+table+" VALUES "+rows); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *batch) add(vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) < rowsPerInsert*b.cols {
		return nil
	}
	_, err := b.many.Exec(b.args...)
	clear(b.args)
	b.args = b.args[:0]
	return err
}

func (b *batch) addRow(row []byte) error {
	vals, err := decodeRow(row, nil)
	if err != nil {
		return err
	}
	return b.add(vals...)
}

// flush inserts the rows of an incomplete group one by one.
func (b *batch) flush() error {
	for i := 0; i < len(b.args); i += b.cols {
		if _, err := b.one.Exec(b.args[i : i+b.cols]...); err != nil {
			return err
		}
	}
	clear(b.args)
	b.args = b.args[:0]
	return nil
}

// beginLoad starts a load transaction; rec and ann rows go to bulk when
// it is not nil.
func beginLoad(ctx context.Context, db *sql.DB, bulk *bulkTables) (*sqlDB, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("variantdb: begin: %w", err)
	}
	s := &sqlDB{tx: tx}
	if s.gene, err = newBatch(ctx, tx, "gene_stage", 4); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("variantdb: prepare: %w", err)
	}
	if bulk != nil {
		s.rec, s.ann = bulk.sinks["rec"], bulk.sinks["ann"]
	} else {
		for _, p := range []struct {
			dst   *rowSink
			table string
			cols  int
		}{{&s.rec, "rec", 20}, {&s.ann, "ann", 13}} {
			b, err := newBatch(ctx, tx, p.table, p.cols)
			if err != nil {
				tx.Rollback()
				return nil, fmt.Errorf("variantdb: prepare: %w", err)
			}
			*p.dst = b
		}
	}
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&s.txIns, `INSERT INTO tx VALUES (?,?,?,?,?,?)`},
		{&s.termIns, `INSERT INTO term VALUES (?,?)`},
		{&s.chromIns, `INSERT INTO chrom VALUES (?,?)`},
		{&s.track, `INSERT INTO track VALUES (?,?)`},
		{&s.geneIns, `INSERT OR IGNORE INTO gene VALUES (?,?)`},
	} {
		if *p.dst, err = tx.PrepareContext(ctx, p.q); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("variantdb: prepare: %w", err)
		}
	}
	return s, nil
}

func (s *sqlDB) commit() error {
	for _, sink := range []any{s.rec, s.ann, s.gene} {
		b, ok := sink.(*batch)
		if !ok {
			continue
		}
		if err := b.flush(); err != nil {
			s.rollback()
			return fmt.Errorf("variantdb: insert: %w", err)
		}
	}
	if err := s.tx.Commit(); err != nil {
		return fmt.Errorf("variantdb: commit: %w", err)
	}
	return nil
}

func (s *sqlDB) rollback() { _ = s.tx.Rollback() }

// loader turns records into rows. Its maps are dictionaries of contigs,
// terms and transcripts: they grow with the reference, not with the number
// of records.
type loader struct {
	f         fields
	chroms    map[string]int64
	newChroms []string // to insert in the current transaction
	terms     map[string]int
	newTerms  []string
	txs       map[string]int64
	geneIDs   map[string]int64 // lower-cased gene ID -> gid
	geneNames map[int64]string // gid -> last name inserted as its key
	seenGenes map[string]int64 // raw "name\x00ID" of ANN entries -> gid
	keyBuf    []byte
	gids      []int64 // the current record's genes,
	gimp      []int   // the most severe impact of each on the record
	gterms    []int64 // and the union of its terms
	records   int64
	anns      int64
	malformed int64
	known     int64
	allTerms  int64 // union of the records' term masks
	// sorted stays true while records come in (chrom id, pos) order, so
	// the position order is the file order and needs no sort.
	sorted    bool
	lastChrom int64
	lastPos   int64
	cols      []*colWriter // rid-order columns, see newRIDColumns
	x         *extraCols   // position, source, significance and genotype columns (extra.go)
	header    string       // the result's header, kept in meta for the pages
	keys      *sortKeys    // sort keys, nil once too many (sortkeys.go)
	pairs     *genePairs   // gene pairs in memory (genepairs.go), nil: in gene_stage

	rec       vcf.Record
	ent       annEntry
	knownA    []bool
	freqA     []float64
	hasFreq   []bool
	hits      []byte
	row       rowBuf // the row being made
	infoBuf   []byte // INFO without ANN
	tracksSet bool
}

func newLoader(h *vcf.Header, f fields) *loader {
	ld := &loader{f: f, chroms: map[string]int64{}, terms: map[string]int{}, txs: map[string]int64{}, geneIDs: map[string]int64{}, geneNames: map[int64]string{}, seenGenes: map[string]int64{}, sorted: true,
		cols: newRIDColumns(), x: newExtra(f, len(h.Samples())), header: string(h.AppendTo(nil)), keys: newSortKeys()}
	// Contig ids follow the header's ##contig order so that sorting by
	// (chrom, pos) gives the reference order rather than file order.
	for _, c := range h.Contigs() {
		ld.chromID(c.ID)
	}
	for _, t := range seedTerms {
		ld.terms[t] = len(ld.newTerms)
		ld.newTerms = append(ld.newTerms, t)
	}
	return ld
}

func (ld *loader) chromID(name string) int64 {
	if id, ok := ld.chroms[name]; ok {
		return id
	}
	id := int64(len(ld.chroms) + 1)
	ld.chroms[name] = id
	ld.newChroms = append(ld.newChroms, name)
	return id
}

func (ld *loader) checkOrder(chrom, pos int64) {
	if chrom < ld.lastChrom || chrom == ld.lastChrom && pos < ld.lastPos {
		ld.sorted = false
	}
	ld.lastChrom, ld.lastPos = chrom, pos
}

// flushDicts inserts dictionary entries created since the last call.
func (ld *loader) flushDicts(s *sqlDB) error {
	for _, name := range ld.newChroms {
		if _, err := s.chromIns.Exec(ld.chroms[name], name); err != nil {
			return fmt.Errorf("variantdb: insert contig: %w", err)
		}
	}
	ld.newChroms = ld.newChroms[:0]
	for _, name := range ld.newTerms {
		if _, err := s.termIns.Exec(ld.terms[name], name); err != nil {
			return fmt.Errorf("variantdb: insert term: %w", err)
		}
	}
	ld.newTerms = ld.newTerms[:0]
	if !ld.tracksSet {
		for i, k := range ld.f.tracks {
			if _, err := s.track.Exec(i, k); err != nil {
				return fmt.Errorf("variantdb: insert track: %w", err)
			}
		}
		ld.tracksSet = true
	}
	return nil
}

func (ld *loader) termBit(name []byte) (int, error) {
	if b, ok := ld.terms[string(name)]; ok {
		return b, nil
	}
	if len(ld.terms) >= maxTerms {
		return 0, errTooManyTerms
	}
	b := len(ld.terms)
	n := string(name)
	ld.terms[n] = b
	ld.newTerms = append(ld.newTerms, n)
	return b, nil
}

// txID returns the dictionary id of an entry's transcript, 0 (NULL) for
// entries that name none (intergenic, note-only).
func (ld *loader) txID(s *sqlDB, e *annEntry) (int64, error) {
	if len(e.f[3]) == 0 && len(e.f[4]) == 0 && len(e.f[6]) == 0 {
		return 0, nil
	}
	// The key is built in a reused buffer: a lookup with string(b) does
	// not allocate, and transcripts repeat across records.
	k := ld.keyBuf[:0]
	for i, f := range [...][]byte{e.f[6], e.f[5], e.f[3], e.f[4], e.f[7]} {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, f...)
	}
	ld.keyBuf = k
	if id, ok := ld.txs[string(k)]; ok {
		return id, nil
	}
	id := int64(len(ld.txs) + 1)
	ld.txs[string(k)] = id
	if _, err := s.txIns.Exec(id, unescape(e.f[6]), unescape(e.f[5]), unescape(e.f[3]), unescape(e.f[4]), unescape(e.f[7])); err != nil {
		return 0, fmt.Errorf("variantdb: insert transcript: %w", err)
	}
	return id, nil
}

// geneID returns the gene number of an ANN entry's gene (by Gene_ID, or
// by name when the ID is empty) and records its name and ID as keys.
func (ld *loader) geneID(s *sqlDB, name, id string) (int64, error) {
	if id == "" {
		id = name
	}
	idKey := asciiLower(id)
	gid, ok := ld.geneIDs[idKey]
	if ok && ld.geneNames[gid] == name {
		return gid, nil
	}
	if !ok {
		gid = int64(len(ld.geneIDs) + 1)
		ld.geneIDs[idKey] = gid
		if _, err := s.geneIns.Exec(idKey, gid); err != nil {
			return 0, fmt.Errorf("variantdb: insert gene: %w", err)
		}
	}
	// A gene ID seen with another name (rare) gets both names as keys.
	ld.geneNames[gid] = name
	if name != "" {
		if _, err := s.geneIns.Exec(asciiLower(name), gid); err != nil {
			return 0, fmt.Errorf("variantdb: insert gene: %w", err)
		}
	}
	return gid, nil
}

// record stores one data line: a rec row, its ann rows and gene keys.
func (ld *loader) record(s *sqlDB, line []byte, lineNo int64) error {
	ld.records++
	rid := ld.records
	rec := &ld.rec
	if err := vcf.ParseRecord(line, lineNo, rec); err != nil {
		return ld.malformedRecord(s, rid, line, err)
	}
	chrom := ld.chromID(string(rec.Chrom))
	ld.checkOrder(chrom, rec.Pos)
	nAlt := len(rec.Alts)
	ld.alleleInfo(rec.Info, nAlt)

	worst, terms := ImpactNone, int64(0)
	var top annEntry
	topSet := false
	ld.gids, ld.gimp, ld.gterms = ld.gids[:0], ld.gimp[:0], ld.gterms[:0]
	n := int64(0)
	annVal, _ := vcf.InfoValue(rec.Info, "ANN")
	err := splitANN(annVal, &ld.ent, func(e *annEntry) error {
		if n >= 1<<16 {
			return &InputError{Msg: fmt.Sprintf("line %d: more than 65,535 ANN entries", lineNo)}
		}
		allele := -1
		for i, a := range rec.Alts {
			if bytes.Equal(a, e.f[0]) {
				allele = i
				break
			}
		}
		var mask int64
		for t := e.f[1]; len(t) > 0; {
			var one []byte
			if a := bytes.IndexByte(t, '&'); a >= 0 {
				one, t = t[:a], t[a+1:]
			} else {
				one, t = t, nil
			}
			bit, err := ld.termBit(one)
			if err != nil {
				return err
			}
			mask |= 1 << bit
		}
		imp, ok := ParseImpact(string(e.f[2]))
		if !ok {
			imp = ImpactNone
		}
		// The row shows the most severe entry, the first one on ties.
		if !topSet || imp > worst {
			top, topSet = *e, true
		}
		if imp > worst {
			worst = imp
		}
		terms |= mask
		if len(e.f[3]) > 0 || len(e.f[4]) > 0 {
			// A (name, ID) pair met before has its gene and keys already.
			k := append(append(append(ld.keyBuf[:0], e.f[3]...), 0), e.f[4]...)
			ld.keyBuf = k
			gid, ok := ld.seenGenes[string(k)]
			if !ok {
				var err error
				if gid, err = ld.geneID(s, unescape(e.f[3]), unescape(e.f[4])); err != nil {
					return err
				}
				ld.seenGenes[string(k)] = gid
			}
			ld.addGene(gid, imp, mask)
		}
		tid, err := ld.txID(s, e)
		if err != nil {
			return err
		}
		r := &ld.row
		r.reset()
		r.int(rid<<16 | n)
		r.int(int64(allele))
		if tid == 0 {
			r.null()
		} else {
			r.int(tid)
		}
		r.int(mask)
		r.int(int64(imp))
		r.unescaped(e.f[8])
		r.unescaped(e.f[9])
		r.unescaped(e.f[10])
		for _, f := range e.f[11:15] {
			r.text(f)
		}
		r.unescaped(e.f[15])
		if err := s.ann.addRow(r.b); err != nil {
			return fmt.Errorf("variantdb: insert annotation: %w", err)
		}
		n++
		return nil
	})
	if err != nil {
		return err
	}
	ld.anns += n
	// New contigs and terms of this record go in with it.
	if err := ld.flushDicts(s); err != nil {
		return err
	}

	known := 0
	maxF, haveF := 0.0, false
	for i := 0; i < nAlt; i++ {
		if ld.knownA[i] {
			known = 1
		}
		if ld.hasFreq[i] && (!haveF || ld.freqA[i] > maxF) {
			maxF, haveF = ld.freqA[i], true
		}
	}
	if len(ld.f.known) == 0 && len(rec.ID) > 0 && string(rec.ID) != "." {
		// A bundle without known-variant fields marks known variants only
		// by their ID.
		known = 1
	}
	ld.known += int64(known)
	ld.allTerms |= terms
	trackMask, hits := ld.trackHits(rec.Info)
	vid := string(rec.ID)
	if vid == "." {
		vid = ""
	}
	gene := unescape(top.f[3])
	r := &ld.row
	r.reset()
	r.int(rid)
	r.int(chrom)
	r.int(rec.Pos)
	r.str(vid)
	r.text(rec.Ref)
	r.text(altColumn(line, rec))
	r.int(int64(worst))
	r.int(terms)
	r.int(int64(known))
	if haveF {
		r.float(maxF)
	} else {
		r.null()
	}
	r.str(gene)
	r.text(top.f[1])
	r.unescaped(top.f[9])
	r.unescaped(top.f[10])
	r.int(n)
	r.int(trackMask)
	r.str(hits)
	r.null()
	ld.infoBuf = appendStripANN(ld.infoBuf[:0], rec.Info)
	r.text(ld.infoBuf)
	r.text(ld.x.sampleBytes(rec.Rest))
	if err := s.rec.addRow(r.b); err != nil {
		return fmt.Errorf("variantdb: insert record: %w", err)
	}
	fv := math.NaN()
	if haveF {
		fv = maxF
	}
	ld.sortKey(chrom, rec.Pos, worst, fv, gene)
	flags := uint64(worst + 1)
	if known != 0 {
		flags |= flagKnown
	}
	if err := ld.putColumns(s, flags, uint64(terms), fv, chrom, uint64(trackMask), n); err != nil {
		return err
	}
	if err := ld.x.record(s.tx, rec); err != nil {
		return err
	}
	return ld.insertGenes(s, rid)
}

// addGene notes an entry on gene gid: the record's genes are few, so a
// linear search is cheapest.
func (ld *loader) addGene(gid int64, imp int, terms int64) {
	if i := slices.Index(ld.gids, gid); i >= 0 {
		ld.gimp[i] = max(ld.gimp[i], imp)
		ld.gterms[i] |= terms
		return
	}
	ld.gids = append(ld.gids, gid)
	ld.gimp = append(ld.gimp, imp)
	ld.gterms = append(ld.gterms, terms)
}

// insertGenes adds the record's distinct genes with the gene's own
// impact and terms.
func (ld *loader) insertGenes(s *sqlDB, rid int64) error {
	if ld.pairs != nil {
		if ld.keys != nil && len(ld.pairs.p)+len(ld.gids) <= ld.pairs.limit {
			for i, g := range ld.gids {
				ld.pairs.add(g, rid, ld.gimp[i], ld.gterms[i])
			}
			return nil
		}
		if err := ld.pairs.spill(s); err != nil {
			return err
		}
		ld.pairs = nil
	}
	for i, g := range ld.gids {
		if err := s.gene.add(g, rid, ld.gimp[i], ld.gterms[i]); err != nil {
			return fmt.Errorf("variantdb: insert gene: %w", err)
		}
	}
	return nil
}

// altColumn returns the ALT column as written (ParseRecord split it).
func altColumn(line []byte, rec *vcf.Record) []byte {
	if len(rec.Alts) == 0 {
		return []byte(".")
	}
	first := rec.Alts[0]
	last := rec.Alts[len(rec.Alts)-1]
	start := cap(line) - cap(first)
	end := cap(line) - cap(last) + len(last)
	if start < 0 || end > len(line) || start > end {
		return bytes.Join(rec.Alts, []byte(","))
	}
	return line[start:end]
}

// alleleInfo fills knownA, freqA and hasFreq for the record's ALTs from the
// known-variant INFO fields (one value per ALT, '.' for no match).
func (ld *loader) alleleInfo(info []byte, nAlt int) {
	ld.knownA = resize(ld.knownA, nAlt)
	ld.freqA = resizeF(ld.freqA, nAlt)
	ld.hasFreq = resize(ld.hasFreq, nAlt)
	for _, k := range ld.f.known {
		v, ok := vcf.InfoValue(info, k)
		if !ok {
			continue
		}
		for i := 0; i < nAlt && v != nil; i++ {
			var one []byte
			if c := bytes.IndexByte(v, ','); c >= 0 {
				one, v = v[:c], v[c+1:]
			} else {
				one, v = v, nil
			}
			if len(one) == 0 || string(one) == "." {
				continue
			}
			ld.knownA[i] = true
			if k == ld.f.freq {
				if x, err := strconv.ParseFloat(string(one), 64); err == nil {
					ld.freqA[i], ld.hasFreq[i] = x, true
				}
			}
		}
	}
}

func resize(b []bool, n int) []bool {
	if cap(b) < n {
		b = make([]bool, n)
	}
	b = b[:n]
	for i := range b {
		b[i] = false
	}
	return b
}

func resizeF(b []float64, n int) []float64 {
	if cap(b) < n {
		b = make([]float64, n)
	}
	return b[:n]
}

// trackHits returns the track bit mask and "KEY=a,b;KEY2=c" for display.
func (ld *loader) trackHits(info []byte) (int64, string) {
	var mask int64
	ld.hits = ld.hits[:0]
	for i, k := range ld.f.tracks {
		v, ok := vcf.InfoValue(info, k)
		if !ok || i >= maxTerms {
			continue
		}
		mask |= 1 << i
		if len(ld.hits) > 0 {
			ld.hits = append(ld.hits, ';')
		}
		ld.hits = append(ld.hits, k...)
		ld.hits = append(ld.hits, '=')
		ld.hits = append(ld.hits, unescape(v)...)
	}
	return mask, string(ld.hits)
}

// malformedRecord keeps a record the engine wrote through unannotated
// (OnError=skip): it still counts, and exports still carry it.
func (ld *loader) malformedRecord(s *sqlDB, rid int64, line []byte, perr error) error {
	ld.malformed++
	cols := strings.SplitN(string(line), "\t", 6)
	for len(cols) < 6 {
		cols = append(cols, "")
	}
	pos, _ := strconv.ParseInt(cols[1], 10, 64)
	if err := ld.flushDicts(s); err != nil {
		return err
	}
	chrom := ld.chromID(cols[0])
	ld.checkOrder(chrom, pos)
	if err := ld.flushDicts(s); err != nil {
		return err
	}
	vid := cols[2]
	if vid == "." {
		vid = ""
	}
	r := &ld.row
	r.reset()
	for _, n := range [...]int64{rid, chrom, pos} {
		r.int(n)
	}
	for _, t := range cols[2:5] {
		r.str(t)
	}
	for _, n := range [...]int64{ImpactNone, 0, 0} {
		r.int(n)
	}
	r.null()
	for range 4 {
		r.str("")
	}
	r.int(0)
	r.int(0)
	r.str("")
	r.str(perr.Error())
	r.str("")
	r.str("")
	if err := s.rec.addRow(r.b); err != nil {
		return fmt.Errorf("variantdb: insert record: %w", err)
	}
	ld.sortKey(chrom, pos, ImpactNone, math.NaN(), "")
	if err := ld.putColumns(s, flagMalformed, 0, math.NaN(), chrom, 0, 0); err != nil {
		return err
	}
	return ld.x.empty(s.tx, pos)
}

// sortKey keeps a record's sort keys while they fit in memory.
func (ld *loader) sortKey(chrom, pos int64, impact int, freq float64, gene string) {
	if ld.keys != nil && !ld.keys.add(chrom, pos, impact, freq, gene) {
		ld.keys = nil
	}
}

// finish writes the meta table.
// putColumns appends the record's values to the rid-order columns (see
// columns.go); they are written in chunks as the load goes.
func (ld *loader) putColumns(s *sqlDB, flags, terms uint64, freq float64, chrom int64, tracks uint64, nann int64) error {
	for i, v := range [...]uint64{flags, terms, math.Float64bits(freq), uint64(chrom), tracks, uint64(nann)} {
		if err := ld.cols[i].put(s.tx, v); err != nil {
			return err
		}
	}
	return nil
}

func (ld *loader) finish(s *sqlDB, sha string) error {
	if err := ld.flushDicts(s); err != nil {
		return err
	}
	for _, c := range ld.cols {
		if err := c.flush(s.tx); err != nil {
			return err
		}
	}
	if err := ld.x.finish(s.tx); err != nil {
		return err
	}
	for k, v := range map[string]string{
		"schema":      schemaVersion,
		"records":     itoa(ld.records),
		"annotations": itoa(ld.anns),
		"malformed":   itoa(ld.malformed),
		"known":       itoa(ld.known),
		"sha256":      sha,
		"freq_field":  ld.f.freq,
		"terms":       itoa(ld.allTerms),
		"header":      ld.header,
		"gt_samples":  itoa(int64(ld.x.samples)),
		"gc_samples":  itoa(int64(ld.x.classes)),
	} {
		if _, err := s.tx.Exec(`INSERT INTO meta VALUES (?,?)`, k, v); err != nil {
			return fmt.Errorf("variantdb: insert meta: %w", err)
		}
	}
	return nil
}
