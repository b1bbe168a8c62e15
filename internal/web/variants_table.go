package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gas-project/gas/internal/variantdb"
)

// column is one column of the variant table. Sort names its sort key ("":
// not sortable).
type column struct {
	ID, Label, Sort string
}

// cell is one table cell. Cells never wrap inside a word: a long value is
// cut with an ellipsis by the stylesheet and shown whole in Title.
type cell struct {
	Label string // the column's label (the phone layout shows it before the value)
	Text  string
	Title string
	Href  string
	Class string // extra class of the value (seq for sequences)
	Badge string // Bootstrap badge class: the value is an impact badge
}

// baseColumns are the record's own columns, in table order.
var baseColumns = []column{
	{"pos", "Position", variantdb.SortPos},
	{"id", "ID", ""},
	{"ref", "REF", ""},
	{"alt", "ALT", ""},
	{"gene", "Gene", variantdb.SortGene},
	{"transcript", "Transcript", ""},
	{"csq", "Consequence", ""},
	{"impact", "Impact", variantdb.SortImpact},
	{"hgvs", "HGVS", ""},
	{"freq", "Frequency", variantdb.SortFreq},
	{"known", "Known", ""},
	{"tracks", "Tracks", ""},
}

// paramCols is the column chooser's URL parameter: column IDs, repeated or
// comma-separated. Unknown IDs are ignored, so an old link still opens.
const paramCols = "cols"

// chosenColumns is the result of the column chooser.
type chosenColumns struct {
	on      []column
	choices []colChoice
	set     bool // the URL chose columns (else: every column)
	all     int  // the number of columns offered
}

// param is the chooser as a URL parameter with the given prefix ("?" or
// "&"), "" when every column is shown.
func (c chosenColumns) param(prefix string) string {
	if !c.set || len(c.on) == c.all {
		return ""
	}
	ids := make([]string, len(c.on))
	for i, col := range c.on {
		ids[i] = col.ID
	}
	return prefix + paramCols + "=" + url.QueryEscape(strings.Join(ids, ","))
}

// allColumns are the columns this result offers: the base ones, one per
// source field, and the carriers when the result has samples.
func allColumns(ix *variantdb.Index) []column {
	cols := slices.Clone(baseColumns)
	for _, sf := range ix.Sources() {
		cols = append(cols, column{ID: "src:" + sf.Key, Label: sf.Key})
	}
	if len(ix.Samples()) > 0 {
		cols = append(cols, column{ID: "carriers", Label: "Carriers"})
	}
	return cols
}

// chooseColumns reads the column chooser from the query.
func chooseColumns(ix *variantdb.Index, q url.Values) chosenColumns {
	all := allColumns(ix)
	want := map[string]bool{}
	for _, v := range q[paramCols] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				want[id] = true
			}
		}
	}
	c := chosenColumns{all: len(all)}
	for _, col := range all {
		if want[col.ID] {
			c.on = append(c.on, col)
		}
	}
	c.set = len(c.on) > 0
	if !c.set {
		c.on = all
	}
	for _, col := range all {
		c.choices = append(c.choices, colChoice{ID: col.ID, Label: col.Label, On: !c.set || want[col.ID]})
	}
	return c
}

// rowCells draws one record in the chosen columns.
func rowCells(ix *variantdb.Index, jobID string, r variantdb.Row, cols []column) []cell {
	out := make([]cell, 0, len(cols))
	for _, col := range cols {
		c := cell{Label: col.Label}
		switch col.ID {
		case "pos":
			c.Text = r.Chrom + ":" + strconv.FormatInt(r.Pos, 10)
			c.Href = "/jobs/" + jobID + "/variants/" + strconv.FormatInt(r.RID, 10)
		case "id":
			c.Text = r.ID
		case "ref":
			c.Text, c.Class = r.Ref, "seq"
		case "alt":
			c.Text, c.Class = r.Alt, "seq"
		case "gene":
			c.Text, c.Title = r.Gene, strings.TrimSpace(r.Gene+" "+r.GeneID)
		case "transcript":
			c.Text = r.Transcript
		case "csq":
			c.Text = strings.ReplaceAll(r.Consequence, "&", ", ")
			if r.Malformed != "" {
				c.Text = "not annotated: " + r.Malformed
			}
		case "impact":
			c.Text, c.Badge = r.ImpactName(), impactBadge(r.Impact)
		case "hgvs":
			c.Text = strings.TrimSpace(r.HGVSc + " " + r.HGVSp)
		case "freq":
			if r.Freq != nil {
				c.Text = strconv.FormatFloat(*r.Freq, 'g', 4, 64)
			}
		case "known":
			c.Text = "novel"
			if r.Known {
				c.Text = "known"
			}
		case "tracks":
			c.Text = r.TrackHits
		case "carriers":
			var parts []string
			for _, g := range ix.Carriers(r) {
				parts = append(parts, g.Sample+" "+g.ClassName())
			}
			c.Text = strings.Join(parts, ", ")
		default:
			if key, ok := strings.CutPrefix(col.ID, "src:"); ok {
				c.Text = r.Source(key)
			}
		}
		if c.Title == "" {
			c.Title = c.Text
		}
		out = append(out, c)
	}
	return out
}

// formChoices are the filter form's options for this result, with the
// filter's values marked.
func formChoices(ix *variantdb.Index, f variantdb.Filter) filterChoices {
	var fc filterChoices
	for _, i := range []int{variantdb.ImpactHigh, variantdb.ImpactModerate, variantdb.ImpactLow, variantdb.ImpactModifier} {
		name := strings.ToLower(variantdb.ImpactName(i))
		fc.Impacts = append(fc.Impacts, choice{Value: name, Label: name, On: slices.Contains(f.Impacts, i)})
	}
	for _, t := range ix.Terms() {
		fc.Terms = append(fc.Terms, choice{Value: t, Label: t, On: slices.Contains(f.Consequences, t)})
	}
	for _, t := range ix.SigTerms() {
		fc.ClinSig = append(fc.ClinSig, choice{Value: t, Label: strings.ReplaceAll(t, "_", " "), On: slices.Contains(f.ClinSig, t)})
	}
	for _, sf := range ix.Sources() {
		if sf.Numeric() {
			fc.FreqFields = append(fc.FreqFields, choice{Value: sf.Key, Label: sf.Key, On: f.FreqField == sf.Key})
		}
	}
	for _, name := range ix.GenotypeSamples() {
		fc.Samples = append(fc.Samples, choice{Value: name, Label: name, On: slices.Contains(f.Samples, name)})
	}
	fc.Zygosity = []choice{
		{Value: "het", Label: "heterozygous", On: slices.Contains(f.Zygosity, variantdb.GTHet)},
		{Value: "hom", Label: "homozygous ALT", On: slices.Contains(f.Zygosity, variantdb.GTHomAlt)},
	}
	return fc
}
