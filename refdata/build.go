package refdata

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// contigSet assigns contig IDs during a build, matching chr-prefixed and
// plain names to each other so that sources using either spelling agree.
type contigSet struct {
	names  []string
	idx    map[string]int
	length []int64
	hasSeq []bool
}

// aliases lists the other spellings a contig name may have in other files.
func aliases(name string) []string {
	switch name {
	case "chrM":
		return []string{"MT", "M", "chrMT"}
	case "MT":
		return []string{"chrM", "M", "chrMT"}
	}
	if s, ok := strings.CutPrefix(name, "chr"); ok {
		return []string{s}
	}
	return []string{"chr" + name}
}

// resolve returns the ID of name or of one of its aliases, adding name as a
// new contig (without sequence) when add is set.
func (c *contigSet) resolve(name string, add bool) (int, bool) {
	if id, ok := c.idx[name]; ok {
		return id, true
	}
	for _, a := range aliases(name) {
		if id, ok := c.idx[a]; ok {
			return id, true
		}
	}
	if !add {
		return 0, false
	}
	id := len(c.names)
	c.idx[name] = id
	c.names = append(c.names, name)
	c.length = append(c.length, 0)
	c.hasSeq = append(c.hasSeq, false)
	return id, true
}

func (c *contigSet) see(id int, end int64) {
	if !c.hasSeq[id] && end > c.length[id] {
		c.length[id] = end
	}
}

