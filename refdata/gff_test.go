package refdata

import (
	"context"
	"github.com/gas-project/gas/internal/sharedtest"
	"path/filepath"
	"strings"
	"testing"
)

func parseFile(t testing.TB, path string) *geneModel {
	t.Helper()
	src, err := openSource(path, "genes", "genes", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	gm, err := parseGenes(context.Background(), src.r, path)
	if err != nil {
		t.Fatal(err)
	}
	return gm
}

func TestGFF3AndGTFAgree(t *testing.T) {
	t.Parallel()
	gff := parseFile(t, sharedtest.Dir(t, "vep-chr21", "genes.gff3.gz"))
	gtf := parseFile(t, sharedtest.Dir(t, "vep-chr21", "genes.gtf.gz"))
	byID := map[string]*Transcript{}
	for i := range gff.tx {
		byID[gff.tx[i].ID] = &gff.tx[i]
	}
	if len(gtf.tx) < 100 {
		t.Fatalf("GTF gave %d transcripts, want the ~100 of the file", len(gtf.tx))
	}
	coding := 0
	for i := range gtf.tx {
		b := &gtf.tx[i]
		a := byID[b.ID]
		if a == nil {
			t.Errorf("GTF transcript %s is not in the GFF3", b.ID)
			continue
		}
		if b.Coding() {
			coding++
			// protein_id of the CDS lines: GFF3 protein_id=, GTF protein_id "".
			if !strings.HasPrefix(b.ProteinID, "ENSP") {
				t.Errorf("coding %s: protein ID %q", b.ID, b.ProteinID)
			}
		} else if b.ProteinID != "" || a.ProteinID != "" {
			t.Errorf("non-coding %s: protein ID %q / %q", b.ID, a.ProteinID, b.ProteinID)
		}
		if a.Start != b.Start || a.End != b.End || a.Strand != b.Strand || a.CDSStart != b.CDSStart || a.CDSEnd != b.CDSEnd ||
			a.Phase != b.Phase || a.GeneID != b.GeneID || a.GeneName != b.GeneName || a.Biotype != b.Biotype ||
			a.Canonical != b.Canonical || a.ProteinID != b.ProteinID ||
			// The release-84 GFF3 lacks the cds_start_NF/cds_end_NF tags the
			// GTF carries, so the GTF may know more, never less.
			a.StartIncomplete && !b.StartIncomplete || a.EndIncomplete && !b.EndIncomplete {
			t.Errorf("%s differs:\nGFF3 %+v\nGTF  %+v", b.ID, *a, *b)
			continue
		}
		if len(a.Exons) != len(b.Exons) {
			t.Errorf("%s: %d exons in GFF3, %d in GTF", b.ID, len(a.Exons), len(b.Exons))
			continue
		}
		for j := range a.Exons {
			if a.Exons[j] != b.Exons[j] {
				t.Errorf("%s exon %d: GFF3 %v GTF %v", b.ID, j, a.Exons[j], b.Exons[j])
			}
		}
	}
	if coding == 0 {
		t.Error("no coding transcript in the GTF: the comparison would not test CDS bounds")
	}
	t.Logf("%d GTF transcripts (%d coding) match the GFF3", len(gtf.tx), coding)
}

func TestEveryCsqGFFImports(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(sharedtest.Dir(t, "bcftools-csq"), "*", "*.gff"))
	if len(files) < 40 {
		t.Fatalf("found %d GFFs, expected the 44+ bcftools-csq cases", len(files))
	}
	for _, f := range files {
		gm := parseFile(t, f)
		if len(gm.tx) == 0 {
			t.Errorf("%s: no transcripts", f)
		}
		// The case folder is named after a transcript it exercises.
		want := strings.SplitN(filepath.Base(filepath.Dir(f)), "-", 2)[0]
		want, _, _ = strings.Cut(want, ".")
		if strings.TrimSuffix(filepath.Base(f), ".gff") != filepath.Base(filepath.Dir(f)) {
			want = "" // e.g. short.gff: another transcript than the folder's
		}
		found := false
		for _, tx := range gm.tx {
			if tx.Start < 1 || tx.End < tx.Start || len(tx.Exons) == 0 {
				t.Errorf("%s: %s: bad extent %d-%d", f, tx.ID, tx.Start, tx.End)
			}
			for j, e := range tx.Exons {
				if e.End < e.Start || (j > 0 && e.Start <= tx.Exons[j-1].End) || e.Start < tx.Start || e.End > tx.End {
					t.Errorf("%s: %s: exon %d %v unsorted or outside", f, tx.ID, j, e)
				}
			}
			if tx.Coding() && (tx.CDSStart < tx.Start || tx.CDSEnd > tx.End) {
				t.Errorf("%s: %s: CDS outside the transcript", f, tx.ID)
			}
			// ENST00000000001's model calls its transcript "transcript00000000001".
			if strings.HasPrefix(tx.ID, want) || strings.HasSuffix(want, strings.TrimPrefix(tx.ID, "transcript")) {
				found = true
			}
		}
		if !found && want != "" && strings.HasPrefix(want, "ENS") {
			t.Errorf("%s: transcript %s not imported", f, want)
		}
	}
}

func TestGFFErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"short":      "1\tx\texon\t1\t10\n",
		"bad start":  "1\tx\texon\tA\t10\t.\t+\t.\tParent=t1\n",
		"end<start":  "1\tx\texon\t20\t10\t.\t+\t.\tParent=t1\n",
		"strand":     "1\tx\texon\t1\t10\t.\tX\t.\tParent=t1\n",
		"phase":      "1\tx\tCDS\t1\t10\t.\t+\t7\tParent=t1\n",
		"no strand":  "1\tx\texon\t1\t10\t.\t.\t.\tParent=t1\n",
		"gtf strand": "1\tx\texon\t1\t10\t.\t*\t.\tgene_id \"g\"; transcript_id \"t\";\n",
	}
	for name, in := range cases {
		_, err := parseGenes(context.Background(), strings.NewReader("##gff-version 3\n"+in), "in.gff")
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), "in.gff:") {
			t.Errorf("%s: error %q does not name the file and line", name, err)
		}
	}
}

func TestGFFDerivedExonsAndGTFStop(t *testing.T) {
	t.Parallel()
	// CDS + UTR without exon lines: exons are derived, touching pieces merged.
	gff := "c\tx\tmRNA\t1\t100\t.\t-\t.\tID=transcript:T1;Parent=gene:G1;biotype=protein_coding;tag=basic,Ensembl_canonical\n" +
		"c\tx\tgene\t1\t100\t.\t-\t.\tID=gene:G1;Name=GN\n" +
		"c\tx\tthree_prime_UTR\t1\t9\t.\t-\t.\tParent=transcript:T1\n" +
		"c\tx\tCDS\t10\t30\t.\t-\t0\tParent=transcript:T1\n" +
		"c\tx\tCDS\t50\t70\t.\t-\t2\tParent=transcript:T1\n" +
		"c\tx\tfive_prime_UTR\t71\t100\t.\t-\t.\tParent=transcript:T1\n"
	gm, err := parseGenes(context.Background(), strings.NewReader(gff), "x.gff")
	if err != nil {
		t.Fatal(err)
	}
	if len(gm.tx) != 1 {
		t.Fatalf("got %d transcripts", len(gm.tx))
	}
	tx := gm.tx[0]
	if want := []Exon{{1, 30}, {50, 100}}; len(tx.Exons) != 2 || tx.Exons[0] != want[0] || tx.Exons[1] != want[1] {
		t.Errorf("exons %v, want %v", tx.Exons, want)
	}
	if tx.ID != "T1" || tx.GeneID != "G1" || tx.GeneName != "GN" || tx.CDSStart != 10 || tx.CDSEnd != 70 || tx.Phase != 2 || !tx.StartIncomplete || !tx.Canonical || tx.Strand != Reverse {
		t.Errorf("got %+v", tx)
	}
	// GTF: CDS excludes the stop codon.
	gtf := `c	x	exon	1	30	.	+	.	gene_id "G"; transcript_id "T"; gene_name "N"; transcript_biotype "protein_coding"; tag "MANE_Select";
c	x	CDS	4	24	.	+	0	gene_id "G"; transcript_id "T";
c	x	start_codon	4	6	.	+	0	gene_id "G"; transcript_id "T";
c	x	stop_codon	25	27	.	+	0	gene_id "G"; transcript_id "T";
`
	gm, err = parseGenes(context.Background(), strings.NewReader(gtf), "x.gtf")
	if err != nil {
		t.Fatal(err)
	}
	tx = gm.tx[0]
	if tx.CDSStart != 4 || tx.CDSEnd != 27 || tx.EndIncomplete || tx.StartIncomplete || !tx.MANESelect || tx.GeneName != "N" {
		t.Errorf("GTF: got %+v", tx)
	}
}

