package annotate

import (
	"testing"

	"github.com/gas-project/gas/refdata"
)

// A -1 ribosomal slip, as in SARS-CoV-2 ORF1ab, on a 120 bp contig: one exon
// 21-100 and two coding parts, 31-60 (codons 1-10, M A W K P G F Q D D) and
// 60-86 (codons 11-19, L K S C V W N Y *), so base 60 is the last base of
// codon 10 (GAC) and the first of codon 11 (CTG).
const (
	slipA = "ATGGCTTGGAAACCCGGGTTTCAGGATGAC"
	slipB = "CTGAAATCGTGCGTCTGGAACTACTAA"
)

// slipModel returns the genome and transcript of the slip; plusOne instead
// skips base 61 (a +1 slip: parts 31-60 and 62-88, same codons).
func slipModel(plusOne bool) ([]byte, *refdata.Transcript) {
	g := filler(120, 11)
	copy(g[30:60], slipA)
	t := &refdata.Transcript{
		ID: "SLIP1", GeneID: "G", GeneName: "ORF", Biotype: "protein_coding",
		Strand: refdata.Forward, Start: 21, End: 100,
		Exons: []refdata.Exon{{Start: 21, End: 100}}, CDSStart: 31, CDSEnd: 86,
		CDS: []refdata.CDSPart{{Start: 31, End: 60}, {Start: 60, End: 86}},
	}
	if plusOne {
		g[60] = 'T'
		copy(g[61:88], slipB)
		t.CDSEnd = 88
		t.CDS = []refdata.CDSPart{{Start: 31, End: 60}, {Start: 62, End: 88}}
	} else {
		copy(g[59:86], slipB)
	}
	return g, t
}

func TestRibosomalSlipBothStrands(t *testing.T) {
	t.Parallel()
	g, fwd := slipModel(false)
	rg, rev := mirror(g, fwd)
	cases := []csqCase{
		// The base read twice changes both codons it belongs to.
		mk("slip base", 60, "C", "G", "missense_variant", "c.30C>G", "p.Asp10_Leu11delinsGluVal"),
		mk("slip base synonymous", 60, "C", "T", "synonymous_variant", "c.30C>T", "p.Asp10="),
		mk("before the slip", 34, "G", "A", "missense_variant", "c.4G>A", "p.Ala2Thr"),
		// After the slip, c. numbering counts transcript bases (c.40) while
		// the codon is the 14th of the protein: base 70 is its second base.
		mk("after the slip", 70, "G", "A", "missense_variant", "c.40G>A", "p.Cys14Tyr"),
		mk("stop retained", 85, "A", "G", "stop_retained_variant", "c.55A>G", "p.Ter19="),
	}
	pos, r, a := del(g, 63, 3)
	cases = append(cases, mk("inframe deletion after the slip", pos, r, a, "inframe_deletion", "c.33_35del", "p.Lys12del"))
	pos, r, a = del(g, 66, 1)
	cases = append(cases, mk("frameshift after the slip", pos, r, a, "frameshift_variant", "c.36del", "p.Ser13*"))
	// An indel across the slip site moves the site: no codon can be named.
	pos, r, a = del(g, 60, 2)
	cases = append(cases, mk("deletion across the slip", pos, r, a, "coding_sequence_variant", "c.30_31del", ""))
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

func TestRibosomalSlipPlusOne(t *testing.T) {
	t.Parallel()
	g, fwd := slipModel(true)
	rg, rev := mirror(g, fwd)
	cases := []csqCase{
		// The skipped base is not translated: no codon to name.
		mk("skipped base", 61, "T", "A", "coding_sequence_variant", "c.31T>A", ""),
		// Base 72 is c.42 but the second base of codon 14 (TGC).
		mk("after the slip", 72, "G", "A", "missense_variant", "c.42G>A", "p.Cys14Tyr"),
		mk("last codon before the slip", 60, "C", "G", "missense_variant", "c.30C>G", "p.Asp10Glu"),
	}
	for _, c := range cases {
		check(t, c, runCase(t, newTxModel(fwd), memSeq(g), c.pos, c.ref, c.alt))
		p, r, a := mirrorVariant(g, c.pos, c.ref, c.alt)
		check(t, c, runCase(t, newTxModel(rev), memSeq(rg), p, r, a))
	}
}

// The protein length counts translated bases: 19 codons with the stop, 18
// residues, although the coding region spans 56 transcript bases.
func TestRibosomalSlipLengths(t *testing.T) {
	t.Parallel()
	_, fwd := slipModel(false)
	m := newTxModel(fwd)
	if m.cdsLen != 57 || m.cdsE-m.cdsS+1 != 56 {
		t.Errorf("cdsLen %d over %d transcript bases, want 57 over 56", m.cdsLen, m.cdsE-m.cdsS+1)
	}
	if q, ok := m.cdsQ(m.cdsS + 29); !ok || q != 30 {
		t.Errorf("slip base: first translated position %d %v, want 30", q, ok)
	}
	if q, ok := m.cdsQ(m.cdsS + 39); !ok || q != 41 {
		t.Errorf("base after the slip: translated position %d %v, want 41", q, ok)
	}
	// A part outside the exons cannot be mapped: the transcript is treated
	// as non-coding rather than translated wrongly.
	bad := *fwd
	bad.CDS = []refdata.CDSPart{{Start: 31, End: 60}, {Start: 60, End: 120}}
	if newTxModel(&bad).coding {
		t.Error("a coding part beyond the exons was accepted")
	}
}
