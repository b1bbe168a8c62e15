package annotate

import (
	"strings"
	"testing"
)

// memSeq is a whole contig in memory.
type memSeq []byte

func (m memSeq) Seq(s, e int) ([]byte, error) {
	if s < 1 || e > len(m) || e < s-1 {
		return nil, errNoSequence
	}
	return m[s-1 : e], nil
}

type csqCase struct {
	name     string
	pos      int // forward-strand VCF position
	ref, alt string
	terms    string
	hgvsC    string
	hgvsP    string // a trailing '*' means "starts with"
}

// vcfAllele builds a VCF allele on genome g: kind "snv" (alt base at pos),
// "mnv" (alt bases from pos), "del" (n bases deleted starting at pos) or
// "ins" (seq inserted after pos).
func snv(g []byte, pos int, alt string) (int, string, string) {
	return pos, string(g[pos-1 : pos-1+len(alt)]), alt
}

func del(g []byte, pos, n int) (int, string, string) {
	return pos - 1, string(g[pos-2 : pos-1+n]), string(g[pos-2 : pos-1])
}

func ins(g []byte, after int, seq string) (int, string, string) {
	return after, string(g[after-1 : after]), string(g[after-1:after]) + seq
}

func mk(name string, p int, r, a string, terms, c, pr string) csqCase {
	return csqCase{name: name, pos: p, ref: r, alt: a, terms: terms, hgvsC: c, hgvsP: pr}
}

