package annotate

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// csqRecords parses the CSQ header and entries of an annotated VCF: per data
// line, the entries as column name → value.
func csqRecords(t *testing.T, out string) [][]map[string]string {
	t.Helper()
	var cols []string
	var recs [][]map[string]string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasPrefix(l, "##INFO=<ID=CSQ,") {
			_, desc, ok := strings.Cut(l, csqDescriptionPrefix)
			if !ok {
				t.Fatalf("CSQ header without %q: %s", csqDescriptionPrefix, l)
			}
			cols = strings.Split(strings.TrimSuffix(desc, `">`), "|")
			continue
		}
		if strings.HasPrefix(l, "#") {
			continue
		}
		if cols == nil {
			t.Fatal("no CSQ header")
		}
		v, _ := infoField([]byte(infoOf(l)), "CSQ")
		var ents []map[string]string
		if len(v) > 0 {
			for _, e := range strings.Split(string(v), ",") {
				f := strings.Split(e, "|")
				if len(f) != len(cols) {
					t.Fatalf("CSQ entry with %d columns, header has %d: %s", len(f), len(cols), e)
				}
				m := map[string]string{}
				for i, c := range cols {
					m[c] = f[i]
				}
				ents = append(ents, m)
			}
		}
		recs = append(recs, ents)
	}
	return recs
}

// TestCSQColumns checks the columns VEP computes from its own view of the
// alleles (trimmed first base, VEP's coordinates) on the model gene, on both
// strands: the values are VEP 115's for the same cases (format_coords,
// TranscriptVariationAllele codons and peptides, exon/intron numbers,
// distance), worked out by hand and checked against a VEP run on the
// bcftools test transcripts.
func TestCSQColumns(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	type want map[string]string
	cases := []struct {
		name     string
		pos      int
		ref, alt string
		allele   string // forward strand; reverse-complemented for the mirror
		w        want
	}{
		{"missense", 44, "G", "A", "A", want{"EXON": "1/2", "INTRON": "", "cDNA_position": "24", "CDS_position": "4",
			"Protein_position": "2", "Amino_acids": "A/T", "Codons": "Gct/Act", "DISTANCE": "", "HGVSc": "TX1.3:c.4G>A", "HGVSp": "TX1.3:p.Ala2Thr"}},
		{"synonymous", 46, "T", "C", "C", want{"Amino_acids": "A", "Codons": "gcT/gcC", "HGVSp": "TX1.3:p.Ala2%3D"}},
		{"insertion between codons", 55, "C", "CTGG", "TGG", want{"cDNA_position": "35-36", "CDS_position": "15-16",
			"Protein_position": "5-6", "Amino_acids": "-/W", "Codons": "-/TGG"}},
		{"insertion inside a codon", 56, "G", "GA", "A", want{"cDNA_position": "36-37", "CDS_position": "16-17",
			"Protein_position": "6", "Amino_acids": "G/EX", "Codons": "ggg/gAgg"}},
		{"frameshift deletion", 51, "AA", "A", "-", want{"cDNA_position": "32", "CDS_position": "12",
			"Protein_position": "4", "Amino_acids": "K/X", "Codons": "aaA/aa"}},
		{"inframe deletion", 52, "ACCC", "A", "-", want{"cDNA_position": "33-35", "CDS_position": "13-15",
			"Protein_position": "5", "Amino_acids": "P/-", "Codons": "CCC/-"}},
		{"mnv", 46, "TT", "CA", "CA", want{"CDS_position": "6-7", "Protein_position": "2-3", "Amino_acids": "AW/AR", "Codons": "gcTTgg/gcCAgg"}},
		{"deletion into the intron", 58, string(g[57:62]), string(g[57]), "-", want{"EXON": "1/2", "INTRON": "1/1",
			"cDNA_position": "39-?", "CDS_position": "19-?", "Protein_position": "7-?", "Amino_acids": "", "Codons": ""}},
		{"intron", 75, string(g[74]), string(other(g[74])), string(other(g[74])), want{"EXON": "", "INTRON": "1/1",
			"cDNA_position": "", "CDS_position": "", "Protein_position": "", "Codons": ""}},
		{"5' UTR", 30, string(g[29]), string(other(g[29])), string(other(g[29])), want{"EXON": "1/2", "cDNA_position": "10",
			"CDS_position": "", "Protein_position": "", "Amino_acids": ""}},
		{"upstream", 10, string(g[9]), string(other(g[9])), string(other(g[9])), want{"Consequence": "upstream_gene_variant",
			"EXON": "", "cDNA_position": "", "HGVSc": "", "DISTANCE": "11"}},
	}
	for _, strand := range []string{"+", "-"} {
		gen, tx := g, modelTranscript(true)
		if strand == "-" {
			gen, tx = mirror(g, tx)
		}
		ref := &testRef{names: []string{"m"}, seqs: [][]byte{gen}}
		ref.addTranscripts(tx)
		for _, c := range cases {
			pos, r, a, allele := c.pos, c.ref, c.alt, c.allele
			if strand == "-" {
				pos, r, a = mirrorVariant(g, c.pos, c.ref, c.alt)
				if allele != "-" {
					allele = rc(allele)
				}
			}
			in := vcfHead + "m\t" + itoa(int64(pos)) + "\t.\t" + r + "\t" + a + "\t.\t.\t.\n"
			out, _, err := annotateString(t, ref, in, Options{Format: FormatCSQ})
			if err != nil {
				t.Fatal(err)
			}
			recs := csqRecords(t, out)
			if len(recs) != 1 || len(recs[0]) != 1 {
				t.Fatalf("%s %s: want one entry, got %v", strand, c.name, recs)
			}
			e := recs[0][0]
			w := want{"Allele": allele, "Feature_type": "Transcript", "Feature": "TX1.3", "Gene": "GENE1", "SYMBOL": "GN1",
				"BIOTYPE": "protein_coding", "STRAND": map[string]string{"+": "1", "-": "-1"}[strand]}
			for k, v := range c.w {
				w[k] = v
			}
			for k, v := range w {
				if e[k] != v {
					t.Errorf("%s strand, %s (%d %s>%s): %s = %q, want %q", strand, c.name, pos, r, a, k, e[k], v)
				}
			}
		}
	}
}

