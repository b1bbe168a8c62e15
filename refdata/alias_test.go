package refdata

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const ucscAliasNew = `# ucsc	assembly	ensembl	genbank	refseq
chr1	1	1	CM000663.2	NC_000001.11
chrM	MT	MT	J01415.2	NC_012920.1
chr1_KI270706v1_random	HSCHR1_RANDOM_CTG1	KI270706.1	KI270706.1	NT_187361.1
`

const ucscAliasOld = "1\tchr1\tensembl\nCM000663.2\tchr1\tgenbank\nNC_000001.11\tchr1\trefseq\n"

const ncbiReport38 = `# Assembly name:  GRCh38.p14
# Organism name:  Homo sapiens (human)
# Sequence-Name	Sequence-Role	Assigned-Molecule	Assigned-Molecule-Location/Type	GenBank-Accn	Relationship	RefSeq-Accn	Assembly-Unit	Sequence-Length	UCSC-style-name
1	assembled-molecule	1	Chromosome	CM000663.2	=	NC_000001.11	Primary Assembly	248956422	chr1
MT	assembled-molecule	MT	Mitochondrion	J01415.2	=	NC_012920.1	non-nuclear	16569	chrM
HSCHR1_CTG1_UNLOCALIZED	unlocalized-scaffold	1	Chromosome	KI270706.1	<>	NT_187361.1	Primary Assembly	175055	chr1_KI270706v1_random
`

// GRCh37's report gives MT no UCSC name: hg19's chrM is another sequence.
const ncbiReport37 = `# Assembly name:  GRCh37.p13
# Sequence-Name	Sequence-Role	Assigned-Molecule	Assigned-Molecule-Location/Type	GenBank-Accn	Relationship	RefSeq-Accn	Assembly-Unit	Sequence-Length	UCSC-style-name
1	assembled-molecule	1	Chromosome	CM000663.1	=	NC_000001.10	Primary Assembly	249250621	chr1
MT	assembled-molecule	MT	Mitochondrion	J01415.2	=	NC_012920.1	non-nuclear	16569	na
`

func TestContigAliasTables(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		groups     map[string][]string
	}{
		{"ucsc", ucscAliasNew, map[string][]string{
			"chr1": {"1", "CM000663.2", "NC_000001.11"}, "MT": {"J01415.2", "NC_012920.1", "chrM"}}},
		{"ucsc-old", ucscAliasOld, map[string][]string{"chr1": {"1", "CM000663.2", "NC_000001.11"}}},
		{"ncbi38", ncbiReport38, map[string][]string{
			"1": {"CM000663.2", "NC_000001.11", "chr1"}, "chrM": {"J01415.2", "MT", "NC_012920.1"},
			// '<>': the RefSeq sequence differs, so it is left out.
			"KI270706.1": {"HSCHR1_CTG1_UNLOCALIZED", "chr1_KI270706v1_random"}}},
		{"ncbi37", ncbiReport37, map[string][]string{"MT": {"J01415.2", "NC_012920.1"}}},
	} {
		at, err := parseAliases(context.Background(), strings.NewReader(tc.text), tc.name)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for name, want := range tc.groups {
			got := at.others(name)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s -> %v, want %v", tc.name, name, got, want)
			}
		}
	}
	if _, err := parseAliases(context.Background(), strings.NewReader("# nothing\n"), "e"); err == nil {
		t.Error("empty table accepted")
	}
	if _, err := parseAliases(context.Background(), strings.NewReader("chr1\n"), "one"); err == nil || !strings.Contains(err.Error(), "one:1") {
		t.Errorf("one-column line: %v", err)
	}
}