func modelCases(g []byte) []csqCase {
	var cs []csqCase
	add := func(name string, f func() (int, string, string), terms, c, p string) {
		pos, r, a := f()
		cs = append(cs, mk(name, pos, r, a, terms, c, p))
	}
	add("missense", func() (int, string, string) { return snv(g, 44, "A") }, "missense_variant", "c.4G>A", "p.Ala2Thr")
	add("synonymous", func() (int, string, string) { return snv(g, 46, "C") }, "synonymous_variant", "c.6T>C", "p.Ala2=")
	add("stop_gained", func() (int, string, string) { return snv(g, 49, "A") }, "stop_gained", "c.9G>A", "p.Trp3Ter")
	add("start_lost", func() (int, string, string) { return snv(g, 42, "C") }, "start_lost", "c.2T>C", "p.Met1?")
	add("stop_lost", func() (int, string, string) { return snv(g, 129, "C") }, "stop_lost", "c.49T>C", "p.Ter17GlnextTer*")
	add("stop_retained", func() (int, string, string) { return snv(g, 131, "G") }, "stop_retained_variant", "c.51A>G", "p.Ter17=")
	add("frameshift", func() (int, string, string) { return del(g, 50, 1) }, "frameshift_variant", "c.12del", "p.Lys4AsnfsTer*")
	add("frameshift_ins", func() (int, string, string) { return ins(g, 110, "C") }, "frameshift_variant", "c.30dup", "p.*")
	add("inframe_deletion", func() (int, string, string) { return del(g, 53, 3) }, "inframe_deletion", "c.13_15del", "p.Pro5del")
	add("inframe_deletion_delins", func() (int, string, string) { return del(g, 54, 3) }, "inframe_deletion", "c.14_16del", "p.Pro5_Gly6delinsArg")
	add("inframe_insertion", func() (int, string, string) { return ins(g, 55, "TGG") }, "inframe_insertion", "c.15_16insTGG", "p.Pro5_Gly6insTrp")
	add("inframe_insertion_dup", func() (int, string, string) { return ins(g, 55, "GGA") }, "inframe_insertion", "c.17_18insAGG", "p.Gly6dup")
	add("mnv_missense", func() (int, string, string) { return snv(g, 44, "TA") }, "missense_variant", "c.4_5delinsTA", "p.Ala2Tyr")
	add("mnv_two_codons", func() (int, string, string) { return snv(g, 46, "CA") }, "missense_variant", "c.6_7delinsCA", "p.Trp3Arg")
	add("utr5", func() (int, string, string) { return snv(g, 30, string(other(g[29]))) }, "5_prime_UTR_variant", "c.-11"+string(g[29])+">"+string(other(g[29])), "")
	add("utr3", func() (int, string, string) { return snv(g, 136, string(other(g[135]))) }, "3_prime_UTR_variant", "c.*5"+string(g[135])+">"+string(other(g[135])), "")
	add("intron", func() (int, string, string) { return snv(g, 75, string(other(g[74]))) }, "intron_variant", "c.20+15"+string(g[74])+">"+string(other(g[74])), "")
	add("intron_minus", func() (int, string, string) { return snv(g, 90, string(other(g[89]))) }, "splice_polypyrimidine_tract_variant&intron_variant", "c.21-11"+string(g[89])+">"+string(other(g[89])), "")
	add("splice_donor", func() (int, string, string) { return snv(g, 61, "A") }, "splice_donor_variant", "c.20+1G>A", "")
	add("splice_donor2", func() (int, string, string) { return snv(g, 62, "A") }, "splice_donor_variant", "c.20+2T>A", "")
	add("splice_acceptor", func() (int, string, string) { return snv(g, 100, "A") }, "splice_acceptor_variant", "c.21-1G>A", "")
	add("splice_acceptor2", func() (int, string, string) { return snv(g, 99, "G") }, "splice_acceptor_variant", "c.21-2A>G", "")
	add("splice_region_intronic", func() (int, string, string) { return snv(g, 64, string(other(g[63]))) }, "splice_donor_region_variant&intron_variant", "c.20+4*", "")
	add("splice_donor_5th", func() (int, string, string) { return snv(g, 65, string(other(g[64]))) }, "splice_donor_5th_base_variant&intron_variant", "c.20+5*", "")
	add("splice_region_8", func() (int, string, string) { return snv(g, 68, string(other(g[67]))) }, "splice_region_variant&intron_variant", "c.20+8*", "")
	add("intron_9", func() (int, string, string) { return snv(g, 69, string(other(g[68]))) }, "intron_variant", "c.20+9*", "")
	add("splice_region_exonic", func() (int, string, string) { return snv(g, 58, "A") }, "splice_region_variant&synonymous_variant", "c.18G>A", "p.Gly6=")
	// TG at c.20/c.20+1 is the same change as deleting the GT of the donor.
	add("junction_del_slides", func() (int, string, string) { return del(g, 60, 2) }, "splice_donor_variant", "c.20+*", "")
	// The model's 3' UTR after TAA: ...C and filler; TAA>TAC read on until the
	// next in-frame stop of the tail (or the end of the transcript).
	add("upstream", func() (int, string, string) { return snv(g, 10, string(other(g[9]))) }, "upstream_gene_variant", "c.-31"+string(g[9])+">"+string(other(g[9])), "")
	// An insertion right before the first transcribed base is upstream, and
	// HGVS numbering runs on before it (no 3' shift outside the transcript).
	upIns := string(notEither(g[19], g[20]))
	add("upstream_ins", func() (int, string, string) { return ins(g, 20, upIns) }, "upstream_gene_variant", "c.-21_-20ins"+upIns, "")
	add("downstream", func() (int, string, string) { return snv(g, 180, string(other(g[179]))) }, "downstream_gene_variant", "c.*49"+string(g[179])+">"+string(other(g[179])), "")
	return cs
}

// notEither returns a base different from a and b.
func notEither(a, b byte) byte {
	for _, c := range []byte("ACGT") {
		if c != a && c != b {
			return c
		}
	}
	return 'N'
}

// other returns a different base.
func other(b byte) byte {
	if b == 'A' {
		return 'C'
	}
	return 'A'
}

func runCase(t *testing.T, m *txModel, src seqSource, pos int, ref, alt string) effect {
	t.Helper()
	v, ok := normalise(pos, []byte(ref), []byte(alt))
	if !ok {
		t.Fatalf("allele %d %s>%s normalises to nothing", pos, ref, alt)
	}
	var sc scratch
	var ef effect
	sc.compute(m, &v, src, &ef)
	return ef
}

func matchPattern(got, want string) bool {
	if strings.HasSuffix(want, "*") {
		return strings.HasPrefix(got, strings.TrimSuffix(want, "*"))
	}
	return got == want
}

