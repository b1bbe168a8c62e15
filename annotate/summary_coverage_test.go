package annotate

import (
	"strings"
	"testing"
)

// TestCoverageUnknownBases: a record on an N base of a contig with
// sequence (an assembly gap, or the demo's chr21 outside its coding exons)
// counts as without reference sequence, like one on a contig without any:
// its REF is not checked there. Its coverage warning is recognised as one
// (also in the wording of older summaries), and the text summary gives
// the share.
func TestCoverageUnknownBases(t *testing.T) {
	t.Parallel()
	r := modelRef()
	g := r.seqs[0]
	g[119] = 'N' // m:120
	in := vcfHead +
		"m\t44\t.\tG\tA\t.\t.\t.\n" +
		"m\t120\t.\tA\tG\t.\t.\t.\n" + // on the N: any REF passes, counted
		"m\t121\t.\t" + string(g[120]) + "\tG\t.\t.\t.\n" +
		"ns\t44\t.\tG\tA\t.\t.\t.\n"
	_, sum, err := annotateString(t, r, in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 4 || sum.NoSequence != 2 || sum.NoSequenceShare != 0.5 {
		t.Fatalf("records %d, no sequence %d (%v)", sum.Records, sum.NoSequence, sum.NoSequenceShare)
	}
	var cover []string
	for _, w := range sum.Warnings {
		if IsCoverageWarning(w) {
			cover = append(cover, w)
		}
	}
	if len(cover) != 1 || !strings.HasPrefix(cover[0], "2 of 4 records (50.0%) lie where the reference sequence is missing or unknown (N) in bundle test") {
		t.Errorf("coverage warnings: %q", cover)
	}
	if !IsCoverageWarning("3 of 9 records (33.3%) lie on contigs without reference sequence in bundle demo: …") || IsCoverageWarning("contig zz is not in the bundle") {
		t.Error("IsCoverageWarning")
	}
	var txt strings.Builder
	if err := sum.WriteText(&txt); err != nil || !strings.Contains(txt.String(), "records without reference sequence  2 (50.0%)") {
		t.Errorf("text summary: %v\n%s", err, txt.String())
	}
}
