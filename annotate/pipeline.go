package annotate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gas-project/gas/refdata"
	"github.com/gas-project/gas/vcf"
)

// blockRecords is the number of records handed to a worker at once: large
// enough to amortise channel hand-offs, small enough that a few blocks in
// flight per worker keep memory flat.
const blockRecords = 4096

// maxListed caps the warnings and errors kept in a Summary.
const maxListed = 100

// annDescription is the standard description of the ANN field (the "VCF
// annotation format" shared by SnpEff and other annotators), which tools use
// to find the sub-fields.
const annDescription = "Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | " +
	"Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | " +
	"CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO'"

// engine is the read-only state shared by the workers of one run.
type engine struct {
	columns   int // of the #CHROM line: every record must have as many
	ref       reference
	meta      bundleMeta
	opt       Options
	models    *modelCache
	ids       map[string]struct{} // Options.TranscriptIDs without versions
	sources   []refdata.SourceInfo
	srcKnown  []bool          // per source: a known-variant source (counts as "known")
	srcKeys   []string        // output keys of every source field, in source then field order
	trackKeys []string        // INFO keys of the tracks, sanitised
	ownKeys   map[string]bool // INFO keys the engine writes (stripped from input)
	// chosen, when set, replaces the canonical/mane tag test by
	// transcript Index (modeFallback); modeWarning says why.
	chosen      []bool
	modeWarning string
}

// job is one block of input lines travelling through the pipeline. Jobs are
// recycled, so their buffers stop growing after the first few blocks.
type job struct {
	blk  vcf.Block
	out  []byte
	hap  hapJob // haplotype mode: records, candidates, genotype counts
	st   blockStats
	err  error
	done chan struct{}
}

// blockStats are the Summary counts of one block, merged by the writer so
// that workers never share counters.
type blockStats struct {
	records, alleles, annotated, notAnnotated, refIsAlt, skipped, known, novel int64

	terms    [numTerms]int64
	impacts  [4]int64
	sources  []int64 // alleles found per source
	cover    coverCounts
	chroms   []chromCount
	tracks   []int64
	warnings []string
	errors   []string
	missing  []string
}

type chromCount struct {
	name string
	n    int64
}

func (s *blockStats) reset(tracks, sources int) {
	chroms, warnings, errs, missing := s.chroms[:0], s.warnings[:0], s.errors[:0], s.missing[:0]
	tr, src := s.tracks[:0], s.sources[:0]
	*s = blockStats{chroms: chroms, warnings: warnings, errors: errs, missing: missing}
	for i := 0; i < tracks; i++ {
		tr = append(tr, 0)
	}
	for i := 0; i < sources; i++ {
		src = append(src, 0)
	}
	s.tracks, s.sources = tr, src
}

// chrom counts a record on contig name, allocating only when the contig
// changes (inputs are grouped by contig).
func (s *blockStats) chrom(name []byte) {
	if n := len(s.chroms); n > 0 && s.chroms[n-1].name == string(name) {
		s.chroms[n-1].n++
		return
	}
	s.chroms = append(s.chroms, chromCount{name: string(name), n: 1})
}

// Annotate reads a VCF (plain, gzip or BGZF) from r, annotates it with the
// bundle and writes the annotated VCF to w. It stops early, returning
// ctx.Err(), when ctx is cancelled. The Summary is returned also on error,
// describing what was done before it. Problems with the input are returned
// as *InputError.
func Annotate(ctx context.Context, r io.Reader, w io.Writer, b *refdata.Bundle, opt Options) (*Summary, error) {
	if b == nil {
		return newSummary(bundleMeta{}), errors.New("annotate: no reference bundle")
	}
	return run(ctx, r, w, b, metaOf(b), opt)
}

// metaOf collects the bundle description written to the header.
func metaOf(b *refdata.Bundle) bundleMeta {
	meta := bundleMeta{Transcripts: len(b.Transcripts()), ContigLengths: map[string]int64{}}
	if m := b.Manifest(); m != nil {
		meta.Name, meta.Assembly, meta.Checksum = m.Name, m.Assembly, m.Checksum
		meta.Description = b.Coverage()
		meta.Coverage = make([]contigCover, len(m.Contigs))
		for i, c := range m.Contigs {
			meta.ContigLengths[c.Name] = c.Length
			if c.HasGenes && c.Covered != nil {
				meta.Coverage[i] = contigCover{genes: true, start: c.Covered.Start, end: c.Covered.End}
			}
		}
	}
	return meta
}

