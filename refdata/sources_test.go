package refdata

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/vcf"
)

// lookupIn looks an allele up in source src and renders its values as
// "KEY=v;…" over every field (missing values as '.').
func lookupIn(b *Bundle, src, contig, pos int, ref, alt string) (id, vals string, ok bool) {
	var a Allele
	var h Hit
	if !a.Set(pos, []byte(ref), []byte(alt)) || !b.Lookup(src, nil, contig, &a, &h) {
		return "", "", false
	}
	var parts []string
	for i, f := range b.Sources()[src].Fields {
		v, has := h.AppendValue(nil, i)
		if !has {
			v = []byte(".")
		}
		parts = append(parts, f.Name+"="+string(v))
	}
	return string(h.ID()), strings.Join(parts, ";"), true
}

const clinvarVCF = `##fileformat=VCFv4.1
##fileDate=2024-05-27
##source=ClinVar
##reference=GRCh38
##INFO=<ID=CLNSIG,Number=.,Type=String,Description="Clinical significance for this single variant">
##INFO=<ID=AF_ESP,Number=1,Type=Float,Description="allele frequencies from GO-ESP">
##INFO=<ID=ALLELEID,Number=1,Type=Integer,Description="the ClinVar Allele ID">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO
chr1	100	12345	A	G	.	.	ALLELEID=1;CLNSIG=Pathogenic;AF_ESP=0.001
chr1	100	12346	A	T	.	.	ALLELEID=2;CLNSIG=Benign,_other
chr1	250	12347	C	CA	.	.	CLNSIG=Likely_benign;AF_ESP=x
`

const gnomadVCF = `##fileformat=VCFv4.2
##INFO=<ID=AF,Number=A,Type=Float,Description="Alternate allele frequency">
##INFO=<ID=AC,Number=A,Type=Integer,Description="Alternate allele count">
##INFO=<ID=nhomalt,Number=A,Type=Integer,Description="Count of homozygous individuals">
##INFO=<ID=lcr,Number=0,Type=Flag,Description="In a low complexity region">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO
1	100	.	A	G,T,C	.	PASS	AF=0.25,0.5,0.125;AC=2,4,1;nhomalt=0,1,0;lcr
1	200	.	T	TA	.	PASS	AF=0.01;AC=1;nhomalt=0
`

const dbsnpVCF = `##fileformat=VCFv4.2
##dbSNP_BUILD_ID=156
##INFO=<ID=FREQ,Number=.,Type=String,Description="Allele frequencies, by study">
##INFO=<ID=COMMON,Number=0,Type=Flag,Description="Common in some study">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO
1	100	rs1	A	G,T	.	.	FREQ=1000G:0.5,0.25,0.25;COMMON
1	200	rs2	T	TA	.	.	.
1	300	rs3	G	A	.	.	.
`

