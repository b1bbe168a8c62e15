package variantdb

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
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
	want, err := ix.Count(ctx, f)
	if err != nil {
		return 0, err
	}
	hr := &hashReader{r: src, h: sha256.New()}
	rd, err := vcf.NewReader(hr, vcf.ReaderOptions{Workers: 1})
	if err != nil {
		return 0, fmt.Errorf("variantdb: export VCF: source: %w", err)
	}
	defer rd.Close()
	h := rd.Header()
	h.Add(VCFRecordsKey + itoa(want))
	h.Add(VCFFilterKey + f.Describe())

	cond, args, ok := ix.where(f)
	var next func() (int64, error) // the next matching rid, 0 at the end
	all := ok && cond == ""
	if ok && !all {
		rows, err := ix.db.QueryContext(ctx, `SELECT rid FROM rec`+cond+` ORDER BY rid`, args...)
		if err != nil {
			return 0, fmt.Errorf("variantdb: export VCF: %w", err)
		}
		defer rows.Close()
		next = func() (int64, error) {
			if !rows.Next() {
				return 0, rows.Err()
			}
			var rid int64
			return rid, rows.Scan(&rid)
		}
	} else {
		next = func() (int64, error) { return 0, nil }
	}

	bw := vcf.NewBGZFWriter(w, 2)
	out := h.AppendTo(nil)
	var blk vcf.Block
	var k, written int64
	wantRID, err := next()
	if err != nil {
		bw.Close()
		return 0, fmt.Errorf("variantdb: export VCF: %w", err)
	}
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
			if !all && k != wantRID {
				continue
			}
			out = append(out, blk.Line(i)...)
			out = append(out, '\n')
			written++
			if !all {
				if wantRID, err = next(); err != nil {
					bw.Close()
					return written, fmt.Errorf("variantdb: export VCF: %w", err)
				}
			}
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

