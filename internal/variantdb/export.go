package variantdb

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"

	"github.com/gas-project/gas/vcf"
)

// Every export states how many records it holds; these are the places.
const (
	// VCFRecordsKey is the header line of a VCF export: ##gas_export_records=N.
	VCFRecordsKey = "##gas_export_records="
	// VCFFilterKey describes the view: ##gas_export_filter=<Filter.Describe()>.
	VCFFilterKey = "##gas_export_filter="
	// TSVCommentPrefix starts the TSV's first line:
	// "# gas variant export: records=N rows=M filter=…".
	TSVCommentPrefix = "# gas variant export:"
)

// ExportVCF writes the records of view f (its conditions; order and page
// are ignored) as BGZF VCF: the source's header plus the two export lines,
// then the original lines of the matching records in file order. src is the
// result the index was built from; it is checked against the index (record
// count and SHA-256) while streaming, and a mismatch is an error. It
// returns the number of records written, which is also the number stated
// in the header.
func (ix *Index) ExportVCF(ctx context.Context, w io.Writer, src io.Reader, f Filter) (int64, error) {
	f = f.normalize()
	m, err := ix.compile(ctx, f)
	if err != nil {
		return 0, err
	}
	want := m.count()
	hr := &hashReader{r: src, h: sha256.New()}
	rd, err := vcf.NewReader(hr, vcf.ReaderOptions{Workers: 1})
	if err != nil {
		return 0, fmt.Errorf("variantdb: export VCF: source: %w", err)
	}
	defer rd.Close()
	h := rd.Header()
	h.Add(VCFRecordsKey + itoa(want))
	h.Add(VCFFilterKey + f.Describe())
	recs := int64(len(ix.c.flags))

	bw := vcf.NewBGZFWriter(w, 2)
	out := h.AppendTo(nil)
	var blk vcf.Block
	var k, written int64
	for {
		if err := ctx.Err(); err != nil {
			bw.Close()
			return written, err
		}
		err := rd.ReadBlock(&blk, 0)
		if err == io.EOF {
			break
		}
		if err != nil {
			bw.Close()
			return written, fmt.Errorf("variantdb: export VCF: source: %w", err)
		}
		for i := 0; i < blk.Len(); i++ {
			k++
			// A longer source is caught below; its extra records match nothing.
			if k > recs || m.none || !m.all && !m.match(int(k-1)) {
				continue
			}
			out = append(out, blk.Line(i)...)
			out = append(out, '\n')
			written++
		}
		if _, err := bw.Write(out); err != nil {
			bw.Close()
			return written, fmt.Errorf("variantdb: export VCF: %w", err)
		}
		out = out[:0]
	}
	if len(out) > 0 {
		if _, err := bw.Write(out); err != nil {
			bw.Close()
			return written, fmt.Errorf("variantdb: export VCF: %w", err)
		}
	}
	if err := bw.Close(); err != nil {
		return written, fmt.Errorf("variantdb: export VCF: %w", err)
	}
	sum, err := hr.sum()
	if err != nil {
		return written, err
	}
	switch {
	case k != ix.Meta.Records || sum != ix.Meta.SHA256:
		return written, fmt.Errorf("variantdb: export VCF: the source (%d records, sha256 %s) is not the result this index was built from (%d records, sha256 %s)",
			k, sum, ix.Meta.Records, ix.Meta.SHA256)
	case written != want:
		return written, fmt.Errorf("variantdb: export VCF: wrote %d records, the header states %d", written, want)
	}
	return written, nil
}

