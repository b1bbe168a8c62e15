package refdata

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
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
	f.Add([]byte(slipGFF("-", "0", "0")))
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
		for i := range back {
			if !slices.Equal(back[i].CDS, gm.tx[i].CDS) {
				t.Fatalf("round trip: %s: coding parts %v, want %v", back[i].ID, back[i].CDS, gm.tx[i].CDS)
			}
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

// FuzzDecode feeds corrupt index files to the decoders Open uses: they must
// fail with an error, never panic or run away with memory.
func FuzzDecode(f *testing.F) {
	tx := []Transcript{
		{ID: "T1", GeneID: "G1", GeneName: "N", Biotype: "protein_coding", Contig: 0, Strand: Forward, Start: 10, End: 100,
			Exons: []Exon{{10, 40}, {60, 100}}, CDSStart: 20, CDSEnd: 80, Phase: 1, StartIncomplete: true},
		{ID: "T2", Contig: 1, Strand: Reverse, Start: 5, End: 9, Exons: []Exon{{5, 9}}, Canonical: true},
		{ID: "T3", Contig: 1, Strand: Forward, Start: 10, End: 100, Exons: []Exon{{10, 100}}, CDSStart: 11, CDSEnd: 87,
			CDS: []CDSPart{{11, 40, 0}, {40, 87, 0}}},
	}
	f.Add(encodeTranscripts(tx), uint8(2))
	var bt builtTrack
	bt.name = "T"
	off, l := bt.heap.ref("band")
	bt.ivs = []bedInterval{{contig: 0, start: 1, end: 5, nameOff: off, nameLen: l}, {contig: 1, start: 3, end: 3}}
	f.Add(encodeTracks([]builtTrack{bt}), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, nc uint8) {
		ncontigs := int(nc % 8)
		if txs, err := decodeTranscripts(data, ncontigs); err == nil {
			for _, x := range txs {
				if x.Contig >= ncontigs || len(x.Exons) == 0 {
					t.Fatalf("decoded a bad transcript %+v", x)
				}
			}
		}
		if tracks, _, err := decodeTracks(data, ncontigs); err == nil {
			for i := range tracks {
				for c := range tracks[i].index {
					tracks[i].index[c].query(1, 1000, func(id int32) { tracks[i].name(id) })
				}
			}
		}
	})
}

// FuzzSourceIndex feeds corrupt source files to parseSource and looks
// alleles up in what it accepts: errors, never panics.
func FuzzSourceIndex(f *testing.F) {
	dir := f.TempDir()
	genes := filepath.Join(dir, "g.gff")
	os.WriteFile(genes, []byte("1\tx\texon\t50\t500\t.\t+\t.\tParent=transcript:T1\n"), 0o644)
	known := filepath.Join(dir, "k.vcf")
	os.WriteFile(known, []byte(knownVCF+"chr1\t500\trs9\tACGTACGTACGTAC\tA\t.\t.\tAF=0.5\nchr1\t500\trs9\tA\tAT\t.\t.\tAF=0.5\n"), 0o644)
	out := filepath.Join(dir, "b")
	m, err := Build(context.Background(), BuildOptions{Name: "f", Genes: genes, KnownVariants: known, Out: out})
	if err != nil {
		f.Fatal(err)
	}
	si := m.AnnotationSources[0]
	kinds := make([]uint8, len(si.Fields))
	for i, fl := range si.Fields {
		kinds[i], _ = storedKind(fl.Stored)
	}
	idx, _ := os.ReadFile(filepath.Join(out, si.Data[0]))
	dat, _ := os.ReadFile(filepath.Join(out, si.Data[1]))
	f.Add(idx, dat)
	queries := []struct {
		pos      int
		ref, alt string
	}{{100, "A", "G"}, {100, "A", "T"}, {200, "CAG", "C"}, {300, "C", "CTT"}, {400, "G", "A"}, {500, "ACGTACGTACGTAC", "A"}, {500, "A", "AT"}}
	f.Fuzz(func(t *testing.T, idx, dat []byte) {
		s, err := parseSource(idx, dat, 2, kinds)
		if err != nil {
			return
		}
		var a Allele
		var h Hit
		var cur Cursor
		for c := 0; c < 2; c++ {
			for _, q := range queries {
				a.Set(q.pos, []byte(q.ref), []byte(q.alt))
				if s.lookup(&cur, c, &a, &h) {
					h.ID()
					for f := 0; f < h.NumFields(); f++ {
						h.AppendValue(nil, f)
					}
				}
			}
		}
	})
}
