package annotate

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gas-project/gas/refdata"
)

// The structural-variant fixture: one contig whose left half holds a few
// forward-strand transcripts and whose right half is the reverse complement
// of the left, so every transcript has a mirror on the reverse strand and
// every case a mirrored twin that must get the same consequences. The same
// fixture is written as GFF3, FASTA and VCF (testdata/sv) for Ensembl VEP.

const (
	svHalf   = 20000
	svLen    = 2 * svHalf
	svContig = "sv"
)

// svSpec is a forward-strand transcript on the left half.
type svSpec struct {
	id, gene, name, biotype string
	exons                   []refdata.Exon
	cdsStart, cdsEnd        int // 0: non-coding
}

var svSpecs = []svSpec{
	// Coding, three exons: 5' UTR 1001-1050, CDS 1051-1100, 2001-2100,
	// 3001-3045 (195 bases, stop TAA at 3043-3045), 3' UTR 3046-3200.
	{"TXF", "GXF", "SVF", "protein_coding", []refdata.Exon{{Start: 1001, End: 1100}, {Start: 2001, End: 2100}, {Start: 3001, End: 3200}}, 1051, 3045},
	// Non-coding, two exons.
	{"NCF", "GNF", "SVNC", "lncRNA", []refdata.Exon{{Start: 6001, End: 6100}, {Start: 6501, End: 6600}}, 0, 0},
	// NMD transcript with a CDS of 99 bases.
	{"NMDF", "GMF", "SVNMD", "nonsense_mediated_decay", []refdata.Exon{{Start: 9001, End: 9100}, {Start: 9301, End: 9400}}, 9052, 9350},
	// Coding, with a 10-base intron (VEP: a "frameshift intron", an
	// alignment gap in the model).
	{"FSF", "GSF", "SVFS", "protein_coding", []refdata.Exon{{Start: 11001, End: 11100}, {Start: 11111, End: 11200}}, 11021, 11180},
}

// svMirror maps a left-half position to its mirror.
func svMirror(x int) int { return svLen + 1 - x }

// svGenome builds the fixture sequence: random background, coding
// sequences of sense codons between ATG and TAA, GT...AG introns, and the
// right half the reverse complement of the left.
func svGenome() []byte {
	g := filler(svLen, 11)
	x := uint32(5)
	next := func() uint32 { x = x*1664525 + 1013904223; return x >> 24 }
	for _, s := range svSpecs {
		for i := 1; i < len(s.exons); i++ {
			is, ie := s.exons[i-1].End+1, s.exons[i].Start-1
			copy(g[is-1:], "GT")
			copy(g[ie-2:], "AG")
		}
		if s.cdsStart == 0 {
			continue
		}
		var cds []byte
		for _, e := range s.exons {
			a, b := max(e.Start, s.cdsStart), min(e.End, s.cdsEnd)
			if a <= b {
				cds = append(cds, make([]byte, b-a+1)...)
			}
		}
		copy(cds, "ATG")
		for i := 3; i+3 <= len(cds)-3; i += 3 {
			for {
				c := []byte{"ACGT"[next()%4], "ACGT"[next()%4], "ACGT"[next()%4]}
				if s := string(c); s != "TAA" && s != "TAG" && s != "TGA" {
					copy(cds[i:], c)
					break
				}
			}
		}
		copy(cds[len(cds)-3:], "TAA")
		k := 0
		for _, e := range s.exons {
			a, b := max(e.Start, s.cdsStart), min(e.End, s.cdsEnd)
			for p := a; p <= b; p++ {
				g[p-1] = cds[k]
				k++
			}
		}
	}
	right := revComp(append([]byte(nil), g[:svHalf]...))
	copy(g[svHalf:], right)
	return g
}

// svTranscripts returns the fixture's transcripts: each spec and its
// mirror (ID with R for F).
func svTranscripts() []*refdata.Transcript {
	var out []*refdata.Transcript
	for _, s := range svSpecs {
		t := &refdata.Transcript{ID: s.id, GeneID: s.gene, GeneName: s.name, Biotype: s.biotype, Strand: refdata.Forward,
			Start: s.exons[0].Start, End: s.exons[len(s.exons)-1].End, Exons: s.exons, CDSStart: s.cdsStart, CDSEnd: s.cdsEnd}
		m := &refdata.Transcript{ID: mirrorID(s.id), GeneID: mirrorID(s.gene), GeneName: s.name + "R", Biotype: s.biotype,
			Strand: refdata.Reverse, Start: svMirror(t.End), End: svMirror(t.Start)}
		for i := len(s.exons) - 1; i >= 0; i-- {
			m.Exons = append(m.Exons, refdata.Exon{Start: svMirror(s.exons[i].End), End: svMirror(s.exons[i].Start)})
		}
		if s.cdsStart > 0 {
			m.CDSStart, m.CDSEnd = svMirror(s.cdsEnd), svMirror(s.cdsStart)
		}
		out = append(out, t, m)
	}
	return out
}

func mirrorID(id string) string { return strings.TrimSuffix(id, "F") + "R" }

func svRef() *testRef {
	r := &testRef{names: []string{svContig}, seqs: [][]byte{svGenome()}}
	r.addTranscripts(svTranscripts()...)
	return r
}

