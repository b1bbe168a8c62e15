package refdata

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// defaultSortMemory is the memory an external sort may fill before it
// spills a run: with the reader, the writer and the dictionaries the build
// stays well under 1 GB whatever the input size.
const defaultSortMemory = 384 << 20

// maxTypeSample is how many data lines of a scores table are read to
// decide each column's type before the table is streamed.
const maxTypeSample = 10000

// sourceRole is the role of a source's input in Manifest.Sources:
// KIND:NAME, except "known" for the source named "known" (the role the
// single known-variants file had before sources were a list).
func sourceRole(kind, name string) string {
	if kind == KindKnown && name == LegacyKnownName {
		return LegacyKnownName
	}
	return kind + ":" + name
}

// sourceFiles returns the bundle file names of source name.
func sourceFiles(name string) [2]string {
	return [2]string{"src." + name + ".idx", "src." + name + ".dat"}
}

// srcBuild is the state of one source build.
type srcBuild struct {
	ctx    context.Context
	spec   SourceSpec
	cs     *contigSet
	rep    *SourceReport
	enc    *encoder
	sink   sink
	before int // contigs the bundle had before this source
	file   string

	lastName []byte
	lastID   int
	matched  bool
	newNames []string
	lengths  map[string]int64 // ##contig lengths, applied when a contig is met
	limit    int64            // stop after this many records (estimates)

	cols           []int // scores: column of each field
	colBuf         [][]byte
	refBuf, altBuf []byte
	body           []byte
}

// buildSource builds one annotation source into dir. A sorted input is
// streamed; at the first record out of order the build restarts with an
// external sort (in tmpDir). The result describes the source for the
// manifest, and the source's input file entry.
func buildSource(ctx context.Context, spec SourceSpec, cs *contigSet, dir, tmpDir string, sortMemory int, prog func(string, int64, int64)) (SourceInfo, Source, error) {
	start := time.Now()
	files := sourceFiles(spec.Name)
	sorted := true
	before := len(cs.names)
	for {
		info, in, err := buildSourceOnce(ctx, spec, cs, dir, tmpDir, sorted, sortMemory, prog)
		if errors.Is(err, errUnsorted) && sorted {
			sorted = false
			cs.truncate(before)
			continue
		}
		if err != nil {
			return SourceInfo{}, Source{}, err
		}
		info.Data = files
		info.Report.Sorted = sorted
		info.Report.Seconds = time.Since(start).Seconds()
		return info, in, nil
	}
}

func buildSourceOnce(ctx context.Context, spec SourceSpec, cs *contigSet, dir, tmpDir string, sorted bool, sortMemory int, prog func(string, int64, int64)) (SourceInfo, Source, error) {
	role := sourceRole(spec.Kind, spec.Name)
	stage := "source " + spec.Name
	if !sorted {
		stage += " (sorting)"
	}
	src, err := openSource(spec.Path, role, stage, prog)
	if err != nil {
		return SourceInfo{}, Source{}, err
	}
	defer src.close()
	files := sourceFiles(spec.Name)
	w, err := newSrcWriter(filepath.Join(dir, files[0]), filepath.Join(dir, files[1]), spec.Kind == KindKnown)
	if err != nil {
		return SourceInfo{}, Source{}, err
	}
	defer w.abort()
	b := &srcBuild{ctx: ctx, spec: spec, cs: cs, rep: &SourceReport{}, before: len(cs.names), file: spec.Path, lastID: -1}
	if sorted {
		b.sink = newStreamSink(w)
	} else {
		b.sink = newExtSink(w, tmpDir, sortMemory)
	}
	info := SourceInfo{Name: spec.Name, Kind: spec.Kind, ID: spec.ID}
	lr := &lineReader{br: bufio.NewReaderSize(src.r, 1<<20)}
	switch spec.Kind {
	case KindKnown:
		err = b.readVCF(lr, &info)
	default:
		err = b.readTable(lr, &info)
	}
	if err != nil {
		return SourceInfo{}, Source{}, err
	}
	runs, err := b.sink.finish()
	if err != nil {
		return SourceInfo{}, Source{}, fmt.Errorf("source %s: %w", spec.Name, err)
	}
	if b.rep.Records > 0 && !b.matched {
		return SourceInfo{}, Source{}, fmt.Errorf("source %s (%s): none of its contigs (%s) is in the bundle: give the contig names' aliases (a UCSC chromAlias file or an NCBI assembly report) with --contig-aliases",
			spec.Name, spec.Path, listNames(b.newNames, 10))
	}
	if err := w.finish(len(cs.names), len(b.enc.fields), b.enc.dicts(), b.enc.prefix); err != nil {
		return SourceInfo{}, Source{}, fmt.Errorf("write source %s: %w", spec.Name, err)
	}
	in, err := src.finish()
	if err != nil {
		return SourceInfo{}, Source{}, err
	}
	b.rep.Runs = runs
	b.rep.NewContigs = b.newNames
	info.Fields = b.enc.infos()
	info.Alleles = b.rep.Alleles
	info.Report = *b.rep
	info.File, info.SHA256 = in.Path, in.SHA256
	if spec.Version != "" {
		info.Version = spec.Version
	}
	return info, in, nil
}

