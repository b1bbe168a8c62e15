package refdata

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// An annotation source is stored as two files (see docs/refdata.md):
//
//	NAME.idx: magic, a fixed header, then the keys (8 bytes each: uint32
//	          pos, uint32 allele code) sorted by (contig section, pos, input
//	          order), each record's uint16 payload offset within its block,
//	          the block table (per block: uint32 first pos, uint64 first
//	          record, uint64 payload offset; one sentinel entry more) and per
//	          contig its [first, end) block range.
//	NAME.dat: magic, the record bodies (in key order, back to back), then
//	          the string dictionaries and the ID prefix.
//
// A block holds at most srcBlock records and 64 KiB of bodies (a body that
// alone is larger starts a block of its own) and never spans two contigs,
// so a record's body is found in constant time: block offset + its own
// offset, up to the next record's. A key is enough to reject a candidate
// and, for short ACGT alleles (nearly all), to accept it: the allele code
// holds both alleles exactly. Only a hit (or a long allele) reads a body.
var (
	srcIdxMagic = [8]byte{'G', 'A', 'S', 'S', 'I', 0, 0, FormatVersion}
	srcDatMagic = [8]byte{'G', 'A', 'S', 'S', 'D', 0, 0, FormatVersion}
)

// srcBlock is the most records in a block: a lookup binary-searches the
// small table of block start positions, then at most srcBlock keys.
const srcBlock = 64

// maxBlockBytes bounds the bodies of a block, so that a record's offset in
// its block fits in 16 bits.
const maxBlockBytes = 1 << 16

// srcHeaderSize is the fixed header after the magic of NAME.idx.
const srcHeaderSize = 64

// Header flags.
const srcFlagIDs = 1 // bodies start with an ID code

// Stored value kinds.
const (
	stString uint8 = iota
	stFloat
	stInt
	stFlag
)

var storedNames = [...]string{stString: "String", stFloat: "Float", stInt: "Integer", stFlag: "Flag"}

func storedKind(name string) (uint8, bool) {
	for k, n := range storedNames {
		if n == name {
			return uint8(k), true
		}
	}
	return 0, false
}

// Allele codes. A normalised allele pair whose bases are all A, C, G or T
// and which has at most 11 bases in all is coded exactly: ref length (bits
// 27-30), alt length (bits 23-26), then 2 bits per base, ref first. Anything
// else is a 31-bit hash with the top bit set, and the alleles are stored in
// the body.
const (
	longAllele   = 1 << 31
	maxCodeBases = 11
)

func baseBits(c byte) (uint32, bool) {
	switch c {
	case 'A':
		return 0, true
	case 'C':
		return 1, true
	case 'G':
		return 2, true
	case 'T':
		return 3, true
	}
	return 0, false
}

// alleleCode codes a normalised, upper-case allele pair; exact reports
// whether the code holds the alleles themselves.
func alleleCode(ref, alt []byte) (code uint32, exact bool) {
	if len(ref)+len(alt) <= maxCodeBases {
		code = uint32(len(ref))<<27 | uint32(len(alt))<<23
		shift := 0
		exact = true
		for _, s := range [2][]byte{ref, alt} {
			for _, c := range s {
				b, ok := baseBits(c)
				if !ok {
					exact = false
					break
				}
				code |= b << shift
				shift += 2
			}
		}
		if exact {
			return code, true
		}
	}
	return alleleHash(ref, alt) | longAllele, false
}

