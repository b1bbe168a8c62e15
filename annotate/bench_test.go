package annotate

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/internal/synth"
	"github.com/gas-project/gas/refdata"
)

// synthBundle generates a deterministic genome, gene model, variants, known
// variants and two tracks, and builds a bundle from them.
func synthBundle(tb testing.TB, variants int) (*refdata.Bundle, []byte) {
	tb.Helper()
	dir := tb.TempDir()
	src := filepath.Join(dir, "src")
	_, err := synth.Generate(context.Background(), synth.Options{
		Seed: 1, Chroms: 2, ChromLen: 2_000_000, Genes: 200, Variants: variants, Known: variants,
		Tracks: []synth.TrackSpec{{Name: "cpg", Intervals: 100}, {Name: "seg", Intervals: 3000}}, OutDir: src,
	})
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, "bundle")
	_, err = refdata.Build(context.Background(), refdata.BuildOptions{
		Name: "synth", Assembly: "synthetic", Genes: filepath.Join(src, synth.GFFFile), FASTA: filepath.Join(src, synth.FASTAFile),
		KnownVariants: filepath.Join(src, synth.KnownFile),
		Tracks:        []refdata.Track{{Name: "cpg", Path: filepath.Join(src, "cpg.bed")}, {Name: "seg", Path: filepath.Join(src, "seg.bed")}},
		Out:           out,
	})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := refdata.Open(out)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	in, err := os.ReadFile(filepath.Join(src, synth.VariantsFile))
	if err != nil {
		tb.Fatal(err)
	}
	return b, in
}

// BenchmarkAnnotate measures whole-pipeline throughput (parse, consequences,
// known variants, two tracks, output) on a generated input; it reports
// records/s.
func BenchmarkAnnotate(b *testing.B) {
	const n = 50_000
	bundle, in := synthBundle(b, n)
	for _, bgzf := range []bool{false, true} {
		name := "plain"
		if bgzf {
			name = "bgzf"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for i := 0; i < b.N; i++ {
				if _, err := Annotate(context.Background(), bytes.NewReader(in), io.Discard, bundle, Options{BGZF: bgzf}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// TestSynthetic annotates a generated input end to end: every record comes
// out, in order, with an ANN field, and the summary adds up.
func TestSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and builds a bundle; skipped with -short")
	}
	t.Parallel()
	bundle, in := synthBundle(t, 5000)
	var out bytes.Buffer
	sum, err := Annotate(context.Background(), bytes.NewReader(in), &out, bundle, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	lines := dataLines(out.String())
	if len(lines) != 5000 || sum.Records != 5000 {
		t.Fatalf("%d lines, %d records", len(lines), sum.Records)
	}
	inLines := dataLines(string(in))
	for i := range lines {
		if !strings.HasPrefix(lines[i], strings.Join(strings.Split(inLines[i], "\t")[:2], "\t")+"\t") {
			t.Fatalf("line %d out of order", i)
		}
		if !strings.Contains(infoOf(lines[i]), "ANN=") {
			t.Fatalf("line %d has no ANN: %s", i, lines[i])
		}
	}
	if sum.Known == 0 || sum.Novel == 0 || sum.Consequences["missense_variant"] == 0 || sum.Consequences["frameshift_variant"] == 0 {
		t.Errorf("summary: known %d novel %d consequences %v", sum.Known, sum.Novel, sum.Consequences)
	}
	var total int64
	for _, n := range sum.Impacts {
		total += n
	}
	if total != sum.Annotated {
		t.Errorf("impacts sum to %d, annotated alleles %d", total, sum.Annotated)
	}
}
