package web

import (
	"net/http"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
)

func (s *server) signout(w http.ResponseWriter, r *http.Request) {
	if tok := auth.SessionToken(r, s.cfg.SecureCookies); tok != "" {
		if err := s.d.Sessions.DeleteSession(r.Context(), tok); err != nil && gas.ErrorCode(err) != gas.ENOTFOUND {
			s.serverError(w, r, err)
			return
		}
	}
	auth.ClearSessionCookie(w, s.cfg.SecureCookies)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
