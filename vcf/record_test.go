package vcf

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestParseRecord(t *testing.T) {
	t.Parallel()
	line := "chr1\t12345\trs1\tA\tC,GT,<DEL>,*\t50\tPASS\tDP=3;AF=0.5\tGT:DP\t0/1:3\t1/1:7"
	var rec Record
	if err := ParseRecord([]byte(line), 9, &rec); err != nil {
		t.Fatalf("ParseRecord: %v", err)
	}
	if rec.LineNo != 9 || string(rec.Chrom) != "chr1" || rec.Pos != 12345 || string(rec.ID) != "rs1" || string(rec.Ref) != "A" {
		t.Errorf("fixed columns: %+v", rec)
	}
	var alts []string
	for _, a := range rec.Alts {
		alts = append(alts, string(a))
	}
	if got := strings.Join(alts, "|"); got != "C|GT|<DEL>|*" {
		t.Errorf("Alts = %q", got)
	}
	if string(rec.Qual) != "50" || string(rec.Filter) != "PASS" || string(rec.Info) != "DP=3;AF=0.5" {
		t.Errorf("QUAL/FILTER/INFO = %q %q %q", rec.Qual, rec.Filter, rec.Info)
	}
	if string(rec.Rest) != "GT:DP\t0/1:3\t1/1:7" {
		t.Errorf("Rest = %q", rec.Rest)
	}

	// Re-using the record: a sites-only line clears Rest and Alts.
	if err := ParseRecord([]byte("2\t1\t.\tacgtn\t.\t.\t.\t."), 10, &rec); err != nil {
		t.Fatalf("ParseRecord sites-only: %v", err)
	}
	if rec.Rest != nil || len(rec.Alts) != 0 || rec.Pos != 1 || string(rec.Ref) != "acgtn" {
		t.Errorf("re-used record: Rest=%q Alts=%q Pos=%d", rec.Rest, rec.Alts, rec.Pos)
	}
	// Eight columns ending in an empty INFO still has no Rest.
	if err := ParseRecord([]byte("2\t1\t.\tA\tG\t.\t.\t"), 11, &rec); err != nil || rec.Rest != nil || len(rec.Info) != 0 {
		t.Errorf("empty INFO: err=%v Rest=%q Info=%q", err, rec.Rest, rec.Info)
	}
}

func TestParseRecordAllocs(t *testing.T) {
	line := []byte("chr1\t12345\trs1\tA\tC,G,T\t50\tPASS\tDP=3\tGT\t0/1")
	var rec Record
	_ = ParseRecord(line, 1, &rec)
	allocs := testing.AllocsPerRun(100, func() {
		if err := ParseRecord(line, 1, &rec); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ParseRecord allocates %.1f times per call, want 0", allocs)
	}
}

func TestParseRecordErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, line, want string
	}{
		{"too few columns", "1\t100\t.\tA\tC", "expected at least 8 tab-separated columns (CHROM POS ID REF ALT QUAL FILTER INFO), found 5"},
		{"spaces", "1 100 . A C . . .", "found 1; columns must be separated by tabs, not spaces"},
		{"seven columns", "1\t100\t.\tA\tC\t.\t.", "found 7"},
		{"empty chrom", "\t100\t.\tA\tC\t.\t.\t.", "CHROM (column 1) is empty"},
		{"pos letters", "1\t12x\t.\tA\tC\t.\t.\t.", `POS "12x" is not a positive integer`},
		{"pos zero", "1\t0\t.\tA\tC\t.\t.\t.", `POS "0" is not a positive integer`},
		{"pos negative", "1\t-5\t.\tA\tC\t.\t.\t.", `POS "-5" is not a positive integer`},
		{"pos empty", "1\t\t.\tA\tC\t.\t.\t.", `POS "" is not a positive integer`},
		{"pos overflow", "1\t99999999999999999999\t.\tA\tC\t.\t.\t.", `POS "99999999999999999999" is not a positive integer`},
		{"empty ref", "1\t100\t.\t\tC\t.\t.\t.", "REF (column 4) is empty"},
		{"bad ref", "1\t100\t.\tAXG\tC\t.\t.\t.", `REF "AXG" has the character 'X'; only A, C, G, T and N are allowed`},
		{"ref dot", "1\t100\t.\t.\tC\t.\t.\t.", `REF "." has the character '.'`},
		{"empty alt", "1\t100\t.\tA\t\t.\t.\t.", `ALT (column 5) is empty; use "." when there is no alternate allele`},
		{"bad alt", "1\t100\t.\tA\tC,R\t.\t.\t.", `ALT allele "R" has the character 'R'`},
		{"empty allele", "1\t100\t.\tA\tC,\t.\t.\t.", `ALT "C," has an empty allele`},
		{"leading comma", "1\t100\t.\tA\t,C\t.\t.\t.", `ALT ",C" has an empty allele`},
		{"control byte", "1\t100\t.\tA\tC\x01\t.\t.\t.", "has the byte 0x01"},
		{"unclosed symbolic", "1\t100\t.\tA\t<DEL\t.\t.\t.", `ALT allele "<DEL" has the character '<'`},
		{"header after data", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO", "header line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var rec Record
			err := ParseRecord([]byte(tc.line), 42, &rec)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseRecord(%q) = %v, want *ParseError", tc.line, err)
			}
			if pe.Line != 42 {
				t.Errorf("Line = %d, want 42", pe.Line)
			}
			if !strings.Contains(pe.Msg, tc.want) {
				t.Errorf("Msg = %q, want it to contain %q", pe.Msg, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "line 42: ") {
				t.Errorf("Error() = %q, want line prefix", err.Error())
			}
		})
	}
}

