package annotate

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// TestRandomModels runs random alleles over random, partly malformed gene
// models (tiny introns, CDS bounds outside exons, odd phases, incomplete
// flags, both strands) with and without sequence. Nothing may panic, every
// effect must have terms, and HGVS strings must be well-formed.
func TestRandomModels(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	const L = 3000
	g := filler(L, 99)
	// Repeats make shifting and sliding work hard.
	copy(g[1000:1040], strings.Repeat("CA", 20))
	copy(g[1500:1530], strings.Repeat("A", 30))
	var sc scratch
	var seen termSet
	for it := 0; it < 3000; it++ {
		tr := randomTranscript(rng, L)
		m := newTxModel(tr)
		var src seqSource = memSeq(g)
		if it%5 == 0 {
			src = nil
		}
		for k := 0; k < 20; k++ {
			pos := 1 + rng.IntN(L-60)
			var ref, alt string
			switch rng.IntN(4) {
			case 0:
				ref = string(g[pos-1 : pos])
				alt = string("ACGT"[rng.IntN(4)])
			case 1:
				n := 1 + rng.IntN(40)
				ref = string(g[pos-1 : pos+n])
				alt = ref[:1]
			case 2:
				ref = string(g[pos-1 : pos])
				alt = ref + string(filler(1+rng.IntN(12), uint32(it*31+k)))
			default:
				n := 1 + rng.IntN(6)
				ref = string(g[pos-1 : pos-1+n])
				alt = string(filler(1+rng.IntN(6), uint32(it*17+k)))
			}
			v, ok := normalise(pos, []byte(ref), []byte(alt))
			if !ok {
				continue
			}
			sc.arena = sc.arena[:0]
			var ef effect
			sc.compute(m, &v, src, &ef)
			if ef.terms.empty() {
				continue // far outside the transcript: not reported
			}
			if c := string(ef.hgvsC); c != "" && !strings.HasPrefix(c, "c.") && !strings.HasPrefix(c, "n.") {
				t.Fatalf("bad HGVS.c %q for %d %s>%s on %+v", c, pos, ref, alt, tr)
			}
			if p := string(ef.hgvsP); p != "" && !strings.HasPrefix(p, "p.") {
				t.Fatalf("bad HGVS.p %q", p)
			}
			_ = appendEntry(nil, []byte(alt), &ef)
			seen |= ef.terms
		}
	}
	// The random models must reach the codon-level classes, or the test
	// proves little.
	for _, want := range []term{soMissense, soFrameshift, soSpliceDonor, soStopGained, soInframeDeletion, soStartLost, soCodingSequence, soUTR5} {
		if !seen.has(want) {
			t.Errorf("random models never produced %s", want)
		}
	}
}

func randomTranscript(rng *rand.Rand, L int) *refdata.Transcript {
	n := 1 + rng.IntN(6)
	var cuts []int
	for len(cuts) < 2*n {
		cuts = append(cuts, 50+rng.IntN(L-100))
	}
	sort.Ints(cuts)
	var ex []refdata.Exon
	for i := 0; i+1 < len(cuts); i += 2 {
		s, e := cuts[i], cuts[i+1]
		if len(ex) > 0 && s <= ex[len(ex)-1].End {
			s = ex[len(ex)-1].End + 1 // touching exons: a zero-length intron
		}
		if e < s {
			e = s
		}
		ex = append(ex, refdata.Exon{Start: s, End: e})
	}
	t := &refdata.Transcript{ID: "R", GeneID: "G", Biotype: "protein_coding", Strand: refdata.Forward,
		Start: ex[0].Start, End: ex[len(ex)-1].End, Exons: ex}
	if rng.IntN(2) == 0 {
		t.Strand = refdata.Reverse
	}
	if rng.IntN(5) > 0 {
		a, b := t.Start+rng.IntN(t.End-t.Start+1), t.Start+rng.IntN(t.End-t.Start+1)
		if a > b {
			a, b = b, a
		}
		t.CDSStart, t.CDSEnd = a, b
		t.Phase = rng.IntN(4) - 1 // includes invalid -1 and 2
		t.StartIncomplete = rng.IntN(3) == 0
		t.EndIncomplete = rng.IntN(3) == 0
		if rng.IntN(6) == 0 {
			// Coding parts of a ribosomal slip: the second part starts one
			// base before (a -1 slip), at, or after the end of the first,
			// across introns or not.
			mid := a + rng.IntN(b-a+1)
			bs := min(max(mid-1+rng.IntN(4), a), b)
			t.CDS = []refdata.CDSPart{{Start: a, End: mid}, {Start: bs, End: b}}
		}
	}
	return t
}