func newSummary(meta bundleMeta) *Summary {
	return &Summary{
		Bundle:         meta.Name,
		BundleChecksum: meta.Checksum,
		BundleCoverage: meta.Description,
		Consequences:   map[string]int64{},
		Impacts:        map[string]int64{},
		Chromosomes:    map[string]int64{},
		Tracks:         map[string]int64{},
		Sources:        map[string]int64{},
	}
}

// run is Annotate over any reference.
func run(ctx context.Context, r io.Reader, w io.Writer, ref reference, meta bundleMeta, opt Options) (sum *Summary, err error) {
	start := time.Now()
	sum = newSummary(meta)
	defer func() { sum.Seconds = time.Since(start).Seconds() }()
	if opt.Transcripts == "" {
		opt.Transcripts = AllTranscripts
	}
	switch opt.Transcripts {
	case AllTranscripts, Canonical, MANESelect, Pick:
	default:
		return sum, fmt.Errorf("annotate: unknown transcript mode %q", opt.Transcripts)
	}
	if opt.OnError == "" {
		opt.OnError = Stop
	}
	if opt.OnError != Stop && opt.OnError != Skip {
		return sum, fmt.Errorf("annotate: unknown error policy %q", opt.OnError)
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Format, err = ParseFormat(string(opt.Format)); err != nil {
		return sum, err
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	rd, err := vcf.NewReader(r, vcf.ReaderOptions{MaxLineBytes: opt.MaxLineBytes, MaxInputBytes: opt.MaxInputBytes, Workers: opt.Workers})
	if err != nil {
		return sum, inputErr("read header", err)
	}
	defer rd.Close()

	e := newEngine(ref, meta, opt)
	if e.modeWarning != "" {
		addCapped(&sum.Warnings, e.modeWarning)
	}
	hdr := rd.Header()
	e.columns = hdr.Columns()
	e.addHeader(hdr)

	var out io.Writer = w
	var bw *vcf.BGZFWriter
	if opt.BGZF {
		bw = vcf.NewBGZFWriter(w, opt.Workers)
		out = bw
	}
	closeOut := func() error {
		if bw != nil {
			if cerr := bw.Close(); cerr != nil {
				return fmt.Errorf("annotate: write output: %w", cerr)
			}
		}
		return nil
	}
	if _, err := out.Write(hdr.AppendTo(nil)); err != nil {
		_ = closeOut()
		return sum, fmt.Errorf("annotate: write header: %w", err)
	}
	err = e.stream(ctx, rd, out, sum)
	sum.FinishCoverage()
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	return sum, err
}

func newEngine(ref reference, meta bundleMeta, opt Options) *engine {
	e := &engine{ref: ref, meta: meta, opt: opt, models: newModelCache(meta.Transcripts)}
	e.chosen, e.modeWarning = modeFallback(ref, opt.Transcripts)
	if len(opt.TranscriptIDs) > 0 {
		e.ids = make(map[string]struct{}, len(opt.TranscriptIDs))
		for _, id := range opt.TranscriptIDs {
			e.ids[stripVersion(strings.TrimSpace(id))] = struct{}{}
		}
	}
	e.sources = ref.Sources()
	for _, src := range e.sources {
		e.srcKnown = append(e.srcKnown, src.Kind == refdata.KindKnown)
		for _, f := range src.Fields {
			e.srcKeys = append(e.srcKeys, f.Key)
		}
	}
	for _, t := range ref.Tracks() {
		e.trackKeys = append(e.trackKeys, infoKey(t))
	}
	// Both consequence fields are the engine's: re-annotating a file in
	// the other format must not leave the old one behind.
	e.ownKeys = map[string]bool{"ANN": true, "CSQ": true, svannKey: true}
	for _, k := range e.srcKeys {
		e.ownKeys[k] = true
	}
	for _, k := range e.trackKeys {
		e.ownKeys[k] = true
	}
	return e
}

// stripVersion drops a ".N" version suffix from a transcript ID.
func stripVersion(id string) string {
	if i := strings.LastIndexByte(id, '.'); i > 0 {
		allDigits := i+1 < len(id)
		for _, c := range id[i+1:] {
			if c < '0' || c > '9' {
				allDigits = false
			}
		}
		if allDigits {
			return id[:i]
		}
	}
	return id
}

// infoKey turns a track name into a valid INFO key ([A-Za-z_][0-9A-Za-z_.]*).
func infoKey(name string) string {
	b := []byte(name)
	for i, c := range b {
		ok := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && (c == '.' || (c >= '0' && c <= '9')))
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// addHeader declares everything the engine writes.
func (e *engine) addHeader(h *vcf.Header) {
	if e.opt.Format == FormatCSQ {
		// Known-variant fields and tracks are CSQ columns, not INFO keys.
		h.Add(e.csqHeader())
		h.Add(svannHeader)
	} else {
		h.Add(`##INFO=<ID=ANN,Number=.,Type=String,Description="` + annDescription + `">`)
		h.Add(svannHeader)
		for _, src := range e.sources {
			for _, f := range src.Fields {
				h.Add(sourceFieldHeader(src, f))
			}
		}
		for i, t := range e.ref.Tracks() {
			h.Add(`##INFO=<ID=` + e.trackKeys[i] + `,Number=.,Type=String,Description="Names of the ` + headerText(t) +
				` track intervals overlapping the REF allele">`)
		}
	}
	if e.opt.Haplotypes {
		e.addHaplotypeHeader(h)
	}
	v := e.opt.Version
	if v == "" {
		v = "dev"
	}
	h.Add("##gas_version=" + headerText(v))
	if e.modeWarning != "" {
		h.Add("##gas_transcripts=WARNING: " + headerText(e.modeWarning))
	}
	h.Add("##gas_bundle=<Name=" + headerText(e.meta.Name) + ",Assembly=" + headerText(e.meta.Assembly) +
		",Checksum=" + headerText(e.meta.Checksum) + ">")
	for _, src := range e.sources {
		h.Add(sourceHeader(src))
	}
	if _, ok := h.Lookup("FORMAT", "GT"); !ok && len(h.Samples()) > 0 {
		// GT is reserved by the VCF specification; files often use it
		// without declaring it, which htslib warns about on every read.
		h.Add(`##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">`)
	}
	if len(h.Contigs()) == 0 {
		// Without ##contig lines bcftools warns on every contig; declare the
		// bundle's, which the records are expected to use.
		for _, c := range e.ref.Contigs() {
			line := "##contig=<ID=" + c
			if n := e.meta.ContigLengths[c]; n > 0 {
				line += ",length=" + itoa(n)
			}
			h.Add(line + ">")
		}
	}
}

// headerText keeps a value safe inside a structured header line.
func headerText(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '"', ',', '<', '>', '\n', '\r', '\t', '=':
			return '_'
		}
		return r
	}, s)
}

