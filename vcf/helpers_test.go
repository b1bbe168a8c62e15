package vcf

import (
	"bytes"
	"compress/gzip"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// genHeader is testHeader plus the definitions genVCF's records use, so
// that htslib reads them without warnings.
var genHeader = strings.Replace(testHeader, "##source=test\n", "##source=test\n"+
	"##INFO=<ID=AF,Number=A,Type=Float,Description=\"Allele frequency\">\n"+
	"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"+
	"##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Read depth\">\n", 1)

// genVCF builds a deterministic VCF with n records of mixed SNVs, indels,
// multi-allelic and symbolic alleles, with two samples.
func genVCF(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	b.WriteString(genHeader)
	bases := "ACGT"
	pos := 1000
	for i := range n {
		pos += 1 + rng.IntN(200)
		b.WriteString("1\t")
		b.WriteString(strconv.Itoa(pos))
		b.WriteString("\trs")
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\t')
		ref := bases[rng.IntN(4)]
		b.WriteByte(ref)
		b.WriteByte('\t')
		switch rng.IntN(10) {
		case 0:
			b.WriteString("<DEL>")
		case 1, 2:
			b.WriteByte(ref)
			for range 1 + rng.IntN(5) {
				b.WriteByte(bases[rng.IntN(4)])
			}
		case 3:
			b.WriteString("C,T")
		default:
			b.WriteByte(bases[(int(ref)+1)%4])
		}
		b.WriteString("\t")
		b.WriteString(strconv.Itoa(rng.IntN(100)))
		b.WriteString("\tPASS\tDP=")
		b.WriteString(strconv.Itoa(rng.IntN(500)))
		b.WriteString(";AF=0.")
		b.WriteString(strconv.Itoa(rng.IntN(1000)))
		b.WriteString("\tGT:DP\t0/1:")
		b.WriteString(strconv.Itoa(rng.IntN(60)))
		b.WriteString("\t1/1:")
		b.WriteString(strconv.Itoa(rng.IntN(60)))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func bgzfBytes(t testing.TB, data []byte, workers int) []byte {
	t.Helper()
	var buf bytes.Buffer
	bw := NewBGZFWriter(&buf, workers)
	if _, err := bw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
