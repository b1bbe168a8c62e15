package refdata

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestDemoBundleAndVCF(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "demo")
	m, err := BuildDemo(context.Background(), out, "test")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if m.Counts.Contigs != 7 || m.Counts.CodingTranscripts == 0 || m.Counts.KnownVariants < 100000 || m.Counts.TrackIntervals["CPG_ISLAND"] == 0 {
		t.Errorf("counts %+v", m.Counts)
	}
	vcf := DemoVCF()
	if !bytes.HasPrefix(vcf, []byte("##fileformat=VCF")) {
		t.Fatal("DemoVCF does not start with ##fileformat")
	}
	var contigOrder []string
	prevContig, prevPos := "", 0
	seenContig := map[string]bool{}
	records, known, withSeq, inTx := 0, 0, 0, 0
	var dst []*Transcript
	for i, line := range strings.Split(strings.TrimSuffix(string(vcf), "\n"), "\n") {
		if id, ok := strings.CutPrefix(line, "##contig=<ID="); ok {
			contigOrder = append(contigOrder, id[:strings.IndexAny(id, ",>")])
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 10 {
			t.Fatalf("line %d: %d columns", i+1, len(f))
		}
		records++
		c, ok := b.ContigID([]byte(f[0]))
		if !ok {
			t.Fatalf("line %d: contig %s not in the demo bundle", i+1, f[0])
		}
		pos, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if f[0] != prevContig {
			if seenContig[f[0]] {
				t.Fatalf("line %d: contig %s not contiguous (unsorted VCF)", i+1, f[0])
			}
			seenContig[f[0]] = true
			prevContig, prevPos = f[0], 0
		}
		if pos < prevPos {
			t.Fatalf("line %d: unsorted position", i+1)
		}
		prevPos = pos
		if b.HasSequence(c) {
			withSeq++
			ref, err := b.Seq(c, pos, pos+len(f[3])-1)
			if err != nil || string(ref) != f[3] {
				t.Errorf("line %d: REF %s, reference has %s (%v)", i+1, f[3], ref, err)
			}
		}
		if _, _, ok := lookupKnown(b, c, pos, []byte(f[3]), []byte(strings.Split(f[4], ",")[0])); ok {
			known++
		}
		if dst = b.Overlapping(c, pos, pos, dst[:0]); len(dst) > 0 {
			inTx++
		}
	}
	for i, c := range contigOrder {
		if i >= len(b.Contigs()) || b.Contigs()[i] != c {
			t.Errorf("##contig order %v differs from the bundle's %v", contigOrder, b.Contigs())
			break
		}
	}
	if records < 150 || withSeq < 24 || known < 50 || inTx < records/2 {
		t.Errorf("%d records, %d on sequence contigs, %d known, %d in transcripts", records, withSeq, known, inTx)
	}
	t.Logf("demo: %d records, %d on sequence contigs, %d known, %d inside transcripts; %+v", records, withSeq, known, inTx, m.Counts)
}

// TestDemoChr21Base: the demo's known bases of 21, as tests read them, are
// the bundle's.
func TestDemoChr21Base(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "demo")
	if _, err := BuildDemo(context.Background(), out, "test"); err != nil {
		t.Fatal(err)
	}
	b, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c, ok := b.ContigID([]byte("21"))
	if !ok || !b.HasSequence(c) {
		t.Fatal("the demo has no sequence for 21")
	}
	known := 0
	for pos := int64(25_000_000); pos <= 26_000_000; pos++ {
		got := DemoChr21Base(pos)
		want, err := b.Seq(c, int(pos), int(pos))
		if err != nil || got != want[0] {
			t.Fatalf("DemoChr21Base(%d) = %c, the bundle has %s (%v)", pos, got, want, err)
		}
		if got != 'N' {
			known++
		}
	}
	if known < 10_000 || DemoChr21Base(1) != 'N' || DemoChr21Base(46_709_983) != 'N' {
		t.Errorf("%d known bases in 25-26 Mb", known)
	}
}

// TestDemoIsCurrent: a built demo carries the revision of the embedded
// sources; one without it (an older build) is not current, and building
// over an existing folder is refused.
func TestDemoIsCurrent(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "demo")
	if _, err := BuildDemo(context.Background(), out, "test"); err != nil {
		t.Fatal(err)
	}
	if !DemoIsCurrent(out) || len(DemoRevision()) != 16 {
		t.Fatalf("fresh demo not current (revision %q)", DemoRevision())
	}
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil || len(entries) != 1 {
		t.Fatalf("left beside the demo: %v %v", entries, err)
	}
	if _, err := BuildDemo(context.Background(), out, "test"); err == nil {
		t.Fatal("built over an existing demo")
	}
	if err := os.WriteFile(filepath.Join(out, demoRevisionFile), []byte("0123456789abcdef\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if DemoIsCurrent(out) {
		t.Fatal("a demo of other sources is current")
	}
}
