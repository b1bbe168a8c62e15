package annotate

import "testing"

// The placement rule (docs/annotation.md, "Where an indel is called"): an
// indel is called where it is written, except that a splice site or exon
// junction the sequence change need not touch is not reported changed.
// Each case is checked on the model gene and on its mirror image.
func TestPlacementRule(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	g[59] = 'G' // c.20 = G, so the exon ends G and the intron starts GT
	fwd := modelTranscript(true)
	rg, rev := mirror(g, fwd)
	var cases []csqCase
	add := func(name string, pos int, r, a, terms, c, p string) {
		cases = append(cases, mk(name, pos, r, a, terms, c, p))
	}
	// Deleting the G of the donor GT is the same change as deleting the last
	// exon base G: the donor stays GT, the exon loses a base.
	pos, r, a := del(g, 61, 1)
	add("deletion written on the donor", pos, r, a, "frameshift_variant&splice_region_variant", "c.20del", "p.*")
	pos, r, a = del(g, 60, 1)
	add("same deletion written in the exon", pos, r, a, "frameshift_variant&splice_region_variant", "c.20del", "p.*")
	// TG inserted between the G and T of the donor equals GT inserted after
	// it: the donor is intact, the splice region changes.
	pos, r, a = ins(g, 61, "TG")
	add("insertion written inside the donor", pos, r, a, "splice_region_variant&intron_variant", "c.20+1_20+2dup", "")
	// A change of the donor with no equivalent clear of it stays a donor
	// change.
	add("donor substitution", 62, "T", "A", "splice_donor_variant", "c.20+2T>A", "")
	for _, c := range cases {
		t.Run(c.name+"/forward", func(t *testing.T) {
			check(t, c, runCase(t, newTxModel(fwd), memSeq(g), c.pos, c.ref, c.alt))
		})
		t.Run(c.name+"/reverse", func(t *testing.T) {
			p, r, a := mirrorVariant(g, c.pos, c.ref, c.alt)
			check(t, c, runCase(t, newTxModel(rev), memSeq(rg), p, r, a))
		})
	}
}

// At the start codon the rule is VEP's: the allele as written decides which
// parts (5' UTR, start codon) it touches, and one touching the start codon
// whose transcript still carries the whole CDS is start_retained_variant.
func TestPlacementAtTheStartCodon(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	g[38], g[39] = 'C', 'A' // c.-2 C, c.-1 A, then ATG
	fwd := modelTranscript(true)
	rg, rev := mirror(g, fwd)
	var cases []csqCase
	pos, r, a := del(g, 40, 1)
	cases = append(cases, mk("written in the UTR", pos, r, a, "5_prime_UTR_variant", "c.1del", ""))
	pos, r, a = del(g, 41, 1)
	cases = append(cases, mk("written on the codon", pos, r, a, "start_retained_variant", "c.1del", "p.Met1="))
	// c.-1 and c.1 (AA) deleted: CA|ATG becomes C|TG, no equivalent
	// placement keeps ATG, so the start is lost.
	pos, r, a = del(g, 40, 2)
	cases = append(cases, mk("UTR and codon, start lost", pos, r, a, "start_lost&5_prime_UTR_variant", "c.-1_1del", ""))
	// Deleting the G of ATG|GCT is deleting the G after it: the ATG stays,
	// the frame shifts from codon 2 (the CDS side of the same rule).
	pos, r, a = del(g, 43, 1)
	cases = append(cases, mk("frameshift written on the codon", pos, r, a, "frameshift_variant", "c.4del", "p.Ala2*"))
	pos, r, a = del(g, 42, 1)
	cases = append(cases, mk("frameshift that breaks ATG", pos, r, a, "start_lost", "c.2del", "p.Met1?"))
	for _, c := range cases {
		t.Run(c.name+"/forward", func(t *testing.T) {
			check(t, c, runCase(t, newTxModel(fwd), memSeq(g), c.pos, c.ref, c.alt))
		})
		t.Run(c.name+"/reverse", func(t *testing.T) {
			p, r, a := mirrorVariant(g, c.pos, c.ref, c.alt)
			check(t, c, runCase(t, newTxModel(rev), memSeq(rg), p, r, a))
		})
	}
}

// An insertion written in the stop codon that only adds bases after it
// (TAA>TAACAA: TAA then CAA) keeps the protein: stop_retained_variant with
// the in-frame term of the codon change, as VEP and bcftools report it.
func TestStopRetainedInsertion(t *testing.T) {
	t.Parallel()
	g := modelGenome()
	fwd := modelTranscript(true)
	rg, rev := mirror(g, fwd)
	pos, r, a := ins(g, 129, "AAC")
	c := mk("insertion in the stop codon", pos, r, a, "inframe_insertion&stop_retained_variant", "c.50_*1dup", "p.Ter17=")
	check(t, c, runCase(t, newTxModel(fwd), memSeq(g), c.pos, c.ref, c.alt))
	p, mr, ma := mirrorVariant(g, c.pos, c.ref, c.alt)
	check(t, c, runCase(t, newTxModel(rev), memSeq(rg), p, mr, ma))
}
