package annotate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gas-project/gas/internal/synth"
	"github.com/gas-project/gas/refdata"
)

// synthBundleSamples generates a dense data set with phased genotypes of
// the given samples and builds a consequences-only bundle from it.
func synthBundleSamples(tb testing.TB, variants, samples int) (*refdata.Bundle, []byte) {
	tb.Helper()
	dir := tb.TempDir()
	src := filepath.Join(dir, "src")
	_, err := synth.Generate(context.Background(), synth.Options{
		Seed: 11, Chroms: 2, ChromLen: 500_000, Genes: 100, Variants: variants, Samples: samples, OutDir: src,
	})
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, "bundle")
	_, err = refdata.Build(context.Background(), refdata.BuildOptions{Name: "synth", Assembly: "synthetic",
		Genes: filepath.Join(src, synth.GFFFile), FASTA: filepath.Join(src, synth.FASTAFile), Out: out})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := refdata.Open(out)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	in, err := os.ReadFile(filepath.Join(src, synth.VariantsFile))
	if err != nil {
		tb.Fatal(err)
	}
	return b, in
}

// hapHead is a VCF header with samples A-D on the model contig.
const hapHead = "##fileformat=VCFv4.2\n##contig=<ID=m,length=200>\n" +
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\tD\n"

// hapCall is what one haplotype carries at one record: its entries as
// "allele|terms|HGVS.p" (or "allele|terms|HGVS.c" without a protein change).
type hapCall [2][]string

// hapCalls decodes haplotype-mode output: per record, per sample, the
// entries the FORMAT bitmask selects on each haplotype.
func hapCalls(t *testing.T, out, key string) []map[string]hapCall {
	t.Helper()
	var samples []string
	var recs []map[string]hapCall
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasPrefix(l, "#CHROM") {
			samples = strings.Split(l, "\t")[9:]
		}
		if strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "\t")
		v, _ := infoField([]byte(f[7]), key)
		entries := strings.Split(string(v), ",")
		keys := strings.Split(f[8], ":")
		if keys[len(keys)-1] != key {
			t.Fatalf("FORMAT %q does not end with %s: %s", f[8], key, l)
		}
		m := map[string]hapCall{}
		for i, s := range f[9:] {
			sub := strings.Split(s, ":")
			if len(sub) != len(keys) {
				t.Fatalf("sample %s has %d fields for FORMAT %s: %s", samples[i], len(sub), f[8], l)
			}
			var c hapCall
			if bits := sub[len(sub)-1]; bits != "." {
				for wi, w := range strings.Split(bits, ",") {
					n, err := strconv.ParseUint(w, 10, 32)
					if err != nil || n >= 1<<30 {
						t.Fatalf("bad bitmask %q", bits)
					}
					for b := 0; b < 30; b++ {
						if n&(1<<b) == 0 {
							continue
						}
						k := (wi*30 + b) / 2
						if k >= len(entries) {
							t.Fatalf("bit for entry %d of %d: %s", k, len(entries), l)
						}
						e := strings.Split(entries[k], "|")
						sum := e[0] + "|" + e[1] + "|"
						if key == "ANN" {
							if e[10] != "" {
								sum += e[10]
							} else {
								sum += e[9]
							}
						} else {
							sum += strings.TrimPrefix(e[11], "TX1.3:")
						}
						c[b%2] = append(c[b%2], sum)
					}
				}
			}
			m[samples[i]] = c
		}
		recs = append(recs, m)
	}
	return recs
}

type hapVar struct {
	pos      int
	ref, alt string
	gts      string // tab-separated sample columns
}

