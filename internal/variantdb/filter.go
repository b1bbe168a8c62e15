package variantdb

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Known selects records by whether they match a known variant.
type Known int

const (
	KnownAny  Known = iota // no condition
	KnownOnly              // some ALT matches a known variant
	NovelOnly              // no ALT does
)

var knownNames = [...]string{"any", "known", "novel"}

func (k Known) String() string {
	if k < 0 || int(k) >= len(knownNames) {
		return "any"
	}
	return knownNames[k]
}

// Sort keys.
const (
	SortPos    = "pos"    // contig (header order), position
	SortGene   = "gene"   // gene of the most severe annotation
	SortImpact = "impact" // worst impact
	SortFreq   = "freq"   // highest known frequency (none first)
)

// Page size bounds: a page is what a person reads; exports use their own
// cursor, not pages.
const (
	DefaultPerPage = 50
	MaxPerPage     = 500
	maxPage        = 1 << 20
	maxGeneLen     = 100
	maxTermLen     = 100
	maxPanel       = 5000 // genes of a panel
	maxRegions     = 1000
	maxListItems   = 200 // consequences, significance terms, samples
	maxGQDP        = 1 << 20
)

// Region is a stretch of one contig, 1-based and inclusive; Start 0 and
// End 0 mean the whole contig. A record is in it when its POS is.
type Region struct {
	Chrom      string
	Start, End int64
}

// String is the region as ParseRegion reads it: chr, chr:pos or chr:start-end.
func (r Region) String() string {
	switch {
	case r.Start == 0 && r.End == 0:
		return r.Chrom
	case r.Start == r.End:
		return r.Chrom + ":" + strconv.FormatInt(r.Start, 10)
	}
	return r.Chrom + ":" + strconv.FormatInt(r.Start, 10) + "-" + strconv.FormatInt(r.End, 10)
}

// ParseRegion reads chr, chr:pos or chr:start-end (positions 1-based,
// thousands separators '_' allowed; start ≤ end).
func ParseRegion(s string) (Region, error) {
	chrom, span, hasSpan := strings.Cut(s, ":")
	if chrom == "" {
		return Region{}, fmt.Errorf("%q has no contig name", clip(s))
	}
	for _, c := range chrom {
		if c <= ' ' || c == 0x7f || c == '\uFFFD' {
			return Region{}, fmt.Errorf("%q has a contig name with a blank or control character", clip(s))
		}
	}
	r := Region{Chrom: chrom}
	if !hasSpan {
		return r, nil
	}
	a, b, isRange := strings.Cut(span, "-")
	num := func(v string) (int64, bool) {
		n, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 10, 64)
		return n, err == nil && n >= 1 && n < 1<<40
	}
	var ok bool
	if r.Start, ok = num(a); !ok {
		return Region{}, fmt.Errorf("%q: %q is not a position (a whole number from 1)", clip(s), clip(a))
	}
	r.End = r.Start
	if isRange {
		if r.End, ok = num(b); !ok {
			return Region{}, fmt.Errorf("%q: %q is not a position (a whole number from 1)", clip(s), clip(b))
		}
	}
	if r.End < r.Start {
		return Region{}, fmt.Errorf("%q ends before it starts", clip(s))
	}
	return r, nil
}

// Zygosity names of the genotype filter.
var zygNames = map[string]int{"het": GTHet, "hom": GTHomAlt}

// splitList splits a typed or pasted list on blanks, commas and
// semicolons (gene panels, regions).
func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool {
			return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
		})...)
	}
	return out
}

