package refdata

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/gas-project/gas/internal/sharedtest"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func buildT(t testing.TB, opt BuildOptions) (*Bundle, *Manifest) {
	t.Helper()
	if opt.Out == "" {
		opt.Out = filepath.Join(t.TempDir(), "bundle")
	}
	if opt.Name == "" {
		opt.Name = "test"
	}
	m, err := Build(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(opt.Out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, m
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIntervalTreeAgainstScan(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 33, 100, 1000, 4097} {
		nodes := make([]ivNode, n)
		for i := range nodes {
			s := r.IntN(100000) + 1
			l := r.IntN(200)
			if r.IntN(50) == 0 {
				l = r.IntN(50000) // a few long ones, the case a running-max scan handles badly
			}
			nodes[i] = ivNode{Start: int32(s), End: int32(s + l)}
		}
		sortNodes(nodes)
		for i := range nodes {
			nodes[i].ID = int32(i)
		}
		ref := append([]ivNode(nil), nodes...)
		ix := newIvIndex(nodes)
		for q := 0; q < 300; q++ {
			s := r.IntN(102000) - 1000
			e := s + r.IntN(3000)
			var got, want []int32
			ix.query(s, e, func(id int32) { got = append(got, id) })
			for _, nd := range ref {
				if int(nd.Start) <= e && int(nd.End) >= s {
					want = append(want, nd.ID)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("n=%d [%d,%d]: got %d hits, want %d", n, s, e, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("n=%d [%d,%d]: hit %d is %d, want %d", n, s, e, i, got[i], want[i])
				}
			}
		}
	}
}

func sortNodes(n []ivNode) {
	for i := 1; i < len(n); i++ {
		for j := i; j > 0 && n[j].Start < n[j-1].Start; j-- {
			n[j], n[j-1] = n[j-1], n[j]
		}
	}
}

func TestOverlappingAgainstScan(t *testing.T) {
	t.Parallel()
	b, m := buildT(t, BuildOptions{Genes: sharedtest.Dir(t, "vep-chr21", "genes.gff3.gz")})
	if m.Counts.Transcripts < 2000 {
		t.Fatalf("only %d transcripts", m.Counts.Transcripts)
	}
	c, ok := b.ContigID([]byte("chr21"))
	if !ok {
		t.Fatal("chr21 not found as 21")
	}
	all := b.Transcripts()
	r := rand.New(rand.NewPCG(3, 4))
	var dst []*Transcript
	total := 0
	for q := 0; q < 2000; q++ {
		s := 5000000 + r.IntN(42000000)
		e := s + r.IntN(20000)
		dst = b.Overlapping(c, s, e, dst[:0])
		var want []*Transcript
		for i := range all {
			if all[i].Contig == c && all[i].Start <= e && all[i].End >= s {
				want = append(want, &all[i])
			}
		}
		total += len(want)
		if len(dst) != len(want) {
			t.Fatalf("[%d,%d]: %d transcripts, want %d", s, e, len(dst), len(want))
		}
		for i := range dst {
			if dst[i] != want[i] {
				t.Fatalf("[%d,%d]: hit %d is %s, want %s", s, e, i, dst[i].ID, want[i].ID)
			}
		}
	}
	if total == 0 {
		t.Fatal("no window hit anything: the test checks nothing")
	}
}

// Not parallel: AllocsPerRun needs the process to itself.
func TestQueriesDoNotAllocate(t *testing.T) {
	b, _ := buildT(t, BuildOptions{Genes: sharedtest.Dir(t, "vep-chr21", "genes.gff3.gz"), KnownVariants: sharedtest.Dir(t, "vep-chr21", "known_variants.vcf.gz")})
	dst := make([]*Transcript, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		dst = b.Overlapping(0, 25500000, 25600000, dst[:0])
	})
	if allocs != 0 || len(dst) == 0 {
		t.Errorf("Overlapping allocates %.1f times per call (%d hits)", allocs, len(dst))
	}
	ref, alt := []byte("C"), []byte("T")
	var a Allele
	var h Hit
	var cur Cursor
	var val []byte
	allocs = testing.AllocsPerRun(100, func() {
		a.Set(25000001, ref, alt)
		if !b.Lookup(0, &cur, 0, &a, &h) || string(h.ID()) != "rs574523538" {
			t.Fatal("rs574523538 not found")
		}
		for f := 0; f < h.NumFields(); f++ {
			val, _ = h.AppendValue(val[:0], f)
		}
	})
	if allocs != 0 {
		t.Errorf("Lookup allocates %.1f times per call", allocs)
	}
	chr := []byte("chr21")
	allocs = testing.AllocsPerRun(100, func() { b.ContigID(chr) })
	if allocs != 0 {
		t.Errorf("ContigID allocates %.1f times per call", allocs)
	}
}

const knownVCF = `##fileformat=VCFv4.2
##contig=<ID=chr1,length=1000>
##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency, per ALT">
##INFO=<ID=DB,Number=0,Type=Flag,Description="In the database">
##INFO=<ID=CS,Number=1,Type=String,Description="Clinical, significance">
##INFO=<ID=RC,Number=R,Type=Integer,Description="Read counts">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO
chr1	100	rs1	A	G,T	.	.	AF=0.1,0.2;DB;CS=x;RC=5,6,7
chr1	200	rs2	CAG	C	.	.	AF=0.3
chr1	300	rs3	c	CT,CTT,<DEL>	.	.	AF=0.4,0.5,0.6
chr1	400	.	G	A	.	.	.
`

func TestLookupKnownNormalisation(t *testing.T) {
	t.Parallel()
	genes := writeFile(t, "g.gff", "1\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n")
	b, m := buildT(t, BuildOptions{Genes: genes, KnownVariants: writeFile(t, "k.vcf", knownVCF)})
	var names []string
	for _, f := range b.Sources()[0].Fields {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "AF,DB,CS,RC" {
		t.Errorf("fields %s", got)
	}
	if m.Counts.KnownVariants != 6 || m.Counts.Contigs != 1 || m.Contigs[0].Length != 1000 {
		t.Errorf("counts %+v contigs %+v", m.Counts, m.Contigs)
	}
	c, ok := b.ContigID([]byte("1"))
	if !ok {
		t.Fatal("contig 1 not found (gene model says 1, known VCF chr1)")
	}
	cases := []struct {
		pos      int
		ref, alt string
		id, info string
		ok       bool
	}{
		{100, "A", "G", "rs1", "AF=0.1;DB;CS=x;RC=6", true},
		{100, "A", "T", "rs1", "AF=0.2;DB;CS=x;RC=7", true},
		{100, "A", "C", "", "", false}, // same position, other allele
		{100, "a", "t", "rs1", "AF=0.2;DB;CS=x;RC=7", true},
		{99, "NA", "NT", "rs1", "AF=0.2;DB;CS=x;RC=7", true},  // extra left padding
		{100, "AC", "TC", "rs1", "AF=0.2;DB;CS=x;RC=7", true}, // extra right padding
		{200, "CAG", "C", "rs2", "AF=0.3", true},
		{199, "TCAG", "TC", "rs2", "AF=0.3", true},
		{200, "CAGT", "CT", "rs2", "AF=0.3", true},
		{200, "CA", "C", "", "", false}, // a shorter deletion
		{300, "C", "CTT", "rs3", "AF=0.5", true},
		{300, "C", "CT", "rs3", "AF=0.4", true},
		{300, "C", "CTTT", "", "", false},
		{400, "G", "A", "", "", true},
		{401, "G", "A", "", "", false},
		{100, "A", "A", "", "", false},
	}
	for _, tc := range cases {
		id, info, ok := lookupKnown(b, c, tc.pos, []byte(tc.ref), []byte(tc.alt))
		if ok != tc.ok || string(id) != tc.id || string(info) != tc.info {
			t.Errorf("%d %s>%s: got %q %q %v, want %q %q %v", tc.pos, tc.ref, tc.alt, id, info, ok, tc.id, tc.info, tc.ok)
		}
	}
	if _, _, ok := lookupKnown(b, c+1, 100, []byte("A"), []byte("G")); ok {
		t.Error("lookup on a missing contig matched")
	}
}

func TestKnownInfoSelection(t *testing.T) {
	t.Parallel()
	genes := writeFile(t, "g.gff", "1\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n")
	b, _ := buildT(t, BuildOptions{Genes: genes, KnownVariants: writeFile(t, "k.vcf", knownVCF), KnownInfo: []string{"CS", "AF"}})
	_, info, ok := lookupKnown(b, 0, 100, []byte("A"), []byte("T"))
	if !ok || string(info) != "CS=x;AF=0.2" {
		t.Errorf("got %q %v", info, ok)
	}
	_, err := Build(context.Background(), BuildOptions{Name: "x", Genes: genes, KnownVariants: writeFile(t, "k.vcf", knownVCF), KnownInfo: []string{"NOPE"}, Out: filepath.Join(t.TempDir(), "b")})
	if err == nil || !strings.Contains(err.Error(), "NOPE") {
		t.Errorf("undeclared KnownInfo field: %v", err)
	}
}

// readFASTA is an independent, simple reader for checking Seq.
func readFASTA(t testing.TB, path string) map[string][]byte {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	var cur string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, ">") {
			cur = strings.Fields(l[1:])[0]
			continue
		}
		out[cur] = append(out[cur], bytes.ToUpper([]byte(strings.TrimSpace(l)))...)
	}
	return out
}