// TSVColumns are the columns of a TSV export, one row per record × ANN
// entry (a record without ANN entries gets one row with the annotation
// columns empty, so no record is lost). The descriptions are the
// documentation of the format.
var TSVColumns = [][2]string{
	{"record", "1-based record number in the result (rows of one record share it)"},
	{"chrom", "CHROM"},
	{"pos", "POS"},
	{"id", "ID column (known-variant IDs such as rsIDs), empty for ."},
	{"ref", "REF"},
	{"alt", "ALT column (all alleles)"},
	{"allele", "ANN Allele: the ALT this row annotates"},
	{"consequence", "ANN Annotation: SO terms joined by &, most severe first"},
	{"impact", "ANN Annotation_Impact: HIGH, MODERATE, LOW, MODIFIER"},
	{"gene", "ANN Gene_Name"},
	{"gene_id", "ANN Gene_ID"},
	{"feature_type", "ANN Feature_Type"},
	{"feature", "ANN Feature_ID (transcript)"},
	{"biotype", "ANN Transcript_BioType"},
	{"rank", "ANN Rank: exon or intron number / total"},
	{"hgvs_c", "ANN HGVS.c"},
	{"hgvs_p", "ANN HGVS.p"},
	{"cdna_pos", "ANN cDNA.pos / cDNA.length"},
	{"cds_pos", "ANN CDS.pos / CDS.length"},
	{"aa_pos", "ANN AA.pos / AA.length"},
	{"distance", "ANN Distance to the feature (up/downstream)"},
	{"notes", "ANN ERRORS / WARNINGS / INFO"},
	{"known", "yes when some ALT of the record matches a known variant, else no"},
	{"freq", "highest known frequency of the record's ALTs (the meta freq field), empty when none"},
	{"track_hits", "region-track hits: TRACK=name1,name2;TRACK2=…"},
}

// ExportColumns are the columns of the TSV and Excel exports of this
// result: TSVColumns, then one per source field (the value for the row's
// allele), then the genotype (GT) of each sample the genotype filter
// covers (GenotypeSamples: up to MaxClassSamples), named "GT:" and the
// sample.
func (ix *Index) ExportColumns() []string {
	out := make([]string, 0, len(TSVColumns)+len(ix.info.sources)+ix.info.genotyped())
	for _, c := range TSVColumns {
		out = append(out, c[0])
	}
	for _, sf := range ix.info.sources {
		out = append(out, sf.Key)
	}
	for _, name := range ix.GenotypeSamples() {
		out = append(out, "GT:"+name)
	}
	return out
}

// exportPlan counts the records and rows of a view before an export
// writes them, so the count can lead the file.
func (ix *Index) exportPlan(ctx context.Context, f Filter) (m *matcher, recs, rows int64, err error) {
	if m, err = ix.compile(ctx, f.normalize()); err != nil {
		return nil, 0, 0, err
	}
	nann, err := ix.column(ctx, "nann", 4)
	if err != nil {
		return nil, 0, 0, err
	}
	m.each(func(i int) bool {
		recs++
		rows += max(int64(binary.LittleEndian.Uint32(nann[4*i:])), 1)
		return true
	})
	return m, recs, rows, nil
}

