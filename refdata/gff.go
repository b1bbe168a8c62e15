package refdata

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// geneModel is a parsed gene annotation: transcripts whose Contig indexes
// contigs (first-seen order).
type geneModel struct {
	contigs   []string
	contigMax []int // largest coordinate seen per contig
	tx        []Transcript
	genes     int
	// regions are the GFF3 ##sequence-region declarations: the part of each
	// contig the file annotates (a slice of a genome declares its slice).
	regions map[string]Span
}

// partKind is the role of a sub-transcript feature.
type partKind uint8

const (
	partExon partKind = iota
	partCDS
	partUTR
	partStartCodon
	partStopCodon
)

// partKinds maps the feature types that describe a transcript's structure;
// every other type is either a parent (gene, transcript, mRNA, …) or ignored.
var partKinds = map[string]partKind{
	"exon": partExon, "CDS": partCDS,
	"five_prime_UTR": partUTR, "three_prime_UTR": partUTR, "UTR": partUTR,
	"five_prime_utr": partUTR, "three_prime_utr": partUTR,
	"start_codon": partStartCodon, "stop_codon": partStopCodon,
}

type part struct {
	kind       partKind
	start, end int
	phase      int // -1 when "."
	line       int
}

// gffParent is a gene- or transcript-level feature (anything with an ID that
// is not a part), or for GTF a transcript assembled from its attributes.
type gffParent struct {
	typ        string
	contig     int
	strand     byte
	start, end int
	parent     string // GFF3 Parent (first)
	id         string // transcript_id / ID without "transcript:" prefix
	name       string
	geneID     string
	geneName   string
	biotype    string
	tags       string // comma-separated
	proteinID  string // protein_id of the first CDS line that has one
	line       int
	parts      []part
	seen       bool // had its own feature line
}

type gffParser struct {
	file    string
	gtf     bool
	decided bool
	contigs map[string]int
	model   geneModel
	// GFF3: features by ID; GTF: transcripts by transcript_id.
	feats map[string]*gffParent
	order []string // feature IDs in first-seen order, for a stable result
	// GTF genes (for names when transcript lines lack them) and counts.
	genes map[string]string
}

// parseGenes reads a GFF3 or GTF gene annotation. The format is decided on
// the first feature line: GFF3 attributes are key=value, GTF ones key "value".
func parseGenes(ctx context.Context, r io.Reader, file string) (*geneModel, error) {
	p := &gffParser{file: file, contigs: map[string]int{}, feats: map[string]*gffParent{}, genes: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		if line&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		b := sc.Bytes()
		if len(b) == 0 || b[0] == '#' {
			if bytes.HasPrefix(b, []byte("##FASTA")) {
				break // embedded sequence section of a GFF3: no more features
			}
			if r, ok := bytes.CutPrefix(b, []byte("##sequence-region")); ok {
				p.region(r)
			}
			continue
		}
		if err := p.line(b, line); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", file, line+1, err)
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return &p.model, nil
}

// region records a "##sequence-region seqid start end" line; a malformed
// one is ignored (it only narrows the coverage the manifest reports).
func (p *gffParser) region(b []byte) {
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return
	}
	s, err1 := strconv.ParseInt(f[1], 10, 64)
	e, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || s < 1 || e < s || e > maxCoord {
		return
	}
	if p.model.regions == nil {
		p.model.regions = map[string]Span{}
	}
	r, ok := p.model.regions[f[0]]
	if ok {
		// Several lines for one contig: keep their overall extent.
		s, e = min(s, r.Start), max(e, r.End)
	}
	p.model.regions[f[0]] = Span{Start: s, End: e}
}

func (p *gffParser) contigID(name string) int {
	id, ok := p.contigs[name]
	if !ok {
		id = len(p.model.contigs)
		p.contigs[name] = id
		p.model.contigs = append(p.model.contigs, name)
		p.model.contigMax = append(p.model.contigMax, 0)
	}
	return id
}