func TestSeqAgainstFASTA(t *testing.T) {
	t.Parallel()
	dir := sharedtest.Dir(t, "bcftools-csq", "ENST00000318249.2")
	fa := filepath.Join(dir, "ENST00000318249.2.fa")
	b, m := buildT(t, BuildOptions{Genes: filepath.Join(dir, "ENST00000318249.2.gff"), FASTA: fa, Tracks: nil})
	want := readFASTA(t, fa)
	if len(want) == 0 {
		t.Fatal("empty FASTA")
	}
	for name, seq := range want {
		c, ok := b.ContigID([]byte(name))
		if !ok || !b.HasSequence(c) {
			t.Fatalf("contig %s missing or without sequence", name)
		}
		if m.Contigs[c].Length != int64(len(seq)) {
			t.Errorf("%s: length %d, want %d", name, m.Contigs[c].Length, len(seq))
		}
		r := rand.New(rand.NewPCG(5, 6))
		for q := 0; q < 500; q++ {
			s := r.IntN(len(seq)) + 1
			e := min(s+r.IntN(300), len(seq))
			got, err := b.Seq(c, s, e)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, seq[s-1:e]) {
				t.Fatalf("%s:%d-%d differs", name, s, e)
			}
		}
		if _, err := b.Seq(c, len(seq), len(seq)+1); err == nil {
			t.Error("Seq past the contig end gave no error")
		}
		if _, err := b.Seq(c, 0, 5); err == nil {
			t.Error("Seq from 0 gave no error")
		}
	}
}