// ExportTSV writes view f (conditions only) as TSV: a comment line stating
// the record and row counts and the filter, the column line
// (ExportColumns), then one row per record × annotation in record order.
// Percent-encoded values are decoded; tabs and newlines inside values
// become spaces. It returns the records and rows written.
func (ix *Index) ExportTSV(ctx context.Context, w io.Writer, f Filter) (records, rows int64, err error) {
	f = f.normalize()
	m, wantRecs, wantRows, err := ix.exportPlan(ctx, f)
	if err != nil {
		return 0, 0, err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, "%s records=%d rows=%d filter=%s\n", TSVCommentPrefix, wantRecs, wantRows, f.Describe())
	bw.WriteString(strings.Join(ix.ExportColumns(), "\t"))
	bw.WriteByte('\n')
	var line []byte
	records, rows, err = ix.eachExportRow(ctx, m, func(vals []string) error {
		line = line[:0]
		for i, v := range vals {
			if i == 0 {
				line = append(line, v...)
				continue
			}
			line = tsvField(line, v)
		}
		line = append(line, '\n')
		_, err := bw.Write(line)
		return err
	})
	if err != nil {
		return records, rows, fmt.Errorf("variantdb: export TSV: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return records, rows, fmt.Errorf("variantdb: export TSV: %w", err)
	}
	if records != wantRecs || rows != wantRows {
		return records, rows, fmt.Errorf("variantdb: export TSV: wrote %d records in %d rows, the header states %d in %d", records, rows, wantRecs, wantRows)
	}
	return records, rows, nil
}

// eachExportRow calls fn with the values of every export row of the view
// (ExportColumns order; the slice is reused) and returns the records and
// rows passed.
func (ix *Index) eachExportRow(ctx context.Context, m *matcher, fn func([]string) error) (records, rows int64, err error) {
	// Records go out in groups of rids: one query per group keeps each
	// query small whatever the view, and the page cache warm.
	var batch []any
	var werr error
	flush := func() {
		if len(batch) == 0 || werr != nil {
			return
		}
		q := `SELECT rec.rid, rec.chrom, rec.pos, rec.vid, rec.ref, rec.alt, rec.known, rec.freq, rec.trackhits, rec.info, rec.samples,
			ann.k, ann.allele, ann.terms, ann.impact, tx.gene, tx.gene_id, tx.feature_type, tx.feature, tx.biotype,
			ann.rank, ann.hgvsc, ann.hgvsp, ann.cdna, ann.cds, ann.aa, ann.distance, ann.notes
			FROM rec LEFT JOIN ann ON ann.k BETWEEN rec.rid << 16 AND (rec.rid << 16) + 65535
			LEFT JOIN tx ON tx.id = ann.tx
			WHERE rec.rid IN (` + strings.TrimSuffix(strings.Repeat("?,", len(batch)), ",") + `) ORDER BY rec.rid, ann.k`
		n, r, err := ix.exportRows(ctx, q, batch, fn)
		rows += n
		records += r
		werr = err
		batch = batch[:0]
	}
	m.each(func(i int) bool {
		batch = append(batch, int64(i+1))
		if len(batch) == 500 {
			flush()
		}
		return werr == nil
	})
	flush()
	return records, rows, werr
}

func (ix *Index) exportRows(ctx context.Context, q string, args []any, fn func([]string) error) (rows, records int64, err error) {
	rs, err := ix.db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, 0, err
	}
	defer rs.Close()
	var (
		rid, chrom, pos, known, lastRID         int64
		vid, ref, alt, hits, info, samples      string
		gts                                     []string
		freq                                    sql.NullFloat64
		k, allele, terms, impact                sql.NullInt64
		gene, geneID, ftype, feature, biotype   sql.NullString
		rank, hc, hp, cdna, cds, aa, dist, note sql.NullString
		vals                                    []string
	)
	srcs := ix.info.sources
	for rs.Next() {
		if err := rs.Scan(&rid, &chrom, &pos, &vid, &ref, &alt, &known, &freq, &hits, &info, &samples,
			&k, &allele, &terms, &impact, &gene, &geneID, &ftype, &feature, &biotype,
			&rank, &hc, &hp, &cdna, &cds, &aa, &dist, &note); err != nil {
			return rows, records, err
		}
		if rid != lastRID {
			records++
			lastRID = rid
			gts = gts[:0]
			if n := ix.info.genotyped(); n > 0 {
				_, all := ix.genotypes(samples)
				for s := 0; s < n; s++ {
					gt := ""
					if s < len(all) {
						gt = all[s].GT
					}
					gts = append(gts, gt)
				}
			}
		}
		rows++
		vals = append(vals[:0], strconv.FormatInt(rid, 10), ix.chroms[chrom], strconv.FormatInt(pos, 10), vid, ref, alt)
		al, ai := "", -1
		if allele.Valid && allele.Int64 >= 0 {
			alts := strings.Split(alt, ",")
			if int(allele.Int64) < len(alts) {
				al, ai = alts[allele.Int64], int(allele.Int64)
			}
		}
		csq := ""
		if terms.Valid {
			csq = strings.Join(ix.termList(terms.Int64), "&")
		}
		imp := ""
		if impact.Valid {
			imp = ImpactName(int(impact.Int64))
		}
		vals = append(vals, al, csq, imp)
		for _, s := range []sql.NullString{gene, geneID, ftype, feature, biotype, rank, hc, hp, cdna, cds, aa, dist, note} {
			vals = append(vals, s.String)
		}
		kn := "no"
		if known != 0 {
			kn = "yes"
		}
		fs := ""
		if freq.Valid {
			fs = strconv.FormatFloat(freq.Float64, 'g', -1, 64)
		}
		vals = append(vals, kn, fs, hits)
		for _, sf := range srcs {
			vals = append(vals, alleleValue(info, sf.Key, ai))
		}
		vals = append(vals, gts...)
		if err := fn(vals); err != nil {
			return rows, records, err
		}
	}
	return rows, records, rs.Err()
}

// alleleValue is a Number=A INFO value for ALT a (decoded, "" for '.'),
// or every ALT's value joined by ", " when a is -1 (a row without an
// allele).
func alleleValue(info, key string, a int) string {
	v, ok := vcf.InfoValue([]byte(info), key)
	if !ok {
		return ""
	}
	parts := strings.Split(string(v), ",")
	if a >= 0 {
		if a >= len(parts) || parts[a] == "." {
			return ""
		}
		return unescape([]byte(parts[a]))
	}
	if strings.Trim(string(v), ".,") == "" {
		return ""
	}
	return unescape(v)
}