// TestKnownSourcesThree builds three sources side by side and checks what
// the bundle says about them: names, kinds, versions, ID flags, fields with
// their keys and types, and per-allele values.
func TestKnownSourcesThree(t *testing.T) {
	t.Parallel()
	genes := writeFile(t, "g.gff", "1\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n")
	b, m := buildT(t, BuildOptions{Genes: genes, Sources: []SourceSpec{
		{Name: "dbsnp", Path: writeFile(t, "dbsnp.vcf", dbsnpVCF)},
		{Name: "clinvar", Path: writeFile(t, "clinvar.vcf", clinvarVCF), Fields: []string{"CLNSIG", "AF_ESP", "ALLELEID"}},
		{Name: "gnomad", Path: writeFile(t, "gnomad.vcf", gnomadVCF), Fields: []string{"AF", "nhomalt", "lcr"}},
	}})
	srcs := b.Sources()
	if len(srcs) != 3 {
		t.Fatalf("%d sources", len(srcs))
	}
	type want struct {
		name, version string
		id            bool
		keys, types   string
	}
	for i, w := range []want{
		{"dbsnp", "dbSNP build 156", true, "dbsnp_FREQ,dbsnp_COMMON", "String,Integer"},
		{"clinvar", "ClinVar 2024-05-27", false, "clinvar_CLNSIG,clinvar_AF_ESP,clinvar_ALLELEID", "String,Float,Integer"},
		{"gnomad", "", false, "gnomad_AF,gnomad_nhomalt,gnomad_lcr", "Float,Integer,Integer"},
	} {
		s := srcs[i]
		var keys, types []string
		for _, f := range s.Fields {
			keys = append(keys, f.Key)
			types = append(types, f.OutputType())
		}
		if s.Name != w.name || s.Kind != KindKnown || s.Version != w.version || s.ID != w.id || len(s.SHA256) != 64 ||
			strings.Join(keys, ",") != w.keys || strings.Join(types, ",") != w.types {
			t.Errorf("source %d: %+v, keys %v types %v; want %+v", i, s, keys, types, w)
		}
	}
	if m.Counts.KnownVariants != 4+3+4 {
		t.Errorf("known variants %d, want 11", m.Counts.KnownVariants)
	}
	if m.AnnotationSources[1].Report.BadValues != 1 || !m.AnnotationSources[1].Report.Sorted {
		t.Errorf("clinvar report %+v, want one bad value (AF_ESP=x), sorted", m.AnnotationSources[1].Report)
	}
	c, _ := b.ContigID([]byte("1"))
	for _, tc := range []struct {
		src      int
		pos      int
		ref, alt string
		id, vals string
	}{
		{0, 100, "A", "G", "rs1", "FREQ=1000G:0.5,0.25,0.25;COMMON=1"},
		{0, 100, "A", "T", "rs1", "FREQ=1000G:0.5,0.25,0.25;COMMON=1"},
		{0, 200, "T", "TA", "rs2", "FREQ=.;COMMON=0"},
		{0, 199, "GT", "GTA", "rs2", "FREQ=.;COMMON=0"}, // padded on the left
		{1, 100, "A", "G", "12345", "CLNSIG=Pathogenic;AF_ESP=0.001;ALLELEID=1"},
		{1, 100, "A", "T", "12346", "CLNSIG=Benign,_other;AF_ESP=.;ALLELEID=2"},
		{1, 250, "C", "CA", "12347", "CLNSIG=Likely_benign;AF_ESP=.;ALLELEID=."},
		{2, 100, "A", "G", "", "AF=0.25;nhomalt=0;lcr=1"},
		{2, 100, "A", "T", "", "AF=0.5;nhomalt=1;lcr=1"},
		{2, 100, "A", "C", "", "AF=0.125;nhomalt=0;lcr=1"},
		{2, 200, "T", "TA", "", "AF=0.01;nhomalt=0;lcr=0"},
	} {
		id, vals, ok := lookupIn(b, tc.src, c, tc.pos, tc.ref, tc.alt)
		if !ok || id != tc.id || vals != tc.vals {
			t.Errorf("source %d %d %s>%s: %q %q %v, want %q %q", tc.src, tc.pos, tc.ref, tc.alt, id, vals, ok, tc.id, tc.vals)
		}
	}
	for _, miss := range []struct {
		src, pos int
		ref, alt string
	}{{0, 300, "G", "C"}, {1, 300, "G", "A"}, {2, 100, "A", "AG"}, {2, 101, "A", "G"}} {
		if _, _, ok := lookupIn(b, miss.src, c, miss.pos, miss.ref, miss.alt); ok {
			t.Errorf("source %d %d %s>%s found", miss.src, miss.pos, miss.ref, miss.alt)
		}
	}
}

