package variantdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Excel's sheets stop at 1,048,576 rows; the variants sheet has a header.
const xlsxMaxRows = 1048576 - 1

// ErrTooManyRows is returned by ExportXLSX, before anything is written,
// for a view of more record × annotation rows than a sheet holds: filter
// it, or take the TSV.
var ErrTooManyRows = errors.New("variantdb: more rows than an Excel sheet holds (1,048,575)")

// XLSX sheet names.
const (
	XLSXVariantsSheet = "Variants"
	XLSXSummarySheet  = "Summary"
)

// ExportXLSX writes view f (conditions only) as an Excel workbook: the
// sheet Variants has ExportColumns as its first row, then one row per
// record × annotation (record, position and numbers as numbers); the sheet
// Summary holds the view's counts (Summary), its first rows stating the
// records, rows and filter. It returns the records and rows written.
func (ix *Index) ExportXLSX(ctx context.Context, w io.Writer, f Filter) (records, rows int64, err error) {
	f = f.normalize()
	m, wantRecs, wantRows, err := ix.exportPlan(ctx, f)
	if err != nil {
		return 0, 0, err
	}
	if wantRows > xlsxMaxRows {
		return 0, 0, ErrTooManyRows
	}
	sum, err := ix.Summary(ctx, f)
	if err != nil {
		return 0, 0, err
	}
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", XLSXVariantsSheet); err != nil {
		return 0, 0, fmt.Errorf("variantdb: export xlsx: %w", err)
	}
	sw, err := x.NewStreamWriter(XLSXVariantsSheet)
	if err != nil {
		return 0, 0, fmt.Errorf("variantdb: export xlsx: %w", err)
	}
	cols := ix.ExportColumns()
	numeric := make([]bool, len(cols))
	for i, c := range cols {
		numeric[i] = c == "record" || c == "pos" || c == "freq"
	}
	for _, sf := range ix.info.sources {
		numeric[slices.Index(cols, sf.Key)] = sf.Numeric()
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = c
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return 0, 0, fmt.Errorf("variantdb: export xlsx: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return 0, 0, fmt.Errorf("variantdb: export xlsx: %w", err)
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{StyleID: bold}); err != nil {
		return 0, 0, fmt.Errorf("variantdb: export xlsx: %w", err)
	}
	row := 1
	cells := make([]any, len(cols))
	records, rows, err = ix.eachExportRow(ctx, m, func(vals []string) error {
		row++
		for i, v := range vals {
			cells[i] = v
			if numeric[i] && v != "" {
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					cells[i] = n
				}
			}
		}
		return sw.SetRow("A"+strconv.Itoa(row), cells)
	})
	if err != nil {
		return records, rows, fmt.Errorf("variantdb: export xlsx: %w", err)
	}
	if err := sw.Flush(); err != nil {
		return records, rows, fmt.Errorf("variantdb: export xlsx: %w", err)
	}
	if records != wantRecs || rows != wantRows {
		return records, rows, fmt.Errorf("variantdb: export xlsx: wrote %d records in %d rows, planned %d in %d", records, rows, wantRecs, wantRows)
	}
	if err := ix.summarySheet(x, sum, rows, bold); err != nil {
		return records, rows, fmt.Errorf("variantdb: export xlsx: %w", err)
	}
	if err := x.Write(w); err != nil {
		return records, rows, fmt.Errorf("variantdb: export xlsx: %w", err)
	}
	return records, rows, nil
}

// summarySheet writes the view's counts: the statement lines, then a
// table per count (impact, consequence, chromosome, known/novel, tracks).
func (ix *Index) summarySheet(x *excelize.File, s *ViewSummary, rows int64, bold int) error {
	if _, err := x.NewSheet(XLSXSummarySheet); err != nil {
		return err
	}
	sw, err := x.NewStreamWriter(XLSXSummarySheet)
	if err != nil {
		return err
	}
	r := 0
	put := func(vals ...any) error {
		r++
		return sw.SetRow("A"+strconv.Itoa(r), vals)
	}
	lines := [][]any{
		{"records", s.Records}, {"rows", rows}, {"filter", s.Filter}, {"query", s.Query},
		{"source_sha256", s.SourceSHA256}, {"freq_field", s.FreqField}, {"assembly", ix.info.assembly},
		{"known", s.Known}, {"novel", s.Novel}, {"malformed", s.Malformed},
	}
	for _, l := range lines {
		if err := put(l...); err != nil {
			return err
		}
	}
	impacts := []string{"HIGH", "MODERATE", "LOW", "MODIFIER", "none"}
	for _, t := range []struct {
		title string
		m     map[string]int64
		order []string
	}{
		{"impact", s.Impacts, impacts},
		{"consequence", s.Consequences, ix.Terms()},
		{"chromosome", s.Chromosomes, nil},
		{"track", s.Tracks, ix.Tracks()},
	} {
		r++ // a blank row between tables
		r++
		if err := sw.SetRow("A"+strconv.Itoa(r), []any{t.title, "records"}, excelize.RowOpts{StyleID: bold}); err != nil {
			return err
		}
		keys := t.order
		if keys == nil {
			for k := range t.m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
		}
		for _, k := range keys {
			if n, ok := t.m[k]; ok {
				if err := put(k, n); err != nil {
					return err
				}
			}
		}
	}
	return sw.Flush()
}
