package annotate

import (
	"bytes"
	"sort"
	"strings"

	"github.com/gas-project/gas/refdata"
)

// testRef is an in-memory reference for tests: contigs with optional
// sequence, transcripts, known variants and tracks, queried by linear scans.
type testRef struct {
	names  []string
	seqs   [][]byte // nil: no sequence
	txs    []*refdata.Transcript
	known  map[string][2]string // "contig:pos:ref:alt" (normalised) -> id, info
	kkeys  []string
	tracks []string
	ivs    [][]testIv
}

type testIv struct {
	contig, start, end int
	name               string
}

func (r *testRef) addTranscripts(ts ...*refdata.Transcript) {
	for _, t := range ts {
		t.Index = len(r.txs)
		r.txs = append(r.txs, t)
	}
}

// Transcripts lists every transcript, as a bundle does (the canonical and
// mane modes fall back on it when no transcript has their tag).
func (r *testRef) Transcripts() []refdata.Transcript {
	out := make([]refdata.Transcript, len(r.txs))
	for i, t := range r.txs {
		out[i] = *t
	}
	return out
}

func (r *testRef) Contigs() []string { return r.names }

func (r *testRef) ContigID(name []byte) (int, bool) {
	for i, n := range r.names {
		if n == string(name) {
			return i, true
		}
	}
	return 0, false
}

func (r *testRef) Overlapping(contig, start, end int, dst []*refdata.Transcript) []*refdata.Transcript {
	for _, t := range r.txs {
		if t.Contig == contig && t.Start <= end && t.End >= start {
			dst = append(dst, t)
		}
	}
	return dst
}

func (r *testRef) HasSequence(contig int) bool {
	return contig < len(r.seqs) && r.seqs[contig] != nil
}

func (r *testRef) Seq(contig, start, end int) ([]byte, error) {
	if !r.HasSequence(contig) {
		return nil, errNoSequence
	}
	s := r.seqs[contig]
	if start < 1 || end > len(s) || end < start-1 {
		return nil, errNoSequence
	}
	return s[start-1 : end : end], nil
}

// Sources describes the known variants of addKnown as one source named
// "known" whose fields are kkeys (String values, one per allele).
func (r *testRef) Sources() []refdata.SourceInfo {
	if len(r.known) == 0 && len(r.kkeys) == 0 {
		return nil
	}
	src := refdata.SourceInfo{Name: "known", Kind: refdata.KindKnown, ID: true, Version: "test"}
	for _, k := range r.kkeys {
		src.Fields = append(src.Fields, refdata.FieldInfo{Name: k, Key: "known_" + k, Number: "A", Type: "String", Stored: "String"})
	}
	return []refdata.SourceInfo{src}
}

func knownKey(contig, pos int, ref, alt []byte) string {
	v, ok := normalise(pos, bytes.ToUpper(ref), bytes.ToUpper(alt))
	if !ok {
		return ""
	}
	return itoa(int64(contig)) + ":" + itoa(int64(v.pos)) + ":" + string(v.ref) + ":" + string(v.alt)
}

func (r *testRef) addKnown(contig, pos int, ref, alt, id, info string) {
	if r.known == nil {
		r.known = map[string][2]string{}
	}
	r.known[knownKey(contig, pos, []byte(ref), []byte(alt))] = [2]string{id, info}
}

func (r *testRef) Lookup(src int, _ *refdata.Cursor, contig int, a *refdata.Allele, h *refdata.Hit) bool {
	k, ok := r.known[knownKey(contig, a.Pos(), a.Ref(), a.Alt())]
	if src != 0 || !ok {
		return false
	}
	vals := make([][]byte, len(r.kkeys))
	for _, f := range strings.Split(k[1], ";") {
		key, v, _ := strings.Cut(f, "=")
		for i, kk := range r.kkeys {
			if kk == key {
				vals[i] = []byte(v)
			}
		}
	}
	h.SetText([]byte(k[0]), vals)
	return true
}

func (r *testRef) Tracks() []string { return r.tracks }

