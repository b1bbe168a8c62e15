package variantdb

import (
	"bufio"
	"bytes"
	"io"
	"slices"
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
	geneImp  map[string]int             // gene key -> its own most severe impact
	geneTerm map[string]map[string]bool // gene key -> its own terms
	chrom    string
	info     map[string]string
	samples  []string // sample columns (FORMAT first)
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
		r := oracleRec{rid: int64(len(out) + 1), genes: map[string]bool{}, terms: map[string]bool{}, worst: -1, line: line,
			geneImp: map[string]int{}, geneTerm: map[string]map[string]bool{}, chrom: col[0]}
		if len(col) > 8 {
			r.samples = col[8:]
		}
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
		r.info = info
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
				imp, ok := ParseImpact(f[2])
				if !ok {
					imp = ImpactNone
				}
				for _, g := range f[3:5] {
					if g != "" {
						k := strings.ToLower(g)
						r.genes[k] = true
						if old, seen := r.geneImp[k]; !seen || imp > old {
							r.geneImp[k] = imp
						}
						if r.geneTerm[k] == nil {
							r.geneTerm[k] = map[string]bool{}
						}
						for _, term := range strings.Split(f[1], "&") {
							if term != "" {
								r.geneTerm[k][term] = true
							}
						}
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
	f = f.normalize()
	worst, terms := r.worst, r.terms
	if panel := f.panel(); len(panel) > 0 {
		// With a panel, impact and consequence are the panel genes' own.
		worst, terms = ImpactNone, map[string]bool{}
		in := false
		for _, g := range panel {
			if !r.genes[g] {
				continue
			}
			in = true
			worst = max(worst, r.geneImp[g])
			for t := range r.geneTerm[g] {
				terms[t] = true
			}
		}
		if !in {
			return false
		}
	}
	if f.HasImpact && worst < f.MinImpact {
		return false
	}
	if len(f.Impacts) > 0 && !slices.Contains(f.Impacts, worst) {
		return false
	}
	if len(f.Consequences) > 0 && !slices.ContainsFunc(f.Consequences, func(c string) bool { return terms[c] }) {
		return false
	}
	// Novel: not known, and some allele annotated (a record of note-only
	// entries, such as REF = ALT, was not looked up).
	if f.Known == KnownOnly && !r.known || f.Known == NovelOnly && (r.known || len(r.terms) == 0) {
		return false
	}
	freq := r.freq
	if f.FreqField != "" {
		// Source-field columns hold float32.
		freq = nil
		for _, one := range strings.Split(r.info[f.FreqField], ",") {
			if x, err := strconv.ParseFloat(one, 32); err == nil {
				x = float64(float32(x))
				if freq == nil || x > *freq {
					freq = &x
				}
			}
		}
	}
	if f.MaxFreq != nil && freq != nil && *freq > *f.MaxFreq {
		return false
	}
	if len(f.Regions) > 0 && !slices.ContainsFunc(f.Regions, func(g Region) bool {
		name := strings.TrimPrefix(strings.ToLower(g.Chrom), "chr")
		return name == strings.TrimPrefix(strings.ToLower(r.chrom), "chr") && (g.Start == 0 || r.pos >= g.Start && r.pos <= g.End)
	}) {
		return false
	}
	if len(f.ClinSig) > 0 {
		hit := false
		for k, v := range r.info {
			if isSigKey(k) && slices.ContainsFunc(SigTerms(v), func(t string) bool { return slices.Contains(f.ClinSig, t) }) {
				hit = true
			}
		}
		if !hit {
			return false
		}
	}
	if f.HasGenotype() && !r.carrier(f) {
		return false
	}
	return true
}

// carrier reads the sample columns as text: GT, GQ and DP by their FORMAT
// positions; samples are S1, S2, … in column order (the test VCFs' names).
func (r oracleRec) carrier(f Filter) bool {
	if len(r.samples) == 0 {
		return false
	}
	keys := strings.Split(r.samples[0], ":")
	zyg := f.Zygosity
	if len(zyg) == 0 {
		zyg = []int{GTHet, GTHomAlt}
	}
	for i, col := range r.samples[1:] {
		name := "S" + strconv.Itoa(i+1)
		if len(f.Samples) > 0 && !slices.Contains(f.Samples, name) {
			continue
		}
		vals := strings.Split(col, ":")
		get := func(k string) string {
			for j, key := range keys {
				if key == k && j < len(vals) {
					return vals[j]
				}
			}
			return ""
		}
		alleles := strings.FieldsFunc(get("GT"), func(r rune) bool { return r == '/' || r == '|' })
		class, alts, refs, miss := GTMissing, map[string]bool{}, 0, 0
		for _, a := range alleles {
			switch a {
			case ".":
				miss++
			case "0":
				refs++
			default:
				alts[a] = true
			}
		}
		switch {
		case len(alts) == 0 && refs == 0:
			class = GTMissing
		case len(alts) == 0:
			class = GTRef
		case refs > 0 || miss > 0 || len(alts) > 1:
			class = GTHet
		default:
			class = GTHomAlt
		}
		if !slices.Contains(zyg, class) {
			continue
		}
		if gq, err := strconv.Atoi(get("GQ")); err == nil && gq < f.MinGQ {
			continue
		}
		if dp, err := strconv.Atoi(get("DP")); err == nil && dp < f.MinDP {
			continue
		}
		return true
	}
	return false
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
