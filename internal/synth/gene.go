package synth

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Kinds of random stream. Each (kind, index) pair gets its own PCG stream so
// that one part of the output can be regenerated without replaying the rest
// (the sequence of a gene is drawn again when the FASTA writer reaches it).
const (
	kindLayout uint64 = iota + 1
	kindGeneSeq
	kindBackground
	kindVariants
	kindKnown
	kindTrack // + track index
)

// kindGenotypes is the stream of the sample genotypes, set apart from the
// track kinds (kindTrack + index) so that adding samples changes nothing
// else in the output.
const kindGenotypes uint64 = 1 << 16

// stream returns the random source for one (kind, index) pair. The second
// PCG word is mixed so that neighbouring indexes give unrelated streams.
func stream(seed, kind uint64, index int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, mix(kind<<40^uint64(index))))
}

// mix is the SplitMix64 finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// span is a half-open interval [a, b) in gene-local coordinates: offset 0 is
// the first transcribed base, offsets grow in the direction of
// transcription whatever the strand.
type span struct{ a, b int }

func (s span) len() int { return s.b - s.a }

// gene is the structure of one synthetic protein-coding gene. Its sequence
// is not kept: mrna() draws it again from the gene's own stream.
type gene struct {
	index      int // genome-wide gene number, for IDs and the sequence stream
	seed       uint64
	minus      bool // on the reverse strand
	nonCoding  bool // lncRNA: no CDS, cds == 0 and the whole mRNA is in u5
	start, end int  // genomic span, 1-based inclusive
	exons      []span
	u5, cds    int // 5' UTR and CDS length (the CDS includes the ATG and the stop codon)
	u3         int
	tx         []txModel
}

// txModel is one transcript of a gene: a subset of the gene's exons, the
// first and last possibly trimmed inside the UTRs, so that every transcript
// reads the same genomic sequence and shares the gene's CDS ends.
type txModel struct {
	exons     []span
	ids       []int // index in gene.exons of each exon, for exon IDs
	canonical bool
}

func (g *gene) mrnaLen() int { return g.u5 + g.cds + g.u3 }