// Build reads the sources and writes a bundle directory at opt.Out, which
// must not exist yet. Everything is written to a temporary directory next to
// it and renamed at the end, so a failed or cancelled build leaves no bundle.
func Build(ctx context.Context, opt BuildOptions) (*Manifest, error) {
	if opt.Out == "" || opt.Genes == "" || opt.Name == "" {
		return nil, errors.New("refdata: build: name, genes and out are required")
	}
	if _, err := os.Lstat(opt.Out); err == nil {
		return nil, fmt.Errorf("refdata: build: %s already exists", opt.Out)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(opt.Out), "."+filepath.Base(opt.Out)+".building-")
	if err != nil {
		return nil, fmt.Errorf("refdata: build: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	m, err := build(ctx, opt, tmp)
	if err != nil {
		return nil, fmt.Errorf("refdata: build %s: %w", opt.Name, err)
	}
	if err := os.Rename(tmp, opt.Out); err != nil {
		return nil, fmt.Errorf("refdata: build: %w", err)
	}
	ok = true
	return m, nil
}

func build(ctx context.Context, opt BuildOptions, dir string) (*Manifest, error) {
	m := &Manifest{
		Name: opt.Name, Assembly: opt.Assembly, Created: time.Now().UTC().Truncate(time.Second),
		FormatVersion: FormatVersion, Version: opt.Version,
		Counts: Counts{TrackIntervals: map[string]int64{}},
	}
	cs := &contigSet{idx: map[string]int{}}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// 1. Sequence: the FASTA order defines the contig IDs.
	seqF, err := os.Create(filepath.Join(dir, sequenceFile))
	if err != nil {
		return nil, err
	}
	defer seqF.Close()
	if opt.FASTA != "" {
		src, err := openSource(opt.FASTA, "fasta", "sequence", opt.Progress)
		if err != nil {
			return nil, err
		}
		contigs, err := writeFASTA(ctx, src.r, seqF, opt.FASTA)
		if err != nil {
			src.close()
			return nil, err
		}
		s, err := src.finish()
		if err != nil {
			return nil, err
		}
		m.Sources = append(m.Sources, s)
		for _, c := range contigs {
			if _, dup := cs.resolve(c.name, false); dup {
				return nil, fmt.Errorf("%s: sequences %s and an alias of it both present", opt.FASTA, c.name)
			}
			id, _ := cs.resolve(c.name, true)
			cs.length[id], cs.hasSeq[id] = c.length, true
			m.Counts.Bases += c.length
		}
	}
	if err := seqF.Close(); err != nil {
		return nil, err
	}

	// 2. Gene model.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	src, err := openSource(opt.Genes, "genes", "genes", opt.Progress)
	if err != nil {
		return nil, err
	}
	gm, err := parseGenes(ctx, src.r, opt.Genes)
	if err != nil {
		src.close()
		return nil, err
	}
	s, err := src.finish()
	if err != nil {
		return nil, err
	}
	m.Sources = append(m.Sources, s)
	if len(gm.tx) == 0 {
		return nil, fmt.Errorf("%s: no transcripts (no exon or CDS lines with a parent): not a GFF3/GTF gene model?", opt.Genes)
	}
	remap := make([]int, len(gm.contigs))
	for i, name := range gm.contigs {
		remap[i], _ = cs.resolve(name, true)
	}
	tx := gm.tx
	for i := range tx {
		t := &tx[i]
		t.Contig = remap[t.Contig]
		if cs.hasSeq[t.Contig] && int64(t.End) > cs.length[t.Contig] {
			return nil, fmt.Errorf("%s: transcript %s ends at %d, beyond %s (length %d in %s)", opt.Genes, t.ID, t.End, cs.names[t.Contig], cs.length[t.Contig], opt.FASTA)
		}
		cs.see(t.Contig, int64(t.End))
		m.Counts.Transcripts++
		if t.Coding() {
			m.Counts.CodingTranscripts++
		}
	}
	m.Counts.Genes = gm.genes
	sortTranscripts(tx)
	for i := range tx {
		tx[i].Index = i
	}

	// 3. Known variants.
	if opt.KnownVariants != "" {
		if err := buildKnown(ctx, opt, cs, dir, m); err != nil {
			return nil, err
		}
	}

	// 4. Tracks.
	var tracks []builtTrack
	names := map[string]bool{}
	for _, tr := range opt.Tracks {
		if tr.Name == "" || strings.ContainsAny(tr.Name, ",;=\t\n ") {
			return nil, fmt.Errorf("track name %q: want a non-empty INFO key (no spaces, commas, ';' or '=')", tr.Name)
		}
		if names[tr.Name] {
			return nil, fmt.Errorf("track %s given twice", tr.Name)
		}
		names[tr.Name] = true
		bt, src, err := readBED(ctx, tr, cs, opt.Progress)
		if err != nil {
			return nil, err
		}
		m.Sources = append(m.Sources, src)
		tracks = append(tracks, bt)
		m.Tracks = append(m.Tracks, tr.Name)
		m.Counts.TrackIntervals[tr.Name] = int64(len(bt.ivs))
	}

	// 5. Write the indexes. Contigs are final now.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, transcriptsFile), encodeTranscripts(tx), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, tracksFile), encodeTracks(tracks), 0o644); err != nil {
		return nil, err
	}
	if opt.KnownVariants == "" {
		if err := writeKnownFile(filepath.Join(dir, knownFile), len(cs.names), nil, nil, 0); err != nil {
			return nil, err
		}
	}
	for i, n := range cs.names {
		m.Contigs = append(m.Contigs, ContigInfo{Name: n, Length: cs.length[i], HasSequence: cs.hasSeq[i]})
	}
	m.Counts.Contigs = len(cs.names)
	if m.KnownInfo == nil {
		m.KnownInfo = []string{}
	}
	if m.Tracks == nil {
		m.Tracks = []string{}
	}
	// The checksum covers every data file through its hash, in a fixed order.
	sum := sha256.New()
	for _, name := range []string{sequenceFile, transcriptsFile, knownFile, tracksFile} {
		fi, err := hashFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		fi.Name = name
		m.Files = append(m.Files, fi)
		fmt.Fprintf(sum, "%s %d %s\n", fi.Name, fi.Size, fi.SHA256)
	}
	m.Checksum = hex.EncodeToString(sum.Sum(nil))
	attachOrigins(m, opt.Origins)
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, manifestFile), append(js, '\n'), 0o644); err != nil {
		return nil, err
	}
	return m, nil
}

