package annotate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// The TestVEP… tests pin consequences where GAS follows the Sequence
// Ontology and Ensembl VEP's predicates (VariationEffect.pm) rather than a
// peer's convention. Each runs on the model gene (testref_test.go) and on
// its mirror image on the reverse strand, where the transcript reads exactly
// the same sequence; real Ensembl chr21 examples are in TestVEPChr21.

// bothStrands runs one VCF allele on the forward model transcript tr over
// genome g and on its mirror, and checks terms and HGVS as csqCase does.
func bothStrands(t *testing.T, g []byte, tr *refdata.Transcript, c csqCase) (fwd, rev effect) {
	t.Helper()
	fwd = runCase(t, newTxModel(tr), memSeq(g), c.pos, c.ref, c.alt)
	t.Run(c.name+"/forward", func(t *testing.T) { check(t, c, fwd) })
	rg, rtr := mirror(g, tr)
	p, r, a := mirrorVariant(g, c.pos, c.ref, c.alt)
	rev = runCase(t, newTxModel(rtr), memSeq(rg), p, r, a)
	t.Run(c.name+"/reverse", func(t *testing.T) { check(t, c, rev) })
	return fwd, rev
}

// An N in a changed codon makes its amino acid unknown: VEP's
// coding_unknown (coding_sequence_variant), never synonymous_variant
// p.Xaa=.
func TestVEPAmbiguousReferenceCodon(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	g[44] = 'N' // c.5, the C of GCT (Ala2)
	tr := modelTranscript(true)
	pos, r, a := snv(g, 44, "A") // c.4G>A: GNT > ANT, X > X
	bothStrands(t, g, tr, mk("snv next to N", pos, r, a, "coding_sequence_variant", "c.4G>A", ""))
	pos, r, a = snv(g, 46, "C") // c.6T>C: GNC, still X
	bothStrands(t, g, tr, mk("snv in codon with N", pos, r, a, "coding_sequence_variant", "c.6T>C", ""))
	// A frameshift through it is a frameshift, but where the new frame
	// first differs is unknown: p.? (not p.Xaa2...fs).
	pos, r, a = del(g, 46, 1)
	bothStrands(t, g, tr, mk("frameshift in codon with N", pos, r, a, "frameshift_variant", "c.7del", "p.?"))
	// A codon without the N is called as usual.
	pos, r, a = snv(g, 49, "A")
	bothStrands(t, g, tr, mk("other codon", pos, r, a, "stop_gained", "c.9G>A", "p.Trp3Ter"))
}

// A stop codon inserted right before the native stop leaves the protein as
// it was (the old stop is never read): stop_retained_variant and
// inframe_insertion, p.Ter17=, not stop_gained.
func TestVEPStopInsertedBeforeStop(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	tr := modelTranscript(true)
	pos, r, a := ins(g, 128, "TAA") // CTG|TAA: TAA TAA, a duplicated stop
	bothStrands(t, g, tr, mk("dup of the stop", pos, r, a, "inframe_insertion&stop_retained_variant", "c.49_51dup", "p.Ter17="))
	pos, r, a = ins(g, 128, "TGA")
	bothStrands(t, g, tr, mk("another stop before it", pos, r, a, "inframe_insertion&stop_retained_variant", "c.*", "p.Ter17="))
	// One residue, then a stop: the protein grows by one residue inserted
	// before its stop, which stays (VEP 115: inframe_insertion,
	// stop_retained_variant).
	pos, r, a = ins(g, 128, "GCCTAG")
	bothStrands(t, g, tr, mk("residue and stop", pos, r, a, "inframe_insertion&stop_retained_variant", "c.48_49insGCCTAG", "p.Leu16_Ter17insAla"))
}