// stream runs the reader → workers → ordered writer pipeline.
func (e *engine) stream(parent context.Context, rd *vcf.Reader, out io.Writer, sum *Summary) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	nw := e.opt.Workers
	nJobs := 2*nw + 2 // bounded: memory does not grow with the input
	free := make(chan *job, nJobs)
	for i := 0; i < nJobs; i++ {
		free <- &job{done: make(chan struct{}, 1)}
	}
	work := make(chan *job, nJobs)
	order := make(chan *job, nJobs)
	var readErr error

	go func() {
		defer close(work)
		defer close(order)
		for {
			var j *job
			select {
			case j = <-free:
			case <-ctx.Done():
				return
			}
			if err := ctx.Err(); err != nil {
				return
			}
			err := rd.ReadBlock(&j.blk, blockRecords)
			if err == io.EOF {
				return
			}
			if err != nil {
				readErr = inputErr("read input", err)
				return
			}
			order <- j // capacity nJobs: never blocks
			work <- j
		}
	}()

	var wg sync.WaitGroup
	for i := 0; i < nw; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := newWorker(e)
			for j := range work {
				if ctx.Err() != nil {
					j.err = ctx.Err()
				} else {
					wk.block(j)
				}
				j.done <- struct{}{}
			}
		}()
	}

	var err error
	var written int64
	missing := map[string]bool{}
	var hs *hapStage
	if e.opt.Haplotypes {
		hs = newHapStage(e, out)
	}
	for j := range order {
		<-j.done
		if err == nil {
			switch {
			case j.err != nil:
				err = j.err
			case ctx.Err() != nil:
				err = ctx.Err()
			}
			if err == nil {
				if hs != nil {
					err = hs.block(j)
				} else if _, werr := out.Write(j.out); werr != nil {
					err = fmt.Errorf("annotate: write output: %w", werr)
				}
			}
			e.merge(sum, &j.st, missing)
			if err == nil {
				written += int64(j.blk.Len())
				if e.opt.Progress != nil {
					e.opt.Progress(written)
				}
			}
			if err != nil {
				cancel()
			}
		}
		free <- j
	}
	wg.Wait()
	if err == nil && readErr != nil {
		err = readErr
	}
	if hs != nil && err == nil && parent.Err() == nil {
		err = hs.finish(sum)
	}
	if err == nil {
		// The reader stops quietly when the caller cancels.
		err = parent.Err()
	}
	return err
}

