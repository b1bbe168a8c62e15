package variantdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// Bulk loading of the big tables (rec and ann: one row per record and per
// ANN entry). Inserting them through database/sql cost about 8 µs per
// record, most of it binding values and SQLite's B-tree insert, for rows
// that arrive in rowid order into tables nobody reads until the build is
// done. So the loader writes those two tables' B-trees itself, in the
// SQLite file format (https://www.sqlite.org/fileformat2.html), the way
// a bulk loader fills pages: each leaf is filled and written once, the
// interior pages are built bottom-up as leaves complete.
//
// SQLite itself creates the schema and writes every other table during the
// load; the bulk pages go to a spool file meanwhile, numbered from 1. When
// SQLite is done, the spool is appended to the database file with every
// page reference moved past SQLite's pages, each tree's root is written
// over the empty root page SQLite created for the table, and the page
// count in the header is updated. The result is an ordinary database
// file; the tests run PRAGMA integrity_check on it.

// Page kinds in the spool, to know where its page references are.
const (
	pageLeaf     = 1 // table B-tree leaf (0x0D): overflow page numbers in cells
	pageInterior = 2 // table B-tree interior (0x05): child page numbers
	pageOverflow = 3 // overflow page: next page number in the first 4 bytes
	// index B-tree leaf (0x0A): no page numbers (entries never overflow
	// here); index interior pages (0x02) are laid out as pageInterior.
	pageIndexLeaf = 4
)

// spool stores finished pages in order; page n (from 1) is at (n-1)*size.
type spool struct {
	f    *os.File
	w    *bufio.Writer
	size int
	kind []byte // kind of page n at kind[n-1]
}

func newSpool(dir string, pageSize int) (*spool, error) {
	f, err := os.CreateTemp(dir, "bulk-*.pages")
	if err != nil {
		return nil, fmt.Errorf("variantdb: bulk spool: %w", err)
	}
	return &spool{f: f, w: bufio.NewWriterSize(f, 1<<20), size: pageSize}, nil
}

// next is the number the next page put will get.
func (s *spool) next() uint32 { return uint32(len(s.kind) + 1) }

func (s *spool) put(kind byte, page []byte) (uint32, error) {
	if _, err := s.w.Write(page); err != nil {
		return 0, fmt.Errorf("variantdb: bulk spool: %w", err)
	}
	s.kind = append(s.kind, kind)
	return uint32(len(s.kind)), nil
}

func (s *spool) close() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// pageBuf assembles one B-tree page: cell pointers grow from the header
// down, cell contents from the end of the page up.
type pageBuf struct {
	b       []byte
	hdr     int // 8 for a leaf, 12 for an interior page
	cells   int
	content int // start of the cell content area
}

func newPageBuf(size, hdr int) *pageBuf {
	return &pageBuf{b: make([]byte, size), hdr: hdr, content: size}
}

func (p *pageBuf) fits(n int) bool { return p.hdr+2*(p.cells+1)+n <= p.content }

func (p *pageBuf) add(cell []byte) {
	p.content -= len(cell)
	copy(p.b[p.content:], cell)
	binary.BigEndian.PutUint16(p.b[p.hdr+2*p.cells:], uint16(p.content))
	p.cells++
}

// finish writes the page header (right: the right-most child of an
// interior page) and returns the page.
func (p *pageBuf) finish(typ byte, right uint32) []byte {
	p.b[0] = typ
	binary.BigEndian.PutUint16(p.b[1:], 0) // no freeblocks
	binary.BigEndian.PutUint16(p.b[3:], uint16(p.cells))
	binary.BigEndian.PutUint16(p.b[5:], uint16(p.content)) // 65536 would be 0; pages are at most 8 KiB here
	p.b[7] = 0
	if p.hdr == 12 {
		binary.BigEndian.PutUint32(p.b[8:], right)
	}
	return p.b
}

func (p *pageBuf) reset() {
	clear(p.b)
	p.cells = 0
	p.content = len(p.b)
}

// child is an interior page entry: a page and the largest rowid under it.
type child struct {
	page uint32
	key  int64
}

