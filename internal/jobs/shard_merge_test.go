package jobs

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/vcf"
)

// mergeInput is a VCF whose header spans several BGZF members (many contig
// lines) and whose records span many more.
func mergeInput(records int) (header []byte, lines [][]byte) {
	var h bytes.Buffer
	h.WriteString("##fileformat=VCFv4.2\n")
	for i := range 4000 {
		fmt.Fprintf(&h, "##contig=<ID=scaffold_%05d,length=%d>\n", i, 100000+i)
	}
	h.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	for i := range records {
		lines = append(lines, fmt.Appendf(nil, "1\t%d\t.\tA\tG\t.\t.\tANN=G|missense_variant|MODERATE|GENE%d\n", 1000+i, i%977))
	}
	return h.Bytes(), lines
}

// pieceOf writes header + lines as one BGZF file, as the engine does.
func pieceOf(t *testing.T, header []byte, lines [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	bw := vcf.NewBGZFWriter(&buf, 2)
	bw.Write(header)
	for _, l := range lines {
		bw.Write(l)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mergePieces(pieces [][]byte) ([]byte, error) {
	var out bytes.Buffer
	err := mergeBGZF(context.Background(), &out, len(pieces), func(i int) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(pieces[i])), nil
	})
	return out.Bytes(), err
}

func TestMergeBGZF(t *testing.T) {
	t.Parallel()
	header, lines := mergeInput(30000)
	want := append(append([]byte{}, header...), bytes.Join(lines, nil)...)
	// Uneven pieces, one of them without records.
	cuts := []int{0, 7, 7, 16000, 30000}
	var pieces [][]byte
	for i := 1; i < len(cuts); i++ {
		pieces = append(pieces, pieceOf(t, header, lines[cuts[i-1]:cuts[i]]))
	}
	got, err := mergePieces(pieces)
	if err != nil {
		t.Fatal(err)
	}

	// The decompressed content is the header once and every record in order.
	zr, err := gzip.NewReader(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(text, want) {
		t.Fatalf("merged content differs: %d bytes, want %d", len(text), len(want))
	}

	// BGZF structure: members of at most 64 KiB, exactly one empty member, last.
	br := bufio.NewReader(bytes.NewReader(got))
	var members, empty int
	var m []byte
	for {
		m, err = readMember(br, m)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		members++
		if memberSize(m) == 0 {
			empty++
		}
	}
	if empty != 1 || !bytes.HasSuffix(got, bgzfEOF) || members < 10 {
		t.Fatalf("%d members, %d empty; ends with EOF marker: %v", members, empty, bytes.HasSuffix(got, bgzfEOF))
	}

	// The repo's reader (parallel BGZF path) reads every record.
	n, err := vcf.CountRecords(context.Background(), bytes.NewReader(got), vcf.ReaderOptions{Workers: 2})
	if err != nil || n != int64(len(lines)) {
		t.Fatalf("vcf reader: %d records, %v", n, err)
	}

	// htslib's own check, when installed.
	if bgzip, err := exec.LookPath("bgzip"); err == nil {
		f := filepath.Join(t.TempDir(), "merged.vcf.gz")
		if err := os.WriteFile(f, got, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bgzip, "-t", f).CombinedOutput(); err != nil {
			t.Fatalf("bgzip -t: %v\n%s", err, out)
		}
		// tabix indexes by virtual offsets into the BGZF blocks, so it
		// proves the block structure, not only the content.
		if tabix, err := exec.LookPath("tabix"); err == nil {
			if out, err := exec.Command(tabix, "-p", "vcf", f).CombinedOutput(); err != nil {
				t.Fatalf("tabix -p vcf: %v\n%s", err, out)
			}
			out, err := exec.Command(tabix, f, "1:20000-20009").Output()
			if err != nil || bytes.Count(out, []byte("\n")) != 10 {
				t.Fatalf("tabix query: %v\n%s", err, out)
			}
		}
	} else {
		t.Log("bgzip not installed (apt-get install tabix); htslib check skipped")
	}
}

func TestMergeBGZFErrors(t *testing.T) {
	t.Parallel()
	header, lines := mergeInput(100)
	other := bytes.Replace(header, []byte("scaffold_00001"), []byte("scaffold_x0001"), 1)
	_, err := mergePieces([][]byte{pieceOf(t, header, lines[:50]), pieceOf(t, other, lines[50:])})
	if !errors.Is(err, errHeaderMismatch) {
		t.Fatalf("different headers: %v", err)
	}
	good := pieceOf(t, header, lines)
	for name, p := range map[string][]byte{
		"truncated":  good[:len(good)/2],
		"plain gzip": sharedtest.Gzip(t, append(append([]byte{}, header...), lines[0]...)),
		"no header":  pieceOf(t, []byte("##fileformat=VCFv4.2\n"), nil),
	} {
		if _, err := mergePieces([][]byte{good, p}); err == nil {
			t.Errorf("%s piece: merged without error", name)
		}
	}
}

func TestMergeSummaries(t *testing.T) {
	t.Parallel()
	a := &annotate.Summary{Bundle: "demo", BundleChecksum: "sha256:1", Records: 10, Alleles: 11, Annotated: 9, NotAnnotated: 1, RefEqualsAlt: 1, Known: 2, Novel: 7,
		Consequences: map[string]int64{"missense_variant": 3}, Impacts: map[string]int64{"MODERATE": 3},
		Chromosomes: map[string]int64{"1": 10}, Tracks: map[string]int64{"cpg": 1},
		Warnings: []string{"contig X is not in the reference bundle: its variants are reported as intergenic", "line 12: REF at 1:5 extends beyond the end"},
		Errors:   []string{"line 9: bad POS"}, Seconds: 1}
	b := &annotate.Summary{Bundle: "demo", BundleChecksum: "sha256:1", Records: 5, Alleles: 5, Annotated: 4, RefEqualsAlt: 1, Novel: 4, Skipped: 1,
		Consequences: map[string]int64{"missense_variant": 1, "synonymous_variant": 2}, Impacts: map[string]int64{"LOW": 2},
		Chromosomes: map[string]int64{"1": 2, "2": 3},
		Warnings:    []string{"contig X is not in the reference bundle: its variants are reported as intergenic"},
		Errors:      []string{"line 9: bad POS", "not tied to a line"}, Seconds: 2}
	got := mergeSummaries([]*annotate.Summary{a, b}, []int64{0, 100})
	want := &annotate.Summary{Bundle: "demo", BundleChecksum: "sha256:1", Records: 15, Alleles: 16, Annotated: 13, NotAnnotated: 1, RefEqualsAlt: 2, Skipped: 1, Known: 2, Novel: 11,
		Consequences: map[string]int64{"missense_variant": 4, "synonymous_variant": 2}, Impacts: map[string]int64{"MODERATE": 3, "LOW": 2},
		Chromosomes: map[string]int64{"1": 12, "2": 3}, Tracks: map[string]int64{"cpg": 1},
		Warnings: []string{"contig X is not in the reference bundle: its variants are reported as intergenic", "line 12: REF at 1:5 extends beyond the end"},
		Errors:   []string{"line 9: bad POS", "line 109: bad POS", "not tied to a line"}, Seconds: 3}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merged summary\n%+v\nwant\n%+v", got, want)
	}

	// Capped lists stay capped, with the engine's marker once.
	var many []*annotate.Summary
	for range 3 {
		s := &annotate.Summary{}
		for k := range 60 {
			s.Errors = append(s.Errors, fmt.Sprintf("line %d: bad", k+1))
		}
		s.Errors = append(s.Errors, omitted)
		many = append(many, s)
	}
	got = mergeSummaries(many, []int64{0, 1000, 2000})
	if len(got.Errors) != maxListed+1 || got.Errors[maxListed] != omitted || got.Errors[60] != "line 1001: bad" {
		t.Fatalf("capped errors: %d, last %q, [60] %q", len(got.Errors), got.Errors[len(got.Errors)-1], got.Errors[60])
	}
}

// FuzzMergeBGZF: whatever bytes a piece holds, the merge returns an error or
// a result, never panics or loops. Record blocks are copied without being
// inflated (the pieces are the engine's own output), so a result is only
// checked for its shape: whole BGZF members ending with one EOF marker.
func FuzzMergeBGZF(f *testing.F) {
	header, lines := mergeInput(3)
	var good bytes.Buffer
	bw := vcf.NewBGZFWriter(&good, 1)
	bw.Write([]byte("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t5\t.\tA\tC\t.\t.\t.\n"))
	bw.Close()
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:40])
	f.Add(bgzfEOF)
	f.Add(append(append([]byte{}, header[:100]...), lines[0]...))
	f.Fuzz(func(t *testing.T, piece []byte) {
		out, err := mergePieces([][]byte{piece, piece})
		if err != nil {
			return
		}
		br := bufio.NewReader(bytes.NewReader(out))
		var m []byte
		empty := 0
		for {
			m, err = readMember(br, m)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("merged output is not whole BGZF members: %v", err)
			}
			if memberSize(m) == 0 {
				empty++
			}
		}
		if empty != 1 || !bytes.HasSuffix(out, bgzfEOF) {
			t.Fatalf("%d empty members; ends with EOF marker: %v", empty, bytes.HasSuffix(out, bgzfEOF))
		}
	})
}
