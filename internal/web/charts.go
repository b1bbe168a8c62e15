package web

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gas-project/gas/annotate"
)

// Charts are drawn on the server as SVG (templates/partials/chart.html):
// they need no script, work offline and print. Each has a <title> and a
// <desc> naming every value, and the summary tables below them hold the
// same numbers, so a screen reader loses nothing.

// Geometry of a horizontal bar chart, in viewBox units.
const (
	chartWidth  = 640
	chartLabelW = 210 // left column for the labels
	chartValueW = 80  // right column for the numbers
	chartBarH   = 18
	chartGap    = 6
	chartMaxBar = chartWidth - chartLabelW - chartValueW
	chartMaxRow = 15 // bars shown of most charts; the rest is summed into "N others"
	chromMaxRow = 30 // of the chromosome chart (the 25 human ones fit)
)

// chart is the model of one bar chart.
type chart struct {
	ID, Title, Desc string
	Height          int
	Bars            []chartBar
}

// chartBar is one bar with its precomputed geometry.
type chartBar struct {
	Label      string
	Value      int64
	ValueText  string
	Y, TextY   int
	W          int
	ValueX     int
	Class      string // colour class (app.css)
	Percent    string // share of the chart's total, for the description
	LabelTitle string // full label when it was shortened
}

// newChart lays out bars in the order given.
func newChart(id, title string, rows []count, class func(string) string, maxRows int) *chart {
	if len(rows) == 0 {
		return nil
	}
	if len(rows) > maxRows {
		var other int64
		for _, r := range rows[maxRows-1:] {
			other += r.Count
		}
		rows = append(append([]count(nil), rows[:maxRows-1]...), count{fmt.Sprintf("%d others", len(rows)-maxRows+1), other})
	}
	var top, total int64
	for _, r := range rows {
		top = max(top, r.Count)
		total += r.Count
	}
	c := &chart{ID: id, Title: title}
	var desc []string
	for i, r := range rows {
		y := chartGap + i*(chartBarH+chartGap)
		w := 0
		if top > 0 {
			w = int(int64(chartMaxBar) * r.Count / top)
		}
		if r.Count > 0 && w < 1 {
			w = 1 // a non-zero value stays visible
		}
		b := chartBar{Label: r.Name, Value: r.Count, ValueText: groupDigits(r.Count), Y: y, TextY: y + chartBarH - 4, W: w,
			ValueX: chartLabelW + w + 6, Class: "chart-bar-default",
			Percent: strconv.FormatFloat(percentOf(r.Count, total), 'f', 1, 64) + "%"}
		if len(b.Label) > 30 {
			b.LabelTitle, b.Label = b.Label, b.Label[:28]+"…"
		}
		if class != nil {
			b.Class = class(r.Name)
		}
		c.Bars = append(c.Bars, b)
		desc = append(desc, fmt.Sprintf("%s %s (%s)", r.Name, b.ValueText, b.Percent))
	}
	c.Height = chartGap + len(rows)*(chartBarH+chartGap)
	c.Desc = title + ": " + strings.Join(desc, "; ") + "."
	return c
}

// impactClass colours impacts by severity.
func impactClass(name string) string {
	switch name {
	case "HIGH":
		return "chart-bar-high"
	case "MODERATE":
		return "chart-bar-moderate"
	case "LOW":
		return "chart-bar-low"
	}
	return "chart-bar-modifier"
}

// summaryCharts are the charts of a job's summary, in page order; charts
// without data are left out.
func summaryCharts(s *annotate.Summary) []*chart {
	if s == nil {
		return nil
	}
	var out []*chart
	add := func(c *chart) {
		if c != nil {
			out = append(out, c)
		}
	}
	add(newChart("impacts", "Impact (most severe per allele)", impactCounts(s.Impacts), impactClass, chartMaxRow))
	add(newChart("consequences", "Consequences (allele × transcript)", sortedCounts(s.Consequences), nil, chartMaxRow))
	add(newChart("chromosomes", "Variants per chromosome", chromCounts(s.Chromosomes), nil, chromMaxRow))
	if s.Known+s.Novel > 0 {
		add(newChart("known", "Known vs novel alleles", []count{{"known", s.Known}, {"novel", s.Novel}}, func(n string) string {
			if n == "known" {
				return "chart-bar-known"
			}
			return "chart-bar-novel"
		}, chartMaxRow))
	}
	add(newChart("tracks", "Region-track hits (records)", sortedCounts(s.Tracks), nil, chartMaxRow))
	return out
}

// chromCounts orders chromosomes as a karyotype: numbers first by value,
// then X, Y, M/MT, then other contigs by name ("chr" is ignored).
func chromCounts(m map[string]int64) []count {
	out := make([]count, 0, len(m))
	for k, v := range m {
		out = append(out, count{k, v})
	}
	key := func(name string) (int, int, string) {
		n := strings.TrimPrefix(strings.TrimPrefix(name, "chr"), "Chr")
		if v, err := strconv.Atoi(n); err == nil {
			return 0, v, name
		}
		switch strings.ToUpper(n) {
		case "X":
			return 1, 0, name
		case "Y":
			return 1, 1, name
		case "M", "MT":
			return 1, 2, name
		}
		return 2, 0, name
	}
	sort.Slice(out, func(i, j int) bool {
		ai, av, an := key(out[i].Name)
		bi, bv, bn := key(out[j].Name)
		if ai != bi {
			return ai < bi
		}
		if av != bv {
			return av < bv
		}
		return an < bn
	})
	return out
}
