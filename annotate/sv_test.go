package annotate

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// svOut annotates in with ref and returns, per record ID, its ANN entries
// keyed by transcript ID ("" for an entry without one) and its SVANN
// entries keyed the same way (without the allele and feature).
type svRecordOut struct {
	ann   map[string]string // transcript -> terms
	full  map[string][]string
	svann map[string]string // transcript -> EXON|INTRON|OverlapBP|OverlapPC
	info  string
}

func svAnnotate(t *testing.T, ref reference, in string, opt Options) (map[string]*svRecordOut, *Summary, error) {
	t.Helper()
	var out bytes.Buffer
	sum, err := run(context.Background(), strings.NewReader(in), &out, ref, bundleMeta{Name: "sv"}, opt)
	if err != nil {
		return nil, sum, err
	}
	recs := map[string]*svRecordOut{}
	for _, l := range dataLines(out.String()) {
		f := strings.Split(l, "\t")
		r := &svRecordOut{ann: map[string]string{}, full: map[string][]string{}, svann: map[string]string{}, info: f[7]}
		ann, ok := infoField([]byte(f[7]), "ANN")
		for _, e := range strings.Split(string(ann), ",") {
			if !ok {
				break
			}
			s := strings.Split(e, "|")
			if len(s) != 16 {
				t.Fatalf("%s: ANN entry with %d fields: %s", f[2], len(s), e)
			}
			r.ann[s[6]] = s[1]
			r.full[s[6]] = s
		}
		if sv, ok := infoField([]byte(f[7]), svannKey); ok {
			for _, e := range strings.Split(string(sv), ",") {
				s := strings.SplitN(e, "|", 4)
				if s[1] != r.ann[s[2]] {
					t.Errorf("%s: SVANN consequence %q, ANN %q", f[2], s[1], r.ann[s[2]])
				}
				r.svann[s[2]] = s[3]
			}
		}
		recs[f[2]] = r
	}
	return recs, sum, nil
}

// TestStructuralVariants runs every fixture case and its reverse-strand
// mirror and checks the consequences on the listed transcripts, the
// overlap fields, and that both strands agree.
func TestStructuralVariants(t *testing.T) {
	t.Parallel()
	ref := svRef()
	cases := svCases()
	recs, sum, err := svAnnotate(t, ref, svVCF(ref.seqs[0], cases), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		for _, mirrored := range []bool{false, true} {
			id := c.id
			if mirrored {
				id += "_r"
			}
			r := recs[id]
			if r == nil {
				t.Errorf("%s: no output record", id)
				continue
			}
			if len(c.want) == 0 {
				if len(r.ann) != 1 || r.ann[""] != "intergenic_variant" || strings.Contains(r.info, svannKey) {
					t.Errorf("%s: want intergenic only, got %v (%s)", id, r.ann, r.info)
				}
				continue
			}
			first := ""
			for tx, want := range c.want {
				if mirrored {
					tx = mirrorID(tx)
				}
				if got, ok := r.ann[tx]; !ok || got != want {
					t.Errorf("%s on %s: got %q, want %q", id, tx, got, want)
				}
				if first == "" || tx < first {
					first = tx
				}
			}
			if c.extra != "" && r.svann[first] != c.extra {
				t.Errorf("%s SVANN on %s: got %q, want %q", id, first, r.svann[first], c.extra)
			}
			for tx, f := range r.full {
				if f[0] == "" || f[9] != "" || f[10] != "" {
					t.Errorf("%s on %s: allele or HGVS wrong: %v", id, tx, f)
				}
				if _, ok := r.svann[tx]; !ok && !strings.HasPrefix(c.alt, "]") && !strings.Contains(c.alt, "[") && !strings.HasSuffix(c.alt, ".") {
					t.Errorf("%s on %s: no SVANN entry", id, tx)
				}
			}
		}
	}
	if sum.NotAnnotated != 0 || sum.Annotated != int64(2*len(cases)) {
		t.Errorf("summary: %d annotated, %d not", sum.Annotated, sum.NotAnnotated)
	}
	if sum.Consequences["transcript_ablation"] == 0 || sum.Impacts["HIGH"] == 0 {
		t.Errorf("summary consequences %v impacts %v", sum.Consequences, sum.Impacts)
	}
}