// senseCodons are the 61 codons that are not stops, for drawing coding
// sequence without in-frame stops.
var senseCodons = func() []string {
	var out []string
	for _, a := range "ACGT" {
		for _, b := range "ACGT" {
			for _, c := range "ACGT" {
				s := string([]rune{a, b, c})
				if !isStop(s) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}()

var stopCodons = []string{"TAA", "TAG", "TGA"}

func isStop(c string) bool { return c == "TAA" || c == "TAG" || c == "TGA" }

const bases = "ACGT"

// mrna returns the spliced sequence of the gene's full exon set in the
// direction of transcription: 5' UTR, ATG, sense codons, a stop, 3' UTR.
func (g *gene) mrna() []byte {
	r := stream(g.seed, kindGeneSeq, g.index)
	out := make([]byte, 0, g.mrnaLen())
	for range g.u5 {
		out = append(out, bases[r.IntN(4)])
	}
	if g.nonCoding {
		return out
	}
	out = append(out, "ATG"...)
	for range g.cds/3 - 2 {
		out = append(out, senseCodons[r.IntN(len(senseCodons))]...)
	}
	out = append(out, stopCodons[r.IntN(3)]...)
	for range g.u3 {
		out = append(out, bases[r.IntN(4)])
	}
	return out
}

// Layout constants, in bases. Introns of at least minIntron keep the splice
// region (up to 8 intronic bases on each side) clear of the other end.
const (
	minIntron = 70
	maxIntron = 2500
	minExon   = 30
)

// layoutGenes places the coding and nc non-coding genes of chromosome chrom,
// one per equal slot of the chromosome so that genes never overlap, and
// draws their structures. Non-coding slots are spread evenly among the
// coding ones.
func layoutGenes(seed uint64, chrom, base, coding, nc, chromLen int) ([]*gene, error) {
	n := coding + nc
	if n == 0 {
		return nil, nil
	}
	r := stream(seed, kindLayout, chrom)
	slot := chromLen / n
	margin := min(200, slot/10)
	genes := make([]*gene, 0, n)
	for i := range n {
		maxSpan := slot - 2*margin
		g := &gene{index: base + i, seed: seed, minus: r.IntN(2) == 1, nonCoding: (i+1)*nc/n > i*nc/n}
		if err := g.draw(r, maxSpan); err != nil {
			return nil, fmt.Errorf("synth: chromosome %s gene %d: %w", chromName(chrom), i, err)
		}
		span := g.exons[len(g.exons)-1].b
		g.start = i*slot + 1 + margin + r.IntN(maxSpan-span+1)
		g.end = g.start + span - 1
		genes = append(genes, g)
	}
	return genes, nil
}

// draw chooses the lengths, exons, introns and transcripts of g so that the
// gene spans at most maxSpan bases.
func (g *gene) draw(r *rand.Rand, maxSpan int) error {
	codons := 60 + r.IntN(600)
	g.u5 = 10 + r.IntN(290)
	g.u3 = 30 + r.IntN(770)
	// Keep at least half the span for introns.
	for g.u5+3*codons+g.u3 > maxSpan/2 {
		if g.u5 == 10 && g.u3 == 20 && codons == 20 {
			return fmt.Errorf("%d bases are too few for a gene", maxSpan)
		}
		g.u5 = max(10, g.u5/2)
		g.u3 = max(20, g.u3/2)
		codons = max(20, codons/2)
	}
	g.cds = 3 * codons
	if g.nonCoding {
		// The same lengths, all of it exonic sequence without a CDS.
		g.u5, g.cds, g.u3 = g.u5+g.cds+g.u3, 0, 0
	}
	total := g.mrnaLen()

	nEx := 2 + r.IntN(10)
	nEx = min(nEx, total/(3*minExon), (maxSpan-total)/minIntron+1)
	nEx = max(nEx, 1)

	// Exon lengths from weights in [1,3]: the shortest is at least a third
	// of the mean, which is at least 3*minExon/3.
	weights := make([]int, nEx)
	sum := 0
	for i := range weights {
		weights[i] = 1 + r.IntN(3)
		sum += weights[i]
	}
	lens := make([]int, nEx)
	acc, prev := 0, 0
	for i, w := range weights {
		acc += w
		cut := total * acc / sum
		lens[i] = cut - prev
		prev = cut
	}

	introns := make([]int, nEx-1)
	isum := 0
	for i := range introns {
		introns[i] = minIntron + r.IntN(maxIntron-minIntron)
		isum += introns[i]
	}
	if budget := maxSpan - total; isum > budget {
		// Scale the part above the minimum so the gene fits exactly.
		extra, room := isum-minIntron*len(introns), budget-minIntron*len(introns)
		for i := range introns {
			introns[i] = minIntron + (introns[i]-minIntron)*room/extra
		}
	}

	g.exons = make([]span, nEx)
	pos := 0
	for i := range nEx {
		g.exons[i] = span{pos, pos + lens[i]}
		pos += lens[i]
		if i < nEx-1 {
			pos += introns[i]
		}
	}

	g.tx = []txModel{{exons: g.exons, ids: indexes(nEx), canonical: true}}
	nTx := 1
	switch k := r.IntN(10); {
	case k >= 9:
		nTx = 3
	case k >= 5:
		nTx = 2
	}
	if nTx == 1 {
		return nil
	}
	if g.nonCoding {
		nTx = min(nTx, 2)
	}
	// Candidate alternative transcripts, taken in a random order.
	var alts []txModel
	if t, ok := g.skipExon(r); ok {
		alts = append(alts, t)
	}
	if t, ok := g.trim5(r); ok {
		alts = append(alts, t)
	}
	if t, ok := g.trim3(r); ok {
		alts = append(alts, t)
	}
	r.Shuffle(len(alts), func(i, j int) { alts[i], alts[j] = alts[j], alts[i] })
	g.tx = append(g.tx, alts[:min(len(alts), nTx-1)]...)
	return nil
}

// mrnaRange returns the offsets in the full mRNA covered by exon i.
func (g *gene) mrnaRange(i int) (int, int) {
	off := 0
	for j := range i {
		off += g.exons[j].len()
	}
	return off, off + g.exons[i].len()
}

// skipExon makes a transcript without one internal coding exon whose length
// is a multiple of three, provided the joined CDS has no in-frame stop (the
// junction can create one).
func (g *gene) skipExon(r *rand.Rand) (txModel, bool) {
	n := len(g.exons)
	if n < 3 {
		return txModel{}, false
	}
	var seq []byte
	first := 1 + r.IntN(n-2)
	for k := range n - 2 {
		i := 1 + (first-1+k)%(n-2)
		if g.nonCoding {
			// No frame to keep: any internal exon may be skipped.
			ex := slices.Concat(g.exons[:i], g.exons[i+1:])
			return txModel{exons: ex, ids: slices.Delete(indexes(n), i, i+1)}, true
		}
		ms, me := g.mrnaRange(i)
		if ms < g.u5+3 || me > g.u5+g.cds-3 || (me-ms)%3 != 0 {
			continue
		}
		if seq == nil {
			seq = g.mrna()
		}
		cds := slices.Concat(seq[g.u5:ms], seq[me:g.u5+g.cds])
		if hasInternalStop(cds) {
			continue
		}
		ex := slices.Concat(g.exons[:i], g.exons[i+1:])
		ids := indexes(n)
		return txModel{exons: ex, ids: slices.Delete(ids, i, i+1)}, true
	}
	return txModel{}, false
}

// indexes returns 0..n-1.
func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func hasInternalStop(cds []byte) bool {
	for i := 0; i+3 < len(cds); i += 3 {
		if isStop(string(cds[i : i+3])) {
			return true
		}
	}
	return false
}

// trim5 starts a transcript later inside the 5' UTR of the first exon.
func (g *gene) trim5(r *rand.Rand) (txModel, bool) {
	lim := min(g.u5, g.exons[0].len())
	if lim < 2 {
		return txModel{}, false
	}
	ex := slices.Clone(g.exons)
	ex[0].a += 1 + r.IntN(lim-1)
	return txModel{exons: ex, ids: indexes(len(ex))}, true
}

// trim3 ends a transcript earlier inside the 3' UTR of the last exon.
func (g *gene) trim3(r *rand.Rand) (txModel, bool) {
	last := len(g.exons) - 1
	u3 := g.u3
	if g.nonCoding {
		u3 = g.exons[last].len() // no CDS to protect
	}
	lim := min(u3, g.exons[last].len())
	if lim < 2 {
		return txModel{}, false
	}
	ex := slices.Clone(g.exons)
	ex[last].b -= 1 + r.IntN(lim-1)
	return txModel{exons: ex, ids: indexes(len(ex))}, true
}

// localOf maps an mRNA offset of the full exon set to a gene-local offset.
func (g *gene) localOf(m int) int {
	for _, e := range g.exons {
		if m < e.len() {
			return e.a + m
		}
		m -= e.len()
	}
	return g.exons[len(g.exons)-1].b // m is past the end
}

// cdsLocal is the CDS as a local half-open range, introns included; it is
// the same for every transcript of the gene.
func (g *gene) cdsLocal() span {
	return span{g.localOf(g.u5), g.localOf(g.u5+g.cds-1) + 1}
}

// genomic converts a local range to genomic 1-based inclusive coordinates.
func (g *gene) genomic(s span) (int, int) {
	if g.minus {
		return g.end - s.b + 1, g.end - s.a
	}
	return g.start + s.a, g.start + s.b - 1
}

// patch is sequence that overrides the random background at a genomic
// position (1-based).
type patch struct {
	pos int
	seq []byte
}

// patches returns the gene's exon sequences and the GT..AG ends of its
// introns, in genomic orientation and ascending position.
func (g *gene) patches() []patch {
	m := g.mrna()
	var out []patch
	put := func(s span, seq []byte) {
		gs, _ := g.genomic(s)
		if g.minus {
			seq = revcomp(seq)
		}
		out = append(out, patch{gs, seq})
	}
	off := 0
	for i, e := range g.exons {
		put(e, m[off:off+e.len()])
		off += e.len()
		if i < len(g.exons)-1 {
			put(span{e.b, e.b + 2}, []byte("GT"))
			next := g.exons[i+1].a
			put(span{next - 2, next}, []byte("AG"))
		}
	}
	slices.SortFunc(out, func(a, b patch) int { return a.pos - b.pos })
	return out
}

func revcomp(s []byte) []byte {
	out := make([]byte, len(s))
	for i, c := range s {
		var d byte
		switch c {
		case 'A':
			d = 'T'
		case 'C':
			d = 'G'
		case 'G':
			d = 'C'
		case 'T':
			d = 'A'
		default:
			d = 'N'
		}
		out[len(s)-1-i] = d
	}
	return out
}

// IDs follow Ensembl's shape (prefix, 11 digits) with a SYN prefix so they
// cannot be mistaken for real ones.
func geneID(i int) string     { return fmt.Sprintf("SYNG%011d", i+1) }
func txID(gi, t int) string   { return fmt.Sprintf("SYNT%011d", 3*gi+t+1) }
func protID(gi, t int) string { return fmt.Sprintf("SYNP%011d", 3*gi+t+1) }
func exonID(gi, e int) string { return fmt.Sprintf("SYNE%011d", 16*gi+e+1) }
func geneName(i int) string   { return "SYN" + strconv.Itoa(i+1) }
func strandChar(minus bool) byte {
	if minus {
		return '-'
	}
	return '+'
}

// gffFeature is one GFF3 line of a transcript, kept to sort by position.
type gffFeature struct {
	typ        string
	start, end int
	phase      int // -1 for "."
	attrs      string
}

// writeGFF writes the genes of one chromosome in Ensembl GFF3 style.
func (gen *generator) writeGFF(chrom string, genes []*gene) {
	w := gen.gff.w
	var feats []gffFeature
	for _, g := range genes {
		biotype, txType := "protein_coding", "mRNA"
		if g.nonCoding {
			biotype, txType = "lncRNA", "lnc_RNA"
			gen.stats.NonCodingGenes++
		} else {
			gen.stats.Genes++
		}
		sc := strandChar(g.minus)
		gid := geneID(g.index)
		fmt.Fprintf(w, "%s\tsynth\tgene\t%d\t%d\t.\t%c\t.\tID=gene:%s;Name=%s;biotype=%s;gene_id=%s;version=1\n",
			chrom, g.start, g.end, sc, gid, geneName(g.index), biotype, gid)
		var cds span
		if !g.nonCoding {
			cds = g.cdsLocal()
		}
		for t, tx := range g.tx {
			gen.stats.Transcripts++
			if g.nonCoding {
				gen.stats.NonCodingTx++
			}
			tid := txID(g.index, t)
			first, last := tx.exons[0], tx.exons[len(tx.exons)-1]
			ts, te := g.genomic(span{first.a, last.b})
			tag := ""
			if tx.canonical {
				tag = ";tag=Ensembl_canonical"
			}
			fmt.Fprintf(w, "%s\tsynth\t%s\t%d\t%d\t.\t%c\t.\tID=transcript:%s;Parent=gene:%s;Name=%s-%d;biotype=%s%s;transcript_id=%s;version=1\n",
				chrom, txType, ts, te, sc, tid, gid, geneName(g.index), 201+t, biotype, tag, tid)
			feats = feats[:0]
			parent := "Parent=transcript:" + tid
			done := 0 // CDS bases before the current exon, for phases
			for rank, e := range tx.exons {
				es, ee := g.genomic(e)
				eid := exonID(g.index, tx.ids[rank])
				gen.stats.Exons++
				feats = append(feats, gffFeature{"exon", es, ee, -1,
					fmt.Sprintf("%s;Name=%s;exon_id=%s;rank=%d;version=1", parent, eid, eid, rank+1)})
				if g.nonCoding {
					continue // exons only: no CDS, no UTRs
				}
				if u := (span{e.a, min(e.b, cds.a)}); u.len() > 0 {
					s, en := g.genomic(u)
					feats = append(feats, gffFeature{"five_prime_UTR", s, en, -1, parent})
				}
				if c := (span{max(e.a, cds.a), min(e.b, cds.b)}); c.len() > 0 {
					s, en := g.genomic(c)
					feats = append(feats, gffFeature{"CDS", s, en, (3 - done%3) % 3,
						fmt.Sprintf("ID=CDS:%s;%s;protein_id=%s", protID(g.index, t), parent, protID(g.index, t))})
					done += c.len()
				}
				if u := (span{max(e.a, cds.b), e.b}); u.len() > 0 {
					s, en := g.genomic(u)
					feats = append(feats, gffFeature{"three_prime_UTR", s, en, -1, parent})
				}
			}
			slices.SortStableFunc(feats, func(a, b gffFeature) int { return a.start - b.start })
			for _, f := range feats {
				writeFeature(w, chrom, sc, f)
			}
		}
	}
}

func writeFeature(w *bufio.Writer, chrom string, strand byte, f gffFeature) {
	phase := "."
	if f.phase >= 0 {
		phase = strconv.Itoa(f.phase)
	}
	fmt.Fprintf(w, "%s\tsynth\t%s\t%d\t%d\t.\t%c\t%s\t%s\n", chrom, f.typ, f.start, f.end, strand, phase, f.attrs)
}
