package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/httpserver"
)

type ctxKey int

const userKey ctxKey = iota

// currentUser returns the signed-in user of the request, or nil.
func currentUser(ctx context.Context) *gas.User {
	u, _ := ctx.Value(userKey).(*gas.User)
	return u
}

// loadUser resolves the session cookie to a user once per request. A stale
// or unknown cookie is cleared so the browser stops sending it; a store
// failure is logged and the request continues signed out rather than failing
// public pages.
func (s *server) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := auth.SessionToken(r, s.cfg.SecureCookies)
		// Assets are the same for everyone: no database round trip for them.
		if tok == "" || strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		u, err := s.d.Sessions.SessionUser(r.Context(), tok)
		switch code := gas.ErrorCode(err); {
		case err == nil:
			r = r.WithContext(context.WithValue(r.Context(), userKey, u))
		case code == gas.ENOTFOUND || code == gas.EUNAUTH:
			auth.ClearSessionCookie(w, s.cfg.SecureCookies)
		default:
			s.logger.LogAttrs(r.Context(), slog.LevelError, "load session",
				slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
				slog.String("err", err.Error()))
		}
		next.ServeHTTP(w, r)
	})
}

// requireUser sends signed-out visitors to the sign-in page, remembering
// where they were going when it was a page they can return to with GET.
func (s *server) requireUser(h func(http.ResponseWriter, *http.Request, *gas.User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := currentUser(r.Context())
		if u == nil {
			target := "/signin"
			if r.Method == http.MethodGet {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		h(w, r, u)
	}
}

// requireAdmin serves h to administrators only. Everyone else, signed in or
// not, gets the plain 404 page, so the admin page's existence is not shown.
func (s *server) requireAdmin(h func(http.ResponseWriter, *http.Request, *gas.User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := currentUser(r.Context())
		if u == nil || !u.Admin {
			s.renderError(w, r, http.StatusNotFound, "")
			return
		}
		h(w, r, u)
	}
}