// tsvField appends a tab and s with tabs and line breaks made spaces.
func tsvField(dst []byte, s string) []byte {
	dst = append(dst, '\t')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\t' || c == '\n' || c == '\r' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// ViewSummary is the summary JSON of a view: counts of records (not of
// annotations) by consequence term (a record counts once per term it has),
// worst impact, chromosome, known/novel and track.
type ViewSummary struct {
	Records      int64            `json:"records"`
	Filter       string           `json:"filter"` // Filter.Describe()
	Query        string           `json:"query"`  // Filter.Encode(), for a link back to the view
	SourceSHA256 string           `json:"source_sha256"`
	FreqField    string           `json:"freq_field,omitempty"`
	Consequences map[string]int64 `json:"consequences"`
	Impacts      map[string]int64 `json:"impacts"` // HIGH…MODIFIER, "none" for records without annotation
	Chromosomes  map[string]int64 `json:"chromosomes"`
	Known        int64            `json:"known"` // records with an ALT matching a known variant
	Novel        int64            `json:"novel"` // records with an annotated ALT and none known (Filter.Known NovelOnly)
	Tracks       map[string]int64 `json:"tracks"`
	Malformed    int64            `json:"malformed"`
}

// Summary computes the summary of view f (conditions only).
func (ix *Index) Summary(ctx context.Context, f Filter) (*ViewSummary, error) {
	f = f.normalize()
	cf := f
	cf.Sort, cf.Desc, cf.Page, cf.PerPage = SortPos, false, 1, DefaultPerPage
	s := &ViewSummary{Filter: f.Describe(), Query: cf.Encode(), SourceSHA256: ix.Meta.SHA256, FreqField: ix.Meta.FreqField,
		Consequences: map[string]int64{}, Impacts: map[string]int64{}, Chromosomes: map[string]int64{}, Tracks: map[string]int64{}}
	m, err := ix.compile(ctx, f)
	if err != nil {
		return nil, err
	}
	chromB, err := ix.column(ctx, "chrom", 4)
	if err != nil {
		return nil, err
	}
	tracksB, err := ix.column(ctx, "tracks", 8)
	if err != nil {
		return nil, err
	}
	// Count per distinct value first, name them after: the pass over the
	// records stays free of map lookups by string.
	byChrom := map[uint32]int64{}
	var byImpact [5]int64
	var byTerm, byTrack [64]int64
	m.each(func(i int) bool {
		s.Records++
		byChrom[binary.LittleEndian.Uint32(chromB[4*i:])]++
		fl := ix.c.flags[i]
		byImpact[fl&7]++
		for t := ix.c.terms[i]; t != 0; t &= t - 1 {
			byTerm[bits.TrailingZeros64(t)]++
		}
		for t := binary.LittleEndian.Uint64(tracksB[8*i:]); t != 0; t &= t - 1 {
			byTrack[bits.TrailingZeros64(t)]++
		}
		switch {
		case fl&flagKnown != 0:
			s.Known++
		case novel(fl, ix.c.terms[i]):
			s.Novel++
		}
		if fl&flagMalformed != 0 {
			s.Malformed++
		}
		return true
	})
	for c, n := range byChrom {
		s.Chromosomes[ix.chroms[int64(c)]] += n
	}
	for imp, n := range byImpact {
		if n == 0 {
			continue
		}
		name := ImpactName(imp - 1)
		if name == "" {
			name = "none"
		}
		s.Impacts[name] = n
	}
	for b, n := range byTerm {
		if n > 0 && ix.bitTerm[b] != "" {
			s.Consequences[ix.bitTerm[b]] = n
		}
	}
	for b, n := range byTrack {
		if n > 0 && b < len(ix.tracks) {
			s.Tracks[ix.tracks[b]] = n
		}
	}
	return s, nil
}

// ExportSummaryJSON writes Summary(f) as indented JSON; its "records" field
// is the record count of the view.
func (ix *Index) ExportSummaryJSON(ctx context.Context, w io.Writer, f Filter) (*ViewSummary, error) {
	s, err := ix.Summary(ctx, f)
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("variantdb: export summary: %w", err)
	}
	return s, nil
}
