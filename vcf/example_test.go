package vcf_test

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gas-project/gas/vcf"
)

// Reading blocks, parsing records and writing them back with an added INFO
// field: the shape of an annotation loop (the parsing would run on workers).
func Example() {
	in := "##fileformat=VCFv4.2\n" +
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
		"21\t25587701\t.\tT\tC,<DEL>\t.\tPASS\tDP=9\n"
	r, err := vcf.NewReader(strings.NewReader(in), vcf.ReaderOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	h := r.Header()
	h.Add(`##INFO=<ID=NOTE,Number=1,Type=String,Description="Example">`)
	out := h.AppendTo(nil)
	var b vcf.Block
	var rec vcf.Record
	for r.ReadBlock(&b, 0) != io.EOF {
		for i := range b.Len() {
			if err := vcf.ParseRecord(b.Line(i), b.LineNo(i), &rec); err != nil {
				fmt.Println(err)
				return
			}
			note := "NOTE=snv"
			if vcf.IsSymbolic(rec.Alts[1]) {
				note = "NOTE=second_allele_symbolic"
			}
			out = vcf.AppendRecord(out, &rec, []byte("rs187353664"), []byte(note))
		}
	}
	os.Stdout.Write(out)
	// Output:
	// ##fileformat=VCFv4.2
	// ##INFO=<ID=NOTE,Number=1,Type=String,Description="Example">
	// #CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO
	// 21	25587701	rs187353664	T	C,<DEL>	.	PASS	DP=9;NOTE=second_allele_symbolic
}

// A malformed record gives its line number and a reason a person can act on.
func ExampleParseRecord() {
	var rec vcf.Record
	err := vcf.ParseRecord([]byte("chr1\t12x\t.\tA\tG\t.\t.\t."), 17, &rec)
	fmt.Println(err)
	// Output: line 17: POS "12x" is not a positive integer
}