func listNames(names []string, max int) string {
	if len(names) > max {
		return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
	}
	return strings.Join(names, ", ")
}

// lineReader reads lines without their end of line, allocating only for
// lines longer than its buffer.
type lineReader struct {
	br   *bufio.Reader
	long []byte
	n    int64
}

func (l *lineReader) next() ([]byte, error) {
	b, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = l.br.ReadSlice('\n')
			l.long = append(l.long, b...)
		}
		b = l.long
	}
	if len(b) == 0 && err != nil {
		return nil, err
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	l.n++
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b, nil
}

// contig resolves a source contig name, adding it to the bundle (without
// sequence) when it is new. Records come grouped by contig, so the last
// answer is remembered.
func (b *srcBuild) contig(name []byte) int {
	if b.lastID >= 0 && bytes.Equal(name, b.lastName) {
		return b.lastID
	}
	id, _ := b.cs.resolve(string(name), true)
	if n := b.lengths[string(name)]; n > 0 {
		b.cs.see(id, n)
	}
	if id < b.before {
		b.matched = true
	} else if id == len(b.cs.names)-1 && len(b.newNames) < 1000 && !containsStr(b.newNames, b.cs.names[id]) {
		b.newNames = append(b.newNames, b.cs.names[id])
	}
	b.lastName = append(b.lastName[:0], name...)
	b.lastID = id
	return id
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// refKind classifies a REF allele: "" when usable (A, C, G, T, N), else the
// skip reason.
func refKind(ref []byte) string {
	if len(ref) == 0 {
		return "bad_line"
	}
	for _, c := range ref {
		switch c {
		case 'A', 'C', 'G', 'T', 'N', 'a', 'c', 'g', 't', 'n':
		default:
			if isIUPAC(c) {
				return "iupac"
			}
			return "bad_line"
		}
	}
	return ""
}

// altKind classifies one ALT allele like refKind, adding symbolic alleles
// (<DEL>, breakends, '*') and the missing ALT '.'.
func altKind(alt []byte) string {
	if len(alt) == 0 {
		return "bad_line"
	}
	if len(alt) == 1 && alt[0] == '.' {
		return "no_alt"
	}
	if alt[0] == '<' || alt[0] == '*' || bytes.IndexByte(alt, '[') >= 0 || bytes.IndexByte(alt, ']') >= 0 || alt[0] == '.' || alt[len(alt)-1] == '.' {
		return "symbolic"
	}
	return refKind(alt)
}

func isIUPAC(c byte) bool {
	switch c | 0x20 {
	case 'r', 'y', 's', 'w', 'k', 'm', 'b', 'd', 'h', 'v', 'u':
		return true
	}
	return false
}

// emit stores the alleles of one record whose values are already in the
// encoder. alts is the comma-separated ALT column.
func (b *srcBuild) emit(chrom []byte, pos uint64, ref, alts []byte, line int64) error {
	if k := refKind(ref); k != "" {
		b.rep.skip(k, b.file, line)
		return nil
	}
	c := b.contig(chrom)
	b.cs.see(c, int64(pos)+int64(len(ref))-1)
	if err := b.sink.record(c, uint32(pos)); err != nil {
		return err
	}
	b.refBuf = appendUpper(b.refBuf[:0], ref)
	nalts := countByte(alts, ',') + 1
	rest := alts
	for i := 0; i < nalts; i++ {
		var alt []byte
		if j := bytes.IndexByte(rest, ','); j >= 0 {
			alt, rest = rest[:j], rest[j+1:]
		} else {
			alt, rest = rest, nil
		}
		if k := altKind(alt); k != "" {
			b.rep.skip(k, b.file, line)
			continue
		}
		b.altBuf = appendUpper(b.altBuf[:0], alt)
		p, r, a := normalise(int(pos), b.refBuf, b.altBuf)
		if len(r) == 0 && len(a) == 0 {
			b.rep.skip("no_change", b.file, line)
			continue
		}
		if p > maxCoord {
			b.rep.skip("bad_line", b.file, line)
			continue
		}
		code, exact := alleleCode(r, a)
		b.body = b.enc.appendBody(b.body[:0], r, a, exact, i, nalts)
		if err := b.sink.add(c, uint32(p), code, b.body); err != nil {
			return err
		}
		b.rep.Alleles++
	}
	return nil
}

// cut splits the first tab-separated column off line.
func cut(line []byte) (col, rest []byte, ok bool) {
	if i := bytes.IndexByte(line, '\t'); i >= 0 {
		return line[:i], line[i+1:], true
	}
	return line, nil, false
}

// readVCF reads a known-variants VCF: the header gives the fields, each
// data line its alleles.
func (b *srcBuild) readVCF(lr *lineReader, info *SourceInfo) error {
	defs := map[string]map[string]string{}
	var order []string
	var version struct{ build, date, source string }
	header := true
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", b.file, lr.n+1, err)
		}
		if lr.n&0xffff == 0 {
			if err := b.ctx.Err(); err != nil {
				return err
			}
		}
		if len(line) == 0 {
			continue
		}
		if header {
			if line[0] != '#' {
				return fmt.Errorf("%s:%d: data before the #CHROM header line (not a VCF?)", b.file, lr.n)
			}
			s := string(line)
			switch {
			case strings.HasPrefix(s, "##INFO=<"):
				f := metaFields(s)
				id := f["ID"]
				if id == "" {
					b.rep.skip("bad_header_line", b.file, lr.n)
					continue
				}
				if _, dup := defs[id]; !dup {
					order = append(order, id)
				}
				defs[id] = f
			case strings.HasPrefix(s, "##contig=<"):
				f := metaFields(s)
				if n, err := strconv.ParseInt(f["length"], 10, 64); err == nil && n > 0 && n <= maxCoord && f["ID"] != "" {
					if b.lengths == nil {
						b.lengths = map[string]int64{}
					}
					b.lengths[f["ID"]] = n
				}
			case strings.HasPrefix(s, "##dbSNP_BUILD_ID="):
				version.build = strings.TrimPrefix(s, "##dbSNP_BUILD_ID=")
			case strings.HasPrefix(s, "##fileDate="):
				version.date = strings.TrimPrefix(s, "##fileDate=")
			case strings.HasPrefix(s, "##source="):
				if version.source == "" {
					version.source = strings.TrimPrefix(s, "##source=")
				}
			case strings.HasPrefix(s, "#CHROM"):
				header = false
				if err := b.vcfFields(defs, order, info); err != nil {
					return err
				}
			}
			continue
		}
		if line[0] == '#' {
			b.rep.skip("bad_line", b.file, lr.n)
			continue
		}
		if err := b.vcfRecord(line, lr.n); err != nil {
			return err
		}
	}
	if header {
		return fmt.Errorf("%s: no #CHROM header line (not a VCF?)", b.file)
	}
	switch {
	case version.build != "":
		info.Version = "dbSNP build " + version.build
	case version.source != "" && version.date != "":
		info.Version = version.source + " " + version.date
	case version.date != "":
		info.Version = version.date
	default:
		info.Version = version.source
	}
	info.Version = clip(info.Version, maxVersion)
	return nil
}