// A CDS that ends without a stop codon (an incomplete model not tagged as
// such) has no stop to lose: a frameshift at its end is frameshift_variant
// alone, and AA.length counts every codon, so AA.pos never exceeds it.
func TestVEPFrameshiftWithoutStop(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	tr := modelTranscript(true)
	tr.CDSEnd = 128 // the CDS ends with CTG (Leu16); TAA is outside it
	pos, r, a := del(g, 127, 1)
	f, rv := bothStrands(t, g, tr, mk("frameshift in the last codon", pos, r, a, "frameshift_variant", "c.47del", "p.*"))
	for _, ef := range []effect{f, rv} {
		if n := ef.m.aaLen(nil); n != 16 || ef.aaPos > n {
			t.Errorf("AA.pos/length %d/%d, want 16/16", ef.aaPos, n)
		}
	}
	// With the stop in the CDS the same deletion reaches it: stop_lost too,
	// and the protein is 16 residues without its stop.
	tr = modelTranscript(true)
	pos, r, a = del(g, 129, 1)
	f, _ = bothStrands(t, g, tr, mk("frameshift in the stop", pos, r, a, "frameshift_variant&stop_lost", "c.49del", "p.*"))
	if n := f.m.aaLen(nil); n != 16 {
		t.Errorf("AA.length %d with a stop codon, want 16", n)
	}
}

// A frameshift whose changed codons make a stop at once is stop_gained as
// well as frameshift_variant (VEP compares the alternate codons'
// translation): TAC|... with an A inserted after TA reads TAA.
func TestVEPFrameshiftImmediateStop(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	tr := modelTranscript(true)
	pos, r, a := ins(g, 109, "A") // c.29_30insA in TAC (Tyr10)
	bothStrands(t, g, tr, mk("insertion", pos, r, a, "stop_gained&frameshift_variant", "c.29dup", "p.Tyr10Ter"))
	// A frameshift whose new stop comes later is not stop_gained.
	pos, r, a = del(g, 50, 1)
	bothStrands(t, g, tr, mk("later stop", pos, r, a, "frameshift_variant", "c.12del", "p.Lys4AsnfsTer*"))
}

// Inserted residues that repeat the ones before them are a duplication
// (HGVS 3' rule), also when the DNA insertion falls inside the codon after
// them: K4 P5 R6 with AACCCA inserted after the A of AGA reads K P K P R.
func TestVEPProteinDuplication(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	copy(g[55:58], "AGA") // c.16-18: Arg6
	tr := modelTranscript(true)
	pos, r, a := ins(g, 56, "AACCCA")
	bothStrands(t, g, tr, mk("dup before the codon", pos, r, a, "inframe_insertion", "c.11_16dup", "p.Lys4_Pro5dup"))
}

// Deleting the stop codon reads the 3' UTR on in frame: HGVS extension
// notation (the first UTR codon takes the stop's place), never
// p.Ter17del; when that codon is itself a stop the protein keeps its
// length (stop_retained_variant).
func TestVEPStopCodonDeleted(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	copy(g[131:140], "GCCAAATAG") // 3' UTR: Ala Lys Ter
	tr := modelTranscript(true)
	pos, r, a := del(g, 129, 3)
	bothStrands(t, g, tr, mk("stop deleted", pos, r, a, "stop_lost&inframe_deletion", "c.49_51del", "p.Ter17AlaextTer2"))
	g2 := modelGenome()
	copy(g2[131:134], "TAG")
	pos, r, a = del(g2, 129, 3)
	bothStrands(t, g2, tr, mk("a stop follows", pos, r, a, "inframe_deletion&stop_retained_variant", "c.*", "p.Ter17="))
}

// A deletion of the last codons, the stop and 3' UTR bases removes the stop:
// stop_lost (HIGH), with inframe_deletion when it is a whole number of
// codons, and 3_prime_UTR_variant for the UTR bases.
func TestVEPDeletionThroughStopIntoUTR(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	tr := modelTranscript(true)
	pos, r, a := del(g, 126, 9) // c.46 to c.*3
	bothStrands(t, g, tr, mk("in frame", pos, r, a, "stop_lost&inframe_deletion&3_prime_UTR_variant", "c.*", ""))
	pos, r, a = del(g, 127, 7) // c.47 to c.*2
	bothStrands(t, g, tr, mk("out of frame", pos, r, a, "stop_lost&3_prime_UTR_variant", "c.47_*2del", ""))
	// When the bases moved up to the stop's place read TAG, a stop is kept
	// there (VEP's _ins_del_stop_altered test): stop_retained_variant.
	g2 := modelGenome()
	copy(g2[131:140], "GCCAAATAG")
	pos, r, a = del(g2, 126, 9)
	bothStrands(t, g2, tr, mk("a stop moves in", pos, r, a, "inframe_deletion&stop_retained_variant&3_prime_UTR_variant", "c.46_*3del", ""))
}