// runHap annotates hv on the model gene (mirrored for the reverse strand) in
// haplotype mode; labels of combined entries are given with forward-strand
// positions and turned around for the mirror by the caller's expectation.
func runHap(t *testing.T, rev bool, hv []hapVar, opt Options) (string, *Summary) {
	t.Helper()
	g := modelGenome()
	gen, tx := g, modelTranscript(true)
	if rev {
		gen, tx = mirror(g, tx)
	}
	ref := &testRef{names: []string{"m"}, seqs: [][]byte{gen}}
	ref.addTranscripts(tx)
	type rec struct {
		pos  int
		line string
	}
	var recs []rec
	for _, v := range hv {
		pos, r, a := v.pos, v.ref, v.alt
		if rev {
			pos, r, a = mirrorVariant(g, v.pos, v.ref, v.alt)
		}
		recs = append(recs, rec{pos, "m\t" + strconv.Itoa(pos) + "\t.\t" + r + "\t" + a + "\t.\t.\t.\tGT\t" + v.gts + "\n"})
	}
	slices.SortStableFunc(recs, func(a, b rec) int { return a.pos - b.pos })
	in := hapHead
	for _, r := range recs {
		in += r.line
	}
	opt.Haplotypes = true
	out, sum, err := annotateString(t, ref, in, opt)
	if err != nil {
		t.Fatal(err)
	}
	return out, sum
}

// TestHaplotypeSameCodon: two SNVs in one codon on the same haplotype are
// one missense change; in trans, unphased or alone they keep their own
// calls, and a homozygous variant combines whatever the other's phase.
func TestHaplotypeSameCodon(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	for _, rev := range []bool{false, true} {
		// Codon 2 GCT (Ala): 44 G>A gives ACT (Thr), 45 C>A gives GAT (Asp),
		// both AAT (Asn).
		out, sum := runHap(t, rev, []hapVar{
			{44, "G", "A", "0|1\t0|1\t0/1\t1/1"},
			{45, "C", "A", "0|1\t1|0\t0/1\t0/1"},
		}, Options{})
		calls := hapCalls(t, out, "ANN")
		p44, p45 := 44, 45
		l44, l45 := "A", "A"
		if rev {
			p44, _, l44 = mirrorVariant(g, 44, "G", "A")
			p45, _, l45 = mirrorVariant(g, 45, "C", "A")
		}
		comb44 := fmt.Sprintf("%s-m:%d_%s>%s|missense_variant|p.Ala2Asn", l44, p45, rc2(rev, "C"), l45)
		comb45 := fmt.Sprintf("%s-m:%d_%s>%s|missense_variant|p.Ala2Asn", l45, p44, rc2(rev, "G"), l44)
		first, second := calls[0], calls[1]
		if rev {
			first, second = calls[1], calls[0] // 45 comes first on the mirror
		}
		own44, own45 := l44+"|missense_variant|p.Ala2Thr", l45+"|missense_variant|p.Ala2Asp"
		want := []struct {
			rec    map[string]hapCall
			sample string
			call   hapCall
		}{
			{first, "A", hapCall{nil, {comb44}}},
			{second, "A", hapCall{nil, {comb45}}},
			{first, "B", hapCall{nil, {own44}}}, // in trans
			{second, "B", hapCall{{own45}, nil}},
			{first, "C", hapCall{nil, {own44}}}, // unphased: local
			{second, "C", hapCall{nil, {own45}}},
			{first, "D", hapCall{{own44}, {comb44}}}, // homozygous: combined where the other is
			{second, "D", hapCall{nil, {comb45}}},
		}
		for _, w := range want {
			if got := w.rec[w.sample]; fmt.Sprint(got) != fmt.Sprint(w.call) {
				t.Errorf("rev=%v sample %s: %v, want %v", rev, w.sample, got, w.call)
			}
		}
		if sum.HaplotypeEntries != 2 {
			t.Errorf("rev=%v: %d combined entries, want 2 (one group of two, carried by A and D)", rev, sum.HaplotypeEntries)
		}
		if w := strings.Join(sum.Warnings, "\n"); !strings.Contains(w, "3 heterozygous genotypes are unphased") ||
			!strings.Contains(w, "1 times a sample carried two variants sharing a codon whose phase is unknown") {
			t.Errorf("rev=%v: warnings %v", rev, sum.Warnings)
		}
		if !strings.Contains(out, "##FORMAT=<ID=ANN,Number=.,Type=Integer,") || !strings.Contains(out, "##gas_haplotypes=") {
			t.Errorf("header lacks the FORMAT/ANN definition or the mode line")
		}
	}
}

// rc2 reverse-complements s on the mirror.
func rc2(rev bool, s string) string {
	if rev {
		return rc(s)
	}
	return s
}