func TestParseRecordLongValueQuoted(t *testing.T) {
	t.Parallel()
	line := "1\t" + strings.Repeat("9x", 5000) + "\t.\tA\tC\t.\t.\t."
	var rec Record
	err := ParseRecord([]byte(line), 1, &rec)
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error for a 10 kB POS should be short, got %d bytes: %v", len(err.Error()), err)
	}
}

func TestIsSymbolic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alt  string
		want bool
	}{
		{"A", false}, {"ACGTN", false}, {"acgt", false}, {"", false},
		{"<DEL>", true}, {"<INS:ME:ALU>", true}, {"<*>", true}, {"<NON_REF>", true}, {"<>", false}, {"<DEL", false},
		{"*", true}, {".", true},
		{"G]17:198982]", true}, {"]13:123456]T", true}, {"C[2:321682[", true}, {"[17:198983[A", true},
		{".A", true}, {"G.", true},
	}
	for _, tc := range tests {
		if got := IsSymbolic([]byte(tc.alt)); got != tc.want {
			t.Errorf("IsSymbolic(%q) = %v, want %v", tc.alt, got, tc.want)
		}
	}
	// Every symbolic form is accepted by the parser.
	for _, tc := range tests {
		if !tc.want || tc.alt == "." {
			continue
		}
		var rec Record
		if err := ParseRecord([]byte("1\t5\t.\tG\t"+tc.alt+"\t.\t.\t."), 1, &rec); err != nil {
			t.Errorf("ParseRecord with ALT %q: %v", tc.alt, err)
		}
	}
}

func TestAppendRecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, line, id, add, want string
		nilID                     bool
	}{
		{"unchanged", "1\t100\trs1\tA\tC,G\t9\tPASS\tDP=3\tGT\t0/1", "", "", "1\t100\trs1\tA\tC,G\t9\tPASS\tDP=3\tGT\t0/1\n", true},
		{"id and info", "1\t100\t.\tA\tC\t.\t.\tDP=3", "rs9", "ANN=x", "1\t100\trs9\tA\tC\t.\t.\tDP=3;ANN=x\n", false},
		{"dot info replaced", "1\t100\t.\tA\t.\t.\t.\t.\tGT\t0/0", "", "K=1", "1\t100\t.\tA\t.\t.\t.\tK=1\tGT\t0/0\n", true},
		{"empty id written as dot", "1\t100\trs1\tA\tC\t.\t.\t.", "", "", "1\t100\t.\tA\tC\t.\t.\t.\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rec Record
			if err := ParseRecord([]byte(tc.line), 1, &rec); err != nil {
				t.Fatal(err)
			}
			id := []byte(tc.id)
			if tc.nilID {
				id = nil
			}
			if got := string(AppendRecord([]byte("x"), &rec, id, []byte(tc.add))); got != "x"+tc.want {
				t.Errorf("AppendRecord = %q, want %q", got, "x"+tc.want)
			}
		})
	}
}

func TestInfoValue(t *testing.T) {
	t.Parallel()
	info := []byte("DP=3;DB;AF=0.5,0.1;DPX=9")
	for _, tc := range []struct {
		key, val string
		ok       bool
	}{{"DP", "3", true}, {"DB", "", true}, {"AF", "0.5,0.1", true}, {"DPX", "9", true}, {"D", "", false}, {"MQ", "", false}} {
		v, ok := InfoValue(info, tc.key)
		if ok != tc.ok || string(v) != tc.val {
			t.Errorf("InfoValue(%q) = %q, %v; want %q, %v", tc.key, v, ok, tc.val, tc.ok)
		}
	}
}

func TestFindTabs(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	// Bytes next to the tab value (0x08, 0x0a) and high bytes are where a
	// sloppy zero-byte test gives false positives.
	alphabet := []byte{'\t', '\t', 'A', 0x08, 0x0a, 0x89, 0x00, 0xff, 0x01, '1'}
	for range 20000 {
		line := make([]byte, rng.IntN(40))
		for i := range line {
			line[i] = alphabet[rng.IntN(len(alphabet))]
		}
		var want []int
		for i, c := range line {
			if c == '\t' && len(want) < 7 {
				want = append(want, i)
			}
		}
		var tabs [7]int
		n := findTabs(line, &tabs)
		if n != len(want) || !slices.Equal(tabs[:n], want) {
			t.Fatalf("findTabs(%q) = %v, want %v", line, tabs[:n], want)
		}
	}
}
