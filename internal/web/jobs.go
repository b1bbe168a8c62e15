package web

import (
	"net/http"

	"github.com/gas-project/gas"
)

// jobsPerPage is the length of one page of the annotations list.
const jobsPerPage = 20

// jobsView is the model of the annotations list.
type jobsView struct {
	base
	Jobs  []*gas.Job
	Total int
	pager
	// Live is the progress of the listed jobs, by ID.
	Live map[string]*live
	// Deleted says the user just deleted an annotation.
	Deleted bool
	// Modes is the transcript mode of each listed job, by ID, in short words.
	Modes map[string]string
}

func (s *server) jobList(w http.ResponseWriter, r *http.Request, u *gas.User) {
	page, ok := s.pageParam(w, r)
	if !ok {
		return
	}
	jobs, total, err := s.d.Jobs.ListJobs(r.Context(), u.ID, gas.Page{Offset: (page - 1) * jobsPerPage, Limit: jobsPerPage})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := jobsView{base: s.baseFor(r, "My annotations"), Jobs: jobs, Total: total,
		pager: pager{Page: page, PagePath: "/jobs", PageLabel: "Pages of annotations", PrevText: "Newer", NextText: "Older"},
		Live:  s.liveInfo(r.Context(), false, jobs...), Deleted: r.URL.Query().Get("deleted") == "1",
		Modes: map[string]string{}}
	for _, j := range jobs {
		v.Modes[j.ID] = modeShort(jobMode(j))
	}
	v.setPages(total, jobsPerPage)
	s.render(w, r, http.StatusOK, "jobs", v)
}