func TestGTFSameIDOnTwoContigs(t *testing.T) {
	t.Parallel()
	// UCSC-made GTFs reuse a transcript_id on chrX and chrY (PAR).
	gtf := "chrX\tx\texon\t100\t200\t.\t+\t.\tgene_id \"G\"; transcript_id \"NM_1\";\n" +
		"chrY\tx\texon\t300\t400\t.\t+\t.\tgene_id \"G\"; transcript_id \"NM_1\";\n"
	gm, err := parseGenes(context.Background(), strings.NewReader(gtf), "u.gtf")
	if err != nil {
		t.Fatal(err)
	}
	if len(gm.tx) != 2 || gm.tx[0].Contig == gm.tx[1].Contig || gm.tx[1].Start != 300 {
		t.Fatalf("got %+v", gm.tx)
	}
}

func TestGFF3GencodeAndNCBIAttributes(t *testing.T) {
	t.Parallel()
	in := "chr1\tHAVANA\tgene\t11869\t14409\t.\t+\t.\tID=ENSG00000290825.1;gene_id=ENSG00000290825.1;gene_type=lncRNA;gene_name=DDX11L2\n" +
		"chr1\tHAVANA\ttranscript\t11869\t14409\t.\t+\t.\tID=ENST00000456328.2;Parent=ENSG00000290825.1;gene_id=ENSG00000290825.1;transcript_id=ENST00000456328.2;gene_type=lncRNA;gene_name=DDX11L2;transcript_type=lncRNA;tag=basic,Ensembl_canonical\n" +
		"chr1\tHAVANA\texon\t11869\t12227\t.\t+\t.\tID=exon:ENST00000456328.2:1;Parent=ENST00000456328.2\n" +
		"chr1\tHAVANA\texon\t12613\t12721\t.\t+\t.\tID=exon:ENST00000456328.2:2;Parent=ENST00000456328.2\n" +
		"NC_000001.11\tBestRefSeq\tgene\t100\t400\t.\t-\t.\tID=gene-ABC;Dbxref=GeneID:1;Name=ABC;gene_biotype=protein_coding\n" +
		"NC_000001.11\tBestRefSeq\tmRNA\t100\t400\t.\t-\t.\tID=rna-NM_1.2;Parent=gene-ABC;gene=ABC;transcript_id=NM_1.2\n" +
		"NC_000001.11\tBestRefSeq\texon\t100\t400\t.\t-\t.\tID=exon-NM_1.2-1;Parent=rna-NM_1.2\n" +
		"NC_000001.11\tBestRefSeq\tCDS\t150\t350\t.\t-\t0\tID=cds-NP_1.1;Parent=rna-NM_1.2\n"
	gm, err := parseGenes(context.Background(), strings.NewReader(in), "g.gff3")
	if err != nil {
		t.Fatal(err)
	}
	if len(gm.tx) != 2 {
		t.Fatalf("%d transcripts", len(gm.tx))
	}
	g, n := gm.tx[0], gm.tx[1]
	if g.ID != "ENST00000456328.2" || g.GeneID != "ENSG00000290825.1" || g.GeneName != "DDX11L2" || g.Biotype != "lncRNA" || !g.Canonical || len(g.Exons) != 2 {
		t.Errorf("GENCODE: %+v", g)
	}
	if n.ID != "NM_1.2" || n.GeneID != "ABC" || n.GeneName != "ABC" || n.Biotype != "protein_coding" || n.CDSStart != 150 || n.Strand != Reverse {
		t.Errorf("NCBI: %+v", n)
	}
}
