package web

import "net/http"

// homeView is the model of the home page.
type homeView struct {
	base
	FreeLimit string
}

func (s *server) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "home", homeView{
		base:      s.baseFor(r, "Home"),
		FreeLimit: formatBytes(s.cfg.FreeUploadLimit),
	})
}