// merge adds one block's counts to the summary (writer goroutine only).
func (e *engine) merge(sum *Summary, st *blockStats, missing map[string]bool) {
	sum.Records += st.records
	sum.Alleles += st.alleles
	sum.Annotated += st.annotated
	sum.NotAnnotated += st.notAnnotated
	sum.RefEqualsAlt += st.refIsAlt
	sum.Skipped += st.skipped
	sum.Known += st.known
	sum.Novel += st.novel
	for t, n := range st.terms {
		if n > 0 {
			sum.Consequences[termNames[t]] += n
		}
	}
	for i, n := range st.impacts {
		if n > 0 {
			sum.Impacts[impactNames[i]] += n
		}
	}
	for _, c := range st.chroms {
		sum.Chromosomes[c.name] += c.n
	}
	for i, n := range st.sources {
		if n > 0 {
			sum.Sources[e.sources[i].Name] += n
		}
	}
	sum.Uncovered += st.cover.uncovered
	sum.NoSequence += st.cover.noSequence
	tracks := e.ref.Tracks()
	for i, n := range st.tracks {
		if n > 0 && i < len(tracks) {
			sum.Tracks[tracks[i]] += n
		}
	}
	for _, c := range st.missing {
		if !missing[c] {
			missing[c] = true
			addCapped(&sum.Warnings, "contig "+c+" is not in the reference bundle: its variants are reported as intergenic")
		}
	}
	for _, w := range st.warnings {
		addCapped(&sum.Warnings, w)
	}
	for _, m := range st.errors {
		addCapped(&sum.Errors, m)
	}
}

var impactNames = [4]string{impactHigh, impactModerate, impactLow, impactModifier}

func addCapped(list *[]string, s string) {
	if len(*list) < maxListed {
		*list = append(*list, s)
	} else if len(*list) == maxListed {
		*list = append(*list, "... (further entries omitted)")
	}
}

