package variantdb

import (
	"fmt"
	"math"
	"net/url"
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
)

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
	Sort        string   // SortPos (default), SortGene, SortImpact, SortFreq
	Desc        bool     // descending order
	Page        int      // 1-based; 0 means 1
	PerPage     int      // 0 means DefaultPerPage
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
)

// ParseFilter reads a Filter from URL query parameters:
//
//	gene=BRCA2  impact=moderate  csq=missense_variant  known=any|known|novel
//	maxfreq=0.01  sort=pos|gene|impact|freq (a leading - sorts descending)
//	page=2  per_page=50
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
	if f.Consequence, err = get(ParamCsq); err != nil {
		return f, err
	}
	if err := checkTerm(f.Consequence); err != nil {
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
	return f
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
	if f.Consequence != "" {
		q.Set(ParamCsq, f.Consequence)
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
	if f.Consequence != "" {
		parts = append(parts, "consequence="+f.Consequence)
	}
	if f.Known != KnownAny {
		parts = append(parts, "known="+f.Known.String())
	}
	if f.MaxFreq != nil {
		parts = append(parts, "freq<="+strconv.FormatFloat(*f.MaxFreq, 'g', -1, 64))
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