// TestContigAliasBuild: with an alias table, a source named by RefSeq
// accession matches a FASTA named the UCSC way, and a VCF may use any of
// the names; without one, the build fails naming the source's contigs.
func TestContigAliasBuild(t *testing.T) {
	t.Parallel()
	fa := writeFile(t, "g.fa", ">chr1\n"+strings.Repeat("ACGT", 200)+"\n>chrM\n"+strings.Repeat("A", 100)+"\n")
	genes := writeFile(t, "g.gff", "chr1\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n")
	src := writeFile(t, "d.vcf", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"+
		"NC_000001.11\t5\trs5\tA\tG\t.\t.\t.\nNC_012920.1\t7\trs7\tA\tC\t.\t.\t.\n")
	aliases := writeFile(t, "hg38.chromAlias.txt", ucscAliasNew)
	b, m := buildT(t, BuildOptions{Assembly: "GRCh38", FASTA: fa, Genes: genes, ContigAliases: aliases,
		Sources: []SourceSpec{{Name: "dbsnp", Path: src}}})
	if len(m.Contigs) != 2 || m.AnnotationSources[0].Alleles != 2 || len(m.AnnotationSources[0].Report.NewContigs) != 0 {
		t.Fatalf("contigs %+v, source %+v", m.Contigs, m.AnnotationSources[0])
	}
	for _, name := range []string{"chr1", "1", "NC_000001.11", "CM000663.2"} {
		if id, ok := b.ContigID([]byte(name)); !ok || id != 0 {
			t.Errorf("%s -> %d %v, want chr1", name, id, ok)
		}
	}
	for _, name := range []string{"chrM", "MT", "NC_012920.1"} {
		if id, ok := b.ContigID([]byte(name)); !ok || id != 1 {
			t.Errorf("%s -> %d %v, want chrM", name, id, ok)
		}
	}
	if id, _, ok := lookupIn(b, 0, 0, 5, "A", "G"); !ok || id != "rs5" {
		t.Errorf("rs5: %q %v", id, ok)
	}
	_, err := Build(context.Background(), BuildOptions{Name: "x", Assembly: "GRCh38", FASTA: fa, Genes: genes,
		Out: filepath.Join(t.TempDir(), "b"), Sources: []SourceSpec{{Name: "dbsnp", Path: src}}})
	if err == nil || !strings.Contains(err.Error(), "NC_000001.11, NC_012920.1") || !strings.Contains(err.Error(), "contig-aliases") {
		t.Errorf("without aliases: %v", err)
	}
}

// TestContigAliasMito: UCSC chrM and Ensembl MT are one sequence in GRCh38
// and two in GRCh37/hg19, so only GRCh38 matches them without a table.
func TestContigAliasMito(t *testing.T) {
	t.Parallel()
	genes := writeFile(t, "g.gff", "MT\tx\texon\t5\t50\t.\t+\t.\tParent=transcript:T1\n1\tx\texon\t5\t50\t.\t+\t.\tParent=transcript:T2\n")
	for _, tc := range []struct {
		assembly string
		aliases  string
		want     bool
	}{{"GRCh38", "", true}, {"hg38", "", true}, {"GRCh37", "", false}, {"hg19", "", false}, {"", "", false},
		{"GRCh37", ncbiReport37, false}, {"GRCh38", ncbiReport38, true}} {
		opt := BuildOptions{Genes: genes, Assembly: tc.assembly}
		if tc.aliases != "" {
			opt.ContigAliases = writeFile(t, "report.txt", tc.aliases)
		}
		b, _ := buildT(t, opt)
		if _, ok := b.ContigID([]byte("chrM")); ok != tc.want {
			t.Errorf("%s (table %v): chrM matches MT: %v, want %v", tc.assembly, tc.aliases != "", ok, tc.want)
		}
		if id, ok := b.ContigID([]byte("chr1")); !ok || b.Contigs()[id] != "1" {
			t.Errorf("%s: chr1 not matched to 1", tc.assembly)
		}
		if id, ok := b.ContigID([]byte("chrMT")); !ok || b.Contigs()[id] != "MT" {
			t.Errorf("%s: chrMT not matched to MT", tc.assembly)
		}
	}
}

