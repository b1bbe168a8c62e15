package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gas-project/gas/internal/synth"
)

const benchUsage = `Usage:
  gas bench gen [flags] --out DIR   write a deterministic synthetic data set (genome, genes, variants, tracks)`

func runBench(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("expected 'gen'\n%s", benchUsage)
	}
	switch args[0] {
	case "gen":
		return benchGen(ctx, e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, benchUsage)
		return nil
	default:
		return usagef("unknown bench command %q\n%s", args[0], benchUsage)
	}
}

func benchGen(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bench gen", "--out DIR",
		"Write a synthetic genome FASTA (+.fai), GFF3 gene model, variants VCF, known-variants VCF and\n"+
			"BED tracks. The same flags (and seed) always give byte-identical files.")
	seed := fs.Uint64("seed", 1, "random seed")
	chroms := fs.Int("chroms", 2, "number of chromosomes")
	chromLen := fs.Int("chrom-len", 1_000_000, "length of each chromosome in bases")
	genes := fs.Int("genes", 100, "protein-coding genes over the whole genome")
	variants := fs.Int("variants", 10_000, "records in variants.vcf")
	known := fs.Int("known", 5_000, "records in known.vcf")
	samples := fs.Int("samples", 0, "samples (phased GT columns) in variants.vcf; 0 writes a sites-only file")
	tracks := fs.String("tracks", "", "BED tracks as name:intervals pairs, e.g. cpg:1000,gwas:3000")
	out := fs.String("out", "", "output directory (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *out == "" {
		return usagef("--out is required")
	}
	ts, err := synth.ParseTrackSpecs(*tracks)
	if err != nil {
		return usagef("--tracks: %v", err)
	}
	st, err := synth.Generate(ctx, synth.Options{Seed: *seed, Chroms: *chroms, ChromLen: *chromLen, Genes: *genes,
		Variants: *variants, Known: *known, Samples: *samples, Tracks: ts, OutDir: *out})
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode stats: %w", err)
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	return nil
}
