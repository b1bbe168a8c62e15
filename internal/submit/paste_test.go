package submit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/submit"
)

// TestPasteToVCF: each accepted form becomes the same records, in a VCF
// the upload check (the annotator's reader) accepts, with its count.
func TestPasteToVCF(t *testing.T) {
	t.Parallel()
	const want = "21\t25585733\t.\tC\tT\t.\t.\t.\n21\t25587701\t.\tT\tC,G\t.\t.\t.\n"
	for name, in := range map[string]string{
		"spaces":       "21 25585733 C T\n21 25587701 T C,G\n",
		"tabs, CRLF":   "21\t25585733\tC\tT\r\n21\t25587701\tT\tC,G\r\n",
		"colons":       "21:25585733:C:T\n\n21:25587701:T:C,G",
		"gnomAD ids":   "21-25585733-C-T\n21-25587701-T-C,G\n",
		"lower case":   "21 25585733 c t\n21:25587701:t:c,g\n",
		"mixed":        "# my variants\n21 25585733 C T\n  21:25587701:T:C,G  \n",
		"VCF columns":  "21\t25585733\t.\tC\tT\n21 25587701 . T C,G . . .\n",
		"BOM, blank":   "\ufeff\n\n21 25585733 C T\n21 25587701 T C,G\n\n",
		"windows tabs": "21\t25585733\tC\tT\t\r\n21\t25587701\tT\tC,G\r\n",
	} {
		out, n, err := submit.PasteToVCF([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if n != 2 || !strings.HasSuffix(string(out), "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"+want) {
			t.Errorf("%s: %d records\n%s", name, n, out)
		}
		if got, err := submit.CheckVCF(context.Background(), bytes.NewReader(out), 1<<20); err != nil || got != 2 {
			t.Errorf("%s: the upload check says %d, %v", name, got, err)
		}
	}
}

// TestPasteVCFLines: pasted VCF text keeps its header and samples; the
// lines it lacks (##fileformat, #CHROM) are added.
func TestPasteVCFLines(t *testing.T) {
	t.Parallel()
	full := "##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n" +
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tmum\tdad\n21\t25585733\trs1\tC\tT\t50\tPASS\t.\tGT\t0/1\t1/1\n"
	out, n, err := submit.PasteToVCF([]byte(full))
	if err != nil || n != 1 || string(out) != full {
		t.Fatalf("full VCF: %d, %v\n%s", n, err, out)
	}
	noFormat := strings.TrimPrefix(full, "##fileformat=VCFv4.2\n")
	if out, _, err := submit.PasteToVCF([]byte(noFormat)); err != nil || string(out) != full {
		t.Fatalf("without ##fileformat: %v\n%s", err, out)
	}
	// Header without #CHROM, eight columns, spaces for tabs.
	out, n, err = submit.PasteToVCF([]byte("##fileformat=VCFv4.2\n21 25585733 rs1 C T 50 PASS DP=3\n"))
	if err != nil || n != 1 || !strings.Contains(string(out), "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n21\t25585733\trs1\tC\tT\t50\tPASS\tDP=3\n") {
		t.Fatalf("no #CHROM: %d, %v\n%s", n, err, out)
	}
	if got, err := submit.CheckVCF(context.Background(), bytes.NewReader(out), 1<<20); err != nil || got != 1 {
		t.Fatalf("the upload check says %d, %v", got, err)
	}
}

// TestPasteErrors: bad lines are refused with their line numbers in the
// paste and the reason, all of them (up to ten, then a count).
func TestPasteErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ in, want string }{
		"position":   {"21 25585733 C T\n\n21 abc T C\n", `1 pasted line cannot be read: line 3: POS "abc" is not a positive integer.`},
		"allele":     {"21:100:C:T\n21:200:X:T\n21:300:C:J\n", `2 pasted lines cannot be read: line 2: REF "X" has`},
		"not a form": {"hello world\n", `line 1: "hello world" is not a variant`},
		"samples":    {"21 1 . C T . . . GT 0/1\n", "line 1: 10 columns: sample columns need a VCF header"},
		"empty":      {"\n# nothing\n", "There are no variants in the pasted text"},
		"vcf order":  {"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n##late\n21\t1\t.\tC\tT\t.\t.\t.\n", "line 3: a header line after the #CHROM line"},
		"vcf header": {"#CHROM\n21 1 . C T . . .\n", "1 pasted line cannot be read: line 1: the #CHROM header line has 1"},
		"vcf record": {"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n21\t0\t.\tC\tT\t.\t.\t.\n", `line 2: POS "0" is not a positive integer`},
	} {
		_, _, err := submit.PasteToVCF([]byte(tc.in))
		if gas.ErrorCode(err) != gas.EINVALID || !strings.Contains(gas.ErrorMessage(err), tc.want) {
			t.Errorf("%s: %v, want EINVALID with %q", name, err, tc.want)
		}
	}
	_, _, err := submit.PasteToVCF([]byte(strings.Repeat("21 1 C Z\n", 25)))
	msg := gas.ErrorMessage(err)
	if !strings.HasPrefix(msg, "25 pasted lines cannot be read: line 1:") || !strings.Contains(msg, "line 10:") ||
		strings.Contains(msg, "line 11:") || !strings.HasSuffix(msg, "and 15 more.") {
		t.Fatalf("25 bad lines: %q", msg)
	}
}

// FuzzPasteToVCF: whatever is pasted, the answer is either a clear
// EINVALID or a VCF whose records the upload check counts the same.
func FuzzPasteToVCF(f *testing.F) {
	for _, s := range []string{"21 25585733 C T\n", "21:1:A:G,T\n", "1-55516888-G-GA", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t1\t.\tA\tC\t.\t.\t.\n",
		"x y z", "1 2 . A <DEL> . . SVTYPE=DEL;END=5\n", "#CHROM\tPOS\n", "\r\n\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, n, err := submit.PasteToVCF(in)
		if err != nil {
			if gas.ErrorCode(err) != gas.EINVALID || gas.ErrorMessage(err) == "" {
				t.Fatalf("error without a message for people: %v", err)
			}
			return
		}
		got, err := submit.CheckVCF(context.Background(), bytes.NewReader(out), 64<<20)
		if err != nil || got != n {
			t.Fatalf("PasteToVCF made %d records the check reads as %d, %v:\n%q\nfrom %q", n, got, err, out, in)
		}
	})
}