// ExportTSV writes view f (conditions only) as TSV: a comment line stating
// the record and row counts and the filter, the column line, then one row
// per record × annotation in record order. Percent-encoded ANN values are
// decoded; tabs and newlines inside values become spaces. It returns the
// records and rows written.
func (ix *Index) ExportTSV(ctx context.Context, w io.Writer, f Filter) (records, rows int64, err error) {
	f = f.normalize()
	cond, args, ok := ix.where(f)
	var wantRecs, wantRows int64
	if ok {
		err := ix.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(max(nann, 1)), 0) FROM rec`+cond, args...).Scan(&wantRecs, &wantRows)
		if err != nil {
			return 0, 0, fmt.Errorf("variantdb: export TSV: %w", err)
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, "%s records=%d rows=%d filter=%s\n", TSVCommentPrefix, wantRecs, wantRows, f.Describe())
	for i, c := range TSVColumns {
		if i > 0 {
			bw.WriteByte('\t')
		}
		bw.WriteString(c[0])
	}
	bw.WriteByte('\n')
	if ok && wantRecs > 0 {
		q := `SELECT rec.rid, rec.chrom, rec.pos, rec.vid, rec.ref, rec.alt, rec.known, rec.freq, rec.trackhits,
			ann.k, ann.allele, ann.terms, ann.impact, tx.gene, tx.gene_id, tx.feature_type, tx.feature, tx.biotype,
			ann.rank, ann.hgvsc, ann.hgvsp, ann.cdna, ann.cds, ann.aa, ann.distance, ann.notes
			FROM rec LEFT JOIN ann ON ann.k BETWEEN rec.rid << 16 AND (rec.rid << 16) + 65535
			LEFT JOIN tx ON tx.id = ann.tx` + cond + ` ORDER BY rec.rid, ann.k`
		rows, records, err = ix.writeTSVRows(ctx, bw, q, args)
		if err != nil {
			return records, rows, err
		}
	}
	if err := bw.Flush(); err != nil {
		return records, rows, fmt.Errorf("variantdb: export TSV: %w", err)
	}
	if records != wantRecs || rows != wantRows {
		return records, rows, fmt.Errorf("variantdb: export TSV: wrote %d records in %d rows, the header states %d in %d", records, rows, wantRecs, wantRows)
	}
	return records, rows, nil
}

func (ix *Index) writeTSVRows(ctx context.Context, bw *bufio.Writer, q string, args []any) (rows, records int64, err error) {
	rs, err := ix.db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, 0, fmt.Errorf("variantdb: export TSV: %w", err)
	}
	defer rs.Close()
	var (
		rid, chrom, pos, known, lastRID         int64
		vid, ref, alt, hits                     string
		freq                                    sql.NullFloat64
		k, allele, terms, impact                sql.NullInt64
		gene, geneID, ftype, feature, biotype   sql.NullString
		rank, hc, hp, cdna, cds, aa, dist, note sql.NullString
		line                                    []byte
	)
	for rs.Next() {
		if err := rs.Scan(&rid, &chrom, &pos, &vid, &ref, &alt, &known, &freq, &hits,
			&k, &allele, &terms, &impact, &gene, &geneID, &ftype, &feature, &biotype,
			&rank, &hc, &hp, &cdna, &cds, &aa, &dist, &note); err != nil {
			return rows, records, fmt.Errorf("variantdb: export TSV: %w", err)
		}
		if rid != lastRID {
			records++
			lastRID = rid
		}
		rows++
		line = strconv.AppendInt(line[:0], rid, 10)
		line = tsvField(line, ix.chroms[chrom])
		line = append(line, '\t')
		line = strconv.AppendInt(line, pos, 10)
		line = tsvField(line, vid)
		line = tsvField(line, ref)
		line = tsvField(line, alt)
		al := ""
		if allele.Valid && allele.Int64 >= 0 {
			alts := strings.Split(alt, ",")
			if int(allele.Int64) < len(alts) {
				al = alts[allele.Int64]
			}
		}
		line = tsvField(line, al)
		csq := ""
		if terms.Valid {
			csq = strings.Join(ix.termList(terms.Int64), "&")
		}
		line = tsvField(line, csq)
		imp := ""
		if impact.Valid {
			imp = ImpactName(int(impact.Int64))
		}
		line = tsvField(line, imp)
		for _, s := range []sql.NullString{gene, geneID, ftype, feature, biotype, rank, hc, hp, cdna, cds, aa, dist, note} {
			line = tsvField(line, s.String)
		}
		if known != 0 {
			line = tsvField(line, "yes")
		} else {
			line = tsvField(line, "no")
		}
		fs := ""
		if freq.Valid {
			fs = strconv.FormatFloat(freq.Float64, 'g', -1, 64)
		}
		line = tsvField(line, fs)
		line = tsvField(line, hits)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return rows, records, fmt.Errorf("variantdb: export TSV: %w", err)
		}
	}
	if err := rs.Err(); err != nil {
		return rows, records, fmt.Errorf("variantdb: export TSV: %w", err)
	}
	return rows, records, nil
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
	Known        int64            `json:"known"`
	Novel        int64            `json:"novel"`
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
	cond, args, ok := ix.where(f)
	if !ok {
		return s, nil
	}
	q := `SELECT chrom, impact, terms, known, tracks, bad IS NOT NULL, count(*) FROM rec` + cond +
		` GROUP BY chrom, impact, terms, known, tracks, bad IS NOT NULL`
	rows, err := ix.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("variantdb: summary: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var chrom, impact, terms, known, tracks, bad, n int64
		if err := rows.Scan(&chrom, &impact, &terms, &known, &tracks, &bad, &n); err != nil {
			return nil, fmt.Errorf("variantdb: summary: %w", err)
		}
		s.Records += n
		s.Chromosomes[ix.chroms[chrom]] += n
		imp := ImpactName(int(impact))
		if imp == "" {
			imp = "none"
		}
		s.Impacts[imp] += n
		for _, t := range ix.termList(terms) {
			s.Consequences[t] += n
		}
		if known != 0 {
			s.Known += n
		} else {
			s.Novel += n
		}
		for i, t := range ix.tracks {
			if tracks&(1<<i) != 0 {
				s.Tracks[t] += n
			}
		}
		s.Malformed += bad * n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("variantdb: summary: %w", err)
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
