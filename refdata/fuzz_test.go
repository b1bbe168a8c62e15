package refdata

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzGFF feeds arbitrary text to the GFF3/GTF parser: it must return
// transcripts or an error, never panic, and what it returns must be sane.
func FuzzGFF(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testdataDir(), "bcftools-csq", "*", "*.gff"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	for _, p := range []string{"genes.gtf.gz", "genes.gff3.gz"} {
		if fh, err := os.Open(filepath.Join(testdataDir(), "vep-chr21", p)); err == nil {
			if gz, err := gzip.NewReader(fh); err == nil {
				head := make([]byte, 24<<10)
				n, _ := io.ReadFull(gz, head)
				f.Add(head[:n])
			}
			fh.Close()
		}
	}
	f.Add([]byte("c\tx\tCDS\t10\t30\t.\t-\t1\tParent=transcript:T1;tag=cds_start_NF\n"))
	f.Add([]byte("c\tx\tstop_codon\t10\t12\t.\t+\t0\tgene_id \"G\"; transcript_id \"T,U\";\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		gm, err := parseGenes(context.Background(), strings.NewReader(string(data)), "fuzz.gff")
		if err != nil {
			return
		}
		for _, tx := range gm.tx {
			if tx.Contig < 0 || tx.Contig >= len(gm.contigs) {
				t.Fatalf("%s: contig %d of %d", tx.ID, tx.Contig, len(gm.contigs))
			}
			if len(tx.Exons) == 0 || tx.Start < 1 || tx.End < tx.Start {
				t.Fatalf("%s: bad extent %d-%d, %d exons", tx.ID, tx.Start, tx.End, len(tx.Exons))
			}
			for i, e := range tx.Exons {
				if e.End < e.Start || e.Start < tx.Start || e.End > tx.End || i > 0 && e.Start <= tx.Exons[i-1].End {
					t.Fatalf("%s: exon %d %v", tx.ID, i, e)
				}
			}
			if tx.Phase < 0 || tx.Phase > 2 || tx.Strand != Forward && tx.Strand != Reverse {
				t.Fatalf("%s: phase %d strand %d", tx.ID, tx.Phase, tx.Strand)
			}
		}
		// Whatever parses must survive the binary round trip.
		sortTranscripts(gm.tx)
		back, err := decodeTranscripts(encodeTranscripts(gm.tx), len(gm.contigs))
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if len(back) != len(gm.tx) {
			t.Fatalf("round trip: %d transcripts, want %d", len(back), len(gm.tx))
		}
	})
}

// testdataDir is ../shared/testdata from the module root, or "" (the fuzz
// seeds are optional).
func testdataDir() string {
	dir, _ := os.Getwd()
	for dir != filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "testdata")
		}
		dir = filepath.Dir(dir)
	}
	return ""
}