// tableTree bulk-loads one rowid table whose rows arrive in rowid order.
type tableTree struct {
	name    string
	cols    int // the table's columns
	sp      *spool
	usable  int
	leaf    *pageBuf
	leafKey int64     // largest rowid on the current leaf
	levels  [][]child // the entries of the current interior page of each level, bottom up
	written []int     // pages written per level (0: leaves)
	ipage   *pageBuf
	rows    int64
	last    int64
	rec     []byte
	cell    []byte // the leaf cell being added
	icell   []byte // an interior cell being added
	root    []byte // the root page once closed, to be written at the table's root page
	scratch rowScratch
}

func newTableTree(name string, sp *spool) *tableTree {
	return &tableTree{name: name, sp: sp, usable: sp.size, leaf: newPageBuf(sp.size, 8), ipage: newPageBuf(sp.size, 12), written: []int{0}}
}

// add appends a row: vals are the table's columns in order, the first
// being the INTEGER PRIMARY KEY (an int64, stored as the rowid and as NULL
// in the record, as SQLite does).
func (t *tableTree) add(vals ...any) error {
	if len(vals) != t.cols || t.cols == 0 {
		return fmt.Errorf("variantdb: bulk %s: %d values for %d columns", t.name, len(vals), t.cols)
	}
	rowid, ok := vals[0].(int64)
	if !ok {
		return fmt.Errorf("variantdb: bulk %s: rowid %T, want int64", t.name, vals[0])
	}
	if t.rows > 0 && rowid <= t.last {
		return fmt.Errorf("variantdb: bulk %s: rowid %d after %d: rows must come in rowid order", t.name, rowid, t.last)
	}
	var err error
	if t.rec, err = appendRecord(t.rec[:0], vals, true); err != nil {
		return fmt.Errorf("variantdb: bulk %s: %w", t.name, err)
	}
	if err := t.leafCell(rowid, t.rec); err != nil {
		return err
	}
	t.rows++
	t.last = rowid
	return nil
}

// addRow is add for a row in rowBuf form (the loader's rows).
func (t *tableTree) addRow(row []byte) error {
	if t.cols == 0 {
		return fmt.Errorf("variantdb: bulk %s: no columns", t.name)
	}
	var err error
	var rowid int64
	if t.rec, rowid, err = t.scratch.appendRowRecord(t.rec[:0], row, t.cols, true); err != nil {
		return fmt.Errorf("variantdb: bulk %s: %w", t.name, err)
	}
	if t.rows > 0 && rowid <= t.last {
		return fmt.Errorf("variantdb: bulk %s: rowid %d after %d: rows must come in rowid order", t.name, rowid, t.last)
	}
	if err := t.leafCell(rowid, t.rec); err != nil {
		return err
	}
	t.rows++
	t.last = rowid
	return nil
}

// localPayload is how much of a P-byte payload a table leaf cell keeps on
// its page (the rest goes to overflow pages), per the file format.
func localPayload(p, u int) int {
	x := u - 35
	if p <= x {
		return p
	}
	m := (u-12)*32/255 - 23
	k := m + (p-m)%(u-4)
	if k <= x {
		return k
	}
	return m
}

func (t *tableTree) leafCell(rowid int64, payload []byte) error {
	local := localPayload(len(payload), t.usable)
	c := appendVarint(t.cell[:0], uint64(len(payload)))
	c = appendVarint(c, uint64(rowid))
	c = append(c, payload[:local]...)
	if local < len(payload) {
		// Overflow pages are written now, consecutively, so the first one's
		// number is known and each links to the next.
		first := t.sp.next()
		rest := payload[local:]
		page := make([]byte, t.usable)
		for len(rest) > 0 {
			clear(page)
			n := copy(page[4:], rest)
			rest = rest[n:]
			if len(rest) > 0 {
				binary.BigEndian.PutUint32(page, t.sp.next()+1)
			}
			if _, err := t.sp.put(pageOverflow, page); err != nil {
				return err
			}
		}
		c = binary.BigEndian.AppendUint32(c, first)
	}
	t.cell = c
	if !t.leaf.fits(len(c)) {
		pg, err := t.sp.put(pageLeaf, t.leaf.finish(0x0d, 0))
		if err != nil {
			return err
		}
		t.written[0]++
		t.leaf.reset()
		if err := t.addChild(0, child{pg, t.leafKey}); err != nil {
			return err
		}
	}
	t.leaf.add(c)
	t.leafKey = rowid
	return nil
}