// TestCoverageManifest: per contig the manifest says whether it has
// sequence and gene models and which span they cover, and the one-line
// description follows.
func TestCoverageManifest(t *testing.T) {
	t.Parallel()
	fa := writeFile(t, "g.fa", ">1\n"+strings.Repeat("ACGT", 25000)+"\n>2\n"+strings.Repeat("ACGT", 5000)+"\n")
	genes := writeFile(t, "g.gff", "##gff-version 3\n##sequence-region 1 20001 60000\n"+
		"1\tx\texon\t30000\t31000\t.\t+\t.\tParent=transcript:T1\n"+
		"2\tx\texon\t8000\t9000\t.\t+\t.\tParent=transcript:T2\n"+
		"3\tx\texon\t100\t200\t.\t+\t.\tParent=transcript:T3\n3\tx\texon\t900\t1000\t.\t+\t.\tParent=transcript:T4\n")
	src := writeFile(t, "k.vcf", "##fileformat=VCFv4.2\n##contig=<ID=4,length=5000>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t5\t.\tA\tG\t.\t.\t.\n4\t7\t.\tA\tC\t.\t.\t.\n")
	_, m := buildT(t, BuildOptions{Assembly: "GRCh38", FASTA: fa, Genes: genes, Sources: []SourceSpec{{Name: "k", Path: src}}})
	want := []ContigInfo{
		{Name: "1", Length: 100000, HasSequence: true, HasGenes: true, Transcripts: 1, Covered: &Span{20001, 60000}},
		{Name: "2", Length: 20000, HasSequence: true, HasGenes: true, Transcripts: 1, Covered: &Span{3000, 14000}},
		{Name: "3", Length: 1000, HasGenes: true, Transcripts: 2, Covered: &Span{1, 1000}},
		{Name: "4", Length: 5000},
	}
	if len(m.Contigs) != len(want) {
		t.Fatalf("contigs %+v", m.Contigs)
	}
	for i, w := range want {
		c := m.Contigs[i]
		if c.Name != w.Name || c.Length != w.Length || c.HasSequence != w.HasSequence || c.HasGenes != w.HasGenes ||
			c.Transcripts != w.Transcripts || (c.Covered == nil) != (w.Covered == nil) || c.Covered != nil && *c.Covered != *w.Covered {
			t.Errorf("contig %d: %+v (covered %v), want %+v (covered %v)", i, c, c.Covered, w, w.Covered)
		}
	}
	if !m.Contigs[0].Covers(20001) || m.Contigs[0].Covers(20000) || m.Contigs[3].Covers(10) {
		t.Error("Covers")
	}
	// Contigs under 1 Mb are slices, described by count, not span.
	if got := m.Coverage(); got != "GRCh38, 3 small contigs; no reference sequence for chr3; sources k" {
		t.Errorf("description %q", got)
	}
	// Genome-sized contigs: whole ones by name, partial ones by span.
	big := &Manifest{Assembly: "GRCh38", Tracks: []string{"cytoband"}, Contigs: []ContigInfo{
		{Name: "1", Length: 248_956_422, HasGenes: true, HasSequence: true, Covered: &Span{Start: 1, End: 248_956_422}},
		{Name: "21", Length: 46_709_983, HasGenes: true, HasSequence: true, Covered: &Span{Start: 24_800_001, End: 26_200_000}},
		{Name: "MT", Length: 16_569, HasGenes: true, Covered: &Span{Start: 1, End: 16_569}},
		{Name: "22", Length: 50_818_468},
	}}
	if got := big.Coverage(); got != "GRCh38, chr1, MT and chr21:24.8–26.2 Mb; no reference sequence for MT; tracks cytoband" {
		t.Errorf("description of genome-sized contigs %q", got)
	}
	_, m = buildT(t, BuildOptions{Genes: genes, Description: "given"})
	if m.Coverage() != "given" || m.Description != "given" {
		t.Errorf("given description: %q", m.Coverage())
	}
}
