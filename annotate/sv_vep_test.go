package annotate

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// svVEPFields are the VEP columns compared with GAS's ANN and SVANN.
const svVEPFields = "Uploaded_variation,Feature,Consequence,EXON,INTRON,DISTANCE,OverlapBP,OverlapPC," +
	"Allele,cDNA_position,CDS_position,Protein_position,STRAND"

// svVEPDisagreements are the fixture records where GAS answers differently
// from VEP on purpose; docs/conformance.md ("Structural variants") shows
// for each the VEP run that gives GAS's answer.
var svVEPDisagreements = map[string]string{
	"cnv0_whole": "VEP ignores INFO/CN: a <CNV> with CN=0 is a copy-number loss (VEP: <CN0> is a deletion)",
	"cnv3_whole": "VEP ignores INFO/CN: a <CNV> with CN=3 is a copy-number gain (VEP: <CN2> is a duplication)",
	"ins_cds":    "VEP reads SVLEN of an <INS> as a reference span; VCF 4.4 makes it the inserted length",
	"bnd_single": "VEP places a single breakend between POS and POS+1 and never tests it against the transcript",
}

// svRunVEPTab runs VEP (GAS_VEP) on one VCF with --tab --numbers and the
// given fields, returning its output; it skips the test without VEP.
func svRunVEPTab(t *testing.T, gff, fasta, vcfPath, fields string) []byte {
	t.Helper()
	cmd := os.Getenv("GAS_VEP")
	if cmd == "" {
		t.Skip("GAS_VEP is not set: no Ensembl VEP to compare with (see docs/conformance.md)")
	}
	if testing.Short() {
		t.Skip("runs Ensembl VEP; skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "vep.tsv")
	args := append(strings.Fields(cmd), "--gff", gff, "--fasta", fasta, "-i", vcfPath, "-o", out, "--tab", "--numbers",
		"--fields", fields, "--no_stats", "--force_overwrite")
	c := exec.Command(args[0], args[1:]...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("VEP: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStructuralVariantsVEP compares GAS with Ensembl VEP on the fixture in
// testdata/sv, transcript by transcript: consequences, EXON, INTRON,
// DISTANCE, OverlapBP and OverlapPC. It runs when GAS_VEP names a VEP
// command (see the VEP comparison in docs/conformance.md).
func TestStructuralVariantsVEP(t *testing.T) {
	dir := filepath.Join("testdata", "sv")
	b := svRunVEPTab(t, filepath.Join(dir, "sv.gff3"), filepath.Join(dir, "sv.fa"), filepath.Join(dir, "sv.vcf"), svVEPFields)
	vep := map[string]string{}    // ANN and SVANN view: terms, EXON, INTRON, DISTANCE, OverlapBP, OverlapPC
	vepCSQ := map[string]string{} // CSQ view: Allele, terms, EXON, INTRON, positions, DISTANCE, STRAND
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "\t")
		terms := strings.Split(f[2], ",")
		sort.Strings(terms)
		feature := strings.TrimPrefix(f[1], "-")
		key := f[0] + "\t" + feature
		vep[key] = strings.Join(append([]string{strings.Join(terms, "&")}, f[3:8]...), "\t")
		vepCSQ[key] = strings.Join([]string{f[8], strings.Join(terms, "&"), f[3], f[4], f[9], f[10], f[11], f[5], f[12]}, "\t")
	}

	in, err := os.ReadFile(filepath.Join(dir, "sv.vcf"))
	if err != nil {
		t.Fatal(err)
	}
	recs, _, err := svAnnotate(t, svRef(), string(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	gas := map[string]string{}
	for id, r := range recs {
		for tx, f := range r.full {
			terms := strings.Split(f[1], "&")
			sort.Strings(terms)
			exon, intron, bp, pc := "-", "-", "-", "-"
			if s, ok := r.svann[tx]; ok {
				p := strings.Split(s, "|")
				exon, intron, bp, pc = dash(p[0]), dash(p[1]), dash(p[2]), dash(p[3])
			}
			if pc == "100.00" {
				// VEP leaves EXON and INTRON empty for a variant that covers
				// the whole transcript; GAS lists them.
				exon, intron = "-", "-"
			}
			gas[id+"\t"+tx] = strings.Join([]string{strings.Join(terms, "&"), exon, intron, dash(f[14]), bp, pc}, "\t")
		}
	}

	svCompareVEP(t, "ANN/SVANN", vep, gas)

	// The same records written as CSQ, column by column.
	var csqOut bytes.Buffer
	if _, err := run(context.Background(), bytes.NewReader(in), &csqOut, svRef(), bundleMeta{Name: "sv"}, Options{Format: FormatCSQ}); err != nil {
		t.Fatal(err)
	}
	gasCSQ := map[string]string{}
	for _, l := range dataLines(csqOut.String()) {
		f := strings.Split(l, "\t")
		csq, _ := infoField([]byte(f[7]), "CSQ")
		for _, e := range strings.Split(string(csq), ",") {
			c := strings.Split(e, "|")
			terms := strings.Split(c[1], "&")
			sort.Strings(terms)
			gasCSQ[f[2]+"\t"+c[6]] = strings.Join([]string{c[0], strings.Join(terms, "&"), dash(c[8]), dash(c[9]),
				dash(c[12]), dash(c[13]), dash(c[14]), dash(c[18]), dash(c[19])}, "\t")
		}
	}
	svCompareVEP(t, "CSQ", vepCSQ, gasCSQ)
}

// svCompareVEP compares VEP's and GAS's rows (keyed by record ID and
// transcript), failing on any difference outside the documented records.
func svCompareVEP(t *testing.T, what string, vep, gas map[string]string) {
	t.Helper()
	agree, documented := 0, 0
	keys := map[string]bool{}
	for k := range vep {
		keys[k] = true
	}
	for k := range gas {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		id := strings.TrimSuffix(strings.Split(k, "\t")[0], "_r")
		switch {
		case vep[k] == gas[k]:
			agree++
		case svVEPDisagreements[id] != "":
			documented++
			t.Logf("%s documented: %s\n  VEP %q\n  GAS %q\n  (%s)", what, k, vep[k], gas[k], svVEPDisagreements[id])
		default:
			t.Errorf("%s %s:\n  VEP %q\n  GAS %q", what, k, vep[k], gas[k])
		}
	}
	t.Logf("structural variants vs VEP (%s): %d/%d entries agree, %d documented disagreements", what, agree, len(sorted), documented)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// TestStructuralVariantsVEPChr21 compares GAS with VEP on generated
// structural variants over the real Ensembl chr21 transcripts of
// ../shared/testdata/vep-chr21 (all biotypes, UTR-only exons, incomplete
// CDSs, overlapping genes): every symbolic type but the documented ones,
// placed at exon, CDS and transcript edges and anywhere, 1 base to 5 Mb.
func TestStructuralVariantsVEPChr21(t *testing.T) {
	if os.Getenv("GAS_VEP") == "" || testing.Short() {
		t.Skip("runs Ensembl VEP (GAS_VEP); skipped without it or with -short")
	}
	chr21 := filepath.Join(testdataDir(t), "vep-chr21")
	gff, fasta := filepath.Join(chr21, "genes.gff3.gz"), filepath.Join(chr21, "exons.fa.gz")
	if _, err := os.Stat(gff); err != nil {
		t.Skipf("no test data at %s", chr21)
	}
	tmp := t.TempDir()
	out := filepath.Join(tmp, "bundle")
	if _, err := refdata.Build(context.Background(), refdata.BuildOptions{Name: "chr21", Genes: gff, FASTA: fasta, Out: out}); err != nil {
		t.Fatal(err)
	}
	b, err := refdata.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	vcf := svChr21VCF(b)
	vcfPath := filepath.Join(tmp, "sv.vcf")
	if err := os.WriteFile(vcfPath, []byte(vcf), 0o600); err != nil {
		t.Fatal(err)
	}

	raw := svRunVEPTab(t, gff, fasta, vcfPath, svVEPFields)
	vep := map[string]string{}    // as in TestStructuralVariantsVEP
	vepPos := map[string]string{} // CSQ's Allele and positions
	for _, l := range strings.Split(string(raw), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "\t")
		terms := strings.Split(f[2], ",")
		sort.Strings(terms)
		k := f[0] + "\t" + stripVersion(strings.TrimPrefix(f[1], "-"))
		vep[k] = strings.Join(append([]string{strings.Join(terms, "&")}, f[3:8]...), "\t")
		vepPos[k] = strings.Join(f[8:13], "\t")
	}
	got, _, err := svAnnotate(t, b, vcf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// EXON and INTRON as VEP prints them (not for a variant covering the
	// whole transcript) come from the CSQ form of the same run.
	var csqOut bytes.Buffer
	if _, err := Annotate(context.Background(), strings.NewReader(vcf), &csqOut, b, Options{Format: FormatCSQ}); err != nil {
		t.Fatal(err)
	}
	numbers := map[string][2]string{}
	gasPos := map[string]string{}
	for _, l := range dataLines(csqOut.String()) {
		f := strings.Split(l, "\t")
		csq, _ := infoField([]byte(f[7]), "CSQ")
		for _, e := range strings.Split(string(csq), ",") {
			c := strings.Split(e, "|")
			k := f[2] + "\t" + stripVersion(c[6])
			numbers[k] = [2]string{dash(c[8]), dash(c[9])}
			gasPos[k] = strings.Join([]string{c[0], dash(c[12]), dash(c[13]), dash(c[14]), dash(c[19])}, "\t")
		}
	}
	gas := map[string]string{}
	for id, r := range got {
		for tx, f := range r.full {
			terms := strings.Split(f[1], "&")
			sort.Strings(terms)
			bp, pc := "-", "-"
			if s, ok := r.svann[tx]; ok {
				p := strings.Split(s, "|")
				bp, pc = dash(p[2]), dash(p[3])
			}
			k := id + "\t" + stripVersion(tx)
			n := numbers[k]
			gas[k] = strings.Join([]string{strings.Join(terms, "&"), n[0], n[1], dash(f[14]), bp, pc}, "\t")
		}
	}
	// VEP writes nothing for a breakend with no transcript within 5 kb
	// (its intergenic object has no feature to hold the breakend, so no
	// allele); it gives intergenic_variant for the same local end written
	// as a single breakend, which is GAS's answer (docs/conformance.md).
	vepRecords := map[string]bool{}
	for k := range vep {
		vepRecords[strings.Split(k, "\t")[0]] = true
	}
	intergenicBND := 0
	for id, r := range got {
		if r.ann[""] == "intergenic_variant" && len(r.ann) == 1 && strings.ContainsAny(r.full[""][0], "[]") && !vepRecords[id] {
			delete(gas, id+"\t")
			delete(gasPos, id+"\t")
			intergenicBND++
		}
	}
	t.Logf("intergenic breakends VEP leaves without a line: %d", intergenicBND)
	svCompareVEP(t, "chr21", vep, gas)
	svCompareVEP(t, "chr21 CSQ positions", vepPos, gasPos)
}

// svChr21VCF generates 400 structural variants (seeded) around the edges
// of b's transcripts, exons and coding regions.
func svChr21VCF(b *refdata.Bundle) string {
	var anchors []int
	for _, tx := range b.Transcripts() {
		anchors = append(anchors, tx.Start, tx.End)
		if tx.Coding() {
			anchors = append(anchors, tx.CDSStart, tx.CDSEnd)
		}
		for _, e := range tx.Exons {
			anchors = append(anchors, e.Start, e.End)
		}
	}
	rng := rand.New(rand.NewSource(14))
	types := []string{"<DEL>", "<DUP>", "<DUP:TANDEM>", "<INV>", "<CNV>", "<INS>", "<INS:ME:ALU>", "<DEL:ME:ALU>", "BND"}
	type rec struct {
		pos  int
		line string
	}
	var recs []rec
	for i := 0; i < 400; i++ {
		typ := types[rng.Intn(len(types))]
		var length int
		switch rng.Intn(4) {
		case 0:
			length = 1 + rng.Intn(30)
		case 1:
			length = 30 + rng.Intn(3000)
		case 2:
			length = 3000 + rng.Intn(300_000)
		default:
			length = 300_000 + rng.Intn(4_700_000)
		}
		a := anchors[rng.Intn(len(anchors))]
		var pos int
		switch rng.Intn(3) {
		case 0: // the event starts near the anchor
			pos = a - 1 + rng.Intn(7) - 3
		case 1: // the event ends near the anchor
			pos = a - length + rng.Intn(7) - 3
		default: // anywhere around it
			pos = a - rng.Intn(length+10000)
		}
		pos = max(pos, 1)
		id := fmt.Sprintf("r%d", i)
		var alt, info string
		switch typ {
		case "BND":
			alt, info = "N[21:1000[", "."
			if rng.Intn(2) == 0 {
				alt = "]21:1000]N"
			}
		case "<INS>", "<INS:ME:ALU>":
			alt, info = typ, fmt.Sprintf("END=%d", pos)
		default:
			alt, info = typ, fmt.Sprintf("END=%d;SVLEN=%d", pos+length, length)
		}
		recs = append(recs, rec{pos, fmt.Sprintf("21\t%d\t%s\tN\t%s\t.\t.\t%s\n", pos, id, alt, info)})
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].pos < recs[j].pos })
	var vcf strings.Builder
	vcf.WriteString("##fileformat=VCFv4.4\n##contig=<ID=21,length=46709983>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	for _, r := range recs {
		vcf.WriteString(r.line)
	}
	return vcf.String()
}