// TestConsequencesBothStrands checks every consequence class on the model
// gene and on its mirror image on the reverse strand, where the transcript
// sees exactly the same sequence.
func TestConsequencesBothStrands(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	fwd := modelTranscript(true)
	rg, rev := mirror(g, fwd)
	for _, c := range modelCases(g) {
		t.Run(c.name+"/forward", func(t *testing.T) {
			ef := runCase(t, newTxModel(fwd), memSeq(g), c.pos, c.ref, c.alt)
			check(t, c, ef)
		})
		t.Run(c.name+"/reverse", func(t *testing.T) {
			p, r, a := mirrorVariant(g, c.pos, c.ref, c.alt)
			ef := runCase(t, newTxModel(rev), memSeq(rg), p, r, a)
			check(t, c, ef)
		})
	}
}

func check(t *testing.T, c csqCase, ef effect) {
	t.Helper()
	if got := string(ef.terms.appendTerms(nil)); got != c.terms {
		t.Errorf("terms = %s, want %s", got, c.terms)
	}
	if !matchPattern(string(ef.hgvsC), c.hgvsC) {
		t.Errorf("HGVS.c = %q, want %q", ef.hgvsC, c.hgvsC)
	}
	if !matchPattern(string(ef.hgvsP), c.hgvsP) {
		t.Errorf("HGVS.p = %q, want %q", ef.hgvsP, c.hgvsP)
	}
}

func TestNonCodingTranscript(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	nc := modelTranscript(false)
	rg, rnc := mirror(g, nc)
	cases := []csqCase{
		mk("exon", 44, string(g[43]), "T", "non_coding_transcript_exon_variant", "n.24"+string(g[43])+">T", ""),
		mk("intron", 75, string(g[74]), string(other(g[74])), "intron_variant&non_coding_transcript_variant", "n.40+15*", ""),
	}
	for _, c := range cases {
		check(t, c, runCase(t, newTxModel(nc), memSeq(g), c.pos, c.ref, c.alt))
		p, r, a := mirrorVariant(g, c.pos, c.ref, c.alt)
		check(t, c, runCase(t, newTxModel(rnc), memSeq(rg), p, r, a))
	}
}

// Without sequence the positional terms stay, codon effects become
// coding_sequence_variant with a warning.
func TestNoSequence(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	m := newTxModel(modelTranscript(true))
	ef := runCase(t, m, nil, 44, "G", "A")
	if got := string(ef.terms.appendTerms(nil)); got != "coding_sequence_variant" {
		t.Errorf("terms = %s", got)
	}
	if ef.warn != warnNoSequence {
		t.Errorf("warning = %q", ef.warn)
	}
	if string(ef.hgvsC) != "c.4G>A" {
		t.Errorf("HGVS.c = %q", ef.hgvsC)
	}
	ef = runCase(t, m, nil, 61, string(g[60]), "A")
	if got := string(ef.terms.appendTerms(nil)); got != "splice_donor_variant" {
		t.Errorf("donor without sequence: terms = %s", got)
	}
}

// A 5'-incomplete CDS (phase 1) numbers codons as the Ensembl protein does:
// the partial first codon, padded with Ns, is residue 1 (an X), so the first
// complete codon is residue 2; a substitution in the partial codon is
// coding_sequence_variant.
func TestIncompleteCDS(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	tr := modelTranscript(true)
	tr.CDSStart = 40 // one extra base before ATG: phase 1
	tr.Phase = 1
	tr.StartIncomplete = true
	m := newTxModel(tr)
	ef := runCase(t, m, memSeq(g), 40, string(g[39]), "A")
	if got := string(ef.terms.appendTerms(nil)); got != "coding_sequence_variant" {
		t.Errorf("partial codon: terms = %s", got)
	}
	ef = runCase(t, m, memSeq(g), 44, "G", "A")
	if got := string(ef.terms.appendTerms(nil)); got != "missense_variant" || string(ef.hgvsP) != "p.Ala3Thr" {
		t.Errorf("after partial codon: %s %s", got, ef.hgvsP)
	}
	// No start_lost on an incomplete CDS: the ATG here is not the start.
	ef = runCase(t, m, memSeq(g), 42, "T", "C")
	if ef.terms.has(soStartLost) {
		t.Errorf("start_lost on a 5'-incomplete CDS")
	}
}