func hashFile(path string) (FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileInfo{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileInfo{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return FileInfo{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// knownRec is a known-variant record while building.
type knownRec struct {
	contig int32
	pos    uint32
	hash   uint32
	off    uint64
}

// infoDef is a parsed ##INFO header line.
type infoDef struct {
	id, number, line string
}

// buildKnown imports the known-variants VCF. Records are normalised per ALT
// and kept in memory as 24-byte keys while their strings go to a heap file,
// so memory grows with the record count only (about 0.5 GB for 20 million).
func buildKnown(ctx context.Context, opt BuildOptions, cs *contigSet, dir string, m *Manifest) error {
	src, err := openSource(opt.KnownVariants, "known", "known variants", opt.Progress)
	if err != nil {
		return err
	}
	defer src.close()
	heapPath := filepath.Join(dir, "known.heap.tmp")
	hf, err := os.Create(heapPath)
	if err != nil {
		return err
	}
	defer os.Remove(heapPath)
	defer hf.Close()
	hw := bufio.NewWriterSize(hf, 1<<20)
	var heapLen uint64
	var recs []knownRec
	defs := map[string]infoDef{}
	var defOrder []string
	var keep []string
	keepIdx := map[string]int{}
	br := bufio.NewReaderSize(src.r, 1<<20)
	file := opt.KnownVariants
	line := 0
	var entry, info []byte
	vals := make([][]byte, 0, 16)
	headerDone := false
	for {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// Lines longer than the buffer: assemble them (rare).
			long := append([]byte(nil), b...)
			for err == bufio.ErrBufferFull {
				b, err = br.ReadSlice('\n')
				long = append(long, b...)
			}
			b = long
		}
		if len(b) == 0 && err != nil {
			if err == io.EOF {
				break
			}
			return fmt.Errorf("%s: line %d: %w", file, line+1, err)
		}
		line++
		if line&0xffff == 0 {
			if e := ctx.Err(); e != nil {
				return e
			}
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(b) == 0 {
			continue
		}
		if b[0] == '#' {
			if headerDone {
				return fmt.Errorf("%s:%d: header line after the data", file, line)
			}
			switch {
			case bytes.HasPrefix(b, []byte("##INFO=<")):
				d := parseInfoDef(string(b))
				if d.id == "" {
					return fmt.Errorf("%s:%d: ##INFO line without ID", file, line)
				}
				if _, dup := defs[d.id]; !dup {
					defOrder = append(defOrder, d.id)
				}
				defs[d.id] = d
			case bytes.HasPrefix(b, []byte("##contig=<")):
				id, length := parseContigLine(string(b))
				if id != "" && length > 0 {
					c, _ := cs.resolve(id, true)
					cs.see(c, length)
				}
			case bytes.HasPrefix(b, []byte("#CHROM")):
				headerDone = true
				keep = opt.KnownInfo
				if len(keep) == 0 {
					keep = defOrder
				}
				for i, k := range keep {
					if _, ok := defs[k]; !ok && len(opt.KnownInfo) > 0 {
						return fmt.Errorf("%s: INFO field %s is not declared in the header (declared: %s)", file, k, strings.Join(defOrder, ", "))
					}
					keepIdx[k] = i
					m.KnownInfo = append(m.KnownInfo, k)
					m.KnownInfoHeaders = append(m.KnownInfoHeaders, defs[k].line)
				}
			}
			continue
		}
		if !headerDone {
			return fmt.Errorf("%s:%d: data before the #CHROM header line", file, line)
		}
		var col [8][]byte
		rest := b
		n := 0
		for n < 8 {
			i := bytes.IndexByte(rest, '\t')
			if i < 0 {
				col[n] = rest
				n++
				break
			}
			col[n], rest = rest[:i], rest[i+1:]
			n++
		}
		if n < 8 {
			return fmt.Errorf("%s:%d: expected at least 8 tab-separated columns, found %d", file, line, n)
		}
		pos, perr := strconv.ParseUint(string(col[1]), 10, 32)
		if perr != nil || pos == 0 || pos > maxCoord {
			return fmt.Errorf("%s:%d: bad POS %q", file, line, col[1])
		}
		ref := bytes.ToUpper(col[3])
		if !isBases(ref) {
			return fmt.Errorf("%s:%d: REF %q is not A/C/G/T/N", file, line, col[3])
		}
		c, _ := cs.resolve(string(col[0]), true)
		cs.see(c, int64(pos)+int64(len(ref))-1)
		id := col[2]
		if bytes.Equal(id, []byte(".")) {
			id = nil
		}
		alts := bytes.Split(col[4], []byte(","))
		for ai, alt := range alts {
			alt = bytes.ToUpper(alt)
			if !isBases(alt) {
				continue // symbolic, '*' or '.': nothing to match a call against
			}
			p, r, a := normalise(int(pos), ref, alt)
			if len(r) == 0 && len(a) == 0 {
				continue
			}
			info = info[:0]
			info = pickInfo(info, col[7], keep, keepIdx, defs, ai, len(alts), vals)
			entry = appendKnownEntry(entry[:0], r, a, id, info)
			recs = append(recs, knownRec{contig: int32(c), pos: uint32(p), hash: alleleHash(r, a), off: heapLen})
			if _, err := hw.Write(entry); err != nil {
				return fmt.Errorf("write known heap: %w", err)
			}
			heapLen += uint64(len(entry))
		}
		if err == io.EOF {
			break
		}
	}
	if !headerDone {
		return fmt.Errorf("%s: no #CHROM header line (not a VCF?)", file)
	}
	s, err := src.finish()
	if err != nil {
		return err
	}
	m.Sources = append(m.Sources, s)
	if err := hw.Flush(); err != nil {
		return fmt.Errorf("write known heap: %w", err)
	}
	if opt.Progress != nil {
		opt.Progress("sort known variants", 0, int64(len(recs)))
	}
	slices.SortFunc(recs, func(a, b knownRec) int {
		if a.contig != b.contig {
			return int(a.contig - b.contig)
		}
		if a.pos != b.pos {
			if a.pos < b.pos {
				return -1
			}
			return 1
		}
		if a.off < b.off {
			return -1
		}
		if a.off > b.off {
			return 1
		}
		return 0
	})
	m.Counts.KnownVariants = int64(len(recs))
	if _, err := hf.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return writeKnownFile(filepath.Join(dir, knownFile), len(cs.names), recs, hf, int64(heapLen))
}

// writeKnownFile writes known.bin: magic, uint32 contig count, uint64 record
// count, uint64 heap length, (contigs+1) uint64 first-record indexes, the
// block index (uint32 pos of every knownBlock-th record), the 16-byte
// records, then the heap. The contig count is final when it is called.
func writeKnownFile(path string, ncontigs int, recs []knownRec, heap io.Reader, heapLen int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	hdr := append([]byte(nil), knownMagic[:]...)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(ncontigs))
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(recs)))
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(heapLen))
	w.Write(hdr)
	first := make([]uint64, ncontigs+1)
	for _, r := range recs {
		first[r.contig+1]++
	}
	for i := 1; i <= ncontigs; i++ {
		first[i] += first[i-1]
	}
	var b [16]byte
	for _, v := range first {
		binary.LittleEndian.PutUint64(b[:8], v)
		w.Write(b[:8])
	}
	for i := 0; i < len(recs); i += knownBlock {
		binary.LittleEndian.PutUint32(b[:4], recs[i].pos)
		w.Write(b[:4])
	}
	for _, r := range recs {
		binary.LittleEndian.PutUint32(b[0:], r.pos)
		binary.LittleEndian.PutUint32(b[4:], r.hash)
		binary.LittleEndian.PutUint64(b[8:], r.off)
		w.Write(b[:])
	}
	if heap != nil {
		n, err := io.Copy(w, heap)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if n != heapLen {
			return fmt.Errorf("write %s: heap is %d bytes, expected %d", path, n, heapLen)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func isBases(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		switch c {
		case 'A', 'C', 'G', 'T', 'N':
		default:
			return false
		}
	}
	return true
}

// pickInfo appends "KEY=VAL;…" for the kept INFO fields of one ALT of a
// record: Number=A fields give that ALT's value, Number=R ones the REF value
// and that ALT's, others are copied whole.
func pickInfo(dst, infoCol []byte, keep []string, keepIdx map[string]int, defs map[string]infoDef, alt, nalts int, vals [][]byte) []byte {
	if len(keep) == 0 || bytes.Equal(infoCol, []byte(".")) {
		return dst
	}
	// Collect values in keep order so the output order is stable.
	found := vals[:0]
	for range keep {
		found = append(found, nil)
	}
	present := make([]bool, len(keep))
	for f := range bytes.SplitSeq(infoCol, []byte(";")) {
		k, v, hasVal := bytes.Cut(f, []byte("="))
		i, ok := keepIdx[string(k)]
		if !ok {
			continue
		}
		present[i] = true
		if !hasVal {
			found[i] = nil
			continue
		}
		switch defs[keep[i]].number {
		case "A":
			parts := bytes.Split(v, []byte(","))
			if len(parts) == nalts {
				v = parts[alt]
			}
		case "R":
			parts := bytes.Split(v, []byte(","))
			if len(parts) == nalts+1 {
				v = append(append(append([]byte(nil), parts[0]...), ','), parts[alt+1]...)
			}
		}
		found[i] = v
	}
	for i, k := range keep {
		if !present[i] {
			continue
		}
		if len(dst) > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, k...)
		if found[i] != nil {
			dst = append(append(dst, '='), found[i]...)
		}
	}
	return dst
}

// parseInfoDef reads ID and Number from a ##INFO=<…> line (Description may
// hold commas and quotes, so only leading key=value pairs are split).
func parseInfoDef(line string) infoDef {
	d := infoDef{line: line}
	body := strings.TrimSuffix(strings.TrimPrefix(line, "##INFO=<"), ">")
	for body != "" && (d.id == "" || d.number == "") {
		var f string
		f, body, _ = strings.Cut(body, ",")
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "ID":
			d.id = v
		case "Number":
			d.number = v
		case "Description":
			body = ""
		}
	}
	return d
}