// TestHaplotypeChanges checks combined consequences that differ from both
// parts, on both strands: a missense and a synonymous change that make a
// stop together, a codon split by the intron (two exons), and two
// frameshifts that restore the frame.
func TestHaplotypeChanges(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	cases := []struct {
		name  string
		vars  []hapVar
		terms string
		p     string
	}{
		// Codon 11 TCT (Ser, 111-113): 112 C>A is TAT (Tyr), 113 T>A is TCA
		// (Ser); both TAA, a stop.
		{"missense+synonymous=stop", []hapVar{{112, "C", "A", "1|0\t0|0\t0|0\t0|0"}, {113, "T", "A", "1|0\t0|0\t0|0\t0|0"}},
			"stop_gained", "p.Ser11Ter"},
		// Codon 7 TT|T (Phe) is split by the intron: 60 T>A and 101 T>G
		// make TAG.
		{"split codon", []hapVar{{60, "T", "A", "1|0\t0|0\t0|0\t0|0"}, {101, "T", "G", "1|0\t0|0\t0|0\t0|0"}},
			"stop_gained&splice_region_variant", "p.Phe7Ter"},
		// Deleting c.13 (53) and inserting A after c.15 (55): CCC becomes
		// CCA, still Pro.
		{"frameshifts restoring the frame", []hapVar{del1(g, 53, "1|0\t0|0\t0|0\t0|0"), ins1(g, 55, "A", "1|0\t0|0\t0|0\t0|0")},
			"synonymous_variant", "p.Pro5%3D"},
	}
	for _, rev := range []bool{false, true} {
		for _, c := range cases {
			out, _ := runHap(t, rev, c.vars, Options{})
			calls := hapCalls(t, out, "ANN")
			for i, r := range calls {
				got := r["A"][0]
				if len(got) != 1 || !strings.Contains(got[0], "-m:") {
					t.Errorf("rev=%v %s, record %d: haplotype 1 carries %v, want one combined entry", rev, c.name, i, got)
					continue
				}
				f := strings.Split(got[0], "|")
				if f[1] != c.terms || f[2] != c.p {
					t.Errorf("rev=%v %s, record %d: %s|%s, want %s|%s", rev, c.name, i, f[1], f[2], c.terms, c.p)
				}
				if r["B"][0] != nil || r["B"][1] != nil {
					t.Errorf("rev=%v %s: sample B (0|0) carries %v", rev, c.name, r["B"])
				}
			}
		}
	}
	// The split codon's HGVS.c names both changes in cis (';' escaped).
	out, _ := runHap(t, false, cases[1].vars, Options{})
	if !strings.Contains(out, "|c.[20T>A%3B21T>G]|p.Phe7Ter|") {
		t.Errorf("split codon HGVS:\n%s", out)
	}
}

func del1(g []byte, pos int, gts string) hapVar {
	return hapVar{pos - 1, string(g[pos-2 : pos]), string(g[pos-2]), gts}
}

func ins1(g []byte, after int, seq, gts string) hapVar {
	return hapVar{after, string(g[after-1]), string(g[after-1]) + seq, gts}
}