func TestBuildIsAtomic(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	out := filepath.Join(parent, "bundle")
	good := writeFile(t, "g.gff", "1\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n")
	// A source none of whose contigs is in the bundle fails the build.
	bad := writeFile(t, "k.vcf", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nNC_000001.11\t5\t.\tA\tG\t.\t.\t.\n")
	_, err := Build(context.Background(), BuildOptions{Name: "x", Genes: good, KnownVariants: bad, Out: out})
	if err == nil || !strings.Contains(err.Error(), "NC_000001.11") || !strings.Contains(err.Error(), "none of its contigs") {
		t.Fatalf("source on unknown contigs: error %v, want the contig named", err)
	}
	ents, _ := os.ReadDir(parent)
	if len(ents) != 0 {
		t.Errorf("failed build left %d entries (%s)", len(ents), ents[0].Name())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, BuildOptions{Name: "x", Genes: sharedtest.Dir(t, "vep-chr21", "genes.gff3.gz"), Out: out}); err == nil {
		t.Error("cancelled build succeeded")
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("cancelled build left %d entries", len(ents))
	}
	if _, err := Build(context.Background(), BuildOptions{Name: "x", Genes: writeFile(t, "e.gff", "##gff-version 3\n"), Out: out}); err == nil || !strings.Contains(err.Error(), "no transcripts") {
		t.Errorf("empty gene model: %v", err)
	}
	if _, err := Build(context.Background(), BuildOptions{Name: "x", Genes: good, FASTA: writeFile(t, "x.fa", ">1\nACGTX\n"), Out: out}); err == nil || !strings.Contains(err.Error(), "x.fa:2") {
		t.Errorf("bad FASTA: %v", err)
	}
	if _, err := Build(context.Background(), BuildOptions{Name: "x", Genes: good, FASTA: writeFile(t, "s.fa", ">1\nACGT\n"), Out: out}); err == nil || !strings.Contains(err.Error(), "beyond") {
		t.Errorf("transcript beyond the FASTA contig: %v", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("failed builds left %d entries", len(ents))
	}
	if _, err := Build(context.Background(), BuildOptions{Name: "x", Genes: good, Out: out}); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), BuildOptions{Name: "x", Genes: good, Out: out}); err == nil {
		t.Error("building over an existing bundle succeeded")
	}
}