// Filter is one view of the variant table: conditions, order and page.
// The zero value is the whole result by position, first page of
// DefaultPerPage; see the package documentation for what each condition
// means.
type Filter struct {
	Gene        string   // gene name or ID, case-insensitive; "" = any
	MinImpact   int      // ImpactModifier..ImpactHigh, used when HasImpact
	HasImpact   bool     // the MinImpact condition is on
	Consequence string   // SO term, e.g. missense_variant; "" = any
	Known       Known    // any, known, novel
	MaxFreq     *float64 // highest allowed known frequency; nil = any
	// Genes is a gene panel: some annotation names one of them (name or
	// ID, case-insensitive). Gene and Genes together are the panel; with
	// a panel the impact and consequence conditions, and the row shown,
	// are about the panel genes' own annotations.
	Genes []string
	// Impacts: the record's (or the panel genes') most severe impact is
	// one of these; empty = any.
	Impacts []int
	// Consequences: some annotation has one of these SO terms (Consequence
	// is one more); empty = any.
	Consequences []string
	Regions      []Region // POS is in one of them; empty = anywhere
	// ClinSig: some clinical-significance source field of the record has
	// one of these terms (see SigTerms); empty = any.
	ClinSig []string
	// FreqField is the numeric source field MaxFreq applies to (its
	// largest value over the ALTs); "" = the index's frequency field.
	FreqField string
	// Genotypes: some of Samples (all indexed samples when empty) has a
	// genotype of one of the Zygosity classes (GTHet, GTHomAlt; both when
	// empty) with GQ ≥ MinGQ and DP ≥ MinDP where the sample has them. The
	// condition is on when any of the four is set.
	Samples      []string
	Zygosity     []int
	MinGQ, MinDP int
	Sort         string // SortPos (default), SortGene, SortImpact, SortFreq
	Desc         bool   // descending order
	Page         int    // 1-based; 0 means 1
	PerPage      int    // 0 means DefaultPerPage
}

// FilterError is a bad URL parameter, with a message for the person who
// typed the URL.
type FilterError struct {
	Param string
	Msg   string
}

func (e *FilterError) Error() string { return "parameter " + e.Param + ": " + e.Msg }

// URL parameter names. Other parameters are ignored, so pages can add
// their own.
const (
	ParamGene    = "gene"
	ParamImpact  = "impact"
	ParamCsq     = "csq"
	ParamKnown   = "known"
	ParamMaxFreq = "maxfreq"
	ParamSort    = "sort"
	ParamPage    = "page"
	ParamPerPage = "per_page"
	ParamGenes   = "genes"     // a panel: names separated by blanks, commas or semicolons
	ParamImp     = "imp"       // repeated: high, moderate, low, modifier
	ParamRegion  = "region"    // chr:start-end, several separated by blanks, commas or semicolons, or repeated
	ParamClinSig = "clinsig"   // repeated significance terms
	ParamFreqFld = "freqfield" // numeric source field for maxfreq
	ParamSample  = "sample"    // repeated sample names
	ParamZyg     = "zyg"       // repeated: het, hom
	ParamMinGQ   = "mingq"
	ParamMinDP   = "mindp"
)

// ParseFilter reads a Filter from URL query parameters:
//
//	gene=BRCA2  impact=moderate  csq=missense_variant  known=any|known|novel
//	maxfreq=0.01  sort=pos|gene|impact|freq (a leading - sorts descending)
//	page=2  per_page=50
//	genes=BRCA1+BRCA2  imp=high&imp=moderate  csq=a&csq=b  region=chr1:100-200+chr2
//	clinsig=pathogenic  freqfield=gnomad_AF  sample=S1&zyg=het&zyg=hom&mingq=20&mindp=10
//
// Empty parameters mean "no condition". Each problem is a *FilterError.
func ParseFilter(q url.Values) (Filter, error) {
	var f Filter
	get := func(name string) (string, error) {
		vs := q[name]
		if len(vs) > 1 {
			return "", &FilterError{name, "given more than once"}
		}
		if len(vs) == 0 {
			return "", nil
		}
		return strings.TrimSpace(vs[0]), nil
	}
	var err error
	if f.Gene, err = get(ParamGene); err != nil {
		return f, err
	}
	if err := checkText(ParamGene, f.Gene, maxGeneLen); err != nil {
		return f, err
	}
	v, err := get(ParamImpact)
	if err != nil {
		return f, err
	}
	if v != "" {
		rank, ok := ParseImpact(v)
		if !ok {
			return f, &FilterError{ParamImpact, fmt.Sprintf("%q is not an impact; use high, moderate, low or modifier", clip(v))}
		}
		f.MinImpact, f.HasImpact = rank, true
	}
	for _, v := range q[ParamCsq] {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if err := checkTerm(v); err != nil {
			return f, err
		}
		f.Consequences = append(f.Consequences, v)
	}
	if len(f.Consequences) > maxListItems {
		return f, &FilterError{ParamCsq, fmt.Sprintf("more than %d consequences", maxListItems)}
	}
	if err := f.parseLists(q, get); err != nil {
		return f, err
	}
	if v, err = get(ParamKnown); err != nil {
		return f, err
	}
	switch strings.ToLower(v) {
	case "", "any":
	case "known":
		f.Known = KnownOnly
	case "novel":
		f.Known = NovelOnly
	default:
		return f, &FilterError{ParamKnown, fmt.Sprintf("%q is not one of any, known, novel", clip(v))}
	}
	if v, err = get(ParamMaxFreq); err != nil {
		return f, err
	}
	if v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) || x < 0 || x > 1 {
			return f, &FilterError{ParamMaxFreq, fmt.Sprintf("%q is not a frequency between 0 and 1", clip(v))}
		}
		f.MaxFreq = &x
	}
	if v, err = get(ParamSort); err != nil {
		return f, err
	}
	if strings.HasPrefix(v, "-") {
		f.Desc, v = true, v[1:]
	}
	switch v {
	case "", SortPos, SortGene, SortImpact, SortFreq:
		f.Sort = v
	default:
		return f, &FilterError{ParamSort, fmt.Sprintf("%q is not one of pos, gene, impact, freq (optionally with a leading -)", clip(v))}
	}
	if f.Page, err = intParam(get, ParamPage, 1, maxPage); err != nil {
		return f, err
	}
	if f.PerPage, err = intParam(get, ParamPerPage, 1, MaxPerPage); err != nil {
		return f, err
	}
	return f, nil
}