// An in-frame insertion inside the stop codon that turns it into sense
// codons is stop_lost and inframe_insertion (the codons grow by whole
// codons, as an in-frame deletion of the stop is also inframe_deletion).
func TestVEPInframeInsertionLosingStop(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	tr := modelTranscript(true)
	pos, r, a := ins(g, 129, "CCC") // T|AA: TCC CAA
	bothStrands(t, g, tr, mk("TCCCAA", pos, r, a, "stop_lost&inframe_insertion", "c.49_50insCCC", "p.Ter17SerextTer*"))
}

// On a 5'-incomplete CDS residues are numbered as in the Ensembl protein,
// which pads the partial first codon with Ns (VEP's Protein_position): the
// first complete codon is residue 2. A 1-base deletion in the partial codon
// shifts the frame of every codon after it: frameshift_variant.
func TestVEPIncompleteStartNumbering(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	tr := modelTranscript(true)
	tr.CDSStart = 39 // two bases before ATG: phase 2, one N of padding
	tr.Phase = 2
	tr.StartIncomplete = true
	pos, r, a := snv(g, 49, "A")
	f, _ := bothStrands(t, g, tr, mk("stop gained", pos, r, a, "stop_gained", "c.11G>A", "p.Trp4Ter"))
	if f.aaPos != 4 || f.m.aaLen(nil) != 17 {
		t.Errorf("AA.pos/length %d/%d, want 4/17", f.aaPos, f.m.aaLen(nil))
	}
	pos, r, a = del(g, 40, 1)
	f, _ = bothStrands(t, g, tr, mk("deletion in the partial codon", pos, r, a, "frameshift_variant", "c.2del", ""))
	if f.aaPos != 1 {
		t.Errorf("AA.pos %d, want 1 (the padded codon)", f.aaPos)
	}
	pos, r, a = snv(g, 40, string(other(g[39])))
	bothStrands(t, g, tr, mk("substitution in the partial codon", pos, r, a, "coding_sequence_variant", "c.2*", ""))

	// In-frame changes beginning in the partial codon, with VEP 115's
	// answers on this model marked cds_start_NF (docs/conformance.md):
	// its codons are read from the padded one (XM/X for c.2_4del), so a
	// deletion is an inframe_deletion, an insertion an inframe_insertion
	// beside coding_sequence_variant (the X), and anything else a
	// protein_altering_variant; never start_lost.
	for _, c := range []struct {
		name     string
		pos      int
		ref, alt string
		terms, c string
	}{
		{"in-frame deletion from the partial codon", 39, "CCAT", "C", "inframe_deletion", "c.2_4del"},
		{"in-frame deletion of the partial codon", 38, "TCCA", "T", "inframe_deletion", "c.1_3del"},
		{"two codons deleted from the partial one", 39, "CCATGGC", "C", "inframe_deletion", "c.2_7del"},
		{"in-frame insertion in the partial codon", 39, "C", "CGGA", "inframe_insertion&coding_sequence_variant", "c.1_2insGGA"},
		{"in-frame delins shortening", 39, "CCATGGC", "CGGA", "protein_altering_variant", "c.2_7delinsGGA"},
		{"in-frame delins lengthening", 39, "CC", "CGGAT", "inframe_insertion&coding_sequence_variant", "c.2delinsGGAT"},
		{"in-frame delins of the partial codon", 38, "TCCATGG", "TAAA", "protein_altering_variant", "c.1_6delinsAAA"},
	} {
		if got := string(g[c.pos-1 : c.pos-1+len(c.ref)]); got != c.ref {
			t.Fatalf("%s: REF %s, the model has %s", c.name, c.ref, got)
		}
		f, r := bothStrands(t, g, tr, mk(c.name, c.pos, c.ref, c.alt, c.terms, c.c, ""))
		if f.aaPos != 1 || r.aaPos != 1 {
			t.Errorf("%s: AA.pos %d/%d, want 1 (the padded codon)", c.name, f.aaPos, r.aaPos)
		}
	}
}

