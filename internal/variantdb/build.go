package variantdb

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/gas-project/gas/vcf"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// BuildOptions tune Build; the zero value is what the worker uses.
type BuildOptions struct {
	// FreqField is the known-variant INFO field used as the frequency
	// (filter MaxFreq, sort freq); empty picks one (AF, gnomAD AF, MAF, …).
	FreqField string
	// MaxLineBytes bounds one VCF line (vcf.DefaultMaxLineBytes when 0).
	MaxLineBytes int
	// BatchRecords is the number of records per transaction (50,000 when
	// 0): large transactions make the load fast, bounded ones keep the
	// SQLite page cache and journal small.
	BatchRecords int

	// sqlInserts loads rec and ann with INSERTs instead of the bulk
	// loader (bulk.go): the tests compare the two.
	sqlInserts bool
	// pairsLimit replaces maxMemGenePairs (tests of the spill).
	pairsLimit int
}

// BuildInfo describes a finished index.
type BuildInfo struct {
	Records     int64         // VCF data records
	Annotations int64         // ANN entries (record × ALT × transcript)
	Malformed   int64         // records stored without annotation (written through by the engine)
	SHA256      string        // hex SHA-256 of the source bytes as given
	FreqField   string        // frequency field used, "" when the result has none
	Bytes       int64         // size of the index file
	Elapsed     time.Duration // wall time of the build
}

// InputError is a problem with the annotated VCF given to Build (as opposed
// to an I/O or SQLite failure).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return "variantdb: " + e.Msg }

// Build reads an annotated VCF (plain, gzip or BGZF) from r and writes its
// index to path. The file appears only when complete: it is built as
// path+".tmp" and renamed, so a crash never leaves a half index behind. An
// existing file at path is replaced.
func Build(ctx context.Context, r io.Reader, path string, opt BuildOptions) (*BuildInfo, error) {
	start := time.Now()
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	info, err := build(ctx, r, tmp, opt)
	if err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("variantdb: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("variantdb: %w", err)
	}
	info.Bytes = st.Size()
	info.Elapsed = time.Since(start)
	return info, nil
}

// BuildTo is Build for a destination that is a stream (a blob store
// upload): the index is built in a temporary file under dir (os.TempDir
// when empty), copied to w and removed.
func BuildTo(ctx context.Context, r io.Reader, w io.Writer, dir string, opt BuildOptions) (*BuildInfo, error) {
	d, err := os.MkdirTemp(dir, "variantdb-")
	if err != nil {
		return nil, fmt.Errorf("variantdb: %w", err)
	}
	defer os.RemoveAll(d)
	path := d + string(os.PathSeparator) + "index.sqlite"
	info, err := Build(ctx, r, path, opt)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("variantdb: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return nil, fmt.Errorf("variantdb: copy index: %w", err)
	}
	return info, nil
}

// hashReader hashes what passes through it. The vcf reader may read from
// it on a background goroutine, hence the lock.
type hashReader struct {
	mu  sync.Mutex
	r   io.Reader
	h   hash.Hash
	eof bool
}

func (hr *hashReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.mu.Lock()
	hr.h.Write(p[:n])
	if err == io.EOF {
		hr.eof = true
	}
	hr.mu.Unlock()
	return n, err
}

// sum drains what the VCF reader left unread (nothing, normally: it stops
// only at the end of the input) and returns the hex digest.
func (hr *hashReader) sum() (string, error) {
	hr.mu.Lock()
	done := hr.eof
	hr.mu.Unlock()
	if !done {
		if _, err := io.Copy(io.Discard, hr); err != nil {
			return "", fmt.Errorf("variantdb: read input: %w", err)
		}
	}
	hr.mu.Lock()
	defer hr.mu.Unlock()
	return hex.EncodeToString(hr.h.Sum(nil)), nil
}