// interior lays out entries as an interior page: every entry but the
// last is a cell, the last one's page is the right-most child.
func (t *tableTree) interior(entries []child) []byte {
	t.ipage.reset()
	for _, e := range entries[:len(entries)-1] {
		t.icell = interiorCell(t.icell[:0], e)
		t.ipage.add(t.icell)
	}
	return t.ipage.finish(0x05, entries[len(entries)-1].page)
}

func interiorCell(b []byte, e child) []byte {
	b = binary.BigEndian.AppendUint32(b, e.page)
	return appendVarint(b, uint64(e.key))
}

// addChild adds an entry to level i (0: the level above the leaves). A
// full page is written without its last entry, which starts the next page
// with the new one: every page, the last included, then has at least two
// children (SQLite expects an interior page to have a cell).
func (t *tableTree) addChild(i int, e child) error {
	if i == len(t.levels) {
		t.levels = append(t.levels, nil)
		t.written = append(t.written, 0)
	}
	lv := t.levels[i]
	// Size of the page with every current entry as a cell and e as the
	// right-most child.
	need := 12
	for _, x := range lv {
		need += 2 + 4 + varintLen(uint64(x.key))
	}
	if need > t.usable && len(lv) >= 3 {
		keep := lv[len(lv)-1]
		pg, err := t.sp.put(pageInterior, t.interior(lv[:len(lv)-1]))
		if err != nil {
			return err
		}
		t.written[i+1]++
		up := lv[len(lv)-2].key
		lv = append(lv[:0], keep)
		t.levels[i] = lv
		if err := t.addChild(i+1, child{pg, up}); err != nil {
			return err
		}
		lv = t.levels[i]
	}
	t.levels[i] = append(lv, e)
	return nil
}

// close writes the pages still open and keeps the root page in memory.
func (t *tableTree) close() error {
	if len(t.levels) == 0 {
		// One leaf (maybe empty) holds every row: it is the root.
		t.root = append([]byte(nil), t.leaf.finish(0x0d, 0)...)
		return nil
	}
	pg, err := t.sp.put(pageLeaf, t.leaf.finish(0x0d, 0))
	if err != nil {
		return err
	}
	t.written[0]++
	if err := t.addChild(0, child{pg, t.leafKey}); err != nil {
		return err
	}
	for i := 0; i < len(t.levels); i++ {
		lv := t.levels[i]
		if i == len(t.levels)-1 && t.written[i+1] == 0 {
			t.root = append([]byte(nil), t.interior(lv)...)
			return nil
		}
		pg, err := t.sp.put(pageInterior, t.interior(lv))
		if err != nil {
			return err
		}
		t.written[i+1]++
		if err := t.addChild(i+1, child{pg, lv[len(lv)-1].key}); err != nil {
			return err
		}
	}
	return errors.New("variantdb: bulk: no root") // not reached: the top level is the root
}

// appendVarint appends SQLite's big-endian varint (not Go's).
func appendVarint(b []byte, v uint64) []byte {
	if v > 0x00ffffffffffffff {
		var tmp [9]byte
		tmp[8] = byte(v)
		v >>= 8
		for i := 7; i >= 0; i-- {
			tmp[i] = byte(v&0x7f) | 0x80
			v >>= 7
		}
		return append(b, tmp[:]...)
	}
	var tmp [9]byte
	n := 0
	for {
		tmp[n] = byte(v&0x7f) | 0x80
		n++
		v >>= 7
		if v == 0 {
			break
		}
	}
	tmp[0] &= 0x7f
	for i := n - 1; i >= 0; i-- {
		b = append(b, tmp[i])
	}
	return b
}

func varintLen(v uint64) int {
	n := 1
	for v >>= 7; v != 0 && n < 9; v >>= 7 {
		n++
	}
	return n
}