// TestStructuralVariantsDistance checks DISTANCE of up- and downstream
// entries on both strands: the gap between the variant and the transcript
// (VEP's distance_to_transcript).
func TestStructuralVariantsDistance(t *testing.T) {
	t.Parallel()
	ref := svRef()
	cases := []svCase{
		{id: "up", pos: 500, alt: "<DEL>", span: 300},    // 501-800, TXF starts at 1001
		{id: "down", pos: 3300, alt: "<DEL>", span: 100}, // 3301-3400, TXF ends at 3200
		{id: "ins_up", pos: 995, alt: "<INS>"},           // between 995 and 996
		{id: "far", pos: 4199, alt: "<DEL>", span: 2},    // 4200-4201: TXF 1000 bases upstream of it
	}
	recs, _, err := svAnnotate(t, ref, svVCF(ref.seqs[0], cases), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, tx, terms, dist string
	}{
		{"up", "TXF", "upstream_gene_variant", "201"},
		{"up_r", "TXR", "upstream_gene_variant", "201"},
		{"down", "TXF", "downstream_gene_variant", "101"},
		{"down_r", "TXR", "downstream_gene_variant", "101"},
		{"ins_up", "TXF", "upstream_gene_variant", "5"},
		{"ins_up_r", "TXR", "upstream_gene_variant", "5"},
		{"far", "TXF", "downstream_gene_variant", "1000"},
		{"far", "NCF", "upstream_gene_variant", "1800"},
		{"far_r", "NCR", "upstream_gene_variant", "1800"},
	} {
		f := recs[c.id].full[c.tx]
		if f == nil || f[1] != c.terms || f[14] != c.dist {
			t.Errorf("%s on %s: got %v, want %s at %s", c.id, c.tx, f, c.terms, c.dist)
		}
	}
}