// parseLists reads the panel, impact set, regions, significance terms,
// frequency field and genotype conditions.
func (f *Filter) parseLists(q url.Values, get func(string) (string, error)) error {
	f.Genes = splitList(q[ParamGenes])
	if len(f.Genes) > maxPanel {
		return &FilterError{ParamGenes, fmt.Sprintf("more than %d genes", maxPanel)}
	}
	for _, g := range f.Genes {
		if err := checkText(ParamGenes, g, maxGeneLen); err != nil {
			return err
		}
	}
	for _, v := range q[ParamImp] {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		rank, ok := ParseImpact(v)
		if !ok {
			return &FilterError{ParamImp, fmt.Sprintf("%q is not an impact; use high, moderate, low or modifier", clip(v))}
		}
		f.Impacts = append(f.Impacts, rank)
	}
	regs := splitList(q[ParamRegion])
	if len(regs) > maxRegions {
		return &FilterError{ParamRegion, fmt.Sprintf("more than %d regions", maxRegions)}
	}
	for _, v := range regs {
		r, err := ParseRegion(v)
		if err != nil {
			return &FilterError{ParamRegion, err.Error() + " (write chr:start-end)"}
		}
		f.Regions = append(f.Regions, r)
	}
	for _, v := range q[ParamClinSig] {
		if err := checkText(ParamClinSig, v, maxTermLen); err != nil {
			return err
		}
		f.ClinSig = append(f.ClinSig, SigTerms(v)...)
	}
	var err error
	if f.FreqField, err = get(ParamFreqFld); err != nil {
		return err
	}
	if err := checkText(ParamFreqFld, f.FreqField, maxTermLen); err != nil {
		return err
	}
	for _, v := range q[ParamSample] {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if err := checkText(ParamSample, v, maxTermLen); err != nil {
			return err
		}
		f.Samples = append(f.Samples, v)
	}
	for _, v := range q[ParamZyg] {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		z, ok := zygNames[strings.ToLower(v)]
		if !ok {
			return &FilterError{ParamZyg, fmt.Sprintf("%q is not a zygosity; use het or hom", clip(v))}
		}
		f.Zygosity = append(f.Zygosity, z)
	}
	if len(f.ClinSig) > maxListItems || len(f.Samples) > maxListItems {
		return &FilterError{ParamSample, fmt.Sprintf("more than %d values", maxListItems)}
	}
	if f.MinGQ, err = intParam(get, ParamMinGQ, 0, maxGQDP); err != nil {
		return err
	}
	if f.MinDP, err = intParam(get, ParamMinDP, 0, maxGQDP); err != nil {
		return err
	}
	return nil
}