func parseContigLine(line string) (string, int64) {
	body := strings.TrimSuffix(strings.TrimPrefix(line, "##contig=<"), ">")
	var id string
	var length int64
	for f := range strings.SplitSeq(body, ",") {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "ID":
			id = v
		case "length":
			length, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return id, length
}

// bedInterval is one region while building a track (1-based, inclusive).
type bedInterval struct {
	contig, start, end int
	nameOff, nameLen   uint32
}

type builtTrack struct {
	name string
	ivs  []bedInterval
	heap strHeap
}

// readBED reads a BED(-like) file: chrom, 0-based start, end, optional name;
// "track"/"browser"/"#" lines are skipped. A zero-length interval (start ==
// end, an insertion point) is kept as the one base after it.
func readBED(ctx context.Context, tr Track, cs *contigSet, prog func(string, int64, int64)) (builtTrack, Source, error) {
	bt := builtTrack{name: tr.Name}
	src, err := openSource(tr.Path, "track:"+tr.Name, "track "+tr.Name, prog)
	if err != nil {
		return bt, Source{}, err
	}
	defer src.close()
	sc := bufio.NewScanner(src.r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if line&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return bt, Source{}, err
			}
		}
		b := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(b)) == 0 || b[0] == '#' || bytes.HasPrefix(b, []byte("track")) || bytes.HasPrefix(b, []byte("browser")) {
			continue
		}
		var f [][]byte
		if bytes.IndexByte(b, '\t') >= 0 {
			f = bytes.Split(b, []byte("\t"))
		} else {
			f = bytes.Fields(b)
		}
		if len(f) < 3 {
			return bt, Source{}, fmt.Errorf("%s:%d: expected chrom, start, end", tr.Path, line)
		}
		s, err1 := strconv.Atoi(string(bytes.TrimSpace(f[1])))
		e, err2 := strconv.Atoi(string(bytes.TrimSpace(f[2])))
		if err1 != nil || err2 != nil || s < 0 || e > maxCoord {
			return bt, Source{}, fmt.Errorf("%s:%d: bad coordinates %q %q", tr.Path, line, f[1], f[2])
		}
		if e < s {
			return bt, Source{}, fmt.Errorf("%s:%d: end %d is before start %d", tr.Path, line, e, s)
		}
		if e == s {
			e = s + 1
		}
		c, _ := cs.resolve(string(f[0]), true)
		cs.see(c, int64(e))
		iv := bedInterval{contig: c, start: s + 1, end: e}
		if len(f) > 3 {
			name := string(bytes.TrimSpace(f[3]))
			if strings.ContainsAny(name, ",;= ") {
				// The name goes into an INFO value: keep it parseable.
				name = strings.NewReplacer(",", "_", ";", "_", "=", "_", " ", "_").Replace(name)
			}
			if name != "." && name != "" {
				iv.nameOff, iv.nameLen = bt.heap.ref(name)
			}
		}
		bt.ivs = append(bt.ivs, iv)
	}
	if err := sc.Err(); err != nil {
		return bt, Source{}, fmt.Errorf("%s: line %d: %w", tr.Path, line+1, err)
	}
	s, err := src.finish()
	if err != nil {
		return bt, Source{}, err
	}
	sort.SliceStable(bt.ivs, func(i, j int) bool {
		a, b := bt.ivs[i], bt.ivs[j]
		if a.contig != b.contig {
			return a.contig < b.contig
		}
		return a.start < b.start
	})
	return bt, s, nil
}
