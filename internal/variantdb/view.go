package variantdb

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gas-project/gas/vcf"
)

// resultInfo is what an open index knows from the result's header.
type resultInfo struct {
	sources   []SourceField
	samples   []string // every sample of the header
	gtSamples int      // the first gtSamples have genotype columns
	gcSamples int      // the next gcSamples have class-only columns
	assembly  string   // GRCh37, GRCh38 or "" (from ##gas_bundle)
	bundle    string
	sig       map[string][]string // significance field -> terms by bit
}

// genotyped is how many samples (the first ones of the header) the index
// keeps a genotype class of: those the genotype filter, the gene view's
// carriers and the exports' GT columns cover.
func (ri *resultInfo) genotyped() int { return ri.gtSamples + ri.gcSamples }

// loadResultInfo reads the header kept in meta and the significance
// dictionaries.
func (ix *Index) loadResultInfo(meta map[string]string) error {
	ri := &ix.info
	ri.sig = map[string][]string{}
	if h := meta["header"]; h != "" {
		rd, err := vcf.NewReader(strings.NewReader(h), vcf.ReaderOptions{Workers: 1})
		if err != nil {
			return fmt.Errorf("stored header: %w", err)
		}
		hdr := rd.Header()
		rd.Close()
		ri.samples = hdr.Samples()
		fl, err := headerFields(hdr, "")
		if err != nil {
			return err
		}
		ri.sources = fl.srcs
		for _, m := range hdr.Meta() {
			if strings.HasPrefix(m, "##gas_bundle=<") {
				ri.assembly = attr(m, "Assembly")
				ri.bundle = attr(m, "Name")
			}
		}
	}
	n, _ := strconv.Atoi(meta["gt_samples"])
	ri.gtSamples = min(n, len(ri.samples))
	n, _ = strconv.Atoi(meta["gc_samples"]) // absent in indexes built before: none
	ri.gcSamples = max(0, min(n, len(ri.samples)-ri.gtSamples))
	rows, err := ix.db.Query(`SELECT field, bit, name FROM sigterm ORDER BY field, bit`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var f, name string
		var bit int
		if err := rows.Scan(&f, &bit, &name); err != nil {
			return err
		}
		if bit == len(ri.sig[f]) {
			ri.sig[f] = append(ri.sig[f], name)
		}
	}
	return rows.Err()
}

// attr reads KEY=value from a structured ## line (value unquoted).
func attr(line, key string) string {
	i := strings.Index(line, "<")
	if i < 0 {
		return ""
	}
	body := strings.TrimSuffix(line[i+1:], ">")
	for body != "" {
		k, rest, ok := strings.Cut(body, "=")
		if !ok {
			return ""
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				v, body = rest[1:], ""
			} else {
				v, body = rest[1:end+1], strings.TrimPrefix(rest[end+2:], ",")
			}
		} else {
			v, body, _ = strings.Cut(rest, ",")
		}
		if k == key {
			return v
		}
	}
	return ""
}

// Sources returns the result's annotation-source fields in header order.
func (ix *Index) Sources() []SourceField { return append([]SourceField(nil), ix.info.sources...) }

// Samples returns every sample name of the result.
func (ix *Index) Samples() []string { return append([]string(nil), ix.info.samples...) }

// GenotypeSamples returns the samples the genotype filter covers: with
// GQ and DP the first MaxGenotypeSamples, by class alone the rest.
func (ix *Index) GenotypeSamples() []string {
	return append([]string(nil), ix.info.samples[:ix.info.genotyped()]...)
}

// Assembly is the bundle's assembly (GRCh37, GRCh38) as the result's
// header states it, "" when it does not.
func (ix *Index) Assembly() string { return ix.info.assembly }

// Bundle is the name of the bundle the result was annotated with.
func (ix *Index) Bundle() string { return ix.info.bundle }