// TestCSQAllele checks VEP's allele trimming: the first base goes only when
// the record is an indel and every allele (but *) starts with it.
func TestCSQAllele(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	b := string(g[43]) // G at 44
	cases := []struct {
		ref, alt string
		want     []string
	}{
		{b, "A", []string{"A"}},
		{b, "A," + b + "T", []string{"A", b + "T"}},        // not all share the first base: kept
		{b + "C", b + "," + b + "CC", []string{"-", "CC"}}, // indels sharing it: trimmed
		{b + "C", "TA", []string{"TA"}},                    // same length: an MNV, kept
		{b, b + "T,*", []string{"T", "*"}},                 // * is ignored for the decision
	}
	for _, c := range cases {
		ref := string(g[43 : 43+len(c.ref)])
		if ref != c.ref {
			t.Fatalf("test genome changed: %s vs %s", ref, c.ref)
		}
		out, _, err := annotateString(t, modelRef(), vcfHead+"m\t44\t.\t"+c.ref+"\t"+c.alt+"\t.\t.\t.\n", Options{Format: FormatCSQ})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		seen := map[string]bool{}
		for _, e := range csqRecords(t, out)[0] {
			if !seen[e["Allele"]] {
				seen[e["Allele"]] = true
				got = append(got, e["Allele"])
			}
		}
		// * is not annotated, so it has no entry.
		want := c.want
		if c.alt == b+"T,*" {
			want = want[:1]
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s>%s: alleles %v, want %v", c.ref, c.alt, got, want)
		}
	}
}

// TestCSQSources checks the source columns (known-variant fields, track
// hits), Existing_variation, the flags of the model, the escaping of
// reserved characters, and that in CSQ mode no separate INFO keys are
// written for known variants and tracks.
func TestCSQSources(t *testing.T) {
	t.Parallel()
	in := vcfHead + "m\t44\trs9\tG\tA,C\t.\t.\tANN=old;MAF=0.9\nm\t46\t.\tT\tC\t.\t.\t.\nzz\t5\t.\tA\tG\t.\t.\t.\n"
	out, _, err := annotateString(t, modelRef(), in, Options{Format: FormatCSQ})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|Existing_variation|DISTANCE|STRAND|FLAGS|CANONICAL|MANE|known_MAF|known_AF_EUR|cyto_band">`) {
		t.Errorf("CSQ header missing or different:\n%s", out)
	}
	for _, k := range []string{"##INFO=<ID=ANN", "##INFO=<ID=known_MAF", "##INFO=<ID=cyto_band"} {
		if strings.Contains(out, k) {
			t.Errorf("CSQ output declares %s", k)
		}
	}
	lines := dataLines(out)
	if info := infoOf(lines[0]); strings.Contains(info, "ANN=") || strings.Contains(info, "known_MAF=") || strings.Contains(info, "cyto_band=") {
		t.Errorf("record INFO keeps separate keys: %s", info)
	}
	if id := strings.Split(lines[0], "\t")[2]; id != "rs9;rs100" {
		t.Errorf("ID column %q", id)
	}
	recs := csqRecords(t, out)
	byKey := func(r int, allele, feature string) map[string]string {
		for _, e := range recs[r] {
			if e["Allele"] == allele && e["Feature"] == feature {
				return e
			}
		}
		t.Fatalf("record %d: no entry %s %s in %v", r, allele, feature, recs[r])
		return nil
	}
	a := byKey(0, "A", "TX1.3")
	if a["Existing_variation"] != "rs100" || a["known_MAF"] != "0.25" || a["known_AF_EUR"] != "0.5" || a["cyto_band"] != "p11&q11" ||
		a["CANONICAL"] != "YES" || a["MANE"] != "" {
		t.Errorf("allele A: %v", a)
	}
	c := byKey(0, "C", "TX1.3")
	if c["Existing_variation"] != "" || c["known_MAF"] != "" || c["cyto_band"] != "p11&q11" {
		t.Errorf("allele C (no known variant): %v", c)
	}
	nc := byKey(0, "A", "TX2")
	if nc["SYMBOL"] != "weird&gene&name%3Bx%3Dy" || nc["MANE"] != "MANE_Select" || nc["CANONICAL"] != "" || nc["BIOTYPE"] != "lncRNA" {
		t.Errorf("non-coding transcript entry: %v", nc)
	}
	if e := byKey(1, "C", "TX1.3"); e["Existing_variation"] != "rs200&rs201" || e["known_MAF"] != "0.1" || e["known_AF_EUR"] != "" {
		t.Errorf("second record: %v", e)
	}
	ig := recs[2]
	if len(ig) != 1 || ig[0]["Consequence"] != "intergenic_variant" || ig[0]["Feature_type"] != "" || ig[0]["Allele"] != "G" {
		t.Errorf("intergenic entry: %v", ig)
	}
}

