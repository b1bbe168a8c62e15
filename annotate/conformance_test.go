package annotate

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// testdataDir finds ../shared/testdata next to the module root.
func testdataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "testdata")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join("..", "..", "shared", "testdata")
		}
		dir = parent
	}
}

// bcftoolsSO maps bcftools csq consequence words to Sequence Ontology terms.
var bcftoolsSO = map[string]string{
	"missense":          "missense_variant",
	"synonymous":        "synonymous_variant",
	"stop_gained":       "stop_gained",
	"frameshift":        "frameshift_variant",
	"inframe_deletion":  "inframe_deletion",
	"inframe_insertion": "inframe_insertion",
	"inframe_altering":  "protein_altering_variant",
	"splice_region":     "splice_region_variant",
	"splice_donor":      "splice_donor_variant",
	"splice_acceptor":   "splice_acceptor_variant",
	"5_prime_utr":       "5_prime_UTR_variant",
	"3_prime_utr":       "3_prime_UTR_variant",
	"intron":            "intron_variant",
	"start_lost":        "start_lost",
	"stop_lost":         "stop_lost",
	"stop_retained":     "stop_retained_variant",
	"start_retained":    "start_retained_variant",
	"non_coding":        "non_coding_transcript_exon_variant",
	"coding_sequence":   "coding_sequence_variant",
	"NMD_transcript":    "NMD_transcript_variant",
	"intergenic":        "intergenic_variant",
}

// csqExpect is the comparable form of one record's answer: the set of SO
// terms over all transcripts and the set of protein changes, each reduced
// to "position + first reference amino acid" after trimming what did not
// change (bcftools writes 508VA>508V where HGVS writes p.Ala509del).
type csqExpect struct {
	terms    []string
	proteins []string
}

func (e csqExpect) String() string {
	return "{" + strings.Join(e.terms, "&") + " " + strings.Join(e.proteins, ",") + "}"
}

func (e csqExpect) equal(o csqExpect) bool {
	return strings.Join(e.terms, "&") == strings.Join(o.terms, "&") && strings.Join(e.proteins, ",") == strings.Join(o.proteins, ",")
}

func uniqSorted(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || s[i-1] != x {
			out = append(out, x)
		}
	}
	return out
}

// parseBCSQ converts a bcftools BCSQ value into the comparable form.
func parseBCSQ(v string) csqExpect {
	var e csqExpect
	if v == "." || v == "" {
		return e
	}
	for _, entry := range strings.Split(v, ",") {
		f := strings.Split(entry, "|")
		if strings.HasPrefix(f[0], "*") {
			continue // a copy describing a downstream effect of another record
		}
		words := siteUnchanged(strings.Split(f[0], "&"))
		// bcftools' splice stage adds "synonymous" to a splice or start call
		// when the bases it rebuilt around the junction are unchanged; that
		// says nothing about amino acids, so it is not compared.
		if len(words) > 1 {
			kept := words[:0]
			for _, w := range words {
				if w != "synonymous" {
					kept = append(kept, w)
				}
			}
			words = kept
		}
		for _, w := range words {
			if so, ok := bcftoolsSO[w]; ok {
				e.terms = append(e.terms, so)
			} else {
				e.terms = append(e.terms, "bcftools:"+w)
			}
		}
		if len(f) > 5 && f[5] != "" {
			missense := false
			for _, w := range words {
				missense = missense || w == "missense"
			}
			e.proteins = append(e.proteins, bcftoolsProtein(f[5], missense)...)
		}
	}
	e.terms = uniqSorted(e.terms)
	e.proteins = uniqSorted(e.proteins)
	return e
}