// TestHaplotypeFormat checks the FORMAT field itself: a missing genotype
// carries nothing, polyploid ones get '.', samples that leave trailing
// fields out are padded, an input FORMAT/ANN is replaced, a record without
// GT is left alone, and the CSQ format names the field CSQ.
func TestHaplotypeFormat(t *testing.T) {
	t.Parallel()
	in := "##fileformat=VCFv4.2\n##contig=<ID=m,length=200>\n" +
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n" +
		"m\t44\t.\tG\tA,T\t.\t.\t.\tGT:DP:ANN\t./.:3:5\t0|1|1\t2:7\n" +
		"m\t45\t.\tC\tA\t.\t.\t.\tGT:DP\t1|1\t0|1:9\t.\n" +
		"m\t90\t.\tC\tG\t.\t.\t.\tDP\t3\t4\t5\n"
	ref := modelRef()
	out, sum, err := annotateString(t, ref, in, Options{Haplotypes: true})
	if err != nil {
		t.Fatal(err)
	}
	lines := dataLines(out)
	cols := func(i int) []string { return strings.Split(lines[i], "\t") }
	// 44: two ALT alleles, each with entries for TX1.3 and TX2 (non-coding).
	c := cols(0)
	if c[8] != "GT:DP:ANN" || c[9] != "./.:3:0" || c[10] != "0|1|1:.:." || c[11] != "2:7:"+bitsOf(2, 0, 3, 0) {
		t.Errorf("record 44 samples: %q", c[8:])
	}
	c = cols(1)
	if c[8] != "GT:DP:ANN" || c[9] != "1|1:.:"+bitsOf(0, 0, 1, 0, 0, 1, 1, 1) || c[10] != "0|1:9:"+bitsOf(0, 1, 1, 1) || c[11] != ".:.:0" {
		t.Errorf("record 45 samples: %q", c[8:])
	}
	if c := cols(2); c[8] != "DP" || strings.Join(c[9:], ",") != "3,4,5" {
		t.Errorf("record without GT: %q", c[8:])
	}
	if w := strings.Join(sum.Warnings, "\n"); !strings.Contains(w, "1 genotypes have more than two alleles") ||
		!strings.Contains(w, "1 records with samples have no GT") {
		t.Errorf("warnings: %v", sum.Warnings)
	}
	csq, _, err := annotateString(t, ref, in, Options{Haplotypes: true, Format: FormatCSQ})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csq, "##FORMAT=<ID=CSQ,") || !strings.Contains(dataLines(csq)[1], "\tGT:DP:CSQ\t") {
		t.Errorf("CSQ haplotype output:\n%s", csq)
	}
	// A structural allele's entries are counted too: GT 1|2 at <DEL>,A puts
	// the <DEL> entries (0, 1) on the first haplotype and A's (2, 3) on the
	// second.
	sv, _, err := annotateString(t, ref, "##fileformat=VCFv4.2\n##contig=<ID=m,length=200>\n"+
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\nm\t44\t.\tG\t<DEL>,A\t.\t.\tEND=60\tGT\t1|2\n", Options{Haplotypes: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(dataLines(sv)[0], "\t")[9]; got != "1|2:"+bitsOf(0, 0, 1, 0, 2, 1, 3, 1) {
		t.Errorf("structural allele bits: %s", got)
	}
	// No samples: a header warning, and the records as in the default mode.
	plain, _, err := annotateString(t, ref, vcfHead+"m\t44\t.\tG\tA\t.\t.\t.\n", Options{Haplotypes: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plain, "##gas_haplotypes=WARNING") {
		t.Errorf("no header warning for a file without samples:\n%s", plain)
	}
}

// bitsOf renders the bitmask of (entry, slot) pairs given flat.
func bitsOf(pairs ...int) string {
	var w []uint32
	for i := 0; i+1 < len(pairs); i += 2 {
		w = setBit(w, 2*pairs[i]+pairs[i+1], true)
	}
	return string(appendBits(nil, w))
}

