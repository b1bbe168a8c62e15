package cli

import (
	"context"
	"log/slog"
	"net/http"

	"riverqueue.com/riverui"

	"github.com/gas-project/gas/internal/auth"
	"github.com/gas-project/gas/internal/httpserver"
)

// queueUIPrefix is where administrators see and manage the queue: River's
// own UI (jobs by state, retries, errors, queues paused or resumed), rather
// than a page of ours that would show less.
const queueUIPrefix = "/admin/queue"

// queueUI returns River UI on the insert-only client's driver, for signed-in
// administrators only: anyone else gets a plain 404, as for the admin page.
// Its own POSTs (retry, cancel, pause) pass the same cross-origin protection
// as the site's forms. The UI's background services stop with ctx.
func queueUI(ctx context.Context, svc *services, secureCookies bool, baseURL string, logger *slog.Logger) (http.Handler, error) {
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(svc.ins.Client(), nil),
		Prefix:    queueUIPrefix,
		Logger:    logger,
	})
	if err != nil {
		return nil, err
	}
	if err := h.Start(ctx); err != nil {
		return nil, err
	}
	cross, err := httpserver.CrossOrigin(func(w http.ResponseWriter, _ *http.Request, status int, msg string) {
		http.Error(w, msg, status)
	}, baseURL)
	if err != nil {
		return nil, err
	}
	guarded := cross(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAdmin(r, svc, secureCookies) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		guarded.ServeHTTP(w, r)
	}), nil
}

// isAdmin reports whether the request carries the session of an administrator.
func isAdmin(r *http.Request, svc *services, secureCookies bool) bool {
	tok := auth.SessionToken(r, secureCookies)
	if tok == "" {
		return false
	}
	u, err := svc.db.SessionUser(r.Context(), tok)
	return err == nil && u != nil && u.Admin
}