// TestCSQSplitVEP runs bcftools +split-vep over CSQ output, asking for every
// column (the fixed ones and every source column), and compares what it
// extracts with the entries as written.
func TestCSQSplitVEP(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and builds a bundle; skipped with -short")
	}
	bcftools, err := exec.LookPath("bcftools")
	if err != nil {
		t.Skip("bcftools is not installed (apt-get install bcftools; CI installs it)")
	}
	t.Parallel()
	bundle, in := synthBundle(t, 3000)
	var out bytes.Buffer
	if _, err := Annotate(context.Background(), bytes.NewReader(in), &out, bundle, Options{Format: FormatCSQ}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "out.vcf")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	m := bundle.Manifest()
	cols := CSQColumns(bundle.Sources(), bundle.Tracks())
	if len(cols) != len(csqFields)+len(bundle.Sources()[0].Fields)+len(bundle.Tracks()) || m == nil {
		t.Fatalf("columns %v", cols)
	}
	list, err := exec.Command(bcftools, "+split-vep", "-l", path).CombinedOutput()
	if err != nil {
		t.Fatalf("split-vep -l: %v\n%s", err, list)
	}
	var listed []string
	for _, l := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		f := strings.Fields(l)
		listed = append(listed, f[len(f)-1])
	}
	if strings.Join(listed, "|") != strings.Join(cols, "|") {
		t.Fatalf("split-vep lists %v, want %v", listed, cols)
	}
	format := "%CHROM\t%POS\t%" + strings.Join(cols, "\t%") + "\n"
	got, err := exec.Command(bcftools, "+split-vep", "-d", "-f", format, path).CombinedOutput()
	if err != nil {
		t.Fatalf("split-vep -f: %v\n%s", err, got)
	}
	// Expected rows: one per entry, empty values as ".".
	var want []string
	recs := csqRecords(t, out.String())
	lines := dataLines(out.String())
	known, tracks := 0, 0
	for i, ents := range recs {
		f := strings.Split(lines[i], "\t")
		for _, e := range ents {
			row := []string{f[0], f[1]}
			for _, c := range cols {
				v := e[c]
				if v == "" {
					v = "."
				}
				row = append(row, v)
			}
			want = append(want, strings.Join(row, "\t"))
			if e[cols[len(csqFields)]] != "" {
				known++
			}
			if e[cols[len(cols)-1]] != "" {
				tracks++
			}
		}
	}
	gotRows := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(gotRows) != len(want) {
		t.Fatalf("split-vep gave %d rows, want %d", len(gotRows), len(want))
	}
	for i := range want {
		if gotRows[i] != want[i] {
			t.Fatalf("row %d:\n got %s\nwant %s", i, gotRows[i], want[i])
		}
	}
	if known == 0 || tracks == 0 {
		t.Errorf("no entry with a known-variant value (%d) or a track hit (%d): the source columns are not exercised", known, tracks)
	}
	// The header must also satisfy bcftools view without warnings.
	if msg, err := exec.Command(bcftools, "view", "-Ov", "-o", os.DevNull, path).CombinedOutput(); err != nil || len(msg) > 0 {
		t.Errorf("bcftools view: %v %s", err, msg)
	}
}
