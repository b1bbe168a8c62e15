package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/variantdb"
)

// genesPerPage is the gene view's page size.
const genesPerPage = 100

// geneView is the model of the gene view.
type geneViewModel struct {
	base
	Job         *gas.Job
	Filter      string // the view's conditions in words
	Rows        []geneRow
	Total       int
	Page, Pages int
	Prev, Next  string
	Variants    string // the variant table of the same filter
	Error       string
}

// geneRow is one gene with its links.
type geneRow struct {
	variantdb.GeneRow
	Link     string // the gene's records in the view
	Ensembl  string
	TopTerms string // its most frequent consequences
	Carriers string
}

// geneView answers GET /jobs/{id}/genes: the gene-level summary of the
// variant table's filter — one row per gene with records by impact and
// consequence and the samples carrying them.
func (s *server) geneView(w http.ResponseWriter, r *http.Request, u *gas.User) {
	job, ok := s.userJob(w, r, u)
	if !ok || s.archivedResult(w, r, u, job) {
		return
	}
	v := geneViewModel{base: s.baseFor(r, "Genes of "+job.InputName), Job: job}
	f, err := variantdb.ParseFilter(r.URL.Query())
	if err != nil {
		v.Error = "This filter cannot be used: " + err.Error() + "."
		s.render(w, r, http.StatusBadRequest, "genes", v)
		return
	}
	ix, release := s.indexFor(w, r, job)
	if ix == nil {
		return
	}
	defer release()
	page := max(f.Page, 1)
	cond := f
	cond.Page, cond.PerPage, cond.Sort, cond.Desc = 0, 0, "", false
	v.Filter = cond.Describe()
	v.Variants = variantsURL(job.ID, cond)
	genes, err := ix.Genes(r.Context(), cond)
	var fe *variantdb.FilterError
	if errors.As(err, &fe) {
		v.Error = "This filter cannot be used: " + err.Error() + "."
		s.render(w, r, http.StatusBadRequest, "genes", v)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Total = len(genes)
	v.Pages = max((len(genes)+genesPerPage-1)/genesPerPage, 1)
	if page > v.Pages {
		page = v.Pages
	}
	v.Page = page
	pageURL := func(p int) string {
		q := cond.Values()
		if p > 1 {
			q.Set(variantdb.ParamPage, strconv.Itoa(p))
		}
		if e := q.Encode(); e != "" {
			return "/jobs/" + job.ID + "/genes?" + e
		}
		return "/jobs/" + job.ID + "/genes"
	}
	if page > 1 {
		v.Prev = pageURL(page - 1)
	}
	if page < v.Pages {
		v.Next = pageURL(page + 1)
	}
	l := linksFor(ix.Assembly())
	for _, g := range genes[min((page-1)*genesPerPage, len(genes)):min(page*genesPerPage, len(genes))] {
		row := geneRow{GeneRow: g}
		one := cond
		one.Gene, one.Genes = g.Name, nil
		if one.Gene == "" {
			one.Gene = g.ID
		}
		row.Link = variantsURL(job.ID, one)
		if lk, ok := l.gene(g.ID); ok {
			row.Ensembl = lk.Href
		}
		var terms []string
		for _, t := range g.Consequences {
			terms = append(terms, t.Term+" "+strconv.FormatInt(t.N, 10))
		}
		row.TopTerms = strings.Join(terms, ", ")
		var carriers []string
		for _, c := range g.Carriers {
			part := c.Sample + " ("
			if c.Het > 0 {
				part += strconv.FormatInt(c.Het, 10) + " het"
			}
			if c.Hom > 0 {
				if c.Het > 0 {
					part += ", "
				}
				part += strconv.FormatInt(c.Hom, 10) + " hom"
			}
			carriers = append(carriers, part+")")
		}
		row.Carriers = strings.Join(carriers, ", ")
		v.Rows = append(v.Rows, row)
	}
	s.render(w, r, http.StatusOK, "genes", v)
}