// maxVersion bounds a source's version text (it goes into every output
// header): room for a provider's one-line description, not a paragraph.
const maxVersion = 160

// clip trims s and shortens it to at most n bytes, marking a cut with
// "...": at the last space when one lies in the second half, never inside
// a UTF-8 character, so that what is kept reads as words.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	const mark = "..."
	cut := max(n-len(mark), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > cut/2 {
		cut = sp
	}
	return strings.TrimRight(s[:cut], " ,;:(") + mark
}

// vcfFields picks the kept INFO fields and how each is stored.
func (b *srcBuild) vcfFields(defs map[string]map[string]string, order []string, info *SourceInfo) error {
	keep := b.spec.Fields
	if len(keep) == 0 {
		keep = order
	}
	var fields []FieldInfo
	seen := map[string]bool{}
	for _, k := range keep {
		d, ok := defs[k]
		if !ok {
			return fmt.Errorf("%s: INFO field %s is not declared in the header (declared: %s)", b.file, k, strings.Join(order, ", "))
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		f := FieldInfo{Name: k, Key: fieldKey(b.spec.Name, k), Number: d["Number"], Type: d["Type"], Description: d["Description"]}
		f.Stored = "String"
		switch {
		case f.Type == "Flag":
			f.Stored = "Flag"
		case f.PerAllele() && f.Type == "Float":
			f.Stored = "Float"
		case f.PerAllele() && f.Type == "Integer":
			f.Stored = "Integer"
		}
		fields = append(fields, f)
	}
	b.enc = newEncoder(fields, b.spec.Kind == KindKnown, b.rep)
	return nil
}

// vcfRecord parses one VCF data line (CHROM to INFO).
func (b *srcBuild) vcfRecord(line []byte, n int64) error {
	if b.limit > 0 && b.rep.Records >= b.limit {
		return errSampled
	}
	var col [8][]byte
	rest := line
	k := 0
	for ; k < 8; k++ {
		var ok bool
		col[k], rest, ok = cut(rest)
		if !ok {
			k++
			break
		}
	}
	b.rep.Records++
	if k < 8 {
		b.rep.skip("bad_line", b.file, n)
		return nil
	}
	pos, err := strconv.ParseUint(bstr(col[1]), 10, 32)
	if err != nil || pos == 0 || pos > maxCoord || len(col[0]) == 0 {
		b.rep.skip("bad_line", b.file, n)
		return nil
	}
	e := b.enc
	e.resetValues()
	e.setID(col[2])
	if len(e.fields) > 0 && !isMissing(col[7]) {
		info := col[7]
		for len(info) > 0 {
			var f []byte
			if i := bytes.IndexByte(info, ';'); i >= 0 {
				f, info = info[:i], info[i+1:]
			} else {
				f, info = info, nil
			}
			key, val := f, f[len(f):]
			if i := bytes.IndexByte(f, '='); i >= 0 {
				key, val = f[:i], f[i+1:]
			}
			if fi, ok := e.byName[bstr(key)]; ok {
				e.vals[fi] = val
			}
		}
	}
	return b.emit(col[0], pos, col[3], col[4], n)
}

// metaFields splits a structured header line ##KEY=<A=x,B="y, z"> into its
// fields; quoted values lose their quotes and keep escaped quotes.
func metaFields(line string) map[string]string {
	out := map[string]string{}
	i := strings.IndexByte(line, '<')
	if i < 0 {
		return out
	}
	body := strings.TrimSuffix(line[i+1:], ">")
	for body != "" {
		eq := strings.IndexByte(body, '=')
		if eq < 0 {
			break
		}
		k := strings.TrimSpace(body[:eq])
		body = body[eq+1:]
		var v string
		if strings.HasPrefix(body, `"`) {
			var sb strings.Builder
			j := 1
			for ; j < len(body); j++ {
				if body[j] == '\\' && j+1 < len(body) {
					j++
					sb.WriteByte(body[j])
					continue
				}
				if body[j] == '"' {
					break
				}
				sb.WriteByte(body[j])
			}
			v = sb.String()
			if j < len(body) {
				j++
			}
			body = body[j:]
		} else if c := strings.IndexByte(body, ','); c >= 0 {
			v, body = body[:c], body[c:]
		} else {
			v, body = body, ""
		}
		out[k] = v
		body = strings.TrimPrefix(body, ",")
	}
	return out
}

// readTable reads an allele-keyed scores table: tab-separated chrom, pos,
// ref, alt and value columns. The last '#' line before the data names the
// columns; the first '##' line (or a lone '#' comment) is the version.
// Column types come from the first data lines.
func (b *srcBuild) readTable(lr *lineReader, info *SourceInfo) error {
	var names []string
	var sample [][]byte
	var sampleLines []int64
	var version string
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", b.file, lr.n+1, err)
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' && len(sample) == 0 {
			s := strings.TrimLeft(string(line), "#")
			if strings.HasPrefix(string(line), "##") || !strings.Contains(s, "\t") {
				if version == "" {
					version = clip(s, maxVersion)
				}
				continue
			}
			names = strings.Split(strings.TrimSpace(s), "\t")
			continue
		}
		if line[0] == '#' {
			continue
		}
		sample = append(sample, append([]byte(nil), line...))
		sampleLines = append(sampleLines, lr.n)
		if len(sample) == maxTypeSample {
			break
		}
	}
	info.Version = version
	if err := b.tableFields(names, sample, info); err != nil {
		return err
	}
	for i, l := range sample {
		if err := b.tableRecord(l, sampleLines[i]); err != nil {
			return err
		}
	}
	if len(sample) < maxTypeSample {
		return nil
	}
	for {
		line, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", b.file, lr.n+1, err)
		}
		if lr.n&0xffff == 0 {
			if err := b.ctx.Err(); err != nil {
				return err
			}
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if err := b.tableRecord(line, lr.n); err != nil {
			return err
		}
	}
}