// sortedSet sorts and de-duplicates a list.
func sortedSet[T int | string](a []T, desc bool) []T {
	if len(a) == 0 {
		return nil
	}
	a = slices.Clone(a)
	slices.Sort(a)
	a = slices.Compact(a)
	if desc {
		slices.Reverse(a)
	}
	return a
}

// HasGenotype says the genotype condition is on.
func (f Filter) HasGenotype() bool {
	return len(f.Samples) > 0 || len(f.Zygosity) > 0 || f.MinGQ > 0 || f.MinDP > 0
}

// panel is the lower-cased gene keys of Gene and Genes.
func (f Filter) panel() []string {
	var out []string
	if f.Gene != "" {
		out = append(out, asciiLower(f.Gene))
	}
	for _, g := range f.Genes {
		out = append(out, asciiLower(g))
	}
	return sortedSet(out, false)
}

func intParam(get func(string) (string, error), name string, lo, hi int) (int, error) {
	v, err := get(name)
	if err != nil || v == "" {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, &FilterError{name, fmt.Sprintf("%q is not a whole number from %d to %d", clip(v), lo, hi)}
	}
	return n, nil
}

// checkText refuses control characters and overlong values: they cannot be
// gene names, and they would end up in pages and export headers.
func checkText(param, v string, max int) error {
	if len(v) > max {
		return &FilterError{param, fmt.Sprintf("longer than %d characters", max)}
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return &FilterError{param, "contains a control or invalid character"}
		}
	}
	return nil
}

// checkTerm accepts what SO term names are made of.
func checkTerm(v string) error {
	if len(v) > maxTermLen {
		return &FilterError{ParamCsq, fmt.Sprintf("longer than %d characters", maxTermLen)}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return &FilterError{ParamCsq, fmt.Sprintf("%q is not a consequence term (letters, digits and _ only, e.g. missense_variant)", clip(v))}
		}
	}
	return nil
}

// clip shortens a bad value echoed in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// normalize fills defaults so equal views compare and encode equally.
func (f Filter) normalize() Filter {
	if f.Sort == "" {
		f.Sort = SortPos
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage < 1 {
		f.PerPage = DefaultPerPage
	}
	if f.PerPage > MaxPerPage {
		f.PerPage = MaxPerPage
	}
	if f.MinImpact < ImpactModifier || f.MinImpact > ImpactHigh {
		f.HasImpact = false
	}
	if !f.HasImpact {
		f.MinImpact = 0
	}
	if f.Consequence != "" {
		f.Consequences = append(slices.Clone(f.Consequences), f.Consequence)
		f.Consequence = ""
	}
	f.Consequences = sortedSet(f.Consequences, false)
	f.Genes = sortedSet(f.Genes, false)
	f.Impacts = sortedSet(f.Impacts, true)
	f.ClinSig = sortedSet(f.ClinSig, false)
	f.Samples = sortedSet(f.Samples, false)
	f.Zygosity = sortedSet(f.Zygosity, false)
	if len(f.Regions) == 0 {
		f.Regions = nil
	}
	f.MinGQ, f.MinDP = max(f.MinGQ, 0), max(f.MinDP, 0)
	return f
}

// regionList is the regions as one parameter value.
func regionList(rs []Region) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, " ")
}

// zygName is the URL name of a genotype class.
func zygName(z int) string {
	for k, v := range zygNames {
		if v == z {
			return k
		}
	}
	return ""
}

// Encode returns the filter as URL query parameters (defaults left out,
// keys sorted), so that ParseFilter(Encode) gives the same view back: the
// shareable URL of a view.
func (f Filter) Encode() string {
	return f.Values().Encode()
}