// siteUnchanged translates a bcftools entry that names one site and
// "synonymous" — splice_donor&synonymous, splice_acceptor&synonymous,
// start_lost&synonymous — into SO. bcftools' splice stage (csq.c) rebuilds
// the reference and alternate bases over the 2-base splice site, or over the
// start codon at the CDS boundary, and adds "synonymous" when they are
// identical: the allele as written overlaps the site, but the site is
// unchanged. SO defines splice_donor/acceptor_variant and start_lost as
// changes of those bases, so the SO terms are splice_region_variant (an
// allele at the site's edge that leaves it intact) and
// start_retained_variant.
func siteUnchanged(words []string) []string {
	if len(words) != 2 || (words[0] != "synonymous" && words[1] != "synonymous") {
		return words
	}
	site := words[0]
	if site == "synonymous" {
		site = words[1]
	}
	switch site {
	case "splice_donor", "splice_acceptor":
		return []string{"splice_region"}
	case "start_lost":
		return []string{"start_retained"}
	}
	return words
}

// bcftoolsProtein reduces "59Y>59H", "66V" or "508VA>508V" to the first
// changed position and reference residue; a change of several residues into
// as many ("2NR>2KG") in a missense call is a run of substitutions and gives
// each changed one (a frameshift's "1LRLFFY*>1LTTIQH*" is not).
func bcftoolsProtein(s string, missense bool) []string {
	split := func(x string) (int, string) {
		i := 0
		for i < len(x) && x[i] >= '0' && x[i] <= '9' {
			i++
		}
		n, _ := strconv.Atoi(x[:i])
		return n, x[i:]
	}
	ref, alt, hasAlt := strings.Cut(s, ">")
	pos, r := split(ref)
	if pos == 0 || r == "" {
		return nil
	}
	if !hasAlt {
		return []string{strconv.Itoa(pos) + r[:1]}
	}
	_, a := split(alt)
	for len(r) > 0 && len(a) > 0 && r[0] == a[0] {
		r, a = r[1:], a[1:]
		pos++
	}
	for len(r) > 0 && len(a) > 0 && r[len(r)-1] == a[len(a)-1] {
		r, a = r[:len(r)-1], a[:len(a)-1]
	}
	if r == "" {
		return []string{strconv.Itoa(pos) + "ins"}
	}
	if !missense {
		return []string{strconv.Itoa(pos) + r[:1]}
	}
	return substitutions(pos, r, a)
}

// substitutions gives "position + reference residue" of each residue that
// differs when r is replaced by a residue for residue (equal lengths), else
// of the first residue of r only.
func substitutions(pos int, r, a string) []string {
	if len(r) != len(a) {
		return []string{strconv.Itoa(pos) + r[:1]}
	}
	var out []string
	for i := range len(r) {
		if r[i] != a[i] {
			out = append(out, strconv.Itoa(pos+i)+r[i:i+1])
		}
	}
	return out
}

var threeToOne = func() map[string]byte {
	m := map[string]byte{}
	for c := 0; c < 256; c++ {
		if s := aaThree[c]; s != "Xaa" || c == 'X' {
			m[s] = byte(c)
		}
	}
	return m
}()

// hgvsProtein reduces p.Ala2Thr, p.Gly3_Leu6del, p.Ter17GlnextTer? to the
// same "position + first reference residue" form; a delins of as many
// residues as it replaces (p.Asn2_Arg3delinsLysGly) in a missense call gives
// each changed one, as bcftoolsProtein does.
func hgvsProtein(p string, missense bool) []string {
	p = strings.TrimPrefix(p, "p.")
	aa, pos, rest := hgvsResidue(p)
	if pos == 0 {
		return nil
	}
	if rest, ok := strings.CutPrefix(rest, "_"); ok {
		aa2, pos2, tail := hgvsResidue(rest)
		if ins, ok := strings.CutPrefix(tail, "delins"); ok && missense && pos2 > pos && len(ins) == 3*(pos2-pos+1) {
			// The reference residues between the ends are not written; only
			// the ends can be compared, so the inner ones count as changed.
			r, a := make([]byte, pos2-pos+1), make([]byte, pos2-pos+1)
			for i := range r {
				r[i] = '?'
				a[i] = threeToOne[ins[3*i:3*i+3]]
			}
			r[0], r[len(r)-1] = aa, aa2
			return substitutions(pos, string(r), string(a))
		}
	}
	return []string{strconv.Itoa(pos) + string(aa)}
}