// HGVS 3' shifting: a deletion in a repeat is named at its 3'-most position
// in transcript orientation, and an insertion repeating the previous bases is
// a dup.
func TestHGVSShift(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	fwd := modelTranscript(true)
	// AAA at c.10-12: deleting any A is c.12del.
	for _, p := range []int{50, 51, 52} {
		pos, r, a := del(g, p, 1)
		ef := runCase(t, newTxModel(fwd), memSeq(g), pos, r, a)
		if string(ef.hgvsC) != "c.12del" {
			t.Errorf("del at %d: HGVS.c %q, want c.12del", p, ef.hgvsC)
		}
	}
	// Inserting an A after c.10 is a dup of c.12.
	pos, r, a := ins(g, 50, "A")
	ef := runCase(t, newTxModel(fwd), memSeq(g), pos, r, a)
	if string(ef.hgvsC) != "c.12dup" {
		t.Errorf("ins A in AAA: HGVS.c %q, want c.12dup", ef.hgvsC)
	}
	// The same on the reverse strand: the shift goes to lower coordinates.
	rg, rev := mirror(g, fwd)
	for _, p := range []int{50, 51, 52} {
		dp, dr, da := del(g, p, 1)
		mp, mr, ma := mirrorVariant(g, dp, dr, da)
		ef := runCase(t, newTxModel(rev), memSeq(rg), mp, mr, ma)
		if string(ef.hgvsC) != "c.12del" {
			t.Errorf("reverse del %d: HGVS.c %q, want c.12del", p, ef.hgvsC)
		}
	}
}

func TestNormalise(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pos      int
		ref, alt string
		wp, we   int
		wr, wa   string
	}{
		{10, "A", "G", 10, 10, "A", "G"},
		{10, "AT", "A", 11, 11, "T", ""},
		{10, "A", "AT", 11, 10, "", "T"},
		{10, "CAGGTGGCCAG", "CAGGTGAG", 16, 18, "GCC", ""},
		{1, "T", "TTAAT", 2, 1, "", "TAAT"},
		{10, "ATG", "AAG", 11, 11, "T", "A"},
	} {
		v, ok := normalise(c.pos, []byte(c.ref), []byte(c.alt))
		if !ok || v.pos != c.wp || v.end != c.we || string(v.ref) != c.wr || string(v.alt) != c.wa {
			t.Errorf("normalise(%d,%s,%s) = %d-%d %s>%s", c.pos, c.ref, c.alt, v.pos, v.end, v.ref, v.alt)
		}
	}
	if _, ok := normalise(5, []byte("AC"), []byte("AC")); ok {
		t.Errorf("REF == ALT should normalise to nothing")
	}
}

// A lost stop codon reads on into the 3' UTR up to the next stop: TAA>CAA
// followed by GCC AAA TAG gives Gln, Ala, Lys, then the stop at *3.
func TestStopLostExtension(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	copy(g[131:140], "GCCAAATAG")
	fwd := modelTranscript(true)
	ef := runCase(t, newTxModel(fwd), memSeq(g), 129, "T", "C")
	if string(ef.hgvsP) != "p.Ter17GlnextTer3" {
		t.Errorf("forward: HGVS.p %q, want p.Ter17GlnextTer3", ef.hgvsP)
	}
	rg, rev := mirror(g, fwd)
	p, r, a := mirrorVariant(g, 129, "T", "C")
	ef = runCase(t, newTxModel(rev), memSeq(rg), p, r, a)
	if string(ef.hgvsP) != "p.Ter17GlnextTer3" {
		t.Errorf("reverse: HGVS.p %q, want p.Ter17GlnextTer3", ef.hgvsP)
	}
}

