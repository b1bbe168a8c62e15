package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/sharedtest"
)

// TestChartsOnJobPage: the job page draws one SVG bar chart per summary
// section, each bar as long as its share of the largest, every value named
// in the chart's description (its text alternative).
func TestChartsOnJobPage(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("charts@example.org", "charts password 1")
	id := jobIDFrom(t, c.upload("s.vcf", []byte(miniVCF), "all"))
	cons := map[string]int64{}
	for i := range 20 {
		cons["term_"+strconv.Itoa(i)] = int64(100 + i)
	}
	f.complete(id, sharedtest.Gzip(t, []byte(miniVCF)), []byte("log\n"), &annotate.Summary{Records: 2, Alleles: 2, Annotated: 2, Known: 3, Novel: 1,
		Impacts:      map[string]int64{"HIGH": 5, "MODERATE": 20, "MODIFIER": 40},
		Consequences: cons,
		Chromosomes:  map[string]int64{"chr10": 4, "chr2": 8, "chrX": 2, "chr1": 1, "chrUn_x": 1},
		Tracks:       map[string]int64{"CLINVAR_REGION": 7}})
	doc := c.get("/jobs/" + id).doc(t)

	for _, id := range []string{"impacts", "consequences", "chromosomes", "known", "tracks"} {
		svg := find(doc, "#chart-"+id+" svg")
		if svg == nil || attr(svg, "role") != "img" || !strings.Contains(attr(svg, "aria-labelledby"), "chart-"+id+"-desc") {
			t.Fatalf("chart %s: no accessible SVG", id)
		}
		if find(svg, "desc") == nil || text(find(svg, "title")) == "" {
			t.Fatalf("chart %s has no title/description", id)
		}
	}
	bars := func(chart string) (labels []string, widths []int) {
		for _, g := range findAll(doc, "#chart-"+chart+" g.chart-row") {
			labels = append(labels, text(find(g, "text.chart-label")))
			w, err := strconv.Atoi(attr(find(g, "rect"), "width"))
			if err != nil {
				t.Fatalf("%s bar width %q", chart, attr(find(g, "rect"), "width"))
			}
			widths = append(widths, w)
		}
		return labels, widths
	}
	labels, widths := bars("impacts")
	if strings.Join(labels, ",") != "HIGH,MODERATE,MODIFIER" || widths[2] != chartMaxBar || widths[1] != chartMaxBar/2 || widths[0] != chartMaxBar/8 {
		t.Fatalf("impact bars %v %v", labels, widths)
	}
	if d := text(find(doc, "#chart-impacts desc")); !strings.Contains(d, "HIGH 5 (7.7%)") || !strings.Contains(d, "MODIFIER 40 (61.5%)") {
		t.Fatalf("impact description %q", d)
	}
	labels, _ = bars("chromosomes")
	if strings.Join(labels, ",") != "chr1,chr2,chr10,chrX,chrUn_x" {
		t.Fatalf("chromosome order %v", labels)
	}
	labels, _ = bars("consequences")
	if len(labels) != chartMaxRow || labels[0] != "term_19" || labels[chartMaxRow-1] != "6 others" {
		t.Fatalf("consequence bars %v", labels)
	}
	if d := text(find(doc, "#chart-consequences desc")); !strings.Contains(d, "6 others 615") {
		t.Fatalf("the others bar sums the rest (100+…+105 = 615): %q", d)
	}
	if labels, widths = bars("known"); strings.Join(labels, ",") != "known,novel" || widths[1] != chartMaxBar/3 {
		t.Fatalf("known/novel bars %v %v", labels, widths)
	}
	// The tables stay as the plain-text version of the same numbers.
	if find(doc, "#summary-impacts") == nil || find(doc, "#summary-consequences") == nil {
		t.Fatal("summary tables are gone")
	}
}

func TestChartsEmptySummary(t *testing.T) {
	if c := summaryCharts(&annotate.Summary{}); len(c) != 0 {
		t.Fatalf("an empty summary drew %d charts", len(c))
	}
	if c := newChart("x", "X", []count{{"a", 0}, {"b", 3}}, nil, 5); c.Bars[0].W != 0 || c.Bars[1].W != chartMaxBar {
		t.Fatalf("zero bar %d, full bar %d", c.Bars[0].W, c.Bars[1].W)
	}
}
