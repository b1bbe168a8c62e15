package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/config"
	"github.com/gas-project/gas/internal/jobs"
)

func runAnnotate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "annotate", "IN.vcf[.gz]|-",
		"Annotate a VCF (plain, gzip or BGZF; - for stdin) with a reference bundle and write the\n"+
			"annotated VCF. Output is BGZF when -o ends in .gz (override with --bgzf).")
	bundleArg := fs.String("bundle", "", "reference bundle: a directory, or a name under DATA_DIR/refdata (default: "+config.Default().DefaultBundle+")")
	out := fs.String("o", "-", "output file, - for stdout")
	bgzf := fs.String("bgzf", "auto", "BGZF-compress the output: auto (by .gz extension), true or false")
	transcripts := fs.String("transcripts", "all", "transcripts to report: all, canonical, mane or pick (canonical/mane on a gene model without the tag use the other tag, else one transcript per gene, with a warning in the header and summary)")
	ids := fs.String("transcript-ids", "", "comma-separated transcript IDs to restrict to")
	onError := fs.String("on-error", "stop", "malformed records: stop, or skip (write through unannotated)")
	sumJSON := fs.String("summary-json", "", "write the run summary as JSON to this file")
	sumText := fs.String("summary-text", "", "write the run summary as text to this file")
	workers := fs.Int("workers", 0, "annotation threads (default: number of CPUs)")
	format := fs.String("format", "ann", "consequence field: ann (INFO/ANN, SnpEff style) or csq (INFO/CSQ, Ensembl VEP style)")
	haplotypes := fs.Bool("haplotypes", false, "combine the changes variants on one phased haplotype of a sample make to the same codon (as bcftools csq)")
	dataDir := fs.String("data-dir", "", "data directory for bundle names [$GAS_DATA_DIR] (default gas-data)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("expected one input file (or - for stdin), got %d arguments", fs.NArg())
	}
	opts, err := jobs.ParseJobOptions(mustJSON(jobs.JobOptions{Transcripts: *transcripts, OnError: *onError,
		TranscriptIDs: strings.Split(*ids, ",")}))
	if err != nil {
		return usagef("%v", userFacing(err))
	}
	if *workers < 0 {
		return usagef("--workers must not be negative")
	}
	opts.Workers = *workers
	if opts.Workers == 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	opts.Version = version()
	if opts.Format, err = annotate.ParseFormat(*format); err != nil {
		return usagef("--format must be ann or csq, got %q", *format)
	}
	opts.Haplotypes = *haplotypes
	switch *bgzf {
	case "auto":
		opts.BGZF = strings.HasSuffix(*out, ".gz") || strings.HasSuffix(*out, ".bgz")
	case "true", "yes", "1":
		opts.BGZF = true
	case "false", "no", "0":
		opts.BGZF = false
	default:
		return usagef("--bgzf must be auto, true or false, got %q", *bgzf)
	}

	dir := *dataDir
	if dir == "" {
		dir = e.vars["GAS_DATA_DIR"]
	}
	if dir == "" {
		dir = config.Default().DataDir
	}
	bundlePath, err := resolveBundle(*bundleArg, dir)
	if err != nil {
		return err
	}
	b, err := openBundle(bundlePath)
	if err != nil {
		return fmt.Errorf("open bundle %s: %w", bundlePath, err)
	}
	defer closeBundle(b)

	var in io.Reader = os.Stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("open input: %w", err)
		}
		defer f.Close()
		in = f
	}
	var w io.Writer = e.stdout
	var outFile *os.File
	if *out != "-" && !isSpecialFile(*out) {
		// Write to a temporary file and rename, so a failed run never leaves
		// a truncated output that looks finished.
		outFile, err = os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".tmp-*")
		if err != nil {
			return fmt.Errorf("create output: %w", err)
		}
		defer func() {
			if outFile != nil {
				outFile.Close()
				os.Remove(outFile.Name())
			}
		}()
		w = outFile
	} else if *out != "-" {
		// A device or FIFO (/dev/null, a named pipe) is written in place:
		// renaming a temporary file over it would replace the device node
		// with a regular file for every other user of the machine.
		dev, err := os.OpenFile(*out, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("open output: %w", err)
		}
		defer dev.Close()
		w = dev
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	start := time.Now()
	sum, runErr := annotate.Annotate(ctx, in, bw, b, opts)
	if runErr == nil {
		runErr = bw.Flush()
	}
	if sum != nil {
		if err := writeSummaries(sum, *sumJSON, *sumText); err != nil && runErr == nil {
			runErr = err
		}
		// Records outside what the bundle covers get answers that look
		// like findings (intergenic, novel): say so even without a summary
		// file.
		for _, w := range sum.Warnings {
			if annotate.IsCoverageWarning(w) {
				fmt.Fprintf(e.stderr, "warning: %s\n", w)
			}
		}
	}
	if runErr != nil {
		if annotate.IsInputError(runErr) {
			return fmt.Errorf("input %s: %w", fs.Arg(0), runErr)
		}
		return fmt.Errorf("annotate: %w", runErr)
	}
	if outFile != nil {
		if err := outFile.Close(); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		if err := os.Rename(outFile.Name(), *out); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		outFile = nil
		fmt.Fprintf(e.stderr, "annotated %d records (%d alleles) in %s → %s\n",
			sum.Records, sum.Alleles, time.Since(start).Round(time.Millisecond), *out)
	}
	return nil
}

// resolveBundle turns --bundle into a directory: an existing path is used
// as is, a plain name is looked up under <dataDir>/refdata.
func resolveBundle(arg, dataDir string) (string, error) {
	if arg == "" {
		arg = config.Default().DefaultBundle
	}
	if strings.ContainsAny(arg, `/\`) || arg == "." || arg == ".." {
		if st, err := os.Stat(arg); err != nil || !st.IsDir() {
			return "", fmt.Errorf("bundle directory %s not found", arg)
		}
		return arg, nil
	}
	if !jobs.ValidBundleName(arg) {
		return "", usagef("invalid bundle name %q", arg)
	}
	p := filepath.Join(dataDir, refdataDirName, arg)
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return p, nil
	}
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		return arg, nil
	}
	return "", fmt.Errorf("no bundle %q: not a directory and not in %s (see 'gas refdata list')",
		arg, filepath.Join(dataDir, refdataDirName))
}

func writeSummaries(sum *annotate.Summary, jsonPath, textPath string) error {
	var errs []error
	if jsonPath != "" {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err == nil {
			err = os.WriteFile(jsonPath, append(b, '\n'), 0o644)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("write summary json: %w", err))
		}
	}
	if textPath != "" {
		var sb strings.Builder
		err := sum.WriteText(&sb)
		if err == nil {
			err = os.WriteFile(textPath, []byte(sb.String()), 0o644)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("write summary text: %w", err))
		}
	}
	return errors.Join(errs...)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain structs of strings reach here; Marshal cannot fail on them.
		return "{}"
	}
	return string(b)
}

// isSpecialFile reports whether path exists and is not a regular file or a
// directory: a character device, a FIFO or a socket.
func isSpecialFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.Mode().IsRegular() && !st.IsDir()
}