func (r *testRef) TrackHits(track, contig, start, end int, dst [][]byte) [][]byte {
	var names []string
	for _, iv := range r.ivs[track] {
		if iv.contig == contig && iv.start <= end && iv.end >= start {
			names = append(names, iv.name)
		}
	}
	sort.Strings(names)
	for i, n := range names {
		if i == 0 || names[i-1] != n {
			dst = append(dst, []byte(n))
		}
	}
	return dst
}

// filler returns n deterministic pseudo-random bases (an LCG), so test
// sequences have no long repeats that would make 3' shifting ambiguous.
func filler(n int, seed uint32) []byte {
	b := make([]byte, n)
	x := seed
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = "ACGT"[x>>30]
	}
	return b
}

// The model gene used by the consequence tests, on a 200 bp contig:
//
//	exon 1: 21-60   (5' UTR 21-40, CDS 41-60 = c.1-c.20)
//	intron: 61-100  (GT...AG)
//	exon 2: 101-150 (CDS 101-131 = c.21-c.51 with the stop codon, 3' UTR 132-150)
//
// The CDS encodes M A W K P G F Q D Y S E I V R L *.
const modelCDS = "ATGGCTTGGAAACCCGGGTTTCAGGATTACTCTGAAATCGTGCGTCTGTAA"

const modelLen = 200

func modelGenome() []byte {
	g := filler(modelLen, 7)
	copy(g[40:60], modelCDS[:20])
	copy(g[100:131], modelCDS[20:])
	copy(g[60:62], "GT")
	copy(g[98:100], "AG")
	// Keep the UTR/CDS junctions free of accidental repeats of the start
	// and stop codons' neighbours.
	g[39] = 'C'
	g[131] = 'C'
	return g
}

func modelTranscript(coding bool) *refdata.Transcript {
	t := &refdata.Transcript{
		ID: "TX1.3", GeneID: "GENE1", GeneName: "GN1", Biotype: "protein_coding",
		Strand: refdata.Forward, Start: 21, End: 150,
		Exons: []refdata.Exon{{Start: 21, End: 60}, {Start: 101, End: 150}},
	}
	if coding {
		t.CDSStart, t.CDSEnd = 41, 131
	} else {
		t.Biotype = "lncRNA"
	}
	return t
}

// mirror reverse-complements a genome and moves a transcript to the other
// strand, so every forward-strand expectation also holds on the reverse
// strand.
func mirror(g []byte, t *refdata.Transcript) ([]byte, *refdata.Transcript) {
	n := len(g)
	rg := revComp(append([]byte(nil), g...))
	f := func(x int) int { return n + 1 - x }
	m := *t
	m.Strand = refdata.Reverse
	m.Start, m.End = f(t.End), f(t.Start)
	m.Exons = nil
	for i := len(t.Exons) - 1; i >= 0; i-- {
		m.Exons = append(m.Exons, refdata.Exon{Start: f(t.Exons[i].End), End: f(t.Exons[i].Start)})
	}
	if t.Coding() {
		m.CDSStart, m.CDSEnd = f(t.CDSEnd), f(t.CDSStart)
	}
	m.CDS = nil
	for i := len(t.CDS) - 1; i >= 0; i-- {
		p := t.CDS[i]
		m.CDS = append(m.CDS, refdata.CDSPart{Start: f(p.End), End: f(p.Start), Phase: p.Phase})
	}
	return rg, &m
}

// mirrorVariant converts a VCF-style allele (pos, ref, alt on the forward
// genome g) to the mirrored genome, keeping a VCF padding base for indels.
func mirrorVariant(g []byte, pos int, ref, alt string) (int, string, string) {
	n := len(g)
	if len(ref) == len(alt) {
		return n + 1 - (pos + len(ref) - 1), rc(ref), rc(alt)
	}
	// Indel with a leading padding base: mirrored, the padding base must be
	// the base before the event on the other strand.
	r, a := ref[1:], alt[1:]
	end := pos + len(ref) - 1 // last REF base
	np := n + 1 - end - 1     // new padding position (base before, mirrored)
	if len(r) == 0 {
		// Insertion after pos: on the mirror it goes before n+1-pos.
		np = n + 1 - pos - 1
	}
	pad := string(complement[g[n+1-np-1]])
	return np, pad + rc(r), pad + rc(a)
}

func rc(s string) string { return string(revComp([]byte(strings.ToUpper(s)))) }