func build(ctx context.Context, r io.Reader, path string, opt BuildOptions) (*BuildInfo, error) {
	hr := &hashReader{r: r, h: sha256.New()}
	rd, err := vcf.NewReader(hr, vcf.ReaderOptions{MaxLineBytes: opt.MaxLineBytes, Workers: 1})
	if err != nil {
		return nil, &InputError{Msg: "read annotated VCF: " + err.Error()}
	}
	defer rd.Close()
	fl, err := headerFields(rd.Header(), opt.FreqField)
	if err != nil {
		return nil, err
	}
	db, err := openRW(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	if _, err := db.ExecContext(ctx, createTables); err != nil {
		return nil, fmt.Errorf("variantdb: create tables: %w", err)
	}
	var bulk *bulkTables
	var roots map[string]uint32
	if !opt.sqlInserts {
		if bulk, roots, err = startBulk(ctx, db, filepath.Dir(path), "rec", "ann", "rec_gene"); err != nil {
			return nil, err
		}
		defer bulk.discard()
	}
	ld := newLoader(rd.Header(), fl)
	var async *asyncTrees
	if bulk != nil {
		async = newAsyncTrees()
		defer async.wait()
		bulk.sinks = map[string]rowSink{}
		for _, name := range []string{"rec", "ann"} {
			bulk.sinks[name] = async.sink(bulk.table(name))
		}
		ld.pairs = &genePairs{limit: cmp.Or(opt.pairsLimit, maxMemGenePairs)}
	}
	batch := opt.BatchRecords
	if batch <= 0 {
		batch = 50000
	}
	var blk vcf.Block
	var tx *sqlDB
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := rd.ReadBlock(&blk, 0)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &InputError{Msg: "read annotated VCF: " + err.Error()}
		}
		for i := 0; i < blk.Len(); i++ {
			if ld.records >= maxRecords {
				if tx != nil {
					tx.rollback()
				}
				return nil, &InputError{Msg: fmt.Sprintf("more than %d records", maxRecords)}
			}
			if tx == nil {
				if tx, err = beginLoad(ctx, db, bulk); err != nil {
					return nil, err
				}
			}
			if err := ld.record(tx, blk.Line(i), blk.LineNo(i)); err != nil {
				tx.rollback()
				return nil, err
			}
			if ld.records%int64(batch) == 0 {
				if err := tx.commit(); err != nil {
					return nil, err
				}
				tx = nil
			}
		}
	}
	// The keys are complete: the sort orders are computed on another
	// goroutine while this one finishes the tables (the page writer is
	// done soon, so the second core is free).
	var orders chan map[string][]uint32
	if ld.keys != nil {
		orders = make(chan map[string][]uint32, 1)
		go func(k *sortKeys, sorted bool) { orders <- k.orders(sorted) }(ld.keys, ld.sorted)
	}
	if tx == nil {
		if tx, err = beginLoad(ctx, db, bulk); err != nil {
			return nil, err
		}
	}
	sum, err := hr.sum()
	if err != nil {
		tx.rollback()
		return nil, err
	}
	if err := ld.finish(tx, sum); err != nil {
		tx.rollback()
		return nil, err
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	if async != nil {
		if err := async.wait(); err != nil {
			return nil, err
		}
	}
	var pairs []genePair
	pairsInMem := ld.pairs != nil
	if pairsInMem {
		pairs = ld.pairs.sorted()
		ld.pairs = nil
		if err := writeGeneTree(bulk.index("rec_gene"), pairs); err != nil {
			return nil, err
		}
	} else {
		if bulk != nil {
			bulk.drop("rec_gene") // SQLite fills it from gene_stage
		}
		if _, err := db.ExecContext(ctx, finishLoad); err != nil {
			return nil, fmt.Errorf("variantdb: pack genes: %w", err)
		}
	}
	if bulk != nil {
		// The bulk pages go in once SQLite has closed the file.
		err := db.Close()
		db = nil
		if err != nil {
			return nil, fmt.Errorf("variantdb: close: %w", err)
		}
		if err := bulk.install(path, roots); err != nil {
			return nil, err
		}
		if db, err = openRW(path); err != nil {
			return nil, err
		}
	}
	if orders != nil {
		err = writeSortsMem(ctx, db, <-orders, pairs, pairsInMem)
	} else {
		err = writeSorts(ctx, db, ld.sorted)
	}
	if err != nil {
		return nil, err
	}
	err = db.Close()
	db = nil
	if err != nil {
		return nil, fmt.Errorf("variantdb: close: %w", err)
	}
	return &BuildInfo{Records: ld.records, Annotations: ld.anns, Malformed: ld.malformed, SHA256: sum, FreqField: fl.freq}, nil
}

// openRW opens a new index file for the load: no journal and no fsync (a
// failed build is deleted, never repaired), one connection so every
// statement sees the same transaction, and a 16 MiB page cache. SQLite
// sizes its sorter and temporary-table caches by the same setting; 16 MiB
// kept the peak RSS of a 600,000-record build at 118 MiB (32 MiB: 207 MiB)
// for a few percent more time.
func openRW(path string) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=page_size(8192)" +
		"&_pragma=cache_size(-16384)&_pragma=temp_store(FILE)&_pragma=locking_mode(EXCLUSIVE)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("variantdb: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("variantdb: open %s: %w", path, err)
	}
	return db, nil
}

// maxRecords keeps record indexes within the int32 the in-memory columns
// use; a VCF that large would not be browsed anyway.
const maxRecords = 1<<31 - 1

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// errTooManyTerms: the consequence mask has 63 bits; the engine emits 26
// terms, so only an ANN from elsewhere can have more.
var errTooManyTerms = &InputError{Msg: "more than 63 distinct consequence terms"}

// startBulk prepares the bulk load of tables (bulk.go): their root pages,
// kinds (rowid or WITHOUT ROWID) and column counts from the schema SQLite
// created, a spool in dir.
func startBulk(ctx context.Context, db *sql.DB, dir string, tables ...string) (*bulkTables, map[string]uint32, error) {
	var pageSize int
	if err := db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return nil, nil, fmt.Errorf("variantdb: page size: %w", err)
	}
	sp, err := newSpool(dir, pageSize)
	if err != nil {
		return nil, nil, err
	}
	bt := &bulkTables{sp: sp}
	roots := map[string]uint32{}
	for _, name := range tables {
		var root uint32
		var withoutRowid bool
		var cols int
		err := db.QueryRowContext(ctx, `SELECT s.rootpage, l.wr, l.ncol FROM sqlite_schema s JOIN pragma_table_list l ON l.name = s.name
			WHERE s.type = 'table' AND s.name = ? AND l.schema = 'main'`, name).Scan(&root, &withoutRowid, &cols)
		if err != nil {
			bt.discard()
			return nil, nil, fmt.Errorf("variantdb: bulk table %s: %w", name, err)
		}
		roots[name] = root
		var t bulkTree = newTableTree(name, sp)
		if withoutRowid {
			t = newIndexTree(name, sp)
		}
		t.setColumns(cols)
		bt.trees = append(bt.trees, t)
	}
	return bt, roots, nil
}
