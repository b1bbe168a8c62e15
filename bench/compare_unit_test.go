package bench

import (
	"bytes"
	"strings"
	"testing"
)

func TestBCSQSet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"missense|G|T1|protein_coding|+|5A>5T|13G>A", "missense_variant"},
		{"intron|G||protein_coding,3_prime_utr|G|T2|protein_coding", "3_prime_UTR_variant&intron_variant"},
		{"splice_region&5_prime_utr|G|T1|protein_coding", "5_prime_UTR_variant&splice_region_variant"},
		{"*missense|G|T1|protein_coding|+|5A>5T|13G>A", "missense_variant"},
		{"@1234", "-"},
		{"inframe_altering|G|T1|protein_coding", "protein_altering_variant"},
		{"new_word|G|T1|protein_coding", "bcftools:new_word"},
		{"", "-"},
	} {
		if got := bcsqSet([]byte(tc.in)).String(); got != tc.want {
			t.Errorf("bcsqSet(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestANNSet(t *testing.T) {
	t.Parallel()
	ann := "A|missense_variant&splice_region_variant|MODERATE|G|GID|transcript|T1|protein_coding|2/5|c.13G>A|p.Ala5Thr|13/900|13/600|5/199||," +
		"A|upstream_gene_variant|MODIFIER|H|HID|transcript|T9|protein_coding||||||||1200|," +
		"C|intron_variant|MODIFIER|G|GID|transcript|T2|protein_coding|1/4|c.10+5G>C||||||"
	if got, want := annSet([]byte(ann)).String(), "intron_variant&missense_variant&splice_region_variant"; got != want {
		t.Fatalf("annSet = %s, want %s", got, want)
	}
	if got := annSet([]byte("A|intergenic_variant|MODIFIER|||||||||||||")).String(); got != "-" {
		t.Fatalf("intergenic only: %s", got)
	}
}

func TestNormalise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		changed  bool
	}{
		{"intron_variant", "intron_variant", false},
		{"intron_variant&splice_region_variant", "splice_region_variant", true},
		{"intron_variant&missense_variant", "missense_variant", true},
		{"splice_acceptor_variant&splice_region_variant", "splice_acceptor_variant", true},
		{"intron_variant&splice_donor_variant&splice_region_variant", "splice_donor_variant", true},
		{"splice_region_variant&synonymous_variant", "splice_region_variant&synonymous_variant", false},
	} {
		s := termSet{}
		for _, w := range strings.Split(tc.in, "&") {
			s[w] = true
		}
		if changed := normalise(s); s.String() != tc.want || changed != tc.changed {
			t.Errorf("normalise(%s) = %s, %v; want %s, %v", tc.in, s, changed, tc.want, tc.changed)
		}
	}
}

func TestInfoValue(t *testing.T) {
	t.Parallel()
	info := []byte("DP=3;ANN=x|y;BCSQ=a|b;FLAG")
	if v := string(infoValue(info, "ANN")); v != "x|y" {
		t.Fatalf("ANN = %q", v)
	}
	if v := string(infoValue(info, "BCSQ")); v != "a|b" {
		t.Fatalf("BCSQ = %q", v)
	}
	if v := infoValue(info, "AN"); v != nil {
		t.Fatalf("AN = %q", v)
	}
}

func TestSpanIndex(t *testing.T) {
	t.Parallel()
	gff := "##gff-version 3\n" +
		"1\ts\tgene\t100\t900\t.\t+\t.\tID=gene:G\n" +
		"1\ts\tmRNA\t100\t900\t.\t+\t.\tID=transcript:T1;Parent=gene:G\n" +
		"1\ts\tmRNA\t150\t300\t.\t+\t.\tID=transcript:T2;Parent=gene:G\n" +
		"1\ts\tmRNA\t2000\t2100\t.\t-\t.\tID=transcript:T3;Parent=gene:H\n" +
		"2\ts\ttranscript\t10\t20\t.\t-\t.\tID=transcript:T4;Parent=gene:K\n"
	idx, err := readTranscriptSpans(strings.NewReader(gff))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    string
		s, e int
		want bool
	}{
		{"1", 99, 99, false}, {"1", 95, 100, true}, {"1", 900, 900, true}, {"1", 901, 1999, false},
		{"1", 1500, 2000, true}, {"1", 2101, 2200, false}, {"2", 15, 15, true}, {"3", 15, 15, false},
	} {
		if got := idx.overlaps(tc.c, tc.s, tc.e); got != tc.want {
			t.Errorf("overlaps(%s, %d, %d) = %v", tc.c, tc.s, tc.e, got)
		}
	}
	if _, err := readTranscriptSpans(strings.NewReader("1\ts\tmRNA\tx\t9\t.\t+\t.\tID=a\n")); err == nil {
		t.Fatal("bad coordinates accepted")
	}
}

