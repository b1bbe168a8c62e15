package annotate

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenInput covers the consequence classes on the model gene (forward
// strand) and its mirror copy on a second contig (reverse strand), plus a
// known variant, a track hit, a symbolic allele and an unknown contig.
func goldenInput() (string, *testRef) {
	g := modelGenome()
	rg, rev := mirror(g, modelTranscript(true))
	ref := modelRef()
	ref.names = append(ref.names, "r")
	ref.seqs = append(ref.seqs, rg)
	rev.ID, rev.Contig = "TXR", 2
	ref.addTranscripts(rev)
	var b bytes.Buffer
	b.WriteString("##fileformat=VCFv4.2\n##contig=<ID=m,length=200>\n##contig=<ID=ns>\n##contig=<ID=r,length=200>\n##contig=<ID=zz>\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	var fwd, mir []string
	for _, c := range modelCases(g) {
		fwd = append(fwd, "m\t"+strconv.Itoa(c.pos)+"\t"+c.name+"\t"+c.ref+"\t"+c.alt+"\t.\t.\t.\n")
		p, r, a := mirrorVariant(g, c.pos, c.ref, c.alt)
		mir = append(mir, "r\t"+strconv.Itoa(p)+"\t"+c.name+"\t"+r+"\t"+a+"\t.\t.\t.\n")
	}
	for _, l := range fwd {
		b.WriteString(l)
	}
	b.WriteString("m\t75\t.\t" + string(g[74]) + "\t<DEL>,*\t.\t.\tSVTYPE=DEL;END=80\n")
	b.WriteString("ns\t44\t.\tG\tA\t.\t.\t.\n")
	for i := len(mir) - 1; i >= 0; i-- {
		b.WriteString(mir[i])
	}
	b.WriteString("zz\t5\t.\tA\tT\t.\t.\t.\n")
	return b.String(), ref
}

// TestGolden compares the complete output for goldenInput with
// testdata/model.golden.vcf (go test -run TestGolden -update rewrites it).
// It pins every field of the output, so any change in the engine's answers
// shows up as a reviewable diff.
func TestGolden(t *testing.T) {
	t.Parallel()
	in, ref := goldenInput()
	var out bytes.Buffer
	if _, err := run(context.Background(), bytes.NewReader([]byte(in)), &out, ref,
		bundleMeta{Name: "model", Assembly: "test", Checksum: "0"}, Options{Version: "golden"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "model.golden.vcf")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		gl, wl := bytes.Split(out.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if !bytes.Equal(gl[i], wl[i]) {
				t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("output has %d lines, golden %d", len(gl), len(wl))
	}
}