func (p *gffParser) line(b []byte, line int) error {
	var col [9][]byte
	n := 0
	for n < 8 {
		i := bytes.IndexByte(b, '\t')
		if i < 0 {
			break
		}
		col[n] = b[:i]
		b = b[i+1:]
		n++
	}
	col[n] = b
	if n < 8 {
		return fmt.Errorf("expected 9 tab-separated columns, found %d", n+1)
	}
	typ := string(col[2])
	kind, isPart := partKinds[typ]
	start, err := strconv.Atoi(string(col[3]))
	if err != nil || start < 1 && isPart {
		return fmt.Errorf("bad start %q", col[3])
	}
	if start < 1 {
		// Sliced test files put gene starts before the slice; a parent's
		// extent only widens the transcript, so clip it rather than fail.
		start = 1
	}
	end, err := strconv.Atoi(string(col[4]))
	if err != nil || end < 1 {
		return fmt.Errorf("bad end %q", col[4])
	}
	if end < start {
		return fmt.Errorf("end %d is before start %d", end, start)
	}
	if end > 1<<31-2 {
		return fmt.Errorf("end %d is too large", end)
	}
	if len(col[6]) != 1 || bytes.IndexByte([]byte("+-.?"), col[6][0]) < 0 {
		return fmt.Errorf("unknown strand %q (want +, - or .)", col[6])
	}
	strand := col[6][0]
	phase := -1
	if len(col[7]) == 1 && col[7][0] >= '0' && col[7][0] <= '2' {
		phase = int(col[7][0] - '0')
	} else if !bytes.Equal(col[7], []byte(".")) {
		return fmt.Errorf("bad phase %q (want 0, 1, 2 or .)", col[7])
	}
	if len(col[0]) == 0 {
		return fmt.Errorf("empty seqid")
	}
	attrs := col[8]
	if !p.decided {
		p.decided = true
		p.gtf = isGTFAttrs(attrs)
	}
	if p.gtf {
		return p.gtfLine(col[0], typ, kind, isPart, start, end, strand, phase, attrs, line)
	}
	return p.gff3Line(col[0], typ, kind, isPart, start, end, strand, phase, attrs, line)
}

// isGTFAttrs tells GTF (key "value"; …) from GFF3 (key=value;…) attributes.
func isGTFAttrs(a []byte) bool {
	a = bytes.TrimSpace(a)
	sp := bytes.IndexByte(a, ' ')
	eq := bytes.IndexByte(a, '=')
	return sp >= 0 && (eq < 0 || sp < eq)
}

func (p *gffParser) seeContig(name []byte, end int) int {
	c := p.contigID(string(name))
	if end > p.model.contigMax[c] {
		p.model.contigMax[c] = end
	}
	return c
}

// gff3Attr returns the percent-decoded value of key in GFF3 attributes.
func gff3Attr(a []byte, key string) string {
	for len(a) > 0 {
		var f []byte
		if i := bytes.IndexByte(a, ';'); i >= 0 {
			f, a = a[:i], a[i+1:]
		} else {
			f, a = a, nil
		}
		f = bytes.TrimSpace(f)
		if len(f) > len(key) && f[len(key)] == '=' && string(f[:len(key)]) == key {
			v := string(f[len(key)+1:])
			if strings.IndexByte(v, '%') >= 0 {
				if d, err := url.PathUnescape(v); err == nil {
					return d
				}
			}
			return v
		}
	}
	return ""
}

func stripPrefix(id string) string {
	for _, p := range []string{"transcript:", "gene:", "rna-", "gene-"} { // Ensembl, NCBI
		if strings.HasPrefix(id, p) {
			return id[len(p):]
		}
	}
	return id
}