// readVarint decodes SQLite's varint at b.
func readVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < 8; i++ {
		if i >= len(b) {
			return 0, 0
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	if len(b) < 9 {
		return 0, 0
	}
	return v<<8 | uint64(b[8]), 9
}

// appendRecord encodes a row in the record format: a header of serial
// types, then the values. With nullFirst the first value (a rowid alias,
// stored as the cell's key) is written as NULL.
func appendRecord(b []byte, vals []any, nullFirst bool) ([]byte, error) {
	var types [64]uint64
	ts := types[:0]
	if len(vals) > cap(ts) {
		ts = make([]uint64, 0, len(vals))
	}
	hdr := 0
	for i, v := range vals {
		var st uint64
		if i > 0 || !nullFirst {
			var err error
			if st, err = serialType(v); err != nil {
				return nil, fmt.Errorf("column %d: %w", i+1, err)
			}
		}
		ts = append(ts, st)
		hdr += varintLen(st)
	}
	// The header size counts its own varint.
	l := 1
	for varintLen(uint64(hdr+l)) > l {
		l++
	}
	b = appendVarint(b, uint64(hdr+l))
	for _, st := range ts {
		b = appendVarint(b, st)
	}
	for i, v := range vals {
		b = appendValue(b, v, ts[i])
	}
	return b, nil
}

func intSerialType(n int64) uint64 {
	switch {
	case n == 0:
		return 8
	case n == 1:
		return 9
	case n >= -128 && n <= 127:
		return 1
	case n >= -32768 && n <= 32767:
		return 2
	case n >= -8388608 && n <= 8388607:
		return 3
	case n >= math.MinInt32 && n <= math.MaxInt32:
		return 4
	case n >= -1<<47 && n <= 1<<47-1:
		return 5
	}
	return 6
}

func serialType(v any) (uint64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return intSerialType(x), nil
	case int:
		return intSerialType(int64(x)), nil
	case float64:
		if math.IsNaN(x) {
			return 0, nil // SQLite stores NaN as NULL
		}
		return 7, nil
	case string:
		return uint64(len(x))*2 + 13, nil
	case []byte:
		return uint64(len(x))*2 + 12, nil
	case bool:
		if x {
			return 9, nil
		}
		return 8, nil
	}
	return 0, fmt.Errorf("unsupported value type %T", v)
}

func appendValue(b []byte, v any, st uint64) []byte {
	if st == 0 {
		return b
	}
	switch x := v.(type) {
	case int64:
		return appendInt(b, x, st)
	case int:
		return appendInt(b, int64(x), st)
	case float64:
		return binary.BigEndian.AppendUint64(b, math.Float64bits(x))
	case string:
		return append(b, x...)
	case []byte:
		return append(b, x...)
	}
	return b // NULL, bool: no body
}

func appendInt(b []byte, n int64, st uint64) []byte {
	var size int
	switch st {
	case 1:
		size = 1
	case 2:
		size = 2
	case 3:
		size = 3
	case 4:
		size = 4
	case 5:
		size = 6
	case 6:
		size = 8
	default:
		return b // 0 and 1 are in the serial type
	}
	for i := size - 1; i >= 0; i-- {
		b = append(b, byte(uint64(n)>>(8*i)))
	}
	return b
}

// bulkTree is a table or index tree being bulk-loaded.
type bulkTree interface {
	add(vals ...any) error
	tableName() string
	setColumns(n int)
	close() error
	rootPage() []byte
}

func (t *tableTree) tableName() string { return t.name }
func (t *tableTree) setColumns(n int)  { t.cols = n }
func (t *tableTree) rootPage() []byte  { return t.root }
func (t *indexTree) tableName() string { return t.name }
func (t *indexTree) setColumns(n int)  { t.cols = n }
func (t *indexTree) rootPage() []byte  { return t.root }

// bulkTables are the tables loaded in bulk during one build.
type bulkTables struct {
	sp    *spool
	trees []bulkTree
	sinks map[string]rowSink // where the loader sends rows (asyncTrees)
}

func (bt *bulkTables) tree(name string) bulkTree {
	for _, t := range bt.trees {
		if t.tableName() == name {
			return t
		}
	}
	return nil
}

// table returns the rowid table name (nil if it is not bulk-loaded).
func (bt *bulkTables) table(name string) *tableTree {
	t, _ := bt.tree(name).(*tableTree)
	return t
}

// index returns the WITHOUT ROWID table name.
func (bt *bulkTables) index(name string) *indexTree {
	t, _ := bt.tree(name).(*indexTree)
	return t
}

// drop leaves table name to SQLite: it must then have no bulk rows.
func (bt *bulkTables) drop(name string) {
	bt.trees = slices.DeleteFunc(bt.trees, func(t bulkTree) bool { return t.tableName() == name })
}

func (bt *bulkTables) discard() { bt.sp.close() }

