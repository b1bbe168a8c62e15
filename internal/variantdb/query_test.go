package variantdb

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// demoFilters and synthFilters cover each condition alone and combined,
// including ones that match nothing.
var demoFilters = []Filter{
	{},
	{Gene: "MRPL39"},
	{Gene: "mrpl39"},
	{Gene: "ENSG00000154719"},
	{Gene: "NO_SUCH_GENE"},
	{HasImpact: true, MinImpact: ImpactHigh},
	{HasImpact: true, MinImpact: ImpactModerate},
	{HasImpact: true, MinImpact: ImpactLow},
	{HasImpact: true, MinImpact: ImpactModifier},
	{Consequence: "missense_variant"},
	{Consequence: "intron_variant"},
	{Consequence: "not_a_term_in_this_result"},
	{Known: KnownOnly},
	{Known: NovelOnly},
	{MaxFreq: ptr(0.001)},
	{MaxFreq: ptr(0)},
	{Known: KnownOnly, MaxFreq: ptr(0.01), Consequence: "upstream_gene_variant"},
	{Gene: "MRPL39", HasImpact: true, MinImpact: ImpactLow, Known: KnownOnly},
}

var synthFilters = []Filter{
	{},
	{Gene: "GENE17"},
	{Gene: "ensg100017"},
	{HasImpact: true, MinImpact: ImpactHigh},
	{HasImpact: true, MinImpact: ImpactModerate, Known: NovelOnly},
	{Consequence: "stop_gained"},
	{Consequence: "splice_region_variant", MaxFreq: ptr(0.05)},
	{Known: KnownOnly, MaxFreq: ptr(0.001)},
	{Gene: "GENE42", Consequence: "intron_variant", Known: KnownOnly},
}

// TestQueryMatchesOracle compares every view's records, page by page,
// with a plain reading of the VCF text.
func TestQueryMatchesOracle(t *testing.T) {
	src, _ := demoResult(t)
	dix, _ := buildIndex(t, src, BuildOptions{})
	drecs := oracle(t, plain(t, src), demoKnown, "dbsnp_MAF")
	checkFilters(t, "demo", dix, drecs, demoFilters)

	var syn bytes.Buffer
	if err := synthVCF(&syn, 20000, 1); err != nil {
		t.Fatal(err)
	}
	six, _ := buildIndex(t, syn.Bytes(), BuildOptions{BatchRecords: 3000})
	srecs := oracle(t, syn.Bytes(), []string{"AF", "CLNSIG"}, "AF")
	checkFilters(t, "synthetic", six, srecs, synthFilters)
}

func checkFilters(t *testing.T, name string, ix *Index, recs []oracleRec, filters []Filter) {
	t.Helper()
	nonEmpty := 0
	for _, f := range filters {
		f.PerPage = 37 // several pages, the last one partial
		want := oracleRIDs(recs, f)
		got := allRIDs(t, ix, f)
		if !slices.Equal(sortedCopy(got), want) {
			t.Errorf("%s %s: %d records, want %d", name, f.Describe(), len(got), len(want))
			continue
		}
		if len(want) > 0 && len(want) < len(recs) {
			nonEmpty++
		}
	}
	// The filters must really select: most give a proper, non-empty subset.
	if nonEmpty < len(filters)/2 {
		t.Errorf("%s: only %d of %d filters select a proper non-empty subset; the test data does not exercise them", name, nonEmpty, len(filters))
	}
}

// TestSortOrders checks each sort key in both directions over all pages.
func TestSortOrders(t *testing.T) {
	var syn bytes.Buffer
	if err := synthVCF(&syn, 5000, 2); err != nil {
		t.Fatal(err)
	}
	t.Run("sorted input", func(t *testing.T) { checkSorts(t, syn.Bytes()) })
	// Records in reverse order: the position order needs a real sort.
	text := syn.String()
	h := strings.Index(text, "\n#CHROM")
	h += strings.IndexByte(text[h+1:], '\n') + 2
	lines := strings.Split(strings.TrimSuffix(text[h:], "\n"), "\n")
	slices.Reverse(lines)
	t.Run("reversed input", func(t *testing.T) { checkSorts(t, []byte(text[:h]+strings.Join(lines, "\n")+"\n")) })
}

func checkSorts(t *testing.T, src []byte) {
	ix, _ := buildIndex(t, src, BuildOptions{})
	recs := oracle(t, src, []string{"AF", "CLNSIG"}, "AF")
	byRID := map[int64]oracleRec{}
	for _, r := range recs {
		byRID[r.rid] = r
	}
	ctx := context.Background()
	for _, key := range []string{SortPos, SortGene, SortImpact, SortFreq} {
		for _, desc := range []bool{false, true} {
			f := Filter{Sort: key, Desc: desc, HasImpact: true, MinImpact: ImpactLow, PerPage: 100}
			var rows []Row
			for f.Page = 1; ; f.Page++ {
				res, err := ix.Query(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				rows = append(rows, res.Rows...)
				if f.Page >= res.Pages {
					break
				}
			}
			if len(rows) != len(oracleRIDs(recs, f)) {
				t.Fatalf("sort %s desc=%v: %d rows, want %d", key, desc, len(rows), len(oracleRIDs(recs, f)))
			}
			for i := 1; i < len(rows); i++ {
				c := compareRows(key, rows[i-1], rows[i], byRID)
				if desc {
					c = -c
				}
				if c > 0 {
					t.Fatalf("sort %s desc=%v: row %d (%+v) before row %d (%+v)", key, desc, i-1, rows[i-1], i, rows[i])
				}
			}
		}
	}
}

// compareRows orders two rows by the sort key, then by position.
func compareRows(key string, a, b Row, by map[int64]oracleRec) int {
	c := 0
	switch key {
	case SortGene:
		c = cmpStr(a.Gene, b.Gene)
	case SortImpact:
		c = a.Impact - b.Impact
	case SortFreq:
		switch {
		case a.Freq == nil && b.Freq == nil:
		case a.Freq == nil:
			c = -1
		case b.Freq == nil:
			c = 1
		case *a.Freq < *b.Freq:
			c = -1
		case *a.Freq > *b.Freq:
			c = 1
		}
	}
	if c != 0 {
		return c
	}
	if d := by[a.RID].chromIdx - by[b.RID].chromIdx; d != 0 {
		return d
	}
	return int(a.Pos - b.Pos)
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestQueryPages(t *testing.T) {
	src, sum := demoResult(t)
	ix, _ := buildIndex(t, src, BuildOptions{})
	ctx := context.Background()
	res, err := ix.Query(ctx, Filter{PerPage: 50, Page: 4})
	if err != nil {
		t.Fatal(err)
	}
	if want := int(sum.Records) - 150; len(res.Rows) != want || res.Pages != 4 {
		t.Errorf("last page: %d rows of %d pages, want %d rows of 4", len(res.Rows), res.Pages, want)
	}
	if _, err := ix.Query(ctx, Filter{PerPage: 50, Page: 5}); !errors.Is(err, ErrUnknownPage) {
		t.Errorf("page past the end: %v", err)
	}
	if _, err := ix.Query(ctx, Filter{Sort: "chrom"}); err == nil || !strings.Contains(err.Error(), "unknown sort key") {
		t.Errorf("unknown sort key: %v", err)
	}
	res, err = ix.Query(ctx, Filter{Gene: "NO_SUCH_GENE"})
	if err != nil || res.Total != 0 || len(res.Rows) != 0 || res.Pages != 0 {
		t.Errorf("empty view: %+v, %v", res, err)
	}
}