// hgvsResidue reads "Ala12" from the start of p: the one-letter residue, its
// position (0 when p does not start with one) and the rest of p.
func hgvsResidue(p string) (byte, int, string) {
	if len(p) < 4 {
		return 0, 0, p
	}
	aa, ok := threeToOne[p[:3]]
	if !ok {
		return 0, 0, p
	}
	i := 3
	for i < len(p) && p[i] >= '0' && p[i] <= '9' {
		i++
	}
	n, _ := strconv.Atoi(p[3:i])
	return aa, n, p[i:]
}

// ignoredForBcftools are terms bcftools does not report: it has no
// up/downstream or intergenic terms, no separate non-coding intron term, and
// it does not add intron to a splice-region call.
//
// padded names the transcripts with a 5'-incomplete CDS: GAS numbers their
// residues as the Ensembl protein does, counting the partial first codon
// (padded with Ns) as residue 1; bcftools counts from the first complete
// codon, so their positions are compared one lower.
func ourExpect(ann string, padded map[string]bool) csqExpect {
	var e csqExpect
	if ann == "" {
		return e
	}
	for _, entry := range strings.Split(ann, ",") {
		f := strings.Split(entry, "|")
		if len(f) < 11 {
			continue
		}
		terms := strings.Split(f[1], "&")
		splice := false
		for i, t := range terms {
			switch t {
			case "splice_donor_5th_base_variant", "splice_donor_region_variant":
				// VEP's refinements of the donor side of the splice region
				// (intron bases 3-6, and the 5th), which replace
				// splice_region_variant there; bcftools calls it splice_region.
				terms[i] = "splice_region_variant"
			case "splice_polypyrimidine_tract_variant":
				continue // a VEP refinement of the intron, no bcftools term
			}
			if strings.HasPrefix(terms[i], "splice_") {
				splice = true
			}
		}
		for _, t := range terms {
			switch t {
			case "":
				continue // a note-only entry (no sequence change)
			case "upstream_gene_variant", "downstream_gene_variant", "intergenic_variant", "non_coding_transcript_variant",
				"splice_polypyrimidine_tract_variant":
				continue
			case "intron_variant":
				if splice {
					continue
				}
			}
			e.terms = append(e.terms, t)
		}
		pr := hgvsProtein(f[10], slices.Contains(terms, "missense_variant"))
		if padded[f[6]] {
			for i, x := range pr {
				n, _ := strconv.Atoi(strings.TrimRight(x, "ABCDEFGHIJKLMNOPQRSTUVWXYZ*"))
				pr[i] = strconv.Itoa(n-1) + x[len(strconv.Itoa(n)):]
			}
		}
		e.proteins = append(e.proteins, pr...)
	}
	e.terms = uniqSorted(e.terms)
	e.proteins = uniqSorted(e.proteins)
	return e
}

// onlyProteinsIn keeps our protein changes for comparison only where
// bcftools gives one for the record: bcftools omits the protein change of
// several classes (inframe calls spanning splice sites, start_retained...).
func (e csqExpect) proteinsLike(exp csqExpect) csqExpect {
	if len(exp.proteins) == 0 {
		e.proteins = nil
	}
	return e
}

// readLocal reads NAME.txt-l: pairs "POS REF ALT EXP" / "POS REF ALT BCSQ";
// the second line of a pair is the expectation.
func readLocal(path string) map[string]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	m := map[string]string{}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	for i := 0; i+1 < len(lines); i += 2 {
		f := strings.Split(lines[i+1], "\t")
		if len(f) >= 4 {
			m[f[0]+" "+f[1]+" "+f[2]] = f[3]
		}
	}
	return m
}