// TestStructuralVariantsStar keeps the overlapping-deletion allele and
// other non-SV symbolic alleles note-only next to an annotated SV.
func TestStructuralVariantsStar(t *testing.T) {
	t.Parallel()
	ref := svRef()
	g := ref.seqs[0]
	in := "##fileformat=VCFv4.4\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
		"sv\t2010\tstar\t" + string(g[2009]) + "\t<DEL>,*,<NON_REF>,<CNV:TR>\t.\t.\tSVLEN=10,.,.,30\n"
	var out bytes.Buffer
	sum, err := run(context.Background(), strings.NewReader(in), &out, ref, bundleMeta{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := strings.Split(dataLines(out.String())[0], "\t")[7]
	ann, _ := infoField([]byte(info), "ANN")
	entries := strings.Split(string(ann), ",")
	var notes []string
	for _, e := range entries {
		if strings.HasPrefix(e, "<DEL>|") {
			if strings.Contains(e, "|TXF|") && !strings.Contains(e, "|frameshift_variant&feature_truncation|HIGH|") {
				t.Errorf("DEL entry: %s", e)
			}
			continue
		}
		notes = append(notes, e)
	}
	want := []string{"*|||||||||||||||" + noteSymbolic, "<NON_REF>|||||||||||||||" + noteSymbolic, "<CNV%3ATR>|||||||||||||||" + noteSymbolic}
	if strings.Join(notes, ",") != strings.Join(want, ",") {
		t.Errorf("notes: %v", notes)
	}
	sv, _ := infoField([]byte(info), svannKey)
	if !strings.HasPrefix(string(sv), "<DEL>|frameshift_variant&feature_truncation|TXF|2/3||10|0.45") || strings.Contains(string(sv), "*") {
		t.Errorf("SVANN: %s", sv)
	}
	if sum.NotAnnotated != 3 || sum.Annotated != 1 {
		t.Errorf("summary: %d annotated, %d not", sum.Annotated, sum.NotAnnotated)
	}
}

// TestStructuralVariantsBadLength: malformed END, SVLEN or CN stop the
// run with the line and the reason (or, with OnError=Skip, leave that
// record unannotated); a length that cannot be known is a documented skip.
func TestStructuralVariantsBadLength(t *testing.T) {
	t.Parallel()
	ref := svRef()
	g := ref.seqs[0]
	rec := func(alt, info string) string {
		return "##fileformat=VCFv4.4\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
			"sv\t1500\tx\t" + string(g[1499]) + "\t" + alt + "\t.\t.\t" + info + "\n"
	}
	for _, c := range []struct {
		name, alt, info, err string
	}{
		{"svlen not a number", "<DEL>", "SVLEN=ten", `SVLEN value "ten" of ALT <DEL> is not an integer`},
		{"svlen count", "<DEL>,<DUP>", "SVLEN=10", "SVLEN has 1 values for 2 ALT alleles"},
		{"end before pos", "<DEL>", "END=1400", "END 1400 is before POS"},
		{"end not a number", "<INV>", "END=1.5e3", `END value "1.5e3" is not an integer`},
		{"zero length", "<DUP>", "SVLEN=0", "<DUP> has length 0"},
		{"end equals pos", "<DEL>", "END=1500", "<DEL> has length 0"},
		{"bad CN", "<CNV>", "SVLEN=100;CN=many", `CN value "many" of ALT <CNV> is not a copy number`},
		{"negative CN", "<CNV>", "SVLEN=100;CN=-1", `CN value "-1"`},
		{"svlen flag", "<DEL>", "SVLEN", "SVLEN has no value"},
		{"bad svlen on INS", "<INS>", "SVLEN=x", `SVLEN value "x"`},
	} {
		_, _, err := svAnnotate(t, ref, rec(c.alt, c.info), Options{})
		if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "line 3") {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.err)
		}
		recs, sum, err := svAnnotate(t, ref, rec(c.alt, c.info), Options{OnError: Skip})
		if err != nil || sum.Skipped != 1 || recs["x"] == nil || strings.Contains(recs["x"].info, "ANN=") {
			t.Errorf("%s with Skip: %v, %+v", c.name, err, sum)
		}
	}
	// No SVLEN and no usable END: the allele is left with a note and a
	// warning, the rest of the record is annotated.
	for _, c := range []struct{ alt, info string }{
		{"<DEL>", "SVTYPE=DEL"},
		{"<DEL>,<DUP>", "END=1600"}, // END cannot say which allele it measures
	} {
		recs, sum, err := svAnnotate(t, ref, rec(c.alt, c.info), Options{})
		if err != nil {
			t.Fatalf("%s %s: %v", c.alt, c.info, err)
		}
		if n := strings.Count(recs["x"].info, noteSVNoLength); n != strings.Count(c.alt, "<") || len(sum.Warnings) == 0 {
			t.Errorf("%s %s: %s, warnings %v", c.alt, c.info, recs["x"].info, sum.Warnings)
		}
	}
	// END alone measures a single symbolic allele (VCF 4.4's fallback),
	// also next to a sequence allele; SVLEN wins over END; a negative
	// SVLEN (VCF 4.2 deletions) counts by its absolute value.
	for _, c := range []struct{ alt, info, terms string }{
		{"<DEL>", "END=1600", "intron_variant"},
		{"A,<DEL>", "END=1600", "intron_variant"},
		{"<DEL>", "END=1600;SVLEN=600", "feature_truncation&coding_sequence_variant&intron_variant"},
		{"<DEL>", "SVLEN=-600", "feature_truncation&coding_sequence_variant&intron_variant"},
	} {
		in := rec(c.alt, c.info)
		if strings.HasPrefix(c.alt, "A,") {
			in = strings.Replace(in, "\t"+c.alt+"\t", "\t"+string(other(g[1499]))+",<DEL>\t", 1)
		}
		recs, _, err := svAnnotate(t, ref, in, Options{})
		if err != nil {
			t.Fatalf("%s %s: %v", c.alt, c.info, err)
		}
		var got string
		ann, _ := infoField([]byte(recs["x"].info), "ANN")
		for _, e := range strings.Split(string(ann), ",") {
			if strings.HasPrefix(e, "<DEL>|") && strings.Contains(e, "|TXF|") {
				got = strings.Split(e, "|")[1]
			}
		}
		if got != c.terms {
			t.Errorf("%s %s: got %q, want %q", c.alt, c.info, got, c.terms)
		}
	}
}

