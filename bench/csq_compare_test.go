package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/synth"
	"github.com/gas-project/gas/refdata"
)

// agreementBar is the share of in-transcript records on which the engine
// and bcftools csq -l must name the same consequence classes (issue 2).
const agreementBar = 99.0

// envInt reads a positive integer override from the environment.
func envInt(t *testing.T, key string, def int) int {
	t.Helper()
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", key, v)
	}
	return n
}

// TestBcftoolsAgreement annotates a generated input (thousands of
// transcripts, 100k+ variants) with the engine and with `bcftools csq -l`
// (local mode: one record at a time, as the engine works) and compares the
// set of consequence classes record by record for records inside a
// transcript. The engine's terms that bcftools never writes (upstream,
// downstream, intergenic, VEP-only splice refinements) are left out; see
// docs/benchmarks.md for how the remaining differences are classified.
//
// GAS_CSQ_VARIANTS and GAS_CSQ_GENES change the size and GAS_CSQ_SEED the
// input; GAS_CSQ_REPORT names a
// file to receive the classified table in Markdown; GAS_CSQ_DIR keeps the
// inputs and outputs in that directory instead of a temporary one.
func TestBcftoolsAgreement(t *testing.T) {
	bcftools, err := exec.LookPath("bcftools")
	if err != nil {
		t.Skip("bcftools is not on PATH (Debian package bcftools); skipping the comparison with bcftools csq")
	}
	ctx := t.Context()
	dir := t.TempDir()
	if keep := os.Getenv("GAS_CSQ_DIR"); keep != "" {
		// Keep the inputs and both outputs for a closer look.
		dir = keep
		if err := os.RemoveAll(filepath.Join(dir, "bundle")); err != nil {
			t.Fatal(err)
		}
	}
	opt := synth.Options{
		Seed:     uint64(envInt(t, "GAS_CSQ_SEED", 20261127)),
		Chroms:   2,
		ChromLen: 20_000_000,
		Genes:    envInt(t, "GAS_CSQ_GENES", 2500),
		Variants: envInt(t, "GAS_CSQ_VARIANTS", 200_000),
		OutDir:   dir,
	}
	st, err := synth.Generate(ctx, opt)
	if err != nil {
		t.Fatalf("generate input: %v", err)
	}
	t.Logf("input: %d transcripts, %d variants (%d inside genes)", st.Transcripts, st.Variants, st.InGenes)
	fa := filepath.Join(dir, synth.FASTAFile)
	gff := filepath.Join(dir, synth.GFFFile)
	in := filepath.Join(dir, synth.VariantsFile)

	theirs := filepath.Join(dir, "bcftools.vcf")
	start := time.Now()
	cmd := exec.CommandContext(ctx, bcftools, "csq", "-l", "-f", fa, "-g", gff, "-Ov", "-o", theirs, in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bcftools csq: %v\n%s", err, stderr.String())
	}
	t.Logf("bcftools csq -l: %v", time.Since(start).Round(time.Millisecond))
	if n := strings.Count(stderr.String(), "Warning"); n > 0 {
		t.Logf("bcftools csq printed %d warnings, e.g. %s", n, firstLineWith(stderr.String(), "Warning"))
	}

	ours := filepath.Join(dir, "engine.vcf")
	start = time.Now()
	if err := runEngine(ctx, dir, fa, gff, in, ours); err != nil {
		t.Fatalf("engine: %v", err)
	}
	t.Logf("engine: %v", time.Since(start).Round(time.Millisecond))

	c, err := compareFiles(gff, ours, theirs)
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("bcftools agreement: %d/%d records (%.2f%%)", c.agree, c.records, c.percent())
	fmt.Println(line)
	t.Log(line)
	t.Logf("%d records agree only after the intron/splice_region normalisation; most severe term agrees for %d/%d records; %d records outside transcripts not compared",
		c.normalised, c.severe, c.records, c.outside)
	proteinLine := fmt.Sprintf("protein changes of SNVs: %d/%d allele×transcript pairs agree (%.2f%%)",
		c.proteinsAgree, c.proteins, 100*float64(c.proteinsAgree)/float64(max(c.proteins, 1)))
	fmt.Println(proteinLine)
	t.Log(proteinLine)
	for _, e := range c.proteinExamples {
		t.Logf("  protein change differs: %s", e)
	}
	for i, d := range c.sorted() {
		if i == 25 {
			t.Logf("... %d more classes", len(c.classes)-i)
			break
		}
		t.Logf("%6d  %s\n        e.g. %s", d.count, d.class, strings.Join(d.examples, "\n             "))
	}
	if path := os.Getenv("GAS_CSQ_REPORT"); path != "" {
		var b bytes.Buffer
		c.markdown(&b)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Errorf("write report: %v", err)
		}
	}
	if c.records < opt.Variants/4 {
		t.Fatalf("only %d records inside transcripts were compared; the input is not what the test expects", c.records)
	}
	if c.percent() < agreementBar {
		t.Errorf("agreement %.2f%% is below %.0f%%", c.percent(), agreementBar)
	}
	// Single-residue changes from SNVs leave no room for convention: the
	// same bar applies.
	if c.proteins == 0 || 100*float64(c.proteinsAgree) < agreementBar*float64(c.proteins) {
		t.Errorf("protein changes agree for %d/%d SNV allele×transcript pairs, below %.0f%%", c.proteinsAgree, c.proteins, agreementBar)
	}
}

func firstLineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// runEngine builds a bundle from the generated gene model and genome and
// annotates in with it into out (plain VCF).
func runEngine(ctx context.Context, dir, fa, gff, in, out string) error {
	bdir := filepath.Join(dir, "bundle")
	if _, err := refdata.Build(ctx, refdata.BuildOptions{
		Name: "synth", Assembly: "synthetic", Genes: gff, FASTA: fa, Out: bdir, Version: "test",
	}); err != nil {
		return fmt.Errorf("build bundle: %w", err)
	}
	b, err := refdata.Open(bdir)
	if err != nil {
		return fmt.Errorf("open bundle: %w", err)
	}
	defer b.Close()
	r, err := os.Open(in)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := annotate.Annotate(ctx, r, w, b, annotate.Options{Version: "test"}); err != nil {
		w.Close()
		return fmt.Errorf("annotate: %w", err)
	}
	return w.Close()
}

// compareFiles walks the two annotated VCFs in step.
func compareFiles(gff, ours, theirs string) (*comparison, error) {
	g, err := os.Open(gff)
	if err != nil {
		return nil, err
	}
	spans, err := readTranscriptSpans(g)
	g.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", gff, err)
	}
	fo, err := os.Open(ours)
	if err != nil {
		return nil, err
	}
	defer fo.Close()
	ft, err := os.Open(theirs)
	if err != nil {
		return nil, err
	}
	defer ft.Close()
	so, st := newVCFScanner(fo), newVCFScanner(ft)
	c := newComparison()
	for {
		o, okO, err := so.next()
		if err != nil {
			return nil, fmt.Errorf("engine output: %w", err)
		}
		b, okB, err := st.next()
		if err != nil {
			return nil, fmt.Errorf("bcftools output: %w", err)
		}
		if okO != okB {
			return nil, fmt.Errorf("outputs differ in length: engine has more: %v", okO)
		}
		if !okO {
			return c, nil
		}
		if err := c.add(spans, o, b); err != nil {
			return nil, err
		}
	}
}
