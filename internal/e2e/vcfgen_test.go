package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gas-project/gas/refdata"
)

// chr21VCF returns n SNVs on chromosome 21 between 25.0 and 26.0 Mb, the
// region the demo bundle's genes and known variants cover, so every record
// takes the engine's full path (transcripts, dbSNP lookup, CpG track).
// REF is the demo's base where it has one (its coding exons), else any
// base: the demo's sequence of 21 is N there, which accepts every REF.
func chr21VCF(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 21))
	var b bytes.Buffer
	b.WriteString("##fileformat=VCFv4.2\n##contig=<ID=21,length=46709983>\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	const bases = "ACGT"
	pos := 25_000_000
	step := max(1, 1_000_000/max(n, 1))
	for range n {
		pos += 1 + rng.IntN(step)
		ref := rng.IntN(4)
		if i := strings.IndexByte(bases, refdata.DemoChr21Base(int64(pos))); i >= 0 {
			ref = i
		}
		alt := (ref + 1 + rng.IntN(3)) % 4
		fmt.Fprintf(&b, "21\t%d\t.\t%c\t%c\t.\t.\t.\n", pos, bases[ref], bases[alt])
	}
	return b.Bytes()
}