// TestKnownSourcesScores builds a bgzipped scores table with a header line
// and checks column selection and type inference.
func TestKnownSourcesScores(t *testing.T) {
	t.Parallel()
	var raw bytes.Buffer
	raw.WriteString("## CADD GRCh38-v1.7 (c) University of Washington\n#Chrom\tPos\tRef\tAlt\tRawScore\tPHRED\tNote\n")
	for pos := 60; pos < 70; pos++ {
		for _, alt := range "CGT" {
			fmt.Fprintf(&raw, "1\t%d\tA\t%c\t%.3f\t%d\tn%d\n", pos, alt, float64(pos)/100, pos-50, pos)
		}
	}
	raw.WriteString("1\tbad\tA\tC\t1\t2\tx\n1\t80\tR\tC\t1\t2\tx\n1\t81\tA\t-\t.\tNA\t.\n")
	var gz bytes.Buffer
	bw := vcf.NewBGZFWriter(&gz, 1)
	bw.Write(raw.Bytes())
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cadd.tsv.gz")
	os.WriteFile(path, gz.Bytes(), 0o644)
	genes := writeFile(t, "g.gff", "1\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n")
	b, m := buildT(t, BuildOptions{Genes: genes, Sources: []SourceSpec{{Name: "cadd", Kind: KindScores, Path: path, Fields: []string{"phred", "Note"}}}})
	s := b.Sources()[0]
	if s.Version != "CADD GRCh38-v1.7 (c) University of Washington" || s.ID || len(s.Fields) != 2 ||
		s.Fields[0].Key != "cadd_PHRED" || s.Fields[0].Stored != "Float" || s.Fields[1].Stored != "String" {
		t.Errorf("source %+v", s)
	}
	rep := m.AnnotationSources[0].Report
	if rep.Alleles != 30 || rep.Skipped["bad_line"] != 2 || rep.Skipped["iupac"] != 1 {
		t.Errorf("report %+v", rep)
	}
	if id, vals, ok := lookupIn(b, 0, 0, 65, "A", "G"); !ok || id != "" || vals != "PHRED=15;Note=n65" {
		t.Errorf("65 A>G: %q %q %v", id, vals, ok)
	}
	if _, _, ok := lookupIn(b, 0, 0, 65, "A", "A"); ok {
		t.Error("65 A>A found")
	}
	if _, err := Build(context.Background(), BuildOptions{Name: "x", Genes: genes, Out: filepath.Join(t.TempDir(), "b"),
		Sources: []SourceSpec{{Name: "cadd", Kind: KindScores, Path: path, Fields: []string{"nope"}}}}); err == nil || !strings.Contains(err.Error(), "RawScore") {
		t.Errorf("unknown column: %v", err)
	}
}

// TestKnownSourcesSkips feeds records GAS cannot use: each is skipped and
// counted, and the build goes on.
func TestKnownSourcesSkips(t *testing.T) {
	t.Parallel()
	src := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
		"1\t100\tr1\tA\tG\t.\t.\t.\n" +
		"1\t101\tr2\tR\tG\t.\t.\t.\n" + // IUPAC REF
		"1\t102\tr3\tA\tY,C\t.\t.\t.\n" + // IUPAC ALT, then a good one
		"1\t103\tr4\tA\t<DEL>,*\t.\t.\t.\n" + // symbolic
		"1\t104\tr5\tA\t.\t.\t.\t.\n" + // no ALT
		"1\tx\tr6\tA\tG\t.\t.\t.\n" + // bad POS
		"1\t105\tr7\tA\n" + // too few columns
		"1\t106\tr8\tAC\tAC\t.\t.\t.\n" + // no change
		"1\t107\tr9\tA\tG\t.\t.\t.\n"
	genes := writeFile(t, "g.gff", "1\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n")
	b, m := buildT(t, BuildOptions{Genes: genes, Sources: []SourceSpec{{Name: "k", Path: writeFile(t, "k.vcf", src)}}})
	rep := m.AnnotationSources[0].Report
	want := map[string]int64{"iupac": 2, "symbolic": 2, "no_alt": 1, "bad_line": 2, "no_change": 1}
	for k, v := range want {
		if rep.Skipped[k] != v {
			t.Errorf("skipped %s: %d, want %d (report %+v)", k, rep.Skipped[k], v, rep)
		}
	}
	if rep.Alleles != 3 || rep.Records != 9 || len(rep.Examples) == 0 || !strings.Contains(rep.Examples[0], "k.vcf:4: iupac") {
		t.Errorf("report %+v", rep)
	}
	for _, q := range []struct {
		pos      int
		ref, alt string
	}{{100, "A", "G"}, {102, "A", "C"}, {107, "A", "G"}} {
		if _, _, ok := lookupIn(b, 0, 0, q.pos, q.ref, q.alt); !ok {
			t.Errorf("%d %s>%s not found", q.pos, q.ref, q.alt)
		}
	}
}

