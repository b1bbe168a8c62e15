package jobs

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/vcf"
)

// testVCF is a header and records over three chromosomes, with runs of
// records at one position (split multi-allelic sites) and blank lines.
func testVCF() (text []byte, records []string, lineOf map[string]int64) {
	var b bytes.Buffer
	b.WriteString("##fileformat=VCFv4.2\n##contig=<ID=1>\n##contig=<ID=2>\n##contig=<ID=3>\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	line := int64(5)
	lineOf = map[string]int64{}
	add := func(rec string) {
		line++
		b.WriteString(rec + "\n")
		records = append(records, rec)
		lineOf[rec] = line
	}
	for _, c := range []struct {
		chrom string
		n     int
	}{{"1", 230}, {"2", 40}, {"3", 130}} {
		for i := range c.n {
			pos := 1000 + 10*(i/3) // three records per position
			add(fmt.Sprintf("%s\t%d\t.\tA\t%c\t.\t.\tI=%d", c.chrom, pos, "CGT"[i%3], i))
			if i%97 == 50 {
				line++
				b.WriteString("\n") // a blank line: skipped, but it counts
			}
		}
	}
	return b.Bytes(), records, lineOf
}

func bgzfBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	bw := vcf.NewBGZFWriter(&buf, 2)
	if _, err := bw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// memSinks collects pieces in memory.
type memSinks struct{ pieces []*bytes.Buffer }

func (m *memSinks) create(i int) (pieceSink, error) {
	if i != len(m.pieces) {
		return pieceSink{}, fmt.Errorf("piece %d created out of order", i)
	}
	b := &bytes.Buffer{}
	m.pieces = append(m.pieces, b)
	return pieceSink{w: b, finish: func(err error) error { return err }}, nil
}

// readPiece decompresses a piece and returns its header text and lines.
func readPiece(t *testing.T, p []byte) (string, []string) {
	t.Helper()
	if !bytes.HasSuffix(p, bgzfEOF) {
		t.Fatal("piece does not end with the BGZF EOF marker")
	}
	zr, err := gzip.NewReader(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	end := headerEnd(b)
	if end < 0 {
		t.Fatalf("piece without header:\n%s", b)
	}
	return string(b[:end]), strings.Split(strings.TrimSuffix(string(b[end:]), "\n"), "\n")
}

func TestSplitVCF(t *testing.T) {
	t.Parallel()
	text, records, lineOf := testVCF()
	header := string(text[:headerEnd(text)])
	for _, in := range []struct {
		name string
		data []byte
	}{{"plain", text}, {"gzip", sharedtest.Gzip(t, text)}, {"bgzf", bgzfBytes(t, text)}} {
		for _, n := range []int{1, 2, 3, 4, 7} {
			t.Run(fmt.Sprintf("%s/%d", in.name, n), func(t *testing.T) {
				t.Parallel()
				var m memSinks
				ps, err := splitVCF(context.Background(), bytes.NewReader(in.data), splitConfig{Pieces: n, Records: int64(len(records)), Workers: 2}, m.create)
				if err != nil {
					t.Fatal(err)
				}
				if len(ps) != n || len(m.pieces) != n {
					t.Fatalf("%d pieces (%d written), want %d", len(ps), len(m.pieces), n)
				}
				var got []string
				var prevLast string
				for i, p := range ps {
					hdr, lines := readPiece(t, m.pieces[i].Bytes())
					if hdr != header {
						t.Fatalf("piece %d header:\n%s\nwant:\n%s", i, hdr, header)
					}
					hdrLines := int64(strings.Count(hdr, "\n"))
					var recs int64
					for k, l := range lines {
						if l == "" {
							continue // a kept blank line
						}
						recs++
						got = append(got, l)
						// Line numbers map back to the input with one offset.
						if want, at := lineOf[l], hdrLines+int64(k)+1+p.LineOffset; at != want {
							t.Fatalf("piece %d line %d maps to input line %d, want %d (%q)", i, k, at, want, l)
						}
					}
					if recs != p.Records {
						t.Fatalf("piece %d has %d records, says %d", i, recs, p.Records)
					}
					// Never between two records of one position.
					first := lines[0]
					if i > 0 && p.First == prevLast {
						t.Fatalf("piece %d starts at %s, where piece %d ends (%q)", i, p.First, i-1, first)
					}
					prevLast = p.Last
					// Balanced: within the position-run slack of an equal share.
					share := int64(len(records)) / int64(n)
					if n > 1 && (p.Records < share/2 || p.Records > 2*share) {
						t.Fatalf("piece %d has %d records; share %d", i, p.Records, share)
					}
				}
				if strings.Join(got, "\n") != strings.Join(records, "\n") {
					t.Fatal("pieces together differ from the input records")
				}
			})
		}
	}
}

// TestSplitPrefersChromosome: a chromosome change in the last tenth
// before a piece's share ends the piece there; an earlier one does not.
func TestSplitPrefersChromosome(t *testing.T) {
	t.Parallel()
	twoChroms := func(a, b int) []byte {
		var buf bytes.Buffer
		buf.WriteString("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
		for i := range a {
			fmt.Fprintf(&buf, "A\t%d\t.\tA\tC\t.\t.\t.\n", i+1)
		}
		for i := range b {
			fmt.Fprintf(&buf, "B\t%d\t.\tA\tC\t.\t.\t.\n", i+1)
		}
		return buf.Bytes()
	}
	for _, c := range []struct {
		a, b  int
		first int64
	}{{95, 105, 95}, {90, 110, 90}, {85, 115, 100}, {100, 100, 100}} {
		ps, err := splitVCF(context.Background(), bytes.NewReader(twoChroms(c.a, c.b)), splitConfig{Pieces: 2, Records: int64(c.a + c.b)}, (&memSinks{}).create)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 || ps[0].Records != c.first || ps[1].Records != int64(c.a+c.b)-c.first {
			t.Errorf("A×%d B×%d: pieces %+v, want the first with %d records", c.a, c.b, ps, c.first)
		}
	}
	// Records of one position stay together: the piece ends after the run.
	text, records, _ := testVCF() // three records per position
	ps, err := splitVCF(context.Background(), bytes.NewReader(text), splitConfig{Pieces: 2, Records: int64(len(records))}, (&memSinks{}).create)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Records != 201 {
		t.Fatalf("pieces %+v, want the first to end after record 201 (its position's third)", ps)
	}
}

func TestSplitVCFErrors(t *testing.T) {
	t.Parallel()
	text, records, _ := testVCF()
	// A corrupt compressed input fails as an input error (the user's
	// fault), and the piece being written is abandoned. The input spans
	// several blocks, so a piece is open when the damage is met.
	big := bytes.NewBuffer(text[:headerEnd(text)])
	for i := range 20000 {
		fmt.Fprintf(big, "1\t%d\t.\tA\tC\t.\t.\tX=%d\n", i+1, i*7919%10007)
	}
	bad := sharedtest.Gzip(t, big.Bytes())
	bad = bad[:len(bad)*2/3]
	var abandoned int
	_, err := splitVCF(context.Background(), bytes.NewReader(bad), splitConfig{Pieces: 2, Records: 20000},
		func(int) (pieceSink, error) {
			return pieceSink{w: io.Discard, finish: func(err error) error {
				if err != nil {
					abandoned++
				}
				return err
			}}, nil
		})
	var ie *annotate.InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Msg, "truncated gzip") {
		t.Fatalf("err = %v", err)
	}
	if abandoned != 1 {
		t.Fatalf("%d pieces abandoned, want 1", abandoned)
	}
	// A store that fails is not an input error.
	_, err = splitVCF(context.Background(), bytes.NewReader(text), splitConfig{Pieces: 2, Records: int64(len(records))},
		func(int) (pieceSink, error) {
			return pieceSink{w: io.Discard, finish: func(error) error { return errors.New("disk full") }}, nil
		})
	if err == nil || annotate.IsInputError(err) {
		t.Fatalf("store failure: %v", err)
	}
}

func TestCut(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		n, target  int64
		chrom, pos bool
		want       bool
		why        string
	}{
		{99, 100, false, true, false, "below target"},
		{100, 100, false, true, true, "target reached at a new position"},
		{100, 100, false, false, false, "same position continues"},
		{90, 100, true, true, true, "new chromosome in the last tenth"},
		{89, 100, true, true, false, "new chromosome too early"},
		{200, 100, false, false, true, "one position without end"},
	} {
		if got := cut(c.n, c.target, c.chrom, c.pos); got != c.want {
			t.Errorf("%s: cut(%d, %d, %v, %v) = %v", c.why, c.n, c.target, c.chrom, c.pos, got)
		}
	}
}