// chr21Bundle builds a bundle from the Ensembl chr21 gene model and exon
// sequences of ../shared/testdata/vep-chr21.
func chr21Bundle(t *testing.T) *refdata.Bundle {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a real bundle; skipped with -short")
	}
	chr21 := filepath.Join(testdataDir(t), "vep-chr21")
	gff, fasta := filepath.Join(chr21, "genes.gff3.gz"), filepath.Join(chr21, "exons.fa.gz")
	if _, err := os.Stat(fasta); err != nil {
		t.Skipf("no test data at %s", chr21)
	}
	out := filepath.Join(t.TempDir(), "bundle")
	if _, err := refdata.Build(context.Background(), refdata.BuildOptions{Name: "chr21", Genes: gff, FASTA: fasta, Out: out}); err != nil {
		t.Fatal(err)
	}
	b, err := refdata.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// annEntry annotates one record on b and returns its ANN entry for the
// transcript tx, split into sub-fields.
func annEntry(t *testing.T, b *refdata.Bundle, rec, tx string, opt Options) []string {
	t.Helper()
	in := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + rec + "\n"
	var out bytes.Buffer
	if _, err := Annotate(context.Background(), strings.NewReader(in), &out, b, opt); err != nil {
		t.Fatal(err)
	}
	for _, l := range dataLines(out.String()) {
		ann, _ := infoField([]byte(strings.Split(l, "\t")[7]), "ANN")
		for _, e := range strings.Split(string(ann), ",") {
			if f := strings.Split(e, "|"); len(f) > 6 && f[6] == tx {
				return f
			}
		}
	}
	t.Fatalf("%s: no ANN entry for %s in\n%s", rec, tx, out.String())
	return nil
}

// TestVEPChr21 checks the examples on real Ensembl transcripts
// (the answers are VEP's; AA.pos/length use the Ensembl protein's length).
func TestVEPChr21(t *testing.T) {
	t.Parallel()
	b := chr21Bundle(t)
	for _, c := range []struct {
		name, rec, tx       string
		terms, hgvsP, aaPos string
	}{
		// A TGA inserted right before the stop of GABPA (+ strand).
		{"stop inserted before stop", "21\t25769229\t.\tT\tTTGA\t.\t.\t.", "ENST00000354828",
			"inframe_insertion&stop_retained_variant", "p.Ter455%3D", "455/454"},
		// APP-010 (− strand) ends without a stop codon.
		{"frameshift without stop", "21\t25975190\t.\tTGC\tT\t.\t.\t.", "ENST00000415997",
			"frameshift_variant", "p.?", "181/181"},
		// JAM2 (+ strand): TAT>TAAT.
		{"frameshift immediate stop", "21\t25639867\t.\tT\tTA\t.\t.\t.", "ENST00000312957",
			"stop_gained&frameshift_variant", "p.Tyr16Ter", "16/262"},
		// APP-010 is 5'-incomplete (phase 1): residues as VEP numbers them,
		// the padded partial codon being residue 1 (VEP: p.Gly2Val,
		// p.Ser176IlefsTer?), and a 1-base deletion in the partial codon
		// is a frameshift (VEP adds start_lost, which a cds_start_NF model
		// cannot have).
		{"cds_start_NF missense", "21\t26051030\t.\tC\tA\t.\t.\t.", "ENST00000415997",
			"missense_variant", "p.Gly2Val", "2/181"},
		{"cds_start_NF frameshift", "21\t25975208\t.\tT\tTC\t.\t.\t.", "ENST00000415997",
			"frameshift_variant", "p.Ser176IlefsTer?", "176/181"},
		{"cds_start_NF partial codon deletion", "21\t26051031\t.\tCC\tC\t.\t.\t.", "ENST00000415997",
			"frameshift_variant", "", "1/181"},
		// APP (− strand): inserted Val-Pro repeat Val551-Pro552.
		{"protein dup", "21\t25954619\t.\tG\tGCAGGCA\t.\t.\t.", "ENST00000346798",
			"inframe_insertion", "p.Val551_Pro552dup", "*"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := annEntry(t, b, c.rec, c.tx, Options{})
			if f[1] != c.terms || !matchPattern(f[10], c.hgvsP) || !matchPattern(f[13], c.aaPos) {
				t.Errorf("got %s %s AA %s, want %s %s AA %s", f[1], f[10], f[13], c.terms, c.hgvsP, c.aaPos)
			}
		})
	}
	// The chr21 model (Ensembl release 84) has no Ensembl_canonical or
	// MANE_Select tags: canonical mode picks one transcript per gene, and
	// for JAM2 that is its longest complete CDS, ENST00000400532 (annEntry
	// fails when the entry is missing, e.g. all intergenic).
	t.Run("canonical without tags", func(t *testing.T) {
		f := annEntry(t, b, "21\t25639867\t.\tT\tTA\t.\t.\t.", "ENST00000400532", Options{Transcripts: Canonical})
		if f[1] != "stop_gained&frameshift_variant" {
			t.Errorf("JAM2's pick ENST00000400532: %s", f[1])
		}
	})
}