// TestKnownSourcesOrder checks the streaming build against a brute-force
// map on random records whose padded indels normalise past the records
// after them, sorted and shuffled (the external sort, in small runs), with
// runs of same-position records across block boundaries.
func TestKnownSourcesOrder(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	type rec struct {
		contig   string
		pos      int
		ref, alt string
		id       string
	}
	bases := "ACGT"
	rnd := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = bases[r.IntN(4)]
		}
		return string(b)
	}
	var recs []rec
	n := 0
	for _, contig := range []string{"2", "1", "3"} { // not in bundle order
		pos := 1
		for i := 0; i < 3000; i++ {
			pos += r.IntN(5)
			n++
			var ref, alt string
			switch r.IntN(6) {
			case 0: // deletion with a long shared prefix: normalises forward
				p := rnd(1 + r.IntN(8))
				ref, alt = p+rnd(1+r.IntN(3)), p
			case 1: // insertion, padded on both sides
				p := rnd(1 + r.IntN(4))
				ref, alt = p+"A", p+rnd(1+r.IntN(20))+"A"
			case 2: // a long allele (stored with a hash)
				ref, alt = "A", "A"+rnd(12+r.IntN(10))
			case 3:
				ref, alt = "N", "A"
			default:
				ref = rnd(1)
				alt = string(bases[(strings.IndexByte(bases, ref[0])+1+r.IntN(3))%4])
			}
			if ref == alt {
				continue
			}
			recs = append(recs, rec{contig, pos, ref, alt, fmt.Sprintf("id%d", n)})
		}
	}
	// The first record in the file with given normalised alleles wins.
	key := func(c string, pos int, ref, alt string) string {
		p, rr, aa := normalise(pos, []byte(ref), []byte(alt))
		return fmt.Sprintf("%s:%d:%s:%s", c, p, rr, aa)
	}
	firstIDs := func(rs []rec) map[string]string {
		want := map[string]string{}
		for _, x := range rs {
			k := key(x.contig, x.pos, x.ref, x.alt)
			if _, ok := want[k]; !ok {
				want[k] = x.id
			}
		}
		return want
	}
	write := func(rs []rec) string {
		var sb strings.Builder
		sb.WriteString("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
		for _, x := range rs {
			fmt.Fprintf(&sb, "%s\t%d\t%s\t%s\t%s\t.\t.\t.\n", x.contig, x.pos, x.id, x.ref, x.alt)
		}
		return writeFile(t, "k.vcf", sb.String())
	}
	genes := writeFile(t, "g.gff", "1\tx\texon\t1\t50\t.\t+\t.\tParent=transcript:T1\n2\tx\texon\t1\t50\t.\t+\t.\tParent=transcript:T2\n")
	shuffled := slices.Clone(recs)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, tc := range []struct {
		name   string
		path   string
		memory int
		sorted bool
		want   map[string]string
	}{{"sorted", write(recs), 0, true, firstIDs(recs)}, {"shuffled", write(shuffled), 64 << 10, false, firstIDs(shuffled)}} {
		want := tc.want
		b, m := buildT(t, BuildOptions{Genes: genes, SortMemory: tc.memory, Sources: []SourceSpec{{Name: "k", Path: tc.path, ID: true}}})
		rep := m.AnnotationSources[0].Report
		if rep.Sorted != tc.sorted || !tc.sorted && rep.Runs < 3 || rep.Alleles != int64(len(recs)) {
			t.Errorf("%s: report %+v", tc.name, rep)
		}
		if !slices.Equal(rep.NewContigs, []string{"3"}) {
			t.Errorf("%s: new contigs %v, want [3]", tc.name, rep.NewContigs)
		}
		var a Allele
		var h Hit
		curs := make([]Cursor, 1)
		for i, x := range recs {
			c, _ := b.ContigID([]byte(x.contig))
			a.Set(x.pos, []byte(x.ref), []byte(x.alt))
			cur := &curs[0]
			if i%3 == 0 {
				cur = nil // with and without the cursor
			}
			if !b.Lookup(0, cur, c, &a, &h) {
				t.Fatalf("%s: %+v not found", tc.name, x)
			}
			if got := string(h.ID()); got != want[key(x.contig, x.pos, x.ref, x.alt)] {
				t.Fatalf("%s: %+v: ID %s, want %s", tc.name, x, got, want[key(x.contig, x.pos, x.ref, x.alt)])
			}
			a.Set(x.pos, []byte(x.ref), []byte(x.alt+"G"))
			if b.Lookup(0, cur, c, &a, &h) && want[key(x.contig, x.pos, x.ref, x.alt+"G")] == "" {
				t.Fatalf("%s: %+v with an extra G found", tc.name, x)
			}
		}
	}
}