func tableMissing(v []byte) bool {
	return isMissing(v) || string(v) == "NA" || string(v) == "-"
}

// tableFields names the value columns and infers their types from the
// sample: Float when every present value parses as a number, else String.
func (b *srcBuild) tableFields(names []string, sample [][]byte, info *SourceInfo) error {
	ncols := 0
	if len(sample) > 0 {
		ncols = countByte(sample[0], '\t') + 1
	}
	if len(names) != ncols || ncols == 0 {
		names = names[:0:0]
		for i := 1; i <= ncols; i++ {
			names = append(names, "col"+strconv.Itoa(i))
		}
	}
	if ncols > 0 && ncols < 5 {
		return fmt.Errorf("%s: %d columns: a scores table has chrom, pos, ref, alt and at least one value column", b.file, ncols)
	}
	avail := map[string]int{}
	var valueNames []string
	for i := 4; i < len(names); i++ {
		if _, dup := avail[names[i]]; !dup {
			avail[names[i]] = i
			valueNames = append(valueNames, names[i])
		}
	}
	keep := b.spec.Fields
	if len(keep) == 0 {
		keep = valueNames
	}
	var cols []int
	var fields []FieldInfo
	for _, k := range keep {
		i, ok := avail[k]
		if !ok {
			for j, n := range valueNames {
				if strings.EqualFold(n, k) {
					i, ok = avail[valueNames[j]], true
					break
				}
			}
		}
		if !ok {
			return fmt.Errorf("%s: no value column %s (columns: %s)", b.file, k, strings.Join(valueNames, ", "))
		}
		numeric := true
		for _, l := range sample {
			v := column(l, i)
			if tableMissing(v) {
				continue
			}
			if _, err := strconv.ParseFloat(bstr(v), 64); err != nil {
				numeric = false
				break
			}
		}
		f := FieldInfo{Name: names[i], Key: fieldKey(b.spec.Name, names[i]), Number: "1", Type: "String", Stored: "String",
			Description: "Column " + names[i] + " of " + filepath.Base(b.file)}
		if numeric {
			f.Type, f.Stored = "Float", "Float"
		}
		cols = append(cols, i)
		fields = append(fields, f)
	}
	b.enc = newEncoder(fields, false, b.rep)
	b.cols = cols
	return nil
}

