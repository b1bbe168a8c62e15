// Package sharedtest is test data for tests in any package: it locates the
// read-only data that sits beside the checkout (../shared/testdata from the
// module root) and makes the small inputs many tests need (gzip files, a
// three-sample VCF).
package sharedtest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Gzip returns b gzip-compressed, as an uploaded .vcf.gz would be.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Dir returns ../shared/testdata (joined with parts) seen from the module
// root. It skips the test when the path is absent: a fresh clone has no
// shared data beside it, CI has.
func Dir(t testing.TB, parts ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("go.mod not found above the test directory; shared test data unavailable")
		}
		dir = parent
	}
	p := filepath.Join(append([]string{dir, "..", "shared", "testdata"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared test data not found at %s (it sits beside the checkout in CI): %v", p, err)
	}
	return p
}

// Trio rewrites a VCF (the demo's, passed in, since this package cannot
// import refdata) with three samples S1–S3 in FORMAT GT:GQ:DP, so the
// genotype views have het, hom-alt, missing, phased and haploid calls to
// find: on record n (1-based) S1 is 0/1 with GQ n%100 and DP n%60; S2
// cycles through 1/1, 0/0, ./., 0|1 (GQ 99, DP 30); S3 is a haploid 1 on
// every fifth record, else 0/0. The input's own sample columns are dropped.
func Trio(vcf []byte) []byte {
	i := bytes.Index(vcf, []byte("\n#CHROM"))
	j := i + 1 + bytes.IndexByte(vcf[i+1:], '\n')
	var b bytes.Buffer
	b.Write(vcf[:i+1])
	b.WriteString("##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"Genotype quality\">\n")
	b.WriteString("##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Read depth\">\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3\n")
	n := 0
	for _, line := range bytes.Split(bytes.TrimSpace(vcf[j+1:]), []byte("\n")) {
		n++
		cols := bytes.Split(line, []byte("\t"))
		s3 := "0/0"
		if n%5 == 0 {
			s3 = "1"
		}
		fmt.Fprintf(&b, "%s\tGT:GQ:DP\t0/1:%d:%d\t%s:99:30\t%s\n", bytes.Join(cols[:8], []byte("\t")),
			n%100, n%60, []string{"1/1", "0/0", "./.", "0|1"}[(n-1)%4], s3)
	}
	return b.Bytes()
}
