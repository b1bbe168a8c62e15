package annotate

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// TestBcftoolsReadsOutput checks with htslib itself that the output, plain
// and BGZF, is valid VCF: bcftools view must read it without a warning. It
// uses the real chr21 gene models with known variants and a track (no
// sequence), and a bcftools-csq case with sequence (protein changes).
func TestBcftoolsReadsOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real bundles; skipped with -short")
	}
	bcftools, err := exec.LookPath("bcftools")
	if err != nil {
		t.Skip("bcftools is not installed")
	}
	td := testdataDir(t)
	chr21 := filepath.Join(td, "vep-chr21")
	if _, err := os.Stat(chr21); err != nil {
		t.Skipf("no test data at %s", chr21)
	}
	tmp := t.TempDir()
	bed := filepath.Join(tmp, "bands.bed")
	if err := os.WriteFile(bed, []byte("21\t25000000\t25600000\tq21.1 band,with|odd;chars\n21\t25600000\t26000000\tq21.2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	type run struct {
		name, vcf string
		opt       refdata.BuildOptions
	}
	case1 := filepath.Join(td, "bcftools-csq", "ENST00000341065")
	runs := []run{
		{"chr21", filepath.Join(chr21, "test.vcf"), refdata.BuildOptions{Name: "chr21", Assembly: "GRCh38",
			Genes: filepath.Join(chr21, "genes.gtf.gz"), KnownVariants: filepath.Join(chr21, "known_variants.vcf.gz"),
			Tracks: []refdata.Track{{Name: "cytoband", Path: bed}}}},
		{"csq-case", filepath.Join(case1, "splice-acceptor-donor1.vcf"), refdata.BuildOptions{Name: "case", Assembly: "GRCh37",
			Genes: filepath.Join(case1, "ENST00000341065.gff"), FASTA: filepath.Join(case1, "ENST00000341065.fa")}},
	}
	for _, r := range runs {
		r.opt.Out = filepath.Join(tmp, r.name)
		if _, err := refdata.Build(context.Background(), r.opt); err != nil {
			t.Fatalf("%s: build: %v", r.name, err)
		}
		b, err := refdata.Open(r.opt.Out)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		in, err := os.ReadFile(r.vcf)
		if err != nil {
			t.Fatal(err)
		}
		for _, bgzf := range []bool{false, true} {
			var out bytes.Buffer
			sum, err := Annotate(context.Background(), bytes.NewReader(in), &out, b, Options{BGZF: bgzf, Version: "test"})
			if err != nil {
				t.Fatalf("%s: annotate: %v", r.name, err)
			}
			if sum.Annotated == 0 {
				t.Fatalf("%s: nothing annotated", r.name)
			}
			path := filepath.Join(tmp, r.name+".vcf")
			if bgzf {
				path += ".gz"
			}
			if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bcftools, "view", path)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: bcftools view failed: %v\n%s", path, err, stderr.String())
			}
			if s := strings.TrimSpace(stderr.String()); s != "" {
				t.Errorf("%s: bcftools view warned:\n%s", path, s)
			}
			if n := strings.Count(stdout.String(), "ANN="); n == 0 {
				t.Errorf("%s: bcftools sees no ANN field", path)
			}
			if r.name == "chr21" && !bgzf {
				if sum.Known == 0 || sum.Tracks["cytoband"] == 0 {
					t.Errorf("chr21: known %d, track hits %v", sum.Known, sum.Tracks)
				}
			}
		}
	}
}