// install appends the spooled pages to the database file at path, which
// SQLite has closed: the pages move past the file's own, each tree's root
// replaces the empty root page SQLite made for it (roots: table name to
// page number), and the header's page count covers the new pages.
func (bt *bulkTables) install(path string, roots map[string]uint32) error {
	defer bt.sp.close()
	for _, t := range bt.trees {
		if err := t.close(); err != nil {
			return err
		}
	}
	if err := bt.sp.w.Flush(); err != nil {
		return fmt.Errorf("variantdb: bulk spool: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("variantdb: bulk install: %w", err)
	}
	defer f.Close()
	var hdr [100]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return fmt.Errorf("variantdb: bulk install: read header: %w", err)
	}
	size := int(binary.BigEndian.Uint16(hdr[16:]))
	if size == 1 {
		size = 65536
	}
	if size != bt.sp.size || hdr[20] != 0 {
		return fmt.Errorf("variantdb: bulk install: page size %d (reserved %d), spool has %d", size, hdr[20], bt.sp.size)
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("variantdb: bulk install: %w", err)
	}
	base := binary.BigEndian.Uint32(hdr[28:])
	if st.Size() != int64(base)*int64(size) {
		return fmt.Errorf("variantdb: bulk install: file has %d bytes, header says %d pages", st.Size(), base)
	}
	// The spool is read and written 128 pages at a time.
	w := io.NewOffsetWriter(f, int64(base)*int64(size))
	buf := make([]byte, 128*size)
	for i := 0; i < len(bt.sp.kind); i += 128 {
		pages := buf[:min(128, len(bt.sp.kind)-i)*size]
		if _, err := bt.sp.f.ReadAt(pages, int64(i)*int64(size)); err != nil {
			return fmt.Errorf("variantdb: bulk install: read spool: %w", err)
		}
		for j := 0; j*size < len(pages); j++ {
			if err := relocate(pages[j*size:(j+1)*size], bt.sp.kind[i+j], base, size); err != nil {
				return err
			}
		}
		if _, err := w.Write(pages); err != nil {
			return fmt.Errorf("variantdb: bulk install: %w", err)
		}
	}
	for _, t := range bt.trees {
		root, ok := roots[t.tableName()]
		if !ok || root < 2 || root > base {
			return fmt.Errorf("variantdb: bulk install: no root page for %s", t.tableName())
		}
		page := t.rootPage()
		var kind byte
		switch page[0] {
		case 0x0d:
			kind = pageLeaf
		case 0x0a:
			kind = pageIndexLeaf
		default:
			kind = pageInterior
		}
		if err := relocate(page, kind, base, size); err != nil {
			return err
		}
		if _, err := f.WriteAt(page, int64(root-1)*int64(size)); err != nil {
			return fmt.Errorf("variantdb: bulk install: %w", err)
		}
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], base+uint32(len(bt.sp.kind)))
	if _, err := f.WriteAt(n[:], 28); err != nil {
		return fmt.Errorf("variantdb: bulk install: %w", err)
	}
	return nil
}

// relocate adds base to every page number in a spooled page.
func relocate(p []byte, kind byte, base uint32, usable int) error {
	move := func(at int) {
		if v := binary.BigEndian.Uint32(p[at:]); v != 0 {
			binary.BigEndian.PutUint32(p[at:], v+base)
		}
	}
	switch kind {
	case pageOverflow:
		move(0)
	case pageIndexLeaf:
	case pageInterior:
		// Table and index interior pages alike: right-most child in the
		// header, each cell starting with its left child.
		move(8)
		for i := 0; i < int(binary.BigEndian.Uint16(p[3:])); i++ {
			move(int(binary.BigEndian.Uint16(p[12+2*i:])))
		}
	case pageLeaf:
		for i := 0; i < int(binary.BigEndian.Uint16(p[3:])); i++ {
			at := int(binary.BigEndian.Uint16(p[8+2*i:]))
			size, n := readVarint(p[at:])
			_, m := readVarint(p[at+n:])
			if n == 0 || m == 0 {
				return errors.New("variantdb: bulk install: bad cell")
			}
			if local := localPayload(int(size), usable); local < int(size) {
				move(at + n + m + local)
			}
		}
	}
	return nil
}

