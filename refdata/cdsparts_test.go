package refdata

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// slipGFF is a -1 ribosomal slip in the style of SARS-CoV-2 ORF1ab: two CDS
// lines share one base, on the strand given, with the phases given.
func slipGFF(strand string, phaseA, phaseB string) string {
	return "##gff-version 3\n" +
		"c\tx\tgene\t1\t100\t.\t" + strand + "\t.\tID=gene:G;Name=G\n" +
		"c\tx\tmRNA\t1\t100\t.\t" + strand + "\t.\tID=transcript:T;Parent=gene:G;biotype=protein_coding\n" +
		"c\tx\texon\t1\t100\t.\t" + strand + "\t.\tParent=transcript:T\n" +
		"c\tx\tCDS\t11\t40\t.\t" + strand + "\t" + phaseA + "\tParent=transcript:T\n" +
		"c\tx\tCDS\t40\t87\t.\t" + strand + "\t" + phaseB + "\tParent=transcript:T\n"
}

func parseOne(t *testing.T, gff string) Transcript {
	t.Helper()
	gm, err := parseGenes(context.Background(), strings.NewReader(gff), "x.gff")
	if err != nil {
		t.Fatal(err)
	}
	if len(gm.tx) != 1 {
		t.Fatalf("got %d transcripts, want 1", len(gm.tx))
	}
	return gm.tx[0]
}

func TestCodingPartsOfASlip(t *testing.T) {
	t.Parallel()
	// Forward: 30 + 48 translated bases = 26 codons, base 40 read twice.
	tx := parseOne(t, slipGFF("+", "0", "0"))
	if want := []CDSPart{{11, 40, 0}, {40, 87, 0}}; !reflect.DeepEqual(tx.CDS, want) {
		t.Errorf("forward parts %v, want %v", tx.CDS, want)
	}
	if tx.CDSStart != 11 || tx.CDSEnd != 87 || tx.EndIncomplete || tx.StartIncomplete || len(tx.Exons) != 1 {
		t.Errorf("forward: got %+v", tx)
	}
	// Reverse: transcription starts at 87, so the 48-base part comes first
	// and leaves the 30-base part at phase 0 as well.
	tx = parseOne(t, slipGFF("-", "0", "0"))
	if want := []CDSPart{{11, 40, 0}, {40, 87, 0}}; !reflect.DeepEqual(tx.CDS, want) {
		t.Errorf("reverse parts %v, want %v", tx.CDS, want)
	}
	if tx.EndIncomplete || tx.StartIncomplete {
		t.Errorf("reverse: got %+v", tx)
	}
	// Without exon lines the two CDS lines become one exon: a slip is not
	// an intron.
	noExon := strings.Replace(slipGFF("+", "0", "0"), "c\tx\texon\t1\t100\t.\t+\t.\tParent=transcript:T\n", "", 1)
	tx = parseOne(t, noExon)
	if len(tx.Exons) != 1 || tx.Exons[0] != (Exon{11, 87}) || len(tx.CDS) != 2 {
		t.Errorf("derived exons %v, parts %v", tx.Exons, tx.CDS)
	}
}

func TestCodingPartsPlusOneSlip(t *testing.T) {
	t.Parallel()
	// Base 41 is skipped inside the exon (+1 slip): 30 + 45 translated bases.
	gff := "c\tx\texon\t1\t100\t.\t+\t.\tParent=transcript:T\n" +
		"c\tx\tCDS\t11\t40\t.\t+\t0\tParent=transcript:T\n" +
		"c\tx\tCDS\t42\t86\t.\t+\t0\tParent=transcript:T\n"
	tx := parseOne(t, gff)
	if want := []CDSPart{{11, 40, 0}, {42, 86, 0}}; !reflect.DeepEqual(tx.CDS, want) {
		t.Errorf("parts %v, want %v", tx.CDS, want)
	}
	if tx.EndIncomplete {
		t.Error("75 translated bases marked end-incomplete (the skipped base was counted)")
	}
}

func TestOrdinaryCDSHasNoParts(t *testing.T) {
	t.Parallel()
	// CDS lines cut only by an intron, and a duplicated line: no parts.
	gff := "c\tx\texon\t1\t40\t.\t+\t.\tParent=transcript:T\n" +
		"c\tx\texon\t60\t100\t.\t+\t.\tParent=transcript:T\n" +
		"c\tx\tCDS\t11\t40\t.\t+\t0\tParent=transcript:T\n" +
		"c\tx\tCDS\t11\t40\t.\t+\t0\tParent=transcript:T\n" +
		"c\tx\tCDS\t60\t80\t.\t+\t0\tParent=transcript:T\n"
	if tx := parseOne(t, gff); tx.CDS != nil {
		t.Errorf("parts %v for an ordinary CDS", tx.CDS)
	}
	// GTF: the stop codon follows the last CDS line of a slipped transcript
	// and joins it.
	gtf := `c	x	exon	1	100	.	+	.	gene_id "G"; transcript_id "T";
c	x	CDS	11	40	.	+	0	gene_id "G"; transcript_id "T";
c	x	CDS	40	84	.	+	0	gene_id "G"; transcript_id "T";
c	x	stop_codon	85	87	.	+	0	gene_id "G"; transcript_id "T";
`
	gm, err := parseGenes(context.Background(), strings.NewReader(gtf), "x.gtf")
	if err != nil {
		t.Fatal(err)
	}
	if want := []CDSPart{{11, 40, 0}, {40, 87, 0}}; !reflect.DeepEqual(gm.tx[0].CDS, want) || gm.tx[0].EndIncomplete {
		t.Errorf("GTF parts %v (end incomplete %v), want %v", gm.tx[0].CDS, gm.tx[0].EndIncomplete, want)
	}
}