// column returns the i-th tab-separated column of line (nil if absent).
func column(line []byte, i int) []byte {
	for ; i > 0; i-- {
		j := bytes.IndexByte(line, '\t')
		if j < 0 {
			return nil
		}
		line = line[j+1:]
	}
	if j := bytes.IndexByte(line, '\t'); j >= 0 {
		return line[:j]
	}
	return line
}

// tableRecord parses one data line of a scores table.
func (b *srcBuild) tableRecord(line []byte, n int64) error {
	if b.limit > 0 && b.rep.Records >= b.limit {
		return errSampled
	}
	b.rep.Records++
	b.colBuf = b.colBuf[:0]
	rest := line
	for {
		c, r, ok := cut(rest)
		b.colBuf = append(b.colBuf, c)
		if !ok {
			break
		}
		rest = r
	}
	cols := b.colBuf
	if len(cols) < 5 {
		b.rep.skip("bad_line", b.file, n)
		return nil
	}
	pos, err := strconv.ParseUint(bstr(cols[1]), 10, 32)
	if err != nil || pos == 0 || pos > maxCoord || len(cols[0]) == 0 {
		b.rep.skip("bad_line", b.file, n)
		return nil
	}
	e := b.enc
	e.resetValues()
	for f, ci := range b.cols {
		if ci < len(cols) && !tableMissing(cols[ci]) {
			e.vals[f] = cols[ci]
		}
	}
	return b.emit(cols[0], pos, cols[2], cols[3], n)
}