// svCase is one structural-variant record on the left half. Kind is the
// ALT's type; span is the affected length for DEL/DUP/INV/CNV; info is
// extra INFO. want maps a transcript ID (left-half, forward) to its
// expected '&'-joined terms; its mirror must get the same on the reverse
// strand. A transcript not listed must not appear, unless listed in other.
type svCase struct {
	id    string
	pos   int
	alt   string // e.g. <DEL>; in a breakend N stands for the REF base
	span  int
	info  string
	want  map[string]string
	extra string // expected SVANN "EXON|INTRON|OverlapBP|OverlapPC" of the first want transcript, when set
}

// svRecord renders a case as a VCF line on genome g; mirrored places it on
// the right half.
func svRecord(g []byte, c svCase, mirrored bool) string {
	pos, id := c.pos, c.id
	kind, _, _ := parseSVAlt([]byte(c.alt))
	if mirrored {
		id += "_r"
		switch kind {
		case svtIns:
			pos = svLen - c.pos
		case svtBND:
			pos = svLen - c.pos - 1
		default:
			pos = svLen - (c.pos + c.span)
		}
	}
	ref := string(g[pos-1])
	alt := c.alt
	if kind == svtBND {
		alt = strings.Replace(alt, "N", ref, 1)
	}
	var info []string
	switch {
	case c.span > 0:
		info = append(info, "END="+strconv.Itoa(pos+c.span), "SVLEN="+strconv.Itoa(c.span))
	case kind == svtIns:
		info = append(info, "END="+strconv.Itoa(pos)) // VCF 4.4: the padding base
	}
	if c.info != "" {
		info = append(info, c.info)
	}
	if len(info) == 0 {
		info = append(info, ".")
	}
	return fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t.\t.\t%s\n", svContig, pos, id, ref, alt, strings.Join(info, ";"))
}

// svVCF renders the cases and their mirrors, sorted by position.
func svVCF(g []byte, cases []svCase) string {
	var lines []string
	for _, c := range cases {
		lines = append(lines, svRecord(g, c, false), svRecord(g, c, true))
	}
	sort.SliceStable(lines, func(i, j int) bool {
		pi, _ := strconv.Atoi(strings.Split(lines[i], "\t")[1])
		pj, _ := strconv.Atoi(strings.Split(lines[j], "\t")[1])
		return pi < pj
	})
	var b bytes.Buffer
	b.WriteString("##fileformat=VCFv4.4\n##contig=<ID=" + svContig + ",length=" + strconv.Itoa(svLen) + ">\n")
	b.WriteString(`##INFO=<ID=END,Number=1,Type=Integer,Description="End position">` + "\n")
	b.WriteString(`##INFO=<ID=SVLEN,Number=A,Type=Integer,Description="Length of structural variant">` + "\n")
	b.WriteString(`##INFO=<ID=CN,Number=A,Type=Float,Description="Copy number of allele">` + "\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	for _, l := range lines {
		b.WriteString(l)
	}
	return b.String()
}

// svGFF renders the fixture's transcripts as Ensembl-style GFF3.
func svGFF() string {
	var b strings.Builder
	b.WriteString("##gff-version 3\n")
	for _, t := range svTranscripts() {
		s := "+"
		if t.Strand == refdata.Reverse {
			s = "-"
		}
		fmt.Fprintf(&b, "%s\tgas\tgene\t%d\t%d\t.\t%s\t.\tID=gene:%s;Name=%s;biotype=%s;gene_id=%s\n", svContig, t.Start, t.End, s, t.GeneID, t.GeneName, t.Biotype, t.GeneID)
		typ := "mRNA"
		if t.CDSStart == 0 {
			typ = "lnc_RNA"
		}
		fmt.Fprintf(&b, "%s\tgas\t%s\t%d\t%d\t.\t%s\t.\tID=transcript:%s;Parent=gene:%s;biotype=%s;transcript_id=%s\n", svContig, typ, t.Start, t.End, s, t.ID, t.GeneID, t.Biotype, t.ID)
		for i, e := range t.Exons {
			rank := i + 1
			if t.Strand == refdata.Reverse {
				rank = len(t.Exons) - i
			}
			fmt.Fprintf(&b, "%s\tgas\texon\t%d\t%d\t.\t%s\t.\tParent=transcript:%s;rank=%d\n", svContig, e.Start, e.End, s, t.ID, rank)
		}
		if t.CDSStart == 0 {
			continue
		}
		// CDS lines with their phases, in transcription order.
		order := make([]refdata.Exon, 0, len(t.Exons))
		for _, e := range t.Exons {
			if a, z := max(e.Start, t.CDSStart), min(e.End, t.CDSEnd); a <= z {
				order = append(order, refdata.Exon{Start: a, End: z})
			}
		}
		if t.Strand == refdata.Reverse {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		done := 0
		for _, p := range order {
			phase := (3 - done%3) % 3
			fmt.Fprintf(&b, "%s\tgas\tCDS\t%d\t%d\t.\t%s\t%d\tID=CDS:%s;Parent=transcript:%s\n", svContig, p.Start, p.End, s, phase, "P"+t.ID, t.ID)
			done += p.End - p.Start + 1
		}
	}
	return b.String()
}

// svFASTA renders the fixture genome.
func svFASTA(g []byte) string {
	var b strings.Builder
	b.WriteString(">" + svContig + "\n")
	for i := 0; i < len(g); i += 60 {
		b.Write(g[i:min(i+60, len(g))])
		b.WriteByte('\n')
	}
	return b.String()
}