// TestHaplotypeWindows annotates a generated cohort with many codon-sharing
// neighbours, with 1 and 3 workers: the output is the same (the window
// crosses block boundaries in input order), every record comes out once, and
// some haplotype groups are found.
func TestHaplotypeWindows(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and builds a bundle; skipped with -short")
	}
	t.Parallel()
	bundle, in := synthBundleSamples(t, 20000, 8)
	var one, three bytes.Buffer
	s1, err := Annotate(context.Background(), bytes.NewReader(in), &one, bundle, Options{Haplotypes: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	s3, err := Annotate(context.Background(), bytes.NewReader(in), &three, bundle, Options{Haplotypes: true, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one.Bytes(), three.Bytes()) {
		t.Fatal("haplotype output differs between 1 and 3 workers")
	}
	if s1.Records != 20000 || len(dataLines(one.String())) != 20000 || s1.HaplotypeEntries == 0 || s3.HaplotypeEntries != s1.HaplotypeEntries {
		t.Errorf("records %d, lines %d, combined entries %d / %d", s1.Records, len(dataLines(one.String())), s1.HaplotypeEntries, s3.HaplotypeEntries)
	}
	inLines, outLines := dataLines(string(in)), dataLines(one.String())
	for i := range inLines {
		a, b := strings.SplitN(inLines[i], "\t", 3), strings.SplitN(outLines[i], "\t", 3)
		if a[0] != b[0] || a[1] != b[1] {
			t.Fatalf("record %d out of order: %s:%s vs %s:%s", i, a[0], a[1], b[0], b[1])
		}
	}
}

// FuzzHaplotypes feeds arbitrary sample columns (genotypes, phase sets,
// missing and extra fields) through haplotype mode, in both formats: it
// must never panic or fail on anything but the input, and every record must
// keep its sample count.
func FuzzHaplotypes(f *testing.F) {
	head := "##fileformat=VCFv4.2\n##contig=<ID=m,length=200>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n"
	f.Add([]byte(head + "m\t44\t.\tG\tA,T\t.\t.\t.\tGT:PS\t0|1:5\t1/2\nm\t45\t.\tC\tA\t.\t.\t.\tGT:PS\t1|0:5\t./.\n"))
	f.Add([]byte(head + "m\t60\t.\tT\tA\t.\t.\t.\tGT:ANN\t1|1:7\t|0|1\nm\t101\t.\tT\tG\t.\t.\t.\tGT\t0|1|1\t1\n"))
	f.Add([]byte(head + "m\t52\t.\tAC\tA\t.\t.\t.\tGT:DP\t1|0\t0|1:3:9\nm\t55\t.\tC\tCA\t.\t.\t.\tDP:GT\t1|0\t11|10\n"))
	f.Add([]byte(head + "m\t112\t.\tC\tA\t.\t.\t.\tGT\t1|0\t0|0\nm\t44\t.\tG\tA\t.\t.\t.\tGT\t1|0\t0|1\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, format := range []Format{FormatANN, FormatCSQ} {
			var out bytes.Buffer
			_, err := run(context.Background(), bytes.NewReader(in), &out, modelRef(), bundleMeta{}, Options{Workers: 2, Haplotypes: true, Format: format})
			if err != nil {
				if !IsInputError(err) {
					t.Fatalf("non-input error: %v", err)
				}
				continue
			}
			// Each record keeps its columns: samples are never lost or
			// invented, whatever their content.
			var inCols []int
			for _, l := range strings.Split(strings.ReplaceAll(string(in), "\r", ""), "\n") {
				if l != "" && l[0] != '#' {
					inCols = append(inCols, len(strings.Split(l, "\t")))
				}
			}
			outLines := dataLines(out.String())
			if len(outLines) != len(inCols) {
				t.Fatalf("%d records in, %d out", len(inCols), len(outLines))
			}
			for i, l := range outLines {
				if n := len(strings.Split(l, "\t")); n != inCols[i] && !(inCols[i] == 8 && n == 8) {
					t.Fatalf("record %d: %d columns in, %d out: %s", i, inCols[i], n, l)
				}
			}
		}
	})
}

func FuzzParseGT(f *testing.F) {
	for _, s := range []string{"0|1", "1/0", "1", "./.", "0|1|1", "10/12", "|0|1", "", ".", "1|", "a/b"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		g := parseGT(s)
		if g.n < 0 || g.a[0] < -1 || g.a[1] < -1 {
			t.Fatalf("parseGT(%q) = %+v", s, g)
		}
		if g.n <= 2 && g.n > 0 && bytes.Count(s, []byte{'|'})+bytes.Count(s, []byte{'/'}) > 3 {
			t.Fatalf("parseGT(%q) = %+v: ploidy from %d separators", s, g, bytes.Count(s, []byte{'/'}))
		}
	})
}

// BenchmarkCohort annotates a generated file with 2,500 samples per record,
// in the default mode (sample columns copied unparsed) and in haplotype
// mode (genotypes read, FORMAT field written); it reports records/s.
func BenchmarkCohort(b *testing.B) {
	const n = 4000
	bundle, in := synthBundleSamples(b, n, 2500)
	for _, hap := range []bool{false, true} {
		name := "local"
		if hap {
			name = "haplotypes"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for i := 0; i < b.N; i++ {
				if _, err := Annotate(context.Background(), bytes.NewReader(in), io.Discard, bundle, Options{Haplotypes: hap}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