// indexTree bulk-loads an index B-tree: the storage of a WITHOUT ROWID
// table, whose rows (the whole record, primary key first) must arrive in
// key order. Unlike a table B-tree, an interior cell holds an entry of
// its own: when a leaf is full its last entry moves up as the separator
// and the leaf is written without it.
type indexTree struct {
	name    string
	cols    int
	sp      *spool
	usable  int
	maxCell int      // largest local payload; longer records are refused
	leaf    [][]byte // the current leaf's cells: varint size, then the record
	leafLen int      // their bytes, pointers included
	levels  []*indexLevel
	rows    int64
	rec     []byte
	root    []byte
}

// indexLevel is the open page of one interior level: cells (a left child
// and an entry) in order; the right-most child comes with the next
// separator or at close.
type indexLevel struct {
	cells   [][]byte // 4-byte child, then the entry cell
	size    int
	written int
}

func newIndexTree(name string, sp *spool) *indexTree {
	u := sp.size
	return &indexTree{name: name, sp: sp, usable: u, maxCell: (u-12)*64/255 - 23}
}

func (t *indexTree) add(vals ...any) error {
	if len(vals) != t.cols || t.cols == 0 {
		return fmt.Errorf("variantdb: bulk %s: %d values for %d columns", t.name, len(vals), t.cols)
	}
	var err error
	if t.rec, err = appendRecord(t.rec[:0], vals, false); err != nil {
		return fmt.Errorf("variantdb: bulk %s: %w", t.name, err)
	}
	rec := t.rec
	if len(rec) > t.maxCell {
		return fmt.Errorf("variantdb: bulk %s: entry of %d bytes is larger than a page keeps", t.name, len(rec))
	}
	c := appendVarint(make([]byte, 0, len(rec)+3), uint64(len(rec)))
	c = append(c, rec...)
	if 8+t.leafLen+2+len(c) > t.usable && len(t.leaf) >= 2 {
		// Full: the last entry goes up, the rest is written.
		last := t.leaf[len(t.leaf)-1]
		pg, err := t.sp.put(pageIndexLeaf, t.page(0x0a, t.leaf[:len(t.leaf)-1], 0))
		if err != nil {
			return err
		}
		t.leaf, t.leafLen = t.leaf[:0], 0
		if err := t.up(0, pg, last); err != nil {
			return err
		}
	}
	t.leaf = append(t.leaf, c)
	t.leafLen += 2 + len(c)
	t.rows++
	return nil
}

// page lays out cells (each already holding its child pointer on an
// interior page) on a page of type typ.
func (t *indexTree) page(typ byte, cells [][]byte, right uint32) []byte {
	hdr := 8
	if typ == 0x02 {
		hdr = 12
	}
	p := newPageBuf(t.usable, hdr)
	for _, c := range cells {
		p.add(c)
	}
	return p.finish(typ, right)
}

// up adds, at interior level i, the child page left of separator sep.
// A full page is written without its last cell, whose entry goes up and
// whose child becomes the written page's right-most child; the new page
// starts with the cell being added, so no page is ever left without a
// cell.
func (t *indexTree) up(i int, left uint32, sep []byte) error {
	if i == len(t.levels) {
		t.levels = append(t.levels, &indexLevel{})
	}
	lv := t.levels[i]
	cell := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(sep)), left)
	cell = append(cell, sep...)
	if 12+lv.size+2+len(cell) > t.usable && len(lv.cells) >= 2 {
		last := lv.cells[len(lv.cells)-1]
		pg, err := t.sp.put(pageInterior, t.page(0x02, lv.cells[:len(lv.cells)-1], binary.BigEndian.Uint32(last)))
		if err != nil {
			return err
		}
		lv.written++
		lv.cells, lv.size = nil, 0
		if err := t.up(i+1, pg, last[4:]); err != nil {
			return err
		}
	}
	lv.cells = append(lv.cells, cell)
	lv.size += 2 + len(cell)
	return nil
}

// close writes the open pages bottom up; the top one is the root.
func (t *indexTree) close() error {
	leaf := t.page(0x0a, t.leaf, 0)
	if len(t.levels) == 0 {
		t.root = append([]byte(nil), leaf...)
		return nil
	}
	right, err := t.sp.put(pageIndexLeaf, leaf)
	if err != nil {
		return err
	}
	for i, lv := range t.levels {
		p := t.page(0x02, lv.cells, right)
		if i == len(t.levels)-1 {
			t.root = append([]byte(nil), p...)
			return nil
		}
		if right, err = t.sp.put(pageInterior, p); err != nil {
			return err
		}
	}
	return nil
}
