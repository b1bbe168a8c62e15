package refdata

import (
	"context"
	"embed"
	"fmt"
	"os"
	"path/filepath"
)

// demoFS holds the sources of the demo bundle (see refdata/demo/make-demo.sh
// for how they were cut from public test data, and NOTICE for attribution).
// The sources, not a built bundle, are embedded: they are smaller, and the
// bundle is then always in the current format.
//
//go:embed demo/genes.gff3.gz demo/genome.fa.gz demo/known.vcf.gz demo/cpg.bed demo/demo.vcf
var demoFS embed.FS

// DemoName is the name of the shipped demo bundle.
const DemoName = "demo"

// BuildDemo builds the shipped demo bundle into out (which must not exist):
// GRCh38 genes of 21:25-26 Mb with dbSNP known variants and a CpG-island
// track, plus six human gene slices with sequence (contigs named after their
// transcript), so that every kind of consequence, protein changes included,
// can be shown without a download.
func BuildDemo(ctx context.Context, out string, version string) (*Manifest, error) {
	src, err := os.MkdirTemp("", "gas-demo-src-")
	if err != nil {
		return nil, fmt.Errorf("refdata: build demo: %w", err)
	}
	defer os.RemoveAll(src)
	for _, name := range []string{"genes.gff3.gz", "genome.fa.gz", "known.vcf.gz", "cpg.bed"} {
		data, err := demoFS.ReadFile("demo/" + name)
		if err != nil {
			return nil, fmt.Errorf("refdata: build demo: %w", err)
		}
		if err := os.WriteFile(filepath.Join(src, name), data, 0o600); err != nil {
			return nil, fmt.Errorf("refdata: build demo: %w", err)
		}
	}
	return Build(ctx, BuildOptions{
		Name:     DemoName,
		Assembly: "GRCh38",
		Genes:    filepath.Join(src, "genes.gff3.gz"),
		FASTA:    filepath.Join(src, "genome.fa.gz"),
		Sources:  []SourceSpec{{Name: "dbsnp", Kind: KindKnown, Path: filepath.Join(src, "known.vcf.gz"), ID: true}},
		Tracks:   []Track{{Name: "CPG_ISLAND", Path: filepath.Join(src, "cpg.bed")}},
		Out:      out,
		Version:  version,
	})
}

// DemoVCF returns the example VCF matching the demo bundle: the Ensembl VEP
// test sample (132 chr21 records) and bcftools csq test records on the
// slices. The caller may modify the returned slice.
func DemoVCF() []byte {
	data, err := demoFS.ReadFile("demo/demo.vcf")
	if err != nil {
		// The file is embedded at compile time; this cannot happen.
		return nil
	}
	return data
}
