package web

import (
	"net/http"
	"strconv"
)

// pager is the page navigation of a paginated list, drawn by the "pager"
// partial. Views embed it, so templates read .Page, .Pages, .Prev, .Next.
type pager struct {
	Page, Pages int
	Prev, Next  int // 0 when there is no such page
	// PagePath is the list's URL (?page=N is added); PageLabel names the
	// navigation for screen readers; PrevText and NextText are the links.
	PagePath, PageLabel, PrevText, NextText string
}

// setPages fills the page numbers for total items shown per to a page.
func (p *pager) setPages(total, per int) {
	p.Pages = (total + per - 1) / per
	p.Prev, p.Next = 0, 0
	if p.Page > 1 {
		p.Prev = min(p.Page-1, max(p.Pages, 1))
	}
	if p.Page < p.Pages {
		p.Next = p.Page + 1
	}
}

// pageParam reads ?page=N (default 1). A bad value has been answered with
// a 400 page when ok is false.
func (s *server) pageParam(w http.ResponseWriter, r *http.Request) (page int, ok bool) {
	p := r.URL.Query().Get("page")
	if p == "" {
		return 1, true
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 1_000_000 {
		s.renderError(w, r, http.StatusBadRequest, "The page number must be a positive whole number.")
		return 0, false
	}
	return n, true
}