func (p *gffParser) gff3Line(seq []byte, typ string, kind partKind, isPart bool, start, end int, strand byte, phase int, attrs []byte, line int) error {
	c := p.seeContig(seq, end)
	if isPart {
		parents := gff3Attr(attrs, "Parent")
		if parents == "" {
			return nil // an orphan exon/CDS cannot be placed in a transcript
		}
		for _, par := range strings.Split(parents, ",") {
			f := p.feats[par]
			if f == nil {
				f = &gffParent{contig: c, strand: strand, start: start, end: end, line: line}
				p.feats[par] = f
				p.order = append(p.order, par)
			}
			if f.contig != c {
				return fmt.Errorf("%s of %s is on %s, its other parts on %s", typ, par, seq, p.model.contigs[f.contig])
			}
			f.parts = append(f.parts, part{kind: kind, start: start, end: end, phase: phase, line: line})
			if f.proteinID == "" && typ == "CDS" {
				f.proteinID = gff3Attr(attrs, "protein_id")
			}
		}
		return nil
	}
	id := gff3Attr(attrs, "ID")
	if id == "" {
		return nil // e.g. biological_region: nothing refers to it
	}
	f := p.feats[id]
	if f == nil {
		f = &gffParent{}
		p.feats[id] = f
		p.order = append(p.order, id)
	}
	if f.seen {
		// A multi-line feature (same ID on several lines): widen it.
		f.start, f.end = min(f.start, start), max(f.end, end)
		return nil
	}
	if len(f.parts) > 0 && f.contig != c {
		return fmt.Errorf("%s %s is on %s, its parts on %s", typ, id, seq, p.model.contigs[f.contig])
	}
	f.seen = true
	f.typ, f.contig, f.strand, f.start, f.end, f.line = typ, c, strand, start, end, line
	if par := gff3Attr(attrs, "Parent"); par != "" {
		f.parent, _, _ = strings.Cut(par, ",")
	}
	f.id = gff3Attr(attrs, "transcript_id")
	if f.id == "" {
		f.id = stripPrefix(id)
	}
	f.name = gff3Attr(attrs, "Name")
	f.geneID = gff3Attr(attrs, "gene_id")
	// Ensembl says biotype, GENCODE transcript_type/gene_type, NCBI
	// gene_biotype; the transcript's own wins over the gene's.
	for _, k := range []string{"biotype", "transcript_biotype", "transcript_type", "gene_biotype", "gene_type"} {
		if f.biotype = gff3Attr(attrs, k); f.biotype != "" {
			break
		}
	}
	f.geneName = gff3Attr(attrs, "gene_name") // GENCODE
	if f.geneName == "" {
		f.geneName = gff3Attr(attrs, "gene") // NCBI
	}
	f.tags = gff3Attr(attrs, "tag")
	return nil
}

// gtfAttrs calls fn for each key "value" pair of GTF attributes.
func gtfAttrs(a []byte, fn func(k, v []byte)) {
	for len(a) > 0 {
		var f []byte
		if i := bytes.IndexByte(a, ';'); i >= 0 {
			f, a = a[:i], a[i+1:]
		} else {
			f, a = a, nil
		}
		f = bytes.TrimSpace(f)
		k, v, ok := bytes.Cut(f, []byte(" "))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		fn(k, v)
	}
}

func (p *gffParser) gtfLine(seq []byte, typ string, kind partKind, isPart bool, start, end int, strand byte, phase int, attrs []byte, line int) error {
	c := p.seeContig(seq, end)
	var tid, gid, gname, tbio, gbio, pid string
	var tags []string
	gtfAttrs(attrs, func(k, v []byte) {
		switch string(k) {
		case "transcript_id":
			tid = string(v)
		case "gene_id":
			gid = string(v)
		case "gene_name":
			gname = string(v)
		case "transcript_biotype", "transcript_type":
			tbio = string(v)
		case "gene_biotype", "gene_type":
			gbio = string(v)
		case "tag":
			tags = append(tags, string(v))
		case "protein_id":
			if typ == "CDS" {
				pid = string(v)
			}
		}
	})
	if typ == "gene" {
		if gid != "" {
			p.genes[gid] = gname
		}
		return nil
	}
	if tid == "" {
		return nil // not part of a transcript
	}
	if !isPart && typ != "transcript" {
		return nil // e.g. Selenocysteine: not modelled
	}
	// Some files list several transcripts sharing a feature, comma-separated.
	for tid := range strings.SplitSeq(tid, ",") {
		if err := p.gtfFeature(c, seq, tid, gid, gname, tbio, gbio, pid, tags, typ, kind, isPart, start, end, strand, phase, line); err != nil {
			return err
		}
	}
	return nil
}