// utrIntronTranscript is the model gene with a third exon, so that the
// second intron (141-170) lies in the 3' UTR.
func utrIntronTranscript() *refdata.Transcript {
	t := modelTranscript(true)
	t.End = 190
	t.Exons = []refdata.Exon{{Start: 21, End: 60}, {Start: 101, End: 140}, {Start: 171, End: 190}}
	return t
}

// Splice terms as VEP 115 gives them on the same transcript and sequence
// (docs/conformance.md has the run): the donor region (intron bases 3-6)
// and the donor's 5th base replace splice_region there, the polypyrimidine
// tract is intron bases 3-17 before the acceptor, a changed donor or
// acceptor site is not also splice_region, and intron_variant needs an
// intron base beyond the 2-base sites.
func TestVEPSpliceZones(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	tr := utrIntronTranscript()
	alt := func(p int) string { return string(other(g[p-1])) }
	for _, c := range []struct {
		name  string
		f     func() (int, string, string)
		terms string
	}{
		{"donor +1", func() (int, string, string) { return snv(g, 61, alt(61)) }, "splice_donor_variant"},
		{"donor +3", func() (int, string, string) { return snv(g, 63, alt(63)) }, "splice_donor_region_variant&intron_variant"},
		{"donor +4", func() (int, string, string) { return snv(g, 64, alt(64)) }, "splice_donor_region_variant&intron_variant"},
		{"donor +5", func() (int, string, string) { return snv(g, 65, alt(65)) }, "splice_donor_5th_base_variant&intron_variant"},
		{"donor +6", func() (int, string, string) { return snv(g, 66, alt(66)) }, "splice_donor_region_variant&intron_variant"},
		{"donor +7", func() (int, string, string) { return snv(g, 67, alt(67)) }, "splice_region_variant&intron_variant"},
		{"donor +8", func() (int, string, string) { return snv(g, 68, alt(68)) }, "splice_region_variant&intron_variant"},
		{"exon -1", func() (int, string, string) { return snv(g, 60, alt(60)) }, "missense_variant&splice_region_variant"},
		{"exon -3", func() (int, string, string) { return snv(g, 58, alt(58)) }, "splice_region_variant&synonymous_variant"},
		{"exon -4", func() (int, string, string) { return snv(g, 57, alt(57)) }, "missense_variant"},
		{"acceptor -3", func() (int, string, string) { return snv(g, 98, alt(98)) }, "splice_region_variant&splice_polypyrimidine_tract_variant&intron_variant"},
		{"acceptor -9", func() (int, string, string) { return snv(g, 92, alt(92)) }, "splice_polypyrimidine_tract_variant&intron_variant"},
		{"acceptor -17", func() (int, string, string) { return snv(g, 84, alt(84)) }, "splice_polypyrimidine_tract_variant&intron_variant"},
		{"acceptor -18", func() (int, string, string) { return snv(g, 83, alt(83)) }, "intron_variant"},
		{"del +1..+3", func() (int, string, string) { return del(g, 61, 3) }, "splice_donor_variant&splice_donor_region_variant&intron_variant"},
		{"del +4..+8", func() (int, string, string) { return del(g, 64, 5) }, "splice_donor_5th_base_variant&intron_variant"},
		// (a base that cannot slide out of the site: GT stays changed)
		{"ins +1/+2", func() (int, string, string) { return ins(g, 61, string(notEither(g[60], g[61]))) }, "splice_donor_variant"},
		{"ins +2/+3", func() (int, string, string) { return ins(g, 62, "T") }, "splice_region_variant&intron_variant"},
		{"ins +3/+4", func() (int, string, string) { return ins(g, 63, "T") }, "splice_donor_region_variant&intron_variant"},
		{"ins +6/+7", func() (int, string, string) { return ins(g, 66, "T") }, "splice_region_variant&intron_variant"},
		{"ins -18/-17", func() (int, string, string) { return ins(g, 83, "T") }, "splice_polypyrimidine_tract_variant&intron_variant"},
		{"ins -3/-2", func() (int, string, string) { return ins(g, 98, "T") }, "splice_region_variant&splice_polypyrimidine_tract_variant&intron_variant"},
		// An insertion at an exon edge inside the 3' UTR, next to the UTR
		// intron, is in the splice region (VEP's _intron_overlap).
		{"ins UTR exon end", func() (int, string, string) { return ins(g, 140, "T") }, "splice_region_variant&3_prime_UTR_variant"},
		{"ins UTR exon start", func() (int, string, string) { return ins(g, 170, "T") }, "splice_region_variant&3_prime_UTR_variant"},
	} {
		pos, r, a := c.f()
		bothStrands(t, g, tr, mk(c.name, pos, r, a, c.terms, "*", "*"))
	}
}

