package refdata

import (
	"context"
	"path/filepath"
	"testing"
)

func TestQuick(t *testing.T) {
	out := filepath.Join(t.TempDir(), "b")
	m, err := Build(context.Background(), BuildOptions{Name: "x", Genes: "../../shared/testdata/vep-chr21/genes.gff3.gz", KnownVariants: "../../shared/testdata/vep-chr21/known_variants.vcf.gz", Out: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", m.Counts)
	b, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	id, info, ok := b.LookupKnown(0, 25000001, []byte("C"), []byte("T"))
	t.Logf("%s %s %v", id, info, ok)
	tx := b.Overlapping(0, 25500000, 25600000, nil)
	for _, x := range tx {
		t.Logf("%s %s %s %d-%d cds %d-%d %d exons ph %d %v %v", x.ID, x.GeneName, x.Biotype, x.Start, x.End, x.CDSStart, x.CDSEnd, len(x.Exons), x.Phase, x.StartIncomplete, x.EndIncomplete)
	}
}