// inputErr converts the vcf package's parse errors into InputError and wraps
// anything else with the operation.
func inputErr(op string, err error) error {
	var pe *vcf.ParseError
	if errors.As(err, &pe) {
		return &InputError{Line: pe.Line, Msg: pe.Msg}
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return fmt.Errorf("annotate: %s: %w", op, err)
}

// worker holds one goroutine's reusable state.
type worker struct {
	e      *engine
	sc     scratch
	rec    vcf.Record
	txs    []*refdata.Transcript
	effs   []effect
	info   []byte
	id     []byte
	hits   [][]byte
	src    sourceValues     // what the annotation sources say about each ALT
	lookup refdata.Allele   // the ALT being looked up, normalised
	curs   []refdata.Cursor // per source: where the last lookup ended
	val    []byte
	clean  []byte
	nref   []byte
	nalt   []byte
	cs     contigSeq
	sv     svScratch

	job       *job       // the block being annotated
	nEntry    int        // entries written for the current record
	ranges    [][2]int   // per ALT allele, its entries [from, to)
	vep       vepView    // CSQ: VEP's view of the record's alleles
	csqs      csqScratch // CSQ: codon buffers
	trackHits [][]byte   // CSQ: per track, the record's hits

	lastChrom []byte
	lastID    int
	lastOK    bool
}

func newWorker(e *engine) *worker { return &worker{e: e} }

// block annotates every line of j into j.out.
func (wk *worker) block(j *job) {
	j.out = j.out[:0]
	j.err = nil
	j.st.reset(len(wk.e.trackKeys), len(wk.e.sources))
	wk.job = j
	j.hap.reset()
	for i := 0; i < j.blk.Len(); i++ {
		line, lineNo := j.blk.Line(i), j.blk.LineNo(i)
		before := len(j.out)
		nRecs, nItems := len(j.hap.recs), len(j.hap.items)
		out, err := wk.record(j.out, line, lineNo, &j.st)
		if err != nil {
			j.hap.recs, j.hap.items = j.hap.recs[:nRecs], j.hap.items[:nItems]
			if wk.e.opt.OnError == Stop {
				j.err = err
				return
			}
			// Skip: write the line through unannotated — unless htslib
			// could not read it back (columns that disagree with the
			// #CHROM line, a NUL byte): written through, it would make the
			// whole output unreadable, so it is left out.
			out = j.out[:before]
			if wk.writable(line) {
				out = append(out, line...)
				out = append(out, '\n')
			}
			j.st.skipped++
			addCapped(&j.st.errors, err.Error())
		}
		j.out = out
	}
}

// writable reports whether a line that failed can be written through
// unannotated and still be read by htslib: no NUL byte, and as many
// columns as the #CHROM line (trailing tabs and spaces name none). htslib
// reads other flaws (an unreadable POS, an empty ALT) without failing.
func (wk *worker) writable(line []byte) bool {
	return bytes.IndexByte(line, 0) < 0 && bytes.Count(bytes.TrimRight(line, "\t "), []byte{'\t'})+1 == wk.e.columns
}

// record annotates one data line, appending the output line to out.
func (wk *worker) record(out, line []byte, lineNo int64, st *blockStats) ([]byte, error) {
	e := wk.e
	rec := &wk.rec
	if err := vcf.ParseRecord(line, lineNo, rec); err != nil {
		return out, inputErr("parse record", err)
	}
	if err := vcf.CheckColumns(rec, e.columns); err != nil {
		return out, inputErr("parse record", err)
	}
	st.records++
	st.chrom(rec.Chrom)
	contig, ok := wk.contig(rec.Chrom)
	if !ok {
		if len(st.missing) == 0 || st.missing[len(st.missing)-1] != string(rec.Chrom) {
			st.missing = append(st.missing, string(rec.Chrom))
		}
	}
	pos := int(rec.Pos)
	st.cover.count(&e.meta, e.ref, contig, ok, rec.Pos)
	var src seqSource
	if ok && e.ref.HasSequence(contig) {
		wk.cs = contigSeq{e.ref, contig}
		src = &wk.cs // a pointer to the worker's copy: no allocation per record
		if err := wk.checkRef(src, rec, st); err != nil {
			return out, err
		}
	}
	wk.sc.arena = wk.sc.arena[:0]
	wk.info = wk.info[:0]
	wk.src.reset(len(e.sources))
	wk.nEntry, wk.ranges = 0, wk.ranges[:0]
	anyFound := false
	annStarted := false
	csq := e.opt.Format == FormatCSQ
	if csq {
		// CSQ positions use VEP's view of the alleles, and every entry
		// carries the record's track hits as source columns.
		wk.vep.set(rec)
		if ok {
			wk.collectTracks(contig, pos, pos+len(rec.Ref)-1, st)
		} else {
			wk.clearTracks()
		}
	}
	wk.sv.ann = wk.sv.ann[:0]
	for ai, alt := range rec.Alts {
		st.alleles++
		note := ""
		var v variant
		var sv structVar
		if vcf.IsSymbolic(alt) {
			var err error
			if sv, note, err = wk.structural(rec, ai, alt, st); err != nil {
				return out, err
			}
		} else {
			wk.nref = upper(append(wk.nref[:0], rec.Ref...))
			wk.nalt = upper(append(wk.nalt[:0], alt...))
			var changed bool
			if v, changed = normalise(pos, wk.nref, wk.nalt); !changed {
				note = noteNoChange
			}
		}
		if note != "" {
			// No sequence change to describe: a note-only ANN entry says so
			// (CSQ has no place for a note; VEP writes nothing either).
			// An ALT equal to REF is counted apart: it is no symbolic
			// allele, and people reading the summary want to know.
			if note == noteNoChange {
				st.refIsAlt++
			} else {
				st.notAnnotated++
			}
			wk.src.addAllele()
			from := wk.nEntry
			if !csq {
				wk.info = wk.annSep(wk.info, &annStarted)
				wk.info = appendNote(wk.info, alt, note)
				wk.nEntry++
			}
			wk.ranges = append(wk.ranges, [2]int{from, wk.nEntry})
			continue
		}
		st.annotated++
		if sv.class != svNone {
			// Structural variants are not looked up among known variants:
			// an exact ALT match says nothing of their extent.
			st.novel++
			wk.src.addAllele()
			wk.info = wk.annSep(wk.info, &annStarted)
			from, at := wk.nEntry, len(wk.info)
			wk.info = wk.svAllele(wk.info, alt, ai, &sv, contig, ok, st)
			// Entries are ','-separated (values escape their commas).
			wk.nEntry += 1 + bytes.Count(wk.info[at:], []byte{','})
			wk.ranges = append(wk.ranges, [2]int{from, wk.nEntry})
			continue
		}
		found, known := wk.lookupSources(contig, ok, pos, rec.Ref, alt, st)
		anyFound = anyFound || found
		if known {
			st.known++
		} else {
			st.novel++
		}
		wk.info = wk.annSep(wk.info, &annStarted)
		from := wk.nEntry
		wk.info = wk.allele(wk.info, alt, ai, &v, contig, ok, src, st)
		wk.ranges = append(wk.ranges, [2]int{from, wk.nEntry})
	}
	wk.flushSVAnn()
	if anyFound && !csq {
		wk.sourceInfo()
	}
	if ok && !csq {
		wk.tracks(contig, pos, pos+len(rec.Ref)-1, st)
	}
	if len(wk.info) > 0 {
		wk.stripOwnKeys(rec)
	}
	var id []byte
	if anyFound {
		id = wk.mergeIDs(rec.ID)
	}
	if e.opt.Haplotypes {
		return wk.hapRecord(out, rec, id, contig, ok), nil
	}
	return vcf.AppendRecord(out, rec, id, wk.info), nil
}

// contig resolves a contig name, remembering the last one (records come
// grouped by contig).
func (wk *worker) contig(name []byte) (int, bool) {
	if wk.lastChrom != nil && bytes.Equal(wk.lastChrom, name) {
		return wk.lastID, wk.lastOK
	}
	wk.lastID, wk.lastOK = wk.e.ref.ContigID(name)
	wk.lastChrom = append(wk.lastChrom[:0], name...)
	return wk.lastID, wk.lastOK
}

// checkRef compares REF with the reference sequence; N matches anything. A
// REF running past the end of the contig is compared as far as the contig
// goes and reported as a warning: such records come from references whose
// contig is a slice of a longer sequence.
func (wk *worker) checkRef(src seqSource, rec *vcf.Record, st *blockStats) error {
	pos := int(rec.Pos)
	n := len(rec.Ref)
	g, err := src.Seq(pos, pos+n-1)
	if err != nil {
		// Find how much of REF lies on the contig (rare: only at contig
		// ends), by bisection so a huge REF costs few lookups.
		lo, hi := 0, n-1 // bases known readable, known unreadable
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if _, e := src.Seq(pos, pos+mid-1); e == nil {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		n = lo
		g, err = src.Seq(pos, pos+n-1)
		if err != nil {
			n = 0
		}
	}
	if n == 0 {
		return &InputError{Line: rec.LineNo, Msg: "POS " + itoa(rec.Pos) + " lies beyond the end of reference contig " + string(rec.Chrom)}
	}
	if n < len(rec.Ref) {
		addCapped(&st.warnings, "line "+itoa(rec.LineNo)+": REF at "+string(rec.Chrom)+":"+itoa(rec.Pos)+" extends beyond the end of the reference contig")
	}
	for i, c := range rec.Ref[:n] {
		r, q := c&^0x20, g[i]&^0x20
		if r != q && r != 'N' && q != 'N' {
			return &InputError{Line: rec.LineNo, Msg: "REF " + short(rec.Ref) + " does not match the reference (" + short(g) + ") at " +
				string(rec.Chrom) + ":" + itoa(rec.Pos)}
		}
	}
	return nil
}

func short(b []byte) string {
	if len(b) > 20 {
		return string(b[:20]) + "..."
	}
	return string(b)
}

// annSep starts the ANN (or CSQ) field or separates its entries.
func (wk *worker) annSep(dst []byte, started *bool) []byte {
	if !*started {
		*started = true
		dst = append(dst, wk.e.opt.Format.field()...)
		return append(dst, '=')
	}
	return append(dst, ',')
}
