package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/httpserver"
	"github.com/gas-project/gas/internal/variantdb"
)

// variantsView is the model of the variant browser.
type variantsView struct {
	base
	Job *gas.Job
	// Waiting says why there is no table yet ("" when there is one).
	Waiting string
	// Building says the index is being built: the page watches for it.
	Building bool
	Error    string // a filter the user typed that cannot be read
	Form     url.Values
	Res      *variantdb.Result
	Terms    []string
	Impacts  []string
	FirstRow int64 // 1-based number of the first row shown
	LastRow  int64
	Prev     string // URLs of the neighbouring pages, "" at the ends
	Next     string
	Sorts    map[string]sortLink // by column: pos, gene, impact, freq
	Exports  []exportLink
	Filtered bool
	GenesURL string // the gene view of the same filter

	// The table: the chosen columns, and one row of cells per record.
	Columns []column
	Cells   [][]cell
	// The filter form's choices and what is chosen.
	Choices  filterChoices
	Cols     []colChoice
	MoreOpen bool // a condition of the "more filters" part is set
}

// filterChoices are the values offered by the filter form with the
// chosen ones marked.
type filterChoices struct {
	Impacts    []choice
	Terms      []choice
	ClinSig    []choice
	FreqFields []choice
	Samples    []choice
	Zygosity   []choice
}

// choice is one option of a select or checkbox list.
type choice struct {
	Value, Label string
	On           bool
}

// colChoice is one column of the column chooser.
type colChoice struct {
	ID, Label string
	On        bool
}

// sortLink is a column header link; Aria is the header's aria-sort.
type sortLink struct {
	URL, Aria, Arrow string
}

// exportLink is one download of the view or of the full result.
type exportLink struct {
	ID, Label, URL string
}

// IndexKeyStore records a job's index key (sqldb.DB implements it).
type IndexKeyStore interface {
	SetIndexKey(ctx context.Context, jobID, key string) error
}

// indexGrace is how long after completion a missing index is taken for
// one still being built; later the browser asks for a build (the job may
// predate indexes, or its build was lost).
const indexGrace = 10 * time.Minute

// reindex asks for a build of the job's index, when the service allows it.
func (s *server) reindex(r *http.Request, job *gas.Job) {
	if s.d.Reindex == nil {
		return
	}
	if err := s.d.Reindex(r.Context(), job.ID); err != nil {
		s.logger.LogAttrs(r.Context(), slog.LevelError, "queue index build",
			slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
			slog.String("job_id", job.ID), slog.String("err", err.Error()))
	}
}

// staleIndex handles an index of an old format: it is forgotten and a
// rebuild asked for, and true is returned (the caller shows the waiting
// page); other errors return false.
func (s *server) staleIndex(r *http.Request, job *gas.Job, key string, err error) bool {
	if !errors.Is(err, variantdb.ErrSchema) || s.d.IndexKeys == nil {
		return false
	}
	if derr := s.indexes.drop(key); derr != nil {
		s.logger.WarnContext(r.Context(), "drop stale index", "job_id", job.ID, "err", derr)
	}
	if kerr := s.d.IndexKeys.SetIndexKey(r.Context(), job.ID, ""); kerr != nil {
		s.logger.WarnContext(r.Context(), "forget stale index", "job_id", job.ID, "err", kerr)
	}
	s.reindex(r, job)
	return true
}

// indexKey returns the job's index blob key, "" while it is not built.
func (s *server) indexKey(r *http.Request, job *gas.Job) string {
	if s.d.Progress == nil {
		return ""
	}
	ps, err := s.d.Progress.JobProgress(r.Context(), job.ID)
	if err != nil {
		s.logger.WarnContext(r.Context(), "read index key", "job_id", job.ID, "err", err)
		return ""
	}
	return ps[job.ID].IndexKey
}