func (p *gffParser) gtfFeature(c int, seq []byte, tid, gid, gname, tbio, gbio, pid string, tags []string, typ string, kind partKind, isPart bool, start, end int, strand byte, phase, line int) error {
	if tid == "" {
		return nil
	}
	// Keyed by contig too: UCSC-made GTFs reuse one transcript_id for every
	// place a transcript maps to (PAR, alternate loci); each becomes its own
	// transcript with that ID.
	key := string(seq) + "\t" + tid
	f := p.feats[key]
	if f == nil {
		f = &gffParent{id: tid, contig: c, strand: strand, start: start, end: end, line: line}
		p.feats[key] = f
		p.order = append(p.order, key)
	}
	if f.geneID == "" {
		f.geneID = gid
	}
	if f.geneName == "" {
		f.geneName = gname
	}
	if f.proteinID == "" {
		f.proteinID = pid
	}
	if f.biotype == "" {
		f.biotype = tbio
		if f.biotype == "" {
			f.biotype = gbio
		}
	}
	for _, t := range tags {
		if !hasTag(f.tags, t) {
			if f.tags != "" {
				f.tags += ","
			}
			f.tags += t
		}
	}
	if isPart {
		f.parts = append(f.parts, part{kind: kind, start: start, end: end, phase: phase, line: line})
		return nil
	}
	f.seen = true
	f.typ, f.strand, f.start, f.end, f.line = typ, strand, start, end, line
	return nil
}

func hasTag(tags, t string) bool {
	for tags != "" {
		var x string
		x, tags, _ = strings.Cut(tags, ",")
		if x == t {
			return true
		}
	}
	return false
}

// finish turns the collected features into transcripts.
func (p *gffParser) finish() error {
	genes := map[string]bool{}
	for _, key := range p.order {
		f := p.feats[key]
		if len(f.parts) == 0 {
			continue // a gene, or a transcript without exons/CDS: nothing to annotate
		}
		t := Transcript{Contig: f.contig, ID: f.id, ProteinID: f.proteinID}
		if t.ID == "" {
			t.ID = stripPrefix(key)
		}
		switch f.strand {
		case '+':
			t.Strand = Forward
		case '-':
			t.Strand = Reverse
		default:
			// Parts carry the strand too; a transcript without one cannot be read.
			return fmt.Errorf("%s:%d: transcript %s has no strand (+ or -)", p.file, f.line, t.ID)
		}
		if p.gtf {
			t.GeneID, t.GeneName = f.geneID, f.geneName
			if t.GeneName == "" {
				t.GeneName = p.genes[f.geneID]
			}
		} else {
			t.GeneID = f.geneID
			if g := p.feats[f.parent]; g != nil && f.parent != "" && g.seen {
				if t.GeneID == "" {
					t.GeneID = g.geneID
				}
				if t.GeneID == "" {
					t.GeneID = stripPrefix(f.parent)
				}
				t.GeneName = g.name
				if t.GeneName == "" {
					t.GeneName = g.geneName
				}
				if f.biotype == "" {
					f.biotype = g.biotype
				}
			} else if f.parent != "" && t.GeneID == "" {
				t.GeneID = stripPrefix(f.parent)
			}
			if f.typ == "gene" || strings.HasSuffix(f.typ, "_gene") {
				// Parts hang directly off a gene: the gene is its own transcript.
				t.GeneID, t.GeneName = stripPrefix(key), f.name
			}
		}
		if t.GeneName == "" && !p.gtf {
			t.GeneName = f.geneName
		}
		t.Biotype = f.biotype
		if t.Biotype == "" {
			// No biotype attribute: the SO feature type says as much (RefSeq
			// and NCBI-style files use mRNA, lnc_RNA, miRNA…).
			switch f.typ {
			case "mRNA":
				t.Biotype = "protein_coding"
			case "", "transcript", "gene":
			default:
				t.Biotype = f.typ
			}
		}
		t.Canonical = hasTag(f.tags, "Ensembl_canonical")
		t.MANESelect = hasTag(f.tags, "MANE_Select")
		startNF, endNF := hasTag(f.tags, "cds_start_NF"), hasTag(f.tags, "cds_end_NF")
		if err := p.assemble(&t, f, startNF, endNF); err != nil {
			return err
		}
		if t.GeneID != "" {
			genes[t.GeneID] = true
		}
		p.model.tx = append(p.model.tx, t)
	}
	p.model.genes = len(genes)
	return nil
}