// TestStructuralVariantsModes applies the transcript modes to SVs: Pick
// keeps the most severe entry, an ID list keeps those transcripts only,
// and an SV on a contig missing from the bundle is intergenic with the
// usual warning.
func TestStructuralVariantsModes(t *testing.T) {
	t.Parallel()
	ref := svRef()
	g := ref.seqs[0]
	in := "##fileformat=VCFv4.4\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
		"sv\t900\tbig\t" + string(g[899]) + "\t<DEL>\t.\t.\tSVLEN=5800\n" + // ablates TXF and NCF
		"sv\t2050\tbnd\t" + string(g[2049]) + "\t" + string(g[2049]) + "[zz:5[\t.\t.\t.\n" +
		"zz\t10\tnocontig\tA\t<DEL>\t.\t.\tSVLEN=100\n"
	recs, _, err := svAnnotate(t, ref, in, Options{Transcripts: Pick})
	if err != nil {
		t.Fatal(err)
	}
	// Both transcripts are ablated (HIGH); neither is tagged, so the
	// longer CDS decides.
	if r := recs["big"]; len(r.ann) != 1 || r.ann["TXF"] != "transcript_ablation" || len(r.svann) != 1 {
		t.Errorf("pick: %v %v", r.ann, r.svann)
	}
	if r := recs["nocontig"]; r.ann[""] != "intergenic_variant" || !strings.HasSuffix(strings.Join(r.full[""], "|"), warnNoContig) {
		t.Errorf("unknown contig: %v", r.full)
	}
	recs, _, err = svAnnotate(t, ref, in, Options{TranscriptIDs: []string{"NCF"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := recs["big"]; len(r.ann) != 1 || r.ann["NCF"] != "transcript_ablation" || r.svann["NCF"] != "1-2/2|1/1|600|100.00" {
		t.Errorf("transcript list: %v %v", r.ann, r.svann)
	}
}

// TestStructuralVariantsFixtureFiles keeps testdata/sv (the fixture as
// GFF3, FASTA and VCF, for running Ensembl VEP on it) in step with the
// code that generates it; go test -run FixtureFiles -update rewrites them.
func TestStructuralVariantsFixtureFiles(t *testing.T) {
	t.Parallel()
	g := svGenome()
	files := map[string]string{
		"sv.gff3": svGFF(),
		"sv.fa":   svFASTA(g),
		"sv.vcf":  svVCF(g, svCases()),
	}
	for name, want := range files {
		path := filepath.Join("testdata", "sv", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s is out of date: go test ./annotate -run FixtureFiles -update", path)
		}
	}
}

// TestStructuralVariantsCSQ checks SV entries in CSQ form on both strands:
// VEP's allele names, EXON/INTRON ranges, cDNA/CDS/protein positions from
// the ends that map (as VEP 115 wrote them for the same records).
func TestStructuralVariantsCSQ(t *testing.T) {
	t.Parallel()
	ref := svRef()
	cases := []svCase{
		{id: "two_exons", pos: 1090, alt: "<DEL>", span: 920},
		{id: "five", pos: 950, alt: "<DEL>", span: 110},
		{id: "ins", pos: 2050, alt: "<INS:ME:ALU>"},
		{id: "bnd", pos: 1500, alt: "]sv:20000]N"},
		{id: "whole", pos: 900, alt: "<DUP:TANDEM>", span: 2400},
		{id: "far", pos: 17000, alt: "<INV>", span: 500},
	}
	var out bytes.Buffer
	if _, err := run(context.Background(), strings.NewReader(svVCF(ref.seqs[0], cases)), &out, ref, bundleMeta{}, Options{Format: FormatCSQ}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range dataLines(out.String()) {
		f := strings.Split(l, "\t")
		csq, _ := infoField([]byte(f[7]), "CSQ")
		for _, e := range strings.Split(string(csq), ",") {
			got[f[2]+" "+strings.Split(e, "|")[6]] = e
		}
		if !strings.Contains(f[7], svannKey+"=") && f[2] != "far" && f[2] != "far_r" {
			t.Errorf("%s: no SVANN next to CSQ", f[2])
		}
	}
	for _, c := range []struct{ key, want string }{
		{"two_exons TXF", "deletion|feature_truncation&coding_sequence_variant&intron_variant|HIGH|SVF|GXF|Transcript|TXF|protein_coding|1-2/3|1/2|||91-110|41-60|14-20|||||1|||"},
		{"two_exons_r TXR", "deletion|feature_truncation&coding_sequence_variant&intron_variant|HIGH|SVFR|GXR|Transcript|TXR|protein_coding|1-2/3|1/2|||91-110|41-60|14-20|||||-1|||"},
		{"five TXF", "deletion|feature_truncation&coding_sequence_variant&5_prime_UTR_variant|HIGH|SVF|GXF|Transcript|TXF|protein_coding|1/3||||?-60|?-10|?-4|||||1|||"},
		{"ins TXF", "Alu_insertion|feature_elongation&coding_sequence_variant|HIGH|SVF|GXF|Transcript|TXF|protein_coding|2/3||||150-151|100-101|34|||||1|||"},
		{"ins_r TXR", "Alu_insertion|feature_elongation&coding_sequence_variant|HIGH|SVFR|GXR|Transcript|TXR|protein_coding|2/3||||150-151|100-101|34|||||-1|||"},
		{"bnd TXF", ".A|feature_truncation&intron_variant|HIGH|SVF|GXF|Transcript|TXF|protein_coding||1/2||||||||||1|||"},
		{"whole TXF", "tandem_duplication|transcript_amplification|HIGH|SVF|GXF|Transcript|TXF|protein_coding||||||||||||1|||"},
		{"whole NCF", "tandem_duplication|upstream_gene_variant|MODIFIER|SVNC|GNF|Transcript|NCF|lncRNA|||||||||||2701|1|||"},
		{"far ", "inversion|intergenic_variant|MODIFIER||||||||||||||||||||"},
	} {
		if got[c.key] != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.key, got[c.key], c.want)
		}
	}
}

// TestStructuralVariantsSplitVEP reads SVANN with bcftools +split-vep, as
// its header promises.
func TestStructuralVariantsSplitVEP(t *testing.T) {
	bcftools, err := exec.LookPath("bcftools")
	if err != nil {
		t.Skip("bcftools is not installed (apt-get install bcftools; CI installs it)")
	}
	t.Parallel()
	ref := svRef()
	var out bytes.Buffer
	in := svVCF(ref.seqs[0], []svCase{{id: "two_exons", pos: 1090, alt: "<DEL>", span: 920}})
	if _, err := run(context.Background(), strings.NewReader(in), &out, ref, bundleMeta{}, Options{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "out.vcf")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command(bcftools, "+split-vep", "-a", svannKey, "-d", "-f", "%ID %Allele %Consequence %Feature %EXON %INTRON %OverlapBP %OverlapPC\n", path).CombinedOutput()
	if err != nil {
		t.Fatalf("split-vep: %v\n%s", err, got)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	want := map[string]bool{
		"two_exons <DEL> feature_truncation&coding_sequence_variant&intron_variant TXF 1-2/3 1/2 920 41.82":   true,
		"two_exons <DEL> upstream_gene_variant NCF . . . .":                                                   true,
		"two_exons_r <DEL> feature_truncation&coding_sequence_variant&intron_variant TXR 1-2/3 1/2 920 41.82": true,
		"two_exons_r <DEL> upstream_gene_variant NCR . . . .":                                                 true,
	}
	for _, l := range lines {
		if !want[l] {
			t.Errorf("split-vep line %q not expected (all: %q)", l, lines)
		}
		delete(want, l)
	}
	if len(want) != 0 {
		t.Errorf("split-vep missed %v", want)
	}
}

// svBenchRef is a 60 Mb contig without sequence carrying 4,000 coding
// transcripts of 8 exons, alternating strands, one every 12 kb.
func svBenchRef() *testRef {
	r := &testRef{names: []string{"c"}, seqs: [][]byte{nil}}
	for i := 0; i < 4000; i++ {
		start := 1_000_000 + i*12_000
		t := &refdata.Transcript{ID: "T" + itoa(int64(i)), GeneID: "G" + itoa(int64(i)), Biotype: "protein_coding",
			Strand: refdata.Forward, Start: start, End: start + 7*1000 + 199}
		if i%2 == 1 {
			t.Strand = refdata.Reverse
		}
		for k := 0; k < 8; k++ {
			t.Exons = append(t.Exons, refdata.Exon{Start: start + k*1000, End: start + k*1000 + 199})
		}
		t.CDSStart, t.CDSEnd = start+100, start+7*1000+99
		r.addTranscripts(t)
	}
	return r
}

// BenchmarkStructuralVariants annotates one 50 Mb deletion over 4,000
// transcripts (and, for scale, a 5 kb one over a single transcript): the
// cost and the allocations grow with the transcripts and the output, not
// with the bases deleted.
func BenchmarkStructuralVariants(b *testing.B) {
	ref := svBenchRef()
	head := "##fileformat=VCFv4.4\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
	for _, c := range []struct {
		name string
		line string
		txs  int
	}{
		{"del50Mb", "c\t999000\t.\tN\t<DEL>\t.\t.\tSVLEN=50000000\n", 4000},
		{"del5kb", "c\t1001000\t.\tN\t<DEL>\t.\t.\tSVLEN=5000\n", 1},
	} {
		in := []byte(head + c.line)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := run(context.Background(), bytes.NewReader(in), io.Discard, ref, bundleMeta{}, Options{Workers: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.txs*b.N)/b.Elapsed().Seconds(), "transcripts/s")
		})
	}
}

// FuzzStructuralVariant feeds arbitrary ALT and INFO values at a position
// of the SV fixture: the run never panics, fails only with an
// *InputError, and every structural-variant transcript entry has its SVANN
// entry with the same consequences.
func FuzzStructuralVariant(f *testing.F) {
	f.Add(2010, "<DEL>", "SVLEN=10")
	f.Add(900, "<DUP:TANDEM>,<CNV>", "END=3300;SVLEN=2400,2400;CN=.,0.5")
	f.Add(2050, "<INS:ME:ALU>", "END=2050;SVLEN=300")
	f.Add(1500, "G]sv:35000]", "END=12")
	f.Add(1500, "[sv:1[G,.G,G.", ".")
	f.Add(1, "<CN=0>,<CN2>,*", "SVLEN=-5,5,.")
	f.Add(39999, "<INV>", "END=40500")
	f.Add(100, "<DEL>", "SVLEN=99999999999;END=1")
	ref := svRef()
	f.Fuzz(func(t *testing.T, pos int, alt, info string) {
		if pos < 1 || pos > svLen || strings.ContainsAny(alt+info, "\t\n\r") || alt == "" || info == "" {
			t.Skip()
		}
		in := "##fileformat=VCFv4.4\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
			"sv\t" + itoa(int64(pos)) + "\tx\tN\t" + alt + "\t.\t.\t" + info + "\n"
		var out bytes.Buffer
		_, err := run(context.Background(), strings.NewReader(in), &out, ref, bundleMeta{}, Options{Workers: 1})
		if err != nil {
			if !IsInputError(err) {
				t.Fatalf("non-input error: %v", err)
			}
			return
		}
		for _, l := range dataLines(out.String()) {
			cols := strings.Split(l, "\t")
			ann, ok := infoField([]byte(cols[7]), "ANN")
			if !ok {
				continue // no ALT allele
			}
			sv, _ := infoField([]byte(cols[7]), svannKey)
			want := map[string]string{}
			for _, e := range strings.Split(string(ann), ",") {
				f := strings.Split(e, "|")
				if len(f) != 16 {
					t.Fatalf("ANN entry with %d fields: %q", len(f), e)
				}
				if f[6] != "" && f[9] == "" && f[1] != "" {
					want[f[0]+"|"+f[6]] = f[1]
				}
			}
			for _, e := range strings.Split(string(sv), ",") {
				if e == "" {
					continue
				}
				f := strings.Split(e, "|")
				if len(f) != 7 || want[f[0]+"|"+f[2]] != f[1] {
					t.Fatalf("SVANN entry %q does not match ANN %q", e, ann)
				}
			}
		}
	})
}