// jobVariants answers GET /jobs/{id}/variants: one page of the filtered,
// sorted variant table. Every setting is in the URL, so a view can be
// bookmarked and shared with whoever can see the job.
func (s *server) jobVariants(w http.ResponseWriter, r *http.Request, u *gas.User) {
	job, ok := s.userJob(w, r, u)
	if !ok || s.archivedResult(w, r, u, job) {
		return
	}
	v := variantsView{base: s.baseFor(r, "Variants of "+job.InputName), Job: job, Form: r.URL.Query(),
		Impacts: []string{"high", "moderate", "low", "modifier"}}
	key := ""
	switch {
	case job.State.Annotated():
		// (An archived result was answered above: archivedResult.)
		if key = s.indexKey(r, job); key == "" {
			if s.now().Sub(job.CompletedAt) > indexGrace {
				s.reindex(r, job)
			}
			v.Waiting, v.Building = "The variant index of this result is being built. This page shows the table as soon as it is ready.", true
		}
	case job.State.Terminal():
		v.Waiting = "This annotation " + job.State.About() + ", so there are no variants to browse."
	default:
		v.Waiting = "The variants can be browsed once the annotation completes."
	}
	if key == "" {
		s.render(w, r, http.StatusOK, "variants", v)
		return
	}
	f, err := variantdb.ParseFilter(r.URL.Query())
	if err != nil {
		v.Error = "This filter cannot be used: " + err.Error() + "."
		s.render(w, r, http.StatusBadRequest, "variants", v)
		return
	}
	ix, release, err := s.indexes.get(r.Context(), key)
	if err == nil && formNoise(r.URL.Query(), ix) {
		// The filter form sends every field, empty or not, and every
		// column box: answer with the view's short, shareable URL.
		release()
		http.Redirect(w, r, viewURL(job.ID, f, chooseColumns(ix, r.URL.Query())), http.StatusSeeOther)
		return
	}
	if s.staleIndex(r, job, key, err) {
		v.Waiting, v.Building = "The variant index of this result is being rebuilt for this version of GAS. This page shows the table as soon as it is ready.", true
		s.render(w, r, http.StatusOK, "variants", v)
		return
	}
	if err != nil {
		s.serverError(w, r, fmt.Errorf("open variant index of %s: %w", job.ID, err))
		return
	}
	defer release()
	res, err := ix.Query(r.Context(), f)
	var fe *variantdb.FilterError
	if errors.As(err, &fe) {
		v.Error = "This filter cannot be used: " + err.Error() + "."
		s.render(w, r, http.StatusBadRequest, "variants", v)
		return
	}
	if errors.Is(err, variantdb.ErrUnknownPage) {
		// Past the end (the filter narrowed the view): the last page.
		f.Page = res.Pages
		http.Redirect(w, r, viewURL(job.ID, f, chooseColumns(ix, r.URL.Query())), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Res, v.Terms = res, ix.Terms()
	fl := res.Filter
	cols := chooseColumns(ix, r.URL.Query())
	v.Columns = cols.on
	v.Cols = cols.choices
	v.Choices = formChoices(ix, fl)
	v.MoreOpen = len(fl.Genes) > 0 || len(fl.Regions) > 0 || len(fl.ClinSig) > 0 || fl.FreqField != "" || fl.HasGenotype() || len(fl.Impacts) > 0
	for _, row := range res.Rows {
		v.Cells = append(v.Cells, rowCells(ix, job.ID, row, cols.on))
	}
	if len(res.Rows) > 0 {
		v.FirstRow = int64(fl.Page-1)*int64(fl.PerPage) + 1
		v.LastRow = v.FirstRow + int64(len(res.Rows)) - 1
	}
	if fl.Page > 1 {
		p := fl
		p.Page--
		v.Prev = viewURL(job.ID, p, cols)
	}
	if fl.Page < res.Pages {
		p := fl
		p.Page++
		v.Next = viewURL(job.ID, p, cols)
	}
	v.Sorts = map[string]sortLink{}
	for _, col := range []string{variantdb.SortPos, variantdb.SortGene, variantdb.SortImpact, variantdb.SortFreq} {
		p := fl
		p.Page = 1
		l := sortLink{Aria: "none"}
		if fl.Sort == col {
			p.Desc = !fl.Desc
			l.Aria, l.Arrow = "ascending", "▲"
			if fl.Desc {
				l.Aria, l.Arrow = "descending", "▼"
			}
		} else {
			p.Sort, p.Desc = col, col == variantdb.SortImpact // most severe first is what one wants
		}
		l.URL = viewURL(job.ID, p, cols)
		v.Sorts[col] = l
	}
	cond := fl
	cond.Page, cond.PerPage, cond.Sort, cond.Desc = 0, 0, "", false
	v.Filtered = cond.Encode() != ""
	q := ""
	if v.Filtered {
		q = "?" + cond.Encode()
	}
	base := "/jobs/" + job.ID + "/variants"
	v.Exports = []exportLink{
		{"export-vcf", "VCF (bgzip)", base + ".vcf.gz" + q},
		{"export-tsv", "TSV", base + ".tsv" + q},
		{"export-xlsx", "Excel", base + ".xlsx" + q},
		{"export-json", "Summary JSON", base + ".json" + q},
	}
	v.GenesURL = "/jobs/" + job.ID + "/genes" + q
	s.render(w, r, http.StatusOK, "variants", v)
}

// formNoise says a query carries empty parameters or chooses every
// column, as a submitted filter form does.
func formNoise(q url.Values, ix *variantdb.Index) bool {
	for _, vs := range q {
		for _, v := range vs {
			if strings.TrimSpace(v) == "" {
				return true
			}
		}
	}
	c := chooseColumns(ix, q)
	return c.set && len(c.on) == len(allColumns(ix))
}

// viewURL is the shareable URL of a view with its chosen columns.
func viewURL(id string, f variantdb.Filter, cols chosenColumns) string {
	u := variantsURL(id, f)
	if strings.Contains(u, "?") {
		return u + cols.param("&")
	}
	return u + cols.param("?")
}

// variantsURL is the shareable URL of a view (without its columns: see
// viewURL).
func variantsURL(id string, f variantdb.Filter) string {
	u := "/jobs/" + id + "/variants"
	if q := f.Encode(); q != "" {
		u += "?" + q
	}
	return u
}

// Export formats of the variant browser.
const (
	exportVCF  = "vcf"
	exportTSV  = "tsv"
	exportJSON = "json"
	exportXLSX = "xlsx"
)

func (s *server) exportVariantsXLSX(w http.ResponseWriter, r *http.Request, u *gas.User) {
	s.exportVariants(w, r, u, exportXLSX)
}

func (s *server) exportVariantsVCF(w http.ResponseWriter, r *http.Request, u *gas.User) {
	s.exportVariants(w, r, u, exportVCF)
}
func (s *server) exportVariantsTSV(w http.ResponseWriter, r *http.Request, u *gas.User) {
	s.exportVariants(w, r, u, exportTSV)
}
func (s *server) exportVariantsJSON(w http.ResponseWriter, r *http.Request, u *gas.User) {
	s.exportVariants(w, r, u, exportJSON)
}

// exportVariants streams the records of a view (its conditions; sort and
// page do not apply) in one format. The count is in the response header
// X-GAS-Records and in the file itself (variantdb's export headers).
func (s *server) exportVariants(w http.ResponseWriter, r *http.Request, u *gas.User, format string) {
	job, ok := s.userJob(w, r, u)
	if !ok || s.archivedResult(w, r, u, job) {
		return
	}
	key := s.indexKey(r, job)
	if key == "" {
		// Not indexed yet (or not completed): the browser page says which.
		http.Redirect(w, r, "/jobs/"+job.ID+"/variants", http.StatusSeeOther)
		return
	}
	f, err := variantdb.ParseFilter(r.URL.Query())
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, "This filter cannot be used: "+err.Error()+".")
		return
	}
	if format == exportVCF && !job.HasResult() {
		// The VCF export copies records from the result, which must be hot.
		s.noResult(w, r, u, job)
		return
	}
	ix, release, err := s.indexes.get(r.Context(), key)
	if s.staleIndex(r, job, key, err) {
		http.Redirect(w, r, "/jobs/"+job.ID+"/variants", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.serverError(w, r, fmt.Errorf("open variant index of %s: %w", job.ID, err))
		return
	}
	defer release()
	n, err := ix.Count(r.Context(), f)
	var fe *variantdb.FilterError
	if errors.As(err, &fe) {
		s.renderError(w, r, http.StatusBadRequest, "This filter cannot be used: "+err.Error()+".")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	stem := strings.TrimSuffix(job.ResultName(), ".annotated.vcf.gz")
	if f.Encode() != "" && f.Encode() != "page=1" {
		stem += ".filtered"
	}
	h := w.Header()
	h.Set("X-GAS-Records", strconv.FormatInt(n, 10))
	h.Set("Cache-Control", "private, no-store")
	var name, ctype string
	switch format {
	case exportVCF:
		name, ctype = stem+".variants.vcf.gz", "application/gzip"
	case exportTSV:
		name, ctype = stem+".variants.tsv", "text/tab-separated-values; charset=utf-8"
	case exportXLSX:
		name, ctype = stem+".variants.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	default:
		name, ctype = stem+".variants.summary.json", "application/json"
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	if r.Method == http.MethodHead {
		return
	}
	switch format {
	case exportVCF:
		var rc io.ReadCloser
		if rc, err = s.d.Blobs.Open(r.Context(), job.ResultKey); err == nil {
			_, err = ix.ExportVCF(r.Context(), w, rc, f)
			rc.Close()
		}
	case exportTSV:
		_, _, err = ix.ExportTSV(r.Context(), w, f)
	case exportXLSX:
		_, _, err = ix.ExportXLSX(r.Context(), w, f)
		if errors.Is(err, variantdb.ErrTooManyRows) {
			// Refused before anything was written: an ordinary error page.
			h.Del("Content-Disposition")
			h.Del("X-GAS-Records")
			s.renderError(w, r, http.StatusRequestEntityTooLarge, "This view has more rows (one per record and transcript) than an Excel sheet holds. Filter it further, or download the TSV.")
			return
		}
	default:
		_, err = ix.ExportSummaryJSON(r.Context(), w, f)
	}
	if err != nil {
		// Headers are out: abort the connection, so the client sees a
		// failed download rather than a complete-looking short file.
		s.logger.LogAttrs(r.Context(), slog.LevelWarn, "export interrupted",
			slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
			slog.String("job_id", job.ID), slog.String("format", format), slog.String("err", err.Error()))
		panic(http.ErrAbortHandler)
	}
}