// assemble derives exons, the CDS bounds and phase, and the incompleteness
// flags of one transcript from its parts.
func (p *gffParser) assemble(t *Transcript, f *gffParent, startNF, endNF bool) error {
	parts := f.parts
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].start < parts[j].start })
	var exons, blocks []Exon // exon lines; CDS+UTR+codon blocks (for models without exon lines)
	cdsS, cdsE, coding := 0, 0, false
	var first part // first CDS part in transcription order
	cdsLen := 0
	for _, pt := range parts {
		switch pt.kind {
		case partExon:
			exons = append(exons, Exon{pt.start, pt.end})
		case partCDS, partStopCodon, partStartCodon:
			// GTF CDS lines exclude the stop codon; taking the union with the
			// codon features restores the full CDS.
			if !coding || pt.start < cdsS {
				cdsS = pt.start
			}
			if !coding || pt.end > cdsE {
				cdsE = pt.end
			}
			coding = true
			blocks = append(blocks, Exon{pt.start, pt.end})
			if pt.kind == partCDS {
				cdsLen += pt.end - pt.start + 1
				if first.end == 0 || (t.Strand == Forward && pt.start < first.start) || (t.Strand == Reverse && pt.end > first.end) {
					first = pt
				}
			}
		case partUTR:
			blocks = append(blocks, Exon{pt.start, pt.end})
		}
	}
	// Exon lines may touch (a 1-bp intron is still an intron) but derived
	// blocks must be merged when they touch: UTR and CDS pieces of one exon
	// abut. Overlaps are merged in both cases (duplicated lines, slippage).
	touch := 0
	if len(exons) == 0 {
		exons = blocks
		touch = 1
		sort.Slice(exons, func(i, j int) bool { return exons[i].Start < exons[j].Start })
	}
	merged := make([]Exon, 0, len(exons))
	for _, e := range exons {
		if n := len(merged); n > 0 && e.Start <= merged[n-1].End+touch {
			merged[n-1].End = max(merged[n-1].End, e.End)
			continue
		}
		merged = append(merged, e)
	}
	t.Exons = merged
	t.Start, t.End = merged[0].Start, merged[len(merged)-1].End
	if f.seen {
		t.Start, t.End = min(t.Start, f.start), max(t.End, f.end)
	}
	if coding {
		if cdsS < merged[0].Start || cdsE > merged[len(merged)-1].End {
			return fmt.Errorf("%s:%d: transcript %s: CDS %d-%d extends beyond its exons (%d-%d)", p.file, f.line, t.ID, cdsS, cdsE, merged[0].Start, merged[len(merged)-1].End)
		}
		t.CDSStart, t.CDSEnd = cdsS, cdsE
		if first.phase > 0 {
			t.Phase = first.phase
		}
		cp, err := codingParts(p.file, t, parts, merged)
		if err != nil {
			return err
		}
		t.CDS = cp
		if cp != nil {
			// A slip reads bases twice or skips them: the parts give the length.
			cdsLen = 0
			for _, c := range cp {
				cdsLen += c.End - c.Start + 1
			}
		} else if total := cdsE - cdsS + 1 - intronBases(merged, cdsS, cdsE); total > cdsLen {
			// Codon features extend the CDS length when GTF left the stop out.
			cdsLen = total
		}
		t.StartIncomplete = startNF || t.Phase != 0
		t.EndIncomplete = endNF || (cdsLen-t.Phase)%3 != 0
	}
	return nil
}

// intronBases counts bases of [s,e] not covered by exons.
func intronBases(exons []Exon, s, e int) int {
	covered := 0
	for _, x := range exons {
		a, b := max(x.Start, s), min(x.End, e)
		if b >= a {
			covered += b - a + 1
		}
	}
	return e - s + 1 - covered
}
