package web

import (
	"net/http"
	"strconv"

	"github.com/gas-project/gas"
)

// jobsPerPage is the length of one page of the annotations list.
const jobsPerPage = 20

// jobsView is the model of the annotations list.
type jobsView struct {
	base
	Jobs        []*gas.Job
	Total       int
	Page, Pages int
	Prev, Next  int // 0 when there is no such page
	// Live is the progress of the listed jobs, by ID.
	Live map[string]*live
	// Deleted says the user just deleted an annotation.
	Deleted bool
}

func (s *server) jobList(w http.ResponseWriter, r *http.Request, u *gas.User) {
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			s.renderError(w, r, http.StatusBadRequest, "The page number must be a positive whole number.")
			return
		}
		page = n
	}
	jobs, total, err := s.d.Jobs.ListJobs(r.Context(), u.ID, gas.Page{Offset: (page - 1) * jobsPerPage, Limit: jobsPerPage})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := jobsView{base: s.baseFor(r, "My annotations"), Jobs: jobs, Total: total, Page: page,
		Live: s.liveInfo(r.Context(), false, jobs...), Deleted: r.URL.Query().Get("deleted") == "1"}
	v.Pages = (total + jobsPerPage - 1) / jobsPerPage
	if page > 1 {
		v.Prev = min(page-1, max(v.Pages, 1))
	}
	if page < v.Pages {
		v.Next = page + 1
	}
	s.render(w, r, http.StatusOK, "jobs", v)
}
