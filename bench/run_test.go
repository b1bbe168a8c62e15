package bench

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBenchScriptTiny runs bench/run end to end on a tiny input with one run
// per tool, so that the script keeps working as the CLI and the tools move:
// generation through `gas bench gen`, both bundle builds, every installed
// tool, the medians table and the ratios. Times are not checked.
func TestBenchScriptTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gas and runs every installed tool once; skipped with -short")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	if _, err := os.Stat(filepath.Join("..", "cmd", "gas")); err != nil {
		t.Skip("no cmd/gas in this checkout")
	}
	work := t.TempDir()
	gas := filepath.Join(work, "gas")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", gas, "./cmd/gas")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/gas: %v\n%s", err, out)
	}
	args := []string{"run",
		"--seed", "5", "--chroms", "1", "--chrom-len", "300000", "--genes", "30", "--variants", "3000",
		"--known", "4000", "--tracks", "cpg:50,gwas:300", "--runs", "1", "--gas", gas, "--work", work}
	_, err := exec.LookPath("valgrind")
	valgrind := err == nil
	if valgrind {
		args = append(args, "--instructions")
	}
	cmd := exec.CommandContext(t.Context(), "bash", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench/run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	t.Log(out)
	// Every tool that ran has a row with a number; gas always runs.
	want := []string{"gas_csq", "gas_full"}
	if _, err := exec.LookPath("bcftools"); err == nil {
		want = append(want, "bcftools_view", "bcftools_csq", "bcftools_csq_t", "bcftools_annotate", "bcftools_csq_annotate")
	}
	if _, err := exec.LookPath("vcfanno"); err == nil {
		want = append(want, "vcfanno")
	}
	for _, name := range want {
		row := regexp.MustCompile(`(?m)^\| ` + name + ` \|[^|]*\| [0-9.]+ \| [0-9.]+ \| [0-9]+ \|$`)
		if !row.MatchString(out) {
			t.Errorf("no timing row for %s in:\n%s", name, out)
		}
	}
	if valgrind {
		// Valgrind 3.19 cannot run Go 1.26 binaries (SIGILL on RDTSCP): the
		// script then writes "-" for gas, but C tools must be counted.
		if !regexp.MustCompile(`(?m)^\| gas_csq \| ([0-9.]+ \| [0-9]+|- \| -) \|$`).MatchString(out) {
			t.Errorf("no instruction row for gas_csq in:\n%s", out)
		}
		if _, err := exec.LookPath("bcftools"); err == nil && !regexp.MustCompile(`(?m)^\| bcftools_csq \| [0-9.]+ \| [0-9]+ \|$`).MatchString(out) {
			t.Errorf("no instruction count for bcftools_csq in:\n%s", out)
		}
	}
	if !strings.Contains(out, "| 1. gas_csq / bcftools_csq_t") {
		t.Errorf("no ratio table in:\n%s", out)
	}
	// The outputs are real: gas wrote BGZF and its summary.
	for _, f := range []string{"out/gas_csq.vcf.gz", "out/gas_full.vcf.gz", "out/gas_full.json", "results.md"} {
		if fi, err := os.Stat(filepath.Join(work, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
}

// TestBenchScriptBadFlags checks that mistakes in the flags stop the script
// with exit status 2 and a message before anything is built or generated.
func TestBenchScriptBadFlags(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tools", "gas_csq,nosuchtool"}, "unknown tool 'nosuchtool'"},
		{[]string{"--runs", "0"}, "positive integer"},
		{[]string{"--threads", "two"}, "positive integer"},
		{[]string{"--frobnicate"}, "unknown flag --frobnicate"},
	} {
		cmd := exec.CommandContext(t.Context(), "bash", append([]string{"run"}, tc.args...)...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), tc.want) {
			t.Errorf("bench/run %v: %v, output %q; want exit 2 mentioning %q", tc.args, err, out, tc.want)
		}
	}
}

// TestCohortScriptTiny runs bench/cohort end to end on a tiny cohort (one
// run each), so the cohort benchmark keeps working: generation with samples,
// the bundle, gas and bcftools in both output formats and in haplotype
// mode, the table and the ratios. Times are not checked.
func TestCohortScriptTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gas and runs bcftools; skipped with -short")
	}
	if _, err := exec.LookPath("bcftools"); err != nil {
		t.Skip("bcftools is not installed (apt-get install bcftools; CI installs it)")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Skip("/usr/bin/time is not installed")
	}
	work := t.TempDir()
	gas := filepath.Join(work, "gas")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", gas, "./cmd/gas")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/gas: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(t.Context(), "bash", "cohort", "--variants", "1500", "--samples", "30", "--chrom-len", "500000",
		"--genes", "40", "--runs", "1", "--haplotypes", "--gas", gas, "--work", work)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench/cohort: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, name := range []string{"gas_plain", "bcftools_l_plain", "gas_bgzf", "bcftools_l_bgzf", "gas_haplotypes", "bcftools_phased"} {
		if !regexp.MustCompile(`(?m)^\| ` + name + ` \| [0-9.]+ \| [0-9.]+-[0-9.]+ \| [0-9.]+ \| [0-9]+ \|$`).MatchString(out) {
			t.Errorf("no timing row for %s in:\n%s", name, out)
		}
	}
	if !regexp.MustCompile(`(?m)^\| gas / bcftools csq -l, plain VCF \(want <= 1.0\) \| ([0-9.]+|-) \| ([0-9.]+|-) \|$`).MatchString(out) {
		t.Errorf("no ratio row in:\n%s", out)
	}
	if !strings.Contains(out, "1500 records x 30 samples") {
		t.Errorf("input line wrong:\n%s", out)
	}
	for _, f := range []string{"out/gas.vcf", "out/gas.vcf.gz", "out/gas_hap.vcf", "out/bcftools.vcf"} {
		if fi, err := os.Stat(filepath.Join(work, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
}
