package web

import "testing"

func TestPagerSetPages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ page, total, per, pages, prev, next int }{
		{1, 0, 20, 0, 0, 0},
		{1, 20, 20, 1, 0, 0},
		{1, 21, 20, 2, 0, 2},
		{2, 41, 20, 3, 1, 3},
		{3, 41, 20, 3, 2, 0},
		{9, 41, 20, 3, 3, 0}, // past the end: "previous" leads back to the last page
		{5, 0, 20, 0, 1, 0},
	} {
		p := pager{Page: tc.page}
		p.setPages(tc.total, tc.per)
		if p.Pages != tc.pages || p.Prev != tc.prev || p.Next != tc.next {
			t.Errorf("page %d of %d items: pages %d prev %d next %d, want %d %d %d", tc.page, tc.total, p.Pages, p.Prev, p.Next, tc.pages, tc.prev, tc.next)
		}
	}
}