// SigTerms returns the clinical-significance terms present, the choices of
// the ClinSig filter, in first-seen order across the fields.
func (ix *Index) SigTerms() []string {
	var out []string
	seen := map[string]bool{}
	for _, sf := range ix.info.sources {
		for _, t := range ix.info.sig[sf.Key] {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

func (ix *Index) sourceField(key string) (SourceField, bool) {
	for _, sf := range ix.info.sources {
		if sf.Key == key {
			return sf, true
		}
	}
	return SourceField{}, false
}

// chromIDs returns the ids of a contig name, accepting it with or without
// a "chr" prefix (chr1 finds 1 and 1 finds chr1).
func (ix *Index) chromIDs(name string) []uint32 {
	alt := "chr" + name
	if s, ok := strings.CutPrefix(strings.ToLower(name), "chr"); ok {
		alt = name[len(name)-len(s):]
	}
	var out []uint32
	for id, n := range ix.chroms {
		if n == name || n == alt || strings.EqualFold(n, name) {
			out = append(out, uint32(id))
		}
	}
	return out
}

func (ix *Index) compileRegions(ctx context.Context, f Filter, m *matcher) error {
	if len(f.Regions) == 0 {
		return nil
	}
	for _, r := range f.Regions {
		for _, id := range ix.chromIDs(r.Chrom) {
			m.regions = append(m.regions, regionC{chrom: id, start: r.Start, end: r.End})
		}
	}
	if len(m.regions) == 0 {
		m.none = true
		m.regions = []regionC{}
		return nil
	}
	var err error
	if m.chromB, err = ix.column(ctx, "chrom", 4); err != nil {
		return err
	}
	m.posB, err = ix.column(ctx, "pos", 4)
	return err
}

func (ix *Index) compileSig(ctx context.Context, f Filter, m *matcher) error {
	if len(f.ClinSig) == 0 {
		return nil
	}
	m.sigCols = [][]byte{}
	for _, sf := range ix.info.sources {
		var mask uint64
		for bit, t := range ix.info.sig[sf.Key] {
			for _, want := range f.ClinSig {
				if t == want {
					mask |= 1 << bit
				}
			}
		}
		if mask == 0 {
			continue
		}
		col, err := ix.column(ctx, "sig:"+sf.Key, 8)
		if err != nil {
			return err
		}
		m.sigCols = append(m.sigCols, col)
		m.sigMasks = append(m.sigMasks, mask)
	}
	if len(m.sigCols) == 0 {
		m.none = true
	}
	return nil
}

func (ix *Index) compileGenotypes(ctx context.Context, f Filter, m *matcher) error {
	if !f.HasGenotype() {
		return nil
	}
	quality := f.MinGQ > 0 || f.MinDP > 0
	covered := ix.info.genotyped()
	var which []int
	if len(f.Samples) == 0 {
		// Any sample: with a GQ or DP condition, any of those that keep
		// them; else any covered sample.
		n := covered
		if quality {
			n = ix.info.gtSamples
		}
		for i := 0; i < n; i++ {
			which = append(which, i)
		}
	}
	for _, name := range f.Samples {
		i := -1
		for k, s := range ix.info.samples {
			if s == name {
				i = k
				break
			}
		}
		switch {
		case i < 0:
			return &FilterError{ParamSample, fmt.Sprintf("%q is not a sample of this result", clip(name))}
		case i >= covered:
			return &FilterError{ParamSample, fmt.Sprintf("%q is past the first %d samples, which are the ones the genotype filter covers", clip(name), covered)}
		case i >= ix.info.gtSamples && quality:
			return &FilterError{ParamSample, fmt.Sprintf("GQ and DP are kept for the first %d samples only; %q is sample %d (filter it by genotype alone)",
				ix.info.gtSamples, clip(name), i+1)}
		}
		which = append(which, i)
	}
	m.gtCols = [][]byte{}
	for _, i := range which {
		if i >= ix.info.gtSamples {
			col, err := ix.column(ctx, "gc:"+strconv.Itoa(i), 1)
			if err != nil {
				return err
			}
			m.gcCols = append(m.gcCols, col)
			continue
		}
		col, err := ix.column(ctx, "gt:"+strconv.Itoa(i), 4)
		if err != nil {
			return err
		}
		m.gtCols = append(m.gtCols, col)
	}
	zs := f.Zygosity
	if len(zs) == 0 {
		zs = []int{GTHet, GTHomAlt}
	}
	for _, z := range zs {
		m.zyg |= 1 << z
	}
	m.minGQ, m.minDP = f.MinGQ, f.MinDP
	if len(m.gtCols) == 0 && len(m.gcCols) == 0 {
		m.none = true
	}
	return nil
}
