package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/refdata"
)

// demoBundle builds the demo bundle into a temp dir.
func demoBundle(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	if _, err := refdata.BuildDemo(context.Background(), dir, "test"); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAnnotateCommandOnDemoBundle(t *testing.T) {
	t.Parallel()
	bundle := demoBundle(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "demo.vcf")
	if err := os.WriteFile(in, refdata.DemoVCF(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.vcf.gz")
	sj, st := filepath.Join(dir, "summary.json"), filepath.Join(dir, "summary.txt")
	code, _, errOut := run(t, nil, "annotate", "--bundle", bundle, "-o", out, "--summary-json", sj, "--summary-text", st,
		"--transcripts", "all", "--workers", "2", in)
	if code != 0 {
		t.Fatalf("annotate: exit %d\n%s", code, errOut)
	}
	vcf := readMaybeGz(t, out) // BGZF because of the .gz name
	records := dataLines([]byte(vcf))
	want := len(dataLines(refdata.DemoVCF()))
	if len(records) != want {
		t.Fatalf("%d records out, %d in", len(records), want)
	}
	if m := missingANN(records); len(m) > 0 {
		t.Fatalf("%d records without ANN, e.g. %s", len(m), m[0])
	}
	var sum struct {
		Records int64 `json:"records"`
	}
	b, err := os.ReadFile(sj)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil || sum.Records != int64(want) {
		t.Fatalf("summary json records = %d (%v)", sum.Records, err)
	}
	if txt, _ := os.ReadFile(st); !strings.Contains(string(txt), "records") {
		t.Fatalf("summary text:\n%s", txt)
	}

	// Plain VCF on stdout when -o is - (the default).
	code, stdout, errOut := run(t, nil, "annotate", "--bundle", bundle, "--transcripts", "pick", in)
	if code != 0 || len(dataLines([]byte(stdout))) != want || !strings.HasPrefix(stdout, "##fileformat=VCF") {
		t.Fatalf("annotate to stdout: exit %d\n%.300s\n%s", code, stdout, errOut)
	}

	// --format csq writes VEP's CSQ field instead of ANN.
	code, stdout, errOut = run(t, nil, "annotate", "--bundle", bundle, "--format", "csq", in)
	if code != 0 || !strings.Contains(stdout, "##INFO=<ID=CSQ,") || strings.Contains(stdout, "ANN=") ||
		!strings.Contains(stdout, "CSQ=") {
		t.Fatalf("annotate --format csq: exit %d\n%.300s\n%s", code, stdout, errOut)
	}

	// A malformed record stops with its line number and leaves no output file.
	bad := filepath.Join(dir, "bad.vcf")
	if err := os.WriteFile(bad, append(refdata.DemoVCF(), []byte("1\tnotanumber\t.\tA\tG\t.\t.\t.\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	badOut := filepath.Join(dir, "bad.out.vcf")
	code, _, errOut = run(t, nil, "annotate", "--bundle", bundle, "-o", badOut, bad)
	if code != 1 || !strings.Contains(errOut, "line ") {
		t.Fatalf("bad input: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(badOut); !os.IsNotExist(err) {
		t.Fatalf("a failed run left %s: %v", badOut, err)
	}
}

// TestCoverageAnnotateCommandWarns: gas annotate says on stderr how many
// records lie outside what the bundle covers (the BRCA1 record
// against the demo), and says nothing of the kind for the example.
func TestCoverageAnnotateCommandWarns(t *testing.T) {
	t.Parallel()
	bundle := demoBundle(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "brca1.vcf")
	brca1 := "##fileformat=VCFv4.2\n##contig=<ID=chr17,length=83257441>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr17\t43045712\t.\tT\tC\t.\t.\t.\n"
	if err := os.WriteFile(in, []byte(brca1), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, nil, "annotate", "--bundle", bundle, "-o", filepath.Join(dir, "out.vcf"), in)
	if code != 0 || !strings.Contains(errOut, "warning: 1 of 1 records (100.0%) lie on contigs or regions without gene models in bundle demo") ||
		!strings.Contains(errOut, "warning: 1 of 1 records (100.0%) lie where the reference sequence is missing or unknown (N) in bundle demo") {
		t.Fatalf("annotate BRCA1: exit %d\n%s", code, errOut)
	}
	example := filepath.Join(dir, "demo.vcf")
	if err := os.WriteFile(example, refdata.DemoVCF(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, nil, "annotate", "--bundle", bundle, "-o", filepath.Join(dir, "demo.out.vcf"), example)
	if code != 0 || strings.Contains(errOut, "warning:") {
		t.Fatalf("annotate the example: exit %d\n%s", code, errOut)
	}
}