// TestConformance runs the bcftools csq test cases through the engine and
// compares consequence terms and protein changes per record.
func TestConformance(t *testing.T) {
	root := os.Getenv("GAS_CSQ_CASES")
	if root == "" {
		root = filepath.Join(testdataDir(t), "bcftools-csq")
	}
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Skipf("no conformance cases at %s (set GAS_CSQ_CASES or provide ../shared/testdata): %v", root, err)
	}
	var agree, total, haplotype int
	var dis disagreements
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(root, d.Name())
		fas, _ := filepath.Glob(filepath.Join(dir, "*.fa"))
		gffs, _ := filepath.Glob(filepath.Join(dir, "*.gff"))
		vcfs, _ := filepath.Glob(filepath.Join(dir, "*.vcf"))
		if len(gffs) == 0 || len(vcfs) == 0 {
			continue
		}
		bundles := map[string]*refdata.Bundle{}
		for _, vp := range vcfs {
			gff := gffs[0]
			if len(gffs) > 1 {
				// The GFF named like the VCF, else the one named like the folder.
				gff = strings.TrimSuffix(vp, ".vcf") + ".gff"
				if _, err := os.Stat(gff); err != nil {
					gff = filepath.Join(dir, d.Name()+".gff")
				}
			}
			b := bundles[gff]
			if b == nil {
				out := filepath.Join(t.TempDir(), "bundle")
				opt := refdata.BuildOptions{Name: d.Name(), Assembly: "case", Genes: gff, Out: out}
				if len(fas) > 0 {
					opt.FASTA = fas[0]
				}
				if _, err := refdata.Build(context.Background(), opt); err != nil {
					t.Errorf("%s: build bundle: %v", d.Name(), err)
					break
				}
				if b, err = refdata.Open(out); err != nil {
					t.Errorf("%s: open bundle: %v", d.Name(), err)
					break
				}
				defer b.Close()
				bundles[gff] = b
			}
			a, h, n := runCaseFile(t, b, vp, &dis)
			agree, haplotype, total = agree+a, haplotype+h, total+n
		}
	}
	if total == 0 {
		t.Fatalf("no records with a per-variant expectation under %s", root)
	}
	// Printed to stdout (not t.Log) so that the figures show once, with or
	// without -v.
	os.Stdout.WriteString("conformance: " + strconv.Itoa(agree) + "/" + strconv.Itoa(total) + " records agree\n")
	os.Stdout.WriteString("haplotype records without a per-sample expectation (not measured): " + strconv.Itoa(haplotype) + "\n")
	os.Stdout.WriteString("accepted disagreements: " + strconv.Itoa(dis.accepted) + " (docs/conformance.md: a VEP run gives GAS's answer)\n")
	os.Stdout.WriteString("other known disagreements: " + strconv.Itoa(dis.known) + " (docs/conformance.md)\n")
	// Every disagreement must be a documented one (checked per record
	// above), and the records that agree or differ as VEP does must make
	// the bar.
	if (agree+dis.accepted)*100 < total*conformanceFloor {
		t.Errorf("conformance (%d+%d)/%d is below %d%%", agree, dis.accepted, total, conformanceFloor)
	}
}

// conformanceFloor is the bar in percent for (N+K)/M: records
// agreeing with bcftools plus accepted disagreements, over all records.
const conformanceFloor = 97

// disagreements counts the documented disagreements of a run.
type disagreements struct{ accepted, known int }

// acceptedDisagreements are records where GAS differs from bcftools csq and
// a run of Ensembl VEP gives GAS's answer, keyed by "CASE/FILE.vcf POS",
// with the reason (docs/conformance.md shows each VEP command and output).
var acceptedDisagreements = map[string]string{
	"EMN908947/ribosomal-slippage.vcf 13468":                 "both codon changes agree; bcftools adds splice_region at the slip, which is no splice site",
	"ENSCAFT00000047742/test.vcf 104":                        "a 1-bp intron is an alignment gap, not a splice site: coding_sequence_variant, as VEP calls it",
	"ENST00000420670/start-stop-lost.vcf 44688":              "ATG>ATA is start_lost; bcftools calls start-codon changes at a reverse-strand exon edge missense",
	"ENST00000519442/synon-splice-region-del.vcf 42130":      "as written the deleted CA is intron +8/+9, in the splice region; bcftools trims the shared last base first and deletes it at +9/+10 of the (CA)n repeat",
	"ENST00000528237/retained-stop-incomplete-cds.vcf 14714": "new stop at the last codon of a CDS without a stop codon: stop_gained, not stop_retained",
	"ENST00000545279/splice-region-insert.vcf 44572":         "insertion between exon end and intron start joins the exon (frameshift), as VEP maps it; the donor dinucleotide is intact",
}