// An "intron" of at most 13 bases is an alignment gap of the model (VEP's
// frameshift intron): a change of its bases is exonic with an unknown
// effect (coding_sequence_variant, as VEP calls it), and it has no splice
// sites or splice region — the exon bases around it are called as coding
// bases only (VEP gives them splice terms from the gap's ends; see
// docs/conformance.md).
func TestVEPShortIntronIsGap(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	for _, gap := range []int{1, 2, 13} {
		tr := modelTranscript(true)
		tr.Exons = []refdata.Exon{{Start: 21, End: 60}, {Start: 61 + gap, End: 150}}
		tr.CDSEnd = 127 + gap - gap%3 // any end: the frame does not matter here
		name := "gap " + itoa(int64(gap))
		pos, r, a := snv(g, 61, string(other(g[60])))
		bothStrands(t, g, tr, mk(name+" snv", pos, r, a, "coding_sequence_variant", "*", ""))
		pos, r, a = del(g, 61, 1)
		bothStrands(t, g, tr, mk(name+" del", pos, r, a, "coding_sequence_variant", "*", ""))
		for _, p := range []int{58, 60, 61 + gap, 63 + gap, 65 + gap} {
			pos, r, a := snv(g, p, string(other(g[p-1])))
			for _, ef := range []effect{runCase(t, newTxModel(tr), memSeq(g), pos, r, a)} {
				got := string(ef.terms.appendTerms(nil))
				if strings.Contains(got, "splice") || strings.Contains(got, "intron") || ef.hgvsP == nil {
					t.Errorf("%s: exon base %d next to the gap: %s %s, want a coding call without splice terms", name, p, got, ef.hgvsP)
				}
			}
		}
	}
	// A 14-base intron is an intron (its +1 is also in the acceptor's
	// polypyrimidine tract, intron bases 3-17 from its end).
	tr := modelTranscript(true)
	tr.Exons = []refdata.Exon{{Start: 21, End: 60}, {Start: 75, End: 150}}
	pos, r, a := snv(g, 61, string(other(g[60])))
	bothStrands(t, g, tr, mk("14-base intron", pos, r, a, "splice_donor_variant&splice_polypyrimidine_tract_variant", "*", ""))
}