func TestCodingPartsBadPhase(t *testing.T) {
	t.Parallel()
	for _, strand := range []string{"+", "-"} {
		_, err := parseGenes(context.Background(), strings.NewReader(slipGFF(strand, "0", "1")), "x.gff")
		if err == nil || !strings.Contains(err.Error(), "x.gff:") || !strings.Contains(err.Error(), "phase 1") {
			t.Errorf("%s strand, phase breaking the frame: err = %v", strand, err)
		}
	}
	nested := "c\tx\texon\t1\t100\t.\t+\t.\tParent=transcript:T\n" +
		"c\tx\tCDS\t11\t60\t.\t+\t0\tParent=transcript:T\n" +
		"c\tx\tCDS\t20\t30\t.\t+\t0\tParent=transcript:T\n"
	if _, err := parseGenes(context.Background(), strings.NewReader(nested), "x.gff"); err == nil || !strings.Contains(err.Error(), "inside") {
		t.Errorf("nested CDS lines: err = %v", err)
	}
}

// The parts survive the bundle: built, written and opened again.
func TestCodingPartsInBundle(t *testing.T) {
	t.Parallel()
	for _, strand := range []string{"+", "-"} {
		b, _ := buildT(t, BuildOptions{Genes: writeFile(t, "g.gff", slipGFF(strand, "0", "0"))})
		tx := b.Transcripts()
		if len(tx) != 1 {
			t.Fatalf("%d transcripts", len(tx))
		}
		if want := []CDSPart{{11, 40, 0}, {40, 87, 0}}; !reflect.DeepEqual(tx[0].CDS, want) {
			t.Errorf("%s: parts after a round trip %v, want %v", strand, tx[0].CDS, want)
		}
	}
}

// A transcripts file of another format version names the fix.
func TestOldTranscriptsFormat(t *testing.T) {
	t.Parallel()
	data := encodeTranscripts(nil)
	data[7] = FormatVersion - 1
	_, err := decodeTranscripts(data, 1)
	if err == nil || !strings.Contains(err.Error(), "rebuild the bundle") {
		t.Errorf("old format: err = %v", err)
	}
}

// TestTranscriptsProteinID round-trips protein IDs through transcripts.bin
// (version 4) and reads a version 3 file, which has none, as before.
func TestTranscriptsProteinID(t *testing.T) {
	t.Parallel()
	tx := []Transcript{
		{ID: "ENST1", GeneID: "G1", GeneName: "A", Biotype: "protein_coding", ProteinID: "ENSP1", Start: 10, End: 100, CDSStart: 20, CDSEnd: 90, Exons: []Exon{{10, 100}}},
		{ID: "ENST2", GeneID: "G1", GeneName: "A", Biotype: "lncRNA", Start: 10, End: 100, Exons: []Exon{{10, 50}, {60, 100}}},
		{ID: "ENST3", GeneID: "G2", GeneName: "B", Biotype: "protein_coding", ProteinID: "NP_000001.1", Start: 200, End: 300, CDSStart: 200, CDSEnd: 299, Exons: []Exon{{200, 300}}},
	}
	data := encodeTranscripts(tx)
	if data[7] != transcriptsVersion {
		t.Fatalf("version %d, want %d", data[7], transcriptsVersion)
	}
	back, err := decodeTranscripts(data, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tx {
		if back[i].ProteinID != tx[i].ProteinID || back[i].ID != tx[i].ID || back[i].Biotype != tx[i].Biotype {
			t.Errorf("transcript %d: %+v, want %+v", i, back[i], tx[i])
		}
	}
	// A version 3 file is the same layout without the fifth string.
	old := slices.Clone(tx)
	for i := range old {
		old[i].ProteinID = ""
	}
	v3 := encodeTranscripts(old)
	v3[7] = FormatVersion
	back, err = decodeTranscripts(v3, 1)
	if err != nil || len(back) != 3 || back[1].ID != "ENST2" || back[2].GeneName != "B" || back[0].ProteinID != "" {
		t.Errorf("version 3: %v %+v", err, back)
	}
}
