package cli

import (
	"github.com/gas-project/gas/internal/sharedtest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRefdataBuildVEPChr21(t *testing.T) {
	t.Parallel()
	td := filepath.Join(sharedtest.Dir(t), "vep-chr21")
	data := t.TempDir()
	out := filepath.Join(data, "refdata", "chr21") // refdata/ does not exist yet: build creates it
	code, stdout, errOut := run(t, nil, "refdata", "build", "--quiet", "--name", "chr21", "--assembly", "GRCh38",
		"--genes", filepath.Join(td, "genes.gff3.gz"), "--known-variants", filepath.Join(td, "known_variants.vcf.gz"),
		"--known-info", "MAF,AF_EUR", "--out", out)
	if code != 0 || !strings.Contains(stdout, "built bundle chr21") {
		t.Fatalf("refdata build: exit %d\n%s%s", code, stdout, errOut)
	}
	code, stdout, _ = run(t, nil, "refdata", "list", "--data-dir", data)
	if code != 0 || !strings.Contains(stdout, "chr21") || !strings.Contains(stdout, "GRCh38") {
		t.Fatalf("refdata list: exit %d\n%s", code, stdout)
	}
	// Building over an existing bundle is refused.
	code, _, errOut = run(t, nil, "refdata", "build", "--quiet", "--name", "chr21", "--genes", filepath.Join(td, "genes.gff3.gz"), "--out", out)
	if code != 1 || !strings.Contains(errOut, "exists") {
		t.Fatalf("rebuild: exit %d\n%s", code, errOut)
	}

	// The bundle annotates the real sample VCF by name from the data dir.
	outVCF := filepath.Join(t.TempDir(), "hg00096.vcf")
	code, _, errOut = run(t, []string{"GAS_DATA_DIR=" + data}, "annotate", "--bundle", "chr21", "-o", outVCF,
		filepath.Join(td, "test.vcf"))
	if code != 0 {
		t.Fatalf("annotate with chr21: exit %d\n%s", code, errOut)
	}
	inText, err := os.ReadFile(filepath.Join(td, "test.vcf"))
	if err != nil {
		t.Fatal(err)
	}
	got := readMaybeGz(t, outVCF)
	if n, want := len(dataLines([]byte(got))), len(dataLines(inText)); n != want {
		t.Fatalf("%d records out, %d in", n, want)
	}
	if !strings.Contains(got, "\trs") {
		t.Error("no known-variant rsID was added from dbSNP")
	}
}

func TestRefdataBuildUsage(t *testing.T) {
	t.Parallel()
	code, _, errOut := run(t, nil, "refdata", "build", "--name", "x")
	if code != 2 || !strings.Contains(errOut, "missing required flags: --genes, --out") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, nil, "refdata", "build", "--name", "../x", "--genes", "g", "--out", "o")
	if code != 2 || !strings.Contains(errOut, "--name must be a plain name") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, nil, "refdata", "build", "--track", "nofile")
	if code != 2 || !strings.Contains(errOut, "want NAME=FILE") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
}