// The canonical and mane modes on a gene model without the tags they ask
// for fall back to a documented choice, with a warning in the header and
// the Summary, instead of reporting every variant as intergenic: the other
// tag when the model has it, else one transcript per gene (protein_coding
// with a complete CDS, then the longest CDS, ...).
func TestVEPCanonicalManeWithoutTags(t *testing.T) {
	t.Parallel()
	ref := func(canonical, mane bool) *testRef {
		r := &testRef{names: []string{"m"}, seqs: [][]byte{modelGenome()}}
		short := modelTranscript(true)
		short.ID, short.CDSEnd = "TXSHORT", 131
		short.Exons = []refdata.Exon{{Start: 21, End: 60}, {Start: 101, End: 140}}
		short.End = 140
		long := modelTranscript(true)
		long.ID = "TXLONG"
		nc := modelTranscript(false)
		nc.ID = "TXNC"
		other := modelTranscript(true)
		other.ID, other.GeneID = "TXOTHER", "GENE2"
		short.Canonical, long.MANESelect = canonical, mane
		r.addTranscripts(short, long, nc, other)
		return r
	}
	in := vcfHead + "m\t44\t.\tG\tA\t.\t.\t.\n"
	for _, c := range []struct {
		name           string
		canonical, mne bool
		mode           TranscriptMode
		want           []string // reported transcripts
		warn           string   // part of the warning, "" for none
	}{
		{"canonical, no tags", false, false, Canonical, []string{"TXLONG", "TXOTHER"}, "one transcript per gene"},
		{"mane, no tags", false, false, MANESelect, []string{"TXLONG", "TXOTHER"}, "one transcript per gene"},
		{"canonical, MANE tags only", false, true, Canonical, []string{"TXLONG"}, "reporting the MANE_Select transcripts"},
		{"mane, canonical tags only", true, false, MANESelect, []string{"TXSHORT"}, "reporting the Ensembl_canonical transcripts"},
		{"canonical, tagged", true, false, Canonical, []string{"TXSHORT"}, ""},
		{"mane, tagged", false, true, MANESelect, []string{"TXLONG"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, sum, err := annotateString(t, ref(c.canonical, c.mne), in, Options{Transcripts: c.mode})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range dataLines(out) {
				ann, _ := infoField([]byte(strings.Split(l, "\t")[7]), "ANN")
				for _, e := range strings.Split(string(ann), ",") {
					got = append(got, strings.Split(e, "|")[6])
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("transcripts %v, want %v", got, c.want)
			}
			header := strings.Contains(out, "##gas_transcripts=WARNING: ")
			inSummary := false
			for _, w := range sum.Warnings {
				inSummary = inSummary || (c.warn != "" && strings.Contains(w, c.warn))
			}
			if c.warn == "" && (header || len(sum.Warnings) > 0) {
				t.Errorf("unexpected warning: header %v, summary %v", header, sum.Warnings)
			}
			if c.warn != "" && (!header || !inSummary || !strings.Contains(out, c.warn)) {
				t.Errorf("want warning %q in header and summary; summary %v", c.warn, sum.Warnings)
			}
		})
	}
}

// In-frame length changes are named by VEP's tests on the codons they
// touch: an insertion that keeps the reference residue and adds others is
// inframe_insertion, one that replaces it (CCC > CTT TCC: Pro > Leu-Ser) is
// protein_altering_variant; a deletion is inframe_deletion when whole
// codons' worth of bases go at one place of the touched codons, even when
// the residue left changes (AAA CCC > ACC: Lys-Pro > Thr).
func TestVEPInframeOrProteinAltering(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	tr := modelTranscript(true)
	pos, r, a := ins(g, 53, "TTT")
	bothStrands(t, g, tr, mk("insertion replacing a residue", pos, r, a, "protein_altering_variant", "c.13_14insTTT", "p.Pro5delinsLeuSer"))
	pos, r, a = ins(g, 55, "TGG")
	bothStrands(t, g, tr, mk("insertion between codons", pos, r, a, "inframe_insertion", "c.15_16insTGG", "p.Pro5_Gly6insTrp"))
	pos, r, a = del(g, 51, 3)
	bothStrands(t, g, tr, mk("deletion across codons", pos, r, a, "inframe_deletion", "c.11_13del", "p.Lys4_Pro5delinsThr"))
}

// An insertion right after a stop codon that ends an exon (the 3' UTR
// starting in the next exon) and one right before that UTR exon lie in the
// 3' UTR at an exon edge next to an intron: splice_region_variant and
// 3_prime_UTR_variant (VEP 115 on the same model); one between the last two
// stop codon bases is a frameshift that loses the stop, in the splice region.
func TestVEPInsertionAtStopExonEdge(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	tr := modelTranscript(true)
	tr.End = 190
	tr.Exons = []refdata.Exon{{Start: 21, End: 60}, {Start: 101, End: 131}, {Start: 151, End: 190}}
	pos, r, a := ins(g, 131, "T")
	bothStrands(t, g, tr, mk("after the stop, exon end", pos, r, a, "splice_region_variant&3_prime_UTR_variant", "*", ""))
	pos, r, a = ins(g, 150, "T")
	bothStrands(t, g, tr, mk("before the UTR exon", pos, r, a, "splice_region_variant&3_prime_UTR_variant", "*", ""))
	pos, r, a = ins(g, 130, "T")
	bothStrands(t, g, tr, mk("in the stop codon", pos, r, a, "frameshift_variant&stop_lost&splice_region_variant", "*", "*"))
}