func TestOpenRejectsBadBundles(t *testing.T) {
	t.Parallel()
	genes := writeFile(t, "g.gff", "1\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n")
	mk := func() string {
		out := filepath.Join(t.TempDir(), "b")
		if _, err := Build(context.Background(), BuildOptions{Name: "x", Genes: genes, KnownVariants: writeFile(t, "k.vcf", knownVCF), Out: out}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Wrong format version.
	dir := mk()
	var m map[string]any
	js, _ := os.ReadFile(filepath.Join(dir, manifestFile))
	json.Unmarshal(js, &m)
	m["format_version"] = 99
	js, _ = json.Marshal(m)
	os.WriteFile(filepath.Join(dir, manifestFile), js, 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "format version 99") {
		t.Errorf("wrong version: %v", err)
	}
	// Truncated data file.
	for _, f := range []string{"src.known.idx", "src.known.dat", transcriptsFile, tracksFile} {
		dir = mk()
		p := filepath.Join(dir, f)
		st, _ := os.Stat(p)
		os.Truncate(p, st.Size()-3)
		if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("truncated %s: %v", f, err)
		}
	}
	// Same size, corrupt content: Open must not panic; Verify must notice.
	dir = mk()
	for _, f := range []string{"src.known.idx", "src.known.dat"} {
		p := filepath.Join(dir, f)
		data, _ := os.ReadFile(p)
		for i := 8; i < 40 && i < len(data); i++ {
			data[i] = 0xff
		}
		os.WriteFile(p, data, 0o644)
		if b, err := Open(dir); err == nil {
			if b.Verify() == nil {
				t.Errorf("Verify accepted a corrupted %s", f)
			}
			b.Close()
		}
	}
	// A good one verifies.
	dir = mk()
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Verify(); err != nil {
		t.Error(err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("opening a missing dir succeeded")
	}
}

func TestTracks(t *testing.T) {
	t.Parallel()
	genes := writeFile(t, "g.gff", "chr2\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n")
	bed := "track name=x\n#comment\n2\t99\t200\tband1\n2\t150\t300\tband2\n2\t150\t300\tband1\n2\t1000\t1100\n2 5000 5000 point\n"
	b, m := buildT(t, BuildOptions{Genes: genes, Tracks: []Track{{Name: "BANDS", Path: writeFile(t, "b.bed", bed)}}})
	if m.Counts.TrackIntervals["BANDS"] != 5 || len(b.Tracks()) != 1 {
		t.Fatalf("counts %+v", m.Counts)
	}
	c, _ := b.ContigID([]byte("2"))
	str := func(d [][]byte) string {
		var s []string
		for _, x := range d {
			s = append(s, string(x))
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		s, e int
		want string
	}{
		{100, 100, "band1"}, {99, 99, ""}, {200, 200, "band1,band2"}, {201, 201, "band2,band1"},
		{1001, 1001, "BANDS"}, {5001, 5001, "point"}, {1, 10000, "band1,band2,BANDS,point"},
	} {
		if got := str(b.TrackHits(0, c, tc.s, tc.e, nil)); got != tc.want {
			t.Errorf("[%d,%d]: %q, want %q", tc.s, tc.e, got, tc.want)
		}
	}
	if _, err := Build(context.Background(), BuildOptions{Name: "x", Genes: genes, Tracks: []Track{{Name: "B", Path: writeFile(t, "b.bed", "2\t10\t5\tx\n")}}, Out: filepath.Join(t.TempDir(), "o")}); err == nil || !strings.Contains(err.Error(), "b.bed:1") {
		t.Errorf("bad BED: %v", err)
	}
}

func TestContigAliases(t *testing.T) {
	t.Parallel()
	genes := writeFile(t, "g.gff", "chrM\tx\texon\t5\t50\t.\t+\t.\tParent=transcript:T1\nX\tx\texon\t5\t50\t.\t+\t.\tParent=transcript:T2\nchr1\tx\texon\t5\t50\t.\t+\t.\tParent=transcript:T3\n")
	stages := map[string]bool{}
	b, _ := buildT(t, BuildOptions{Genes: genes, Assembly: "GRCh38", Progress: func(stage string, done, total int64) {
		if done < 0 || total < 0 || total > 0 && done > total {
			t.Errorf("progress %s %d/%d", stage, done, total)
		}
		stages[stage] = true
	}})
	if !stages["genes"] {
		t.Errorf("progress stages %v, want genes", stages)
	}
	for name, want := range map[string]string{"MT": "chrM", "chrM": "chrM", "chrX": "X", "X": "X", "1": "chr1", "chr1": "chr1"} {
		id, ok := b.ContigID([]byte(name))
		if !ok || b.Contigs()[id] != want {
			t.Errorf("%s -> %v %v, want %s", name, id, ok, want)
		}
	}
	if _, ok := b.ContigID([]byte("chr2")); ok {
		t.Error("chr2 found")
	}
}

// TestLookupKnownEveryRecord checks that every known record (every ALT) of
// the VEP dbSNP slice is found again, and that positions next to it with
// the same alleles are not.
func TestLookupKnownEveryRecord(t *testing.T) {
	t.Parallel()
	path := sharedtest.Dir(t, "vep-chr21", "known_variants.vcf.gz")
	b, _ := buildT(t, BuildOptions{Genes: sharedtest.Dir(t, "vep-chr21", "genes.gtf.gz"), KnownVariants: path})
	src, err := openSource(path, "known", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	sc := bufio.NewScanner(src.r)
	checked, misses, otherID := 0, 0, 0
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.SplitN(l, "\t", 9)
		c, ok := b.ContigID([]byte(f[0]))
		if !ok {
			t.Fatalf("contig %s unknown", f[0])
		}
		pos, _ := strconv.Atoi(f[1])
		for _, alt := range strings.Split(f[4], ",") {
			id, _, ok := lookupKnown(b, c, pos, []byte(f[3]), []byte(alt))
			checked++
			if !ok {
				t.Fatalf("%s:%d %s>%s not found", f[0], pos, f[3], alt)
			}
			// The same alleles may be listed twice under two IDs; the
			// first one in the file wins.
			if string(id) != f[2] {
				otherID++
			}
			if _, _, ok := lookupKnown(b, c, pos+1000000, []byte(f[3]), []byte(alt)); ok {
				misses++
			}
		}
	}
	if checked < 100000 {
		t.Fatalf("checked only %d alleles", checked)
	}
	if otherID > checked/1000 {
		t.Errorf("%d of %d lookups gave another record's ID", otherID, checked)
	}
	t.Logf("%d alleles found, %d under an earlier duplicate's ID", checked, otherID)
	if misses > checked/10 {
		t.Errorf("%d of %d lookups 1 Mb away matched: lookup ignores position?", misses, checked)
	}
}

// TestLookupKnownBlocks puts long runs of records at one position across
// block-index boundaries.
func TestLookupKnownBlocks(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	sb.WriteString("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	type rec struct {
		pos      int
		ref, alt string
	}
	var recs []rec
	for pos := 10; pos < 3000; pos += 7 {
		n := 1
		if pos%10 == 3 {
			n = 150 // a run longer than two blocks
		}
		for i := 0; i < n; i++ {
			alt := "A" + strings.Repeat("C", i+1)
			recs = append(recs, rec{pos, "A", alt})
			fmt.Fprintf(&sb, "1\t%d\tid%d_%d\tA\t%s\t.\t.\t.\n", pos, pos, i, alt)
		}
	}
	genes := writeFile(t, "g.gff", "1\tx\texon\t1\t5000\t.\t+\t.\tParent=transcript:T1\n")
	b, m := buildT(t, BuildOptions{Genes: genes, KnownVariants: writeFile(t, "k.vcf", sb.String())})
	if m.Counts.KnownVariants != int64(len(recs)) {
		t.Fatalf("%d known, want %d", m.Counts.KnownVariants, len(recs))
	}
	for i, r := range recs {
		id, _, ok := lookupKnown(b, 0, r.pos, []byte(r.ref), []byte(r.alt))
		want := fmt.Sprintf("id%d_%d", r.pos, len(r.alt)-2)
		if !ok || string(id) != want {
			t.Fatalf("record %d (%d %s>%s): %q %v, want %s", i, r.pos, r.ref, r.alt, id, ok, want)
		}
	}
	for pos := 0; pos < 3100; pos++ {
		if _, _, ok := lookupKnown(b, 0, pos, []byte("G"), []byte("T")); ok {
			t.Fatalf("G>T at %d found", pos)
		}
	}
}

// TestBuildEveryCsqCase builds a bundle from each bcftools csq case (its
// FASTA and every GFF), as the conformance test of the engine does, and
// checks that every case VCF record lies on a contig of the bundle with a
// matching REF.
func TestBuildEveryCsqCase(t *testing.T) {
	t.Parallel()
	dirs, _ := filepath.Glob(filepath.Join(sharedtest.Dir(t, "bcftools-csq"), "*"))
	built := 0
	for _, d := range dirs {
		fas, _ := filepath.Glob(filepath.Join(d, "*.fa"))
		gffs, _ := filepath.Glob(filepath.Join(d, "*.gff"))
		vcfs, _ := filepath.Glob(filepath.Join(d, "*.vcf"))
		if len(fas) != 1 {
			continue
		}
		for _, g := range gffs {
			out := filepath.Join(t.TempDir(), "b")
			if _, err := Build(context.Background(), BuildOptions{Name: "csq", Genes: g, FASTA: fas[0], Out: out}); err != nil {
				t.Errorf("%s: %v", g, err)
				continue
			}
			b, err := Open(out)
			if err != nil {
				t.Fatal(err)
			}
			built++
			for _, v := range vcfs {
				data, _ := os.ReadFile(v)
				for i, l := range strings.Split(string(data), "\n") {
					if l == "" || l[0] == '#' {
						continue
					}
					f := strings.Split(l, "\t")
					c, ok := b.ContigID([]byte(f[0]))
					if !ok || !b.HasSequence(c) {
						t.Errorf("%s:%d: contig %s not in the bundle with sequence", v, i+1, f[0])
						continue
					}
					pos, _ := strconv.Atoi(f[1])
					if int64(pos+len(f[3])-1) > b.Manifest().Contigs[c].Length {
						// Two cases test a deletion running off the slice end;
						// Seq must refuse it rather than clip.
						if _, err := b.Seq(c, pos, pos+len(f[3])-1); err == nil {
							t.Errorf("%s:%d: Seq past the contig end gave no error", v, i+1)
						}
						continue
					}
					ref, err := b.Seq(c, pos, pos+len(f[3])-1)
					if err != nil || !strings.EqualFold(string(ref), f[3]) {
						t.Errorf("%s:%d: REF %s, bundle has %s (%v)", v, i+1, f[3], ref, err)
					}
				}
			}
			b.Close()
		}
	}
	if built < 40 {
		t.Errorf("built only %d case bundles", built)
	}
}

// TestConcurrentQueries runs queries from several goroutines (meaningful
// under -race): workers share one bundle.
func TestConcurrentQueries(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "demo")
	if _, err := BuildDemo(context.Background(), out, "test"); err != nil {
		t.Fatal(err)
	}
	b, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c21, _ := b.ContigID([]byte("chr21"))
	done := make(chan int)
	for g := 0; g < 4; g++ {
		go func() {
			var dst []*Transcript
			var hits [][]byte
			n := 0
			for pos := 25000001; pos < 26000000; pos += 997 {
				dst = b.Overlapping(c21, pos-5000, pos+5000, dst[:0])
				hits = b.TrackHits(0, c21, pos, pos, hits[:0])
				if _, _, ok := lookupKnown(b, c21, 25000001, []byte("C"), []byte("T")); ok {
					n++
				}
				if _, err := b.Seq(0, 1, 10); err != nil {
					n = -1 << 30
				}
			}
			done <- n
		}()
	}
	for g := 0; g < 4; g++ {
		if n := <-done; n <= 0 {
			t.Errorf("goroutine %d: %d successful lookups", g, n)
		}
	}
}