func TestComparisonClassifies(t *testing.T) {
	t.Parallel()
	spans := spanIndex{"1": {{100, 900}}}
	c := newComparison()
	add := func(pos int, ann, bcsq string) {
		t.Helper()
		o := vcfLine{chrom: "1", pos: pos, ref: "A", alt: "G", info: []byte("ANN=" + ann)}
		b := vcfLine{chrom: "1", pos: pos, ref: "A", alt: "G", info: []byte("BCSQ=" + bcsq)}
		if err := c.add(spans, o, b); err != nil {
			t.Fatal(err)
		}
	}
	add(50, "G|intergenic_variant|MODIFIER||||||||||||", ".")                                            // outside: not compared
	add(200, "G|missense_variant|MODERATE|G|GID|transcript|T1|||||||||", "missense|G|T1|protein_coding") // agree
	add(300, "G|synonymous_variant|LOW|G|GID|transcript|T1|||||||||", "missense|G|T1|protein_coding")    // disagree
	add(301, "G|synonymous_variant|LOW|G|GID|transcript|T1|||||||||", "missense|G|T1|protein_coding")    // same class
	add(400, "G|intron_variant&splice_region_variant|LOW|G|GID|transcript|T1|||||||||", "intron|G||protein_coding")
	add(500, "G|intron_variant&splice_region_variant|LOW|G|GID|transcript|T1|||||||||", "splice_region|G|T1|protein_coding") // agrees after normalising
	if c.records != 5 || c.outside != 1 || c.agree != 2 || c.normalised != 1 || c.severe != 2 {
		t.Fatalf("records %d outside %d agree %d normalised %d severe %d", c.records, c.outside, c.agree, c.normalised, c.severe)
	}
	got := c.sorted()
	if len(got) != 2 || got[0].count != 2 || got[0].class != "engine only: synonymous_variant | bcftools only: missense_variant" {
		t.Fatalf("classes: %+v", got[0])
	}
	var md bytes.Buffer
	c.markdown(&md)
	if !strings.Contains(md.String(), "bcftools agreement: 2/5 records (40.00%)") {
		t.Fatalf("markdown: %s", md.String())
	}
	// Records out of step are an error, not a silent miscount.
	err := c.add(spans, vcfLine{chrom: "1", pos: 5, ref: "A", alt: "G"}, vcfLine{chrom: "1", pos: 6, ref: "A", alt: "G"})
	if err == nil {
		t.Fatal("out-of-step records accepted")
	}
}

func TestProteinChanges(t *testing.T) {
	t.Parallel()
	bcsq := "missense|G|T1|protein_coding|-|266M>266L|6489T>A,synonymous|G|T2|protein_coding|-|114T|6489T>A," +
		"stop_gained|G|T1|protein_coding|+|81Q>81*|700G>C,frameshift|G|T1|protein_coding|+|5K>5X|800A>AT," +
		"missense|G|T3|protein_coding|+|3AB>3CD|900AC>GT,intron|G||protein_coding"
	got := snvProteinChanges([]byte(bcsq))
	want := map[string]string{"T1:A": "M266L", "T2:A": "T114=", "T1:C": "Q81*"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	for in, want := range map[string]string{
		"p.Met266Leu": "M266L", "p.Thr114%3D": "T114=", "p.Thr114=": "T114=", "p.Gln81Ter": "Q81*",
		"p.Gln81*": "Q81*", "p.(Met266Leu)": "M266L",
	} {
		if got, ok := annProteinChange(in); !ok || got != want {
			t.Errorf("annProteinChange(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "p.Lys5fs", "p.Met1?", "p.Phe122_Gln124del", "p.Xyz3Ala"} {
		if got, ok := annProteinChange(bad); ok {
			t.Errorf("annProteinChange(%q) = %q, accepted", bad, got)
		}
	}
	c := newComparison()
	l := vcfLine{chrom: "1", pos: 6489, ref: "T", alt: "A"}
	c.addProteins(l, []byte("A|missense_variant|MODERATE|G|GID|transcript|T1|protein_coding|2/5|c.796A>T|p.Met266Leu|||||,"+
		"A|synonymous_variant|LOW|G|GID|transcript|T2|protein_coding|2/5|c.342A>T|p.Thr115%3D|||||"),
		[]byte("missense|G|T1|protein_coding|-|266M>266L|6489T>A,synonymous|G|T2|protein_coding|-|114T|6489T>A"))
	if c.proteins != 2 || c.proteinsAgree != 1 || len(c.proteinExamples) != 1 {
		t.Fatalf("proteins %d agree %d examples %v", c.proteins, c.proteinsAgree, c.proteinExamples)
	}
}