// alleleHash hashes normalised ref and alt (FNV-1a, with a separator).
func alleleHash(ref, alt []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range ref {
		h = (h ^ uint32(c)) * 16777619
	}
	h = (h ^ '>') * 16777619
	for _, c := range alt {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// ID codes at the start of a body (sources with IDs): 0 no ID; 1 the same
// ID as an earlier record of the block, d records back (a uvarint d
// follows: the other alleles of a multi-allelic record); otherwise k =
// code-2: k even is the number k/2 after the source's ID prefix ("rs" for
// dbSNP), k odd an inline ID of k/2 bytes that follow.
const (
	idNone = 0
	idSame = 1
)

// appendIDCode appends the ID code of id given the source's prefix.
func appendIDCode(dst, id, prefix []byte) []byte {
	if len(id) == 0 || len(id) == 1 && id[0] == '.' {
		return append(dst, idNone)
	}
	if n, ok := numericID(id, prefix); ok && n < 1<<61 {
		return binary.AppendUvarint(dst, 2+n<<1)
	}
	dst = binary.AppendUvarint(dst, 2+uint64(len(id))<<1+1)
	return append(dst, id...)
}

// numericID reads id as prefix + a decimal number without leading zeros.
func numericID(id, prefix []byte) (uint64, bool) {
	if len(id) <= len(prefix) || string(id[:len(prefix)]) != string(prefix) {
		return 0, false
	}
	d := id[len(prefix):]
	if len(d) > 18 || d[0] == '0' && len(d) > 1 {
		return 0, false
	}
	var n uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// idPrefixOf guesses a source's ID prefix from one ID: its leading letters
// when digits (without a leading zero) follow, as in rs123 or COSV42.
func idPrefixOf(id []byte) ([]byte, bool) {
	i := 0
	for i < len(id) && (id[i] >= 'a' && id[i] <= 'z' || id[i] >= 'A' && id[i] <= 'Z') {
		i++
	}
	if _, ok := numericID(id, id[:i]); !ok {
		return nil, false
	}
	return id[:i], true
}

// idSpan returns the length of the ID part at the start of body.
func idSpan(body []byte) int {
	c, w := binary.Uvarint(body)
	if w <= 0 {
		return 0
	}
	switch {
	case c == idSame:
		_, w2 := binary.Uvarint(body[w:])
		if w2 <= 0 {
			return len(body)
		}
		return w + w2
	case c >= 2 && (c-2)&1 == 1:
		n := int((c - 2) >> 1)
		if n > len(body)-w {
			return len(body)
		}
		return w + n
	}
	return w
}

// srcWriter writes the two files of one source from records arriving in
// final order: grouped by contig, ascending position within a contig.
type srcWriter struct {
	idx, dat *os.File
	kw, pw   *bufio.Writer
	tmp      [2]*os.File // record offsets, block table
	ow, bw   *bufio.Writer
	kbuf     [8]byte // one key or offset on its way to kw or ow
	n        uint64  // records
	payLen   uint64
	nblocks  uint64
	inBlock  int    // records in the current block
	blockOff uint64 // payload offset of the current block
	ranges   [][2]uint64
	done     []bool
	cur      int
	hasIDs   bool
	lastID   []byte // ID part of the block's last record with an explicit ID
	lastIDAt int    // its index in the block, -1 if none
	scratch  []byte
}

func newSrcWriter(idxPath, datPath string, hasIDs bool) (*srcWriter, error) {
	w := &srcWriter{cur: -1, hasIDs: hasIDs}
	var err error
	if w.idx, err = os.Create(idxPath); err != nil {
		return nil, err
	}
	if w.dat, err = os.Create(datPath); err != nil {
		w.idx.Close()
		return nil, err
	}
	dir := filepath.Dir(idxPath)
	for i := range w.tmp {
		if w.tmp[i], err = os.CreateTemp(dir, ".src-table-"); err != nil {
			w.abort()
			return nil, err
		}
	}
	w.kw = newBundleWriter(w.idx)
	w.pw = newBundleWriter(w.dat)
	w.ow = bufio.NewWriterSize(w.tmp[0], 1<<18)
	w.bw = bufio.NewWriterSize(w.tmp[1], 1<<16)
	w.kw.Write(srcIdxMagic[:])
	w.kw.Write(make([]byte, srcHeaderSize))
	w.pw.Write(srcDatMagic[:])
	return w, nil
}

// abort closes the files and removes the temporary tables (the data files
// are removed with the build directory).
func (w *srcWriter) abort() {
	for _, f := range []*os.File{w.idx, w.dat, w.tmp[0], w.tmp[1]} {
		if f != nil {
			f.Close()
		}
	}
	for _, f := range w.tmp {
		if f != nil {
			os.Remove(f.Name())
		}
	}
}

// startBlock begins a block at the current record.
func (w *srcWriter) startBlock(pos uint32) {
	var b [20]byte
	binary.LittleEndian.PutUint32(b[0:], pos)
	binary.LittleEndian.PutUint64(b[4:], w.n)
	binary.LittleEndian.PutUint64(b[12:], w.payLen)
	w.bw.Write(b[:])
	w.nblocks++
	w.inBlock = 0
	w.blockOff = w.payLen
	w.lastIDAt = -1
}

// add appends one record. body is the stored body (ID part first when the
// source has IDs); the writer replaces an ID equal to that of an earlier
// record in the block by a back reference.
func (w *srcWriter) add(contig int, pos, code uint32, body []byte) error {
	newBlock := w.inBlock == srcBlock || w.payLen-w.blockOff+uint64(len(body)) > maxBlockBytes-1 && w.inBlock > 0
	if contig != w.cur {
		if contig < len(w.done) && w.done[contig] {
			return fmt.Errorf("contig %d seen twice: records not grouped by contig", contig)
		}
		if w.cur >= 0 {
			w.ranges[w.cur][1] = w.nblocks
			w.done[w.cur] = true
		}
		for len(w.ranges) <= contig {
			w.ranges = append(w.ranges, [2]uint64{})
			w.done = append(w.done, false)
		}
		w.cur = contig
		newBlock = true
		w.ranges[contig] = [2]uint64{w.nblocks, w.nblocks}
	}
	if newBlock || w.n == 0 {
		w.startBlock(pos)
	}
	if w.hasIDs {
		n := idSpan(body)
		id := body[:n]
		if n > 1 && w.lastIDAt >= 0 && string(id) == string(w.lastID) {
			w.scratch = append(w.scratch[:0], idSame)
			w.scratch = binary.AppendUvarint(w.scratch, uint64(w.inBlock-w.lastIDAt))
			w.scratch = append(w.scratch, body[n:]...)
			body = w.scratch
		} else if n > 1 {
			w.lastID = append(w.lastID[:0], id...)
			w.lastIDAt = w.inBlock
		}
	}
	k := w.kbuf[:] // a field: a local array written through an io.Writer escapes, 8 bytes of garbage a record
	binary.LittleEndian.PutUint32(k[:4], pos)
	binary.LittleEndian.PutUint32(k[4:], code)
	w.kw.Write(k)
	binary.LittleEndian.PutUint16(k[:2], uint16(w.payLen-w.blockOff))
	w.ow.Write(k[:2])
	if _, err := w.pw.Write(body); err != nil {
		return err
	}
	w.payLen += uint64(len(body))
	w.n++
	w.inBlock++
	return nil
}

// finish writes the tables, the dictionaries and the header, and closes
// the files. ncontigs is the final number of bundle contigs.
func (w *srcWriter) finish(ncontigs int, nfields int, dicts [][]string, prefix []byte) error {
	defer w.abort()
	if w.cur >= 0 {
		w.ranges[w.cur][1] = w.nblocks
	}
	for len(w.ranges) < ncontigs {
		w.ranges = append(w.ranges, [2]uint64{w.nblocks, w.nblocks})
	}
	// The sentinel block: where the next block would start.
	var b [20]byte
	binary.LittleEndian.PutUint64(b[4:], w.n)
	binary.LittleEndian.PutUint64(b[12:], w.payLen)
	w.bw.Write(b[:])
	for _, bw := range []*bufio.Writer{w.ow, w.bw} {
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	for _, f := range w.tmp {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.Copy(w.kw, f); err != nil {
			return err
		}
	}
	for _, r := range w.ranges {
		binary.LittleEndian.PutUint64(b[:8], r[0])
		binary.LittleEndian.PutUint64(b[8:16], r[1])
		w.kw.Write(b[:16])
	}
	// The dat tail: per field its dictionary, then the ID prefix.
	var tail []byte
	for f := 0; f < nfields; f++ {
		var d []string
		if f < len(dicts) {
			d = dicts[f]
		}
		tail = binary.AppendUvarint(tail, uint64(len(d)))
		for _, s := range d {
			tail = binary.AppendUvarint(tail, uint64(len(s)))
			tail = append(tail, s...)
		}
	}
	tail = binary.AppendUvarint(tail, uint64(len(prefix)))
	tail = append(tail, prefix...)
	w.pw.Write(tail)
	if err := w.kw.Flush(); err != nil {
		return err
	}
	if err := w.pw.Flush(); err != nil {
		return err
	}
	var flags uint32
	if w.hasIDs {
		flags |= srcFlagIDs
	}
	hdr := make([]byte, srcHeaderSize)
	binary.LittleEndian.PutUint32(hdr[0:], uint32(len(w.ranges)))
	binary.LittleEndian.PutUint32(hdr[4:], uint32(nfields))
	binary.LittleEndian.PutUint64(hdr[8:], w.n)
	binary.LittleEndian.PutUint64(hdr[16:], w.nblocks)
	binary.LittleEndian.PutUint64(hdr[24:], w.payLen)
	binary.LittleEndian.PutUint32(hdr[32:], flags)
	if _, err := w.idx.WriteAt(hdr, 8); err != nil {
		return err
	}
	if err := w.idx.Close(); err != nil {
		return err
	}
	return w.dat.Close()
}

// srcIndex is an opened source; its slices alias the mapped files.
type srcIndex struct {
	ranges  [][2]int64 // per contig of the file: [first, end) block (may be fewer contigs than the bundle's)
	blocks  []byte     // per block and a sentinel: uint32 pos, uint64 first record, uint64 body offset
	keys    []byte
	offs    []byte // uint16 body offset of each record in its block
	pay     []byte
	dicts   [][][]byte
	prefix  []byte
	hasIDs  bool
	kinds   []uint8
	nfields int
	n       int64 // records
	payLen  int64
}

const blockEntry = 20

// parseSource checks the two mapped files of a source and slices them. The
// file may know fewer contigs than the bundle (contigs added later by
// another source) but never more. Block tables are checked once here so
// that lookups can trust them.
func parseSource(idx, dat []byte, ncontigs int, kinds []uint8) (*srcIndex, error) {
	if len(idx) < 8+srcHeaderSize || len(dat) < 8 {
		return nil, errCorrupt
	}
	for _, m := range []struct {
		b []byte
		m [8]byte
	}{{idx, srcIdxMagic}, {dat, srcDatMagic}} {
		d := &decoder{b: m.b}
		if d.magic(m.m); d.err != nil {
			return nil, d.err
		}
	}
	h := idx[8 : 8+srcHeaderSize]
	nc := uint64(binary.LittleEndian.Uint32(h[0:]))
	nf := int(binary.LittleEndian.Uint32(h[4:]))
	n := binary.LittleEndian.Uint64(h[8:])
	nblocks := binary.LittleEndian.Uint64(h[16:])
	payLen := binary.LittleEndian.Uint64(h[24:])
	flags := binary.LittleEndian.Uint32(h[32:])
	if nc > uint64(ncontigs) {
		return nil, fmt.Errorf("%d contigs, the bundle has %d: %w", nc, ncontigs, errCorrupt)
	}
	if nf != len(kinds) {
		return nil, fmt.Errorf("%d fields, the manifest lists %d: %w", nf, len(kinds), errCorrupt)
	}
	size := uint64(len(idx))
	if n > size/10 || nblocks > n || (nblocks+1)*blockEntry > size ||
		8+srcHeaderSize+n*10+(nblocks+1)*blockEntry+nc*16 != size {
		return nil, fmt.Errorf("index sizes do not add up: %w", errCorrupt)
	}
	if payLen > uint64(len(dat))-8 {
		return nil, fmt.Errorf("payload sizes do not add up: %w", errCorrupt)
	}
	s := &srcIndex{hasIDs: flags&srcFlagIDs != 0, kinds: kinds, nfields: nf}
	at := uint64(8 + srcHeaderSize)
	s.keys = idx[at : at+n*8 : at+n*8]
	at += n * 8
	s.offs = idx[at : at+n*2 : at+n*2]
	at += n * 2
	s.blocks = idx[at : at+(nblocks+1)*blockEntry : at+(nblocks+1)*blockEntry]
	at += (nblocks + 1) * blockEntry
	s.n, s.payLen = int64(n), int64(payLen)
	// Only the ends of the block table are checked here (Open must not
	// read a table in proportion to its size): the accessors clamp every
	// value into range, so a corrupt table gives wrong answers, never a
	// crash, and Verify finds it.
	if nblocks == 0 && n != 0 || s.blockFirst(0) != 0 || s.blockOff(0) != 0 ||
		uint64(s.blockFirst(int64(nblocks))) != n || uint64(s.blockOff(int64(nblocks))) != payLen {
		return nil, fmt.Errorf("block table: %w", errCorrupt)
	}
	s.ranges = make([][2]int64, nc)
	for i := range s.ranges {
		a := binary.LittleEndian.Uint64(idx[at:])
		b := binary.LittleEndian.Uint64(idx[at+8:])
		at += 16
		if a > b || b > nblocks {
			return nil, fmt.Errorf("contig ranges: %w", errCorrupt)
		}
		s.ranges[i] = [2]int64{int64(a), int64(b)}
	}
	s.pay = dat[8 : 8+payLen : 8+payLen]
	d := &decoder{b: dat[8+payLen:]}
	s.dicts = make([][][]byte, nf)
	for f := 0; f < nf; f++ {
		cnt := d.int(uint64(len(d.b)))
		if d.err != nil {
			return nil, fmt.Errorf("dictionaries: %w", d.err)
		}
		if cnt > 0 && kinds[f] != stString {
			return nil, fmt.Errorf("dictionary for a non-string field: %w", errCorrupt)
		}
		ents := make([][]byte, cnt)
		for i := range ents {
			ents[i] = d.bytes(d.int(uint64(len(d.b))))
		}
		s.dicts[f] = ents
	}
	s.prefix = d.bytes(d.int(uint64(len(d.b))))
	if d.err != nil {
		return nil, fmt.Errorf("dictionaries: %w", d.err)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes: %w", len(d.b), errCorrupt)
	}
	return s, nil
}

func (s *srcIndex) blockPos(b int64) uint32 {
	return binary.LittleEndian.Uint32(s.blocks[b*blockEntry:])
}
func (s *srcIndex) blockFirst(b int64) int64 {
	return int64(min(binary.LittleEndian.Uint64(s.blocks[b*blockEntry+4:]), uint64(s.n)))
}
func (s *srcIndex) blockOff(b int64) int64 {
	return int64(min(binary.LittleEndian.Uint64(s.blocks[b*blockEntry+12:]), uint64(s.payLen)))
}
func (s *srcIndex) keyPos(i int64) uint32  { return binary.LittleEndian.Uint32(s.keys[8*i:]) }
func (s *srcIndex) keyCode(i int64) uint32 { return binary.LittleEndian.Uint32(s.keys[8*i+4:]) }
func (s *srcIndex) recOff(i int64) int64   { return int64(binary.LittleEndian.Uint16(s.offs[2*i:])) }

// Cursor remembers where the previous lookup of one source ended, so that
// lookups along sorted input (the usual VCF) search forward from there
// instead of from the whole table. The zero value is ready; use one per
// source and goroutine.
type Cursor struct {
	contig int
	block  int64
	valid  bool
}

// first returns the first record of contig at or after pos and its block.
func (s *srcIndex) first(cur *Cursor, contig int, p uint32) (rec, blk int64, ok bool) {
	if contig < 0 || contig >= len(s.ranges) {
		return 0, 0, false
	}
	bLo, bHi := s.ranges[contig][0], s.ranges[contig][1]
	if bLo == bHi {
		return 0, 0, false
	}
	// a: the first block of the contig starting at or after p.
	a, z := bLo, bHi
	if cur != nil && cur.valid && cur.contig == contig && cur.block >= bLo && cur.block <= bHi &&
		(cur.block == bLo || s.blockPos(cur.block-1) < p) {
		// Every block before the previous answer starts before p: gallop
		// forward from it (sorted input moves a few blocks at a time).
		a = cur.block
		if a < bHi && s.blockPos(a) < p {
			prev, step := a, int64(1)
			for {
				next := prev + step
				if next >= bHi {
					a, z = prev+1, bHi
					break
				}
				if s.blockPos(next) >= p {
					a, z = prev+1, next
					break
				}
				prev, step = next, step<<1
			}
		} else {
			z = a
		}
	}
	for a < z {
		mid := int64(uint64(a+z) >> 1)
		if s.blockPos(mid) < p {
			a = mid + 1
		} else {
			z = mid
		}
	}
	if cur != nil {
		*cur = Cursor{contig: contig, block: a, valid: true}
	}
	if a == bLo {
		return s.blockFirst(a), a, true
	}
	// The answer is in block a-1 (records from before p up to some at or
	// after it) or is the first record of block a.
	blk = a - 1
	lo := s.blockIndex(blk, p)
	if lo == s.blockFirst(blk+1) {
		if a == bHi {
			return 0, 0, false
		}
		blk = a
	}
	return lo, blk, true
}

// blockIndex returns the first record of block blk whose position is at or
// after p (the block's end when there is none). Positions within a block
// are close to evenly spread, so it starts where p falls between the
// block's first position and the next block's and walks from there: one or
// two cache lines of keys instead of the four or five a binary search over
// the block's 512 bytes of keys touches, each a miss at dbSNP scale.
func (s *srcIndex) blockIndex(blk int64, p uint32) int64 {
	lo, hi := s.blockFirst(blk), s.blockFirst(blk+1)
	if lo >= hi {
		return hi
	}
	first, next := s.blockPos(blk), s.blockPos(blk+1)
	if next <= first {
		// The last block of a contig (the next one starts another contig,
		// or is the sentinel, position 0): bound by its own last key.
		next = s.keyPos(hi - 1)
	}
	i := lo
	if p > first && next > first {
		i = lo + int64(uint64(hi-lo)*uint64(p-first)/uint64(next-first+1))
		i = min(max(i, lo), hi-1)
	}
	if s.keyPos(i) < p {
		for i++; i < hi && s.keyPos(i) < p; i++ {
		}
		return i
	}
	for i > lo && s.keyPos(i-1) >= p {
		i--
	}
	return i
}

// body returns the body of record i of block blk.
func (s *srcIndex) body(i, blk int64) []byte {
	base := s.blockOff(blk)
	start := base + s.recOff(i)
	end := s.blockOff(blk + 1)
	if i+1 < s.blockFirst(blk+1) {
		end = base + s.recOff(i+1)
	}
	if start > end || end > s.payLen {
		return nil
	}
	return s.pay[start:end:end]
}

// idOf resolves the ID part of record i's body (following a back
// reference to an earlier record of the block).
func (s *srcIndex) idOf(i, blk int64, id []byte) []byte {
	c, w := binary.Uvarint(id)
	if w <= 0 || c != idSame {
		return id
	}
	d, w2 := binary.Uvarint(id[w:])
	j := i - int64(d)
	if w2 <= 0 || d == 0 || j < s.blockFirst(blk) {
		return nil
	}
	b := s.body(j, blk)
	id = b[:idSpan(b)]
	if len(id) > 0 && id[0] == idSame {
		return nil // references do not chain
	}
	return id
}

// Allele is a normalised allele to look up in every source of a bundle:
// upper-cased, common suffix then common prefix trimmed (moving Pos). Set it
// once per ALT; it reuses its buffers, so lookups do not allocate.
type Allele struct {
	pos      int
	ref, alt []byte
	rb, ab   []byte
	code     uint32
	exact    bool
	ok       bool
}

// Set normalises pos, ref and alt. It reports false when nothing is left
// to look up (REF equal to ALT, or a position out of range).
func (a *Allele) Set(pos int, ref, alt []byte) bool {
	a.rb = appendUpper(a.rb[:0], ref)
	a.ab = appendUpper(a.ab[:0], alt)
	p, r, x := normalise(pos, a.rb, a.ab)
	a.ok = !(len(r) == 0 && len(x) == 0) && p > 0 && p <= math.MaxUint32
	a.pos, a.ref, a.alt = p, r, x
	if a.ok {
		a.code, a.exact = alleleCode(r, x)
	}
	return a.ok
}

// Pos, Ref and Alt return the normalised allele.
func (a *Allele) Pos() int    { return a.pos }
func (a *Allele) Ref() []byte { return a.ref }
func (a *Allele) Alt() []byte { return a.alt }

func appendUpper(dst, s []byte) []byte {
	for _, c := range s {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// normalise trims the common suffix, then the common prefix, of ref and alt,
// moving pos past the trimmed prefix. Either allele may become empty (a pure
// insertion or deletion).
func normalise(pos int, ref, alt []byte) (int, []byte, []byte) {
	for len(ref) > 0 && len(alt) > 0 && ref[len(ref)-1] == alt[len(alt)-1] {
		ref, alt = ref[:len(ref)-1], alt[:len(alt)-1]
	}
	for len(ref) > 0 && len(alt) > 0 && ref[0] == alt[0] {
		ref, alt = ref[1:], alt[1:]
		pos++
	}
	return pos, ref, alt
}

// lookup finds the allele and fills h. The first record with the same
// alleles wins.
func (s *srcIndex) lookup(cur *Cursor, contig int, a *Allele, h *Hit) bool {
	if !a.ok {
		return false
	}
	p := uint32(a.pos)
	i, blk, ok := s.first(cur, contig, p)
	if !ok {
		return false
	}
	end := s.blockFirst(s.ranges[contig][1])
	for ; i < end; i++ {
		if s.keyPos(i) != p {
			return false
		}
		if s.keyCode(i) != a.code {
			continue
		}
		for blk+1 < int64(len(s.blocks)/blockEntry) && i >= s.blockFirst(blk+1) {
			blk++
		}
		rest := s.body(i, blk)
		var id []byte
		if s.hasIDs {
			n := idSpan(rest)
			id, rest = s.idOf(i, blk, rest[:n]), rest[n:]
		}
		if !a.exact {
			d := decoder{b: rest}
			r := d.bytes(d.int(uint64(len(d.b))))
			x := d.bytes(d.int(uint64(len(d.b))))
			if d.err != nil {
				return false
			}
			if string(r) != string(a.ref) || string(x) != string(a.alt) {
				continue
			}
			rest = d.b
		}
		return h.fill(s, id, rest)
	}
	return false
}

// Hit holds what one source says about one allele. It is reused between
// lookups (no allocation once its buffers have grown); its slices alias the
// bundle and are valid until the next lookup into the same Hit.
type Hit struct {
	s     *srcIndex
	idRaw []byte // ID part of the body, or the ID itself for text hits
	idBuf []byte
	vals  [][]byte // per field: stored bytes (nil: missing); text for text hits
	text  bool
}

func (h *Hit) fill(s *srcIndex, id, rest []byte) bool {
	h.s, h.idRaw, h.text = s, id, false
	h.vals = h.vals[:0]
	if s.nfields == 0 {
		return true
	}
	nb := (s.nfields + 7) / 8
	if len(rest) < nb {
		return false
	}
	bm, rest := rest[:nb], rest[nb:]
	for f := 0; f < s.nfields; f++ {
		if bm[f>>3]&(1<<(f&7)) == 0 {
			h.vals = append(h.vals, nil)
			continue
		}
		switch s.kinds[f] {
		case stFloat:
			if len(rest) < 4 {
				return false
			}
			h.vals = append(h.vals, rest[:4:4])
			rest = rest[4:]
		case stInt:
			_, w := binary.Varint(rest)
			if w <= 0 {
				return false
			}
			h.vals = append(h.vals, rest[:w:w])
			rest = rest[w:]
		case stFlag:
			h.vals = append(h.vals, rest[:0:0])
		default:
			c, w := binary.Uvarint(rest)
			if w <= 0 {
				return false
			}
			rest = rest[w:]
			if c&1 == 1 {
				d := s.dicts[f]
				if c>>1 >= uint64(len(d)) {
					return false
				}
				h.vals = append(h.vals, d[c>>1])
			} else {
				n := c >> 1
				if n > uint64(len(rest)) {
					return false
				}
				h.vals = append(h.vals, rest[:n:n])
				rest = rest[n:]
			}
		}
	}
	return true
}

// SetText fills h from text, for references that are not bundles (tests,
// adapters): id is the ID ('.' or empty for none) and vals the field values
// in the source's field order (nil: missing).
func (h *Hit) SetText(id []byte, vals [][]byte) {
	h.s, h.text, h.idRaw = nil, true, id
	h.vals = append(h.vals[:0], vals...)
}

// ID returns the allele's ID in the source, nil when it has none.
func (h *Hit) ID() []byte {
	if h.text {
		if len(h.idRaw) == 0 || len(h.idRaw) == 1 && h.idRaw[0] == '.' {
			return nil
		}
		return h.idRaw
	}
	if h.s == nil || !h.s.hasIDs || len(h.idRaw) == 0 {
		return nil
	}
	c, w := binary.Uvarint(h.idRaw)
	switch {
	case w <= 0 || c == idNone || c == idSame:
		return nil
	case (c-2)&1 == 1:
		return h.idRaw[w:]
	}
	h.idBuf = append(h.idBuf[:0], h.s.prefix...)
	h.idBuf = appendUint(h.idBuf, (c-2)>>1)
	return h.idBuf
}

func appendUint(dst []byte, n uint64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// NumFields is the number of field values the hit holds.
func (h *Hit) NumFields() int { return len(h.vals) }

// Has reports whether AppendValue would give a value for field f, without
// formatting it.
func (h *Hit) Has(f int) bool {
	if f < 0 || f >= len(h.vals) {
		return false
	}
	return h.vals[f] != nil || !h.text && h.s.kinds[f] == stFlag
}

// AppendValue appends the text of field f and reports whether the allele
// has a value for it. Floats are written in the shortest form that reads
// back as the stored float32; a flag gives 1 when set and 0 when not (an
// allele in the source either has it or not). Strings are raw: the caller
// escapes them for its output.
func (h *Hit) AppendValue(dst []byte, f int) ([]byte, bool) {
	if f < 0 || f >= len(h.vals) {
		return dst, false
	}
	v := h.vals[f]
	if h.text {
		return append(dst, v...), v != nil
	}
	kind := h.s.kinds[f]
	if kind == stFlag {
		if v != nil {
			return append(dst, '1'), true
		}
		return append(dst, '0'), true
	}
	if v == nil {
		return dst, false
	}
	switch kind {
	case stFloat:
		x := math.Float32frombits(binary.LittleEndian.Uint32(v))
		return appendFloat32(dst, x), true
	case stInt:
		n, _ := binary.Varint(v)
		return appendInt(dst, n), true
	}
	return append(dst, v...), true
}

func appendInt(dst []byte, n int64) []byte {
	if n < 0 {
		return appendUint(append(dst, '-'), uint64(-n))
	}
	return appendUint(dst, uint64(n))
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}

// appendFloat32 writes the shortest decimal that reads back as x. Values
// between 1e-6 and 1e9 (frequencies, scores) take a fast path: the fewest
// fractional digits (up to 8) that round-trip, in plain notation; the
// rest, and anything the fast path cannot prove, go to strconv.
func appendFloat32(dst []byte, x float32) []byte {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	if ax >= 1e-6 && ax < 1e9 {
		for d := 0; d < len(pow10); d++ {
			k := math.Round(float64(ax) * pow10[d])
			if k >= 1<<53 {
				break
			}
			if float32(k/pow10[d]) != ax {
				continue
			}
			n := uint64(k)
			if x < 0 {
				dst = append(dst, '-')
			}
			if d == 0 {
				return appendUint(dst, n)
			}
			var buf [24]byte
			digits := appendUint(buf[:0], n)
			for len(digits) <= d {
				// Leading zeros of the fraction (0.0012).
				digits = append(digits, 0)
				copy(digits[1:], digits)
				digits[0] = '0'
			}
			ip := len(digits) - d
			dst = append(dst, digits[:ip]...)
			dst = append(dst, '.')
			return append(dst, digits[ip:]...)
		}
	}
	return strconv.AppendFloat(dst, float64(x), 'g', -1, 32)
}