// Deleting the A of ATG after an A leaves ATG in place: the start is
// retained, on both strands.
func TestStartRetained(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	g[39] = 'A' // c.-1
	fwd := modelTranscript(true)
	pos, r, a := del(g, 41, 1)
	ef := runCase(t, newTxModel(fwd), memSeq(g), pos, r, a)
	if got := string(ef.terms.appendTerms(nil)); got != "start_retained_variant" {
		t.Errorf("forward: terms %s", got)
	}
	rg, rev := mirror(g, fwd)
	mp, mr, ma := mirrorVariant(g, pos, r, a)
	ef = runCase(t, newTxModel(rev), memSeq(rg), mp, mr, ma)
	if got := string(ef.terms.appendTerms(nil)); got != "start_retained_variant" {
		t.Errorf("reverse: terms %s", got)
	}
	// Deleting the T instead breaks the start codon.
	pos, r, a = del(g, 42, 1)
	ef = runCase(t, newTxModel(fwd), memSeq(g), pos, r, a)
	if got := string(ef.terms.appendTerms(nil)); got != "start_lost" || string(ef.hgvsP) != "p.Met1?" {
		t.Errorf("start codon deletion: %s %s", got, ef.hgvsP)
	}
}

// An in-frame insertion creating a stop is stop_gained and
// inframe_insertion; an NMD transcript adds NMD_transcript_variant.
func TestStopGainedIndelAndNMD(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	tr := modelTranscript(true)
	tr.Biotype = "nonsense_mediated_decay"
	pos, r, a := ins(g, 55, "TAA")
	ef := runCase(t, newTxModel(tr), memSeq(g), pos, r, a)
	if got := string(ef.terms.appendTerms(nil)); got != "stop_gained&inframe_insertion&NMD_transcript_variant" {
		t.Errorf("terms %s", got)
	}
	if string(ef.hgvsP) != "p.Gly6Ter" { // the protein now ends after Pro5
		t.Errorf("HGVS.p %s", ef.hgvsP)
	}
}

// Deleting one Leu from Leu-Leu-Leu is named at the last one (HGVS 3' rule)
// at both DNA and protein level, whichever copy the VCF deletes.
func TestProteinThreePrimeRule(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	copy(g[49:58], "CTGCTGCTG") // c.10-c.18: Leu4 Leu5 Leu6
	fwd := modelTranscript(true)
	rg, rev := mirror(g, fwd)
	for _, p := range []int{50, 53, 56} {
		pos, r, a := del(g, p, 3)
		ef := runCase(t, newTxModel(fwd), memSeq(g), pos, r, a)
		if string(ef.hgvsC) != "c.16_18del" || string(ef.hgvsP) != "p.Leu6del" {
			t.Errorf("forward del at %d: %s %s", p, ef.hgvsC, ef.hgvsP)
		}
		mp, mr, ma := mirrorVariant(g, pos, r, a)
		ef = runCase(t, newTxModel(rev), memSeq(rg), mp, mr, ma)
		if string(ef.hgvsC) != "c.16_18del" || string(ef.hgvsP) != "p.Leu6del" {
			t.Errorf("reverse del at %d: %s %s", p, ef.hgvsC, ef.hgvsP)
		}
	}
	pos, r, a := ins(g, 49, "CTG")
	ef := runCase(t, newTxModel(fwd), memSeq(g), pos, r, a)
	if string(ef.hgvsC) != "c.16_18dup" || string(ef.hgvsP) != "p.Leu6dup" {
		t.Errorf("insertion: %s %s", ef.hgvsC, ef.hgvsP)
	}
}

// An in-frame deletion of the stop codon is stop_lost and inframe_deletion
// (VEP's codon-based inframe_deletion does not give way to stop_lost), on
// both strands.
func TestStopLostInframeDeletion(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	fwd := modelTranscript(true)
	rg, rev := mirror(g, fwd)
	pos, r, a := del(g, 129, 3)
	c := mk("stop codon deleted", pos, r, a, "stop_lost&inframe_deletion", "c.49_51del", "p.Ter17*")
	check(t, c, runCase(t, newTxModel(fwd), memSeq(g), c.pos, c.ref, c.alt))
	p, mr, ma := mirrorVariant(g, c.pos, c.ref, c.alt)
	check(t, c, runCase(t, newTxModel(rev), memSeq(rg), p, mr, ma))
}