// Values is Encode as url.Values, for pages that add their own parameters.
func (f Filter) Values() url.Values {
	f = f.normalize()
	q := url.Values{}
	if f.Gene != "" {
		q.Set(ParamGene, f.Gene)
	}
	if f.HasImpact {
		q.Set(ParamImpact, strings.ToLower(ImpactName(f.MinImpact)))
	}
	for _, c := range f.Consequences {
		q.Add(ParamCsq, c)
	}
	if len(f.Genes) > 0 {
		q.Set(ParamGenes, strings.Join(f.Genes, " "))
	}
	for _, i := range f.Impacts {
		q.Add(ParamImp, strings.ToLower(ImpactName(i)))
	}
	if len(f.Regions) > 0 {
		q.Set(ParamRegion, regionList(f.Regions))
	}
	for _, c := range f.ClinSig {
		q.Add(ParamClinSig, c)
	}
	if f.FreqField != "" {
		q.Set(ParamFreqFld, f.FreqField)
	}
	for _, v := range f.Samples {
		q.Add(ParamSample, v)
	}
	for _, z := range f.Zygosity {
		q.Add(ParamZyg, zygName(z))
	}
	if f.MinGQ > 0 {
		q.Set(ParamMinGQ, strconv.Itoa(f.MinGQ))
	}
	if f.MinDP > 0 {
		q.Set(ParamMinDP, strconv.Itoa(f.MinDP))
	}
	if f.Known != KnownAny {
		q.Set(ParamKnown, f.Known.String())
	}
	if f.MaxFreq != nil {
		q.Set(ParamMaxFreq, strconv.FormatFloat(*f.MaxFreq, 'g', -1, 64))
	}
	if f.Sort != SortPos || f.Desc {
		s := f.Sort
		if f.Desc {
			s = "-" + s
		}
		q.Set(ParamSort, s)
	}
	if f.Page > 1 {
		q.Set(ParamPage, strconv.Itoa(f.Page))
	}
	if f.PerPage != DefaultPerPage {
		q.Set(ParamPerPage, strconv.Itoa(f.PerPage))
	}
	return q
}

// Describe is a one-line human description of the conditions, used in
// export headers ("all records" when there are none).
func (f Filter) Describe() string {
	f = f.normalize()
	var parts []string
	if f.Gene != "" {
		parts = append(parts, "gene="+f.Gene)
	}
	if f.HasImpact {
		parts = append(parts, "impact>="+ImpactName(f.MinImpact))
	}
	if len(f.Genes) > 0 {
		if len(f.Genes) <= 10 {
			parts = append(parts, "genes="+strings.Join(f.Genes, ","))
		} else {
			parts = append(parts, fmt.Sprintf("genes=%s,…(%d genes)", strings.Join(f.Genes[:10], ","), len(f.Genes)))
		}
	}
	if len(f.Impacts) > 0 {
		names := make([]string, len(f.Impacts))
		for i, v := range f.Impacts {
			names[i] = ImpactName(v)
		}
		parts = append(parts, "impact="+strings.Join(names, ","))
	}
	if len(f.Consequences) > 0 {
		parts = append(parts, "consequence="+strings.Join(f.Consequences, ","))
	}
	if len(f.Regions) > 0 {
		if len(f.Regions) <= 10 {
			parts = append(parts, "region="+strings.ReplaceAll(regionList(f.Regions), " ", ","))
		} else {
			parts = append(parts, fmt.Sprintf("region=%s,…(%d regions)", strings.ReplaceAll(regionList(f.Regions[:10]), " ", ","), len(f.Regions)))
		}
	}
	if len(f.ClinSig) > 0 {
		parts = append(parts, "clinsig="+strings.Join(f.ClinSig, ","))
	}
	if f.Known != KnownAny {
		parts = append(parts, "known="+f.Known.String())
	}
	if f.MaxFreq != nil {
		fld := "freq"
		if f.FreqField != "" {
			fld = f.FreqField
		}
		parts = append(parts, fld+"<="+strconv.FormatFloat(*f.MaxFreq, 'g', -1, 64))
	}
	if f.HasGenotype() {
		zs := f.Zygosity
		if len(zs) == 0 {
			zs = []int{GTHet, GTHomAlt}
		}
		names := make([]string, len(zs))
		for i, z := range zs {
			names[i] = zygName(z)
		}
		who := "any sample"
		if len(f.Samples) > 0 {
			who = strings.Join(f.Samples, ",")
		}
		g := "genotype=" + strings.Join(names, ",") + " in " + who
		if f.MinGQ > 0 {
			g += fmt.Sprintf(" GQ>=%d", f.MinGQ)
		}
		if f.MinDP > 0 {
			g += fmt.Sprintf(" DP>=%d", f.MinDP)
		}
		parts = append(parts, g)
	}
	if len(parts) == 0 {
		return "all records"
	}
	// A Filter built in code (not by ParseFilter) may hold anything; the
	// description goes into export header lines, which must stay one line.
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.Join(parts, " "))
}