// knownDisagreements are documented records where GAS differs from bcftools
// csq and VEP does not give GAS's answer either (docs/conformance.md).
var knownDisagreements = map[string]string{
	"ENST00000318249.2/synonymous-start-lost.vcf 4958": "the start codon survives: start_retained_variant with 5_prime_UTR_variant; VEP adds start_lost to the same two",
}

// runCaseFile annotates one case VCF and compares each record with its
// expectation. It returns (agreeing, haplotype-only, with expectation).
func runCaseFile(t *testing.T, b *refdata.Bundle, path string, acc *disagreements) (agree, haplotype, total int) {
	t.Helper()
	if a, n, ok := runHaplotypeFile(t, b, path, acc); ok {
		return a, 0, n // per-sample haplotype expectations (haplotype_conformance_test.go)
	}
	in, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	local := readLocal(strings.TrimSuffix(path, ".vcf") + ".txt-l")
	padded := paddedTranscripts(b)
	var out bytes.Buffer
	if _, err := Annotate(context.Background(), bytes.NewReader(in), &out, b, Options{Workers: 2}); err != nil {
		t.Errorf("%s: annotate: %v", path, err)
		return
	}
	var inRecs []string
	for _, l := range strings.Split(string(in), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			inRecs = append(inRecs, l)
		}
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<24)
	i := 0
	name := filepath.Join(filepath.Base(filepath.Dir(path)), filepath.Base(path))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		if i >= len(inRecs) {
			t.Errorf("%s: more output than input records", name)
			return
		}
		src := strings.Split(inRecs[i], "\t")
		i++
		key := src[1] + " " + src[3] + " " + src[4]
		var want string
		var has bool
		if v, ok := local[key]; ok {
			want, has = v, true
		} else if v, ok := infoField([]byte(src[7]), "EXP"); ok {
			want, has = string(v), true
		}
		if !has || strings.HasPrefix(want, "@") {
			if (has && strings.HasPrefix(want, "@")) || len(src) > 9 {
				haplotype++
			}
			continue
		}
		total++
		exp := parseBCSQ(want)
		ann, _ := infoField([]byte(strings.Split(l, "\t")[7]), "ANN")
		got := ourExpect(string(ann), padded).proteinsLike(exp)
		if len(exp.terms) == 0 && len(got.terms) == 1 && got.terms[0] == "intron_variant" {
			// bcftools reports intron only as a fallback after its exon
			// stage, which takes every record whose REF touches an exon and
			// may then report nothing; an intronic call is not contradicted.
			got.terms = nil
		}
		id := name + " " + src[1]
		reason, accepted := acceptedDisagreements[id]
		kreason, known := knownDisagreements[id]
		switch {
		case got.equal(exp):
			agree++
			if accepted || known {
				t.Errorf("%s now agrees with bcftools: remove it from the disagreements and docs/conformance.md", id)
			}
		case accepted:
			t.Logf("accepted disagreement %s %s: bcftools %v, gas %v (%s)", name, key, exp, got, reason)
			acc.accepted++
		case known:
			t.Logf("known disagreement %s %s: bcftools %v, gas %v (%s)", name, key, exp, got, kreason)
			acc.known++
		default:
			t.Errorf("disagree %s %s: bcftools %v, gas %v (ANN=%s)", name, key, exp, got, ann)
		}
	}
	return
}

// paddedTranscripts lists the transcripts of b whose CDS starts with a
// partial codon (see ourExpect).
func paddedTranscripts(b *refdata.Bundle) map[string]bool {
	m := map[string]bool{}
	for _, t := range b.Transcripts() {
		if t.Phase > 0 {
			m[t.ID] = true
		}
	}
	return m
}