// TestKnownSourcesDbSNPSlice looks up every allele of the VEP dbSNP slice
// through a cursor in file order (the engine's access pattern).
func TestKnownSourcesDbSNPSlice(t *testing.T) {
	t.Parallel()
	path := sharedtest.Dir(t, "vep-chr21", "known_variants.vcf.gz")
	b, m := buildT(t, BuildOptions{Genes: sharedtest.Dir(t, "vep-chr21", "genes.gtf.gz"), Sources: []SourceSpec{{Name: "dbsnp", Path: path}}})
	s := m.AnnotationSources[0]
	// The whole ##source line (105 characters) is the version.
	if !s.ID || s.Version != "Ensembl VEP test cache (homo_sapiens 84_GRCh38, chr21:25000001-26000000; dbSNP 149, 1000 Genomes phase 3)" || s.Alleles < 110000 {
		t.Errorf("source %+v", s)
	}
	size := int64(0)
	for _, f := range m.Files {
		if f.Name == s.Data[0] || f.Name == s.Data[1] {
			size += f.Size
		}
	}
	t.Logf("dbSNP slice: %d alleles, %d bytes on disk (%.1f per allele, with an ID and %d fields)", s.Alleles, size, float64(size)/float64(s.Alleles), len(s.Fields))
	src, err := openSource(path, "known", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	data, _ := readAll(src)
	var a Allele
	var h Hit
	var cur Cursor
	n := 0
	for _, l := range strings.Split(data, "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		f := strings.SplitN(l, "\t", 9)
		for _, alt := range strings.Split(f[4], ",") {
			var pos int
			fmt.Sscan(f[1], &pos)
			a.Set(pos, []byte(f[3]), []byte(alt))
			if !b.Lookup(0, &cur, 0, &a, &h) {
				t.Fatalf("%s:%d %s>%s not found", f[0], pos, f[3], alt)
			}
			n++
		}
	}
	if int64(n) != s.Alleles {
		t.Errorf("%d alleles looked up, %d stored", n, s.Alleles)
	}
}

func readAll(s *source) (string, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(s.r)
	return buf.String(), err
}

// TestKnownSourcesBlockIndex checks the interpolated search inside a block
// against a binary search, for every position around every block, on
// positions spread unevenly on purpose (runs of one position, clusters and
// long gaps, where the first guess is far off), over two contigs so that a
// contig's last block is followed by another contig's first.
func TestKnownSourcesBlockIndex(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	var sb strings.Builder
	sb.WriteString("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	for _, c := range []string{"1", "2"} {
		pos := 1
		for i := 0; i < 2000; i++ {
			switch r.IntN(10) {
			case 0:
				pos += 5000 + r.IntN(50000) // a gap
			case 1, 2, 3:
				// same position: another ALT
			default:
				pos += 1 + r.IntN(3)
			}
			fmt.Fprintf(&sb, "%s\t%d\t.\tA\t%c\t.\t.\t.\n", c, pos, "CGT"[r.IntN(3)])
		}
	}
	genes := writeFile(t, "g.gff", "1\tx\texon\t1\t50\t.\t+\t.\tParent=transcript:T1\n")
	b, _ := buildT(t, BuildOptions{Genes: genes, Sources: []SourceSpec{{Name: "k", Path: writeFile(t, "k.vcf", sb.String())}}})
	s := b.sources[0]
	nb := int64(len(s.blocks)/blockEntry) - 1
	if nb < 40 {
		t.Fatalf("%d blocks: too few to test", nb)
	}
	checked := 0
	for blk := int64(0); blk < nb; blk++ {
		lo, hi := s.blockFirst(blk), s.blockFirst(blk+1)
		from, to := s.keyPos(lo), s.keyPos(hi-1)
		// Every key's position and its neighbours, and random ones between.
		var ps []uint32
		for i := lo; i < hi; i++ {
			ps = append(ps, s.keyPos(i)-1, s.keyPos(i), s.keyPos(i)+1)
		}
		for range 100 {
			ps = append(ps, from-1+uint32(r.IntN(int(to-from)+3)))
		}
		for _, p := range ps {
			want := lo + int64(sort.Search(int(hi-lo), func(i int) bool { return s.keyPos(lo+int64(i)) >= p }))
			if got := s.blockIndex(blk, p); got != want {
				t.Fatalf("block %d [%d,%d) pos %d: %d, want %d", blk, lo, hi, p, got, want)
			}
			checked++
		}
	}
	t.Logf("%d blocks, %d positions checked", nb, checked)
}

// TestKnownSourcesSortMemory checks what keeps an external sort within its
// budget: the sort buffers are allocated once, at their full size, and
// adding an allele, spilling, merging and writing allocate nothing per
// allele (a few bytes of garbage per allele let the heap double over the
// live buffers: 1.3 GB of RSS for a 384 MiB budget at 20M alleles).
func TestKnownSourcesSortMemory(t *testing.T) {
	dir := t.TempDir()
	w, err := newSrcWriter(filepath.Join(dir, "i"), filepath.Join(dir, "d"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.abort()
	const budget = 64 << 10
	s := newExtSink(w, dir, budget)
	body := []byte{2 + 2*7, 0}
	pos := uint32(0)
	add := func() {
		pos = pos*1103515245 + 12345
		if err := s.add(0, 1+pos%1_000_000, 5, body); err != nil {
			t.Fatal(err)
		}
	}
	add()
	arena, ents := cap(s.arena), cap(s.ents)
	if arena+16*ents > budget {
		t.Errorf("buffers %d + %d×16 bytes, over the %d budget", arena, ents, budget)
	}
	// Enough alleles for several spills.
	if n := testing.AllocsPerRun(20000, add); n > 0.01 {
		t.Errorf("%.3f allocations per allele added", n)
	}
	if len(s.runs) < 3 || cap(s.arena) != arena || cap(s.ents) != ents {
		t.Errorf("%d runs, buffers %d/%d then %d/%d", len(s.runs), arena, ents, cap(s.arena), cap(s.ents))
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	runs, err := s.finish()
	runtime.ReadMemStats(&m1)
	if err != nil {
		t.Fatal(err)
	}
	// Opening each run and its reader allocates; the alleles do not.
	if allocs := m1.Mallocs - m0.Mallocs; allocs > uint64(100*runs) {
		t.Errorf("merging %d runs of 20,000 alleles: %d allocations", runs, allocs)
	}
	if w.n != 20002 {
		t.Errorf("%d alleles written, want 20002", w.n)
	}
}

// TestKnownSourcesVersionClip: a version text too long for the header is
// cut at a word, never inside a UTF-8 character, and says it was cut.
func TestKnownSourcesVersionClip(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"  dbSNP build 156 ", 20, "dbSNP build 156"},
		{"ClinVar weekly release of 2024-05-27", 30, "ClinVar weekly release of..."},
		{"gnomAD v4.1 (exomes, genomes; joint frequencies)", 40, "gnomAD v4.1 (exomes, genomes; joint..."},
		{"abcdefghijklmnopqrstuvwxyz", 10, "abcdefg..."},
		{"données de référence éàü", 13, "données..."},
		{"ééééé", 8, "éé..."},
	} {
		got := clip(c.in, c.n)
		if got != c.want || len(got) > c.n || !utf8.ValidString(got) {
			t.Errorf("clip(%q, %d) = %q (%d bytes), want %q", c.in, c.n, got, len(got), c.want)
		}
	}
}
