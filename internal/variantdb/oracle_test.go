package variantdb

import (
	"bufio"
	"bytes"
	"io"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gas-project/gas/vcf"
)

// oracleRec is a record as the tests read it, with plain string handling
// independent of the loader, to check the index against.
type oracleRec struct {
	rid      int64
	chromIdx int
	pos      int64
	genes    map[string]bool
	terms    map[string]bool
	worst    int
	known    bool
	freq     *float64
	anns     int
	line     string
}

// oracle parses the plain text of an annotated VCF. knownKeys and freqKey
// name the known-variant fields (as the test knows them for its input).
func oracle(t testing.TB, text []byte, knownKeys []string, freqKey string) []oracleRec {
	t.Helper()
	var out []oracleRec
	chromIdx := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "##contig=<ID=") {
			id := strings.TrimPrefix(line, "##contig=<ID=")
			id = id[:strings.IndexAny(id, ",>")]
			if _, ok := chromIdx[id]; !ok {
				chromIdx[id] = len(chromIdx) + 1
			}
		}
		if line == "" || line[0] == '#' {
			continue
		}
		col := strings.Split(line, "\t")
		r := oracleRec{rid: int64(len(out) + 1), genes: map[string]bool{}, terms: map[string]bool{}, worst: -1, line: line}
		if _, ok := chromIdx[col[0]]; !ok {
			chromIdx[col[0]] = len(chromIdx) + 1
		}
		r.chromIdx = chromIdx[col[0]]
		r.pos, _ = strconv.ParseInt(col[1], 10, 64)
		info := map[string]string{}
		for _, kv := range strings.Split(col[7], ";") {
			k, v, _ := strings.Cut(kv, "=")
			info[k] = v
		}
		if ann := info["ANN"]; ann != "" {
			for _, e := range strings.Split(ann, ",") {
				f := strings.Split(e, "|")
				r.anns++
				for _, term := range strings.Split(f[1], "&") {
					if term != "" {
						r.terms[term] = true
					}
				}
				if imp, ok := ParseImpact(f[2]); ok && imp > r.worst {
					r.worst = imp
				}
				for _, g := range f[3:5] {
					if g != "" {
						r.genes[strings.ToLower(g)] = true
					}
				}
			}
		}
		for _, k := range knownKeys {
			v, ok := info[k]
			if !ok {
				continue
			}
			for _, one := range strings.Split(v, ",") {
				if one == "." || one == "" {
					continue
				}
				r.known = true
				if k == freqKey {
					x, err := strconv.ParseFloat(one, 64)
					if err == nil && (r.freq == nil || x > *r.freq) {
						r.freq = &x
					}
				}
			}
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func (r oracleRec) match(f Filter) bool {
	if f.Gene != "" && !r.genes[strings.ToLower(f.Gene)] {
		return false
	}
	if f.HasImpact && r.worst < f.MinImpact {
		return false
	}
	if f.Consequence != "" && !r.terms[f.Consequence] {
		return false
	}
	// Novel: not known, and some allele annotated (a record of note-only
	// entries, such as REF = ALT, was not looked up).
	if f.Known == KnownOnly && !r.known || f.Known == NovelOnly && (r.known || len(r.terms) == 0) {
		return false
	}
	if f.MaxFreq != nil && r.freq != nil && *r.freq > *f.MaxFreq {
		return false
	}
	return true
}

// oracleRIDs returns the matching record numbers in ascending order.
func oracleRIDs(recs []oracleRec, f Filter) []int64 {
	var out []int64
	for _, r := range recs {
		if r.match(f) {
			out = append(out, r.rid)
		}
	}
	return out
}

func sortedCopy(a []int64) []int64 {
	b := append([]int64(nil), a...)
	sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
	return b
}

// plain decompresses a (BGZF) VCF for the oracle.
func plain(t testing.TB, data []byte) []byte {
	t.Helper()
	rd, err := vcf.NewReader(bytes.NewReader(data), vcf.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	out := rd.Header().AppendTo(nil)
	var blk vcf.Block
	for {
		err := rd.ReadBlock(&blk, 0)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < blk.Len(); i++ {
			out = append(out, blk.Line(i)...)
			out = append(out, '\n')
		}
	}
}

func ptr(x float64) *float64 { return &x }
